"""Who issues a command: id, display name, roles and (optionally) a superior."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from closedloop.domain.errors import InvalidInput, RuleViolation


def _roles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    return frozenset(role.strip() for role in value if role.strip())


def _actor_id(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("an actor needs a non-empty id")
    return value.strip()


@attrs.frozen
class Actor:
    id: str = attrs.field(converter=_actor_id)
    name: str = ""
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)
    superior: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def __str__(self) -> str:
        return self.name or self.id


def four_eyes(actor: Actor, *parties: str | None, doing: str, rule: str = "R-G1") -> None:
    """R-G1: whoever approves, reviews or verifies is never one who submitted or owns it."""
    if actor.id in parties:
        raise RuleViolation(
            rule, f"{actor.id} cannot {doing}: they submitted or own it (four eyes)"
        )
