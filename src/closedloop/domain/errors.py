"""The one error hierarchy every layer raises and every adapter maps the same way.

Each error has a stable ``kind`` (the JSON ``error`` field) and ``exit_code`` (the CLI's).
"""

from __future__ import annotations

from typing import Any, ClassVar


class ClosedLoopError(Exception):
    """Base of every error a user can cause; never a bug in closedloop itself."""

    kind: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.kind, "message": self.message}


class InvalidInput(ClosedLoopError):
    """The input is malformed: wrong type, missing field, unknown command."""

    kind = "invalid_input"
    exit_code = 2

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "errors": self.errors}


class NotAuthorised(ClosedLoopError):
    """R-G2: the actor lacks the permission the command needs."""

    kind = "not_authorised"
    exit_code = 3


class RuleViolation(ClosedLoopError):
    """A business rule refused the command; ``rule`` is its ID in LOOP_RULES.md."""

    kind = "rule_violation"
    exit_code = 4

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.detail = message

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.kind, "rule": self.rule, "message": self.message}


class NotFound(ClosedLoopError):
    kind = "not_found"
    exit_code = 5


class ConcurrencyConflict(ClosedLoopError):
    """Another writer changed the same aggregate first; reload and try again."""

    kind = "conflict"
    exit_code = 6


def require(condition: bool, rule: str, message: str) -> None:
    """Guard for domain rules: raise ``RuleViolation(rule, message)`` unless ``condition``.

    Unlike ``assert`` it never vanishes under ``python -O``.
    """
    if not condition:
        raise RuleViolation(rule, message)


class StoreUnavailable(ClosedLoopError):
    """The event store cannot be reached or opened; nothing was written."""

    kind = "store_unavailable"
    exit_code = 7


class AuditFailure(ClosedLoopError):
    """L8: the stored history is not the one the audit trail recorded (or a digest covered)."""

    kind = "audit_failure"
    exit_code = 8

    def __init__(self, position: int | None, message: str) -> None:
        where = f"position {position}: " if position is not None else ""
        super().__init__(f"L8: {where}{message}")
        self.position = position

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rule": "L8", "position": self.position}
