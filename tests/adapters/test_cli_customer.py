"""``show customer`` and ``list customers``: views without personal data (R-C1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.cli.main import app
from tests.customer_scenario import NAME, PHONE, buy, read, register


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def store(tmp_path: Path) -> str:
    """C-1 (core, read once by the data protection officer) and C-2, registered 5 January."""
    url = f"sqlite:///{tmp_path}/cli.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        register(loop, "C-1", consents=[{"channel": "sms", "purpose": "care", "source": "form"}])
        register(loop, "C-2")
        buy(loop, "C-1", "O-1", "6000.00 CNY")
        buy(loop, "C-1", "O-2", "6000.00 CNY")
        read(loop)
    return url


def test_R_C1_show_customer_shows_no_personal_data(store: str) -> None:
    done = cli("show", "customer", "C-1", "--store", store)
    assert done.exit_code == 0, done.output
    for shown in ("customer C-1", "core", "held: name, phone", "sms: care", "he.dpo"):
        assert shown in done.output
    assert PHONE not in done.output
    assert NAME not in done.output


def test_R_C9_list_customers_flags_missed_revisits(store: str) -> None:
    done = cli("list", "customers", "--store", store, "--json")
    assert [view["ref"] for view in json.loads(done.output)] == ["C-1", "C-2"]
    assert PHONE not in done.output
    table = cli("list", "customers", "--store", store)
    assert "C-2" in table.output
    assert "12000" in table.output.replace(",", "")
    late = cli("list", "customers", "--missed-revisits", "--store", store, "--as-of", "2026-05-01")
    assert late.exit_code == 0, late.output
    assert "missed" in late.output
    assert "C-2" not in late.output  # ordinary: no revisits due


def test_R_C9_list_care_shows_the_care_plan_with_missed_care_first(store: str) -> None:
    """As of 2026-04-28: C-1's core revisit (due 2026-04-05) was missed; labour day is near
    for C-1, who has care consent (C-2 has none)."""
    done = cli("list", "care", "--store", store, "--as-of", "2026-04-28", "--json")
    assert done.exit_code == 0, done.output
    plan = [(t["customer"], t["care"], t["missed"]) for t in json.loads(done.output)]
    assert plan == [("C-1", "revisit", True), ("C-1", "holiday_greeting", False)]
    table = cli("list", "care", "--store", store, "--as-of", "2026-04-28")
    assert "labour day" in table.output
    assert "missed" in table.output


def test_show_customer_unknown_is_not_found(store: str) -> None:
    done = cli("show", "customer", "NOBODY", "--store", store)
    assert done.exit_code == 5
    assert "no customer NOBODY" in done.output
