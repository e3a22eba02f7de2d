"""Rich renderings of the audit trail: its entries, a verification and a digest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli.render import show


def audit_table(entries: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title=f"Audit trail ({len(entries)} events)", title_justify="left")
    for column in ("position", "recorded", "actor", "aggregate", "version", "event", "reason"):
        table.add_column(column, justify="right" if column in ("position", "version") else "left")
    table.add_column("hash", no_wrap=True)
    for entry in entries:
        actor = Text("(bookkeeping)", style="dim") if entry["bookkeeping"] else show(entry["actor"])
        table.add_row(
            show(entry["position"]),
            show(entry["recorded_at"]),
            actor,
            f"{entry['aggregate_type']} {entry['aggregate_id']}",
            show(entry["version"]),
            show(entry["event_type"]),
            show(entry["reason"]),
            str(entry["hash"])[:16],
        )
    return table


def verified_panel(result: Mapping[str, Any]) -> Panel:
    lines = [
        Text("L8: the chain verifies", style="bold green"),
        Text(f"{result['count']} events up to position {result['position']}"),
        Text(f"head {result['hash']}"),
    ]
    covered = result.get("digest")
    if covered:
        lines.append(
            Text(
                f"the digest's history ({covered['count']} events up to position "
                f"{covered['position']}) is unchanged and only appended to"
            )
        )
    if result.get("signature"):
        lines.append(Text(f"signature: {result['signature']}"))
    return Panel(Text("\n").join(lines), title="audit verify", expand=False)
