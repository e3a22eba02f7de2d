"""Risk rules R-K1 … R-K5: matrix, treatment and acceptance, reassessments, cadence, occurrence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from closedloop import (
    ClosedLoop,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    NotFound,
    Policy,
    RuleViolation,
)
from closedloop.application.policy_file import load_policy
from closedloop.domain.risk_matrix import Level
from tests.cast import CEO, HEAD, LI
from tests.risk_scenario import (
    FIVE,
    POLICY_5X5,
    assessed,
    mitigated,
    registered,
)


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def snapshot(loop: ClosedLoop) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """Everything a refused command must leave alone (R-G4)."""
    return loop.position(), loop.risks(), loop.rectifications()


# --- R-K1 matrix -------------------------------------------------------------------------------

DEFAULT_CELLS = {
    ("low", "low"): "low",
    ("low", "medium"): "low",
    ("medium", "low"): "low",
    ("high", "high"): "high",
    ("high", "medium"): "high",
    ("medium", "high"): "high",
    ("low", "high"): "medium",
    ("high", "low"): "medium",
    ("medium", "medium"): "medium",
}


@pytest.mark.parametrize(("cell", "level"), DEFAULT_CELLS.items())
def test_R_K1_the_default_grid_gives_the_catalogues_levels(
    mem_loop: ClosedLoop, cell: tuple[str, str], level: str
) -> None:
    result = assessed(mem_loop, likelihood=cell[0], impact=cell[1])
    assert (result["assessed_level"], result["level"]) == (level, level)
    assert mem_loop.risk("RISK-1")["current"]["grid"] == "3x3"


def test_R_K1_a_5x5_grid_from_a_policy_file_is_used_and_recorded(
    tmp_path: Path, clock: FixedClock
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY_5X5), encoding="utf-8")
    with ClosedLoop("memory:", policy=policy, clock=clock) as loop:
        result = assessed(loop, likelihood="likely", impact="possible")
        assert result["assessed_level"] == "high"
        current = loop.risk("RISK-1")["current"]
        assert (current["likelihood"], current["impact"], current["grid"]) == (
            "likely",
            "possible",
            "5x5",
        )
        heat = loop.risk_heat_map()
        assert heat["likelihoods"] == FIVE
        assert heat["cells"][3][2] == 1
        assert sum(map(sum, heat["cells"])) == 1


@pytest.mark.parametrize(
    ("matrix", "problem"),
    [
        ({"likelihoods": ["a", "b"], "impacts": ["a", "b"], "levels": [["low"] * 2] * 2}, "2x2"),
        ({"likelihoods": ["a", "b", "c", "d"]}, "square"),
        ({"levels": [["high", "low", "low"]] * 3}, "never falls"),
        ({"levels": [["low", "low"]] * 3}, "one cell per impact"),
        ({"levels": [["low", "grave", "high"]] * 3}, "levels"),
        ({"impacts": ["low", "low", "high"]}, "distinct"),
    ],
)
def test_R_K1_an_unusable_grid_is_refused_as_policy(matrix: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        Policy.from_mapping({"risk": {"matrix": matrix}})


def test_R_K1_a_label_not_on_the_grid_is_invalid_input_and_records_nothing(
    mem_loop: ClosedLoop,
) -> None:
    registered(mem_loop)
    before = snapshot(mem_loop)
    with pytest.raises(InvalidInput, match="likelihood 'certain' is not on the risk matrix"):
        mem_loop.execute(
            "risk.assess", LI, {"risk": "RISK-1", "likelihood": "certain", "impact": "low"}
        )
    assert snapshot(mem_loop) == before


def test_R_K1_old_assessments_keep_their_level_after_a_policy_change(
    tmp_path: Path, clock: FixedClock
) -> None:
    url = f"sqlite:///{tmp_path}/risk.db"
    with ClosedLoop(url, clock=clock) as loop:
        assessed(loop, likelihood="medium", impact="medium")
    every_cell_high = {"risk": {"matrix": {"levels": [["high"] * 3] * 3}}}
    with ClosedLoop(url, policy=Policy.from_mapping(every_cell_high), clock=clock) as loop:
        assert loop.risk("RISK-1")["current"]["level"] == "medium"
        result = loop.execute(
            "risk.assess", LI, {"risk": "RISK-1", "likelihood": "low", "impact": "low"}
        )
        assert result["assessed_level"] == "high"
        levels = [a["level"] for a in loop.risk("RISK-1")["assessments"]]
        assert levels == ["medium", "high"]


def test_R_K1_the_heat_map_counts_open_risks_per_cell(mem_loop: ClosedLoop) -> None:
    assessed(mem_loop, "RISK-1", "high", "high")
    assessed(mem_loop, "RISK-2", "high", "high")
    assessed(mem_loop, "RISK-3", "low", "medium")
    assessed(mem_loop, "RISK-4", "low", "low")
    mem_loop.execute("risk.close", HEAD, {"risk": "RISK-4", "reason": "product withdrawn"})
    heat = mem_loop.risk_heat_map()
    assert heat["cells"] == [[0, 1, 0], [0, 0, 0], [0, 0, 2]]
    assert heat["levels"][2][2] == "high"
    assert mem_loop.risk_heat_map(stage="residual")["cells"] == [[0] * 3] * 3


# --- R-K2 treatment and acceptance -------------------------------------------------------------


def test_R_K2_a_high_risk_is_monitored_only_with_a_plan_and_a_measure(
    loop: ClosedLoop,
) -> None:
    assessed(loop)
    before = snapshot(loop)
    with refused("R-K2") as error:
        loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    assert "needs a response" in str(error.value)
    loop.execute(
        "risk.plan_treatment", LI, {"risk": "RISK-1", "response": "transfer", "plan": "insure"}
    )
    with refused("R-K2") as error:
        loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    assert "a measure with an owner and a due date" in str(error.value)
    assert loop.position() == before[0] + 1
    loop.execute(
        "risk.add_measure",
        LI,
        {"risk": "RISK-1", "what": "buy cover", "owner": HEAD.id, "due": "2026-01-31"},
    )
    assert loop.execute("risk.monitor", LI, {"risk": "RISK-1"})["status"] == "monitoring"
    view = loop.risk("RISK-1")
    assert view["response"] == "transfer"
    assert [(m["id"], m["owner"], m["due"].isoformat()) for m in view["measures"]] == [
        ("M1", HEAD.id, "2026-01-31")
    ]


def test_R_K2_a_lower_risk_is_monitored_without_a_plan(mem_loop: ClosedLoop) -> None:
    assessed(mem_loop, likelihood="medium", impact="medium")
    assert mem_loop.execute("risk.monitor", LI, {"risk": "RISK-1"})["status"] == "monitoring"


def test_R_K2_measures_need_a_response_an_owner_and_a_due_date(mem_loop: ClosedLoop) -> None:
    assessed(mem_loop)
    measure = {"risk": "RISK-1", "what": "scan prices", "owner": LI.id, "due": "2026-02-01"}
    with refused("R-K2") as error:
        mem_loop.execute("risk.add_measure", LI, measure)
    assert "no avoid, mitigate or transfer response" in str(error.value)
    mem_loop.execute(
        "risk.plan_treatment", LI, {"risk": "RISK-1", "response": "mitigate", "plan": "match"}
    )
    with pytest.raises(InvalidInput, match="due"):
        mem_loop.execute("risk.add_measure", LI, {k: v for k, v in measure.items() if k != "due"})
    with refused("R-K2"):
        mem_loop.execute("risk.add_measure", LI, {**measure, "owner": "  "})
    with refused("R-K2") as error:
        mem_loop.execute("risk.add_measure", LI, {**measure, "due": "2026-01-04"})
    assert "already passed" in str(error.value)
    with pytest.raises(InvalidInput, match=r"risk\.accept"):
        mem_loop.execute(
            "risk.plan_treatment", LI, {"risk": "RISK-1", "response": "accept", "plan": "live"}
        )
    assert mem_loop.risk("RISK-1")["measures"] == []


def test_R_K2_accepting_a_high_risk_needs_leadership_a_reason_and_an_expiry(
    loop: ClosedLoop,
) -> None:
    assessed(loop)
    acceptance = {"risk": "RISK-1", "reason": "margin covers it", "expires_on": "2026-06-30"}
    before = snapshot(loop)
    with refused("R-K2") as error:
        loop.execute("risk.accept", HEAD, acceptance)
    assert "only leadership accepts it" in str(error.value)
    with pytest.raises(InvalidInput, match="expires_on"):
        loop.execute("risk.accept", CEO, {"risk": "RISK-1", "reason": "margin covers it"})
    with refused("R-K2"):
        loop.execute("risk.accept", CEO, {**acceptance, "reason": "  "})
    with refused("R-K2") as error:
        loop.execute("risk.accept", CEO, {**acceptance, "expires_on": "2026-01-05"})
    assert "expires after today" in str(error.value)
    assert snapshot(loop) == before

    loop.execute("risk.accept", CEO, acceptance)
    assert loop.execute("risk.monitor", LI, {"risk": "RISK-1"})["status"] == "monitoring"
    view = loop.risk("RISK-1")
    assert view["response"] == "accept"
    accepted = view["acceptance"]
    assert (accepted["by"], accepted["level"], accepted["in_force"]) == (CEO.id, "high", True)
    assert accepted["expires_on"].isoformat() == "2026-06-30"


def test_R_K2_a_manager_accepts_a_medium_risk_but_never_its_owner(
    mem_loop: ClosedLoop,
) -> None:
    assessed(mem_loop, likelihood="medium", impact="medium")
    acceptance = {"risk": "RISK-1", "reason": "small exposure", "expires_on": "2026-12-31"}
    owner_manager = {"id": LI.id, "roles": ["manager"]}
    with refused("R-K2") as error:
        mem_loop.execute("risk.accept", owner_manager, acceptance)
    assert "four eyes" in str(error.value)
    assert mem_loop.execute("risk.accept", HEAD, acceptance)["status"] == "treating"


def test_R_K2_an_acceptance_is_revoked_with_a_reason_and_the_risk_leaves_monitoring(
    loop: ClosedLoop,
) -> None:
    assessed(loop)
    loop.execute(
        "risk.accept",
        CEO,
        {"risk": "RISK-1", "reason": "margin covers it", "expires_on": "2026-06-30"},
    )
    loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    with refused("R-K2") as error:
        loop.execute("risk.revoke_acceptance", HEAD, {"risk": "RISK-1", "reason": "war began"})
    assert "only leadership revokes it" in str(error.value)
    result = loop.execute(
        "risk.revoke_acceptance", CEO, {"risk": "RISK-1", "reason": "the war began"}
    )
    assert result["status"] == "treating"
    accepted = loop.risk("RISK-1")["acceptance"]
    assert (accepted["revoked_by"], accepted["revoke_reason"], accepted["in_force"]) == (
        CEO.id,
        "the war began",
        False,
    )
    with refused("R-K2") as error:
        loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    assert "an acceptance in force" in str(error.value)
    with refused("R-K2"):
        loop.execute("risk.revoke_acceptance", CEO, {"risk": "RISK-1", "reason": "again"})


def test_R_K2_an_expired_acceptance_covers_nothing_and_shows_near_expiry(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    assessed(mem_loop)
    mem_loop.execute(
        "risk.accept",
        CEO,
        {"risk": "RISK-1", "reason": "margin covers it", "expires_on": "2026-03-31"},
    )
    assert mem_loop.risk_acceptances_near_expiry() == []
    clock.set("2026-03-10T09:00:00+00:00")
    [near] = mem_loop.risk_acceptances_near_expiry()
    assert (near["ref"], near["days_left"], near["expired"]) == ("RISK-1", 21, False)
    clock.set("2026-04-01T09:00:00+00:00")
    [gone] = mem_loop.risk_acceptances_near_expiry()
    assert gone["expired"] is True
    with refused("R-K2") as error:
        mem_loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    assert "an acceptance in force" in str(error.value)
    assert mem_loop.risk("RISK-1")["treatment_gaps"] == ["an acceptance in force"]


def test_R_K2_an_acceptance_at_a_lower_level_does_not_cover_a_high_reassessment(
    mem_loop: ClosedLoop,
) -> None:
    assessed(mem_loop, likelihood="medium", impact="medium")
    mem_loop.execute(
        "risk.accept", HEAD, {"risk": "RISK-1", "reason": "small", "expires_on": "2026-12-31"}
    )
    assessed(mem_loop, likelihood="high", impact="high")
    with refused("R-K2") as error:
        mem_loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    assert "acceptance of the high level by leadership" in str(error.value)


# --- R-K3 reassessments ------------------------------------------------------------------------


def test_R_K3_every_reassessment_is_kept_with_three_levels_side_by_side(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    mitigated(loop)  # assessed high × high: the inherent level
    assessed(loop, likelihood="low", impact="high", stage="residual", note="once matched")
    clock.advance(days=20)
    assessed(loop, likelihood="medium", impact="high", note="controls in place")
    view = loop.risk("RISK-1")
    side_by_side = [view[stage]["level"] for stage in ("inherent", "current", "residual")]
    assert side_by_side == ["high", "high", "medium"]
    assert [(a["number"], a["stage"]) for a in view["assessments"]] == [
        (1, "inherent"),
        (2, "residual"),
        (3, "current"),
    ]
    assert view["current"]["note"] == "controls in place"
    assert view["inherent"]["by"] == LI.id


def test_R_K3_the_register_as_of_an_earlier_time_shows_the_levels_then(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    assessed(loop, likelihood="high", impact="high")
    first = clock.now()
    clock.advance(days=3)
    assessed(loop, likelihood="low", impact="low")
    then = loop.risk("RISK-1", as_of=first)
    assert (then["level"], len(then["assessments"]), then["review_late"]) == ("high", 1, False)
    assert [view["level"] for view in loop.risks(as_of=first)] == ["high"]
    assert loop.risk("RISK-1", as_of=2)["level"] == "high"  # version 2: the first assessment
    assert loop.risk("RISK-1")["level"] == "low"


def test_R_K3_a_residual_level_needs_an_inherent_one_first(mem_loop: ClosedLoop) -> None:
    registered(mem_loop)
    with refused("R-K3") as error:
        mem_loop.execute(
            "risk.assess",
            LI,
            {"risk": "RISK-1", "likelihood": "low", "impact": "low", "stage": "residual"},
        )
    assert "no inherent or current level yet" in str(error.value)
    assert mem_loop.risk("RISK-1")["assessments"] == []


def test_R_K3_a_closed_risk_is_not_reassessed(mem_loop: ClosedLoop) -> None:
    assessed(mem_loop)
    mem_loop.execute("risk.close", HEAD, {"risk": "RISK-1", "reason": "market exited"})
    with refused("R-K3"):
        assessed(mem_loop)
    assert mem_loop.risk("RISK-1")["closing_reason"] == "market exited"


# --- R-K4 review cadence -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "impact", "due"),
    [
        ("high", "high", "2026-02-05"),
        ("medium", "medium", "2026-04-05"),
        ("low", "low", "2027-01-05"),
    ],
)
def test_R_K4_the_next_review_is_due_by_the_cadence_of_the_level(
    mem_loop: ClosedLoop, likelihood: str, impact: str, due: str
) -> None:
    result = assessed(mem_loop, likelihood=likelihood, impact=impact)
    assert result["next_review_due"].isoformat() == due


def test_R_K4_late_reviews_are_flagged_and_a_late_review_is_recorded(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    mitigated(loop)
    loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    clock.set("2026-02-05T18:00:00+00:00")
    assert loop.risks(late=True) == []
    clock.set("2026-02-07T09:00:00+00:00")
    [late] = loop.late_risk_reviews()
    assert (late["ref"], late["days_late"], late["level"]) == ("RISK-1", 2, "high")
    assert [view["ref"] for view in loop.risks(late=True)] == ["RISK-1"]

    result = loop.execute("risk.review", HEAD, {"risk": "RISK-1", "note": "prices stable"})
    assert result["next_review_due"].isoformat() == "2026-03-07"
    view = loop.risk("RISK-1")
    assert view["review_late"] is False
    assert [d.isoformat() for d in view["late_reviews"]] == ["2026-02-05"]
    assert view["reviews"][0]["missed"].isoformat() == "2026-02-05"
    with refused("R-K4"):
        loop.execute("risk.review", HEAD, {"risk": "RISK-1", "note": "  "})


def test_R_K4_the_cadence_is_policy(clock: FixedClock) -> None:
    policy = Policy.from_mapping({"risk": {"review_months": {"high": 2}}})
    with ClosedLoop("memory:", policy=policy, clock=clock) as loop:
        assert assessed(loop)["next_review_due"].isoformat() == "2026-03-05"
    with pytest.raises(InvalidInput, match=r"review_months\.high"):
        Policy.from_mapping({"risk": {"review_months": {"high": 0}}})


def test_R_K4_a_risk_is_reviewed_only_once_assessed(mem_loop: ClosedLoop) -> None:
    registered(mem_loop)
    with refused("R-K4") as error:
        mem_loop.execute("risk.review", HEAD, {"risk": "RISK-1", "note": "looked"})
    assert "assess it first" in str(error.value)


# --- R-K5 occurrence ---------------------------------------------------------------------------


def test_R_K5_an_occurrence_and_its_rectification_are_saved_together(
    loop: ClosedLoop,
) -> None:
    mitigated(loop)
    before = loop.position()
    result = loop.execute(
        "risk.record_occurrence",
        HEAD,
        {
            "risk": "RISK-1",
            "what_happened": "rival cut prices by 20 %",
            "occurred_on": "2026-01-04",
        },
    )
    assert loop.position() == before + 3  # the occurrence, the rectification, its listing
    assert result["occurrence"] == 1
    rectification = loop.rectification(result["rectification"]["ref"])
    assert (rectification["source"], rectification["source_ref"]) == (
        "risk_occurrence",
        "risk RISK-1 occurrence 1",
    )
    assert (rectification["owner"], rectification["raised_by"]) == (LI.id, HEAD.id)
    assert "rival cut prices by 20 %" in rectification["problem"]
    [occurrence] = loop.risk("RISK-1")["occurrences"]
    assert occurrence["rectification"] == rectification["id"]


def test_R_K5_an_occurrences_rectification_carries_its_cause_code(
    mem_loop: ClosedLoop,
) -> None:
    assessed(mem_loop)
    args = {"risk": "RISK-1", "what_happened": "rival cut prices", "cause_code": "pricing"}
    first = mem_loop.execute("risk.record_occurrence", HEAD, args)
    assert mem_loop.rectification(first["rectification"]["ref"])["cause_code"] == "PRICING"


def test_R_K5_a_refused_occurrence_raises_nothing(mem_loop: ClosedLoop) -> None:
    assessed(mem_loop)
    before = snapshot(mem_loop)
    with refused("R-K5") as error:
        mem_loop.execute(
            "risk.record_occurrence",
            HEAD,
            {"risk": "RISK-1", "what_happened": "cut", "occurred_on": "2026-01-06"},
        )
    assert "in the future" in str(error.value)
    mem_loop.execute(
        "rectification.raise",
        HEAD,
        {
            "ref": "risk RISK-1 occurrence 1",
            "source": "other",
            "source_ref": "a clash",
            "problem": "taken",
            "owner": LI.id,
        },
    )
    risk = mem_loop.risk("RISK-1")
    with pytest.raises(ConcurrencyConflict):
        mem_loop.execute("risk.record_occurrence", HEAD, {"risk": "RISK-1", "what_happened": "cut"})
    assert mem_loop.risk("RISK-1") == risk
    assert snapshot(mem_loop)[1] == before[1]


# --- the register ------------------------------------------------------------------------------


def test_a_risk_is_registered_with_its_category_sources_and_owner(mem_loop: ClosedLoop) -> None:
    with pytest.raises(NotFound, match="no target REV-2030"):
        registered(mem_loop, sources=[{"kind": "target", "ref": "REV-2030"}])
    with pytest.raises(InvalidInput, match="category"):
        registered(mem_loop, category="weather")
    assert mem_loop.position() == 0
    registered(mem_loop, category="legal")
    view = mem_loop.risk("RISK-1")
    assert (view["category"], view["owner"], view["status"], view["level"]) == (
        "legal",
        LI.id,
        "identified",
        None,
    )
    assert view["sources"] == [{"kind": "customer", "ref": "CUST-7"}]


def test_R_K1_the_5x5_policy_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text(encoding="utf-8")
    example = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    file = tmp_path / "policy.toml"
    file.write_text(example, encoding="utf-8")
    policy = load_policy(file)
    grid = policy.risk.matrix.grid()
    assert (grid.size, grid.level("likely", "moderate")) == ("5x5", "high")
    assert policy.risk.review_months.months(Level.MEDIUM) == 3
