"""The orders a customer has seen (purchase idempotency), packed for snapshots."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from closedloop.domain.customer_orders import OrdersSeen


@given(st.lists(st.text(min_size=1), unique=True))
def test_orders_seen_survive_packing_whatever_the_order_numbers(orders: list[str]) -> None:
    """Quotes, line breaks, any text: the packed form gives the same orders back."""
    seen = OrdersSeen.of(orders)
    unpacked = OrdersSeen(seen.packed)
    assert unpacked == seen
    assert bool(unpacked) is bool(orders)
    assert len(unpacked) == len(orders)
    assert all(order in unpacked for order in orders)
    assert "not an order\x00" not in unpacked


def test_a_copy_of_orders_seen_changes_apart_from_the_original() -> None:
    original = OrdersSeen(OrdersSeen.of(["O-1"]).packed)
    clone = copy.deepcopy(original)
    clone.add("O-2")
    assert "O-2" in clone
    assert "O-2" not in original
    assert copy.deepcopy(clone) == clone
    assert original.packed == '["O-1"]'
    assert not OrdersSeen()
