"""``show risk|complaint``, ``list risks|complaints|risk-heat-map``: tables, JSON, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.cli.main import app
from tests.cast import CEO, LI
from tests.risk_scenario import assessed, mitigated, received


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def store(tmp_path: Path) -> str:
    """RISK-1 high and mitigated, RISK-2 accepted medium, CMP-1 waiting on the customer."""
    url = f"sqlite:///{tmp_path}/risk.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        mitigated(loop)
        assessed(loop, "RISK-2", "medium", "medium")
        loop.execute(
            "risk.accept", CEO, {"risk": "RISK-2", "reason": "small", "expires_on": "2026-02-01"}
        )
        received(loop)
        loop.execute(
            "complaint.await_customer", LI, {"complaint": "CMP-1", "reason": "order number"}
        )
    return url


def test_show_risk_prints_its_levels_side_by_side(store: str) -> None:
    result = cli("show", "risk", "RISK-1", "--store", store)
    assert result.exit_code == 0, result.output
    for text in ("risk RISK-1", "high (high × high, 3x3)", "mitigate", "weekly competitor"):
        assert text in result.output


def test_list_risks_and_the_heat_map(store: str) -> None:
    result = cli("list", "risks", "--store", store, "--as-of", "2026-01-06")
    assert result.exit_code == 0, result.output
    assert "RISK-1" in result.output
    assert "RISK-2" in result.output
    late = cli("list", "risks", "--late", "--json", "--store", store, "--as-of", "2026-02-10")
    assert [view["ref"] for view in json.loads(late.output)] == ["RISK-1"]
    heat = cli("list", "risk-heat-map", "--json", "--store", store)
    assert json.loads(heat.output)["cells"] == [[0, 0, 0], [0, 1, 0], [0, 0, 1]]
    table = cli("list", "risk-heat-map", "--store", store)
    assert "likelihood \\ impact" in table.output


def test_show_and_list_complaints(store: str) -> None:
    result = cli("show", "complaint", "CMP-1", "--store", store)
    assert result.exit_code == 0, result.output
    assert "paused" in result.output
    assert "order number" in result.output
    listed = cli("list", "complaints", "--overdue", "--json", "--store", store)
    assert json.loads(listed.output) == []


def test_an_unknown_risk_is_not_found_without_a_traceback(store: str) -> None:
    result = cli("show", "risk", "RISK-9", "--store", store)
    assert result.exit_code == 5
    assert "no risk RISK-9" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_heat_map_stage_is_invalid_input(store: str) -> None:
    result = cli("list", "risk-heat-map", "--stage", "gross", "--store", store)
    assert result.exit_code == 2
    assert "stage 'gross' is none of inherent, current, residual" in result.output
