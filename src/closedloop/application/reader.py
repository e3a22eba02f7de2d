"""Loads aggregates for the read side, as they are now or as they were (time travel).

``as_of`` is an ``int`` (the aggregate's version) or a timezone-aware ``datetime`` (the
state as it was at that moment, replayed from the events recorded up to then).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from closedloop.application.listing import listed_ids
from closedloop.application.store import EventStoreApp
from closedloop.application.unit_of_work import private_copy, replay_onto
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import InvalidInput, NotFound
from closedloop.domain.ids import aggregate_id

A = TypeVar("A", bound=LoopAggregate)
AsOf = int | datetime | None


def parse_as_of(text: str | None, option: str = "--as-of") -> AsOf:
    """``as_of`` as text (an option, a query parameter): a version number, or an ISO date or
    time (without a zone: UTC)."""
    if text is None:
        return None
    if text.strip().isascii() and text.strip().isdigit():  # not "²", which int() refuses
        return int(text)
    return parse_time(text, option, "neither a version (7) nor an ISO time")


def parse_time(text: str, option: str, wrong: str = "not an ISO time") -> datetime:
    """An ISO date or time as text (without a zone: UTC); ``InvalidInput`` saying ``wrong``."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} {text!r} is {wrong} (2026-03-31T23:59:59Z)") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class Reader:
    """Loads aggregates as they are now, or as they were at ``as_of``."""

    def __init__(self, store: EventStoreApp, as_of: AsOf = None) -> None:
        if isinstance(as_of, bool) or not isinstance(as_of, int | datetime | None):
            raise InvalidInput(f"as_of {as_of!r} is neither a version number nor a datetime")
        if isinstance(as_of, datetime) and as_of.tzinfo is None:
            raise InvalidInput("as_of needs a timezone (e.g. 2026-03-31T23:59:59+00:00)")
        if isinstance(as_of, int) and as_of < 1:
            raise InvalidInput("as_of version starts at 1")
        self.store = store
        self.as_of = as_of

    def get(self, cls: type[A], ref: str | UUID) -> A:
        agg_id = aggregate_id(cls.KIND, ref)
        aggregate: Any
        if isinstance(self.as_of, datetime):
            aggregate = self._at_time(agg_id, self.as_of)
        else:
            aggregate = self._stored(agg_id, self.as_of)
        if not isinstance(aggregate, cls):
            when = f" as of {self.as_of}" if self.as_of is not None else ""
            raise NotFound(f"no {cls.KIND} {ref}{when}")
        return aggregate

    def _stored(self, agg_id: UUID, version: int | None) -> Any:
        """The stored aggregate (None if there is none), as a copy a caller may change.

        A cached aggregate is copied the way a command's unit of work copies it, not by
        the library's ``deepcopy``, which costs most of a long-lived customer's load.
        """
        repository = self.store.repository
        try:
            aggregate = repository.get(
                agg_id, version=version, projector_func=replay_onto, deepcopy_from_cache=False
            )
        except AggregateNotFoundError:
            return None
        cached = version is None and repository.cache is not None
        return private_copy(aggregate) if cached else aggregate

    def _at_time(self, agg_id: UUID, at: datetime) -> Aggregate | None:
        """Replay the events recorded up to ``at`` (the library reads by version only)."""
        aggregate: Aggregate | None = None
        for event in self.store.events.get(agg_id):
            if event.timestamp > at:  # type: ignore[attr-defined]
                break
            aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def related(self, aggregate: LoopAggregate) -> Reader:
        """A reader for what ``aggregate`` refers to, at the same moment.

        A version number belongs to one aggregate; its children or parents are read as of
        the time that version was recorded.
        """
        if isinstance(self.as_of, int):
            return Reader(self.store, aggregate.modified_on)
        return self

    def all(self, cls: type[A]) -> list[A]:
        """Every ``cls`` aggregate that existed at ``as_of``, in creation order."""
        if isinstance(self.as_of, int):
            raise InvalidInput(
                f"as of version {self.as_of}: a version names one record's state; "
                "for a list give a time (2026-03-31T23:59:59+00:00)"
            )
        found = []
        for agg_id in listed_ids(self.store, cls.KIND):
            try:
                found.append(self.get(cls, agg_id))
            except NotFound:  # created after as_of
                continue
        return found
