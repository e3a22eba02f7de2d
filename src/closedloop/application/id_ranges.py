"""Ranges of aggregate ids, so a replay can be split between processes by aggregate.

A view whose rows each depend on one aggregate's events alone (the facts) can be rebuilt
in parts: each part replays only the events of the aggregates in its range, in store
order, and no two parts ever write the same row. Ids are compared as their canonical
text (lowercase hex, as the stores keep and order them), so a range is a plain range
scan's condition on every backend.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Protocol

import attrs
from eventsourcing.persistence import Notification

#: Ids are split on their first two hex digits (random ids spread evenly over them).
MOST_PARTS = 256


@attrs.frozen
class IdRange:
    """Ids from ``first`` (inclusive) up to ``end`` (exclusive); None: no bound."""

    first: str | None = None
    end: str | None = None

    @classmethod
    def split(cls, parts: int) -> list[IdRange]:
        """``parts`` ranges, in order, that together hold every id exactly once."""
        if not 1 <= parts <= MOST_PARTS:
            raise ValueError(f"ids split into 1 to {MOST_PARTS} ranges, not {parts}")
        bounds = [
            f"{MOST_PARTS * k // parts:02x}000000-0000-0000-0000-000000000000"
            for k in range(1, parts)
        ]
        edges: list[str | None] = [None, *bounds, None]
        return [cls(first, end) for first, end in pairwise(edges)]

    def conditions(self) -> list[tuple[str, str]]:
        """The range as comparisons an id must pass, (operator, bound), for the bounds it has."""
        bounds = ((">=", self.first), ("<", self.end))
        return [(operator, bound) for operator, bound in bounds if bound is not None]


class RangeReader(Protocol):
    """A store's recorder that reads the events of one range of aggregates."""

    def select_range(self, ids: IdRange, after: int, stop: int, limit: int) -> list[Notification]:
        """Up to ``limit`` events of aggregates in ``ids`` at positions after ``after`` up to
        ``stop``, in position order."""
