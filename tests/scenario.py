"""Small builders shared by tests: a company revenue target at each stage of its life."""

from __future__ import annotations

from typing import Any

from closedloop import ClosedLoop
from tests.cast import CEO, CFO, HEAD


def draft_revenue_target(
    loop: ClosedLoop, ref: str = "REV-2026", **overrides: Any
) -> dict[str, Any]:
    args = {
        "ref": ref,
        "metric": "revenue",
        "unit": "CNY",
        "period": "2026",
        "value": "12000000",
        "owner": HEAD.id,
        "basis": "2026 strategy: grow revenue 20 %",
        **overrides,
    }
    return loop.execute("target.create", CEO, args)


def approved_revenue_target(
    loop: ClosedLoop, ref: str = "REV-2026", **overrides: Any
) -> dict[str, Any]:
    draft_revenue_target(loop, ref, **overrides)
    loop.execute("target.submit", HEAD, {"target": ref})
    return loop.execute("target.approve", CFO, {"target": ref})


def quarters(ref: str, values: list[str]) -> list[dict[str, str]]:
    return [
        {"ref": f"{ref}-Q{i}", "value": value, "period": f"2026-Q{i}"}
        for i, value in enumerate(values, start=1)
    ]
