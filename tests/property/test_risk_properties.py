"""Properties of the risk matrix (R-K1, R-K3) and the complaint SLA clocks (R-C7)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Actor, ClosedLoop, FixedClock, Policy
from closedloop.domain.complaint import Pause, sla_due, sla_elapsed
from closedloop.domain.policy import ReviewCadence
from closedloop.domain.risk import Category, Risk
from closedloop.domain.risk_matrix import Grid, Level

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
LEVELS = [Level.LOW, Level.MEDIUM, Level.HIGH]


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    """A usable square grid of 3, 4 or 5: a cell's rank is a non-decreasing function of its
    row and column (each cell at least the ones above and to its left)."""
    size = draw(st.sampled_from([3, 4, 5]))
    ranks: list[list[int]] = []
    for row in range(size):
        cells: list[int] = []
        for column in range(size):
            floor = max(
                cells[column - 1] if column else 0,
                ranks[row - 1][column] if row else 0,
            )
            cells.append(draw(st.integers(min_value=floor, max_value=2)))
        ranks.append(cells)
    labels = [f"s{i}" for i in range(size)]
    return Grid(labels, labels, [[LEVELS[rank].value for rank in row] for row in ranks])


@given(grid=grids())
def test_R_K1_the_lookup_agrees_with_the_grid_for_every_cell_and_size(grid: Grid) -> None:
    matrix = Policy.from_mapping(
        {
            "risk": {
                "matrix": {
                    "likelihoods": list(grid.likelihoods),
                    "impacts": list(grid.impacts),
                    "levels": [[cell.value for cell in row] for row in grid.levels],
                }
            }
        }
    ).risk.matrix.grid()
    assert matrix == grid
    for i, likelihood in enumerate(grid.likelihoods):
        for j, impact in enumerate(grid.impacts):
            assert matrix.level(likelihood, impact) is grid.levels[i][j]
            assert matrix.level(f" {likelihood.upper()} ", impact) is grid.levels[i][j]


def _risk() -> Risk:
    return Risk.register(
        id=uuid4(),
        actor=Actor("li"),
        at=AT,
        title="price war",
        description="",
        category=Category.MARKET,
        sources=(),
        owner_id="li",
    )


@given(first=grids(), later=grids(), data=st.data())
def test_R_K1_old_assessments_keep_their_level_after_a_policy_change(
    first: Grid, later: Grid, data: st.DataObject
) -> None:
    risk = _risk()
    likelihood = data.draw(st.sampled_from(first.likelihoods))
    impact = data.draw(st.sampled_from(first.impacts))
    kept = risk.assess(
        Actor("li"),
        AT,
        likelihood=likelihood,
        impact=impact,
        stage=None,
        note="",
        grid=first,
        cadence=ReviewCadence(),
    )
    risk.assess(
        Actor("li"),
        AT + timedelta(days=1),
        likelihood=later.likelihoods[-1],
        impact=later.impacts[-1],
        stage=None,
        note="",
        grid=later,
        cadence=ReviewCadence(),
    )
    assert risk.assessments[0] == kept
    assert kept.level is first.level(likelihood, impact)
    assert (kept.grid, risk.assessments[1].grid) == (first, later)


@settings(max_examples=10, deadline=None)
@given(grid=grids(), data=st.data())
def test_R_K1_R_K3_a_stored_level_replays_unchanged_under_another_policy(
    grid: Grid, data: st.DataObject
) -> None:
    """Through a store reopened with the default policy: each assessment keeps its grid."""
    likelihood = data.draw(st.sampled_from(grid.likelihoods))
    impact = data.draw(st.sampled_from(grid.impacts))
    matrix = {
        "likelihoods": list(grid.likelihoods),
        "impacts": list(grid.impacts),
        "levels": [[cell.value for cell in row] for row in grid.levels],
    }
    li = Actor("li", roles={"marketer"})
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/risk.db"
        policy = Policy.from_mapping({"risk": {"matrix": matrix}})
        with ClosedLoop(url, policy=policy, clock=FixedClock(AT)) as loop:
            loop.execute(
                "risk.register", li, {"ref": "R", "title": "t", "category": "market", "owner": "li"}
            )
            loop.execute(
                "risk.assess", li, {"risk": "R", "likelihood": likelihood, "impact": impact}
            )
        with ClosedLoop(url, clock=FixedClock(AT)) as loop:
            current = loop.risk("R")["current"]
    assert current["level"] == grid.level(likelihood, impact).value
    assert current["grid"] == grid.size


HOURS = st.integers(min_value=0, max_value=24 * 14)


@st.composite
def pause_spans(draw: st.DrawFn) -> tuple[list[Pause], datetime]:
    """Sequential pauses after receipt (the last perhaps still open), and the moment after."""
    cursor = AT
    pauses = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        since = cursor + timedelta(minutes=draw(st.integers(min_value=0, max_value=3000)))
        length = timedelta(minutes=draw(st.integers(min_value=1, max_value=3000)))
        pauses.append(Pause(since, since + length, "waiting", "li"))
        cursor = since + length
    if pauses and draw(st.booleans()):
        last = pauses[-1]
        pauses[-1] = Pause(last.since, None, last.reason, last.actor_id)
    return pauses, cursor


@given(spans=pause_spans(), a=HOURS, b=HOURS)
def test_R_C7_sla_elapsed_is_monotone_and_excludes_paused_spans(
    spans: tuple[list[Pause], datetime], a: int, b: int
) -> None:
    pauses, _ = spans
    early, late = sorted([AT + timedelta(hours=a), AT + timedelta(hours=b)])
    assert sla_elapsed(AT, pauses, early) <= sla_elapsed(AT, pauses, late)
    paused = sum(
        (min(p.until or late, late) - min(p.since, late) for p in pauses),
        timedelta(0),
    )
    assert sla_elapsed(AT, pauses, late) == late - AT - paused
    assert sla_elapsed(AT, pauses, late) <= late - AT


@given(spans=pause_spans(), hours=st.integers(min_value=1, max_value=200))
def test_R_C7_the_due_time_is_when_the_sla_hours_have_run(
    spans: tuple[list[Pause], datetime], hours: int
) -> None:
    pauses, _ = spans
    due = sla_due(AT, pauses, hours)
    budget = timedelta(hours=hours)
    if due is None:  # paused for good before the hours ran out
        open_pause = pauses[-1]
        assert open_pause.until is None
        assert sla_elapsed(AT, pauses, open_pause.since) < budget
    else:
        assert sla_elapsed(AT, pauses, due) == budget
        assert sla_elapsed(AT, pauses, due - timedelta(seconds=1)) < budget
