"""``ClosedLoop``: the one public entry point for embedders (and what every adapter calls)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from eventsourcing.persistence import PersistenceError

import closedloop.application.commands  # noqa: F401  (fills the catalogue)
from closedloop.adapters.store import open_store, store_url
from closedloop.application.catalogue import Command, catalogue
from closedloop.application.clock import Clock, SystemClock
from closedloop.application.dispatcher import Dispatcher
from closedloop.application.inputs import Input
from closedloop.application.policy_file import load_policy
from closedloop.application.reader import AsOf, Reader
from closedloop.application.views.activity import activity_view
from closedloop.application.views.plan import plan_view
from closedloop.application.views.rectification import lessons_learned, rectification_view
from closedloop.application.views.research import research_coverage, research_view
from closedloop.application.views.review import review_view
from closedloop.application.views.target import target_tree, target_view
from closedloop.domain.activity import Activity
from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import StoreUnavailable
from closedloop.domain.plan import Plan
from closedloop.domain.policy import Policy
from closedloop.domain.rectification import Rectification
from closedloop.domain.research import Research
from closedloop.domain.review import Review
from closedloop.domain.target import Target


class ClosedLoop:
    """A closed-loop marketing store.

    ``store``: ``memory:``, ``sqlite:///path.db`` (default ``$CLOSEDLOOP_STORE`` or
    ``sqlite:///closedloop.db``) or ``postgresql://user@host:port/db``. ``policy``: a
    :class:`Policy` or a TOML/JSON file. ``clock``: anything with ``now()``.
    """

    def __init__(
        self,
        store: str | None = None,
        *,
        policy: Policy | str | Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store_url = store_url(store)
        if isinstance(policy, Policy):
            self.policy = policy
        else:
            self.policy = load_policy(policy) if policy is not None else Policy()
        self.clock: Clock = clock or SystemClock()
        self._store = open_store(self.store_url)
        self._dispatcher = Dispatcher(self._store, self.policy, self.clock, catalogue)

    # --- commands ----------------------------------------------------------------------------

    def execute(
        self,
        command: str,
        actor: Actor | Mapping[str, Any],
        args: Input | Mapping[str, Any] | None = None,
        *,
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Run one catalogued command (``target.create`` …) as ``actor``; returns its result.

        Raises a :class:`~closedloop.domain.errors.ClosedLoopError` subclass when refused;
        a refused command records nothing. With a ``request_id`` (the caller's, per actor) a
        retry of the same command and arguments returns the first result and records
        nothing new; the same id with other arguments is invalid input.
        """
        try:
            return self._dispatcher.execute(command, actor, args, expected_version, request_id)
        except PersistenceError as error:
            raise StoreUnavailable(f"{command}: the store failed: {error}") from None

    @staticmethod
    def commands() -> list[Command]:
        return list(catalogue)

    @staticmethod
    def schema(command: str | None = None) -> dict[str, Any]:
        """The JSON Schema of one command, or of all of them by name."""
        if command is not None:
            return catalogue[command].json_schema()
        return {c.name: c.json_schema() for c in catalogue}

    # --- queries -----------------------------------------------------------------------------

    def authorise_reading(self, actor: Actor) -> None:
        """R-G2 for queries, for adapters that serve authenticated readers: the actor's roles
        must grant ``read`` (queries themselves take no actor)."""
        self._dispatcher.require_permission(actor, "read", "read")

    def reader(self, as_of: AsOf = None) -> Reader:
        return Reader(self._store, as_of)

    def target(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """A target: value, actual, achievement and grade (R-T1 … R-T5)."""
        reader = self.reader(as_of)
        return target_view(reader.get(Target, ref), reader, self.policy)

    def target_tree(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        reader = self.reader(as_of)
        return target_tree(reader.get(Target, ref), reader, self.policy)

    def targets(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [target_view(t, reader, self.policy) for t in reader.all(Target)]

    def plan(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """A plan: budget, action items, targets, approved against current revision (R-P6)."""
        reader = self.reader(as_of)
        return plan_view(reader.get(Plan, ref), reader, self.policy)

    def plans(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [plan_view(p, reader, self.policy) for p in reader.all(Plan)]

    def research(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """A study: topics, methods, status and its report (R-R2, R-R3)."""
        reader = self.reader(as_of)
        return research_view(reader.get(Research, ref), reader, self.policy)

    def studies(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [research_view(r, reader, self.policy) for r in reader.all(Research)]

    def research_coverage(self, year: int, *, as_of: AsOf = None) -> dict[str, Any]:
        """R-R1: the year's comprehensive studies against the policy minimum."""
        return research_coverage(self.reader(as_of), self.policy, year)

    def review(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """R-E1 … R-E4: due date, timeliness, metrics, grades and findings of one review."""
        reader = self.reader(as_of)
        review = reader.get(Review, ref)
        return review_view(review, reader, self.policy, self._today(as_of, review))

    def reviews(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        today = self._today(as_of)
        return [review_view(r, reader, self.policy, today) for r in reader.all(Review)]

    def rectification(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """R-X1 … R-X6: one rectification; ``overdue`` as of the clock's day (or ``as_of``'s)."""
        reader = self.reader(as_of)
        rectification = reader.get(Rectification, ref)
        today = self._today(as_of, rectification)
        return rectification_view(rectification, reader, self.policy, today)

    def rectifications(self, *, overdue: bool = False, as_of: AsOf = None) -> list[dict[str, Any]]:
        """Every rectification, or only the overdue ones (R-X4)."""
        reader = self.reader(as_of)
        today = self._today(as_of)
        views = [
            rectification_view(r, reader, self.policy, today) for r in reader.all(Rectification)
        ]
        return [view for view in views if view["overdue"]] if overdue else views

    def lessons(self, search: str = "", *, as_of: AsOf = None) -> list[dict[str, Any]]:
        """R-X5: lessons learned from closed rectifications matching every word of ``search``."""
        return lessons_learned(self.reader(as_of), search)

    def _today(self, as_of: AsOf, aggregate: LoopAggregate | None = None) -> date:
        """The day deadlines are judged on: ``as_of``'s (a version's, when it was recorded),
        or the clock's."""
        if isinstance(as_of, datetime):
            return as_of.date()
        if isinstance(as_of, int) and aggregate is not None:
            return aggregate.modified_on.date()
        return self.clock.now().date()

    def activity(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """An activity: approvals, execution plan, copy check, budget and spend, changes,
        incidents, results and evaluation (R-A1 … R-A9)."""
        reader = self.reader(as_of)
        return activity_view(reader.get(Activity, ref), reader, self.policy)

    def activities(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [activity_view(a, reader, self.policy) for a in reader.all(Activity)]

    def position(self) -> int:
        """Position of the last event recorded in the store (0 when it is empty)."""
        return self._store.recorder.max_notification_id() or 0

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ClosedLoop:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
