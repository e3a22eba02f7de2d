"""The store transcoder's decode (the C scanner called directly, a one-lookup object hook)
against the library's ``JSONTranscoder``: the same objects from every stored form of every
transcoding registered, the same error from anything else."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    Transcoder,
    UUIDAsHex,
)
from hypothesis import given
from hypothesis import strategies as st

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.demo import run_demo
from closedloop.application.transcodings import OrdersAsJSON, StoreTranscoder, register_all
from closedloop.domain.care import Occasion
from closedloop.domain.compliance import Evidence
from closedloop.domain.customer import Customer
from closedloop.domain.customer_orders import OrdersSeen
from closedloop.domain.customer_values import InfoCheck, Purchase, ServiceRecord
from closedloop.domain.money import Money


def registered(coder: JSONTranscoder) -> JSONTranscoder:
    """``coder`` with every transcoding the store registers (the library's three, then ours)."""
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        coder.register(transcoding)
    register_all(coder)
    return coder


LIBRARY, OURS = registered(JSONTranscoder()), registered(StoreTranscoder())

#: Values only snapshots or older events hold, which the demo year does not store.
RARE = {
    "evidence": Evidence(date(2026, 1, 1), date(2026, 12, 31), "CN", "licence 7"),
    "check": InfoCheck(date(2026, 3, 1), "dpo", True, "checked"),
    "occasion": Occasion("birthday", date(2026, 5, 17)),
    "purchase": Purchase("O-1", date(2026, 1, 5), Money("9.50"), "tea", 9),
    "service": ServiceRecord(datetime(2026, 2, 1, 9, tzinfo=UTC), "chen", "called", None),
    "orders": OrdersSeen.of(["O-1", "O-2"]),
}
#: Older stored forms that are decoded only (amounts and lots by their fields, orders as a list).
OLDER = [
    b'{"a":{"_type_":"money","_data_":{"amount":{"_type_":"decimal_str","_data_":"1.50"},'
    b'"currency":"CNY"}}}',
    b'{"lot":{"_type_":"customer_points_lot","_data_":{"id":"L7","points":120,"remaining":80,'
    b'"earned_on":{"_type_":"date","_data_":"2026-01-05"},'
    b'"expires_on":{"_type_":"date","_data_":"2028-01-05"},"source":"purchase"}}}',
    json.dumps(
        {"o": {"_type_": "customer_orders_seen", "_data_": OrdersAsJSON().encode(RARE["orders"])}}
    ).encode(),
]


@cache
def stored_states() -> tuple[bytes, ...]:
    """Every stored state of the demo year: its events, a snapshot of each customer, and the
    rare and older forms above."""
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop("memory:", clock=clock) as loop:
        run_demo(loop, clock)
        store = loop._store
        events = store.recorder.select_notifications(start=0, limit=10**6)
        states = [event.state for event in events]
        for customer in {
            e.originator_id for e in events if e.topic.endswith(Customer.Created.__qualname__)
        }:
            store.take_snapshot(customer)
            states += [s.state for s in store.snapshots.recorder.select_events(customer)]  # type: ignore[union-attr]
    return (*states, LIBRARY.encode(RARE), *OLDER)


def tagged(value: Any) -> list[dict[str, Any]]:
    """The tagged values (``{"_type_": name, "_data_": data}``) in a parsed JSON value."""
    found = []
    if isinstance(value, dict):
        if value.keys() == {"_type_", "_data_"}:
            found.append(value)
        for inner in value.values():
            found += tagged(inner)
    elif isinstance(value, list):
        for inner in value:
            found += tagged(inner)
    return found


@cache
def samples() -> tuple[dict[str, Any], ...]:
    return tuple(t for state in stored_states() for t in tagged(json.loads(state)))


def test_the_stored_forms_cover_every_transcoding_registered() -> None:
    assert {sample["_type_"] for sample in samples()} == set(OURS.names) == set(LIBRARY.names)


def test_every_stored_event_of_the_demo_year_decodes_to_the_same_event() -> None:
    def mapped(transcoder: Transcoder) -> Mapper[Any]:
        return Mapper(transcoder=transcoder)

    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop("memory:", clock=clock) as loop:
        run_demo(loop, clock)
        assert isinstance(loop._store.mapper.transcoder, StoreTranscoder)
        events = loop._store.recorder.select_notifications(start=0, limit=10**6)
    for event in events:
        ours, theirs = mapped(OURS).to_domain_event(event), mapped(LIBRARY).to_domain_event(event)
        assert type(ours) is type(theirs)
        assert ours.__dict__ == theirs.__dict__
        assert repr(ours.__dict__) == repr(theirs.__dict__)


NAMES = sorted(LIBRARY.names)
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
#: Tagged values as stored, with bad data for a known name, and dicts that only look tagged.
TAGGED = st.one_of(
    st.deferred(lambda: st.sampled_from(samples())),
    st.builds(lambda name, data: {"_type_": name, "_data_": data}, st.sampled_from(NAMES), JSON),
    st.builds(lambda name, data: {"_type_": name, "_data_": data}, st.text(max_size=6), JSON),
    st.builds(lambda kind, data: {"_type_": kind, "_data_": data}, JSON, JSON),
    st.builds(lambda name: {"_type_": name}, st.sampled_from(NAMES)),
    st.builds(lambda data, other: {"_data_": data, "other": other}, JSON, JSON),
    st.builds(
        lambda name, data, more: {"_type_": name, "_data_": data, "more": more},
        st.sampled_from(NAMES),
        JSON,
        JSON,
    ),
)
DOCUMENTS = st.recursive(
    JSON_LEAVES | TAGGED,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def outcome(coder: JSONTranscoder, data: bytes) -> tuple[Any, ...]:
    """What ``coder.decode`` gives: the value (and its repr, so ``1``, ``1.0`` and ``True``
    differ), or the error's type and message."""
    try:
        value = coder.decode(data)
    except Exception as error:
        return "error", type(error), str(error)
    return "value", value, repr(value)


@given(
    DOCUMENTS,
    st.sampled_from(["", " ", "\n\t"]),
    st.sampled_from(["", " ", "\n", "x", "}", ",1", "[]"]),
    st.integers(min_value=0, max_value=3),
)
def test_any_document_decodes_as_the_librarys_or_fails_as_it_does(
    document: Any, before: str, after: str, cut: int
) -> None:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    data = (before + (text[:-cut] if cut else text) + after).encode()
    assert outcome(OURS, data) == outcome(LIBRARY, data)


def test_every_stored_state_decodes_as_the_librarys() -> None:
    for data in stored_states():
        assert outcome(OURS, data) == outcome(LIBRARY, data)
