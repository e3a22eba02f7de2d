"""``GET`` routes for the queries of ``ClosedLoop``, driven by two small tables.

A kind maps to its one-record and its list query (``/plans/{ref}``, ``/plans``): a new kind
(customers, risks …) is one line in ``KINDS``. A query's own parameters become the route's
(``ref`` and ``year`` from the path, filters such as ``overdue`` or ``search`` from the query
string), and ``as_of`` is read as a version number or an ISO time, as the CLI reads it.
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from fastapi.responses import JSONResponse

from closedloop.adapters.http.auth import Authenticator
from closedloop.adapters.http.errors import error_responses
from closedloop.adapters.jsonable import jsonable
from closedloop.api import ClosedLoop
from closedloop.application.reader import parse_as_of
from closedloop.domain.actor import Actor

QueryMethod = Callable[..., Any]

#: path → (one record by ``ref``, every record); ``None`` when the list lives in ``ROUTES``.
KINDS: dict[str, tuple[QueryMethod, QueryMethod | None]] = {
    "targets": (ClosedLoop.target, ClosedLoop.targets),
    "plans": (ClosedLoop.plan, ClosedLoop.plans),
    "research": (ClosedLoop.research, ClosedLoop.studies),
    "activities": (ClosedLoop.activity, ClosedLoop.activities),
    "reviews": (ClosedLoop.review, ClosedLoop.reviews),
    "rectifications": (ClosedLoop.rectification, ClosedLoop.rectifications),
    "customers": (ClosedLoop.customer, ClosedLoop.customers),
    "complaints": (ClosedLoop.complaint, ClosedLoop.complaints),
    "risks": (ClosedLoop.risk, ClosedLoop.risks),
}
#: Other queries, by path.
ROUTES: dict[str, QueryMethod] = {
    "/targets/{ref}/tree": ClosedLoop.target_tree,
    "/research-coverage/{year}": ClosedLoop.research_coverage,
    "/lessons": ClosedLoop.lessons,
    "/care-plan": ClosedLoop.care_plan,
    "/customer-quality": ClosedLoop.customer_quality,
    "/risk-heat-map": ClosedLoop.risk_heat_map,
    "/risk-late-reviews": ClosedLoop.late_risk_reviews,
    "/risk-acceptances-near-expiry": ClosedLoop.risk_acceptances_near_expiry,
}

AsOfText = Annotated[
    str | None,
    Query(
        description="as it was: a version number (of this record) or an ISO time (naive means UTC)",
        examples=["3", "2026-03-31T23:59:59Z"],
    ),
]


def routes() -> dict[str, QueryMethod]:
    table: dict[str, QueryMethod] = {}
    for kind, (one, every) in KINDS.items():
        if every is not None:
            table[f"/{kind}"] = every
        table[f"/{kind}/{{ref}}"] = one
    return {**table, **ROUTES}


def add_query_routes(app: FastAPI, loop: ClosedLoop, actor: Authenticator) -> None:
    for path, query in routes().items():
        signature = inspect.signature(query, eval_str=True)
        app.add_api_route(
            path,
            _endpoint(loop, query, signature, actor),
            methods=["GET"],
            name=query.__name__,
            operation_id=query.__name__,
            summary=(query.__doc__ or query.__name__).strip().splitlines()[0],
            tags=["queries"],
            response_model=signature.return_annotation,
            responses=error_responses(401, 403, 404, 422, 503),
        )


def _endpoint(
    loop: ClosedLoop,
    query: QueryMethod,
    signature: inspect.Signature,
    actor: Authenticator,
) -> Callable[..., Any]:
    def run(who: Actor, **arguments: Any) -> JSONResponse:
        loop.authorise_reading(who)
        if "as_of" in arguments:
            arguments["as_of"] = parse_as_of(arguments["as_of"], "as_of")
        return JSONResponse(jsonable(query(loop, **arguments)))

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("who", keyword, annotation=Annotated[Actor, Depends(actor)]),
        *(
            parameter.replace(kind=keyword, annotation=AsOfText, default=None)
            if name == "as_of"
            else parameter.replace(kind=keyword)
            for name, parameter in list(signature.parameters.items())[1:]  # not self
        ),
    ]
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return run
