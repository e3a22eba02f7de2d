"""``POST /commands/{name}`` straight to the command, past FastAPI's per-request machinery.

For each request FastAPI matches every route in turn, solves the route's dependencies and
runs it under several layers of wrappers; for a command (what a server mostly answers)
that costs more of a worker's CPU than the command's own handling (benchmarks/README.md,
``load.py``). This middleware answers a command request that the command's route would
accept as it is: a catalogue command, a known API key, a JSON body its input model
validates, no query parameter but ``expected_version``. It answers it as the route does
(``commands.answer``: the same call, the same JSON, the same error bodies). Anything else
— no or an unknown key, a malformed or invalid body, other parameters — goes on to FastAPI
with its body replayed, and is answered there as before (401, 422 naming the fields …).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from closedloop.adapters.http.auth import request_key
from closedloop.adapters.http.commands import answer
from closedloop.adapters.http.errors import response_to
from closedloop.adapters.http.exact import exact_json
from closedloop.adapters.http.keys import Keyring, Unauthenticated
from closedloop.api import ClosedLoop
from closedloop.application.catalogue import Command
from closedloop.domain.errors import ClosedLoopError


class CommandFastPath:
    """ASGI middleware: the commands FastAPI would accept, answered without it."""

    def __init__(self, app: ASGIApp, loop: ClosedLoop, keyring: Keyring) -> None:
        self.app = app
        self.loop = loop
        self.keyring = keyring
        self.commands = {f"/commands/{command.name}": command for command in loop.commands()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        command = None
        if scope["type"] == "http" and scope["method"] == "POST":
            command = self.commands.get(scope["path"])
        if command is None:
            await self.app(scope, receive, send)
            return
        messages = await _received(receive)
        body = b"".join(m.get("body", b"") for m in messages)
        call = self._accepted(scope, command, body, await request_key(HTTPConnection(scope)))
        if call is None:
            await self.app(scope, _replaying(messages, receive), send)
            return
        try:
            response = await run_in_threadpool(answer, self.loop, command, **call)
        except (ClosedLoopError, PersistenceError) as error:  # as the app's handlers answer
            response = response_to(error)
        await response(scope, receive, send)

    def _accepted(
        self, scope: Scope, command: Command, body: bytes, key: str | None
    ) -> dict[str, Any] | None:
        """The route's arguments, when its dependencies and validation would all pass."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in headers:
                return None  # a header given twice: as the framework decides
            headers[name] = value
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/json" or not body:
            return None
        plain, expected_version = _expected_version(scope["query_string"])
        request_id = headers.get(b"idempotency-key")
        if key is None or not plain or (request_id is not None and not 0 < len(request_id) <= 200):
            return None
        try:
            who = self.keyring.actor(key)
            args = command.input.model_validate(exact_json(body))
        except (Unauthenticated, ValueError, ValidationError):  # JSON errors are ValueErrors
            return None
        return {
            "who": who,
            "args": args,
            "expected_version": expected_version,
            "idempotency_key": None if request_id is None else request_id.decode("latin-1"),
        }


def _expected_version(query: bytes) -> tuple[bool, int | None]:
    """Whether the query is plain (none, or only ``expected_version`` as a number), and
    that number; anything else is FastAPI's to decide."""
    if not query:
        return True, None
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "expected_version":
        return False, None
    value = pairs[0][1]
    return (True, int(value)) if value.isascii() and value.isdigit() else (False, None)


async def _received(receive: Receive) -> list[Message]:
    """Every message of the request's body (or up to a disconnect)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that hands out ``messages`` again first."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
