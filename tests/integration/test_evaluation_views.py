"""The evaluation views and the closure certificate, on the demo year and on every store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from closedloop import ClosedLoop, FixedClock, InvalidInput, RuleViolation
from closedloop.adapters.cli.main import DEMO_START
from closedloop.adapters.demo import run_demo
from tests.cast import LI, ZHOU
from tests.review_scenario import in_progress, raised

#: The demo's Q2 finding F1 is being rectified until its rectification closes on 25 July.
BEFORE_Q2_CLOSED = datetime(2026, 7, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite:///{tmp_path_factory.mktemp('views')}/demo.db"
    clock = FixedClock(DEMO_START)
    loop = ClosedLoop(url, clock=clock)
    run_demo(loop, clock)
    yield loop
    loop.close()


def test_L7_every_view_rebuilt_from_history_equals_the_live_one(year: ClosedLoop) -> None:
    live = {name: year.evaluation(name) for name in year.evaluations()}
    year.rebuild("facts")
    assert {name: year.evaluation(name) for name in year.evaluations()} == live


def test_L7_a_view_as_of_a_time_is_the_replay_up_to_then(year: ClosedLoop) -> None:
    then = year.evaluation("loop-health", period="2026-Q2", as_of=BEFORE_Q2_CLOSED)
    assert [loop["stage"] for loop in then["loops"]] == ["rectifying", "waived"]
    now = year.evaluation("loop-health", period="2026-Q2")
    assert [loop["stage"] for loop in now["loops"]] == ["closed", "waived"]
    at_start = year.evaluation("achievement", as_of=1)  # a store position: the first event
    assert at_start == []


def test_R_E4_loop_health_follows_each_finding_to_its_close(year: ClosedLoop) -> None:
    health = year.evaluation("loop-health", period="2026")
    assert {key: health[key] for key in ("findings", "rectified", "closed", "waived", "open")} == {
        "findings": 3,
        "rectified": 2,
        "closed": 2,
        "waived": 1,
        "open": 0,
    }
    assert health["median_loop_days"] == Decimal("43.5")  # 23 and 64 days
    assert (health["reviews"], health["reviews_finalised_on_time"]) == (2, 2)


def test_R_X4_R_X6_rectification_figures(year: ClosedLoop) -> None:
    figures = year.evaluation("rectifications")
    assert (figures["open"], figures["closed"], figures["overdue"]) == (0, 5, 0)
    assert figures["on_time_closure_rate"] == Decimal("0.8")  # August's closed after 31 Oct
    assert figures["reopen_rate"] == Decimal("0.2")  # one failed verification of five
    assert figures["recurrences"] == 0


def test_R_A5_R_A7_activity_money_and_figures_with_totals(year: ClosedLoop) -> None:
    view = year.evaluation("activities", period="2026-Q2")
    promo = {a["ref"]: a for a in view["activities"]}["PROMO-MAY-DAY"]
    assert (promo["budget"], promo["spend"], promo["approved_overspend"]) == (
        Decimal(200000),
        Decimal(218000),
        Decimal(20000),
    )
    assert promo["evaluation"]["cost_variance_pct"] == Decimal("0.09")
    assert view["totals"]["CNY"]["spend"] == Decimal(530000)  # promotion and expo


def test_R_T3_R_T4_achievement_tree_against_adjusted_and_original_value(
    year: ClosedLoop,
) -> None:
    (q3,) = year.evaluation("achievement", period="2026-Q3")
    assert (q3["ref"], q3["value"], q3["original_value"]) == (
        "REV-2026-Q3",
        Decimal(27000000),
        Decimal(30000000),
    )
    assert q3["achievement"] == Decimal("0.9141")
    assert q3["achievement_original"] == Decimal("0.8227")
    assert [child["ref"] for child in q3["children"]["period"]] == [
        "REV-2026-07",
        "REV-2026-08",
        "REV-2026-09",
    ]


def test_R_E4_a_closure_certificate_only_for_a_period_whose_loops_are_all_closed(
    year: ClosedLoop,
) -> None:
    with pytest.raises(RuleViolation) as refused:
        year.closure_certificate("2026-Q2", as_of=BEFORE_Q2_CLOSED)
    assert refused.value.rule == "R-E4"
    assert "REVIEW-2026-Q2 finding F1 is rectifying" in str(refused.value)
    certificate = year.closure_certificate("2026-Q2")
    assert (certificate["findings"], certificate["closed"], certificate["waived"]) == (2, 1, 1)
    assert certificate["audit_head"]["count"] == year.position()
    assert len(certificate["digest"]) == 64
    assert year.closure_certificate("2026-Q2")["digest"] == certificate["digest"]
    with pytest.raises(RuleViolation, match="no review of 2025"):
        year.closure_certificate("2025")


def test_views_read_their_own_writes_and_filter_by_scope(store_url: str) -> None:
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(store_url, clock=clock) as loop:
        assert loop.evaluation("rectifications")["open"] == 0
        in_progress(loop, "RX-1", deadline="2026-01-31")
        assert loop.evaluation("rectifications")["open"] == 1
        raised(loop, "RX-2")
        mine = loop.evaluation("rectifications", scope=f"person:{LI.id}")
        assert [r["ref"] for r in mine["rectifications"]] == ["RX-1", "RX-2"]
        assert loop.evaluation("rectifications", scope=f"person:{ZHOU.id}")["rectifications"] == []
        clock.set("2026-02-02T09:00:00+00:00")
        assert loop.evaluation("rectifications")["overdue"] == 1  # R-X4, judged today
    if store_url == "memory:":
        return
    with ClosedLoop(store_url, clock=clock) as reopened:  # the view kept its rows and position
        view = reopened._views["facts"]
        assert view.position == reopened.position()
        assert reopened.evaluation("rectifications")["open"] == 2


def test_a_bad_view_scope_or_period_is_invalid_input() -> None:
    with ClosedLoop("memory:") as loop:
        for call in (
            lambda: loop.evaluation("budgets"),
            lambda: loop.evaluation("plans", scope="region:south"),
            lambda: loop.evaluation("plans", period="2026-13"),
        ):
            with pytest.raises(InvalidInput):
                call()
