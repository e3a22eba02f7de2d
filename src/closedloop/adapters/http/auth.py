"""Who is calling: the API key of ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``.

Declared as FastAPI security schemes, so the OpenAPI document says how to authenticate.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from closedloop.adapters.http.keys import Keyring
from closedloop.domain.actor import Actor

#: What the routes depend on for the caller's actor.
Authenticator = Callable[..., Awaitable[Actor]]

_BEARER = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: KEY")


def authenticator(keyring: Keyring) -> Authenticator:
    """A dependency giving the request's actor (401 when the key is missing or unknown).

    Asynchronous because it never blocks (a hash and a lookup): FastAPI runs a plain
    function dependency in its thread pool, one more hand-off between threads per request.
    """

    async def authenticated(
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
        api_key: Annotated[str | None, Depends(_API_KEY)],
    ) -> Actor:
        return keyring.actor(_either(bearer, api_key))

    return authenticated


async def request_key(connection: HTTPConnection) -> str | None:
    """The key the security schemes read from ``connection``'s headers, or None (for a
    path that answers before FastAPI's dependencies run: ``fast``)."""
    return _either(await _BEARER(connection), await _API_KEY(connection))


def _either(bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> str | None:
    return bearer.credentials if bearer is not None else api_key
