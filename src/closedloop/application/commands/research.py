"""Research commands (R-R1 … R-R3): inputs and handlers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.inputs import Day, Input, PeriodText, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.ids import new_id
from closedloop.domain.research import Kind, Method, Research, Schedule

MethodName = Literal["desk", "survey", "interview", "observation"]


def outcome(study: Research) -> Result:
    return {
        "id": str(study.id),
        "ref": study.ref,
        "version": study.version,
        "status": study.status,
    }


class ScheduleIn(Input):
    start: Day
    end: Day

    def to_schedule(self) -> Schedule:
        return Schedule(self.start, self.end)


class CreateResearch(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. STUDY-2026-H1")
    title: Text
    kind: Literal["comprehensive", "special"] = Field(
        description="comprehensive (综合调研, annual plan) or special (专项调研, approved)"
    )
    period: PeriodText = Field(description="the year (2026) or the part of it the study belongs to")
    purpose: str = ""
    subjects: list[str] = Field(
        default_factory=list, description="whom it studies: customers, dealers, experts, …"
    )
    methods: list[MethodName] = Field(default_factory=list)
    schedule: ScheduleIn | None = None
    topics: list[str] = Field(
        default_factory=list,
        description="industry_trend, competitors, customer_needs (all three for a "
        "comprehensive study) or your own",
    )


@catalogue.command("research.create", permission="draft")
def create_research(uow: UnitOfWork, actor: Actor, args: CreateResearch) -> Result:
    """Draft a study; a comprehensive one covers trend, competitors and customer needs (R-R1)."""
    study = Research.draft(
        id=new_id(Research.KIND, args.ref),
        actor=actor,
        at=uow.now,
        ref=args.ref,
        title=args.title,
        kind=Kind(args.kind),
        period=args.period,
        purpose=args.purpose,
        subjects=args.subjects,
        methods=[Method(method) for method in args.methods],
        schedule=args.schedule.to_schedule() if args.schedule else None,
        topics=args.topics,
    )
    uow.add(study)
    return outcome(study)


class UpdateResearch(Input):
    research: Ref
    title: Text | None = None
    period: PeriodText | None = None
    purpose: str | None = None
    subjects: list[str] | None = None
    methods: list[MethodName] | None = None
    schedule: ScheduleIn | None = None
    topics: list[str] | None = None


@catalogue.command("research.update", permission="draft")
def update_research(uow: UnitOfWork, actor: Actor, args: UpdateResearch) -> Result:
    """Fill in or correct a draft study; a field left out or null stays as it is."""
    study = uow.get(Research, args.research)
    given = args.model_dump(exclude_unset=True, exclude_none=True, exclude={"research"})
    changes: dict[str, object] = {name: getattr(args, name) for name in given}
    if args.schedule is not None:
        changes["schedule"] = args.schedule.to_schedule()
    study.update(actor, uow.now, **changes)
    return outcome(study)


class ResearchRef(Input):
    research: Ref


class ResearchReason(Input):
    research: Ref
    reason: Text


@catalogue.command("research.submit", permission="draft")
def submit_research(uow: UnitOfWork, actor: Actor, args: ResearchRef) -> Result:
    """Submit a special study for its author's superior's approval (R-R2)."""
    study = uow.get(Research, args.research)
    study.submit(actor, uow.now)
    return outcome(study)


@catalogue.command("research.approve", permission="approve")
def approve_research(uow: UnitOfWork, actor: Actor, args: ResearchRef) -> Result:
    """Approve a submitted special study: the author's superior, never its submitter (R-R2)."""
    study = uow.get(Research, args.research)
    study.approve(actor, uow.now)
    return outcome(study)


@catalogue.command("research.reject", permission="approve")
def reject_research(uow: UnitOfWork, actor: Actor, args: ResearchReason) -> Result:
    """Send a submitted special study back to draft, with a reason (R-G3)."""
    study = uow.get(Research, args.research)
    study.reject(actor, uow.now, args.reason)
    return outcome(study)


@catalogue.command("research.start", permission="draft")
def start_research(uow: UnitOfWork, actor: Actor, args: ResearchRef) -> Result:
    """Start a study: a special one only once approved (R-R2)."""
    study = uow.get(Research, args.research)
    study.start(actor, uow.now)
    return outcome(study)


class SubmitReport(Input):
    research: Ref
    purpose: str = ""
    methods: list[MethodName] = Field(default_factory=list)
    findings: str = ""
    conclusions: str = ""
    recommendations: str = ""


@catalogue.command("research.submit_report", permission="record")
def submit_report(uow: UnitOfWork, actor: Actor, args: SubmitReport) -> Result:
    """Submit a started study's report to management; it can then be cited (R-R3)."""
    study = uow.get(Research, args.research)
    study.submit_report(
        actor,
        uow.now,
        purpose=args.purpose,
        methods=[Method(method) for method in args.methods],
        findings=args.findings,
        conclusions=args.conclusions,
        recommendations=args.recommendations,
    )
    return outcome(study)
