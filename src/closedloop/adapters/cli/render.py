"""Rich renderings of the plain-data views: target panels and trees, plan and study tables.

Views are dicts; a key a view does not have shows as ``-``, so a renderer never breaks on a
view that grows or lacks a field. All text goes in as ``Text``, never as markup, so a
bracket in a title or an error message prints as itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from closedloop.adapters.batch import Outcome, Tally
from closedloop.domain.errors import ClosedLoopError

MISSING = "-"
GRADE_STYLES = {"excellent": "bold green", "good": "green", "pass": "yellow", "fail": "bold red"}
STATUS_STYLES = {
    "approved": "green",
    "closed": "blue",
    "submitted": "yellow",
    "rejected": "red",
    "running": "cyan",
    "evaluated": "blue",
    "finalised": "blue",
    "verified": "green",
    "cancelled": "red",
}


# --- cells -------------------------------------------------------------------------------------


def show(value: Any) -> str:
    """One value as short text: amounts with separators, dates ISO, lists joined."""
    if value is None or value == "" or value == [] or value == {}:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if set(value) == {"amount", "currency"}:
            return f"{show(value['amount'])} {value['currency']}"
        if set(value) >= {"by", "revision"}:  # an approval
            return approval(value)
        return ", ".join(f"{key} {show(item)}" for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(show(item) for item in value)
    return str(value)


def percent(ratio: Any) -> str:
    """An achievement ratio (0.9717) as ``97.2 %``."""
    if not isinstance(ratio, Decimal):
        return MISSING
    return f"{(ratio * 100).quantize(Decimal('0.1'))} %"


def approval(value: Mapping[str, Any] | None, *, when: bool = True) -> str:
    """``wang, revision 2, 2026-01-05 09:00+00:00`` (R-G5: approvals bind to a revision)."""
    if not value:
        return MISSING
    text = f"{show(value.get('by'))}, revision {show(value.get('revision'))}"
    return f"{text}, {show(value.get('at'))}" if when else text


def styled(value: Any, styles: Mapping[str, str]) -> Text:
    text = show(value)
    return Text(text, style=styles.get(text, ""))


def amount(view: Mapping[str, Any], key: str) -> str:
    """A target's number with its unit, when it has one."""
    text = show(view.get(key))
    unit = view.get("unit")
    return f"{text} {unit}" if unit and text != MISSING else text


def name_of(view: Mapping[str, Any]) -> str:
    return str(view.get("ref") or view.get("id") or MISSING)


def fields(rows: Iterable[tuple[str, Any]]) -> Table:
    """A two-column grid of label and value."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(Text(label), value if isinstance(value, Text) else Text(show(value)))
    return grid


def records(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Table:
    """A table of dicts: the ``columns`` first, then any other key the rows have."""
    extra = [key for row in rows for key in row if key not in columns]
    names = [*columns, *dict.fromkeys(extra)]
    table = Table(title=title, title_justify="left")
    for column in names:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*(Text(show(row.get(column))) for column in names))
    return table


# --- targets -----------------------------------------------------------------------------------


def panel(kind: str, view: Mapping[str, Any], parts: Sequence[RenderableType]) -> Panel:
    """One aggregate's panel, titled with its kind and name."""
    title = Text.assemble((f"{kind} ", "dim"), (name_of(view), "bold"))
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def listing(title: str, first: str) -> Table:
    """A table of aggregates, titled, whose first column (their names) never wraps."""
    table = Table(title=title, title_justify="left")
    table.add_column(first, no_wrap=True)
    return table


def _value(view: Mapping[str, Any]) -> str:
    """The value in force, and the original one when an adjustment changed it (R-T3)."""
    value = amount(view, "value")
    original = view.get("original_value")
    if original is not None and original != view.get("value"):
        value += f" (original {show(original)})"
    return value


def target_panel(view: Mapping[str, Any]) -> Panel:
    """One target: status, value against original, actual, achievement, grade, approval."""
    value = _value(view)
    achieved = percent(view.get("achievement"))
    if view.get("achievement_original") != view.get("achievement"):
        achieved += f" (against the original {percent(view.get('achievement_original'))})"
    scope = show(view.get("scope"))
    if view.get("scope_ref"):
        scope += f" {view['scope_ref']}"
    rows: list[tuple[str, Any]] = [
        (
            "metric",
            f"{show(view.get('metric'))} ({show(view.get('direction'))} is better, "
            f"{show(view.get('aggregation'))})",
        ),
        ("period", view.get("period")),
        ("scope", scope),
        ("owner", view.get("owner")),
        ("status", styled(view.get("status"), STATUS_STYLES)),
        ("revision", view.get("revision")),
        ("value", value),
        ("baseline", amount(view, "baseline")),
        ("actual", amount(view, "actual")),
        ("achievement", achieved),
        ("grade", styled(view.get("grade"), GRADE_STYLES)),
        ("approval", approval(view.get("approval"))),
        ("basis", view.get("basis")),
    ]
    if view.get("missing"):
        rows.append(("missing", view["missing"]))
    if view.get("final"):
        rows.append(("final", view["final"]))
    parts: list[RenderableType] = [fields(rows)]
    if view.get("measurements"):
        parts.append(records("measurements", view["measurements"], ["as_of", "value", "source"]))
    if view.get("adjustments"):
        parts.append(
            records("adjustments", view["adjustments"], ["number", "from", "to", "decision"])
        )
    return panel("target", view, parts)


def target_tree(node: Mapping[str, Any]) -> Tree:
    """The decomposition tree: value, actual, achievement and grade on every node."""
    tree = Tree(_node_label(node))
    _grow(tree, node)
    return tree


def _grow(branch: Tree, node: Mapping[str, Any]) -> None:
    gaps = node.get("gaps") or {}
    for dimension, children in (node.get("children") or {}).items():
        label = Text(f"by {dimension}", style="dim")
        gap = gaps.get(dimension)
        if gap:  # after an adjustment (R-T3) the parts no longer add up to the whole
            word = "unallocated" if gap > 0 else "over-allocated"
            label.append(f"  ({word} {show(abs(gap))})", style="red")
        split = branch.add(label)
        for child in children:
            _grow(split.add(_node_label(child)), child)


def _node_label(node: Mapping[str, Any]) -> Text:
    where = show(node.get("period"))
    if node.get("scope") not in (None, "company"):
        where += f" {node.get('scope_ref') or node.get('scope')}"
    return Text.assemble(
        (name_of(node), "bold"),
        f"  {where}  value {_value(node)}  actual {show(node.get('actual'))}  ",
        (percent(node.get("achievement")), "bold"),
        "  ",
        styled(node.get("grade"), GRADE_STYLES),
        "  ",
        styled(node.get("status"), STATUS_STYLES),
    )


def targets_table(views: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="targets", title_justify="left")
    for column in ("target", "metric", "period", "scope", "owner", "status"):
        table.add_column(column)
    for column in ("value", "actual", "achievement"):
        table.add_column(column, justify="right")
    table.add_column("grade")
    for view in views:
        scope = " ".join(str(part) for part in (view.get("scope"), view.get("scope_ref")) if part)
        table.add_row(
            Text(name_of(view)),
            Text(show(view.get("metric"))),
            Text(show(view.get("period"))),
            Text(scope or MISSING),
            Text(show(view.get("owner"))),
            styled(view.get("status"), STATUS_STYLES),
            Text(amount(view, "value")),
            Text(show(view.get("actual"))),
            Text(percent(view.get("achievement"))),
            styled(view.get("grade"), GRADE_STYLES),
        )
    return table


# --- plans and research ------------------------------------------------------------------------

PLAN_COLUMNS = ("level", "period", "title", "author", "status", "revision", "budget", "allocated")
PLAN_TABLE_COLUMNS = ("level", "period", "status", "revision", "budget", "allocated")
ACTION_ITEM_COLUMNS = ["id", "what", "owner", "start", "due", "expected_effect", "budget", "target"]
STUDY_COLUMNS = ("kind", "title", "status", "period", "topics", "methods", "author")


def plan_panel(view: Mapping[str, Any]) -> Panel:
    """One plan: budget against what its items allocate, and the revision in force (R-G5)."""
    rows = [(key, view.get(key)) for key in PLAN_COLUMNS]
    rows += [
        ("unallocated", view.get("unallocated")),
        ("targets", view.get("linked_targets")),
        ("approval", approval(view.get("approval"))),
        ("in force", _revision(view.get("approved"))),
        ("changed since", view.get("unapproved_changes")),
    ]
    parts: list[RenderableType] = [fields(rows)]
    if view.get("action_items"):
        parts.append(records("action items", view["action_items"], ACTION_ITEM_COLUMNS))
    return panel("plan", view, parts)


def _revision(content: Any) -> str:
    """The approved revision of a plan view: its number and budget, or ``-``."""
    if not isinstance(content, Mapping):
        return show(content)
    return f"revision {show(content.get('revision'))}, budget {show(content.get('budget'))}"


def plans_table(views: Sequence[Mapping[str, Any]]) -> Table:
    """One row per plan; the title and items are in ``show plan``."""
    table = listing("plans", "plan")
    for column in PLAN_TABLE_COLUMNS:
        money = column in ("budget", "allocated")
        header = "rev" if column == "revision" else column
        table.add_column(header, justify="right" if money else "left", no_wrap=True)
    table.add_column("approved by", no_wrap=True)
    for view in views:
        table.add_row(
            Text(name_of(view)),
            *(
                styled(view.get(key), STATUS_STYLES)
                if key == "status"
                else Text(show(view.get(key)))
                for key in PLAN_TABLE_COLUMNS
            ),
            Text(_approved_by(view.get("approval"))),
        )
    return table


def _approved_by(value: Any) -> str:
    if not isinstance(value, Mapping):
        return MISSING
    return f"{show(value.get('by'))}, rev {show(value.get('revision'))}"


def research_panel(view: Mapping[str, Any]) -> Panel:
    """One study: what it covers and how, who approved it, and its report (R-R2, R-R3)."""
    rows = [(key, _study_field(view, key)) for key in STUDY_COLUMNS]
    rows += [
        ("purpose", view.get("purpose")),
        ("subjects", view.get("subjects")),
        ("approval", approval(view.get("approval"))),
    ]
    report = view.get("report")
    parts: list[RenderableType] = [fields(rows)]
    if isinstance(report, Mapping):
        parts += [Text("report", style="bold"), fields(report.items())]
    return panel("research", view, parts)


def _study_field(view: Mapping[str, Any], key: str) -> Any:
    """A study's ``kind`` is its ``study_kind`` (the view's own ``kind`` is "research")."""
    return view.get("study_kind" if key == "kind" else key)


def studies_table(views: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="research", title_justify="left")
    table.add_column("study")
    for column in STUDY_COLUMNS:
        table.add_column(column)
    for view in views:
        table.add_row(
            Text(name_of(view)),
            *(Text(show(_study_field(view, key))) for key in STUDY_COLUMNS),
        )
    return table


def refusals(lines: Sequence[str]) -> Table:
    """What the rules refused, one line each: ``DAY COMMAND: R-XN: why``."""
    table = Table(title="refused on the way", title_justify="left", show_header=False)
    table.add_column("refusal")
    for line in lines:
        table.add_row(Text(line))
    return table


# --- batch outcomes and errors -----------------------------------------------------------------


def outcome_line(outcome: Outcome) -> Text:
    """``line 4  target.approve  refused  rule_violation  R-G1: …`` or the result."""
    line = Text.assemble((f"line {outcome.line}", "dim"), "  ", outcome.command or MISSING, "  ")
    if outcome.error is None:
        result = outcome.result or {}
        line.append("ok", style="green")
        version = f"v{result['version']}" if "version" in result else None
        done = [name_of(result), version, result.get("status")]
        line.append("  " + "  ".join(str(part) for part in done if part))
    else:
        line.append("refused", style="bold red")
        line.append(f"  {outcome.error.kind}  {outcome.error.message}")
    return line


def tally_line(tally: Tally, *, stopped: bool) -> Text:
    text = Text(f"{tally.ok + tally.failed} commands: {tally.ok} ok, {tally.failed} refused")
    if tally.first_failure is not None:
        text.append(
            f"; first refusal on line {tally.first_failure.line} (exit code {tally.exit_code})"
        )
    if stopped:
        text.append("; stopped there (--stop-on-error)")
    return text


def error_text(error: ClosedLoopError) -> Text:
    return Text.assemble(("error", "bold red"), f" ({error.kind}): {error.message}")
