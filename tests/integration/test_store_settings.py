"""One setting selects the store: every URL form, the defaults, and clear refusals."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from closedloop import ClosedLoop, InvalidInput, StoreUnavailable
from closedloop.adapters.store import open_store, redacted, store_env
from closedloop.domain.target import Target
from tests.cast import LI
from tests.conftest import PG_DSN, PG_URL
from tests.scenario import approved_revenue_target


def record(loop: ClosedLoop, value: str) -> None:
    loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": value, "as_of": "2026-01-31", "source": "ERP"},
    )


def measurements(loop: ClosedLoop) -> list[str]:
    return [str(m.value) for m in loop.reader().get(Target, "REV-2026").measurements]


# --- each URL form ----------------------------------------------------------------------------


def test_memory_store_uses_the_librarys_in_memory_recorder() -> None:
    with ClosedLoop("memory:") as loop:
        approved_revenue_target(loop)
        assert isinstance(loop._store.recorder, POPOApplicationRecorder)
        assert loop.reader().get(Target, "REV-2026").status == "approved"


def test_relative_sqlite_path_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with ClosedLoop("sqlite:///relative.db") as loop:
        approved_revenue_target(loop)
        assert isinstance(loop._store.recorder, SQLiteApplicationRecorder)
    assert (tmp_path / "relative.db").stat().st_size > 0


def test_relative_sqlite_path_is_fixed_when_opened_so_a_later_chdir_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with ClosedLoop("sqlite:///relative.db") as loop:
        approved_revenue_target(loop)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        worker = threading.Thread(target=record, args=(loop, "100"))  # a new connection
        worker.start()
        worker.join()
        assert measurements(loop) == ["100"]
    assert not (elsewhere / "relative.db").exists()


def test_absolute_sqlite_path_has_four_slashes(tmp_path: Path) -> None:
    path = tmp_path / "absolute.db"
    with ClosedLoop(f"sqlite:///{path}") as loop:
        assert str(path).startswith("/")  # so the URL reads sqlite:////tmp/…
        approved_revenue_target(loop)
    assert path.stat().st_size > 0


def test_sqlite_in_memory_is_one_database_shared_by_every_thread() -> None:
    with ClosedLoop("sqlite:///:memory:") as loop:
        assert isinstance(loop._store.recorder, SQLiteApplicationRecorder)
        approved_revenue_target(loop)
        worker = threading.Thread(target=record, args=(loop, "100"))
        worker.start()
        worker.join()
        assert measurements(loop) == ["100"]


def test_two_sqlite_in_memory_stores_are_separate() -> None:
    with ClosedLoop("sqlite:///:memory:") as first, ClosedLoop("sqlite:///:memory:") as second:
        approved_revenue_target(first)
        assert second.position() == 0


@pytest.mark.postgres
def test_postgresql_url_with_schema_keeps_the_tables_in_that_schema(pg_schema: str) -> None:
    import psycopg
    from eventsourcing.postgres import PostgresApplicationRecorder

    with ClosedLoop(f"{PG_URL}?schema={pg_schema}") as loop:
        assert isinstance(loop._store.recorder, PostgresApplicationRecorder)
        approved_revenue_target(loop)
    with psycopg.connect(PG_DSN) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (pg_schema,),
        ).fetchall()
    assert ("closedloop_events",) in tables


def test_closedloop_store_variable_is_used_when_no_url_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSEDLOOP_STORE", f"sqlite:///{tmp_path}/from-env.db")
    with ClosedLoop() as loop:
        approved_revenue_target(loop)
    assert (tmp_path / "from-env.db").exists()


def test_an_explicit_url_wins_over_the_store_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSEDLOOP_STORE", f"sqlite:///{tmp_path}/from-env.db")
    with ClosedLoop("memory:") as loop:
        approved_revenue_target(loop)
    assert not (tmp_path / "from-env.db").exists()


def test_default_store_is_closedloop_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOSEDLOOP_STORE", raising=False)
    with ClosedLoop() as loop:
        assert loop.store_url == "sqlite:///closedloop.db"
        approved_revenue_target(loop)
    assert (tmp_path / "closedloop.db").stat().st_size > 0


# --- the URL is the whole configuration -------------------------------------------------------


@pytest.mark.parametrize("variable", ["PERSISTENCE_MODULE", "CLOSEDLOOP_PERSISTENCE_MODULE"])
def test_a_stray_library_variable_does_not_override_the_url(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "eventsourcing.popo")
    monkeypatch.setenv("CLOSEDLOOP_SQLITE_DBNAME", str(tmp_path / "stray.db"))
    with ClosedLoop(f"sqlite:///{tmp_path}/chosen.db") as loop:
        assert isinstance(loop._store.recorder, SQLiteApplicationRecorder)
        approved_revenue_target(loop)
    assert (tmp_path / "chosen.db").exists()
    assert not (tmp_path / "stray.db").exists()


@pytest.mark.postgres
def test_a_stray_postgres_schema_variable_does_not_move_the_tables(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTGRES_SCHEMA", "no_such_schema")
    monkeypatch.setenv("CLOSEDLOOP_POSTGRES_SCHEMA", "no_such_schema")
    with ClosedLoop(f"{PG_URL}?schema={pg_schema}") as loop:
        approved_revenue_target(loop)
        assert loop.position() > 0


def test_store_env_is_complete_and_takes_nothing_from_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed")
    monkeypatch.setenv("POSTGRES_SCHEMA", "stray")
    env = store_env("postgresql://postgres@127.0.0.1:5432/test")
    assert "POSTGRES_SCHEMA" not in env
    assert env["POSTGRES_PASSWORD"] == ""  # the library requires one, even with trust auth
    assert env["AGGREGATE_CACHE_FASTFORWARD"] == "y"  # the cache catches up with the store


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/loop", "is not memory:, sqlite:///PATH or postgresql://"),
        ("closedloop.db", "is not memory:, sqlite:///PATH or postgresql://"),
        ("memory:extra", "is not memory:"),
        ("sqlite:///no/such/folder/loop.db", "folder no/such/folder does not exist"),
        ("sqlite://loop.db", "three slashes before a relative path"),
        ("sqlite:///", "names no file"),
        ("sqlite:///loop.db?mode=ro", "SQLite takes no options"),
        ("postgresql://postgres@127.0.0.1:5432", "names no database"),
        ("postgresql://postgres@127.0.0.1:5432/", "names no database"),
        ("postgresql://postgres@127.0.0.1:port/test", "the port is not a number"),
        ("postgresql://postgres@127.0.0.1:99999/test", "the port is not a number"),
        ("postgresql://postgres@127.0.0.1/test?sslmode=require", "unknown options ['sslmode']"),
        ("postgresql://postgres@127.0.0.1/test?schema=", "schema is empty"),
        ("postgresql://postgres@127.0.0.1/test?connect_timeout=soon", "whole seconds"),
        ("postgresql://postgres@127.0.0.1/test?connect_timeout=0", "whole seconds"),
    ],
)
def test_a_malformed_url_is_invalid_input_naming_the_problem(
    url: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput) as error:
        ClosedLoop(url)
    assert message in str(error.value)
    assert not list(tmp_path.iterdir())  # nothing created


def test_a_password_never_appears_in_an_error() -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:5432/test?sslmode=require"
    with pytest.raises(InvalidInput) as error:
        ClosedLoop(url)
    assert "s3cret" not in str(error.value)
    assert "postgres:***@127.0.0.1" in str(error.value)
    assert redacted("postgresql://u@h/db") == "postgresql://u@h/db"


def test_postgresql_without_the_driver_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    with pytest.raises(StoreUnavailable, match=r"pip install 'closedloop\[postgres\]'"):
        ClosedLoop(PG_URL)


def test_postgresql_on_a_closed_port_is_store_unavailable_within_the_connect_timeout() -> None:
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed")
    began = time.monotonic()
    with pytest.raises(StoreUnavailable) as error:
        ClosedLoop("postgresql://postgres:s3cret@127.0.0.1:1/test?connect_timeout=1")
    assert time.monotonic() - began < 4
    message = str(error.value)
    assert type(error.value) is StoreUnavailable  # no library or driver exception leaks
    assert "cannot open store postgresql://postgres:***@127.0.0.1:1/test" in message
    assert "Connection refused" in message
    assert "s3cret" not in message


@pytest.mark.postgres
def test_postgresql_refusal_names_the_servers_reason(pg_schema: str) -> None:
    with pytest.raises(StoreUnavailable, match='database "no_such_db" does not exist'):
        open_store("postgresql://postgres@127.0.0.1:5432/no_such_db?connect_timeout=1")
    with pytest.raises(StoreUnavailable, match='schema "no_such_schema" does not exist'):
        open_store(f"{PG_URL}?schema=no_such_schema")


def test_a_sqlite_path_that_is_a_folder_is_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="unable to open database file") as error:
        ClosedLoop(f"sqlite:///{tmp_path}")
    assert type(error.value) is StoreUnavailable


@pytest.mark.postgres
def test_processes_opening_a_fresh_postgres_store_at_once_all_open_it(pg_schema: str) -> None:
    """Every opener creates the tables if they do not exist — the events' on opening, the
    views' when closing catches the audit trail up; PostgreSQL may refuse those that lose the
    race ("tuple concurrently updated", a duplicate type): they try again instead of failing."""
    url = f"{PG_URL}?schema={pg_schema}"
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            with ClosedLoop(url) as loop:
                loop.position()
        except BaseException as error:
            failures.append(error)

    openers = [threading.Thread(target=open_it) for _ in range(6)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=60)
    assert failures == []
