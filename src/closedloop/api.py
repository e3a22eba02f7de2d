"""``ClosedLoop``: the one public entry point for embedders (and what every adapter calls)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from eventsourcing.persistence import PersistenceError

import closedloop.application.commands  # noqa: F401  (fills the catalogue)
from closedloop.adapters.store import open_store, shared_by_processes, store_url
from closedloop.application.bulk import Retained, RowOutcome, run_rows
from closedloop.application.catalogue import Command, catalogue
from closedloop.application.clock import Clock, SystemClock
from closedloop.application.dispatcher import Dispatcher
from closedloop.application.group_commit import Batching, GroupCommit
from closedloop.application.inputs import Input
from closedloop.application.personal_data import PersonalData, birthday_of
from closedloop.application.policy_file import load_policy
from closedloop.application.reader import AsOf, Reader
from closedloop.application.views.activity import activity_view
from closedloop.application.views.care import care_plan
from closedloop.application.views.complaint import complaint_view
from closedloop.application.views.customer import churn_rate, customer_view, information_quality
from closedloop.application.views.plan import plan_view
from closedloop.application.views.rectification import lessons_learned, rectification_view
from closedloop.application.views.research import research_coverage, research_view
from closedloop.application.views.review import review_view
from closedloop.application.views.risk import (
    acceptances_near_expiry,
    heat_map,
    late_reviews,
    risk_view,
)
from closedloop.application.views.target import target_tree, target_view
from closedloop.domain.activity import Activity
from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.complaint import Complaint
from closedloop.domain.customer import Customer
from closedloop.domain.errors import AuditFailure, ClosedLoopError, InvalidInput, StoreUnavailable
from closedloop.domain.period import Period
from closedloop.domain.plan import Plan
from closedloop.domain.policy import Policy
from closedloop.domain.rectification import Rectification
from closedloop.domain.research import Research
from closedloop.domain.review import Review
from closedloop.domain.risk import Risk
from closedloop.domain.target import Target
from closedloop.projections import (
    audit,
    audit_digest,
    audit_export,
    audit_log,
    audit_verify,
    feed,
)
from closedloop.projections.evaluation import VIEWS as EVALUATIONS
from closedloop.projections.evaluation import Evidence, Filter, closure_certificate
from closedloop.projections.facts import Facts, facts_as_of
from closedloop.projections.projection import Progress, run
from closedloop.projections.split import Split
from closedloop.projections.views import Views
from closedloop.projections.workers import (
    CATCH_UP_PARTS_FROM,
    MOST_WORKERS,
    PARTS_FROM,
    Workers,
    workers_for,
)


class ClosedLoop:
    """A closed-loop marketing store.

    ``store``: ``memory:``, ``sqlite:///path.db`` (default ``$CLOSEDLOOP_STORE`` or
    ``sqlite:///closedloop.db``) or ``postgresql://user@host:port/db``. ``policy``: a
    :class:`Policy` or a TOML/JSON file. ``clock``: anything with ``now()``.
    ``group_commit``: save commands issued at once from several threads in one transaction
    (``True``, or a :class:`Batching` with its window and batch size; ``None`` or ``False``:
    one transaction per command).
    """

    def __init__(
        self,
        store: str | None = None,
        *,
        policy: Policy | str | Path | None = None,
        clock: Clock | None = None,
        group_commit: bool | Batching | None = False,
    ) -> None:
        self.store_url = store_url(store)
        self._shared = shared_by_processes(self.store_url)  # may workers open it too?
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
        batching = Batching() if group_commit is True else group_commit or None
        group = GroupCommit(self._store, batching) if batching is not None else None
        self._dispatcher = Dispatcher(
            self._store, self.policy, self.clock, catalogue, group_commit=group
        )
        self._views = Views(self._store)
        self._retained = Retained()  # what imports saved, for the next batches and imports

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
        What the imports saved is kept for the next ones (``bulk.Retained``): customers
        imported, then their purchases, are not loaded again.
        """
        try:
            yield from run_rows(self._dispatcher, command, actor, rows, batch_size, self._retained)
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
        """The day deadlines are judged on: the day of :meth:`_now`."""
        return self._now(as_of, aggregate).date()

    def activity(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """An activity: approvals, execution plan, copy check, budget and spend, changes,
        incidents, results and evaluation (R-A1 … R-A9)."""
        reader = self.reader(as_of)
        return activity_view(reader.get(Activity, ref), reader, self.policy)

    def activities(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        reader = self.reader(as_of)
        return [activity_view(a, reader, self.policy) for a in reader.all(Activity)]

    def risk(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """R-K1 … R-K5: one risk, its levels side by side; late reviews as of the clock's day."""
        risk = self.reader(as_of).get(Risk, ref)
        return risk_view(risk, self._today(as_of, risk))

    def risks(self, *, late: bool = False, as_of: AsOf = None) -> list[dict[str, Any]]:
        """The risk register, or only the risks whose review is late (R-K4)."""
        today = self._today(as_of)
        views = [risk_view(r, today) for r in self.reader(as_of).all(Risk)]
        return [view for view in views if view["review_late"]] if late else views

    def late_risk_reviews(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        """R-K4: open risks past their review's due date, the longest overdue first."""
        return late_reviews(self.reader(as_of).all(Risk), self._today(as_of))

    def risk_acceptances_near_expiry(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        """R-K2: acceptances expiring within the policy's warning days, or expired."""
        risks = self.reader(as_of).all(Risk)
        return acceptances_near_expiry(risks, self.policy, self._today(as_of))

    def risk_heat_map(self, *, stage: str = "current", as_of: AsOf = None) -> dict[str, Any]:
        """R-K1: open risks counted per likelihood × impact cell of the policy's grid."""
        risks = self.reader(as_of).all(Risk)
        return heat_map(risks, self.policy.risk.matrix.grid(), stage)

    def complaint(self, ref: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """R-C7: one complaint; its SLA clocks judged at the clock's time (or ``as_of``'s)."""
        complaint = self.reader(as_of).get(Complaint, ref)
        return complaint_view(complaint, self._now(as_of, complaint))

    def complaints(self, *, overdue: bool = False, as_of: AsOf = None) -> list[dict[str, Any]]:
        """Every complaint, or only those with an SLA overdue (R-C7)."""
        now = self._now(as_of)
        views = [complaint_view(c, now) for c in self.reader(as_of).all(Complaint)]
        return [view for view in views if view["overdue"]] if overdue else views

    def _now(self, as_of: AsOf, aggregate: LoopAggregate | None = None) -> datetime:
        """The moment SLA clocks and deadlines are judged at: ``as_of``'s, a version's (when
        it was recorded), or the clock's."""
        if isinstance(as_of, datetime):
            return as_of
        if isinstance(as_of, int) and aggregate is not None:
            return aggregate.modified_on
        return self.clock.now()

    # --- evaluation views (issue 5: projections) ---------------------------------------------

    @staticmethod
    def evaluations() -> list[str]:
        """The names of the evaluation views (``achievement``, ``loop-health`` …)."""
        return list(EVALUATIONS)

    def evaluation(
        self,
        name: str,
        *,
        period: str | None = None,
        scope: str | None = None,
        as_of: AsOf = None,
    ) -> Any:
        """An evaluation view of ``period`` and ``scope`` (``company``, ``team[:REF]``,
        ``person[:REF]``), from the tracked facts (caught up first: it reads its own
        writes), or from a replay up to ``as_of`` (a time, or a store position)."""
        if name not in EVALUATIONS:
            raise InvalidInput(
                f"no evaluation view {name!r}; the views are {', '.join(EVALUATIONS)}"
            )
        where = Filter.parse(period, scope)
        return EVALUATIONS[name](self._evidence(as_of), where, self.policy, self._today(as_of))

    def closure_certificate(self, period: str, *, as_of: AsOf = None) -> dict[str, Any]:
        """A certificate that every finding of ``period`` is closed and verified (or waived),
        with the digest of its evidence and the audit head; refused (R-E4) with the open
        loops otherwise."""
        self._views.catch_up()  # the trail and the facts, from one read of the new events
        trail = self._views[audit.AuditTrail.name]
        return closure_certificate(self._evidence(as_of), period, audit.head(trail))

    def _evidence(self, as_of: AsOf) -> Evidence:
        if as_of is not None:
            return Evidence(facts_as_of(self._store, as_of))
        view = self._views[Facts.name]
        view.catch_up()
        return Evidence(view.scan())

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

    def care_plan(self, *, as_of: AsOf = None) -> list[dict[str, Any]]:
        """R-C9: greetings due now, revisits due, and the care that was missed."""
        reader = self.reader(as_of)
        customers = reader.all(Customer)
        birthdays = {
            customer.id: born
            for customer in customers
            if (born := birthday_of(self._store, customer)) is not None
        }
        return care_plan(customers, birthdays, self.policy.customer, self._today(as_of))

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

    # --- tracked views and the audit trail (L7, L8) ------------------------------------------

    @staticmethod
    def views() -> list[str]:
        """The names of the tracked views (``audit`` …)."""
        return Views.names()

    def rebuild(
        self,
        view: str | None = None,
        progress: Progress | None = None,
        *,
        workers: int | Literal["auto"] = 1,
    ) -> dict[str, int]:
        """Rebuild one view (all when ``view`` is None) from the whole history; their positions.

        Each view is rebuilt beside the live one, which keeps answering, and takes its place
        in one transaction (``View.rebuild``). With ``workers`` above 1 (``"auto"``: one per
        processor for a large history), the facts are replayed by that many processes at
        once, each for a range of aggregates (``split.py``; a script asking for workers must
        guard its entry point with ``if __name__ == "__main__":``).

        The audit trail is never rewritten: rebuilding it from a tampered store would replace
        the recorded chain, the evidence, with one that hides the tampering. It is caught up
        only; checking it is ``audit_verify``'s work (and it is done here only when the other
        views cannot apply the history, to name the first position tampered with, if any).
        """
        names = [view] if view is not None else self._views.names()
        views = [self._views[name] for name in names]  # InvalidInput for an unknown view
        pool = self._workers(workers, self.position)
        split = None if pool is None else Split(pool)
        try:
            for rebuilt in views:
                if rebuilt.name != audit.AuditTrail.name:
                    rebuilt.rebuild(progress, split if rebuilt.projection.per_aggregate else None)
            position = run(views, progress)
        except Exception as error:
            try:  # a history the views cannot apply may have been tampered with
                audit_verify.verify(self._views[audit.AuditTrail.name])
            except AuditFailure as tampered:  # it was: say where it begins
                raise tampered from error
            raise
        return dict.fromkeys(names, position)

    def _workers(
        self,
        workers: int | Literal["auto"],
        events: Callable[[], int],
        worth_from: int = PARTS_FROM,
    ) -> Workers | None:
        """The worker processes for a replay of ``events()`` events, in parts from
        ``worth_from`` events when ``"auto"`` (None: this process alone); ``InvalidInput``
        for a count it cannot have."""
        if workers == "auto":
            workers = workers_for(events(), worth_from) if self._shared else 1
        elif (
            isinstance(workers, bool)
            or not isinstance(workers, int)
            or not 1 <= workers <= MOST_WORKERS
        ):
            raise InvalidInput(f"workers: 1 to {MOST_WORKERS}, or 'auto', not {workers!r}")
        elif workers > 1 and not self._shared:
            raise InvalidInput(
                f"workers: a store held in memory cannot be opened by other processes ({workers!r})"
            )
        return Workers(self.store_url, open_store, workers) if workers > 1 else None

    def catch_up(
        self,
        view: str | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        *,
        workers: int | Literal["auto"] = 1,
    ) -> dict[str, int]:
        """Bring one view (all when ``view`` is None) up to the store's last event, as a
        projection process does, a page at a time until ``stop`` is set; their positions.

        With ``workers`` above 1 (``"auto"``: when the views are far behind), all the views
        first catch up at once, each in a worker process of its own (see ``rebuild``)."""
        if view is not None:
            self._workers(workers, lambda: 0)  # checked all the same: one view has no parts
            return {view: self._views[view].catch_up(progress, stop)}
        pool = self._workers(workers, self._views.behind, CATCH_UP_PARTS_FROM)
        return dict.fromkeys(self._views.names(), self._views.catch_up(progress, stop, pool))

    def events(self, *, after: int = 0, limit: int = 100, wait: float = 0.0) -> dict[str, Any]:
        """The event feed: up to ``limit`` stored events after position ``after``, in order,
        each as stored (personal data stays ciphertext) with its audit-chain hash, and
        ``next_after`` to resume from; waits up to ``wait`` seconds for a first event."""
        return feed.page(self._views[audit.AuditTrail.name], after, limit, wait)

    def audit_log(
        self,
        *,
        aggregate: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: str | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The audit trail's entries (every event, in order) matching every filter given:
        those after position ``after``, the first ``limit`` of them (a page)."""
        trail = self._views[audit.AuditTrail.name]
        trail.catch_up()
        return audit_log.log(
            trail,
            aggregate=aggregate,
            actor=actor,
            since=since,
            until=until,
            event_type=event_type,
            after=after,
            limit=limit,
        )

    def audit_verify(
        self,
        digest: Mapping[str, Any] | str | Path | None = None,
        *,
        public_key: str | Path | None = None,
        workers: int | Literal["auto"] = 1,
    ) -> dict[str, Any]:
        """L8: recompute the chain from the store; ``AuditFailure`` names the first break.

        With a ``digest`` (a mapping or its JSON file), also prove the history it covered is
        unchanged; with a ``public_key`` (PEM file), that the digest's signature is valid.
        With ``workers`` above 1 (``"auto"``: one per processor for a large history), the
        chain is walked in that many parts at once, in worker processes (see ``rebuild``).
        """
        pool = self._workers(workers, self.position)
        return audit_verify.verify(
            self._views[audit.AuditTrail.name],
            audit_digest.read_digest(digest) if digest is not None else None,
            audit_digest.read_key(public_key) if public_key is not None else None,
            pool,
        )

    def audit_digest(self, *, sign_with: str | Path | None = None) -> dict[str, Any]:
        """The head of the chain (count, position, hash), signed when given an Ed25519 key."""
        trail = self._views[audit.AuditTrail.name]
        trail.catch_up()
        digest = audit_digest.digest_of(audit.head(trail))
        if sign_with is None:
            return digest
        return audit_digest.sign(digest, audit_digest.read_key(sign_with))

    def audit_export(
        self, folder: str | Path, *, sign_with: str | Path | None = None
    ) -> dict[str, Any]:
        """Write an evidence bundle an auditor checks with Python's standard library only
        (its digest signed when given an Ed25519 key)."""
        key = audit_digest.read_key(sign_with) if sign_with is not None else None
        return audit_export.export(self._views[audit.AuditTrail.name], folder, key)

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Chain what this store recorded since the audit trail last caught up (L8: from then
        on, editing those events in the database is detected), then close the store."""
        try:
            self._views[audit.AuditTrail.name].catch_up()
        finally:
            self._store.close()

    def __enter__(self) -> ClosedLoop:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:  # leave the history as it is; the error in flight is what matters
            self._store.close()
        else:
            self.close()
