"""L8 against real databases: each of the four tamperings, done directly in the SQLite file
or the PostgreSQL tables, is detected and named by the first position it affected."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.store import open_store
from closedloop.domain.errors import AuditFailure
from closedloop.projections import audit
from closedloop.projections.audit_verify import verify
from tests.audit_tamper import POSTGRES, SQLITE, history, sqlite_path
from tests.conftest import PG_URL
from tests.in_process import InProcess

STEPS = ["approved", "rejected", "submitted", "approved"]
KINDS = ["modify", "delete", "insert", "swap"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, str]:
    """(store URL, what the tamperers open, backend name)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/tamper.db"
        return url, sqlite_path(url), "sqlite"
    schema = request.getfixturevalue("pg_schema")
    return f"{PG_URL}?schema={schema}", schema, "postgres"


def recorded(url: str) -> dict[str, object]:
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, STEPS)
        return loop.audit_verify()


@pytest.mark.parametrize("kind", KINDS)
def test_L8_tampering_with_stored_rows_is_detected_at_the_first_position_affected(
    backend: tuple[str, str, str], kind: str
) -> None:
    url, database, name = backend
    head = recorded(url)
    assert head["count"] == head["position"] == 15
    tamper = (SQLITE if name == "sqlite" else POSTGRES)[kind]
    first = tamper(database, 6, 9)
    with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as failure:
        loop.audit_verify()
    assert failure.value.position == first == 6
    assert failure.value.to_dict()["rule"] == "L8"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("position", [3, 4, 5, 6])
def test_L8_verify_pages_name_the_first_position_at_and_across_page_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, position: int
) -> None:
    """Verify reads a page of events and the trail's entries up to its last: a tampering at
    a page's first or last event, or in the next page, is named just the same."""
    monkeypatch.setattr(audit, "PAGE_SIZE", 3)
    url = f"sqlite:///{tmp_path}/paged.db"
    recorded(url)
    first = SQLITE[kind](sqlite_path(url), position, 9)
    with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as failure:
        loop.audit_verify()
    assert failure.value.position == first


def test_L8_the_last_event_deleted_is_detected(backend: tuple[str, str, str]) -> None:
    url, database, name = backend
    head = recorded(url)
    (SQLITE if name == "sqlite" else POSTGRES)["delete"](database, int(head["position"]), 0)
    with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as failure:
        loop.audit_verify()
    assert failure.value.position == head["position"]


@pytest.mark.postgres
def test_L8_the_chain_runs_over_gaps_in_postgres_positions(pg_schema: str) -> None:
    """A lost race spends a notification id: positions have gaps, the chain does not care."""
    import psycopg

    from tests.conftest import PG_DSN

    url = f"{PG_URL}?schema={pg_schema}"
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(url, clock=clock) as loop:
        history(loop, ["approved"])
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
                (f"{pg_schema}.closedloop_events",),
            )
        history(loop, ["draft"], first=2030)
        positions = [entry["position"] for entry in loop.audit_log()]
        result = loop.audit_verify()
    assert positions == [1, 2, 3, 4, 6, 7]
    assert result["count"] == 6
    assert result["position"] == 7


def test_L8_a_kept_digest_catches_a_trail_rewritten_to_match_tampered_events(
    tmp_path: Path,
) -> None:
    """Whoever can edit the events can also wipe the recorded chain so that it is derived
    again from the edited events; only a digest kept outside the store shows that."""
    url = f"sqlite:///{tmp_path}/rewritten.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, STEPS)
        kept = loop.audit_digest()
    path = sqlite_path(url)
    SQLITE["modify"](path, 6, 0)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DELETE FROM projection_rows")
        db.execute("DELETE FROM tracking WHERE application_name='closedloop:audit'")
    with ClosedLoop(url) as loop:
        assert loop.audit_verify()["count"] == 15  # the rewritten trail agrees with itself
        with pytest.raises(AuditFailure, match="the history the digest covers has changed"):
            loop.audit_verify(kept)


def test_L8_an_entry_edited_in_the_trail_itself_is_detected(tmp_path: Path) -> None:
    """The trail's entries are derived from the events: verify re-derives and compares them,
    so a forged actor in the trail's own table cannot pass for the truth."""
    url = f"sqlite:///{tmp_path}/edited.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, STEPS)
        loop.audit_verify()
    with closing(sqlite3.connect(sqlite_path(url))) as db, db:
        key = f"e:{4:020d}"
        (value,) = db.execute("SELECT value FROM projection_rows WHERE key=?", (key,)).fetchone()
        forged = value.replace('"actor":"zhao.cfo"', '"actor":"qian.audit"')
        assert forged != value
        db.execute("UPDATE projection_rows SET value=? WHERE key=?", (forged, key))
    with ClosedLoop(url) as loop, pytest.raises(AuditFailure, match="does not say") as failure:
        loop.audit_verify()
    assert failure.value.position == 4


def test_L8_what_a_session_wrote_is_chained_when_it_closes(
    backend: tuple[str, str, str],
) -> None:
    """No audit command ran: closing the store chained its events, so an edit made in the
    database afterwards is caught."""
    url, database, name = backend
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, STEPS)
    (SQLITE if name == "sqlite" else POSTGRES)["modify"](database, 6, 0)
    with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as failure:
        loop.audit_verify()
    assert failure.value.position == 6


@pytest.mark.parametrize("kind", KINDS)
def test_L8_a_rebuild_never_rewrites_the_trail_and_names_a_tampering_it_cannot_apply(
    backend: tuple[str, str, str], kind: str
) -> None:
    url, database, name = backend
    recorded(url)
    with ClosedLoop(url) as loop:
        trail = list(loop._views["audit"].scan("e:"))
    first = (SQLITE if name == "sqlite" else POSTGRES)[kind](database, 6, 9)
    with ClosedLoop(url) as loop:
        refused: AuditFailure | None = None
        try:  # a tampering the views can apply is left to audit verify to find
            loop.rebuild()
        except AuditFailure as failure:  # one they cannot is named where it begins
            refused = failure
        assert refused is None or refused.position == first
        assert list(loop._views["audit"].scan("e:"))[: len(trail)] == trail  # as recorded
        with pytest.raises(AuditFailure) as found:
            loop.audit_verify()
        assert found.value.position == first


@pytest.mark.parametrize("tampered", [None, 6, 10])
@pytest.mark.parametrize("parts", [2, 3, 5])
def test_L8_verify_in_parts_says_what_one_walk_says_with_a_kept_digest_too(
    tmp_path: Path, tampered: int | None, parts: int
) -> None:
    url = f"sqlite:///{tmp_path}/parts.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, STEPS[:2])
        kept = loop.audit_digest()
        history(loop, STEPS[2:], first=2030)
        loop.audit_verify()
    assert 1 < kept["position"] < 15
    if tampered is not None:
        SQLITE["modify"](sqlite_path(url), tampered, 0)
    in_parts = InProcess(url, open_store, parts)
    with ClosedLoop(url) as loop:
        trail = loop._views["audit"]
        for digest in (None, kept, {**kept, "hash": "0" * 64}):
            try:
                said: object = verify(trail, digest)
            except AuditFailure as failure:
                said = str(failure)
            try:
                said_in_parts: object = verify(trail, digest, workers=in_parts)
            except AuditFailure as failure:
                said_in_parts = str(failure)
            assert said_in_parts == said


def test_L8_verify_in_worker_processes_names_the_first_position_as_one_walk(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/workers.db"
    head = recorded(url)
    with ClosedLoop(url) as loop:
        assert loop.audit_verify(workers=3) == head
    first = SQLITE["swap"](sqlite_path(url), 11, 4)
    with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as failure:
        loop.audit_verify(workers=2)
    assert failure.value.position == first == 4
