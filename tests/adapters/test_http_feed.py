"""The event feed (``GET /events``): in order, resumable, as stored, with audit hashes.

Positions come from the store and PostgreSQL's have gaps (an id spent on a refused insert),
so a follower resumes from ``next_after``; the tests make such a gap and page across it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from fastapi.testclient import TestClient

from closedloop import ClosedLoop, InvalidInput
from closedloop.adapters.http.app import create_app
from tests.adapters.http_keys import bearer, keyring
from tests.audit_tamper import history
from tests.cast import AUDITOR, LI
from tests.customer_scenario import PHONE, register


@pytest.fixture
def http(loop: ClosedLoop) -> Iterator[TestClient]:
    with TestClient(create_app(loop, keyring())) as client:
        yield client


def feed(http: TestClient, **params: Any) -> dict[str, Any]:
    response = http.get("/events", params=params, headers=bearer(AUDITOR))
    assert response.status_code == 200, response.json()
    return dict(response.json())


def follow(http: TestClient, after: int = 0, limit: int = 3) -> tuple[list[dict[str, Any]], int]:
    """Every event after ``after``, a page at a time, and the position to resume from."""
    events: list[dict[str, Any]] = []
    while True:
        page = feed(http, after=after, limit=limit)
        if not page["events"]:
            assert page["next_after"] == after
            return events, after
        events += page["events"]
        after = page["next_after"]


def spend_a_position(loop: ClosedLoop) -> None:
    """A refused insert (a version that exists): PostgreSQL spends a position on it."""
    recorder = loop.reader().store.recorder
    last = recorder.select_notifications(start=loop.position(), limit=1)[0]
    copy = StoredEvent(last.originator_id, last.originator_version, last.topic, last.state)
    with pytest.raises(IntegrityError):
        recorder.insert_events([copy])


def stored_positions(loop: ClosedLoop) -> list[int]:
    recorder = loop.reader().store.recorder
    return [n.id for n in recorder.select_notifications(start=None, limit=10_000)]


def test_the_feed_gives_every_event_once_in_order_across_gaps_with_the_trails_hashes(
    http: TestClient, loop: ClosedLoop, store_url: str
) -> None:
    history(loop, ["approved"])
    spend_a_position(loop)
    history(loop, ["submitted"], first=2040)

    events, resume = follow(http)

    positions = [event["position"] for event in events]
    assert positions == stored_positions(loop)
    assert resume == positions[-1] == loop.position()
    if store_url.startswith("postgresql"):
        assert len(positions) < positions[-1]  # the gap is there, and was paged across
    trail = {entry["position"]: entry for entry in loop.audit_log()}
    for event in events:
        entry = trail[event["position"]]
        assert event["hash"] == entry["hash"]
        assert event["recorded_at"] == entry["recorded_at"]
        assert (event["aggregate_id"], event["version"]) == (
            entry["aggregate_id"],
            entry["version"],
        )
        assert event["aggregate_type"] == entry["aggregate_type"]


def test_resuming_from_the_last_position_gets_exactly_the_rest(
    http: TestClient, loop: ClosedLoop
) -> None:
    history(loop, ["approved"])
    seen, resume = follow(http, limit=4)
    history(loop, ["rejected"], first=2030)

    rest, _ = follow(http, after=resume, limit=4)

    assert [e["position"] for e in seen + rest] == stored_positions(loop)
    assert rest
    assert all(event["position"] > resume for event in rest)


def test_R_C1_personal_data_is_ciphertext_in_the_feed_which_is_the_stored_bytes(
    http: TestClient, loop: ClosedLoop
) -> None:
    register(loop)
    events, _ = follow(http, limit=100)
    stored = loop.reader().store.recorder.select_notifications(start=None, limit=100)
    assert [base64.b64decode(event["state"]) for event in events] == [n.state for n in stored]
    assert [event["topic"] for event in events] == [n.topic for n in stored]
    for event in events:
        assert PHONE.encode() not in base64.b64decode(event["state"])


def test_a_long_poll_returns_as_soon_as_an_event_arrives(
    http: TestClient, loop: ClosedLoop
) -> None:
    history(loop, ["draft"])
    after = loop.position()
    idle_began = time.monotonic()
    idle = feed(http, after=after, wait=0.3)
    assert (idle["events"], idle["next_after"]) == ([], after)
    assert time.monotonic() - idle_began >= 0.3

    writer = threading.Timer(0.5, lambda: history(loop, ["draft"], first=2050))
    began = time.monotonic()
    writer.start()
    try:
        page = feed(http, after=after, wait=20)
    finally:
        writer.join()
    waited = time.monotonic() - began
    assert page["events"]
    assert page["events"][0]["position"] > after
    assert 0.4 < waited < 2.0, waited


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "-1"}, "query.after"),
        ({"after": "first"}, "query.after"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "1001"}, "query.limit"),
        ({"wait": "-1"}, "query.wait"),
        ({"wait": "31"}, "query.wait"),
        ({"wait": "soon"}, "query.wait"),
    ],
)
def test_bad_feed_parameters_are_422(
    mem_loop: ClosedLoop, params: dict[str, str], field: str
) -> None:
    with TestClient(create_app(mem_loop, keyring())) as http:
        response = http.get("/events", params=params, headers=bearer(LI))
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"after": -1}, "after -1 is a position"),
        ({"limit": 0}, "limit 0 is not from 1 to 1000"),
        ({"wait": 60}, "wait 60 is not from 0 to 30 seconds"),
    ],
)
def test_the_python_feed_refuses_the_same_bounds(
    mem_loop: ClosedLoop, arguments: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        mem_loop.events(**arguments)


# --- server-sent events ------------------------------------------------------------------------


def sent(http: TestClient, headers: dict[str, str] | None = None, **params: Any) -> list[Any]:
    """The events of one stream, until it ends: (id, event, data) of each."""
    response = http.get(
        "/events/stream", params=params, headers={**bearer(AUDITOR), **(headers or {})}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = [block for block in response.text.split("\n\n") if block]
    assert messages[0] == "retry: 1000"
    fields = [dict(line.split(": ", 1) for line in block.split("\n")) for block in messages[1:]]
    return [(int(f["id"]), f["event"], json.loads(f["data"])) for f in fields]


def test_the_stream_sends_each_event_as_the_feed_does_and_resumes_after_last_event_id(
    http: TestClient, loop: ClosedLoop
) -> None:
    history(loop, ["approved"])
    first = sent(http, wait=0)
    assert [position for position, _, _ in first] == stored_positions(loop)
    assert [data for _, _, data in first] == feed(http, limit=100)["events"]
    assert {kind for _, kind, _ in first} == {"stored"}
    history(loop, ["rejected"], first=2030)

    rest = sent(http, {"Last-Event-ID": str(first[-1][0])}, wait=0)

    assert [p for p, _, _ in first + rest] == stored_positions(loop)
    assert rest[0][0] > first[-1][0]


def test_an_open_stream_sends_an_event_recorded_meanwhile_then_ends_when_idle(
    http: TestClient, loop: ClosedLoop
) -> None:
    history(loop, ["draft"])
    after = loop.position()
    writer = threading.Timer(0.3, lambda: history(loop, ["draft"], first=2050))
    began = time.monotonic()
    writer.start()
    try:
        meanwhile = sent(http, after=after, wait=1)
    finally:
        writer.join()
    assert [p for p, _, _ in meanwhile] == stored_positions(loop)[-2:]  # created, listed
    assert 1.3 <= time.monotonic() - began < 5


@pytest.mark.parametrize("last", ["x", "-1", "1.5"])
def test_a_malformed_last_event_id_is_422(mem_loop: ClosedLoop, last: str) -> None:
    with TestClient(create_app(mem_loop, keyring())) as http:
        response = http.get("/events/stream", headers={**bearer(LI), "Last-Event-ID": last})
    assert response.status_code == 422
    assert f"Last-Event-ID {last!r} is not a position" in response.json()["message"]
