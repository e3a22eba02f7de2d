"""Plan (营销计划) — being built: see the Plan work package."""

from __future__ import annotations

from closedloop.domain.base import LoopAggregate


class Plan(LoopAggregate):
    KIND = "plan"
