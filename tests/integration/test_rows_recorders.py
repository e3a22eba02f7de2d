"""The library's own tracking-recorder test cases, run against each backend of the views'
rows (L7 rests on their tracking: a position is recorded once, never filled in behind), and
the rows' own reads on each backend."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.tests.persistence import TrackingRecorderTestCase

from closedloop import ClosedLoop
from closedloop.adapters.store import open_store
from closedloop.application.store import EventStoreApp
from closedloop.projections.rows import SCAN_PAGE, Write, open_rows
from tests.conftest import PG_URL, require_postgres


class TestRowsInMemory(TrackingRecorderTestCase):
    """The ``memory:`` store's rows; the subclasses change only the store."""

    url = "memory:"

    def setUp(self) -> None:
        self.stores: list[EventStoreApp] = []

    def tearDown(self) -> None:
        for store in self.stores:
            store.close()

    def create_recorder(self) -> TrackingRecorder:
        store = open_store(self.url)
        self.stores.append(store)
        return open_rows(store)


class TestRowsInSQLite(TestRowsInMemory):
    def setUp(self) -> None:
        super().setUp()
        self.folder = tempfile.TemporaryDirectory()
        self.url = f"sqlite:///{Path(self.folder.name) / 'rows.db'}"

    def tearDown(self) -> None:
        super().tearDown()
        self.folder.cleanup()


@pytest.mark.postgres
class TestRowsInPostgres(TestRowsInMemory):
    def setUp(self) -> None:
        require_postgres()
        import psycopg

        from tests.conftest import PG_DSN

        super().setUp()
        self.schema = f"t_rows_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        self.url = f"{PG_URL}?schema={self.schema}"

    def tearDown(self) -> None:
        import psycopg

        from tests.conftest import PG_DSN

        super().tearDown()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.schema} CASCADE")


def test_between_reads_one_views_rows_from_first_to_last_key_inclusive_in_order(
    loop: ClosedLoop,
) -> None:
    rows = open_rows(loop.reader().store)
    keys = ["e:01", "e:02", "e:03", "e:10", "f:01"]
    rows.write("mine", {key: f'"{key}"' for key in keys}, Tracking("t:mine", 1))
    rows.write("other", {"e:02": '"other"'}, Tracking("t:other", 1))

    assert list(rows.between("mine", "e:02", "e:10")) == [
        ("e:02", '"e:02"'),
        ("e:03", '"e:03"'),
        ("e:10", '"e:10"'),
    ]
    assert list(rows.between("mine", "e:04", "e:09")) == []
    assert list(rows.between("other", "e:01", "e:99")) == [("e:02", '"other"')]


def test_L7_a_page_upserts_and_deletes_rows_and_a_scan_pages_through_them_in_key_order(
    loop: ClosedLoop,
) -> None:
    rows = open_rows(loop.reader().store)
    many = SCAN_PAGE * 2 + 1  # a scan reads more than one page of rows
    first = {f"k:{n:05d}": json.dumps(n) for n in range(many)} | {"k:": '"the prefix itself"'}
    rows.write_all(
        [Write("v", first, Tracking("t:v", 1)), Write("w", {"k:1": "1"}, Tracking("t:w", 1))]
    )
    second: dict[str, str | None] = {"k:00001": None, "k:00002": '"changed"', "k:": None}
    rows.write("v", second, Tracking("t:v", 2))
    scanned = list(rows.scan("v", "k:"))
    assert [key for key, _ in scanned] == sorted(set(first) - {"k:00001", "k:"})
    assert dict(scanned)["k:00002"] == '"changed"'
    assert rows.get("v", "k:00001") is None
    assert list(rows.scan("w")) == [("k:1", "1")]  # another view's rows stay its own
    assert (rows.position("t:v"), rows.position("t:w")) == (2, 1)


def test_a_scan_from_a_start_key_reads_the_prefixs_rows_from_there_on_across_pages(
    loop: ClosedLoop,
) -> None:
    rows = open_rows(loop.reader().store)
    many = SCAN_PAGE * 2 + 1
    keys = [f"k:{n:05d}" for n in range(many)]
    rows.write("v", dict.fromkeys([*keys, "j:9", "l:0"], "1"), Tracking("t:v", 1))

    assert [key for key, _ in rows.scan("v", "k:", "k:00998")] == keys[998:]
    assert [key for key, _ in rows.scan("v", "k:", "k:00998x")] == keys[999:]  # not a key
    assert [key for key, _ in rows.scan("v", "k:", "a")] == keys  # before the prefix: all of it
    assert list(rows.scan("v", "k:", "l:")) == []  # after the prefix: none of it


def test_L7_replace_puts_a_rebuilt_views_rows_and_position_in_place_of_the_views(
    loop: ClosedLoop,
) -> None:
    rows = open_rows(loop.reader().store)
    rows.write("v", {"old": "1", "kept?": "1"}, Tracking("t:v", 3))
    rows.write_all([Write("v~new", {"a": "2"}, None), Write("v~new", {"b": "3"}, None)])
    assert rows.position("t:v~new") == 0  # rows without a position: a part of a rebuild
    rows.write("v~new", {}, Tracking("t:v~new", 5))
    rows.write("other", {"a": "9"}, Tracking("t:other", 1))

    assert rows.replace("v", "t:v", "v~new", "t:v~new") is True
    assert list(rows.scan("v")) == [("a", "2"), ("b", "3")]
    assert (rows.position("t:v"), rows.position("t:v~new")) == (5, 0)
    assert list(rows.scan("v~new")) == []
    assert list(rows.scan("other")) == [("a", "9")]
    with pytest.raises(IntegrityError):  # the position is the library's tracking as before
        rows.write("v", {"late": "1"}, Tracking("t:v", 5))


def test_L7_replace_changes_nothing_when_the_view_has_moved_beyond_its_replacement(
    loop: ClosedLoop,
) -> None:
    rows = open_rows(loop.reader().store)
    rows.write("v", {"live": "1"}, Tracking("t:v", 7))
    rows.write("v~new", {"rebuilt": "1"}, Tracking("t:v~new", 6))

    assert rows.replace("v", "t:v", "v~new", "t:v~new") is False
    assert list(rows.scan("v")) == [("live", "1")]
    assert list(rows.scan("v~new")) == [("rebuilt", "1")]
    assert (rows.position("t:v"), rows.position("t:v~new")) == (7, 6)
