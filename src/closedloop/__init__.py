"""closedloop: closed-loop marketing management, event-sourced and provable.

``import closedloop`` stays light: the CLI (Typer, Rich) and the PostgreSQL driver are
extras, imported only by the adapters that need them.
"""

from closedloop.api import ClosedLoop
from closedloop.application.clock import Clock, FixedClock, SystemClock
from closedloop.application.group_commit import Batching
from closedloop.domain.actor import Actor
from closedloop.domain.errors import (
    ClosedLoopError,
    ConcurrencyConflict,
    InvalidInput,
    NotAuthorised,
    NotFound,
    RuleViolation,
    StoreUnavailable,
)
from closedloop.domain.money import Money
from closedloop.domain.period import Period
from closedloop.domain.policy import Policy

__all__ = [
    "Actor",
    "Batching",
    "Clock",
    "ClosedLoop",
    "ClosedLoopError",
    "ConcurrencyConflict",
    "FixedClock",
    "InvalidInput",
    "Money",
    "NotAuthorised",
    "NotFound",
    "Period",
    "Policy",
    "RuleViolation",
    "StoreUnavailable",
    "SystemClock",
]
