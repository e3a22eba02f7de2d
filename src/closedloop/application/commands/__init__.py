"""Command handlers, one module per aggregate; importing this package fills the catalogue."""

from closedloop.application.commands import (
    activity,
    complaint,
    customer,
    plan,
    rectification,
    research,
    review,
    risk,
    target,
)

__all__ = [
    "activity",
    "complaint",
    "customer",
    "plan",
    "rectification",
    "research",
    "review",
    "risk",
    "target",
]
