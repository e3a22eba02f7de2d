"""A fresh store for one benchmark run: a SQLite file in a temporary folder, or a new
PostgreSQL schema at 127.0.0.1:5432 (trust auth, database ``test``) dropped afterwards."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_store(kind: str) -> Iterator[str]:
    """The URL of a new, empty ``kind`` store ("sqlite" or "postgres"), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?schema={schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def postgres_missing() -> str | None:
    """Why the PostgreSQL runs cannot run here, or None."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install closedloop[postgres])"
    try:
        psycopg.connect(PG_DSN).close()
    except psycopg.Error as error:
        return f"no PostgreSQL on 127.0.0.1:5432 ({str(error).strip()[:60]})"
    return None
