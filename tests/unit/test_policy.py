"""Policy is data: the defaults of LOOP_RULES.md, files that name only changes, R-E3 grades."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock, InvalidInput, NotAuthorised, Policy
from closedloop.application.policy_file import load_policy
from closedloop.domain.policy import DEFAULT_ROLES, PERMISSIONS, Grades
from tests.cast import HEAD, LI


def test_the_defaults_are_those_of_loop_rules() -> None:
    policy = Policy()
    grades = policy.grades
    assert (grades.excellent, grades.good, grades.passing) == (
        Decimal("1.10"),
        Decimal("1.00"),
        Decimal("0.80"),
    )  # R-E3
    assert policy.research.min_comprehensive_studies_per_year == 2  # R-R1
    customer = policy.customer
    assert customer.points_valid_days == 730  # R-C5
    assert customer.verify_every_days == 180  # R-C8
    assert customer.churn_after_days == 365  # R-C10
    assert (customer.complaint_acknowledge_hours, customer.complaint_resolve_hours) == (24, 72)
    assert policy.rectification.verify_after_days == 0  # R-X3
    assert policy.rectification.recurrence_days == 180  # R-X6
    assert policy.review.monthly_due_day == 10  # R-E1: by the 10th of the next month
    assert policy.review.annual_due_month == 1  # R-E1: by the end of January
    assert policy.roles == DEFAULT_ROLES


def test_default_roles_grant_what_loop_rules_says() -> None:
    policy = Policy()
    marketer = policy.permissions_of(frozenset({"marketer"}))
    manager = policy.permissions_of(frozenset({"manager"}))
    assert marketer < manager  # everything a marketer may, and more
    assert "approve" in manager
    assert "adjust_targets" not in manager
    assert "adjust_targets" in policy.permissions_of(frozenset({"leadership"}))
    assert policy.permissions_of(frozenset({"auditor"})) == {"read"}
    # R-C1: personal data is read by pii_reader alone (and only read); leadership erases it
    assert policy.permissions_of(frozenset({"pii_reader"})) == {"read", "read_personal_data"}
    assert [r for r in DEFAULT_ROLES if "read_personal_data" in DEFAULT_ROLES[r]] == ["pii_reader"]
    assert "erase_personal_data" in policy.permissions_of(frozenset({"leadership"}))
    assert policy.permissions_of(frozenset({"compliance"})) == {"read", "review_ads"}
    assert "waive_findings" in policy.permissions_of(frozenset({"leadership"}))
    assert "waive_findings" not in manager
    assert {"verify", "approve_overspend"} <= manager
    assert policy.permissions_of(frozenset({"intern"})) == frozenset()
    assert policy.permissions_of(frozenset({"marketer", "auditor"})) == marketer
    assert set().union(*DEFAULT_ROLES.values()) == PERMISSIONS


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    file = tmp_path / name
    if isinstance(text, bytes):
        file.write_bytes(text)
    else:
        file.write_text(text, encoding="utf-8")
    return file


def test_a_toml_file_names_only_what_it_changes(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "policy.toml",
        """
[grades]
pass = 0.75          # a TOML float, read as the decimal it shows

[customer]
complaint_acknowledge_hours = 12

[roles]
marketer = ["read"]
""",
    )
    policy = load_policy(file)
    assert policy.grades.passing == Decimal("0.75")
    assert policy.grades.excellent == Decimal("1.10")
    assert policy.customer.complaint_acknowledge_hours == 12
    assert policy.customer.complaint_resolve_hours == 72
    assert policy.roles["marketer"] == {"read"}
    assert policy.roles["manager"] == DEFAULT_ROLES["manager"]


def test_a_json_file_names_only_what_it_changes(tmp_path: Path) -> None:
    data = {"rectification": {"recurrence_days": 90}, "grades": {"excellent": "1.2"}}
    policy = load_policy(write(tmp_path, "policy.JSON", json.dumps(data)))
    assert policy.rectification.recurrence_days == 90
    assert policy.rectification.verify_after_days == 0
    assert policy.grades.excellent == Decimal("1.2")
    assert policy.grades.grade(Decimal("1.15")) == "good"


def test_a_closed_loop_runs_under_the_policy_file_it_is_given(
    tmp_path: Path, clock: FixedClock
) -> None:
    file = write(tmp_path, "policy.toml", '[roles]\nmarketer = ["read"]\n')
    with ClosedLoop("memory:", policy=file, clock=clock) as loop:
        assert loop.policy.roles["marketer"] == {"read"}
        with pytest.raises(NotAuthorised, match="R-G2"):
            loop.execute("target.create", LI, {"metric": "revenue", "period": "2026"})
        loop.execute("target.create", HEAD, {"metric": "revenue", "period": "2026"})


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("bad.toml", "[grades\npass = 0.7", "is not valid"),
        ("bad.json", '{"grades": ', "is not valid"),
        ("list.json", "[1, 2]", "must hold a table"),
        ("binary.toml", b"\xff\xfe\x00grades", "not UTF-8"),
        ("order.toml", "[grades]\ngood = 1.2\nexcellent = 1.1", "excellent >= good >= pass"),
        ("zero.toml", "[grades]\npass = 0", "excellent >= good >= pass > 0"),
        ("perm.toml", '[roles]\nmarketer = ["read", "fly"]', "unknown permissions ['fly']"),
        ("roles.toml", 'roles = "marketer"', "roles must map each role"),
        ("key.toml", "churn_days = 30", "churn_days: Extra inputs are not permitted"),
        ("nested.toml", "[customer]\nchurn_days = 30", "customer.churn_days: Extra inputs"),
        ("days.json", '{"customer": {"points_valid_days": 0}}', "points_valid_days: Input should"),
        ("due.toml", "[review]\nmonthly_due_day = 31", "monthly_due_day: Input should be less"),
    ],
)
def test_an_invalid_policy_file_is_refused_with_a_clear_message(
    tmp_path: Path, name: str, text: str | bytes, problem: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        load_policy(write(tmp_path, name, text))
    assert problem in str(error.value)
    assert "pydantic.dev" not in str(error.value)


def test_a_missing_policy_file_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(InvalidInput, match=r"cannot read policy file .*nowhere\.toml"):
        load_policy(missing)
    with pytest.raises(InvalidInput, match=r"nowhere\.toml"):
        ClosedLoop("memory:", policy=missing, clock=clock)


@pytest.mark.parametrize(
    ("achievement", "grade"),
    [
        ("2.5", "excellent"),
        ("1.10", "excellent"),
        ("1.0999", "good"),
        ("1.00", "good"),
        ("0.9999", "pass"),
        ("0.80", "pass"),
        ("0.7999", "fail"),
        ("0", "fail"),
    ],
)
def test_R_E3_grades_map_achievement_at_the_boundaries(achievement: str, grade: str) -> None:
    assert Policy().grades.grade(Decimal(achievement)) == grade


def test_R_E3_custom_grades_move_the_boundaries() -> None:
    grades = Grades.model_validate({"excellent": "1.2", "good": "1.0", "pass": "0.9"})
    assert [grades.grade(Decimal(a)) for a in ("1.2", "1.19", "1.0", "0.9", "0.89")] == [
        "excellent",
        "good",
        "good",
        "pass",
        "fail",
    ]
