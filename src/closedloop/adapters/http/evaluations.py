"""``GET /views/{name}`` for every evaluation view and ``GET /certificates/{period}``.

One route per view, made from ``ClosedLoop.evaluations()`` when the app is built, so the
OpenAPI document names each view and a view added there is served with no change here.
The answers are those of ``ClosedLoop.evaluation`` and ``closedloop view``.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from closedloop.adapters.http.auth import Authenticator
from closedloop.adapters.http.errors import error_responses
from closedloop.adapters.jsonable import jsonable
from closedloop.api import ClosedLoop
from closedloop.application.reader import parse_as_of
from closedloop.domain.actor import Actor

PeriodText = Annotated[
    str | None,
    Query(description="what lies wholly in it: 2026, 2026-Q2 or 2026-05", examples=["2026-Q1"]),
]
ScopeText = Annotated[
    str | None,
    Query(description="company, team or person, optionally :REF", examples=["person:li.marketer"]),
]
StoreAsOf = Annotated[
    str | None,
    Query(
        description="as it was: a store position (replayed up to it) or an ISO time "
        "(naive means UTC); without it, the tracked facts caught up first",
        examples=["120", "2026-03-31T23:59:59Z"],
    ),
]


class AuditHead(BaseModel):
    count: int
    position: int
    hash: str


class Certificate(BaseModel):
    """Every finding of the period closed and verified (or waived), with its digest."""

    period: str
    reviews: list[str]
    findings: int
    closed: int
    waived: int
    evidence: list[dict[str, Any]]
    audit_head: AuditHead
    digest: str


def add_evaluation_routes(app: FastAPI, loop: ClosedLoop, actor: Authenticator) -> None:
    def views(who: Annotated[Actor, Depends(actor)]) -> list[str]:
        """The evaluation views, by name."""
        loop.authorise_reading(who)
        return loop.evaluations()

    app.add_api_route(
        "/views",
        views,
        methods=["GET"],
        operation_id="views",
        tags=["views"],
        responses=error_responses(401, 403, 503),
    )
    for name in loop.evaluations():
        app.add_api_route(
            f"/views/{name}",
            _view(loop, name, actor),
            methods=["GET"],
            name=f"view {name}",
            operation_id=f"view.{name}",
            summary=f"The {name} evaluation view",
            tags=["views"],
            response_model=list[dict[str, Any]] | dict[str, Any],
            responses=error_responses(401, 403, 422, 503),
        )

    def certificate(
        period: str, who: Annotated[Actor, Depends(actor)], as_of: StoreAsOf = None
    ) -> JSONResponse:
        """A closure certificate of the period; refused (400, R-E4) with its open loops."""
        loop.authorise_reading(who)
        answer = loop.closure_certificate(period, as_of=parse_as_of(as_of, "as_of"))
        return JSONResponse(jsonable(answer))

    app.add_api_route(
        "/certificates/{period}",
        certificate,
        methods=["GET"],
        operation_id="certificate",
        tags=["views"],
        response_model=Certificate,
        responses=error_responses(400, 401, 403, 422, 503),
    )


def _view(loop: ClosedLoop, name: str, actor: Authenticator) -> Callable[..., Any]:
    def view(
        who: Annotated[Actor, Depends(actor)],
        period: PeriodText = None,
        scope: ScopeText = None,
        as_of: StoreAsOf = None,
    ) -> JSONResponse:
        loop.authorise_reading(who)
        when = parse_as_of(as_of, "as_of")
        return JSONResponse(jsonable(loop.evaluation(name, period=period, scope=scope, as_of=when)))

    view.__doc__ = f"The {name} view of the period and scope (as `closedloop view {name}`)."
    return view
