"""The CLI in-process (Typer's runner): show, list, schema, demo; errors mapped to exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.cli.main import app, parse_as_of
from tests.adapters.envelopes import approved_target_lines
from tests.cast import CFO, HEAD, LI
from tests.conftest import PG_URL
from tests.scenario import approved_revenue_target, quarters


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store: REV-2026 (12 M CNY, 5 January) split into approved quarters (6 January),
    Q1 measured at 3.3 M (1 April)."""
    url = f"sqlite:///{tmp_path}/cli.db"
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(url, clock=clock) as loop:
        approved_revenue_target(loop)
        clock.set("2026-01-06T09:00:00+00:00")
        loop.execute(
            "target.decompose",
            HEAD,
            {
                "target": "REV-2026",
                "dimension": "period",
                "children": quarters("REV-2026", ["3000000"] * 4),
            },
        )
        for quarter in range(1, 5):
            loop.execute("target.submit", HEAD, {"target": f"REV-2026-Q{quarter}"})
            loop.execute("target.approve", CFO, {"target": f"REV-2026-Q{quarter}"})
        clock.set("2026-04-01T09:00:00+00:00")
        loop.execute(
            "target.record_actual",
            LI,
            {
                "target": "REV-2026-Q1",
                "value": "3300000",
                "as_of": "2026-03-31",
                "source": "ERP",
            },
        )
    return url


# --- show and list -----------------------------------------------------------------------------


def test_show_target_prints_a_panel_with_achievement_and_grade(store: str) -> None:
    result = cli("show", "target", "REV-2026-Q1", "--store", store)
    assert result.exit_code == 0, result.output
    for text in (
        "target REV-2026-Q1",
        "approved",
        "3,000,000 CNY",
        "3,300,000 CNY",
        "110.0 %",
        "excellent",
        "ERP",
        "zhao.cfo, revision 1",
    ):
        assert text in result.stdout


def test_show_target_tree_shows_every_node(store: str) -> None:
    result = cli("show", "target", "REV-2026", "--tree", "--store", store)
    assert result.exit_code == 0, result.output
    assert "by period" in result.stdout
    lines = result.stdout.splitlines()
    q1 = next(line for line in lines if "REV-2026-Q1" in line)
    assert "110.0 %" in q1
    assert "excellent" in q1
    root = next(line for line in lines if "REV-2026 " in line)
    assert "27.5 %" in root  # 3.3 M of 12 M, rolled up from Q1 (R-T4)


def test_show_target_json_keeps_numbers_exact(store: str) -> None:
    result = cli("show", "target", "REV-2026", "--json", "--store", store)
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["value"] == "12000000"
    assert (view["actual"], view["achievement"]) == ("3300000", "0.2750")
    tree = json.loads(
        cli("show", "target", "REV-2026", "--tree", "--json", "--store", store).stdout
    )
    assert [q["ref"] for q in tree["children"]["period"]] == [
        f"REV-2026-Q{i}" for i in (1, 2, 3, 4)
    ]


def test_show_target_as_of_a_version_or_a_time(store: str) -> None:
    first = json.loads(
        cli("show", "target", "REV-2026", "--as-of", "1", "--json", "--store", store).stdout
    )
    assert (first["version"], first["status"]) == (1, "draft")
    at_creation = cli(
        "show", "target", "REV-2026", "--as-of", "2026-01-05T09:00:00", "--store", store
    )
    assert at_creation.exit_code == 0, at_creation.output
    before = cli(
        "show", "target", "REV-2026", "--as-of", "2026-01-05T09:00:00+01:00", "--store", store
    )
    assert before.exit_code == 5
    assert "not_found" in before.stderr


def test_as_of_is_a_version_or_an_iso_time_naive_meaning_utc() -> None:
    assert parse_as_of("7") == 7
    assert parse_as_of("2026-03-31T23:59") == datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    assert parse_as_of("2026-03-31") == datetime(2026, 3, 31, tzinfo=UTC)
    assert parse_as_of(None) is None


def test_lists_take_a_time_and_trees_read_children_at_the_roots_version(store: str) -> None:
    """A version number is one record's; across several records only a moment is meaningful."""
    refused = cli("list", "targets", "--as-of", "2", "--store", store)
    assert refused.exit_code == 2
    assert "give a time" in refused.stderr
    assert (
        cli("show", "target", "REV-2026", "--tree", "--as-of", "2", "--store", store).exit_code == 0
    )
    at_start = cli("list", "targets", "--as-of", "2026-01-05T12:00:00Z", "--json", "--store", store)
    assert [view["ref"] for view in json.loads(at_start.stdout)] == ["REV-2026"]


def test_a_bad_as_of_is_invalid_input_with_a_json_body_under_json(store: str) -> None:
    result = cli("show", "target", "REV-2026", "--as-of", "last week", "--json", "--store", store)
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["error"] == "invalid_input"
    assert "--as-of 'last week'" in body["message"]


def test_list_targets_as_a_table_and_as_json(store: str) -> None:
    table = cli("list", "targets", "--store", store)
    assert table.exit_code == 0, table.output
    assert all(f"REV-2026-Q{i}" in table.stdout for i in range(1, 5))
    views = json.loads(cli("list", "targets", "--json", "--store", store).stdout)
    assert [view["ref"] for view in views] == ["REV-2026", *(f"REV-2026-Q{i}" for i in range(1, 5))]


def test_show_a_missing_target_is_not_found(store: str) -> None:
    result = cli("show", "target", "REV-2027", "--store", store)
    assert result.exit_code == 5
    assert "no target REV-2027" in result.stderr
    assert result.stdout == ""


PLAN_LINES = [
    {
        "command": "plan.create",
        "actor": {"id": "chen.head", "roles": ["manager"]},
        "args": {
            "ref": "MKT-2026",
            "level": "annual",
            "period": "2026",
            "budget": "3000000 CNY",
            "title": "2026 marketing [v1]",
            "linked_targets": ["REV-2026"],
        },
    },
    {
        "command": "plan.add_action_item",
        "actor": {"id": "chen.head", "roles": ["manager"]},
        "args": {
            "plan": "MKT-2026",
            "what": "spring launch",
            "owner": "li.marketer",
            "start": "2026-03-01",
            "due": "2026-04-30",
            "expected_effect": "300 test drives",
            "budget": "1200000.50 CNY",
            "target": "REV-2026",
        },
    },
    {
        "command": "plan.submit",
        "actor": {"id": "chen.head", "roles": ["manager"]},
        "args": {"plan": "MKT-2026"},
    },
    {
        "command": "plan.approve",
        "actor": {"id": "wang.ceo", "roles": ["leadership"]},
        "args": {"plan": "MKT-2026"},
    },
    {
        "command": "plan.revise",
        "actor": {"id": "chen.head", "roles": ["manager"]},
        "args": {"plan": "MKT-2026", "reason": "more for the year-end push"},
    },
    {
        "command": "plan.update",
        "actor": {"id": "chen.head", "roles": ["manager"]},
        "args": {"plan": "MKT-2026", "budget": "3500000 CNY"},
    },
]


def test_show_and_list_plans_with_the_revision_in_force(store: str) -> None:
    batch = "\n".join(json.dumps(line) for line in PLAN_LINES)
    assert cli("apply", "-", "--store", store, stdin=batch).exit_code == 0
    shown = cli("show", "plan", "MKT-2026", "--store", store)
    assert shown.exit_code == 0, shown.output
    for text in (
        "plan MKT-2026",
        "3,500,000 CNY",
        "1,200,000.50 CNY",
        "2,299,999.50 CNY",
        "revision 1, budget 3,000,000 CNY",
        "spring launch",
        "300 test drives",
        "2026 marketing [v1]",  # brackets print as text, not markup
    ):
        assert text in shown.stdout
    listed = cli("list", "plans", "--store", store)
    assert "MKT-2026" in listed.stdout
    view = json.loads(cli("show", "plan", "MKT-2026", "--json", "--store", store).stdout)
    assert view["budget"] == {"amount": "3500000", "currency": "CNY"}
    assert view["approved"]["revision"] == 1
    assert len(json.loads(cli("list", "plans", "--json", "--store", store).stdout)) == 1


def test_show_and_list_research(store: str) -> None:
    create = {
        "command": "research.create",
        "actor": {"id": "li.marketer", "roles": ["marketer"]},
        "args": {
            "ref": "STUDY-2026-H1",
            "title": "Dealer network study",
            "kind": "comprehensive",
            "period": "2026",
            "methods": ["survey"],
            "topics": ["industry_trend", "competitors", "customer_needs"],
        },
    }
    assert cli("apply", "-", "--store", store, stdin=json.dumps(create)).exit_code == 0
    shown = cli("show", "research", "STUDY-2026-H1", "--store", store)
    assert shown.exit_code == 0, shown.output
    for text in ("research STUDY-2026-H1", "comprehensive", "Dealer network study", "survey"):
        assert text in shown.stdout
    assert "STUDY-2026-H1" in cli("list", "research", "--store", store).stdout
    (study,) = json.loads(cli("list", "research", "--json", "--store", store).stdout)
    assert study["title"] == "Dealer network study"


def test_a_policy_file_changes_the_grades(store: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[grades]\nexcellent = "1.50"\n', encoding="utf-8")
    result = cli(
        "show", "target", "REV-2026-Q1", "--json", "--policy", str(policy), "--store", store
    )
    assert json.loads(result.stdout)["grade"] == "good"
    missing = cli(
        "show", "target", "REV-2026-Q1", "--policy", str(tmp_path / "no.toml"), "--store", store
    )
    assert missing.exit_code == 2
    assert "cannot read policy file" in missing.stderr


# --- schema ------------------------------------------------------------------------------------


def test_schema_covers_every_catalogue_command() -> None:
    result = cli("schema")
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) == {command.name for command in ClosedLoop.commands()}
    assert all(schema["title"] == name for name, schema in schemas.items())
    one = json.loads(cli("schema", "target.record_actual").stdout)
    assert set(one["required"]) == {"target", "value", "as_of", "source"}


def test_an_unknown_schema_is_invalid_input_with_suggestions() -> None:
    result = cli("schema", "target.aprove")
    assert result.exit_code == 2
    assert "did you mean target.approve" in result.stderr


# --- demo --------------------------------------------------------------------------------------


def test_demo_plays_a_year_into_a_fresh_store_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    first = cli("demo", "--store", url)
    assert first.exit_code == 0, first.output
    assert "REV-2026-Q1" in first.stdout
    assert f"events recorded in {url}" in first.stdout
    again = cli("demo", "--store", url)
    assert again.exit_code == 2
    assert "--replace" in again.stderr
    assert "sqlite:///another.db" in again.stderr
    assert cli("demo", "--store", url, "--replace").exit_code == 0


def test_demo_replace_deletes_only_sqlite_files() -> None:
    result = cli("demo", "--store", "memory:", "--replace")
    assert result.exit_code == 2
    assert "--replace deletes a SQLite file" in result.stderr


# --- store -------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_is_a_setting_not_a_code_change(pg_schema: str) -> None:
    url = f"{PG_URL}?schema={pg_schema}"
    batch = "\n".join(approved_target_lines())
    assert cli("apply", "-", "--store", url, stdin=batch).exit_code == 0
    view = json.loads(cli("show", "target", "REV-2026", "--json", "--store", url).stdout)
    assert view["status"] == "approved"
    not_empty = cli("demo", "--store", url)
    assert not_empty.exit_code == 2
    assert "is not empty" in not_empty.stderr
    assert cli("demo", "--store", url, "--replace").exit_code == 2  # only SQLite files


def test_the_default_store_is_closedloop_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOSEDLOOP_STORE", raising=False)
    result = cli("list", "targets", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert (tmp_path / "closedloop.db").is_file()


def test_help_names_the_exit_codes_and_the_default_store() -> None:
    assert "4 rule_violation" in cli("--help").stdout
    assert "7 store_unavailable" in cli("--help").stdout
    assert "sqlite:///closedloop.db" in cli("apply", "--help").stdout
