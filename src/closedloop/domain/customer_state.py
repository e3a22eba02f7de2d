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
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
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


@attrs.define
class Lots:
    """Lots in the order earned, and the soonest expiry day among them (None: not known
    since points were taken), so most purchases see that nothing lapsed without a scan."""

    lots: list[PointsLot]
    soonest: date | None = attrs.field(default=None, eq=False)


class PointsLots(Packed[Lots]):
    """R-C5: the lots that still hold points, in the order earned."""

    __slots__ = ()

    @classmethod
    def _build(cls, rows: list[Row]) -> Lots:
        return Lots([lot if isinstance(lot, PointsLot) else lot_of(lot) for lot in rows])

    @classmethod
    def _rows(cls, value: Lots) -> list[Row]:
        return [lot_row(lot) for lot in value.lots]

    @classmethod
    def _copy(cls, value: Lots) -> Lots:
        return Lots(list(value.lots), value.soonest)

    def add(self, lot: PointsLot) -> None:
        self._change(_add_lot, lot)

    def take(self, taken: Mapping[str, int]) -> None:
        """Points redeemed or expired: ``taken`` (lot id -> points) out of the lots."""
        self._change(_take, taken)

    def lapsed(self, today: date) -> dict[str, int]:
        """R-C5: points left in lots whose expiry day has come."""
        held = self.value
        if held.soonest is None:
            held.soonest = min((lot.expires_on for lot in held.lots), default=date.max)
        if today < held.soonest:
            return {}
        return {
            lot.id: lot.remaining
            for lot in held.lots
            if lot.remaining > 0 and lot.expires_on <= today
        }

    def __iter__(self) -> Iterator[PointsLot]:
        return iter(self.value.lots)

    def __len__(self) -> int:
        return len(self.value.lots)

    def __repr__(self) -> str:
        return f"PointsLots({self.value.lots!r})"


def _add_lot(held: Lots, lot: PointsLot) -> None:
    held.lots.append(lot)
    if held.soonest is not None:
        held.soonest = min(held.soonest, lot.expires_on)


def _take(held: Lots, taken: Mapping[str, int]) -> None:
    held.lots = taken_from(held.lots, taken)
    held.soonest = None


@attrs.define
class Year:
    """The purchases of the 12 months up to the latest, by day, their exact sum, and their
    days (searched in C: a key function would be called for every comparison). ``places``
    counts the purchases by their amounts' decimal places, so the sum left when some age
    out is written as summing those left would write it (``2.00``, not ``2.000``)."""

    purchases: list[Purchase]
    spend: Decimal
    days: list[date] = attrs.field(eq=False)
    places: Counter[int] = attrs.field(eq=False)


def _place(purchase: Purchase) -> int:
    return max(0, -int(purchase.amount.amount.as_tuple().exponent))


def _places(purchases: Iterable[Purchase]) -> Counter[int]:
    return Counter(map(_place, purchases))


def _less(spend: Decimal, older: list[Purchase], places: Counter[int]) -> Decimal:
    """``spend`` without the ``older`` purchases, with the places of those left in
    ``places`` (dropping only trailing zeros: the rest sums to a multiple of them)."""
    rest = EXACT.subtract(spend, exact_sum(p.amount.amount for p in older))
    return rest.quantize(Decimal(1).scaleb(-max(places, default=0)), context=EXACT)


class RecentPurchases(Packed[Year]):
    """R-C4: the purchases of the 12 months up to the latest one (all a tier needs)."""

    __slots__ = ()

    @classmethod
    def _build(cls, rows: list[Row]) -> Year:
        purchases = [p if isinstance(p, Purchase) else purchase_of(p) for p in rows]
        return Year(
            purchases,
            exact_sum(p.amount.amount for p in purchases),
            [p.on for p in purchases],
            _places(purchases),
        )

    @classmethod
    def _rows(cls, value: Year) -> list[Row]:
        return [purchase_row(p) for p in value.purchases]

    @classmethod
    def _copy(cls, value: Year) -> Year:
        return Year(list(value.purchases), value.spend, list(value.days), Counter(value.places))

    def add(self, purchase: Purchase, latest: date) -> None:
        """``purchase`` recorded, ``latest`` the latest purchase day since: those a year or
        more before it age out."""
        self._change(_add, (purchase, latest))

    def year_to(self, today: date) -> tuple[Decimal, int]:
        """R-C4: spend and number of purchases in the 12 months up to ``today``."""
        year = self.value
        purchases, start = year.purchases, today - YEAR
        if purchases and year.days[-1] > today:  # an earlier day (time travel): summed
            recent = [p for p in purchases if start < p.on <= today]
            return exact_sum(p.amount.amount for p in recent), len(recent)
        aged = bisect.bisect_right(year.days, start)
        if not aged:  # the usual case: all of them
            return year.spend, len(purchases)
        older = purchases[:aged]
        return _less(year.spend, older, year.places - _places(older)), len(purchases) - aged

    def __iter__(self) -> Iterator[Purchase]:
        return iter(self.value.purchases)

    def __len__(self) -> int:
        return len(self.value.purchases)

    def __repr__(self) -> str:
        return f"RecentPurchases({self.value.purchases!r})"


def _add(year: Year, change: tuple[Purchase, date]) -> None:
    purchase, latest = change
    purchases, days = year.purchases, year.days
    at = bisect.bisect_right(days, purchase.on)  # after those of the same day
    purchases.insert(at, purchase)
    days.insert(at, purchase.on)
    year.spend = EXACT.add(year.spend, purchase.amount.amount)
    year.places[_place(purchase)] += 1
    aged = bisect.bisect_right(days, latest - YEAR)
    if aged:
        older = purchases[:aged]
        year.places -= _places(older)
        year.spend = _less(year.spend, older, year.places)
        del purchases[:aged], days[:aged]
