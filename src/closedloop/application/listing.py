"""Ordered listings of every aggregate of a kind, kept as the library's ``EventSourcedLog``.

The listing event is saved in the same transaction as the aggregate it names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent

from closedloop.application.store import EventStoreApp
from closedloop.domain.ids import NAMESPACE


class Listed(DomainEvent):
    aggregate_id: UUID


def _log(store: EventStoreApp, kind: str) -> EventSourcedLog[Listed]:
    return EventSourcedLog(store.events, uuid5(NAMESPACE, f"listing:{kind}"), Listed)


def listed(
    store: EventStoreApp, kind: str, entries: Sequence[tuple[UUID, datetime]]
) -> list[Listed]:
    """The events that append each ``(aggregate_id, at)`` to the ``kind`` listing."""
    log = _log(store, kind)
    last = log.get_last()
    start = 1 if last is None else last.originator_version + 1
    return [
        Listed(  # type: ignore[call-arg]  # a dataclass made by the library's metaclass
            originator_id=log.originator_id,
            originator_version=start + offset,
            timestamp=at,
            aggregate_id=aggregate_id,
        )
        for offset, (aggregate_id, at) in enumerate(entries)
    ]


def listed_ids(store: EventStoreApp, kind: str) -> Iterator[UUID]:
    for event in _log(store, kind).get():
        yield event.aggregate_id
