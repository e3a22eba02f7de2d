"""Every error to its HTTP status and JSON body, in one place.

The body is the error's own ``to_dict()`` (the CLI's ``--json`` shape): ``{"error",
"message"}``, plus ``"rule"`` for a rule violation and ``"errors"`` for invalid input.
Requests FastAPI itself rejects (malformed JSON, wrong types, unknown routes) get the
same shape, so a client's mistake is never a 500.
"""

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from closedloop.adapters.http.keys import Unauthenticated
from closedloop.adapters.jsonable import jsonable
from closedloop.application.inputs import invalid_input
from closedloop.domain.errors import (
    ClosedLoopError,
    ConcurrencyConflict,
    InvalidInput,
    NotAuthorised,
    NotFound,
    RuleViolation,
    StoreUnavailable,
)

STATUS: dict[type[ClosedLoopError], int] = {
    RuleViolation: 400,
    Unauthenticated: 401,
    NotAuthorised: 403,
    NotFound: 404,
    ConcurrencyConflict: 409,
    InvalidInput: 422,
    StoreUnavailable: 503,
}
#: Kinds for the statuses the framework raises on its own (unknown route, wrong method …).
_FRAMEWORK_KINDS = {401: "unauthenticated", 404: "not_found", 405: "method_not_allowed"}


class Problem(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    """What every refusal returns."""

    error: str
    message: str
    rule: str | None = None
    errors: list[Problem] | None = None


_ABOUT = {
    400: "a business rule refused the command (`rule` names it)",
    401: "no API key, or an unknown one",
    403: "the actor's roles lack the permission (R-G2)",
    404: "no such record, command or route",
    409: "another writer changed the record first, or it already exists",
    422: "malformed input (`errors` says which fields)",
    503: "the event store is unavailable; nothing was written",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these statuses (all of them when none is given)."""
    return {
        status: {"model": ErrorBody, "description": _ABOUT[status]}
        for status in statuses or tuple(_ABOUT)
    }


def status_of(error: ClosedLoopError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400  # any other ClosedLoopError is still the client's doing


def error_response(error: ClosedLoopError) -> JSONResponse:
    status = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(jsonable(error.to_dict()), status_code=status, headers=headers)


def response_to(error: ClosedLoopError | PersistenceError) -> JSONResponse:
    """A refusal's answer; a store's failure is ``StoreUnavailable`` (503)."""
    if isinstance(error, PersistenceError):
        return error_response(StoreUnavailable(f"the store failed: {error}"))
    return error_response(error)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ClosedLoopError)
    async def closedloop_error(request: Request, error: ClosedLoopError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        route = request.scope.get("route")
        what = getattr(route, "name", None) or request.url.path
        return error_response(invalid_input(what, _located(error.errors())))

    @app.exception_handler(HTTPException)
    async def framework_error(request: Request, error: HTTPException) -> JSONResponse:
        kind = _FRAMEWORK_KINDS.get(error.status_code, "invalid_input")
        body = {"error": kind, "message": f"{request.method} {request.url.path}: {error.detail}"}
        return JSONResponse(body, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(PersistenceError)
    async def store_error(request: Request, error: PersistenceError) -> JSONResponse:
        return response_to(error)


def _located(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """The body's fields by their own names (``value``, not ``body.value``); malformed JSON
    said in words."""
    located = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "malformed")
            at = f" at position {loc[1]}" if len(loc) > 1 else ""
            located.append({"loc": (), "msg": f"not valid JSON: {reason}{at}"})
        else:
            located.append({**error, "loc": loc[1:] if loc[:1] == ("body",) else loc})
    return located
