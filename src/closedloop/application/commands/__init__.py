"""Command handlers, one module per aggregate; importing this package fills the catalogue."""

from closedloop.application.commands import plan, research, target

__all__ = ["plan", "research", "target"]
