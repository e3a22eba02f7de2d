"""What every random walk of a state machine checks of the views, how long it walks, and
how deep it must get.

L7 over a walk: the views kept live (the facts rows, the audit trail, evaluation views and
the views of aggregates) equal the same views rebuilt from the whole history, and the views
as of a moment the walk saw equal what it saw then. A machine calls :meth:`LiveViews.step`
after every step (the tracked views then catch up a few events at a time, as in use),
:meth:`LiveViews.moment` before its clock moves on, and :meth:`LiveViews.check` at its end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from closedloop import ClosedLoop
from closedloop.application.reader import AsOf
from closedloop.projections.facts import Facts, facts_as_of

#: L7: this many of a walk's moments (spread over it, the last one included) are replayed.
MOMENTS_CHECKED = 4

#: A view of aggregates, read now (``as_of=None``) or as of a moment.
Read = Callable[..., Any]


class LiveViews:
    """Remembers what the views showed at each moment of a walk, and checks L7 at its end."""

    def __init__(
        self,
        loop: ClosedLoop,
        evaluations: Sequence[tuple[str, str | None]],
        aggregates: Mapping[str, Read],
    ) -> None:
        self.loop = loop
        self.evaluations = list(evaluations)
        self.aggregates = dict(aggregates)
        self.moments: list[tuple[datetime, dict[str, Any]]] = []

    def seen(self, as_of: datetime | None = None) -> dict[str, Any]:
        """Every view checked, live or as of ``as_of`` (a replay up to then)."""
        loop = self.loop
        when: AsOf = as_of
        if as_of is None:
            facts = loop._views[Facts.name]
            facts.catch_up()
            rows = dict(facts.scan())
        else:
            rows = dict(facts_as_of(loop._store, as_of))
        return {
            "facts": rows,
            "audit": loop.audit_log(until=as_of),
            **{
                f"evaluation {name} {period}": loop.evaluation(name, period=period, as_of=when)
                for name, period in self.evaluations
            },
            **{name: read(as_of=when) for name, read in self.aggregates.items()},
        }

    def step(self) -> None:
        """The tracked views catch up with what the last step recorded."""
        for name in self.loop.views():
            self.loop._views[name].catch_up()

    def moment(self) -> None:
        """Remember what the views show now, before the clock moves on."""
        self.moments.append((self.loop.clock.now(), self.seen()))

    def check(self) -> None:
        """L7: rebuilt == live now; as of each moment checked == what was seen then."""
        live = self.seen()
        self.loop.audit_verify()  # L8: the trail's chain and entries say what the store holds
        self.loop.rebuild()  # every view but the trail (never rewritten) from the history
        assert self.seen() == live, "L7: the views rebuilt from the history differ from live"
        every = max(1, len(self.moments) // MOMENTS_CHECKED)
        for at, then in self.moments[::-1][::every][:MOMENTS_CHECKED]:
            assert self.seen(at) == then, f"L7: the views as of {at} differ from what was seen"


def walks(request: pytest.FixtureRequest, examples: int, steps: int) -> settings:
    """The same ``examples`` walks of up to ``steps`` steps every run (CI stays
    deterministic, no saved examples replayed); ``--slow`` walks five times as many new
    ones, twice as long, and keeps what fails."""
    slow = bool(request.config.getoption("--slow"))
    return settings(
        max_examples=examples * 5 if slow else examples,
        stateful_step_count=steps * 2 if slow else steps,
        derandomize=not slow,
        database=settings.default.database if slow else None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def walk(
    machine: Callable[[Counter[str]], RuleBasedStateMachine],
    request: pytest.FixtureRequest,
    *,
    examples: int,
    steps: int,
    milestones: Sequence[str],
) -> None:
    """Run the walks; each ``machine(reach)`` adds the commands that succeeded in it to
    ``reach``. A walk that never reaches a milestone command proves little of it, so the
    test fails if no walk does."""
    reach: Counter[str] = Counter()
    run_state_machine_as_test(lambda: machine(reach), settings=walks(request, examples, steps))
    print("walks reaching each command:", dict(sorted(reach.items())))
    missed = [command for command in milestones if not reach[command]]
    assert not missed, f"no walk reached {missed}: the machine no longer gets that deep"
