"""Personal data: encrypted at rest per customer, read by ``pii_reader`` only and audited
(R-C1); erased by destroying the key, leaving history provable and nothing readable (R-C2)."""

from __future__ import annotations

import base64
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, PersistenceError

from closedloop import (
    ClosedLoop,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    RuleViolation,
    StoreUnavailable,
)
from closedloop.adapters.jsonable import to_json
from closedloop.application.personal_data import (
    MASTER_KEY_VARIABLE,
    TABLE,
    MemoryKeys,
    PersonalData,
)
from closedloop.domain.customer import Customer
from closedloop.domain.ids import aggregate_id
from tests.cast import AUDITOR, CEO, LI
from tests.customer_scenario import NAME, PHONE, PII, buy, contact, read, register

EMAIL = "zhang.wei@example.cn"


def stored_bytes(loop: ClosedLoop) -> bytes:
    """Every stored event's bytes, as the recorder holds them."""
    notifications = loop._store.recorder.select_notifications(start=1, limit=100_000)
    return b"".join(n.state for n in notifications)


def file_bytes(db: Path) -> bytes:
    """The SQLite database file and its write-ahead log, as anyone copying them gets them."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def key_row(db: Path, ref: str = "C-1") -> bytes | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            f"SELECT key FROM {TABLE} WHERE customer_id = ?",
            (str(aggregate_id(Customer.KIND, ref)),),
        ).fetchone()
    return bytes(row[0]) if row else None


def erase(loop: ClosedLoop, ref: str = "C-1", actor: Any = CEO) -> dict[str, Any]:
    return loop.execute("customer.erase", actor, {"customer": ref, "reason": "DSR-2026-014"})


# --- R-C1 personal data ------------------------------------------------------------------------


def test_R_C1_personal_fields_reach_the_event_store_only_as_ciphertext(loop: ClosedLoop) -> None:
    register(loop, email=EMAIL, address="北京市朝阳区")
    loop.execute("customer.update_profile", LI, {"customer": "C-1", "phone": "13900139000"})
    stored = stored_bytes(loop)
    assert b"C-1" in stored  # the events are there
    for value in (PHONE, "13900139000", NAME, EMAIL, "北京市朝阳区"):
        assert value.encode() not in stored
        assert value.encode("unicode_escape") not in stored
    assert read(loop)["fields"]["phone"] == "13900139000"


def test_R_C1_only_a_pii_reader_reads_personal_data_and_every_read_is_recorded(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    register(loop)
    for actor in (LI, AUDITOR, CEO):
        with pytest.raises(NotAuthorised, match="R-G2"):
            read(loop, actor=actor)
    with pytest.raises(RuleViolation, match="R-C1"):
        loop.execute("customer.read_personal_data", PII, {"customer": "C-1", "reason": " "})
    at = clock.advance(hours=2)
    result = read(loop)
    assert (result["erased"], result["fields"]["name"], result["fields"]["email"]) == (
        False,
        NAME,
        None,
    )
    reads = loop.customer("C-1")["personal_data_reads"]
    assert reads == [
        {
            "by": "he.dpo",
            "at": at,
            "reason": "call back about order O-1",
            "fields": ["name", "phone", "email", "wechat", "birthday", "address"],
        }
    ]


def test_R_C1_views_never_show_personal_data(mem_loop: ClosedLoop) -> None:
    register(mem_loop, email=EMAIL, birthday="1990-05-01")
    shown = to_json([mem_loop.customer("C-1"), mem_loop.customers(), mem_loop.customer_quality()])
    for value in (PHONE, NAME, EMAIL, "1990-05-01"):
        assert value not in shown
    fields = mem_loop.customer("C-1")["personal_fields"]
    assert fields == {
        "name": "held",
        "phone": "held",
        "email": "held",
        "wechat": None,
        "birthday": "held",
        "address": None,
    }


def test_R_C1_each_customer_has_a_key_of_their_own(mem_loop: ClosedLoop) -> None:
    register(mem_loop, "C-1")
    register(mem_loop, "C-2")
    service = PersonalData.of(mem_loop._store)
    one, two = (mem_loop.reader().get(Customer, ref) for ref in ("C-1", "C-2"))
    assert service.keys.get(one.id) != service.keys.get(two.id)
    assert one.personal["phone"] != two.personal["phone"]  # same phone, other ciphertext
    with pytest.raises(StoreUnavailable, match="does not open"):
        service.unseal(two.id, {"phone": one.personal["phone"]})  # bound to its customer


def test_R_C1_when_two_writers_make_a_customers_key_the_first_stored_wins() -> None:
    """The loser's save fails as a lost race (IntegrityError: the command is retried) and
    its next seal uses the stored key, so nothing is ever sealed under a key not kept."""
    table = MemoryKeys()
    first, second = PersonalData(table), PersonalData(table)
    customer_id = uuid4()
    lost = first.seal(customer_id, {"phone": PHONE})
    won = second.seal(customer_id, {"phone": PHONE})
    second.save_keys()
    with pytest.raises(IntegrityError):
        first.save_keys()
    with pytest.raises(StoreUnavailable, match="does not open"):
        first.unseal(customer_id, lost)
    assert first.unseal(customer_id, won) == {"phone": PHONE}
    retried = first.seal(customer_id, {"phone": PHONE})
    first.save_keys()
    assert second.unseal(customer_id, retried) == {"phone": PHONE}


def test_R_C1_a_master_key_wraps_the_data_keys(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/loop.db"
    master = base64.b64encode(b"m" * 32).decode()
    monkeypatch.setenv(MASTER_KEY_VARIABLE, master)
    with ClosedLoop(url, clock=clock) as loop:
        register(loop)
    assert (key_row(tmp_path / "loop.db") or b"")[:1] == b"W"  # wrapped, not the key itself
    monkeypatch.delenv(MASTER_KEY_VARIABLE)
    with (
        ClosedLoop(url, clock=clock) as loop,
        pytest.raises(StoreUnavailable, match=MASTER_KEY_VARIABLE),
    ):
        read(loop)
    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(b"x" * 32).decode())
    with (
        ClosedLoop(url, clock=clock) as loop,
        pytest.raises(StoreUnavailable, match="not the master"),
    ):
        read(loop)
    monkeypatch.setenv(MASTER_KEY_VARIABLE, master)
    with ClosedLoop(url, clock=clock) as loop:
        assert read(loop)["fields"]["phone"] == PHONE
    monkeypatch.setenv(MASTER_KEY_VARIABLE, "c2hvcnQ=")
    with pytest.raises(InvalidInput, match="32 bytes"):
        ClosedLoop(url, clock=clock)  # refused when the store is opened


def test_R_C1_the_key_table_is_made_beside_the_events_when_the_store_is_opened(
    tmp_path: Path,
) -> None:
    db = tmp_path / "loop.db"
    with ClosedLoop(f"sqlite:///{db}"), sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"stored_events", TABLE} <= tables


# --- R-C2 erasure ------------------------------------------------------------------------------


def test_R_C2_after_erasure_nothing_personal_is_left_in_the_sqlite_file(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = tmp_path / "loop.db"
    with ClosedLoop(f"sqlite:///{db}", clock=clock) as loop:
        register(loop)
        buy(loop)
        key = key_row(db)
        assert key is not None
        assert key in file_bytes(db)  # the data key is in the file, the phone never is
        assert PHONE.encode() not in file_bytes(db)
        erase(loop)
        assert key_row(db) is None
        assert key not in file_bytes(db)
        assert key[1:] not in file_bytes(db)
        assert PHONE.encode() not in file_bytes(db)
    with ClosedLoop(f"sqlite:///{db}", clock=clock) as loop:
        assert read(loop)["fields"] == dict.fromkeys(read(loop)["fields"], "erased")
        view = loop.customer("C-1")
        assert (view["personal_data"], view["purchases"], view["points"]["balance"]) == (
            "erased",
            1,
            1000,
        )
        assert loop.customer("C-1", as_of=1)["personal_data"] == "held"  # history replays


def test_R_C2_erasure_destroys_the_key_and_keeps_what_is_not_personal(loop: ClosedLoop) -> None:
    register(loop, consents=[{"channel": "sms", "purpose": "care", "source": "form"}])
    buy(loop)
    with pytest.raises(NotAuthorised, match="R-G2"):
        erase(loop, actor=LI)
    before = loop.position()
    with pytest.raises(InvalidInput, match="reason"):
        loop.execute("customer.erase", CEO, {"customer": "C-1"})
    assert loop.position() == before
    erase(loop)
    customer = loop.reader().get(Customer, "C-1")
    assert PersonalData.of(loop._store).keys.get(customer.id) is None
    assert customer.personal == {}
    assert read(loop)["erased"] is True
    with pytest.raises(RuleViolation, match="R-C2"):
        contact(loop, "C-1", "birthday_greeting", "sms")
    with pytest.raises(RuleViolation, match="R-C2"):
        loop.execute("customer.update_profile", LI, {"customer": "C-1", "phone": PHONE})
    with pytest.raises(RuleViolation, match="R-C2"):
        erase(loop)
    loop.execute("customer.update_profile", LI, {"customer": "C-1", "source": "dealer"})
    assert buy(loop, order="O-2")["points"] == 2000  # purchases and points stay usable


def test_R_C1_processes_opening_a_new_postgres_schema_at_once_both_get_the_key_table() -> None:
    """Concurrent ``CREATE TABLE IF NOT EXISTS`` can fail in PostgreSQL; it is tried again."""
    pytest.importorskip("psycopg")
    from closedloop.application.personal_data import PostgresKeys

    class Racing:
        schema = "public"
        attempts = 0

        @contextlib.contextmanager
        def transaction(self, *, commit: bool) -> Iterator[Any]:
            self.attempts += 1
            if self.attempts == 1:
                raise PersistenceError("tuple concurrently updated")
            yield SimpleNamespace(execute=lambda statement: None)

    racing = Racing()
    PostgresKeys(racing)
    assert racing.attempts == 2
