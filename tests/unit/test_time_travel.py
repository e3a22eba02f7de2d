"""Time travel (L7): reading a target as it was at a version or at a moment, on every store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from closedloop import ClosedLoop, FixedClock, InvalidInput, NotFound
from tests.cast import CEO, CFO, HEAD, LI
from tests.scenario import approved_revenue_target, draft_revenue_target, quarters

BEIJING = timezone(timedelta(hours=8))


def life_of_a_target(loop: ClosedLoop, clock: FixedClock) -> list[datetime]:
    """Draft, submit, approve, adjust, measure: a day apart; returns each step's time."""
    steps: list[Callable[[], object]] = [
        lambda: draft_revenue_target(loop),
        lambda: loop.execute("target.submit", HEAD, {"target": "REV-2026"}),
        lambda: loop.execute("target.approve", CFO, {"target": "REV-2026"}),
        lambda: loop.execute(
            "target.request_adjustment",
            HEAD,
            {
                "target": "REV-2026",
                "value": "10000000",
                "reason": "distributor lost",
                "analysis": "2 M CNY channel loss",
            },
        ),
        lambda: loop.execute("target.approve_adjustment", CEO, {"target": "REV-2026"}),
        lambda: loop.execute(
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": "800000", "as_of": "2026-01-31", "source": "ERP"},
        ),
    ]
    times = []
    for step in steps:
        times.append(clock.advance(days=1))
        step()
    return times


def state(view: dict[str, object]) -> tuple[object, ...]:
    return view["version"], view["status"], view["revision"], view["value"], view["actual"]


EXPECTED = [
    (1, "draft", 1, 12000000, None),
    (2, "submitted", 1, 12000000, None),
    (3, "approved", 1, 12000000, None),
    (4, "approved", 1, 12000000, None),
    (5, "approved", 2, 10000000, None),
    (6, "approved", 2, 10000000, 800000),
]


def test_as_of_a_version_gives_the_state_after_that_many_events(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    life_of_a_target(loop, clock)
    assert [state(loop.target("REV-2026", as_of=v)) for v in range(1, 7)] == EXPECTED
    assert state(loop.target("REV-2026")) == EXPECTED[-1]


def test_as_of_a_moment_gives_the_state_at_that_moment(loop: ClosedLoop, clock: FixedClock) -> None:
    times = life_of_a_target(loop, clock)
    for at, expected in zip(times, EXPECTED, strict=True):
        assert state(loop.target("REV-2026", as_of=at)) == expected  # a step's own time counts
        later = at + timedelta(hours=23)
        assert state(loop.target("REV-2026", as_of=later.astimezone(BEIJING))) == expected


def test_as_of_shows_the_approval_in_force_then(loop: ClosedLoop, clock: FixedClock) -> None:
    times = life_of_a_target(loop, clock)
    pending = loop.target("REV-2026", as_of=times[3])
    assert pending["approval"] == {"by": CFO.id, "revision": 1, "at": times[2]}
    assert pending["adjustments"][0]["decision"] == "pending"
    assert loop.target("REV-2026", as_of=times[4])["approval"]["revision"] == 2


def test_as_of_before_creation_is_not_found(loop: ClosedLoop, clock: FixedClock) -> None:
    times = life_of_a_target(loop, clock)
    with pytest.raises(NotFound, match="REV-2026"):
        loop.target("REV-2026", as_of=times[0] - timedelta(microseconds=1))
    with pytest.raises(NotFound):
        loop.target("NEVER-CREATED", as_of=times[-1])


@pytest.mark.parametrize(
    ("as_of", "problem"),
    [
        (datetime(2026, 3, 31, 23, 59), "timezone"),  # naive: which midnight?
        (0, "starts at 1"),
        (True, "neither a version"),
        ("2026-03-31", "neither a version"),
    ],
)
def test_as_of_must_be_a_version_or_an_aware_moment(
    mem_loop: ClosedLoop, as_of: object, problem: str
) -> None:
    draft_revenue_target(mem_loop)
    with pytest.raises(InvalidInput, match=problem):
        mem_loop.target("REV-2026", as_of=as_of)  # type: ignore[arg-type]


def test_target_tree_as_of_shows_the_children_as_they_were(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_revenue_target(loop)
    before_split = clock.advance(days=1)
    split_at = clock.advance(days=1)
    loop.execute(
        "target.decompose",
        HEAD,
        {
            "target": "REV-2026",
            "dimension": "period",
            "children": quarters("REV-2026", ["2400000", "2800000", "3200000", "3600000"]),
        },
    )
    split_seen = clock.advance(days=1)
    clock.advance(days=1)
    loop.execute("target.submit", HEAD, {"target": "REV-2026-Q1"})
    loop.execute("target.approve", CFO, {"target": "REV-2026-Q1"})
    loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026-Q1", "value": "2500000", "as_of": "2026-03-31", "source": "ERP"},
    )

    assert loop.target_tree("REV-2026", as_of=before_split)["children"] == {}
    for at in (split_at, split_seen):
        then = loop.target_tree("REV-2026", as_of=at)
        assert [(q["ref"], q["status"], q["actual"]) for q in then["children"]["period"]] == [
            (f"REV-2026-Q{i}", "draft", None) for i in range(1, 5)
        ]
        assert then["actual"] is None
    now = loop.target_tree("REV-2026")
    assert now["children"]["period"][0]["status"] == "approved"
    assert now["actual"] == 2500000


def test_targets_as_of_lists_only_what_existed(loop: ClosedLoop, clock: FixedClock) -> None:
    draft_revenue_target(loop)
    first = clock.now()
    clock.advance(days=1)
    draft_revenue_target(loop, ref="REV-2027", period="2027")
    assert [t["ref"] for t in loop.targets(as_of=first)] == ["REV-2026"]
    assert [t["ref"] for t in loop.targets()] == ["REV-2026", "REV-2027"]
