"""How customer values are stored: compact forms for new events, older forms still decode."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import JSONTranscoder

from closedloop.application.transcodings import register_all
from closedloop.domain.customer_orders import OrdersSeen
from closedloop.domain.customer_values import PointsLot

LOT = PointsLot("L7", 120, 80, date(2026, 1, 5), date(2028, 1, 5), 'purchase "O-1"')


def transcoder() -> JSONTranscoder:
    coder = JSONTranscoder()
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


def test_orders_seen_are_stored_as_their_packed_text() -> None:
    coder = transcoder()
    seen = OrdersSeen.of(["O-1", 'O-"2"\n'])
    stored = coder.encode({"orders": seen})
    assert b'"customer_orders_seen"' in stored
    assert coder.decode(stored) == {"orders": seen}
