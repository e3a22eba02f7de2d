"""Periods are explicit values: a year ``2026``, a quarter ``2026-Q1`` or a month ``2026-03``."""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum

import attrs

from closedloop.domain.errors import InvalidInput


class Granularity(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


_MONTHS = {Granularity.YEAR: 12, Granularity.QUARTER: 3, Granularity.MONTH: 1}
_PATTERN = re.compile(r"^(\d{4})(?:-Q([1-4])|-(\d{2}))?$")


def _month_index(year: int, month: int) -> int:
    return year * 12 + (month - 1)


@attrs.frozen(order=False)
class Period:
    """A calendar period; ordered by start, then by length (a year before its first quarter)."""

    year: int
    granularity: Granularity
    index: int = 1  # quarter 1-4 or month 1-12; 1 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise InvalidInput(
                f"period {text!r} is not a year (2026), quarter (2026-Q1) or month (2026-03)"
            )
        year = int(match.group(1))
        if match.group(2):
            return cls(year, Granularity.QUARTER, int(match.group(2)))
        if match.group(3):
            month = int(match.group(3))
            if not 1 <= month <= 12:
                raise InvalidInput(f"period {text!r} has no month {month}")
            return cls(year, Granularity.MONTH, month)
        return cls(year, Granularity.YEAR)

    @property
    def _first_month(self) -> int:
        """Months since year 0 of the period's first month."""
        month = {Granularity.YEAR: 1, Granularity.QUARTER: 3 * self.index - 2}.get(
            self.granularity, self.index
        )
        return _month_index(self.year, month)

    @property
    def _last_month(self) -> int:
        return self._first_month + _MONTHS[self.granularity] - 1

    @property
    def start(self) -> date:
        """First day of the period."""
        first = self._first_month
        return date(first // 12, first % 12 + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        after = self._last_month + 1
        return date(after // 12, after % 12 + 1, 1) - timedelta(days=1)

    def contains(self, other: Period | date) -> bool:
        """Whether ``other`` (a period or a day) lies wholly inside this period."""
        if isinstance(other, Period):
            return self._first_month <= other._first_month and other._last_month <= self._last_month
        return self.start <= other <= self.end

    def has_ended(self, today: date) -> bool:
        return today > self.end

    def subdivide(self, granularity: Granularity) -> list[Period]:
        """The quarters or months that make up this period, in order."""
        if _MONTHS[granularity] > _MONTHS[self.granularity]:
            raise InvalidInput(f"{self} cannot be divided into {granularity.value}s")
        step = _MONTHS[granularity]
        return [
            Period._at(month, granularity)
            for month in range(self._first_month, self._last_month + 1, step)
        ]

    @staticmethod
    def _at(month_index: int, granularity: Granularity) -> Period:
        year, month = divmod(month_index, 12)
        if granularity is Granularity.QUARTER:
            return Period(year, granularity, month // 3 + 1)
        if granularity is Granularity.MONTH:
            return Period(year, granularity, month + 1)
        return Period(year, granularity)

    def _key(self) -> tuple[int, int]:
        return (self._first_month, -_MONTHS[self.granularity])

    def __lt__(self, other: Period) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Period) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Period) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Period) -> bool:
        return self._key() >= other._key()

    def __str__(self) -> str:
        if self.granularity is Granularity.QUARTER:
            return f"{self.year}-Q{self.index}"
        if self.granularity is Granularity.MONTH:
            return f"{self.year}-{self.index:02d}"
        return str(self.year)
