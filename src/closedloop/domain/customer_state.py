"""A customer's points lots and last year's purchases: bounded lists, packed in snapshots.

A customer who buys daily holds two years of lots and a year of purchases, about a thousand
values; rebuilding them as objects cost most of loading such a customer from a snapshot,
though most loads never read them. Both are kept packed (``Packed``) until read, and the
events recorded after the snapshot queue their changes.

The purchases also keep their exact sum, advanced as purchases are added and age out, so
a tier (R-C4) is decided without summing a year of purchases on every purchase.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal

import attrs

from closedloop.domain.customer_values import (
    PointsLot,
    Purchase,
    Row,
    lot_of,
    lot_row,
    purchase_of,
    purchase_row,
    taken_from,
)
from closedloop.domain.money import EXACT, exact_sum
from closedloop.domain.packed import Packed

YEAR = timedelta(days=365)


class PointsLots(Packed[list[PointsLot]]):
    """R-C5: the lots that still hold points, in the order earned."""

    __slots__ = ()

    @classmethod
    def _build(cls, rows: list[Row]) -> list[PointsLot]:
        return [lot if isinstance(lot, PointsLot) else lot_of(lot) for lot in rows]

    @classmethod
    def _rows(cls, value: list[PointsLot]) -> list[Row]:
        return [lot_row(lot) for lot in value]

    @classmethod
    def _copy(cls, value: list[PointsLot]) -> list[PointsLot]:
        return list(value)

    def add(self, lot: PointsLot) -> None:
        self._change(list.append, lot)

    def take(self, taken: Mapping[str, int]) -> None:
        """Points redeemed or expired: ``taken`` (lot id -> points) out of the lots."""
        self._change(_take, taken)

    def __iter__(self) -> Iterator[PointsLot]:
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"PointsLots({self.value!r})"


def _take(lots: list[PointsLot], taken: Mapping[str, int]) -> None:
    lots[:] = taken_from(lots, taken)


@attrs.define
class Year:
    """The purchases of the 12 months up to the latest, by day, and their exact sum."""

    purchases: list[Purchase]
    spend: Decimal


class RecentPurchases(Packed[Year]):
    """R-C4: the purchases of the 12 months up to the latest one (all a tier needs)."""

    __slots__ = ()

    @classmethod
    def _build(cls, rows: list[Row]) -> Year:
        purchases = [p if isinstance(p, Purchase) else purchase_of(p) for p in rows]
        return Year(purchases, exact_sum(p.amount.amount for p in purchases))

    @classmethod
    def _rows(cls, value: Year) -> list[Row]:
        return [purchase_row(p) for p in value.purchases]

    @classmethod
    def _copy(cls, value: Year) -> Year:
        return Year(list(value.purchases), value.spend)

    def add(self, purchase: Purchase, latest: date) -> None:
        """``purchase`` recorded, ``latest`` the latest purchase day since: those a year or
        more before it age out."""
        self._change(_add, (purchase, latest))

    def year_to(self, today: date) -> tuple[Decimal, int]:
        """R-C4: spend and number of purchases in the 12 months up to ``today``."""
        year = self.value
        purchases = year.purchases
        if purchases and purchases[-1].on > today:  # an earlier day (time travel): summed
            recent = [p for p in purchases if today - YEAR < p.on <= today]
            return exact_sum(p.amount.amount for p in recent), len(recent)
        aged = bisect.bisect_right(purchases, today - YEAR, key=_day)
        spend = year.spend
        if aged:
            spend = EXACT.subtract(spend, exact_sum(p.amount.amount for p in purchases[:aged]))
        return spend, len(purchases) - aged

    def __iter__(self) -> Iterator[Purchase]:
        return iter(self.value.purchases)

    def __len__(self) -> int:
        return len(self.value.purchases)

    def __repr__(self) -> str:
        return f"RecentPurchases({self.value.purchases!r})"


def _add(year: Year, change: tuple[Purchase, date]) -> None:
    purchase, latest = change
    purchases = year.purchases
    bisect.insort(purchases, purchase, key=_day)
    spend = EXACT.add(year.spend, purchase.amount.amount)
    aged = bisect.bisect_right(purchases, latest - YEAR, key=_day)
    if aged:
        spend = EXACT.subtract(spend, exact_sum(p.amount.amount for p in purchases[:aged]))
        del purchases[:aged]
    year.spend = spend


def _day(purchase: Purchase) -> date:
    return purchase.on
