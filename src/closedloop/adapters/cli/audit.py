"""``closedloop audit …`` (log, verify, digest, keygen, export) and ``closedloop rebuild``.

Like the rest of the CLI it only translates: every answer comes from ``ClosedLoop``, and a
failed verification is an ``AuditFailure`` that the root command maps to its exit code.
This module imports nothing from ``main`` (which hooks it in), so ``python -m`` works too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from closedloop.adapters.cli.options import Json, Store, Workers, workers_count
from closedloop.adapters.cli.render_audit import audit_table, verified_panel
from closedloop.adapters.jsonable import to_json
from closedloop.api import ClosedLoop
from closedloop.application.reader import parse_time
from closedloop.domain.errors import InvalidInput
from closedloop.projections.audit_digest import keygen as new_key_pair

audit_app = typer.Typer(
    help="The hash-chained audit trail (L8): log, verify, digest, keygen, export.",
    no_args_is_help=True,
)


Time = Annotated[str | None, typer.Option(metavar="TIME", help="ISO time (naive means UTC)")]


def optional_time(option: str, text: str | None) -> datetime | None:
    return None if text is None else parse_time(text, option)


@audit_app.command("log")
def log(
    aggregate: Annotated[
        str | None, typer.Option(metavar="ID", help="one aggregate: a reference or a UUID")
    ] = None,
    actor: Annotated[str | None, typer.Option(metavar="A", help="one actor's id")] = None,
    since: Time = None,
    until: Time = None,
    event_type: Annotated[
        str | None,
        typer.Option("--type", metavar="E", help="an event type (Approved or Target.Approved)"),
    ] = None,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Every event in order: position, time, actor, reason, aggregate, version, type, hash."""
    start, end = optional_time("--since", since), optional_time("--until", until)
    with ClosedLoop(store) as loop:
        entries = loop.audit_log(
            aggregate=aggregate, actor=actor, since=start, until=end, event_type=event_type
        )
    if json_output:
        for entry in entries:
            typer.echo(to_json(entry))
    else:
        Console().print(audit_table(entries))


@audit_app.command("verify")
def verify(
    digest: Annotated[
        Path | None, typer.Option(metavar="FILE", help="a digest kept from `audit digest`")
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="the Ed25519 public key (PEM) the digest is signed by"),
    ] = None,
    store: Store = None,
    json_output: Json = False,
    workers: Workers = "auto",
) -> None:
    """Recompute the chain from the stored events; exit code 8 names the first break."""
    parts = workers_count(workers)
    with ClosedLoop(store) as loop:
        result = loop.audit_verify(digest, public_key=public_key, workers=parts)
    if json_output:
        typer.echo(to_json(result, indent=2))
    else:
        Console().print(verified_panel(result))


@audit_app.command("digest")
def digest(
    sign: Annotated[
        Path | None, typer.Option(metavar="KEYFILE", help="sign with this Ed25519 key (PEM)")
    ] = None,
    store: Store = None,
) -> None:
    """Print the chain's head (count, position, hash) as JSON, to keep: > head.json."""
    with ClosedLoop(store) as loop:
        typer.echo(to_json(loop.audit_digest(sign_with=sign), indent=2))


@audit_app.command("keygen")
def keygen(
    private: Annotated[Path, typer.Argument(metavar="PRIVATE.pem", help="the signing key")],
    public: Annotated[Path, typer.Argument(metavar="PUBLIC.pem", help="for `verify`")],
) -> None:
    """Make an Ed25519 key pair (PEM, as `openssl genpkey -algorithm ed25519` does)."""
    for path in (private, public):
        if path.exists():
            raise InvalidInput(f"{path} exists already; keygen never overwrites a key")
    private_pem, public_pem = new_key_pair()
    try:
        descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(private_pem)
        public.write_bytes(public_pem)
    except OSError as error:
        raise InvalidInput(f"cannot write the key pair: {error}") from None
    typer.echo(f"wrote {private} (keep it secret) and {public}")


@audit_app.command("export")
def export(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="a new or empty folder")],
    sign: Annotated[
        Path | None, typer.Option(metavar="KEYFILE", help="sign its digest (Ed25519, PEM)")
    ] = None,
    store: Store = None,
) -> None:
    """Write an evidence bundle: stored events, chain, digest, VERIFY.md and its script."""
    with ClosedLoop(store) as loop:
        bundle = loop.audit_export(folder, sign_with=sign)
    head = bundle["digest"]
    typer.echo(f"{head['count']} events up to position {head['position']} written to {folder}")


def rebuild(
    view: Annotated[
        str | None, typer.Argument(metavar="VIEW", help="one view (audit); all when omitted")
    ] = None,
    store: Store = None,
    workers: Workers = "auto",
) -> None:
    """Rebuild tracked views from the whole event history (L7)."""
    parts = workers_count(workers)
    with ClosedLoop(store) as loop, view_bars("rebuilding") as bar:
        # Each view beside the live one, then in its place (the trail caught up, never rewritten).
        advance = view_bar(bar, view or ", ".join(loop.views()), loop.position())
        position = max(loop.rebuild(view, advance, workers=parts).values())
        advance(position, position)


def view_bars(verb: str, console: Console | None = None) -> Progress:
    """A bar per view (``verb`` each view's name), positions done of the store's last."""
    return Progress(
        TextColumn(f"{verb} {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    )


def view_bar(bar: Progress, name: str, total: int) -> Callable[[int, int], None]:
    """The view's bar, and the progress callback that moves it."""
    task = bar.add_task(name, total=total)

    def advance(done: int, total: int, task: TaskID = task) -> None:
        bar.update(task, completed=done, total=max(total, done, 1))

    return advance
