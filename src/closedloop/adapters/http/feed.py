"""``GET /events`` (pages, a long-poll) and ``GET /events/stream`` (server-sent events):
the event feed another program follows and resumes.

Both need ``read`` (R-G2), like the audit log, which already shows every event: the feed
adds only the stored bytes, in which personal data is ciphertext (R-C1). The stream ends
once no event came for ``wait`` seconds; an ``EventSource`` then reconnects by itself with
``Last-Event-ID``, the last position it received, and the stream resumes after it.
"""

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from closedloop.adapters.http.auth import Authenticator
from closedloop.adapters.http.errors import error_responses
from closedloop.api import ClosedLoop
from closedloop.domain.actor import Actor
from closedloop.domain.errors import InvalidInput
from closedloop.projections.feed import MAX_LIMIT, MAX_WAIT

After = Annotated[int, Query(ge=0, description="the last position you have")]
Wait = Annotated[float, Query(ge=0, le=MAX_WAIT, description="seconds to wait for a next event")]
#: How long an EventSource waits before it reconnects, in milliseconds.
RETRY_MS = 1000
#: One server-sent event of the stream (OpenAPI before 3.2: the schema is each event's).
SENT_EVENT = {
    "type": "object",
    "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "description": "the event's position: Last-Event-ID"},
        "event": {"type": "string", "enum": ["stored"]},
        "data": {"type": "string", "description": "the FeedEvent, as JSON"},
    },
}


class FeedEvent(BaseModel):
    position: int
    recorded_at: str  # ISO 8601, as the audit trail recorded it
    aggregate_id: str
    aggregate_type: str
    version: int
    topic: str
    state: str
    """The stored bytes, base64: what the chain hash covers."""
    hash: str
    """The audit trail's chain hash at this position (L8)."""


class FeedPage(BaseModel):
    events: list[FeedEvent]
    next_after: int
    """Ask again with ``after`` = this; positions may have gaps, never compute one."""


class EventStream(StreamingResponse):
    media_type = "text/event-stream"


def add_feed_routes(app: FastAPI, loop: ClosedLoop, actor: Authenticator) -> None:
    def events(
        who: Annotated[Actor, Depends(actor)],
        after: After = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")] = 100,
        wait: Wait = 0,
    ) -> FeedPage:
        """Stored events after a position, in order, with their audit hashes; with ``wait``,
        a long-poll that returns as soon as one is recorded."""
        loop.authorise_reading(who)
        return FeedPage.model_validate(loop.events(after=after, limit=limit, wait=wait))

    def stream(
        request: Request,
        who: Annotated[Actor, Depends(actor)],
        after: After = 0,
        wait: Wait = 15,
    ) -> EventStream:
        """The feed as server-sent events: each event's ``id`` is its position, its ``data``
        a feed event; it ends after ``wait`` seconds without a new one. A `Last-Event-ID`
        header (what an EventSource sends when it reconnects) resumes after that position,
        instead of ``after``."""
        loop.authorise_reading(who)
        last = request.headers.get("Last-Event-ID")
        start = after if last is None else resumed_from(last)
        return EventStream(_sent(loop, request, start, wait))

    errors = error_responses(401, 403, 422, 503)
    app.add_api_route(
        "/events",
        events,
        methods=["GET"],
        name="events",
        operation_id="events",
        tags=["feed"],
        responses=errors,
    )
    app.add_api_route(
        "/events/stream",
        stream,
        methods=["GET"],
        name="events.stream",
        operation_id="events.stream",
        tags=["feed"],
        response_model=None,  # not response_class: the errors stay application/json
        responses={
            200: {"content": {"text/event-stream": {"schema": SENT_EVENT}}},
            **errors,
        },
    )


def resumed_from(last_event_id: str) -> int:
    """The position a ``Last-Event-ID`` names (read by hand: a declared header parameter
    would make every unknown header a contract violation for schemathesis)."""
    text = last_event_id.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"Last-Event-ID {last_event_id!r} is not a position (0 or more)")
    return int(text)


async def _sent(loop: ClosedLoop, request: Request, after: int, wait: float) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    while not await request.is_disconnected():
        page = await run_in_threadpool(loop.events, after=after, limit=MAX_LIMIT, wait=wait)
        if not page["events"]:
            return
        for event in page["events"]:
            data = json.dumps(event, separators=(",", ":"))
            yield f"id: {event['position']}\nevent: stored\ndata: {data}\n\n"
        after = page["next_after"]
