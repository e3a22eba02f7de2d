"""Defects the HTTP contract test (schemathesis) found, pinned so they stay fixed."""

from __future__ import annotations

from closedloop import ClosedLoop
from tests.cast import CEO
from tests.scenario import draft_revenue_target


def test_a_null_basis_research_in_target_update_is_no_research_not_a_crash(
    mem_loop: ClosedLoop,
) -> None:
    draft_revenue_target(mem_loop)
    mem_loop.execute(
        "target.update", CEO, {"target": "REV-2026", "basis_research": None, "baseline": None}
    )
    view = mem_loop.target("REV-2026")
    assert (view["basis_research"], view["baseline"], view["version"]) == ([], None, 1)
