"""A small history for the audit trail, and the four ways to tamper with stored rows (L8).

Each tamperer edits the database directly (sqlite3 / psycopg), the way someone with
access to the file or the server would, and returns the first position it affected.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from closedloop import ClosedLoop
from tests.cast import CEO, CFO, HEAD
from tests.conftest import PG_DSN
from tests.customer_scenario import buy, register
from tests.scenario import approved_revenue_target, draft_revenue_target

#: (database, position, other position) -> first position affected
Tamper = Callable[[str, int, int], int]


def history(loop: ClosedLoop, steps: list[str], first: int = 2026) -> None:
    """One target per step: ``draft``, ``submitted``, ``approved`` or ``rejected``; or one
    customer with sealed personal data and a purchase: ``customer``, or ``erased`` (its key
    destroyed, so its stored events stay sealed for good)."""
    for number, step in enumerate(steps):
        ref = f"REV-{first + number}"
        if step in ("customer", "erased"):
            register(loop, f"C-{first + number}")
            buy(loop, f"C-{first + number}", f"O-{first + number}")
            if step == "erased":
                args = {"customer": f"C-{first + number}", "reason": "DSR"}
                loop.execute("customer.erase", CEO, args)
            continue
        if step == "approved":
            approved_revenue_target(loop, ref)
            continue
        draft_revenue_target(loop, ref)
        if step in ("submitted", "rejected"):
            loop.execute("target.submit", HEAD, {"target": ref})
        if step == "rejected":
            loop.execute("target.reject", CFO, {"target": ref, "reason": "basis too thin"})


# --- SQLite: table stored_events, the position is the rowid ------------------------------------


@contextmanager
def _sqlite(path: str) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as db, db:
        yield db


def sqlite_modify(path: str, position: int, _: int = 0) -> int:
    with _sqlite(path) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE rowid=?", (position,)
        ).fetchone()
        db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (state + b" ", position))
    return position


def sqlite_flip(path: str, position: int, other: int) -> int:
    """One bit of the stored state changed, at a byte chosen by ``other``."""
    with _sqlite(path) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE rowid=?", (position,)
        ).fetchone()
        at = other % len(state)
        forged = state[:at] + bytes([state[at] ^ 1]) + state[at + 1 :]
        db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (forged, position))
    return position


def sqlite_retopic(path: str, position: int, _: int = 0) -> int:
    """The event's type changed: another stored event's topic, or one more character."""
    with _sqlite(path) as db:
        (topic,) = db.execute(
            "SELECT topic FROM stored_events WHERE rowid=?", (position,)
        ).fetchone()
        other = db.execute(
            "SELECT topic FROM stored_events WHERE topic<>? LIMIT 1", (topic,)
        ).fetchone()
        forged = other[0] if other is not None else f"{topic}x"
        db.execute("UPDATE stored_events SET topic=? WHERE rowid=?", (forged, position))
    return position


def sqlite_renumber(path: str, position: int, _: int = 0) -> int:
    """The event's version changed (to one its aggregate never had)."""
    with _sqlite(path) as db:
        db.execute(
            "UPDATE stored_events SET originator_version=originator_version+1000 WHERE rowid=?",
            (position,),
        )
    return position


def sqlite_reassign(path: str, position: int, _: int = 0) -> int:
    """The event moved to another aggregate."""
    with _sqlite(path) as db:
        db.execute(
            "UPDATE stored_events SET originator_id=? WHERE rowid=?", (uuid.uuid4().hex, position)
        )
    return position


def sqlite_delete(path: str, position: int, _: int = 0) -> int:
    with _sqlite(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid=?", (position,))
    return position


def sqlite_insert(path: str, position: int, _: int = 0) -> int:
    """A forged event at ``position``: the rows from there on move up by one."""
    with _sqlite(path) as db:
        later = db.execute(
            "SELECT rowid FROM stored_events WHERE rowid>=? ORDER BY rowid DESC", (position,)
        ).fetchall()
        for (rowid,) in later:
            db.execute("UPDATE stored_events SET rowid=? WHERE rowid=?", (rowid + 1, rowid))
        _, version, topic, state = db.execute(
            "SELECT * FROM stored_events WHERE rowid=?", (position + 1,)
        ).fetchone()
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            (position, uuid.uuid4().hex, version, topic, state),
        )
    return position


def sqlite_swap(path: str, position: int, other: int) -> int:
    with _sqlite(path) as db:
        db.execute("UPDATE stored_events SET rowid=-1 WHERE rowid=?", (position,))
        db.execute("UPDATE stored_events SET rowid=? WHERE rowid=?", (position, other))
        db.execute("UPDATE stored_events SET rowid=? WHERE rowid=-1", (other,))
    return min(position, other)


SQLITE: dict[str, Tamper] = {
    "modify": sqlite_modify,
    "flip": sqlite_flip,
    "retopic": sqlite_retopic,
    "renumber": sqlite_renumber,
    "reassign": sqlite_reassign,
    "delete": sqlite_delete,
    "insert": sqlite_insert,
    "swap": sqlite_swap,
}


def sqlite_path(url: str) -> str:
    return str(Path(url.removeprefix("sqlite:///")))


# --- PostgreSQL: table closedloop_events, the position is notification_id -----------------------


def _pg(schema: str, *statements: tuple[str, tuple[object, ...]]) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=False) as conn:
        for statement, params in statements:
            conn.execute(statement.format(t=f"{schema}.closedloop_events"), params)


def pg_modify(schema: str, position: int, _: int = 0) -> int:
    _pg(
        schema,
        ("UPDATE {t} SET state = state || '\\x20'::bytea WHERE notification_id=%s", (position,)),
    )
    return position


def pg_delete(schema: str, position: int, _: int = 0) -> int:
    _pg(schema, ("DELETE FROM {t} WHERE notification_id=%s", (position,)))
    return position


def pg_insert(schema: str, position: int, _: int = 0) -> int:
    _pg(
        schema,
        (
            "UPDATE {t} SET notification_id = -notification_id WHERE notification_id>=%s",
            (position,),
        ),
        ("UPDATE {t} SET notification_id = 1 - notification_id WHERE notification_id<0", ()),
        (
            "INSERT INTO {t} (originator_id, originator_version, topic, state, notification_id) "
            "SELECT %s, originator_version, topic, state, %s FROM {t} WHERE notification_id=%s",
            (uuid.uuid4(), position, position + 1),
        ),
    )
    return position


def pg_swap(schema: str, position: int, other: int) -> int:
    _pg(
        schema,
        ("UPDATE {t} SET notification_id=-1 WHERE notification_id=%s", (position,)),
        ("UPDATE {t} SET notification_id=%s WHERE notification_id=%s", (position, other)),
        ("UPDATE {t} SET notification_id=%s WHERE notification_id=-1", (other,)),
    )
    return min(position, other)


POSTGRES: dict[str, Tamper] = {
    "modify": pg_modify,
    "delete": pg_delete,
    "insert": pg_insert,
    "swap": pg_swap,
}
