"""Rich renderings of reviews (findings and what covers each), rectifications and the
lessons learned from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli.render import (
    GRADE_STYLES,
    MISSING,
    STATUS_STYLES,
    fields,
    listing,
    name_of,
    panel,
    percent,
    records,
    show,
    styled,
)

REVIEW_TABLE_COLUMNS = ("cycle", "period", "scope", "author", "status", "due", "late")


def _scope(view: Mapping[str, Any]) -> str:
    return " ".join(str(part) for part in (view.get("scope"), view.get("scope_ref")) if part) or (
        MISSING
    )


def _flag(value: Any) -> Text:
    """A yes that needs attention (late, overdue) in red."""
    return Text(show(value), style="bold red" if value is True else "")


def _review_field(view: Mapping[str, Any], key: str) -> Text:
    if key == "scope":
        return Text(_scope(view))
    if key == "status":
        return styled(view.get(key), STATUS_STYLES)
    if key == "late":
        return _flag(view.get(key))
    return Text(show(view.get(key)))


def _finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A finding and what covers it (R-E4): a rectification (with its status) or a waiver."""
    rectification = finding.get("rectification")
    waiver = finding.get("waiver")
    waived = None
    if isinstance(waiver, Mapping):
        waived = (
            f"approved by {waiver['approved_by']}"
            if waiver.get("approved_by")
            else f"requested by {show(waiver.get('requested_by'))}"
        )
    return {
        "id": finding.get("id"),
        "description": finding.get("description"),
        "source": " ".join(
            str(part) for part in (finding.get("source"), finding.get("source_ref")) if part
        ),
        "cause_code": finding.get("cause_code"),
        "covered_by": finding.get("covered_by"),
        "rectification": (
            f"{name_of(rectification)} ({show(rectification.get('status'))})"
            if isinstance(rectification, Mapping)
            else None
        ),
        "waiver": waived,
        "recurrences": finding.get("recurrence_count"),
    }


def review_panel(view: Mapping[str, Any]) -> Panel:
    """One review: due and on time (R-E1), metrics and grades (R-E2, R-E3), findings and what
    covers each (R-E4), recurrences (R-X6)."""
    rows: list[tuple[str, Any]] = [(key, _review_field(view, key)) for key in REVIEW_TABLE_COLUMNS]
    rows += [
        (
            "finalised",
            f"{show(view.get('finalised_by'))}, {show(view.get('finalised_at'))}"
            if view.get("finalised_by")
            else MISSING,
        ),
        ("on time", view.get("on_time")),
        ("achievement", percent(view.get("achievement"))),
        ("grade", styled(view.get("grade"), GRADE_STYLES)),
        ("uncovered", view.get("uncovered")),
        ("recurrences", view.get("recurrences")),
    ]
    parts: list[RenderableType] = [fields(rows)]
    metrics = [
        {**metric, "achievement": percent(metric.get("achievement"))}
        for metric in view.get("metrics") or []
    ]
    if metrics:
        columns = ["name", "category", "actual", "target", "unit", "achievement", "grade"]
        parts.append(records("metrics", metrics, columns))
    if view.get("findings"):
        findings = [_finding(finding) for finding in view["findings"]]
        parts.append(records("findings", findings, list(findings[0])))
    return panel("review", view, parts)


def reviews_table(views: Sequence[Mapping[str, Any]]) -> Table:
    table = listing("reviews", "review")
    for column in REVIEW_TABLE_COLUMNS:
        table.add_column(column)
    for column in ("achievement", "grade", "findings", "uncovered"):
        table.add_column(column, justify="right" if column != "grade" else "left")
    for view in views:
        table.add_row(
            Text(name_of(view)),
            *(_review_field(view, key) for key in REVIEW_TABLE_COLUMNS),
            Text(percent(view.get("achievement"))),
            styled(view.get("grade"), GRADE_STYLES),
            Text(show(len(view["findings"]) if "findings" in view else None)),
            Text(show(view.get("uncovered"))),
        )
    return table


# --- rectifications and lessons ----------------------------------------------------------------

RECTIFICATION_TABLE_COLUMNS = ("source", "problem", "owner", "status", "deadline", "overdue")


def _rectification_field(view: Mapping[str, Any], key: str) -> Text:
    if key == "source":  # "complaint CMP-7", not "complaint complaint CMP-7"
        source, ref = str(view.get("source") or ""), str(view.get("source_ref") or "")
        said = ref if ref.startswith(source.split("_")[0]) else f"{source} {ref}".strip()
        return Text(said or MISSING)
    if key == "status":
        return styled(view.get(key), STATUS_STYLES)
    if key == "overdue":
        return _flag(view.get(key))
    return Text(show(view.get(key)))


def _done(view: Mapping[str, Any]) -> str:
    """How many of the measures are done: ``1 of 2``."""
    measures = view.get("measures")
    if not measures:
        return MISSING
    return f"{sum(1 for m in measures if m.get('done_on'))} of {len(measures)}"


def rectification_panel(view: Mapping[str, Any]) -> Panel:
    """One rectification: root cause (R-X2), measures and deadlines (R-X3, R-X4), verification
    (R-X3), lessons (R-X5) and recurrences (R-X6)."""
    lessons = view.get("lessons")
    lesson = lessons if isinstance(lessons, Mapping) else {}
    rows: list[tuple[str, Any]] = [
        (key, _rectification_field(view, key)) for key in RECTIFICATION_TABLE_COLUMNS
    ]
    rows += [
        ("raised by", view.get("raised_by")),
        ("root cause", view.get("root_cause")),
        ("cause code", view.get("cause_code")),
        ("measures done", _done(view)),
        ("evidence", view.get("evidence")),
        (
            "completed",
            f"{show(view.get('completed_by'))}, {show(view.get('completed_at'))}"
            if view.get("completed_by")
            else MISSING,
        ),
        ("verifiable from", view.get("verifiable_from")),
        ("verified by", view.get("verified_by")),
        ("lessons", lesson.get("text")),
        ("tags", lesson.get("tags")),
        ("closed", view.get("closed_at")),
        ("recurrence of", view.get("recurrence_of")),
        ("recurrences", view.get("recurrence_count")),
    ]
    parts: list[RenderableType] = [fields(rows)]
    tables = [
        ("measures", view.get("measures") or [], ["id", "what", "owner", "deadline", "done_on"]),
        ("verifications", view.get("verifications") or [], ["by", "at", "effective", "notes"]),
        ("extensions", view.get("extensions") or [], ["number", "measure", "from", "to"]),
    ]
    parts += [records(title, rows, columns) for title, rows, columns in tables if rows]
    return panel("rectification", view, parts)


def rectifications_table(views: Sequence[Mapping[str, Any]]) -> Table:
    table = listing("rectifications", "rectification")
    for column in RECTIFICATION_TABLE_COLUMNS:
        table.add_column(column)
    table.add_column("measures done", justify="right")
    table.add_column("recurrences", justify="right")
    for view in views:
        table.add_row(
            Text(name_of(view)),
            *(_rectification_field(view, key) for key in RECTIFICATION_TABLE_COLUMNS),
            Text(_done(view)),
            Text(show(view.get("recurrence_count"))),
        )
    return table


LESSON_COLUMNS = ("problem", "root_cause", "cause_code", "lessons", "tags", "by", "closed_at")


def lessons_table(lessons: Sequence[Mapping[str, Any]]) -> Table:
    """R-X5: what closed rectifications taught, latest first."""
    table = listing("lessons learned", "rectification")
    for column in LESSON_COLUMNS:
        table.add_column(column.replace("_", " "))
    for lesson in lessons:
        table.add_row(
            Text(name_of(lesson) if lesson.get("ref") else show(lesson.get("rectification"))),
            *(Text(show(lesson.get(key))) for key in LESSON_COLUMNS),
        )
    return table
