"""The risk matrix (R-K1): a likelihood × impact grid that looks up a risk's level.

A grid is policy data (validated in :class:`closedloop.domain.policy.RiskMatrix`); each
assessment stores the :class:`Grid` it was looked up in, so a later policy change never
rewrites an old assessment's level.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from itertools import pairwise
from typing import Literal

import attrs

from closedloop.domain.errors import InvalidInput


class Level(StrEnum):
    """What a grid cell says; cadence (R-K4) and treatment (R-K2) follow it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: The sizes LOOP_RULES allows: 3 × 3 (default), 4 × 4 and 5 × 5.
GRID_SIZES = (3, 4, 5)

DEFAULT_SCALE = ("low", "medium", "high")
LevelName = Literal["low", "medium", "high"]
#: R-K1 default: low×low, low×medium, medium×low → low; high×high, high×medium,
#: medium×high → high; the rest medium. Rows are likelihoods, columns impacts.
DEFAULT_LEVELS: tuple[tuple[LevelName, ...], ...] = (
    ("low", "low", "medium"),
    ("low", "medium", "high"),
    ("medium", "high", "high"),
)


def _labels(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(value.strip().lower() for value in values)


def _rows(rows: Iterable[Iterable[str]]) -> tuple[tuple[Level, ...], ...]:
    return tuple(tuple(Level(cell) for cell in row) for row in rows)


@attrs.frozen
class Grid:
    """Scales from least to most (likelihoods: rows; impacts: columns) and each cell's level."""

    likelihoods: tuple[str, ...] = attrs.field(converter=_labels)
    impacts: tuple[str, ...] = attrs.field(converter=_labels)
    levels: tuple[tuple[Level, ...], ...] = attrs.field(converter=_rows)

    @property
    def size(self) -> str:
        return f"{len(self.likelihoods)}x{len(self.impacts)}"

    def problems(self) -> list[str]:
        """Why this grid is unusable; empty when it is fine."""
        found = []
        size = len(self.likelihoods)
        if size not in GRID_SIZES or len(self.impacts) != size:
            found.append(
                f"the grid is {self.size}; it must be square, one of "
                f"{', '.join(f'{n}x{n}' for n in GRID_SIZES)}"
            )
        for name, scale in (("likelihoods", self.likelihoods), ("impacts", self.impacts)):
            if len(set(scale)) != len(scale) or not all(scale):
                found.append(f"{name} must be distinct, non-empty labels")
        if len(self.levels) != len(self.likelihoods) or any(
            len(row) != len(self.impacts) for row in self.levels
        ):
            found.append("levels needs one row per likelihood, one cell per impact in each")
        elif not self._monotone():
            found.append("a level never falls as likelihood or impact rises")
        return found

    def _monotone(self) -> bool:
        rank = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}
        cells = [[rank[cell] for cell in row] for row in self.levels]
        rows_rise = all(a <= b for row in cells for a, b in pairwise(row))
        columns_rise = all(
            a <= b for upper, lower in pairwise(cells) for a, b in zip(upper, lower, strict=True)
        )
        return rows_rise and columns_rise

    def level(self, likelihood: str, impact: str) -> Level:
        """R-K1: the cell of ``likelihood`` × ``impact``; an unknown label is invalid input."""
        row = self._index(self.likelihoods, likelihood, "likelihood")
        column = self._index(self.impacts, impact, "impact")
        return self.levels[row][column]

    def cell(self, likelihood: str, impact: str) -> tuple[int, int] | None:
        """Where ``likelihood`` × ``impact`` sits in this grid, if both labels are on it."""
        if likelihood in self.likelihoods and impact in self.impacts:
            return self.likelihoods.index(likelihood), self.impacts.index(impact)
        return None

    @staticmethod
    def _index(scale: tuple[str, ...], label: str, what: str) -> int:
        try:
            return scale.index(label.strip().lower())
        except ValueError:
            raise InvalidInput(
                f"{what} {label!r} is not on the risk matrix; use one of {', '.join(scale)}"
            ) from None


DEFAULT_GRID = Grid(DEFAULT_SCALE, DEFAULT_SCALE, DEFAULT_LEVELS)
