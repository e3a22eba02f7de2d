"""The orders a customer has seen (purchase idempotency), packed for snapshots."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from closedloop.domain.customer_orders import OrdersSeen
from closedloop.domain.packed import QUEUED


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
    assert OrdersSeen(original.packed) == OrdersSeen.of(["O-1"])
    assert not OrdersSeen()


@given(st.lists(st.text(min_size=1), unique=True), st.lists(st.text(min_size=1)))
def test_orders_added_while_packed_wait_and_give_what_adding_them_at_once_gives(
    stored: list[str], added: list[str]
) -> None:
    """Orders recorded after a snapshot are queued; asking about any order gives the same
    answer as orders added to the unpacked set, and so does packing it again."""
    packed, at_once = OrdersSeen(OrdersSeen.of(stored).packed), OrdersSeen.of(stored)
    for order in added:
        packed.add(order)
        at_once.add(order)
    assert bool(packed) is bool(stored or added)
    again = OrdersSeen(packed.packed)
    clone = copy.deepcopy(packed)
    assert all(order in packed and order in again for order in stored + added)
    assert packed == at_once == again == clone
    assert len(packed) == len(set(stored + added))


def test_a_packed_value_changed_but_never_read_unpacks_once_its_queue_is_full() -> None:
    """A cached customer is fast-forwarded but never read: its queue stays bounded."""
    seen = OrdersSeen(OrdersSeen.of(["O-0"]).packed)
    for n in range(1, QUEUED + 10):
        seen.add(f"O-{n}")
        assert len(seen._pending) <= QUEUED
    assert seen._value is not None  # unpacked when the queue was full
    assert not seen._pending
    assert seen == OrdersSeen.of(f"O-{n}" for n in range(QUEUED + 10))
