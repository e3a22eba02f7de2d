"""Many rows of one command, saved in batches: for imports, where a save per row is too slow.

Each row is validated and handled as the dispatcher would (the actor's permission is checked
once, R-G2), but a batch of rows shares one unit of work and one save. A refused row records
nothing (R-G4): rules are checked before events are triggered, and a row refused after it
changed something makes the batch start again without it. A lost race re-runs the batch.

Between batches, and between the runs given the same :class:`Retained` (a ``ClosedLoop``
gives its own to every import: customers imported, then their purchases), what was saved
is kept: a later batch takes those aggregates as saved, without loading them again or a
private copy. Another writer may have changed one meanwhile; the events the batch adds to
it then take versions already stored, so the save fails and the batch runs again on freshly
loaded state: a lost race still conflicts, nothing is lost. (An aggregate a batch only
reads is not checked that way, as in any command; the import commands change what they
decide on.)
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import IntegrityError

from closedloop.application.catalogue import Command, Result
from closedloop.application.dispatcher import Dispatcher, _back_off, _parse
from closedloop.application.store import EventStoreApp
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import ClosedLoopError, ConcurrencyConflict
from closedloop.domain.policy import Policy

#: Aggregates kept between batches (the least recently saved go first).
RETAINED = 2_000


@attrs.frozen
class RowOutcome:
    """What became of one row (``index`` counts from 0 in the rows given)."""

    index: int
    result: Result | None = None
    error: ClosedLoopError | None = None


def run_rows(
    dispatcher: Dispatcher,
    name: str,
    actor: Actor,
    rows: Iterable[Mapping[str, Any]],
    batch_size: int = 500,
    retained: Retained | None = None,
) -> Iterator[RowOutcome]:
    """Run ``name`` once per row, ``batch_size`` rows per save; outcomes in row order.
    ``retained``: what earlier runs saved (default: nothing, and kept for this run only)."""
    command = dispatcher.catalogue[name]
    dispatcher.authorise(actor, command)
    numbered = enumerate(rows)
    retained = Retained() if retained is None else retained
    while chunk := list(itertools.islice(numbered, batch_size)):
        yield from _run_batch(dispatcher, command, actor, chunk, retained)


class Retained:
    """The aggregates batches saved, as saved, for later batches; at most ``RETAINED``.

    Each is taken by one batch at a time (imports in several threads share it safely).
    """

    def __init__(self) -> None:
        self._aggregates: dict[UUID, LoopAggregate] = {}
        self._lock = threading.Lock()

    def take(self, agg_id: UUID) -> LoopAggregate | None:
        """The aggregate, no longer retained: a batch that fails drops what it took."""
        with self._lock:
            return self._aggregates.pop(agg_id, None)

    def keep(self, aggregates: Iterable[LoopAggregate]) -> None:
        """Aggregates just saved (so without pending events)."""
        with self._lock:
            for aggregate in aggregates:
                self._aggregates.pop(aggregate.id, None)
                self._aggregates[aggregate.id] = aggregate
            excess = max(0, len(self._aggregates) - RETAINED)
            for agg_id in list(itertools.islice(self._aggregates, excess)):
                del self._aggregates[agg_id]


class BatchUnitOfWork(UnitOfWork):
    """A batch's unit of work: what the run saved earlier comes from ``retained``."""

    def __init__(
        self, store: EventStoreApp, policy: Policy, now: datetime, retained: Retained
    ) -> None:
        super().__init__(store, policy, now, fresh=True)  # what it did not save, from the store
        self.retained = retained

    def _load(self, agg_id: UUID) -> LoopAggregate:
        aggregate = self.retained.take(agg_id)
        return super()._load(agg_id) if aggregate is None else aggregate


def _run_batch(
    dispatcher: Dispatcher,
    command: Command,
    actor: Actor,
    chunk: list[tuple[int, Any]],
    retained: Retained,
) -> list[RowOutcome]:
    refused: dict[int, ClosedLoopError] = {}
    valid = []
    for index, row in chunk:
        try:
            valid.append((index, _parse(command.input, row, command.name)))
        except ClosedLoopError as error:
            refused[index] = error
    attempt = 1
    while True:
        uow = BatchUnitOfWork(dispatcher.store, dispatcher.policy, dispatcher.clock.now(), retained)
        results = _handle(command, actor, uow, valid, refused)
        if results is None:  # a row changed something before it was refused: again without it
            continue
        try:
            uow.commit(cache=False)  # retained, and changed by the next batch
        except IntegrityError:
            if attempt >= dispatcher.max_attempts:
                conflict = ConcurrencyConflict(
                    f"{command.name}: other writers kept changing the same records; "
                    "nothing of this batch was saved"
                )
                return [RowOutcome(index, error=conflict) for index, _ in chunk]
            _back_off(attempt)
            attempt += 1
            continue
        retained.keep(uow.loaded())
        outcomes = [RowOutcome(i, error=e) for i, e in refused.items()]
        outcomes += [RowOutcome(i, result=r) for i, r in results.items()]
        return sorted(outcomes, key=lambda outcome: outcome.index)


def _handle(
    command: Command,
    actor: Actor,
    uow: UnitOfWork,
    valid: list[tuple[int, Any]],
    refused: dict[int, ClosedLoopError],
) -> dict[int, Result] | None:
    """Each valid row's result in ``uow``; None when a refused row left changes behind
    (it is added to ``refused``, and the batch must start again)."""
    results: dict[int, Result] = {}
    for index, data in valid:
        if index in refused:
            continue
        mark = uow.mark()
        try:
            results[index] = command.handler(uow, actor, data)
        except ClosedLoopError as error:
            refused[index] = error
            if uow.changed_since(mark):
                return None
    return results
