"""The FastAPI app over a ``ClosedLoop``: commands, queries, keys, errors.

Routes are made when :func:`create_app` runs (never at import), from the catalogue and
the query tables, so whatever they hold is served.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import Depends, FastAPI, Request

from closedloop.adapters.http import errors
from closedloop.adapters.http.audit import add_audit_routes
from closedloop.adapters.http.auth import authenticator
from closedloop.adapters.http.commands import add_command_routes
from closedloop.adapters.http.evaluations import add_evaluation_routes
from closedloop.adapters.http.exact import ExactRoute
from closedloop.adapters.http.fast import CommandFastPath
from closedloop.adapters.http.feed import add_feed_routes
from closedloop.adapters.http.keys import AUTH_VARIABLE, Keyring
from closedloop.adapters.http.queries import add_query_routes
from closedloop.api import ClosedLoop
from closedloop.application.group_commit import GROUP_COMMIT_VARIABLE, Batching
from closedloop.application.policy_file import POLICY_VARIABLE
from closedloop.domain.errors import InvalidInput


def create_app(
    loop: ClosedLoop, keyring: Keyring, *, owns_loop: bool = False, fast_commands: bool = True
) -> FastAPI:
    """The app serving ``loop`` to the actors of ``keyring``; it closes ``loop`` on shutdown
    when it ``owns_loop``. ``fast_commands``: commands it accepts as they are answered
    past FastAPI's machinery (``fast``), with the same answers; off, all through it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_loop:
                loop.close()

    app = FastAPI(
        dependencies=[Depends(each_query_parameter_once)],
        title="closedloop",
        version=version("closedloop"),
        description="Closed-loop marketing management: every catalogue command and query. "
        "Authenticate with 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.",
        lifespan=lifespan,
    )
    app.router.route_class = ExactRoute
    errors.install(app)
    actor = authenticator(keyring)
    add_command_routes(app, loop, actor)
    add_query_routes(app, loop, actor)
    add_evaluation_routes(app, loop, actor)
    add_audit_routes(app, loop, actor)
    add_feed_routes(app, loop, actor)
    if fast_commands:
        app.add_middleware(CommandFastPath, loop=loop, keyring=keyring)
    return app


async def each_query_parameter_once(request: Request) -> None:
    """``InvalidInput`` (422) for a query parameter given twice: FastAPI would silently
    keep one of the values. (Asynchronous: it never blocks, so it needs no thread.)"""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"query parameters given more than once: {', '.join(repeated)}")


def app_from_env() -> FastAPI:
    """The app each ``closedloop serve`` worker builds: ``$CLOSEDLOOP_STORE``,
    ``$CLOSEDLOOP_POLICY`` (optional), ``$CLOSEDLOOP_AUTH`` and ``$CLOSEDLOOP_GROUP_COMMIT``
    (optional) configure it. Group commit is on unless that says ``off``: the server's
    threads run commands at once, and batching their saves multiplies what one disk flush
    carries."""
    keyring = Keyring.load(os.environ[AUTH_VARIABLE])
    batching = Batching.from_setting(os.environ.get(GROUP_COMMIT_VARIABLE, ""))
    loop = ClosedLoop(policy=os.environ.get(POLICY_VARIABLE) or None, group_commit=batching)
    return create_app(loop, keyring, owns_loop=True)
