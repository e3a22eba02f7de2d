"""One setting selects the store: ``memory:``, ``sqlite:///path.db`` or ``postgresql://…``.

The URL is mapped onto the `eventsourcing` library's own environment variables; the
library's persistence modules do all the storing.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import uuid4

from closedloop.domain.errors import InvalidInput

DEFAULT_STORE = "sqlite:///closedloop.db"
STORE_VARIABLE = "CLOSEDLOOP_STORE"


def store_url(explicit: str | None = None) -> str:
    """The explicit URL, else ``$CLOSEDLOOP_STORE``, else ``sqlite:///closedloop.db``."""
    return explicit or os.environ.get(STORE_VARIABLE) or DEFAULT_STORE


def store_env(url: str) -> dict[str, str]:
    """The `eventsourcing` environment for ``url``."""
    if url in ("memory:", "memory://"):
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", **_sqlite(url, parts.path)}
    if parts.scheme in ("postgresql", "postgres"):
        return {"PERSISTENCE_MODULE": "eventsourcing.postgres", **_postgres(url)}
    raise InvalidInput(
        f"store {url!r} is not memory:, sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )


def _sqlite(url: str, path: str) -> dict[str, str]:
    # sqlite:///relative.db -> "/relative.db"; sqlite:////abs/path.db -> "//abs/path.db"
    name = unquote(path[1:]) if path.startswith("/") else unquote(path)
    if name in ("", ":memory:"):
        # Every pooled connection must see the same in-memory database (STYLE.md pitfall).
        return {"SQLITE_DBNAME": f"file:closedloop-{uuid4().hex}?mode=memory&cache=shared"}
    file = Path(name)
    if not file.parent.exists():
        raise InvalidInput(f"store {url!r}: folder {file.parent} does not exist")
    return {"SQLITE_DBNAME": str(file), "SQLITE_LOCK_TIMEOUT": "30"}


def _postgres(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise InvalidInput(f"store {url!r} names no database")
    env = {
        "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        # The library insists on a password even under trust authentication.
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": query.pop("connect_timeout", "5"),
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query.pop("schema")
    if query:
        raise InvalidInput(
            f"store {url!r}: unknown options {sorted(query)}; known: schema, connect_timeout"
        )
    return env
