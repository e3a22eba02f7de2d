"""Rich renderings of customer views: never a personal value, only whether it is held (R-C1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli.render import fields, name_of, percent, records, show, styled
from closedloop.adapters.customer_csv import ImportedRow

TIER_STYLES = {"high_value": "bold green", "core": "green", "ordinary": ""}
STATUS_STYLES = {"active": "green", "churned": "red"}
TABLE_COLUMNS = ("tier", "status", "purchases", "last_purchase_on")


def _points(view: Mapping[str, Any]) -> str:
    points = view["points"]
    text = f"{points['balance']} (earned {points['earned']}, redeemed {points['redeemed']}, "
    text += f"expired {points['expired']}; available {points['available']})"
    expiry = points.get("next_expiry")
    return text + (f", {expiry['points']} expire {show(expiry['on'])}" if expiry else "")


def _consent(view: Mapping[str, Any]) -> str:
    """``sms: care, promotion; wechat: care`` — the channels and purposes consented to now."""
    given = [
        f"{channel}: {', '.join(p for p, held in purposes.items() if held)}"
        for channel, purposes in view["consent"].items()
        if any(purposes.values())
    ]
    return "; ".join(given) or show(None)


def _revisit(view: Mapping[str, Any]) -> Text:
    revisit = view["revisit"]
    if revisit["every_days"] is None:
        return Text("not due for this tier")
    text = f"every {revisit['every_days']} days, due {show(revisit['due'])}"
    return Text(
        text + (" — MISSED" if revisit["missed"] else ""),
        style="bold red" if revisit["missed"] else "",
    )


def customer_panel(view: Mapping[str, Any]) -> Panel:
    """One customer: tier, points (L5), consent, care and information quality."""
    quality = view["quality"]
    held = [name for name, state in view["personal_fields"].items() if state == "held"]
    rows: list[tuple[str, Any]] = [
        ("status", styled(view["status"], STATUS_STYLES)),
        (
            "personal data",
            f"{view['personal_data']}: {show(held)}" if held else view["personal_data"],
        ),
        ("tier", styled(view["tier"], TIER_STYLES)),
        (
            "12 months",
            f"{show(view['spend_12_months'])} in {view['purchases_12_months']} purchases",
        ),
        ("tenure", f"{view['tenure_days']} days"),
        ("points", _points(view)),
        ("consent", _consent(view)),
        ("revisit", _revisit(view)),
        ("completeness", percent(quality["completeness"])),
        (
            "verified",
            f"{show(quality['verified_on'])} ({'timely' if quality['timely'] else 'overdue'})",
        ),
        ("accurate", quality["accurate"]),
        ("satisfaction", view["satisfaction"]),
        ("source", view["source"]),
        ("owner", view["owner"]),
        ("preferences", view["preferences"]),
        ("referrer", view["referrer"]),
        ("churned on", view["churned_on"]),
    ]
    parts: list[RenderableType] = [fields(rows)]
    if view["personal_data_reads"]:
        parts.append(
            records("personal data reads", view["personal_data_reads"], ["by", "at", "reason"])
        )
    title = Text.assemble(("customer ", "dim"), (name_of(view), "bold"))
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def customers_table(views: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="customers", title_justify="left")
    table.add_column("customer", no_wrap=True)
    for column in TABLE_COLUMNS:
        table.add_column(column.replace("_", " "), no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("revisit", no_wrap=True)
    for view in views:
        table.add_row(
            Text(name_of(view)),
            styled(view["tier"], TIER_STYLES),
            styled(view["status"], STATUS_STYLES),
            *(Text(show(view[key])) for key in TABLE_COLUMNS[2:]),
            Text(str(view["points"]["balance"])),
            Text("missed", style="bold red")
            if view["revisit"]["missed"]
            else Text(show(view["revisit"]["due"])),
        )
    return table


def care_table(tasks: Sequence[Mapping[str, Any]]) -> Table:
    """R-C9: greetings and revisits due, missed ones first and in red."""
    table = Table(title="care plan", title_justify="left")
    for column in ("customer", "care", "occasion", "due", ""):
        table.add_column(column, no_wrap=True)
    for task in tasks:
        table.add_row(
            Text(task["customer"]),
            Text(task["care"].replace("_", " ")),
            Text(task["occasion"].replace("_", " ")),
            Text(show(task["due"]) if task["due"] is not None else "this week"),
            Text("missed", style="bold red") if task["missed"] else Text("due"),
        )
    return table


def import_report(kind: str, counts: Mapping[str, int], rejected: Sequence[ImportedRow]) -> Text:
    """``line 7: phone: String should match …`` per rejected row, then the counts."""
    text = Text()
    for row in rejected:
        reason = row.error.message if row.error is not None else ""
        text.append(f"line {row.line}: ", style="bold red")
        text.append(f"{reason}\n")
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    text.append(f"{kind}: {summary}", style="bold")
    return text
