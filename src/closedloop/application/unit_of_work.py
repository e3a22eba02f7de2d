"""One command, one unit of work: load what it needs, collect what it changes, save it all at once.

Every aggregate a handler touches is saved in one call of the library's save steps
(``saving.save_changes``), which records it all in one transaction: a command is all or
nothing (R-G4). What a command saves is first taken out of its aggregates as
:class:`Staged` changes, so that several commands' changes can also be saved in one
transaction (``group_commit``) and, when that fails, each again on its own.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, cast
from uuid import UUID

import attrs
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import IntegrityError

from closedloop.application.listing import listed
from closedloop.application.saving import save_changes
from closedloop.application.store import EventStoreApp
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import ConcurrencyConflict, NotFound
from closedloop.domain.ids import aggregate_id
from closedloop.domain.policy import Policy

A = TypeVar("A", bound=LoopAggregate)


class MovedOn(IntegrityError):
    """An aggregate a command read as cached has moved on in the store: run it again on
    fresh state (a lost race, but not the caller's: no ``expected_version`` conflict)."""


@attrs.frozen
class Staged:
    """One command's changes, taken out of its aggregates and ready to save."""

    #: Every changed aggregate's new events (a request's record included), in order.
    events: list[CanMutateAggregate[UUID]]
    #: The changed aggregates, for the library's snapshots.
    aggregates: list[LoopAggregate]
    #: New aggregates to list: ``(kind, id)``, listed at ``now``.
    new: list[tuple[str, UUID]]
    now: datetime


def save_staged(store: EventStoreApp, staged: Iterable[Staged], *, cache: bool = True) -> int:
    """Save the changes of every ``staged`` command in one transaction, with the listing
    events of their new aggregates (numbered across all of them); the events recorded.

    A lost race raises the library's ``IntegrityError`` and saves nothing.
    """
    commands = list(staged)
    by_kind: dict[str, list[tuple[UUID, datetime]]] = {}
    for command in commands:
        for kind, agg_id in command.new:
            by_kind.setdefault(kind, []).append((agg_id, command.now))
    listings = [event for kind, new in by_kind.items() for event in listed(store, kind, new)]
    events = [event for command in commands for event in command.events]
    aggregates = [aggregate for command in commands for aggregate in command.aggregates]
    return len(save_changes(store, aggregates, [*events, *listings], cache=cache))


class UnitOfWork:
    """What one command loads and changes.

    An aggregate this process has cached (every save keeps its aggregates there) is taken
    as cached, without asking the store whether another process moved it on: one read
    less per command, most of a command's own CPU. Staleness cannot slip through: an
    aggregate the command changes is saved at its next version, which the store refuses
    when that version exists (a lost race: the command runs again); one it only read is
    checked against the store before the save (``stage`` raises ``MovedOn``); a refusal
    is only final when nothing it was decided on has moved on (``moved_on``). With
    ``fresh``, every aggregate is brought up to date from the store as it is loaded.
    """

    def __init__(
        self,
        store: EventStoreApp,
        policy: Policy,
        now: datetime,
        expected_version: int | None = None,
        *,
        fresh: bool = False,
    ) -> None:
        self.store = store
        self.policy = policy
        self.now = now
        self._expected_version = expected_version
        self._fresh = fresh
        #: Aggregates taken from the cache as they were, with their version then.
        self._as_cached: dict[UUID, int] = {}
        self._seen: dict[UUID, LoopAggregate] = {}
        self._new: dict[UUID, LoopAggregate] = {}
        #: Each aggregate handed out or added, with its pending events then (see ``mark``).
        self._handed: list[tuple[LoopAggregate, int]] = []
        self._before_commit: list[Callable[[], None]] = []
        self._unlisted: list[LoopAggregate] = []

    def get(self, cls: type[A], ref: str | UUID) -> A:
        """The ``cls`` aggregate named by ``ref`` (UUID or reference), or ``NotFound``.

        The first aggregate a command loads is its subject: when the caller states the
        version it saw (``expected_version``), a different version is a conflict.
        """
        agg_id = aggregate_id(cls.KIND, ref)
        if agg_id in self._seen:
            return self._handing(self._checked(cls, self._seen[agg_id], ref))
        if agg_id in self._new:
            return self._handing(self._checked(cls, self._new[agg_id], ref))
        try:
            aggregate = self._load(agg_id)
            is_subject = not self._seen and self._expected_version is not None
            if is_subject and aggregate.version != self._expected_version:
                aggregate = self._load_fresh(agg_id)  # the caller may have seen a newer one
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.KIND} {ref}") from None
        checked = self._checked(cls, aggregate, ref)
        if is_subject and checked.version != self._expected_version:
            raise ConcurrencyConflict(
                f"{cls.KIND} {ref} is at version {checked.version}, "
                f"not the expected {self._expected_version}"
            )
        self._seen[agg_id] = checked
        return self._handing(checked)

    def _load(self, agg_id: UUID) -> LoopAggregate:
        """The aggregate as this unit of work's own copy: as cached, unless ``fresh`` or
        not cached (``AggregateNotFoundError``)."""
        cache = self.store.repository.cache
        if cache is not None and not self._fresh:
            try:
                cached = cast("LoopAggregate", cache.get(agg_id))
            except KeyError:
                pass
            else:
                self._as_cached[agg_id] = cached.version
                return private_copy(cached)
        return self._load_fresh(agg_id)

    def _load_fresh(self, agg_id: UUID) -> LoopAggregate:
        """The aggregate as the store has it now, as this unit of work's own copy."""
        self._as_cached.pop(agg_id, None)
        repository = self.store.repository
        aggregate: LoopAggregate = repository.get(
            agg_id, projector_func=replay_onto, deepcopy_from_cache=False
        )
        return private_copy(aggregate) if repository.cache is not None else aggregate

    def loaded(self) -> list[LoopAggregate]:
        """Every aggregate this unit of work got or added."""
        return [*self._seen.values(), *self._new.values()]

    def _handing(self, aggregate: A) -> A:
        self._handed.append((aggregate, len(aggregate.pending_events)))
        return aggregate

    @staticmethod
    def _checked(cls: type[A], aggregate: Any, ref: str | UUID) -> A:
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {cls.KIND} {ref}")
        return aggregate

    def exists(self, cls: type[LoopAggregate], ref: str | UUID) -> bool:
        agg_id = aggregate_id(cls.KIND, ref)
        return agg_id in self._new or agg_id in self.store.repository

    def add(self, *aggregates: LoopAggregate) -> None:
        """New aggregates (listed by kind on commit); an existing id is a conflict."""
        for aggregate in aggregates:
            if aggregate.id in self._new or aggregate.id in self.store.repository:
                ref = getattr(aggregate, "ref", None) or aggregate.id
                raise ConcurrencyConflict(f"{aggregate.KIND} {ref} already exists")
            self._new[aggregate.id] = aggregate
            self._handed.append((aggregate, 0))

    def mark(self) -> int:
        """A point to ask ``changed_since`` about (several commands in one unit of work)."""
        return len(self._handed)

    def changed_since(self, mark: int) -> bool:
        """Whether what was got or added after ``mark`` has new events (or is new)."""
        return any(len(a.pending_events) > count for a, count in self._handed[mark:])

    def before_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` (once, however often asked) before the events are saved."""
        if action not in self._before_commit:
            self._before_commit.append(action)

    def record(self, aggregate: LoopAggregate) -> None:
        """A new aggregate saved with this command's changes but kept out of the listings
        (a request's record: every request would otherwise contend for one listing)."""
        self._unlisted.append(aggregate)

    def stage(self) -> Staged | None:
        """Run the ``before_commit`` actions and take every change out of the aggregates
        (None when nothing changed); this unit of work is spent afterwards."""
        for action in self._before_commit:
            action()
        changed = [
            a
            for a in (*self._new.values(), *self._seen.values(), *self._unlisted)
            if a.pending_events
        ]
        self._check_read_only()
        if not changed:
            return None
        events = [event for aggregate in changed for event in aggregate.collect_events()]
        new = [(aggregate.KIND, aggregate.id) for aggregate in self._new.values()]
        return Staged(events, changed, new, self.now)

    def _check_read_only(self) -> None:
        """``MovedOn`` when an aggregate this command only read, as cached, has moved on
        in the store: its rules were checked on an older state."""
        for agg_id, version in self._as_cached.items():
            aggregate = self._seen.get(agg_id)  # absent: refused as it was handed out
            if (
                aggregate is not None
                and not aggregate.pending_events
                and self._newer(agg_id, version)
            ):
                raise MovedOn(f"{aggregate.KIND} {agg_id} moved on since it was cached")

    def moved_on(self) -> bool:
        """Whether any aggregate taken as cached has moved on in the store since."""
        return any(self._newer(agg_id, version) for agg_id, version in self._as_cached.items())

    def refresh(self) -> None:
        """After a lost race: bring what this command loaded up to date in the cache, so
        the next command of this process starts from the store's state."""
        for agg_id in self._seen:
            self.store.repository.get(agg_id, projector_func=replay_onto, deepcopy_from_cache=False)

    def _newer(self, agg_id: UUID, version: int) -> bool:
        return bool(self.store.events.get(agg_id, gt=version, limit=1))

    def commit(self, *, cache: bool = True) -> int:
        """Save every change in one transaction; a lost race raises ``IntegrityError``.
        ``cache`` off: the saved aggregates stay out of the cache (``save_changes``)."""
        staged = self.stage()
        return 0 if staged is None else save_staged(self.store, [staged], cache=cache)


def replay_onto(aggregate: Any, events: Iterable[CanMutateAggregate[UUID]]) -> Any:
    """The library's projector without its per-event runtime ``Protocol`` check.

    That check (an ``assert isinstance`` against a protocol) costs more than applying the
    event on Python 3.11, and it vanishes under ``python -O`` anyway.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def private_copy(aggregate: A) -> A:
    """A copy of a cached aggregate that one command may change.

    ``apply`` methods change lists and dicts; the values inside them are immutable (frozen
    value objects, ``Decimal``, dates, strings), so copying the containers and sharing the
    values is safe, and several times cheaper than the library's ``deepcopy``. A container
    the class declares as holding values (``measurements: list[Measurement]``: checked by
    mypy) is copied whole, without a look at each item. Dicts and sets are snapshot first
    (atomic under the GIL): another thread may be fast-forwarding the cached aggregate
    meanwhile, as it may during the library's own copy.
    """
    clone = object.__new__(type(aggregate))
    state = vars(aggregate).copy()
    containers = _value_containers(type(aggregate))
    vars(clone).update(
        {
            name: containers[name](value) if type(value) is containers.get(name) else _copied(value)
            for name, value in state.items()
        }
    )
    return clone


def _value_containers(kind: type) -> dict[str, type]:
    """The attributes ``kind`` declares as a list, set or dict of values (``list[Measurement]``),
    with that container type: copied as a whole, not item by item (a target's measurements
    grow with every actual it records). Decided once per class, like ``_value_type``."""
    known = _CONTAINERS.get(kind)
    if known is None:
        known = _CONTAINERS[kind] = _declared_containers(kind)
    return known


_CONTAINERS: dict[type, dict[str, type]] = {}


def _declared_containers(kind: type) -> dict[str, type]:
    try:
        declared = typing.get_type_hints(kind)
    except (NameError, TypeError):  # an annotation that does not resolve: item by item
        return {}
    containers: dict[str, type] = {}
    for name, annotation in declared.items():
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (list, set, dict) and args and all(map(_value_annotation, args)):
            containers[name] = origin
    return containers


#: The commonest immutable types, recognised before the general (slower) test.
_IMMUTABLE = frozenset({type(None), bool, int, str, Decimal, date, datetime, UUID})


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is list:
        if _all_values(value):
            return list(value)
        return [item if type(item) in _IMMUTABLE else _copied(item) for item in value]
    if kind is dict:
        items = value.copy()
        if _all_values(items.values()):
            return items
        return {
            key: item if type(item) in _IMMUTABLE else _copied(item) for key, item in items.items()
        }
    if kind is set:
        members = value.copy()
        return members if _all_values(members) else {_copied(item) for item in members}
    return value if _value_type(kind) or _is_value(value) else copy.deepcopy(value)


def _all_values(items: Collection[Any]) -> bool:
    """Whether every item is a value (``_is_value``): by its type's declaration when it has
    one (``_value_type``), else hashed in C for the whole container at once — a customer
    holds thousands of orders, lots and purchases, a target every measurement."""
    types = set(map(type, items))
    if types <= _IMMUTABLE or all(map(_value_type, types)):
        return True
    if any(kind.__hash__ is _IDENTITY_HASH for kind in types):
        return False
    try:
        hash(tuple(items))
    except TypeError:  # an item is unhashable, or holds something unhashable
        return False
    return True


_IDENTITY_HASH: Any = object.__hash__


def _value_type(kind: type) -> bool:
    """Whether every instance of ``kind`` is a value by the class's declaration: an
    immutable builtin, an enum, or an ``attrs`` class hashed by value (frozen: a mutable
    ``attrs`` class is unhashable) whose fields are all declared as values.

    Decided once per class, so a list of a thousand measurements is not hashed item by item
    on every command (``_is_value`` decides for one object by hashing it).
    """
    known = _VALUE_TYPES.get(kind)
    if known is None:
        known = _VALUE_TYPES[kind] = _declared_value(kind)
    return known


_VALUE_TYPES: dict[type, bool] = {}


def _declared_value(kind: type) -> bool:
    if kind in _IMMUTABLE or issubclass(kind, Enum):
        return True
    if not attrs.has(kind) or kind.__hash__ in (None, _IDENTITY_HASH):
        return False
    try:
        declared = typing.get_type_hints(kind)
    except (NameError, TypeError):  # an annotation that does not resolve: decide by hashing
        return False
    return all(_value_annotation(declared.get(field.name)) for field in attrs.fields(kind))


def _value_annotation(annotation: Any) -> bool:
    """Whether a field declared as ``annotation`` holds only values: a value type, an
    optional or a union of them, or a tuple or frozenset of them."""
    if isinstance(annotation, type):
        return _value_type(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, frozenset):
        return all(arg is Ellipsis or _value_annotation(arg) for arg in typing.get_args(annotation))
    return False


def _is_value(value: Any) -> bool:
    """Whether ``value`` is hashed by value, so immutable by Python's convention.

    Enums, frozen ``attrs`` classes, tuples and frozensets of such values are; a plain
    object (hashed by identity) or a tuple holding a list is not.
    """
    if type(value).__hash__ is _IDENTITY_HASH:
        return False
    try:
        hash(value)
    except TypeError:  # unhashable, or holds something unhashable
        return False
    return True
