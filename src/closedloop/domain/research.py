"""Research (市场调研): the annual plan of comprehensive studies, approved special studies, reports.

Lifecycle: a comprehensive study (综合调研) is part of the annual plan and goes
draft → started → reported; a special study (专项调研) goes draft → submitted → approved
(by its author's superior) → started → reported, and a rejection returns it to draft.
Only a reported study can be cited as the basis of targets and plans (R-R3).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import Approvable, LoopAggregate
from closedloop.domain.errors import InvalidInput, require
from closedloop.domain.period import Granularity, Period
from closedloop.domain.policy import ResearchPolicy


class Kind(StrEnum):
    COMPREHENSIVE = "comprehensive"  # 综合调研: in the annual plan (R-R1)
    SPECIAL = "special"  # 专项调研: approved by the author's superior (R-R2)


class Method(StrEnum):
    DESK = "desk"  # 文案调研
    SURVEY = "survey"  # 问卷调查
    INTERVIEW = "interview"  # 访谈调研
    OBSERVATION = "observation"  # 观察调研


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    STARTED = "started"
    REPORTED = "reported"


#: R-R1: what every comprehensive study covers (行业趋势, 竞争对手动态, 客户需求).
REQUIRED_TOPICS = ("industry_trend", "competitors", "customer_needs")


@attrs.frozen
class Schedule:
    """When a study runs (R-R2: a special study states its schedule)."""

    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                f"a schedule cannot end ({self.end}) before it starts ({self.start})"
            )


@attrs.frozen
class Report:
    """R-R3: the study's report as submitted to management."""

    purpose: str
    methods: tuple[Method, ...]
    findings: str
    conclusions: str
    recommendations: str
    submitted_by: str
    submitted_at: datetime


@attrs.frozen
class Rejection:
    """R-G3: who sent a special study back to draft, when and why."""

    actor_id: str
    reason: str
    at: datetime


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty and each once, in the order given."""
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


def _methods(values: Iterable[str]) -> tuple[Method, ...]:
    return tuple(dict.fromkeys(Method(value) for value in values))


class Research(Approvable):
    KIND = "research"

    ref: str | None
    title: str
    kind: Kind
    period: Period
    purpose: str
    subjects: tuple[str, ...]
    methods: tuple[Method, ...]
    schedule: Schedule | None
    topics: tuple[str, ...]
    author_id: str
    author_superior: str | None
    status: str
    rejections: list[Rejection]
    started_at: datetime | None
    report: Report | None

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        title: str,
        kind: Kind,
        period: Period,
        purpose: str,
        subjects: tuple[str, ...],
        methods: tuple[Method, ...],
        schedule: Schedule | None,
        topics: tuple[str, ...],
        author_superior: str | None,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.title = title
        self.kind = Kind(kind)
        self.period = period
        self.purpose = purpose
        self.subjects = tuple(subjects)
        self.methods = _methods(methods)
        self.schedule = schedule
        self.topics = tuple(topics)
        self.author_id = actor_id
        self.author_superior = author_superior
        self.status = Status.DRAFT.value
        self.revision = 1
        self.submitted_by = None
        self.approval = None
        self.rejections = []
        self.started_at = None
        self.report = None

    class Updated(LoopAggregate.Event):
        changes: dict[str, Any]

        def apply(self, study: Research) -> None:
            for name, value in self.changes.items():
                if name == "methods":
                    value = _methods(value)
                elif name in ("subjects", "topics"):
                    value = tuple(value)
                setattr(study, name, value)

    class Rejected(LoopAggregate.Event):
        reason: str

        def apply(self, study: Research) -> None:
            study.status = Status.DRAFT.value
            study.revision += 1
            study.rejections.append(Rejection(self.actor_id, self.reason, self.timestamp))

    class Started(LoopAggregate.Event):
        def apply(self, study: Research) -> None:
            study.status = Status.STARTED.value
            study.started_at = self.timestamp

    class ReportSubmitted(LoopAggregate.Event):
        purpose: str
        methods: tuple[Method, ...]
        findings: str
        conclusions: str
        recommendations: str

        def apply(self, study: Research) -> None:
            study.status = Status.REPORTED.value
            study.report = Report(
                purpose=self.purpose,
                methods=_methods(self.methods),
                findings=self.findings,
                conclusions=self.conclusions,
                recommendations=self.recommendations,
                submitted_by=self.actor_id,
                submitted_at=self.timestamp,
            )

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        title: str,
        kind: Kind,
        period: Period,
        purpose: str = "",
        subjects: Iterable[str] = (),
        methods: Iterable[Method] = (),
        schedule: Schedule | None = None,
        topics: Iterable[str] = (),
        ref: str | None = None,
    ) -> Research:
        """Draft a study; its author's superior is recorded now, for R-R2 approval."""
        covered = _texts(topics)
        _require_comprehensive_topics(kind, covered)
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            title=title.strip(),
            kind=kind,
            period=period,
            purpose=purpose.strip(),
            subjects=_texts(subjects),
            methods=_methods(methods),
            schedule=schedule,
            topics=covered,
            author_superior=actor.superior,
        )

    EDITABLE = ("title", "period", "purpose", "subjects", "methods", "schedule", "topics")

    def update(self, actor: Actor, at: datetime, **changes: Any) -> None:
        """Correct a draft; once submitted or started, what was approved or planned stays (R-G5)."""
        self._require_status("R-G5", "edit", Status.DRAFT.value)
        unknown = set(changes) - set(self.EDITABLE)
        if unknown:
            raise InvalidInput(f"fields {sorted(unknown)} of a study cannot be edited")
        normalised = {name: _normalise(name, value) for name, value in changes.items()}
        _require_comprehensive_topics(self.kind, normalised.get("topics", self.topics))
        changed = {k: v for k, v in normalised.items() if getattr(self, k) != v}
        if changed:
            self._trigger(self.Updated, actor, at, changes=changed)

    @property
    def covers_required_topics(self) -> bool:
        """R-R1: industry trend, competitors and customer needs are all covered."""
        return not missing_topics(self.topics)

    def missing_parts(self) -> list[str]:
        """What R-R2 still needs before a special study can be submitted for approval."""
        missing = []
        if not self.purpose:
            missing.append("purpose")
        if not self.subjects:
            missing.append("subjects")
        if not self.methods:
            missing.append("methods")
        if self.schedule is None:
            missing.append("schedule")
        return missing

    def submit(self, actor: Actor, at: datetime) -> None:
        """R-R2: a special study states purpose, subjects, methods and schedule for approval."""
        require(
            self.kind is Kind.SPECIAL,
            "R-R2",
            f"study {self._name} is comprehensive: it is part of the annual plan (R-R1) "
            "and starts without a separate approval",
        )
        self._require_status("R-R2", "submit", Status.DRAFT.value)
        missing = self.missing_parts()
        require(not missing, "R-R2", f"special study {self._name} is missing: {', '.join(missing)}")
        require(
            self.author_superior is not None,
            "R-R2",
            f"special study {self._name} needs its author's superior's approval, "
            f"and {self.author_id} has no superior on record",
        )
        self._trigger(self.Submitted, actor, at)

    def approve(self, actor: Actor, at: datetime) -> None:
        """R-R2: only the author's superior approves a special study (and never its submitter)."""
        self._require_decider(actor, "approve")
        self._trigger(self.Approved, actor, at, revision=self.revision)

    def reject(self, actor: Actor, at: datetime, reason: str) -> None:
        """Send a special study back to draft, with a reason (R-G3)."""
        self._require_decider(actor, "reject")
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(self.Rejected, actor, at, reason=reason.strip())

    def _require_decider(self, actor: Actor, doing: str) -> None:
        self._require_status("R-R2", doing, Status.SUBMITTED.value)
        require(
            actor.id == self.author_superior,
            "R-R2",
            f"{actor.id} cannot {doing} special study {self._name}: only the author's "
            f"superior {self.author_superior} can",
        )
        four_eyes(actor, self.author_id, self.submitted_by, doing=f"{doing} study {self._name}")

    def start(self, actor: Actor, at: datetime) -> None:
        """R-R2: a special study starts only once approved; a comprehensive one from draft."""
        if self.kind is Kind.SPECIAL:
            require(
                self.status == Status.APPROVED.value,
                "R-R2",
                f"special study {self._name} is {self.status}: it needs its author's "
                "superior's approval before it starts",
            )
        else:
            self._require_status("R-R1", "start", Status.DRAFT.value)
        self._trigger(self.Started, actor, at)

    def submit_report(
        self,
        actor: Actor,
        at: datetime,
        *,
        purpose: str,
        methods: Iterable[Method],
        findings: str,
        conclusions: str,
        recommendations: str,
    ) -> None:
        """R-R3: the report states purpose, methods, findings, conclusions and recommendations."""
        self._require_status("R-R3", "report on", Status.STARTED.value)
        report: dict[str, Any] = {
            "purpose": purpose.strip(),
            "methods": _methods(methods),
            "findings": findings.strip(),
            "conclusions": conclusions.strip(),
            "recommendations": recommendations.strip(),
        }
        missing = [name for name, value in report.items() if not value]
        require(not missing, "R-R3", f"the report on {self._name} is missing: {', '.join(missing)}")
        self._trigger(self.ReportSubmitted, actor, at, **report)

    @property
    def reported(self) -> bool:
        return self.report is not None

    def require_citable(self) -> None:
        """R-R3: a study is a basis for targets and plans only once its report is submitted."""
        require(
            self.reported,
            "R-R3",
            f"study {self._name} cannot be cited: its report has not been submitted "
            f"(it is {self.status})",
        )

    @property
    def _name(self) -> str:
        return self.ref or str(self.id)


def _normalise(name: str, value: Any) -> Any:
    if name in ("subjects", "topics"):
        return _texts(value)
    if name == "methods":
        return _methods(value)
    if isinstance(value, str):
        return value.strip()
    return value


def missing_topics(topics: Iterable[str]) -> list[str]:
    """R-R1: which of the topics every comprehensive study covers are not in ``topics``."""
    covered = set(topics)
    return [topic for topic in REQUIRED_TOPICS if topic not in covered]


def _require_comprehensive_topics(kind: Kind, topics: Iterable[str]) -> None:
    missing = missing_topics(topics)
    require(
        kind is not Kind.COMPREHENSIVE or not missing,
        "R-R1",
        f"a comprehensive study covers industry trend, competitors and customer needs; "
        f"missing: {', '.join(missing)}",
    )


@attrs.frozen
class Coverage:
    """R-R1: a year's comprehensive studies against the policy minimum."""

    year: int
    required: int
    studies: tuple[Research, ...]  # comprehensive, covering the three topics, in the year

    @property
    def completed(self) -> int:
        """Studies whose report was submitted."""
        return sum(1 for study in self.studies if study.reported)

    @property
    def planned(self) -> int:
        """Studies in the plan whose report is still to come."""
        return len(self.studies) - self.completed

    @property
    def shortfall(self) -> bool:
        return len(self.studies) < self.required

    @property
    def finding(self) -> str | None:
        """The review finding a shortfall becomes, or None when the plan is complete."""
        if not self.shortfall:
            return None
        return (
            f"R-R1: {self.year} has {len(self.studies)} comprehensive studies covering industry "
            f"trend, competitors and customer needs ({self.completed} completed, "
            f"{self.planned} planned); the policy requires at least {self.required}"
        )


def annual_coverage(studies: Iterable[Research], year: int, policy: ResearchPolicy) -> Coverage:
    """R-R1: which of ``studies`` make up ``year``'s plan of comprehensive studies."""
    whole_year = Period(year, Granularity.YEAR)
    return Coverage(
        year=year,
        required=policy.min_comprehensive_studies_per_year,
        studies=tuple(
            study
            for study in studies
            if study.kind is Kind.COMPREHENSIVE
            and study.covers_required_topics
            and whole_year.contains(study.period)
        ),
    )
