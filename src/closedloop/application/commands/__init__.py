"""Command handlers, one module per aggregate; importing this package fills the catalogue."""

from closedloop.application.commands import (
    activity,
    customer,
    plan,
    rectification,
    research,
    review,
    target,
)

__all__ = ["activity", "customer", "plan", "rectification", "research", "review", "target"]
