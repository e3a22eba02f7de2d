"""``GET /audit/log``, ``/audit/digest`` and ``/audit/verify``: the audit trail (L8).

Reading it needs ``read`` (R-G2), as every query does: an auditor reads it and writes
nothing. The log is paged by position, like the event feed.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from closedloop.adapters.http.auth import Authenticator
from closedloop.adapters.http.errors import error_responses
from closedloop.api import ClosedLoop
from closedloop.application.reader import parse_time
from closedloop.domain.actor import Actor
from closedloop.domain.errors import AuditFailure
from closedloop.projections.feed import MAX_LIMIT

After = Annotated[int, Query(ge=0, description="the last position you have: entries after it")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")]
Time = Annotated[
    str | None,
    Query(description="ISO time, inclusive (naive means UTC)", examples=["2026-03-31T23:59:59Z"]),
]


class AuditEntry(BaseModel):
    position: int
    recorded_at: str  # ISO 8601, as the audit trail recorded it
    actor: str | None
    bookkeeping: bool
    reason: str | None
    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_after: int
    """Ask again with ``after`` = this for the entries that follow."""


class Digest(BaseModel):
    algorithm: str
    count: int
    position: int
    hash: str


class VerifyStatus(BaseModel):
    """``ok``, or the first position affected and what is wrong there."""

    ok: bool
    count: int | None = None
    position: int | None = None
    hash: str | None = None
    message: str | None = None


def _time(name: str, text: str | None) -> datetime | None:
    return None if text is None else parse_time(text, name)


def add_audit_routes(app: FastAPI, loop: ClosedLoop, actor: Authenticator) -> None:
    def audit_log(
        who: Annotated[Actor, Depends(actor)],
        aggregate: Annotated[str | None, Query(description="a reference or a UUID")] = None,
        actor_id: Annotated[str | None, Query(alias="actor", description="an actor's id")] = None,
        since: Time = None,
        until: Time = None,
        event_type: Annotated[
            str | None, Query(alias="type", description="Approved or Target.Approved")
        ] = None,
        after: After = 0,
        limit: Limit = 100,
    ) -> AuditPage:
        """The trail's entries matching every filter, in order, a page at a time."""
        loop.authorise_reading(who)
        found = loop.audit_log(
            aggregate=aggregate,
            actor=actor_id,
            since=_time("since", since),
            until=_time("until", until),
            event_type=event_type,
            after=after,
            limit=limit,
        )
        resume = found[-1]["position"] if found else after
        return AuditPage.model_validate({"entries": found, "next_after": resume})

    def audit_digest(who: Annotated[Actor, Depends(actor)]) -> Digest:
        """The head of the chain (count, position, hash): keep it to prove the history later."""
        loop.authorise_reading(who)
        return Digest.model_validate(loop.audit_digest())

    def audit_verify(who: Annotated[Actor, Depends(actor)]) -> VerifyStatus:
        """Recompute the chain from the stored events: ok, or the first position affected."""
        loop.authorise_reading(who)
        try:
            head = loop.audit_verify()
        except AuditFailure as failure:
            return VerifyStatus(ok=False, position=failure.position, message=failure.message)
        return VerifyStatus(
            ok=True, count=head["count"], position=head["position"], hash=head["hash"]
        )

    endpoints: list[tuple[str, Callable[..., BaseModel]]] = [
        ("/audit/log", audit_log),
        ("/audit/digest", audit_digest),
        ("/audit/verify", audit_verify),
    ]
    for path, endpoint in endpoints:
        app.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            operation_id=endpoint.__name__.replace("_", "."),
            tags=["audit"],
            responses=error_responses(401, 403, 422, 503),
        )
