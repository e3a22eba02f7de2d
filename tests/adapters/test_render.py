"""Rich renderings: missing keys show as "-", text is never markup, gaps say which way."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from rich.console import Console, RenderableType

from closedloop import RuleViolation
from closedloop.adapters.batch import Outcome
from closedloop.adapters.cli import render
from closedloop.adapters.cli.render_review import rectifications_table


def text_of(renderable: RenderableType) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(renderable)
    return buffer.getvalue()


def node(ref: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"ref": ref, "period": "2026", "unit": "CNY", "value": Decimal(value), **extra}


def test_a_tree_says_whether_a_split_falls_short_or_goes_over() -> None:
    tree = node(
        "REV-2026",
        "120000000",
        children={"period": [node("Q1", "60000000"), node("Q2", "57000000")]},
        gaps={"period": Decimal("3000000")},
    )
    assert "(unallocated 3,000,000)" in text_of(render.target_tree(tree))
    tree["gaps"] = {"period": Decimal("-1000000.50")}
    assert "(over-allocated 1,000,000.50)" in text_of(render.target_tree(tree))


def test_views_missing_keys_render_as_dashes() -> None:
    for panel in (render.target_panel({}), render.plan_panel({}), render.research_panel({})):
        assert "status" in text_of(panel)
        assert " - " in text_of(panel)
    for table in (render.targets_table([{}]), render.plans_table([{}]), render.studies_table([{}])):
        assert "-" in text_of(table)


def test_text_in_brackets_prints_as_itself_not_as_markup() -> None:
    error = RuleViolation("R-P3", "action item [bold]A1[/bold] has no owner")
    printed = text_of(render.outcome_line(Outcome(7, "plan.submit", error=error)))
    assert (
        "line 7  plan.submit  refused  rule_violation  R-P3: action item [bold]A1[/bold]" in printed
    )
    assert "[red]" in text_of(render.plan_panel({"ref": "P", "title": "[red] launch"}))


def test_values_read_as_people_write_them() -> None:
    assert render.show(Decimal("1234567.5")) == "1,234,567.5"
    assert render.show({"amount": Decimal("1200"), "currency": "CNY"}) == "1,200 CNY"
    assert render.show(["survey", "interview"]) == "survey, interview"
    assert render.show(None) == render.show([]) == "-"
    assert render.percent(Decimal("0.9717")) == "97.2 %"


def test_a_rectifications_source_is_named_once() -> None:
    views = [
        {"ref": "R1", "source": "complaint", "source_ref": "complaint CMP-7"},
        {"ref": "R2", "source": "finding", "source_ref": "REVIEW-2026-Q2#F1"},
        {"ref": "R3", "source": "risk_occurrence", "source_ref": "risk RISK-9 occurrence 1"},
    ]
    console = Console(width=200, record=True)
    console.print(rectifications_table(views))
    text = console.export_text()
    assert "complaint complaint" not in text
    assert "complaint CMP-7" in text
    assert "finding REVIEW-2026-Q2#F1" in text
    assert "risk_occurrence risk" not in text
