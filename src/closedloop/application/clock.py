"""Injectable clocks: the application reads one once per command; the domain never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move: for scenarios and tests."""

    def __init__(self, at: datetime | str) -> None:
        self._now = _aware(datetime.fromisoformat(at) if isinstance(at, str) else at)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime | str) -> None:
        self._now = _aware(datetime.fromisoformat(at) if isinstance(at, str) else at)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
