"""``GET /events``: the event feed another program follows and resumes (a long-poll).

It needs ``read`` (R-G2), like the audit log, which already shows every event: the feed
adds only the stored bytes, in which personal data is ciphertext (R-C1).
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from closedloop.adapters.http.errors import error_responses
from closedloop.api import ClosedLoop
from closedloop.domain.actor import Actor
from closedloop.projections.feed import MAX_LIMIT, MAX_WAIT


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


def add_feed_route(app: FastAPI, loop: ClosedLoop, actor: Callable[..., Actor]) -> None:
    def events(
        who: Annotated[Actor, Depends(actor)],
        after: Annotated[int, Query(ge=0, description="the last position you have")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")] = 100,
        wait: Annotated[
            float,
            Query(ge=0, le=MAX_WAIT, description="seconds to wait for a first event (long-poll)"),
        ] = 0,
    ) -> FeedPage:
        """Stored events after a position, in order, with their audit hashes."""
        loop.authorise_reading(who)
        return FeedPage.model_validate(loop.events(after=after, limit=limit, wait=wait))

    app.add_api_route(
        "/events",
        events,
        methods=["GET"],
        operation_id="events",
        tags=["audit"],
        responses=error_responses(401, 403, 422, 503),
    )
