"""Request bodies read with exact numbers: ``1200.50`` arrives as ``Decimal("1200.50")``.

FastAPI parses JSON bodies with floats by default, which the money inputs refuse as
inexact; batch files read numbers exactly, and so does this route class.
"""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _no_constant(name: str) -> NoReturn:
    raise json.JSONDecodeError(f"{name} is not a number (amounts are exact decimals)", name, 0)


def exact_json(body: bytes) -> Any:
    """``body`` parsed with every number exact (``JSONDecodeError`` when malformed)."""
    return json.loads(body, parse_float=Decimal, parse_constant=_no_constant)


class ExactRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = exact_json(await self.body())
        return self._json


class ExactRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_handler(request: Request) -> Response:
            return await handler(ExactRequest(request.scope, request.receive))

        return exact_handler
