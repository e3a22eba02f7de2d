"""Plain data (what queries and commands return) to JSON, without losing exactness.

Decimals become strings (``"120000000.50"``, never a float), dates and datetimes ISO 8601,
UUIDs text, periods ``"2026-Q1"``, other value objects their fields (money
``{"amount": "1200.00", "currency": "CNY"}``): the forms the command inputs accept, so what
one command prints another can take.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from closedloop.domain.period import Period


def jsonable(value: Any) -> Any:
    """``value`` with every leaf turned into a JSON type (str, int, bool, None, list, dict)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # plain notation: "100", never "1E+2"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Period):
        return str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if attrs.has(type(value)):
        return jsonable(attrs.asdict(value, recurse=False))
    raise TypeError(f"no JSON form for {type(value).__name__}: {value!r}")


def to_json(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text (UTF-8 characters kept as they are: 营销 stays readable)."""
    return json.dumps(jsonable(value), indent=indent, ensure_ascii=False)
