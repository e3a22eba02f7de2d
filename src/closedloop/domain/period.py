"""Periods are explicit values: a year ``2026``, a quarter ``2026-Q1`` or a month ``2026-03``."""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date
from enum import StrEnum
from typing import Any

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


def _granularity(value: Any) -> Granularity:
    try:
        return Granularity(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a year, quarter or month") from None


@functools.total_ordering
@attrs.frozen(order=False)
class Period:
    """A calendar period; ordered by start, then by length (a year before its first quarter)."""

    year: int
    granularity: Granularity = attrs.field(converter=_granularity)
    index: int = 1  # quarter 1-4 or month 1-12; 1 for a year

    def __attrs_post_init__(self) -> None:
        """Only periods a calendar has: ``date`` knows the years 1 to 9999."""
        if not 1 <= self.year <= 9999:
            raise InvalidInput(f"year {self.year} is outside 1 … 9999")
        last = _MONTHS[Granularity.YEAR] // _MONTHS[self.granularity]
        if not 1 <= self.index <= last:
            raise InvalidInput(f"a year has no {self.granularity.value} {self.index}")

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
            return cls(year, Granularity.MONTH, int(match.group(3)))
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
        year, month = divmod(self._last_month, 12)
        return date(year, month + 1, calendar.monthrange(year, month + 1)[1])

    def contains(self, other: Period | date) -> bool:
        """Whether ``other`` (a period or a day) lies wholly inside this period."""
        if isinstance(other, Period):
            return self._first_month <= other._first_month and other._last_month <= self._last_month
        return self.start <= other <= self.end

    def has_ended(self, today: date) -> bool:
        return today > self.end

    def subdivide(self, granularity: Granularity | str) -> list[Period]:
        """The quarters or months that make up this period, in order."""
        into = _granularity(granularity)
        if _MONTHS[into] > _MONTHS[self.granularity]:
            raise InvalidInput(f"{self} cannot be divided into {into.value}s")
        return [
            Period._at(month, into)
            for month in range(self._first_month, self._last_month + 1, _MONTHS[into])
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

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        """The text :meth:`parse` reads back (stored events rely on it)."""
        if self.granularity is Granularity.QUARTER:
            return f"{self.year:04d}-Q{self.index}"
        if self.granularity is Granularity.MONTH:
            return f"{self.year:04d}-{self.index:02d}"
        return f"{self.year:04d}"
