"""Research rules R-R1 … R-R3: the annual plan, approved special studies, citable reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from closedloop import ClosedLoop, FixedClock, InvalidInput, NotAuthorised, RuleViolation
from closedloop.domain.policy import Policy
from tests.cast import CEO, HEAD, LEAD, LI

ALL_TOPICS = ["industry_trend", "competitors", "customer_needs"]
REPORT = {
    "purpose": "size the demand for new-energy SUVs in the region",
    "methods": ["desk", "survey"],
    "findings": "42 % of 1,200 respondents consider an NEV for their next car",
    "conclusions": "demand is there; charging access is the main objection",
    "recommendations": "bundle home-charger installation with every NEV sale",
}


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def comprehensive_study(
    loop: ClosedLoop, ref: str = "STUDY-2026-H1", **overrides: Any
) -> dict[str, Any]:
    args = {
        "ref": ref,
        "title": "2026 regional car market",
        "kind": "comprehensive",
        "period": "2026",
        "topics": ALL_TOPICS,
        **overrides,
    }
    return loop.execute("research.create", HEAD, args)


def special_study(loop: ClosedLoop, ref: str = "STUDY-NEV", **overrides: Any) -> dict[str, Any]:
    """A complete special study drafted by Li, whose superior is Chen (HEAD)."""
    args = {
        "ref": ref,
        "title": "New-energy SUV demand before the spring launch",
        "kind": "special",
        "period": "2026-Q1",
        "purpose": "size the demand for new-energy SUVs in the region",
        "subjects": ["prospects in the showroom", "owners due for replacement"],
        "methods": ["survey", "interview"],
        "schedule": {"start": "2026-02-01", "end": "2026-03-15"},
        "topics": ["customer_needs"],
        **overrides,
    }
    return loop.execute("research.create", LI, args)


def reported_study(loop: ClosedLoop, ref: str = "STUDY-2026-H1") -> None:
    comprehensive_study(loop, ref)
    loop.execute("research.start", HEAD, {"research": ref})
    loop.execute("research.submit_report", HEAD, {"research": ref, **REPORT})


# --- R-R1 annual research plan ---------------------------------------------------------------


def test_R_R1_a_comprehensive_study_covers_trend_competitors_and_customer_needs(
    mem_loop: ClosedLoop,
) -> None:
    before = mem_loop.position()
    with refused("R-R1") as error:
        comprehensive_study(mem_loop, topics=["industry_trend", "competitors", "pricing"])
    assert "missing: customer_needs" in str(error.value)
    assert mem_loop.position() == before  # R-G4: nothing partial

    comprehensive_study(mem_loop, topics=[*ALL_TOPICS, "pricing"])
    with refused("R-R1"):
        mem_loop.execute(
            "research.update", HEAD, {"research": "STUDY-2026-H1", "topics": ["competitors"]}
        )
    assert mem_loop.research("STUDY-2026-H1")["topics"] == [*ALL_TOPICS, "pricing"]


def test_R_R1_a_comprehensive_study_starts_without_a_separate_approval(
    mem_loop: ClosedLoop,
) -> None:
    comprehensive_study(mem_loop)
    with refused("R-R2"):
        mem_loop.execute("research.submit", HEAD, {"research": "STUDY-2026-H1"})
    result = mem_loop.execute("research.start", HEAD, {"research": "STUDY-2026-H1"})
    assert result["status"] == "started"


def test_R_R1_coverage_is_short_with_one_study_and_complete_with_two(loop: ClosedLoop) -> None:
    reported_study(loop, "STUDY-2026-H1")
    special_study(loop, topics=ALL_TOPICS)  # special studies are not the annual plan
    comprehensive_study(loop, "STUDY-2027-H1", period="2027")  # another year

    short = loop.research_coverage(2026)
    assert (short["required"], short["planned"], short["completed"]) == (2, 0, 1)
    assert short["shortfall"] is True
    assert "R-R1" in short["finding"]
    assert "requires at least 2" in short["finding"]
    assert [study["ref"] for study in short["studies"]] == ["STUDY-2026-H1"]

    comprehensive_study(loop, "STUDY-2026-H2", period="2026-Q3")
    complete = loop.research_coverage(2026)
    assert (complete["planned"], complete["completed"]) == (1, 1)
    assert complete["shortfall"] is False
    assert complete["finding"] is None


def test_R_R1_the_policy_minimum_changes_the_verdict(clock: FixedClock) -> None:
    policy = Policy.from_mapping({"research": {"min_comprehensive_studies_per_year": 3}})
    with ClosedLoop("memory:", policy=policy, clock=clock) as strict:
        comprehensive_study(strict, "STUDY-2026-H1")
        comprehensive_study(strict, "STUDY-2026-H2")
        coverage = strict.research_coverage(2026)
    assert coverage["required"] == 3
    assert coverage["shortfall"] is True
    assert "requires at least 3" in coverage["finding"]


# --- R-R2 special studies --------------------------------------------------------------------


def test_R_R2_a_special_study_starts_only_after_its_superiors_approval(loop: ClosedLoop) -> None:
    special_study(loop)
    before = loop.position()
    with refused("R-R2"):
        loop.execute("research.start", LI, {"research": "STUDY-NEV"})
    assert loop.position() == before  # R-G4

    loop.execute("research.submit", LI, {"research": "STUDY-NEV"})
    with refused("R-R2") as error:
        loop.execute("research.start", LI, {"research": "STUDY-NEV"})
    assert "approval before it starts" in str(error.value)

    assert loop.execute("research.approve", HEAD, {"research": "STUDY-NEV"})["status"] == "approved"
    assert loop.execute("research.start", LI, {"research": "STUDY-NEV"})["status"] == "started"

    view = loop.research("STUDY-NEV")
    assert view["study_kind"] == "special"
    assert (view["author"], view["superior"]) == (LI.id, HEAD.id)
    assert view["approval"]["by"] == HEAD.id
    assert view["schedule"] == {"start": date(2026, 2, 1), "end": date(2026, 3, 15)}
    assert view["methods"] == ["survey", "interview"]
    assert loop.research("STUDY-NEV", as_of=1)["status"] == "draft"  # time travel
    assert [study["ref"] for study in loop.studies()] == ["STUDY-NEV"]


def test_R_R2_submission_needs_purpose_subjects_methods_and_schedule(
    mem_loop: ClosedLoop,
) -> None:
    mem_loop.execute(
        "research.create",
        LI,
        {"ref": "STUDY-NEV", "title": "NEV demand", "kind": "special", "period": "2026"},
    )
    assert mem_loop.research("STUDY-NEV")["missing"] == [
        "purpose",
        "subjects",
        "methods",
        "schedule",
    ]
    before = mem_loop.position()
    with refused("R-R2") as error:
        mem_loop.execute("research.submit", LI, {"research": "STUDY-NEV"})
    assert "missing: purpose, subjects, methods, schedule" in str(error.value)
    assert mem_loop.position() == before

    mem_loop.execute(
        "research.update",
        LI,
        {
            "research": "STUDY-NEV",
            "purpose": "size NEV demand",
            "subjects": ["prospects"],
            "methods": ["survey"],
            "schedule": {"start": "2026-02-01", "end": "2026-02-28"},
        },
    )
    assert mem_loop.execute("research.submit", LI, {"research": "STUDY-NEV"})["status"] == (
        "submitted"
    )


def test_R_R2_only_the_authors_superior_approves(mem_loop: ClosedLoop) -> None:
    special_study(mem_loop)
    mem_loop.execute("research.submit", LI, {"research": "STUDY-NEV"})
    for outsider in (LEAD, CEO):  # a manager, and leadership, but not Li's superior
        with refused("R-R2") as error:
            mem_loop.execute("research.approve", outsider, {"research": "STUDY-NEV"})
        assert f"only the author's superior {HEAD.id}" in str(error.value)
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute("research.approve", LI, {"research": "STUDY-NEV"})


def test_R_R2_the_superior_cannot_approve_what_they_submitted(mem_loop: ClosedLoop) -> None:
    special_study(mem_loop)
    mem_loop.execute("research.submit", HEAD, {"research": "STUDY-NEV"})
    with refused("R-G1"):
        mem_loop.execute("research.approve", HEAD, {"research": "STUDY-NEV"})


def test_R_R2_an_author_without_a_superior_cannot_submit(mem_loop: ClosedLoop) -> None:
    mem_loop.execute(
        "research.create",
        CEO,
        {
            "ref": "STUDY-CEO",
            "title": "Dealer network",
            "kind": "special",
            "period": "2026",
            "purpose": "p",
            "subjects": ["dealers"],
            "methods": ["interview"],
            "schedule": {"start": "2026-02-01", "end": "2026-02-28"},
        },
    )
    with refused("R-R2") as error:
        mem_loop.execute("research.submit", CEO, {"research": "STUDY-CEO"})
    assert "no superior on record" in str(error.value)


def test_R_R2_a_rejection_returns_the_study_to_draft_with_its_reason(
    mem_loop: ClosedLoop,
) -> None:
    special_study(mem_loop)
    mem_loop.execute("research.submit", LI, {"research": "STUDY-NEV"})
    with refused("R-G5"):
        mem_loop.execute("research.update", LI, {"research": "STUDY-NEV", "title": "other"})
    with refused("R-G3"):
        mem_loop.execute("research.reject", HEAD, {"research": "STUDY-NEV", "reason": "  "})

    mem_loop.execute(
        "research.reject",
        HEAD,
        {"research": "STUDY-NEV", "reason": "add the owners of competitors' NEVs as subjects"},
    )
    view = mem_loop.research("STUDY-NEV")
    assert (view["status"], view["revision"]) == ("draft", 2)
    assert view["rejections"][0]["reason"] == "add the owners of competitors' NEVs as subjects"
    mem_loop.execute(
        "research.update",
        LI,
        {"research": "STUDY-NEV", "subjects": ["prospects", "owners of competitors' NEVs"]},
    )
    mem_loop.execute("research.submit", LI, {"research": "STUDY-NEV"})
    mem_loop.execute("research.approve", HEAD, {"research": "STUDY-NEV"})
    assert mem_loop.research("STUDY-NEV")["approval"]["revision"] == 2


def test_R_R2_a_schedule_cannot_end_before_it_starts(mem_loop: ClosedLoop) -> None:
    with pytest.raises(InvalidInput, match="before it starts"):
        special_study(mem_loop, schedule={"start": "2026-03-01", "end": "2026-02-01"})
    assert mem_loop.position() == 0


# --- R-R3 reports, cited as a basis ----------------------------------------------------------


@pytest.mark.parametrize(
    "part", ["purpose", "methods", "findings", "conclusions", "recommendations"]
)
def test_R_R3_a_report_needs_every_part(mem_loop: ClosedLoop, part: str) -> None:
    comprehensive_study(mem_loop)
    mem_loop.execute("research.start", HEAD, {"research": "STUDY-2026-H1"})
    before = mem_loop.position()
    incomplete = {**REPORT, part: [] if part == "methods" else "   "}
    with refused("R-R3") as error:
        mem_loop.execute(
            "research.submit_report", HEAD, {"research": "STUDY-2026-H1", **incomplete}
        )
    assert str(error.value).endswith(f"is missing: {part}")
    assert mem_loop.position() == before


def test_R_R3_a_report_is_submitted_for_a_started_study_only(mem_loop: ClosedLoop) -> None:
    comprehensive_study(mem_loop)
    with refused("R-R3"):
        mem_loop.execute("research.submit_report", HEAD, {"research": "STUDY-2026-H1", **REPORT})
    with pytest.raises(InvalidInput, match="methods"):
        mem_loop.execute(
            "research.submit_report",
            HEAD,
            {"research": "STUDY-2026-H1", **REPORT, "methods": ["focus group"]},
        )


def test_R_R3_only_a_reported_study_is_cited_as_a_basis_of_targets(loop: ClosedLoop) -> None:
    comprehensive_study(loop)
    loop.execute("research.start", HEAD, {"research": "STUDY-2026-H1"})
    target = {
        "ref": "REV-2026",
        "metric": "revenue",
        "unit": "CNY",
        "period": "2026",
        "value": "12000000",
        "owner": HEAD.id,
        "basis_research": ["STUDY-2026-H1"],
    }
    before = loop.position()
    with refused("R-R3") as error:
        loop.execute("target.create", CEO, target)
    assert "report has not been submitted (it is started)" in str(error.value)
    assert loop.position() == before  # R-G4

    loop.execute("research.submit_report", LI, {"research": "STUDY-2026-H1", **REPORT})
    study = loop.research("STUDY-2026-H1")
    assert study["citable"] is True
    assert study["report"]["submitted_by"] == LI.id
    assert study["report"]["methods"] == ["desk", "survey"]

    loop.execute("target.create", CEO, target)
    assert loop.target("REV-2026")["basis_research"] == [study["id"]]
    # R-T1 relevant: the cited study alone is the target's basis
    assert loop.execute("target.submit", HEAD, {"target": "REV-2026"})["status"] == "submitted"


def test_R_R3_a_draft_target_cannot_be_updated_to_cite_an_unreported_study(
    mem_loop: ClosedLoop,
) -> None:
    comprehensive_study(mem_loop)
    mem_loop.execute(
        "target.create", CEO, {"ref": "REV-2026", "metric": "revenue", "period": "2026"}
    )
    with refused("R-R3"):
        mem_loop.execute(
            "target.update", CEO, {"target": "REV-2026", "basis_research": ["STUDY-2026-H1"]}
        )
    assert mem_loop.target("REV-2026")["basis_research"] == []
