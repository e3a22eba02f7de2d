"""The orders a customer's purchases recorded, each once: what makes a purchase idempotent.

A long-lived customer has seen thousands of orders, and every load of the customer would
rebuild them all, though only recording a purchase asks about them. So a snapshot keeps
them as one text (a JSON list: any order number is safe in it), and they become a dict
(ordered, so the text stays deterministic) only when a purchase asks (``Packed``); the
orders recorded after the snapshot wait until then.
"""

from __future__ import annotations

from collections.abc import Iterable

from closedloop.domain.packed import Packed


class OrdersSeen(Packed[dict[str, None]]):
    """A set of order numbers, kept packed as text until it is first asked about."""

    __slots__ = ()

    @classmethod
    def of(cls, orders: Iterable[str]) -> OrdersSeen:
        return cls.of_rows(orders)

    @classmethod
    def _build(cls, rows: list[str]) -> dict[str, None]:
        return dict.fromkeys(rows)

    @classmethod
    def _rows(cls, value: dict[str, None]) -> list[str]:
        return list(value)

    @classmethod
    def _copy(cls, value: dict[str, None]) -> dict[str, None]:
        return value.copy()

    def add(self, order: str) -> None:
        self._change(_add, order)

    def __contains__(self, order: object) -> bool:
        return order in self.value

    def __len__(self) -> int:
        return len(self.value)

    def __bool__(self) -> bool:
        """Without unpacking: orders are only ever added."""
        return bool(self._packed) or bool(self._pending) or bool(self._value)

    def __repr__(self) -> str:
        return f"OrdersSeen({len(self)} orders)"


def _add(orders: dict[str, None], order: str) -> None:
    orders[order] = None
