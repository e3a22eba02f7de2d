"""How values are stored: compact forms for new events, older forms still decode; event
classes say their class version."""

from __future__ import annotations

import json
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given
from hypothesis import strategies as st

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.demo import run_demo
from closedloop.application.transcodings import OrdersAsJSON, StoreTranscoder, register_all
from closedloop.domain.base import LoopAggregate
from closedloop.domain.customer_orders import OrdersSeen
from closedloop.domain.customer_state import PointsLots, RecentPurchases
from closedloop.domain.customer_values import PointsLot, Purchase
from closedloop.domain.money import MAX_DIGITS, Money

LOT = PointsLot("L7", 120, 80, date(2026, 1, 5), date(2028, 1, 5), 'purchase "O-1"')


def transcoder() -> JSONTranscoder:
    coder = JSONTranscoder()
    coder.register(DecimalAsStr())  # the library's, as the store has it
    register_all(coder)
    return coder


def test_a_points_lot_is_stored_as_one_row_and_one_stored_by_its_fields_still_decodes() -> None:
    coder = transcoder()
    stored = coder.encode({"lot": LOT})
    assert b'"customer_points_lot_row"' in stored
    assert b"2026-01-05" in stored
    assert stored.count(b"_type_") == 1  # its dates are plain text in the row
    assert coder.decode(stored) == {"lot": LOT}
    older = (
        b'{"lot":{"_type_":"customer_points_lot","_data_":{"id":"L7","points":120,'
        b'"remaining":80,"earned_on":{"_type_":"date","_data_":"2026-01-05"},'
        b'"expires_on":{"_type_":"date","_data_":"2028-01-05"},"source":"purchase \\"O-1\\""}}}'
    )
    assert coder.decode(older) == {"lot": LOT}


def test_packed_state_is_stored_as_text_and_orders_stored_as_json_still_decode() -> None:
    """Orders, lots and last year's purchases are one text each, without escapes; orders as
    snapshots of class versions 2 and 3 stored them (a JSON list) still decode."""
    coder = transcoder()
    seen = OrdersSeen.of(["O-1", 'O-"2"\n'])
    lots = PointsLots.of_rows([LOT])
    recent = RecentPurchases.of_rows([Purchase("O-1", date(2026, 1, 5), Money("9.50"), "", 9)])
    stored = coder.encode({"orders": seen, "lots": lots, "recent": recent})
    for name in (b"customer_orders_packed", b"customer_points_lots", b"customer_recent_purchases"):
        assert b'"' + name + b'"' in stored
    assert b"\\" not in stored
    assert coder.decode(stored) == {"orders": seen, "lots": lots, "recent": recent}
    as_json = {"_type_": "customer_orders_seen", "_data_": OrdersAsJSON().encode(seen)}
    assert json.loads(as_json["_data_"]) == ["O-1", 'O-"2"\n']
    older = json.dumps({"orders": as_json}).encode()
    assert coder.decode(older) == {"orders": seen}
    assert coder.decode(b'{"orders":{"_type_":"customer_orders_seen","_data_":""}}') == {
        "orders": OrdersSeen()
    }


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: d.adjusted() < MAX_DIGITS and -d.as_tuple().exponent <= MAX_DIGITS
    ),
    st.sampled_from(["CNY", "USD"]),
)
def test_an_amount_is_stored_as_text_and_decodes_to_the_same_decimal(
    amount: Decimal, currency: str
) -> None:
    """Digits, places and exponent kept (``1E+3`` stays ``1E+3``); the older form (by its
    fields) still decodes."""
    coder = transcoder()
    money = Money(amount, currency)
    stored = coder.encode({"amount": money})
    assert b'"money_text"' in stored
    assert stored.count(b"_type_") == 1
    (back,) = coder.decode(stored).values()
    assert (str(back.amount), back.currency) == (str(amount), currency)
    older = coder.decode(
        json.dumps(
            {
                "amount": {
                    "_type_": "money",
                    "_data_": {
                        "amount": {"_type_": "decimal_str", "_data_": str(amount)},
                        "currency": currency,
                    },
                }
            }
        ).encode()
    )
    assert str(older["amount"].amount) == str(amount)


def _json_values() -> st.SearchStrategy[Any]:
    """Stored states: JSON values with dates, datetimes, decimals, ids and amounts inside."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(),
        st.dates(),
        st.datetimes(timezones=st.just(UTC)),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.uuids(),
        st.builds(Money, st.decimals(-(10**9), 10**9, places=2), st.just("CNY")),
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )


@given(st.dictionaries(st.text(), _json_values(), max_size=6))
def test_the_store_transcoder_writes_the_same_bytes_as_the_librarys(state: dict[str, Any]) -> None:
    """Its encoder is made once; what it writes is byte for byte what the library's writes,
    and it decodes the same."""
    library, ours = JSONTranscoder(), StoreTranscoder()
    for coder in (library, ours):
        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
            coder.register(transcoding)
        register_all(coder)
    stored = ours.encode(state)
    assert stored == library.encode(state)
    assert ours.decode(stored) == library.decode(stored)


def test_every_event_class_states_its_class_version_and_version_1_is_stored_as_before() -> None:
    """The mapper asks each event's class for ``class_version`` on every decode: stated on
    the base event class, it is found, not raised and caught; version 1 stays unstored."""

    def events(cls: type) -> list[type]:
        return [cls, *(sub for inner in cls.__subclasses__() for sub in events(inner))]

    for event_class in events(LoopAggregate.Event):
        assert any("class_version" in vars(c) for c in event_class.__mro__), event_class
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop("memory:", clock=clock) as loop:
        run_demo(loop, clock)
        stored = loop._store.recorder.select_notifications(start=0, limit=10**6)
    assert stored
    assert not [n.topic for n in stored if b'"class_version"' in n.state]
