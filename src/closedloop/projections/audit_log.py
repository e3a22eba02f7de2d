"""Reading the audit trail: its entries that match an aggregate, actor, time span or type."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import InvalidInput
from closedloop.domain.ids import aggregate_id
from closedloop.projections.audit import entries
from closedloop.projections.projection import View


def aggregate_ids(ref: str) -> set[str]:
    """Every aggregate ``ref`` may name: a UUID, or a reference of any kind of aggregate."""
    return {str(aggregate_id(kind, ref)) for kind in _kinds()} | _as_uuid(ref)


def _kinds() -> set[str]:
    found: set[str] = set()
    pending: list[type[LoopAggregate]] = [LoopAggregate]
    while pending:
        cls = pending.pop()
        found.add(cls.KIND)
        pending.extend(cls.__subclasses__())
    return found


def _as_uuid(ref: str) -> set[str]:
    try:
        return {str(UUID(ref.strip()))}
    except ValueError:
        return set()


def log(
    view: View,
    *,
    aggregate: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    event_type: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The trail's entries after position ``after`` that match every filter given (times
    inclusive, with a zone), the first ``limit`` of them: a page of a long trail reads
    from its position on and stops when it is full."""
    for name, at in (("since", since), ("until", until)):
        if at is not None and at.tzinfo is None:
            raise InvalidInput(f"{name} needs a timezone (e.g. 2026-03-31T23:59:59+00:00)")
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit {limit}: at least 1")
    wanted = aggregate_ids(aggregate) if aggregate is not None else None
    found = []
    for entry in entries(view, after):
        at = datetime.fromisoformat(entry["recorded_at"])
        if (
            (wanted is None or entry["aggregate_id"] in wanted)
            and (actor is None or entry["actor"] == actor)
            and (since is None or at >= since)
            and (until is None or at <= until)
            and (event_type is None or event_type in _type_names(entry["event_type"]))
        ):
            found.append(entry)
            if len(found) == limit:
                break
    return found


def _type_names(qualname: str) -> set[str]:
    """``Target.Approved`` is found as ``Target.Approved`` or ``Approved``."""
    return {qualname, qualname.rpartition(".")[2]}
