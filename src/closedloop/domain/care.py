"""R-C9 care (关怀): birthday and holiday greetings in their window, revisits by tier.

A greeting belongs to one occasion (a birthday or a holiday on one day): it is sent in the
``greeting_days_before`` days up to that day, once. Birthdays are personal data (R-C1): the
application opens one to place the occasion, and the domain sees only the day it falls on.
Holidays come from the policy's calendar, each ``MM-DD`` (every year) or ``YYYY-MM-DD``
(that year only, for a lunar holiday such as the Spring Festival).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import attrs

from closedloop.domain.errors import InvalidInput, RuleViolation


@attrs.frozen
class Occasion:
    """A birthday or a holiday, on the day it falls on."""

    name: str
    on: date

    def window(self, days_before: int) -> tuple[date, date]:
        """The first and last day a greeting for it may be sent."""
        return self.on - timedelta(days=days_before), self.on


def on_or_after(month: int, day: int, today: date) -> date:
    """The next ``month``-``day`` from ``today`` on (29 February: the 28th in other years)."""
    for year in (today.year, today.year + 1):
        candidate = _in_year(year, month, day)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: next year's date is after today")


def before(month: int, day: int, today: date) -> date:
    """The last ``month``-``day`` before ``today``."""
    this_year = _in_year(today.year, month, day)
    return this_year if this_year < today else _in_year(today.year - 1, month, day)


def _in_year(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29 February in a common year
        return date(year, month, day - 1)


def birthday_occasions(birthday: date, today: date) -> tuple[Occasion, Occasion]:
    """The customer's last birthday before ``today`` and the next one from ``today`` on."""
    last = before(birthday.month, birthday.day, today)
    upcoming = on_or_after(birthday.month, birthday.day, today)
    return Occasion("birthday", last), Occasion("birthday", upcoming)


def holiday_days(spec: str) -> tuple[int | None, int, int]:
    """A calendar entry as (year or None, month, day); ``InvalidInput`` if malformed."""
    parts = spec.split("-")
    try:
        numbers = [int(part) for part in parts]
        if len(numbers) == 2:
            date(2000, numbers[0], numbers[1])  # a leap year: 02-29 is allowed
            return None, numbers[0], numbers[1]
        if len(numbers) == 3:
            date(numbers[0], numbers[1], numbers[2])
            return numbers[0], numbers[1], numbers[2]
    except ValueError:
        pass
    raise InvalidInput(f"holiday day {spec!r} is neither MM-DD nor YYYY-MM-DD")


def holiday_occasions(calendar: Mapping[str, str], today: date) -> tuple[list[Occasion], ...]:
    """Each holiday's last day before ``today`` and next day from ``today`` on (a dated one
    only where its year puts it), as two lists."""
    past, coming = [], []
    for name, spec in calendar.items():
        year, month, day = holiday_days(spec)
        if year is None:
            past.append(Occasion(name, before(month, day, today)))
            coming.append(Occasion(name, on_or_after(month, day, today)))
        elif (dated := date(year, month, day)) < today:
            past.append(Occasion(name, dated))
        else:
            coming.append(Occasion(name, dated))
    return past, coming


def holiday(calendar: Mapping[str, str], name: str, today: date) -> Occasion:
    """R-C9: the holiday ``name`` from the calendar, on its next day from ``today`` on."""
    if name not in calendar:
        known = ", ".join(sorted(calendar)) or "none"
        raise RuleViolation("R-C9", f"{name!r} is not a holiday of the care calendar ({known})")
    past, coming = holiday_occasions({name: calendar[name]}, today)
    if not coming:
        raise RuleViolation("R-C9", f"holiday {name} was on {past[0].on}; it does not come again")
    return coming[0]
