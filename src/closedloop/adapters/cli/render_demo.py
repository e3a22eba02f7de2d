"""What ``closedloop demo`` adds to its printout: a short summary of the year's customers.

Two hundred customers are too many for a table; the summary counts them per tier, adds up
their points, gives the churn rate and names the erased ones (R-C2) — never a personal value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from closedloop.adapters.cli.render import fields, name_of, percent, show
from closedloop.domain.customer_values import Tier


def customers_summary(views: Sequence[Mapping[str, Any]], churn: Mapping[str, Any]) -> Table:
    """Counts per tier (R-C4), points outstanding (R-C5), churn (R-C10), erasures (R-C2)."""
    tiers = Counter(view["tier"] for view in views)
    erased = [
        f"{name_of(view)} (erased {show(view['erased_at'])})"
        for view in views
        if view["personal_data"] == "erased"
    ]
    summary = fields(
        [
            ("registered", len(views)),
            *((tier.value.replace("_", " "), tiers[tier.value]) for tier in Tier),
            ("points outstanding", f"{sum(view['points']['balance'] for view in views):,}"),
            (
                f"churn rate {churn['period']}",
                f"{percent(churn['churn_rate'])} ({churn['churned']} of "
                f"{churn['customers_at_start']}: {show(churn['churned_customers'])})",
            ),
            ("erased", show(erased)),
        ]
    )
    summary.title = "customers"
    summary.title_justify = "left"
    return summary
