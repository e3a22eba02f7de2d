"""The orders a customer's purchases recorded, each once: what makes a purchase idempotent.

A long-lived customer has seen thousands of orders, and every load of the customer would
rebuild them all, though only recording a purchase asks about them. So a snapshot keeps
them as one text (a JSON list: any order number is safe in it), which the store decodes
as a single string, and they become a dict (ordered, so the text stays deterministic)
only when a purchase asks or adds one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


class OrdersSeen:
    """A set of order numbers, kept packed as text until it is first used."""

    __slots__ = ("_orders", "_packed")

    def __init__(self, packed: str = "") -> None:
        self._packed = packed
        self._orders: dict[str, None] | None = None if packed else {}

    @classmethod
    def of(cls, orders: Iterable[str]) -> OrdersSeen:
        seen = cls()
        seen._orders = dict.fromkeys(orders)
        return seen

    @property
    def packed(self) -> str:
        """The orders as one text, for a snapshot (no work if never unpacked); none: ``""``."""
        if self._orders is None:
            return self._packed
        if not self._orders:
            return ""
        return json.dumps(list(self._orders), ensure_ascii=False, separators=(",", ":"))

    def _unpacked(self) -> dict[str, None]:
        """The orders as a dict; the packed text stays as it was (a copy made meanwhile, in
        another thread, may still read it)."""
        if self._orders is None:
            self._orders = dict.fromkeys(json.loads(self._packed))
        return self._orders

    def add(self, order: str) -> None:
        self._unpacked()[order] = None

    def __contains__(self, order: object) -> bool:
        return order in self._unpacked()

    def __len__(self) -> int:
        return len(self._unpacked())

    def __bool__(self) -> bool:
        return bool(self._packed) or bool(self._orders)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrdersSeen):
            return NotImplemented
        return self._unpacked().keys() == other._unpacked().keys()

    __hash__ = None  # type: ignore[assignment]  # it changes: never shared between copies

    def __deepcopy__(self, memo: dict[int, Any]) -> OrdersSeen:
        """A copy that shares the packed text (immutable) and copies what was unpacked."""
        clone = OrdersSeen(self._packed)
        clone._orders = None if self._orders is None else self._orders.copy()
        return clone

    def __repr__(self) -> str:
        return f"OrdersSeen({len(self)} orders)"
