"""Plain data to JSON: exact numbers as text, ISO times, and the input forms of values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from closedloop import Money, Period
from closedloop.adapters.jsonable import jsonable, to_json
from closedloop.domain.target import Direction


@attrs.frozen
class Point:
    x: Decimal
    tags: frozenset[str]


def test_values_take_the_forms_the_command_inputs_accept() -> None:
    data = {
        "value": Decimal("1E+2"),
        "cents": Decimal("0.10"),
        "day": date(2026, 3, 31),
        "at": datetime(2026, 3, 31, 23, 59, tzinfo=UTC),
        "id": UUID(int=1),
        "period": Period.parse("2026-Q1"),
        "budget": Money("1200.50"),
        "direction": Direction.LOWER,
        "roles": {"manager", "leadership"},
        "pair": (1, None),
        "point": Point(Decimal("1.5"), frozenset({"b", "a"})),
        7: True,
    }
    assert jsonable(data) == {
        "value": "100",
        "cents": "0.10",
        "day": "2026-03-31",
        "at": "2026-03-31T23:59:00+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "period": "2026-Q1",
        "budget": {"amount": "1200.50", "currency": "CNY"},
        "direction": "lower",
        "roles": ["leadership", "manager"],
        "pair": [1, None],
        "point": {"x": "1.5", "tags": ["a", "b"]},
        "7": True,
    }


def test_to_json_keeps_chinese_text_readable() -> None:
    text = to_json({"title": "市场调研", "amount": Decimal("0.1")})
    assert "市场调研" in text
    assert json.loads(text) == {"title": "市场调研", "amount": "0.1"}


def test_a_value_with_no_json_form_is_a_bug_not_silence() -> None:
    with pytest.raises(TypeError, match="no JSON form for float"):
        jsonable({"x": 0.1})
