"""Pydantic building blocks shared by the command inputs: exact money, periods, actors.

Every input model forbids unknown fields, so a typo is an error, not a silent no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from closedloop.domain.actor import Actor
from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.domain.money import Money, to_decimal
from closedloop.domain.period import Period


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def invalid_input(what: str, errors: Iterable[Mapping[str, Any]]) -> InvalidInput:
    """Pydantic's validation errors as one ``InvalidInput``: ``{"field", "problem"}`` each.

    Every adapter reports bad input in this shape, whoever validated it.
    """
    problems = [
        {
            "field": ".".join(str(part) for part in e["loc"]) or "(input)",
            "problem": str(e["msg"]).removeprefix("Value error, "),
        }
        for e in errors
    ]
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return InvalidInput(f"{what}: {summary}", problems)


def _exact(value: Any) -> Decimal:
    try:
        return to_decimal(value)
    except ClosedLoopError as error:
        raise ValueError(error.message) from None


def _period(value: Any) -> Period:
    if isinstance(value, Period):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    try:
        return Period.parse(value)
    except ClosedLoopError as error:
        raise ValueError(error.message) from None


def _money(value: Any) -> Money:
    try:
        if isinstance(value, Money):
            return value
        if isinstance(value, str):
            return Money.parse(value)
        if isinstance(value, dict):
            return Money(**value)
        return Money(value)
    except (ClosedLoopError, TypeError) as error:
        raise ValueError(getattr(error, "message", str(error))) from None


#: An exact decimal: a string or an integer (a JSON float is refused as inexact).
Exact = Annotated[
    Decimal,
    PlainValidator(_exact),
    PlainSerializer(lambda value: f"{value:f}", return_type=str),  # 1E+3 -> "1000"
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["1200.50"]}),
]
#: ``2026``, ``2026-Q1`` or ``2026-03``.
PeriodText = Annotated[
    Period,
    PlainValidator(_period),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}(-Q[1-4]|-\d{2})?$",
            "examples": ["2026", "2026-Q1", "2026-03"],
        }
    ),
]
#: ``"1200.00 CNY"`` or ``{"amount": "1200.00", "currency": "CNY"}``.
MoneyIn = Annotated[
    Money,
    PlainValidator(_money),
    PlainSerializer(Money.to_text, return_type=str),  # exact, and read back by Money.parse
    WithJsonSchema({"type": "string", "examples": ["1200.00 CNY"]}),
]
#: A UUID or a human reference such as ``REV-2026``.
Ref = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1)]
Day = date


class ActorIn(Input):
    """Who issues the command (the embedding system has authenticated them)."""

    id: Ref
    name: str = ""
    roles: list[str] = Field(default_factory=list)
    superior: str | None = None

    def to_actor(self) -> Actor:
        return Actor(self.id, self.name, frozenset(self.roles), self.superior)
