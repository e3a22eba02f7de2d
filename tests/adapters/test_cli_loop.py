"""The CLI on the loop: show and list activities, reviews and rectifications, search lessons,
as played by the demo year into a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.cli.main import DEMO_START, app
from closedloop.adapters.demo import run_demo
from tests.review_scenario import in_progress, raised


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "220"})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('loop')}/demo.db"
    clock = FixedClock(DEMO_START)
    with ClosedLoop(url, clock=clock) as loop:
        run_demo(loop, clock)
    return url


def test_demo_prints_the_loop_and_what_was_refused(tmp_path: Path) -> None:
    result = cli("demo", "--store", f"sqlite:///{tmp_path}/demo.db")
    assert result.exit_code == 0, result.output
    for text in (
        "activities",
        "PROMO-MAY-DAY",
        "REVIEW-2026-Q2",
        "rectifications",
        "refused on the way",
        "R-A3",  # 全网最低价 before the copy was corrected
        "全网最低价",
        "R-A5",  # the expense over budget before the overspend was approved
        "R-C3",  # the invitation without promotion consent
        "high value",  # the customers summary: counts per tier, points, churn, erasure
        "points outstanding",
        "churn rate 2026",
        "C-0120 (erased",
        "risks",  # the register, the accepted and the occurred risk in it
        "RISK-SUBSIDY-END",
        "RISK-CHARGER-INSTALL",
    ):
        assert text in result.stdout, text


def test_show_activity_has_its_money_and_evaluation(store: str) -> None:
    result = cli("show", "activity", "PROMO-MAY-DAY", "--store", store)
    assert result.exit_code == 0, result.output
    for text in (
        "activity PROMO-MAY-DAY",
        "200,000 CNY",  # budget
        "218,000 CNY",  # spend
        "20,000 CNY",  # overspend approved (R-A5)
        "FP-2026-0561",
        "missed objectives",
        "orders",
        "evaluation",
    ):
        assert text in result.stdout, text


def test_show_activity_as_of_a_time_before_it_ran(store: str) -> None:
    result = cli("show", "activity", "PROMO-MAY-DAY", "--as-of", "2026-04-30", "--store", store)
    assert result.exit_code == 0, result.output
    assert "running" not in result.stdout
    assert "FP-2026-0507" not in result.stdout


def test_list_activities_as_json_keeps_amounts_exact(store: str) -> None:
    result = cli("list", "activities", "--json", "--store", store)
    assert result.exit_code == 0, result.output
    views = {view["ref"]: view for view in json.loads(result.stdout)}
    assert set(views) >= {"AD-NEV-SPRING", "PROMO-MAY-DAY", "EXPO-HANGZHOU", "LOYALTY-DAY"}
    assert views["PROMO-MAY-DAY"]["spend"] == {"amount": "218000", "currency": "CNY"}


def test_show_review_lists_findings_and_what_covers_each(store: str) -> None:
    result = cli("show", "review", "REVIEW-2026-Q2", "--store", store)
    assert result.exit_code == 0, result.output
    for text in ("finalised", "F1", "REVIEW-2026-Q2/F1 (closed)", "F2", "approved by wang.wei"):
        assert text in result.stdout, text


def test_list_reviews_and_rectifications(store: str) -> None:
    reviews = cli("list", "reviews", "--store", store)
    assert reviews.exit_code == 0, reviews.output
    assert "REVIEW-2026-08" in reviews.stdout
    rectifications = cli("list", "rectifications", "--json", "--store", store)
    assert rectifications.exit_code == 0, rectifications.output
    statuses = {view["ref"]: view["status"] for view in json.loads(rectifications.stdout)}
    assert statuses["REVIEW-2026-08/F1"] == "closed"


def test_R_X4_list_rectifications_overdue_as_of_now_or_a_time(tmp_path: Path) -> None:
    """RX-1 is due on 2026-01-31: overdue from February on, so today (the system clock); RX-2
    is due in 2099."""
    url = f"sqlite:///{tmp_path}/overdue.db"
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(url, clock=clock) as loop:
        in_progress(loop, "RX-1", deadline="2026-01-31")
        raised(loop, "RX-2", deadline="2099-06-30")
    overdue = cli("list", "rectifications", "--overdue", "--json", "--store", url)
    assert overdue.exit_code == 0, overdue.output
    assert [view["ref"] for view in json.loads(overdue.stdout)] == ["RX-1"]
    before = cli(
        "list", "rectifications", "--overdue", "--json", "--as-of", "2026-01-20", "--store", url
    )
    assert json.loads(before.stdout) == []
    table = cli("list", "rectifications", "--overdue", "--store", url)
    assert "RX-1" in table.stdout
    assert "RX-2" not in table.stdout


def test_show_rectification_with_its_verifications(store: str) -> None:
    result = cli("show", "rectification", "REVIEW-2026-08/F1", "--store", store)
    assert result.exit_code == 0, result.output
    for text in ("CHANNEL-LOSS", "verifications", "closed", "re-assign its customers"):
        assert text in result.stdout, text


def test_R_X5_lessons_are_searchable_by_every_word(store: str) -> None:
    result = cli("lessons", "distributor", "customers", "--json", "--store", store)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [lesson["ref"] for lesson in found] == ["REVIEW-2026-08/F1"]
    assert cli("lessons", "--store", store).stdout.count("closed at") == 1
    nothing = cli("lessons", "distributor", "expo", "--json", "--store", store)
    assert json.loads(nothing.stdout) == []


def test_a_missing_activity_is_not_found_with_exit_code_5(store: str) -> None:
    result = cli("show", "activity", "NO-SUCH-FAIR", "--store", store)
    assert result.exit_code == 5
    assert "NO-SUCH-FAIR" in result.stderr


@pytest.mark.slow
def test_tables_written_to_a_pipe_stay_whole(store: str) -> None:
    """Without a terminal (a file, a pipe) tables are not squeezed into 80 columns."""
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    command = ["list", "activities", "--store", store]
    done = subprocess.run(
        [sys.executable, "-m", "closedloop.adapters.cli.main", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "New-energy spring launch" in done.stdout
    assert "2026-03-01 … 2026-03-31" in done.stdout


def test_view_prints_an_evaluation_view_as_a_table_or_json(store: str) -> None:
    health = cli("view", "loop-health", "--period", "2026-Q2", "--store", store)
    assert health.exit_code == 0, health.output
    for text in ("findings", "median loop days", "REVIEW-2026-Q2", "waived"):
        assert text in health.stdout, text
    activities = cli("view", "activities", "--scope", "person:li.na", "--json", "--store", store)
    refs = [a["ref"] for a in json.loads(activities.stdout)["activities"]]
    assert refs == ["AD-NEV-SPRING", "EXPO-HANGZHOU"]
    tree = cli("view", "achievement", "--period", "2026-Q3", "--store", store)
    assert "REV-2026-08" in tree.stdout
    assert "fail" in tree.stdout
    unknown = cli("view", "budgets", "--store", store)
    assert unknown.exit_code == 2
    assert "loop-health" in unknown.stderr


def test_certificate_is_issued_for_a_closed_period_and_refused_with_its_open_loops(
    store: str,
) -> None:
    issued = cli("certificate", "2026-Q2", "--store", store)
    assert issued.exit_code == 0, issued.output
    assert "Every finding of 2026-Q2 is closed and verified, or waived." in issued.stdout
    assert "digest (SHA-256)" in issued.stdout
    refused = cli("certificate", "2026-Q2", "--as-of", "2026-07-09", "--store", store)
    assert refused.exit_code == 4
    assert "R-E4" in refused.stderr
    assert "F1 is rectifying" in refused.stderr
