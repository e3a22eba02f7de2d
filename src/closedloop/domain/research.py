"""Research (市场调研) — placeholder until the Research aggregate lands."""

from __future__ import annotations

from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import RuleViolation


class Research(LoopAggregate):
    KIND = "research"

    def require_citable(self) -> None:
        raise RuleViolation("R-R3", "research is not implemented yet")
