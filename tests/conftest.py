"""Fixtures shared by every test: stores (memory, SQLite file, PostgreSQL), a clock, actors.

PostgreSQL tests run against 127.0.0.1:5432 (database ``test``, trust auth), each in a
schema of its own. Where that server is not reachable they skip with the reason, except
in CI (``CI=true``), where a missing server fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from closedloop import ClosedLoop, FixedClock

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        help="property tests walk much further: more and longer random command sequences",
    )


def postgres_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install closedloop[postgres])"
    try:
        psycopg.connect(PG_DSN).close()
    except psycopg.Error as error:
        return f"no PostgreSQL server on 127.0.0.1:5432 ({str(error).strip()[:80]})"
    return None


def require_postgres() -> None:
    reason = postgres_reason()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"{reason}; these tests run in CI")


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards; the store URL gets ``?schema=…``."""
    require_postgres()
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A store several instances or processes open at once (memory cannot be shared)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    return f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Each behavioural test runs once per store."""
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/closedloop.db"
    schema = request.getfixturevalue("pg_schema")
    return f"{PG_URL}?schema={schema}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock("2026-01-05T09:00:00+00:00")


@pytest.fixture
def loop(store_url: str, clock: FixedClock) -> Iterator[ClosedLoop]:
    with ClosedLoop(store_url, clock=clock) as instance:
        yield instance


@pytest.fixture
def mem_loop(clock: FixedClock) -> Iterator[ClosedLoop]:
    """In memory only: for rules whose storage is not the point."""
    with ClosedLoop("memory:", clock=clock) as instance:
        yield instance
