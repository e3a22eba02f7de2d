"""``closedloop serve``: the HTTP adapter under uvicorn (needs the ``http`` extra).

Each worker builds its app from environment variables (``$CLOSEDLOOP_STORE``,
``$CLOSEDLOOP_POLICY``, ``$CLOSEDLOOP_AUTH``, ``$CLOSEDLOOP_GROUP_COMMIT``), which this
command sets from its options after checking them, so a bad file or store is one clear
error here, not one per worker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from closedloop.adapters.http.keys import AUTH_VARIABLE, Keyring, hash_key
from closedloop.adapters.store import STORE_VARIABLE, store_url
from closedloop.api import ClosedLoop
from closedloop.application.group_commit import GROUP_COMMIT_VARIABLE
from closedloop.application.policy_file import POLICY_VARIABLE
from closedloop.domain.errors import InvalidInput

APP_FACTORY = "closedloop.adapters.http.app:app_from_env"


def serve(
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="the port to listen on")] = 8000,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="URL",
            help="memory:, sqlite:///PATH or postgresql://… (default: $CLOSEDLOOP_STORE)",
            show_default=False,
        ),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", metavar="FILE", help="policy settings that differ")
    ] = None,
    auth: Annotated[
        Path | None,
        typer.Option(
            "--auth",
            metavar="FILE",
            envvar=AUTH_VARIABLE,
            help="TOML file of API keys and their actors (see docs/http.md)",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    group_commit: Annotated[
        bool,
        typer.Option(
            help="save the commands a worker runs at once in one transaction (docs/embedding.md)"
        ),
    ] = True,
    group_window: Annotated[
        float,
        typer.Option("--group-window", metavar="MS", min=0, max=1000, help="group commit window"),
    ] = 2.0,
    access_log: Annotated[
        bool,
        typer.Option(
            help="log every request (off: errors only; about 6 % of a worker's CPU per request)"
        ),
    ] = True,
    hash_keys: Annotated[
        bool,
        typer.Option(
            "--hash-key",
            help="print the SHA-256 of the key on standard input (for the auth file) and exit",
        ),
    ] = False,
) -> None:
    """Serve every command and query over HTTP; callers authenticate with API keys."""
    if hash_keys:
        key = sys.stdin.readline().strip()
        if not key:
            raise InvalidInput("--hash-key reads a key from standard input, and it was empty")
        typer.echo(hash_key(key))
        return
    if auth is None:
        raise InvalidInput(
            "serve needs --auth FILE (or $CLOSEDLOOP_AUTH): the API keys and who they are"
        )
    try:
        import uvicorn
    except ImportError:
        raise InvalidInput("serve needs the http extra: pip install 'closedloop[http]'") from None
    url = store_url(store)
    if workers > 1 and url.startswith("memory:"):
        raise InvalidInput("--workers above 1 needs a shared store: each would have its own memory")
    Keyring.load(auth)
    ClosedLoop(url, policy=policy).close()  # the store opens and the policy is valid
    os.environ[GROUP_COMMIT_VARIABLE] = f"{group_window:g}" if group_commit else "off"
    os.environ[STORE_VARIABLE] = url
    os.environ[AUTH_VARIABLE] = str(auth.resolve())
    if policy is not None:
        os.environ[POLICY_VARIABLE] = str(policy.resolve())
    uvicorn.run(
        APP_FACTORY, factory=True, host=host, port=port, workers=workers, access_log=access_log
    )
