"""Command handlers, one module per aggregate; importing this package fills the catalogue."""

from closedloop.application.commands import activity, plan, rectification, research, review, target

__all__ = ["activity", "plan", "rectification", "research", "review", "target"]
