"""The demo's clock and cast: steps are scheduled by date, then played in order.

Chapters schedule their steps in any order; :meth:`Timeline.play` runs them by date (steps of
the same date in the order they were scheduled), so the history reads as the year happened.
"""

from __future__ import annotations

from typing import Any

import attrs

from closedloop.api import ClosedLoop
from closedloop.application.clock import FixedClock
from closedloop.domain.actor import Actor
from closedloop.domain.errors import ClosedLoopError, RuleViolation

CEO = Actor("wang.wei", "Wang Wei (general manager)", {"leadership"})
CFO = Actor("zhao.min", "Zhao Min (finance director)", {"leadership"})
HEAD = Actor("chen.jing", "Chen Jing (head of marketing)", {"manager"}, superior="wang.wei")
MARKETERS = (
    Actor("li.na", "Li Na", {"marketer"}, superior="chen.jing"),
    Actor("zhou.tao", "Zhou Tao", {"marketer"}, superior="chen.jing"),
    Actor("liu.yang", "Liu Yang", {"marketer"}, superior="chen.jing"),
)


@attrs.frozen
class Step:
    day: str
    command: str
    actor: Actor
    args: dict[str, Any]
    refused_by: str | None = None  # the rule expected to refuse it


class Timeline:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.refusals: list[str] = []

    def do(self, at: str, command: str, actor: Actor, args: dict[str, Any]) -> None:
        self.steps.append(Step(at, command, actor, args))

    def refuse(self, at: str, rule: str, command: str, actor: Actor, args: dict[str, Any]) -> None:
        """A step the loop must refuse with ``rule``: the demo shows the rules at work."""
        self.steps.append(Step(at, command, actor, args, refused_by=rule))

    def play(self, loop: ClosedLoop, clock: FixedClock) -> None:
        for step in sorted(self.steps, key=lambda step: step.day):
            clock.set(f"{step.day}T09:00:00+08:00")
            if step.refused_by is None:
                try:
                    loop.execute(step.command, step.actor, step.args)
                except ClosedLoopError as error:
                    error.add_note(f"demo step {step.day} {step.command} by {step.actor.id}")
                    raise
                continue
            try:
                loop.execute(step.command, step.actor, step.args)
            except RuleViolation as refusal:
                if refusal.rule != step.refused_by:
                    raise
                self.refusals.append(f"{step.day} {step.command}: {refusal}")
            else:
                raise AssertionError(
                    f"{step.day} {step.command} was not refused by {step.refused_by}"
                )
