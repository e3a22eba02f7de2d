"""``POST /commands/{name}``: one route per catalogue command, made when the app is built.

Each route's body is its command's own input model, so the OpenAPI document carries every
command's schema, and a command added to the catalogue appears here with no change.
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from closedloop.adapters.http.auth import Authenticator
from closedloop.adapters.http.errors import error_responses
from closedloop.adapters.jsonable import jsonable
from closedloop.api import ClosedLoop
from closedloop.application.catalogue import Command
from closedloop.application.inputs import Input
from closedloop.domain.actor import Actor

ExpectedVersion = Annotated[
    int | None,
    Query(ge=0, description="the version you saw; if it moved on: 409 instead of a retry"),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="your id for this request: a retry returns the first result",
    ),
]


class CommandInfo(BaseModel):
    name: str
    permission: str
    summary: str


def add_command_routes(app: FastAPI, loop: ClosedLoop, actor: Authenticator) -> None:
    for command in loop.commands():
        app.add_api_route(
            f"/commands/{command.name}",
            _endpoint(loop, command, actor),
            methods=["POST"],
            name=command.name,
            operation_id=command.name,
            summary=command.summary,
            description=f"Needs the permission `{command.permission}` (R-G2).",
            tags=[command.name.split(".")[0]],
            response_model=dict[str, Any],
            responses=error_responses(),
            openapi_extra={"x-permission": command.permission},
        )

    def commands(who: Annotated[Actor, Depends(actor)]) -> list[CommandInfo]:
        """Every command: its name, the permission it needs and what it does."""
        loop.authorise_reading(who)
        return [
            CommandInfo(name=c.name, permission=c.permission, summary=c.summary)
            for c in loop.commands()
        ]

    app.add_api_route(
        "/commands",
        commands,
        methods=["GET"],
        operation_id="commands",
        tags=["commands"],
        responses=error_responses(401, 403, 503),
    )


def _endpoint(loop: ClosedLoop, command: Command, actor: Authenticator) -> Callable[..., Any]:
    def run(
        args: Input,
        who: Annotated[Actor, Depends(actor)],
        expected_version: ExpectedVersion = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        return answer(loop, command, who, args, expected_version, idempotency_key)

    signature = inspect.signature(run)
    body = signature.parameters["args"].replace(annotation=command.input)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[body, *list(signature.parameters.values())[1:]]
    )
    run.__doc__ = command.summary
    return run


def answer(
    loop: ClosedLoop,
    command: Command,
    who: Actor,
    args: Input,
    expected_version: int | None,
    idempotency_key: str | None,
) -> JSONResponse:
    """A command's answer, through its route or the fast path (``fast``): its result as
    JSON; a refusal raises, for the app's error handlers."""
    result = loop.execute(
        command.name, who, args, expected_version=expected_version, request_id=idempotency_key
    )
    return JSONResponse(jsonable(result))
