"""One setting selects the store: ``memory:``, ``sqlite:///path.db`` or ``postgresql://…``.

The URL is mapped onto the `eventsourcing` library's own environment variables; the
library's persistence modules do all the storing. The URL is the whole configuration:
the application ignores stray library variables in ``os.environ`` (see ``EventStoreApp``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit
from uuid import uuid4

from eventsourcing.persistence import PersistenceError

from closedloop.application import sqlite_ids
from closedloop.application.store import EventStoreApp, creating_tables
from closedloop.domain.errors import InvalidInput, StoreUnavailable

DEFAULT_STORE = "sqlite:///closedloop.db"
STORE_VARIABLE = "CLOSEDLOOP_STORE"
FORMS = "memory:, sqlite:///PATH or postgresql://USER@HOST:PORT/DB"

#: Aggregates kept in memory between commands. A cached aggregate is brought up to date
#: from the store before each use ("fast-forward"), so other processes' writes are seen.
CACHE = {"AGGREGATE_CACHE_MAXSIZE": "1000", "AGGREGATE_CACHE_FASTFORWARD": "y"}

#: ``postgres_range.PostgresRangeRecorder``'s topic, named here as text: importing it needs
#: psycopg (an extra).
POSTGRES_RECORDER_TOPIC = "closedloop.application.postgres_range:PostgresRangeRecorder"


def store_url(explicit: str | None = None) -> str:
    """The explicit URL, else ``$CLOSEDLOOP_STORE``, else ``sqlite:///closedloop.db``."""
    return explicit or os.environ.get(STORE_VARIABLE) or DEFAULT_STORE


def open_store(url: str) -> EventStoreApp:
    """The event store at ``url``.

    Raises ``InvalidInput`` for a malformed URL and ``StoreUnavailable`` for a store that
    cannot be opened, with the reason; no library or driver exception escapes.
    """
    env = store_env(url)
    try:
        return creating_tables(lambda: EventStoreApp(env=env))
    except (PersistenceError, OSError) as error:
        reason = _postgres_refusal(env) or str(error)
        raise StoreUnavailable(f"cannot open store {redacted(url)}: {reason}") from None


def store_env(url: str) -> dict[str, str]:
    """The complete `eventsourcing` environment for ``url``; ``InvalidInput`` if malformed."""
    if url in ("memory:", "memory://"):
        return {"PERSISTENCE_MODULE": "eventsourcing.popo", **CACHE}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": sqlite_ids.TOPIC,  # ids made once per aggregate
            **_sqlite(url, parts),
            **CACHE,
        }
    if parts.scheme in ("postgresql", "postgres"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,  # reads a range of ids
            **_postgres(url, parts),
            **CACHE,
        }
    raise InvalidInput(f"store {redacted(url)!r} is not {FORMS}")


def shared_by_processes(url: str) -> bool:
    """Whether other processes can open the store at ``url`` (not one held in memory)."""
    env = store_env(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.popo":
        return False
    return "mode=memory" not in env.get("SQLITE_DBNAME", "")


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _sqlite(url: str, parts: SplitResult) -> dict[str, str]:
    if parts.netloc:
        raise InvalidInput(
            f"store {url!r}: a SQLite URL has three slashes before a relative path "
            "(sqlite:///data/loop.db) and four before an absolute one (sqlite:////srv/loop.db)"
        )
    if parts.query:
        raise InvalidInput(f"store {url!r}: SQLite takes no options ({parts.query})")
    # sqlite:///relative.db -> "/relative.db"; sqlite:////abs/path.db -> "//abs/path.db"
    name = unquote(parts.path[1:])
    if not name:
        raise InvalidInput(f"store {url!r} names no file (sqlite:///closedloop.db)")
    if name == ":memory:":
        # Every pooled connection must see the same in-memory database (STYLE.md pitfall).
        return {"SQLITE_DBNAME": f"file:closedloop-{uuid4().hex}?mode=memory&cache=shared"}
    file = Path(name)
    if not file.parent.is_dir():
        raise InvalidInput(f"store {url!r}: folder {file.parent} does not exist")
    # Absolute, so connections opened later by other threads find the same file even if
    # the working directory has changed meanwhile.
    return {"SQLITE_DBNAME": str(file.resolve()), "SQLITE_LOCK_TIMEOUT": "30"}


def _postgres(url: str, parts: SplitResult) -> dict[str, str]:
    shown = redacted(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query, True).items()}
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise InvalidInput(f"store {shown!r} names no database ({FORMS})")
    try:
        port = parts.port or 5432
    except ValueError:
        raise InvalidInput(f"store {shown!r}: the port is not a number from 1 to 65535") from None
    env = {
        "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        # The library insists on a password even under trust authentication.
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": _seconds(shown, query.pop("connect_timeout", "5")),
        # One connection held open per instance (the library's default holds five), more
        # on demand for threads: many embedding processes share the server's 100 or so.
        "POSTGRES_POOL_SIZE": "1",
    }
    if "schema" in query:
        schema = query.pop("schema")
        if not schema:
            raise InvalidInput(f"store {shown!r}: schema is empty")
        env["POSTGRES_SCHEMA"] = schema
    if query:
        raise InvalidInput(
            f"store {shown!r}: unknown options {sorted(query)}; known: schema, connect_timeout"
        )
    if not all(importlib.util.find_spec(driver) for driver in ("psycopg", "psycopg_pool")):
        raise StoreUnavailable(
            f"store {shown!r} needs the PostgreSQL driver: pip install 'closedloop[postgres]'"
        )
    return env


def _seconds(url: str, text: str) -> str:
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(
            f"store {url!r}: connect_timeout must be whole seconds ≥ 1, not {text!r}"
        )
    return text


def _postgres_refusal(env: dict[str, str]) -> str | None:
    """Why the PostgreSQL server refuses a connection; None if it accepts one.

    The library's pool reports only a timeout ("couldn't get a connection after 5.00 sec"),
    so one direct connection asks the server for its reason.
    """
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        return None
    import psycopg

    try:
        psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=env["POSTGRES_CONNECT_TIMEOUT"],
        ).close()
    except psycopg.Error as refused:
        return " ".join(str(refused).split())
    return None
