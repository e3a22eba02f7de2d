"""``ClosedLoop``: the one public entry point for embedders (and what every adapter calls)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any

from eventsourcing.persistence import PersistenceError

import closedloop.application.commands  # noqa: F401  (fills the catalogue)
from closedloop.adapters.store import open_store, store_url
from closedloop.application.bulk import RowOutcome, run_rows
from closedloop.application.catalogue import Command, catalogue
from closedloop.application.clock import Clock, SystemClock
from closedloop.application.dispatcher import Dispatcher
from closedloop.application.inputs import Input
from closedloop.application.personal_data import PersonalData
from closedloop.application.policy_file import load_policy
from closedloop.application.reader import AsOf, Reader
from closedloop.application.views.activity import activity_view
from closedloop.application.views.customer import churn_rate, customer_view, information_quality
from closedloop.application.views.plan import plan_view
from closedloop.application.views.rectification import lessons_learned, rectification_view
from closedloop.application.views.research import research_coverage, research_view
from closedloop.application.views.review import review_view
from closedloop.application.views.target import target_tree, target_view
from closedloop.domain.activity import Activity
from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.customer import Customer
from closedloop.domain.errors import ClosedLoopError, StoreUnavailable
from closedloop.domain.period import Period
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
        try:
            PersonalData.of(self._store)  # R-C1: the key table beside the events, made on open
        except ClosedLoopError:  # a malformed CLOSEDLOOP_MASTER_KEY
            self._store.close()
            raise
        except PersistenceError as error:
            self._store.close()
            raise StoreUnavailable(f"cannot open the customer key table: {error}") from None
        self._dispatcher = Dispatcher(self._store, self.policy, self.clock, catalogue)

    # --- commands ----------------------------------------------------------------------------

    def execute(
        self,
        command: str,
        actor: Actor | Mapping[str, Any],
        args: Input | Mapping[str, Any] | None = None,
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Run one catalogued command (``target.create`` …) as ``actor``; returns its result.

        Raises a :class:`~closedloop.domain.errors.ClosedLoopError` subclass when refused;
        a refused command records nothing.
        """
        try:
            return self._dispatcher.execute(command, actor, args, expected_version)
        except PersistenceError as error:
            raise StoreUnavailable(f"{command}: the store failed: {error}") from None

    def execute_rows(
        self,
        command: str,
        actor: Actor,
        rows: Iterable[Mapping[str, Any]],
        *,
        batch_size: int = 500,
    ) -> Iterator[RowOutcome]:
        """Run ``command`` once per row (an import), ``batch_size`` rows per save.

        Yields each row's outcome: its result, or the error that refused it (a refused row
        records nothing). Raises ``NotAuthorised`` before any row when ``actor`` may not.
        """
        try:
            yield from run_rows(self._dispatcher, command, actor, rows, batch_size)
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

    def reader(self, as_of: AsOf = None) -> Reader:
        return Reader(self._store, as_of)

    def target(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        reader = self.reader(as_of)
        return target_view(reader.get(Target, ref), reader, self.policy)

    def target_tree(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        reader = self.reader(as_of)
        return target_tree(reader.get(Target, ref), reader, self.policy)

    def targets(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [target_view(t, reader, self.policy) for t in reader.all(Target)]

    def plan(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        reader = self.reader(as_of)
        return plan_view(reader.get(Plan, ref), reader, self.policy)

    def plans(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [plan_view(p, reader, self.policy) for p in reader.all(Plan)]

    def research(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
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
        reader = self.reader(as_of)
        return activity_view(reader.get(Activity, ref), reader, self.policy)

    def activities(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [activity_view(a, reader, self.policy) for a in reader.all(Activity)]

    def customer(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """One customer without their personal data (R-C1); see ``customer.read_personal_data``."""
        reader = self.reader(as_of)
        customer = reader.get(Customer, ref)
        return customer_view(customer, self.policy, self._today(as_of, customer))

    def customers(
        self, *, missed_revisits: bool = False, as_of: AsOf = None
    ) -> list[dict[str, Any]]:
        """Every customer, or only those whose revisit is overdue (R-C9)."""
        reader = self.reader(as_of)
        today = self._today(as_of)
        views = [customer_view(c, self.policy, today) for c in reader.all(Customer)]
        return [v for v in views if v["revisit"]["missed"]] if missed_revisits else views

    def customer_quality(self, *, as_of: AsOf = None) -> dict[str, Any]:
        """R-C8: completeness, timeliness and accuracy of the customer information."""
        reader = self.reader(as_of)
        return information_quality(reader.all(Customer), self.policy, self._today(as_of))

    def churn_rate(self, period: str | Period) -> dict[str, Any]:
        """R-C10: customers churned in ``period`` / customers active at its start."""
        span = period if isinstance(period, Period) else Period.parse(period)
        start = datetime.combine(span.start, time.min, tzinfo=UTC)
        end = datetime.combine(span.end, time.max, tzinfo=UTC)
        return churn_rate(self.reader(start), self.reader(end), span)

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
