"""Rich renderings of the customers, complaints and risks evaluation views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli.render import fields, percent, records, show


def _summary(view: Mapping[str, Any], skip: Sequence[str]) -> Table:
    return fields(
        (key.replace("_", " "), percent(value) if key.endswith("_rate") else value)
        for key, value in view.items()
        if key not in skip
    )


def customers(view: Mapping[str, Any]) -> RenderableType:
    quality = [(f"information {key}", percent(value)) for key, value in view["quality"].items()]
    tiers = [(f"tier {tier.replace('_', ' ')}", count) for tier, count in view["tiers"].items()]
    return Group(_summary(view, ("quality", "tiers")), fields([*tiers, *quality]))


def complaints(view: Mapping[str, Any]) -> RenderableType:
    rows = [
        {
            "ref": c["ref"],
            "owner": c["owner"],
            "status": c["status"],
            "received_at": c["received_at"],
            "overdue": c["overdue_slas"],
            "acknowledged on time": c["acknowledged_on_time"],
            "resolved on time": c["resolved_on_time"],
            "satisfied": c["satisfied"],
        }
        for c in view["complaints"]
    ]
    return Group(
        _summary(view, ("complaints", "dissatisfied_closes")),
        records("complaints", rows, list(rows[0]) if rows else []),
        records(
            "dissatisfied closes",
            view["dissatisfied_closes"],
            ["complaint", "rectification", "rectification_status"],
        ),
    )


def _heat_map(title: str, grid: Mapping[str, Any]) -> Table:
    """Likelihoods down (most likely first), impacts across; each cell its count and level."""
    table = Table(title=f"{title} ({grid['size']})", title_justify="left")
    table.add_column("likelihood \\ impact")
    for impact in grid["impacts"]:
        table.add_column(impact)
    for i in reversed(range(len(grid["likelihoods"]))):
        cells = (
            Text(f"{count} {level}")
            for count, level in zip(grid["cells"][i], grid["levels"][i], strict=True)
        )
        table.add_row(Text(grid["likelihoods"][i]), *cells)
    return table


def risks(view: Mapping[str, Any]) -> RenderableType:
    columns = ["ref", "category", "owner", "status", "inherent", "current", "residual"]
    maps = [
        _heat_map(title, grid)
        for title, key in (("inherent", "heat_map_inherent"), ("residual", "heat_map_residual"))
        for grid in view[key]
    ]
    late = [{**r, "late_reviews": show(r["late_reviews"])} for r in view["late_reviews"]]
    return Group(
        fields([("open", view["open"]), ("levels", view["levels"])]),
        records("risk register", view["register"], columns),
        *maps,
        records("late reviews", late, ["ref", "owner", "level", "late_reviews", "days_late"]),
        records(
            "acceptances near expiry",
            view["acceptances_near_expiry"],
            ["ref", "level", "accepted_by", "expires_on", "days_left", "expired"],
        ),
    )
