"""Policy is data: every company choice in LOOP_RULES.md, validated, with its defaults.

Load a file with :func:`closedloop.application.policy_file.load_policy`; a file names
only what it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, model_validator

from closedloop.domain.care import holiday_days
from closedloop.domain.compliance import (
    DEFAULT_ALLOWED,
    DEFAULT_LEXICON_VERSION,
    DEFAULT_TERMS,
    Lexicon,
)
from closedloop.domain.errors import InvalidInput
from closedloop.domain.risk_matrix import DEFAULT_LEVELS, DEFAULT_SCALE, Grid, Level, LevelName

#: Permissions the command catalogue asks for; roles grant them (R-G2).
PERMISSIONS = frozenset(
    {
        "read",  # queries
        "draft",  # create, edit and submit targets, plans, research
        "record",  # record measurements and research reports
        "approve",  # approve or reject what others submitted (the domain narrows it: R-P1, R-R2)
        "adjust_targets",  # approve target adjustments (R-T3)
        "close",  # close targets after their period (R-T5)
        "approve_overspend",  # cover an activity's overspend (R-A5; superior, within a limit)
        "review_ads",  # record ad-copy compliance exemptions (R-A3)
        "verify",  # verify rectifications (R-X3)
        "waive_findings",  # approve a review finding's waiver (R-E4)
        "read_personal_data",  # read a customer's personal fields, audited (R-C1)
        "erase_personal_data",  # crypto-shred a customer's personal data (R-C2)
    }
)

DEFAULT_ROLES: dict[str, frozenset[str]] = {
    "marketer": frozenset({"read", "draft", "record"}),
    "manager": frozenset(
        {"read", "draft", "record", "approve", "close", "approve_overspend", "verify"}
    ),
    "leadership": frozenset(
        {
            "read",
            "draft",
            "approve",
            "adjust_targets",
            "close",
            "approve_overspend",
            "verify",
            "waive_findings",
            "erase_personal_data",
        }
    ),
    "compliance": frozenset({"read", "review_ads"}),
    "auditor": frozenset({"read"}),
    "pii_reader": frozenset({"read", "read_personal_data"}),
}


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Grades(_Section):
    """R-E3: achievement thresholds (1.10 means 110 %)."""

    excellent: Decimal = Decimal("1.10")
    good: Decimal = Decimal("1.00")
    passing: Decimal = Field(default=Decimal("0.80"), alias="pass")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _descending(self) -> Self:
        if not self.excellent >= self.good >= self.passing > 0:
            raise ValueError("grades must satisfy excellent >= good >= pass > 0")
        return self

    def grade(self, achievement: Decimal) -> str:
        if achievement >= self.excellent:
            return "excellent"
        if achievement >= self.good:
            return "good"
        if achievement >= self.passing:
            return "pass"
        return "fail"


class ResearchPolicy(_Section):
    min_comprehensive_studies_per_year: PositiveInt = 2  # R-R1


class CustomerPolicy(_Section):
    points_valid_days: PositiveInt = 730  # R-C5
    verify_every_days: PositiveInt = 180  # R-C8
    churn_after_days: PositiveInt = 365  # R-C10
    complaint_acknowledge_hours: PositiveInt = 24  # R-C7
    complaint_resolve_hours: PositiveInt = 72  # R-C7
    currency: str = Field(default="CNY", min_length=3, max_length=3)  # spend is counted in it
    # R-C4: a tier needs every one of its thresholds (12-month spend and purchases, tenure)
    high_value_spend: Decimal = Field(default=Decimal("50000"), gt=0)
    high_value_purchases: PositiveInt = 6
    high_value_tenure_days: int = Field(default=365, ge=0)
    core_spend: Decimal = Field(default=Decimal("10000"), gt=0)
    core_purchases: PositiveInt = 2
    core_tenure_days: int = Field(default=0, ge=0)
    # R-C5: points per currency unit spent, times the tier's multiplier
    points_rate: Decimal = Field(default=Decimal("1"), ge=0)
    high_value_multiplier: Decimal = Field(default=Decimal("2"), ge=0)
    core_multiplier: Decimal = Field(default=Decimal("1.5"), ge=0)
    ordinary_multiplier: Decimal = Field(default=Decimal("1"), ge=0)
    referral_reward_points: int = Field(default=500, ge=0)  # R-C6
    # R-C9: revisit cadence (high-value monthly, core quarterly; ordinary ones are not due)
    high_value_revisit_days: PositiveInt = 30
    core_revisit_days: PositiveInt = 90
    # R-C9: greetings are sent in the days up to their occasion, for the calendar's holidays
    # (MM-DD every year, YYYY-MM-DD that year only: the Spring Festival moves)
    greeting_days_before: int = Field(default=7, ge=0)
    holidays: dict[str, str] = Field(
        default_factory=lambda: {
            "new_year": "01-01",
            "labour_day": "05-01",
            "national_day": "10-01",
        }
    )

    @model_validator(mode="after")
    def _holidays_are_days(self) -> Self:
        for spec in self.holidays.values():
            try:
                holiday_days(spec)
            except InvalidInput as error:
                raise ValueError(str(error)) from None
        return self

    @model_validator(mode="after")
    def _tiers_ascend(self) -> Self:
        if self.high_value_spend < self.core_spend or (
            self.high_value_purchases < self.core_purchases
        ):
            raise ValueError("high-value thresholds must not be below the core ones")
        return self


class RectificationPolicy(_Section):
    """R-X3: days after completion before the effect is verified; R-X6: how long after a
    closure the same cause code counts as a recurrence."""

    verify_after_days: int = Field(default=0, ge=0)  # R-X3
    recurrence_days: PositiveInt = 180  # R-X6


class ReviewPolicy(_Section):
    """R-E1: monthly and quarterly reviews are due on ``monthly_due_day`` of the month after
    their period; annual ones by the end of ``annual_due_month`` of the next year."""

    monthly_due_day: int = Field(default=10, ge=1, le=28)  # R-E1: by the 10th of next month
    annual_due_month: int = Field(default=1, ge=1, le=12)  # R-E1: by the end of January


class CompliancePolicy(_Section):
    """R-A3: the lexicon of prohibited absolute claims; another list needs another version."""

    lexicon_version: str = DEFAULT_LEXICON_VERSION
    terms: tuple[str, ...] = DEFAULT_TERMS
    allowed: tuple[str, ...] = DEFAULT_ALLOWED  # phrases that contain a term, claim nothing

    @model_validator(mode="after")
    def _valid_lexicon(self) -> Self:
        """Only a lexicon a file names: the default is tested, and checking it here would
        load OpenCC on ``import closedloop``."""
        if not self.model_fields_set:
            return self
        if (self.terms, self.allowed) != (DEFAULT_TERMS, DEFAULT_ALLOWED) and (
            self.lexicon_version == DEFAULT_LEXICON_VERSION
        ):
            raise ValueError(
                f"a replaced lexicon needs its own lexicon_version, not the default's "
                f"{DEFAULT_LEXICON_VERSION!r}"
            )
        try:
            self.lexicon()
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return self

    def lexicon(self) -> Lexicon:
        return Lexicon(self.lexicon_version, self.terms, self.allowed)


class ActivityPolicy(_Section):
    """R-A5: the share of an activity's budget its owner's superior may approve as overspend,
    in total; beyond it, leadership approves (the catalogue says "up to a limit", not which)."""

    superior_overspend_limit: Decimal = Field(default=Decimal("0.10"), ge=0)


class RiskMatrix(_Section):
    """R-K1: the likelihood × impact grid (3 × 3 by default; 4 × 4 and 5 × 5 allowed).

    Scales run from least to most; ``levels`` has a row per likelihood and, in it, a cell
    per impact.
    """

    likelihoods: tuple[str, ...] = DEFAULT_SCALE
    impacts: tuple[str, ...] = DEFAULT_SCALE
    levels: tuple[tuple[LevelName, ...], ...] = DEFAULT_LEVELS

    @model_validator(mode="after")
    def _usable(self) -> Self:
        problems = self.grid().problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def grid(self) -> Grid:
        return Grid(self.likelihoods, self.impacts, self.levels)


class ReviewCadence(_Section):
    """R-K4: months between reviews of a risk, by its current level."""

    high: PositiveInt = 1
    medium: PositiveInt = 3
    low: PositiveInt = 12

    def months(self, level: Level) -> int:
        return {Level.HIGH: self.high, Level.MEDIUM: self.medium, Level.LOW: self.low}[level]


class RiskPolicy(_Section):
    """R-K1 the matrix, R-K4 the review cadence; acceptances expiring within
    ``acceptance_warning_days`` show as near expiry (R-K2)."""

    matrix: RiskMatrix = RiskMatrix()
    review_months: ReviewCadence = ReviewCadence()
    acceptance_warning_days: PositiveInt = 30


class Policy(_Section):
    """Thresholds, cadences, grades and the role -> permission map."""

    grades: Grades = Grades()
    research: ResearchPolicy = ResearchPolicy()
    customer: CustomerPolicy = CustomerPolicy()
    rectification: RectificationPolicy = RectificationPolicy()
    review: ReviewPolicy = ReviewPolicy()
    activity: ActivityPolicy = ActivityPolicy()
    compliance: CompliancePolicy = CompliancePolicy()
    risk: RiskPolicy = RiskPolicy()
    roles: dict[str, frozenset[str]] = Field(default_factory=lambda: dict(DEFAULT_ROLES))

    @model_validator(mode="after")
    def _known_permissions(self) -> Self:
        for role, granted in self.roles.items():
            unknown = set(granted) - PERMISSIONS
            if unknown:
                raise ValueError(
                    f"role {role!r} grants unknown permissions {sorted(unknown)}; "
                    f"known: {sorted(PERMISSIONS)}"
                )
        return self

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Policy:
        """Defaults overridden by ``data``; roles named in ``data`` replace those roles only."""
        merged = dict(data)
        if "roles" in merged:
            if not isinstance(merged["roles"], Mapping):
                raise InvalidInput("invalid policy: roles must map each role to its permissions")
            merged["roles"] = {**DEFAULT_ROLES, **merged["roles"]}
        try:
            return cls.model_validate(merged)
        except ValidationError as error:
            raise InvalidInput(f"invalid policy: {_problems(error)}") from None

    def permissions_of(self, roles: frozenset[str]) -> frozenset[str]:
        granted: set[str] = set()
        for role in roles:
            granted |= self.roles.get(role, frozenset())
        return frozenset(granted)


def _problems(error: ValidationError) -> str:
    """``customer.points_valid_days: Input should be greater than 0; …``"""
    problems = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
