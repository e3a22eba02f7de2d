"""Runs a catalogued command: validate (boundary), authorise (R-G2), handle, save atomically.

A command that loses a race on save is run again on fresh state (its rules are checked
again, so nothing is lost); a caller that named the ``expected_version`` it saw gets the
conflict instead.

A command may carry a ``request_id``: its record (:class:`~closedloop.domain.request.Request`)
is saved in the same transaction as the command's events, and a retry with the same id
returns the first result and records nothing new.

With a :class:`~closedloop.application.group_commit.GroupCommit`, the changes are saved in
one transaction with those of the commands running beside it; rules are checked before,
so a refused command never enters a batch.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from closedloop.application.catalogue import Catalogue, Command, Result
from closedloop.application.clock import Clock
from closedloop.application.group_commit import Arrival, GroupCommit, LostInProcess
from closedloop.application.inputs import ActorIn, Input, invalid_input
from closedloop.application.store import EventStoreApp
from closedloop.application.unit_of_work import MovedOn, Staged, UnitOfWork, save_staged
from closedloop.domain.actor import Actor
from closedloop.domain.errors import (
    ClosedLoopError,
    ConcurrencyConflict,
    InvalidInput,
    NotAuthorised,
)
from closedloop.domain.policy import Policy
from closedloop.domain.request import Request, request_key


class Dispatcher:
    def __init__(
        self,
        store: EventStoreApp,
        policy: Policy,
        clock: Clock,
        catalogue: Catalogue,
        max_attempts: int = 5,
        group_commit: GroupCommit | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.catalogue = catalogue
        self.max_attempts = max_attempts
        self.group_commit = group_commit

    def execute(
        self,
        name: str,
        actor: Actor | Mapping[str, Any],
        args: Input | Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Result:
        command = self.catalogue[name]
        who = actor if isinstance(actor, Actor) else _parse(ActorIn, actor, "actor").to_actor()
        data = args if isinstance(args, command.input) else _parse(command.input, args or {}, name)
        self.authorise(who, command)
        key = None if request_id is None else request_key(who.id, _checked(request_id))
        fingerprint = "" if request_id is None else _fingerprint(data)
        attempt, fresh = 1, False
        while True:
            if key is not None and key in self.store.repository:
                earlier: Request = self.store.repository.get(key)
                return earlier.replayed(name, fingerprint)
            with self._arriving() as arrival:
                uow = UnitOfWork(
                    self.store, self.policy, self.clock.now(), expected_version, fresh=fresh
                )
                try:
                    result = command.handler(uow, who, data)
                except ClosedLoopError:
                    if fresh or not uow.moved_on():
                        raise
                    fresh = True  # refused on a cached state that has moved on: again
                    continue
                if request_id is not None:
                    uow.record(
                        Request.handled(
                            actor=who,
                            at=uow.now,
                            request_id=request_id,
                            command=name,
                            fingerprint=fingerprint,
                            result=result,
                        )
                    )
                try:
                    staged = uow.stage()
                    if staged is not None:
                        self._save(staged, arrival, attempt - 1)
                except MovedOn:
                    fresh = True
                except IntegrityError as lost:
                    # lost to this process: its cache holds the winner's state, go again
                    fresh = not isinstance(lost, LostInProcess)
                    if fresh:
                        uow.refresh()
                    if key is not None and key in self.store.repository:
                        continue  # a concurrent duplicate was first: return what it recorded
                    if expected_version is not None or attempt >= self.max_attempts:
                        raise ConcurrencyConflict(
                            f"{name}: another command changed the same record first; "
                            "reload and try again"
                        ) from None
                    if fresh:
                        _back_off(attempt)
                    attempt += 1
                else:
                    return result

    def _arriving(self) -> AbstractContextManager[Arrival | None]:
        return nullcontext() if self.group_commit is None else self.group_commit.arriving()

    def _save(self, staged: Staged, arrival: Arrival | None, lost: int) -> None:
        """One transaction for this command alone, or for its group (where a command that
        lost ``lost`` races already goes first)."""
        if self.group_commit is None:
            save_staged(self.store, [staged])
        else:
            self.group_commit.save(staged, arrival, lost)

    def authorise(self, actor: Actor, command: Command) -> None:
        """R-G2: the actor's roles must grant the command's permission."""
        self.require_permission(actor, command.permission, command.name)

    def require_permission(self, actor: Actor, permission: str, doing: str) -> None:
        """R-G2: refuse ``doing`` unless the actor's roles grant ``permission``."""
        if permission not in self.policy.permissions_of(actor.roles):
            roles = ", ".join(sorted(actor.roles)) or "none"
            raise NotAuthorised(
                f"R-G2: {actor.id} (roles: {roles}) may not {doing}: "
                f"it needs the permission {permission!r}"
            )


def _fingerprint(data: Input) -> str:
    """A digest of the parsed body: the same arguments however they were spelled."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _checked(request_id: str) -> str:
    if not isinstance(request_id, str) or not request_id.strip() or len(request_id) > 200:
        raise InvalidInput("a request id is a non-empty text of at most 200 characters")
    return request_id


def _back_off(attempt: int) -> None:
    """Wait a random moment, longer after each lost race, so racing writers spread out."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))


def _parse(model: type[Input], data: Any, what: str) -> Any:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{what}: expected an object, got {type(data).__name__}")
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise invalid_input(what, error.errors(include_url=False, include_input=False)) from None
