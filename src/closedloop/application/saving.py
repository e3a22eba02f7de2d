"""Saving a unit of work's changes: the library's ``Application.save``, minus its type probes.

``Application.save`` sorts what it is given with ``isinstance`` against two runtime
``Protocol`` classes per object; on Python 3.11 each such check walks the protocol's
members, which cost a third of a large batch's save. A unit of work knows what it holds
(aggregates with pending events, and listing events), so it hands them over sorted and the
library does the rest exactly as in ``save``: its mapper and recorder (one transaction),
its cache, its snapshots, and its notification hooks. The saved aggregates are also kept
in the cache, where the next command of this process takes them (``UnitOfWork``).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Recording

from closedloop.application.store import EventStoreApp
from closedloop.domain.base import LoopAggregate


def save_changes(
    store: EventStoreApp,
    aggregates: Iterable[LoopAggregate],
    events: Iterable[DomainEventProtocol[UUID]] = (),
    *,
    cache: bool = True,
) -> list[Recording[UUID]]:
    """What ``store.save(*aggregates, *events)`` does, in the same order, and the saved
    aggregates kept in the cache (unless ``cache`` is off: a caller that goes on changing
    them); a lost race raises the library's ``IntegrityError`` and records nothing."""
    processing: ProcessingEvent[UUID] = ProcessingEvent()
    aggregates = list(aggregates)
    for aggregate in aggregates:
        processing.events.extend(aggregate.collect_events())
        processing.aggregates[aggregate.id] = aggregate
    processing.events.extend(events)
    recordings = store._record(processing)
    if cache:
        _cache(store, aggregates)
    store._take_snapshots(processing)
    store._notify(recordings)
    store.notify(processing.events)
    return recordings


def _cache(store: EventStoreApp, aggregates: Iterable[LoopAggregate]) -> None:
    """Keep each saved aggregate in the cache, as the library does when it does not
    fast-forward, so the next command of this process finds its state there (see
    ``UnitOfWork``); an older version never replaces a newer one."""
    cache = store.repository.cache
    if cache is None or not store.repository.fastforward:
        return  # the library's ``_record`` did it, or there is no cache
    for aggregate in aggregates:
        try:
            cached = cache.get(aggregate.id)
        except KeyError:
            cached = None
        if cached is None or cached.version < aggregate.version:
            cache.put(aggregate.id, aggregate)
