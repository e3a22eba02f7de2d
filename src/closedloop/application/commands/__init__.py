"""Command handlers, one module per aggregate; importing this package fills the catalogue."""

from closedloop.application.commands import (
    activity,
    complaint,
    plan,
    rectification,
    research,
    review,
    risk,
    target,
)

__all__ = ["activity", "complaint", "plan", "rectification", "research", "review", "risk", "target"]
