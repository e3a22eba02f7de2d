"""Runs a catalogued command: validate (boundary), authorise (R-G2), handle, save atomically.

A command that loses a race on save is run again on fresh state (its rules are checked
again, so nothing is lost); a caller that named the ``expected_version`` it saw gets the
conflict instead.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from closedloop.application.catalogue import Catalogue, Command, Result
from closedloop.application.clock import Clock
from closedloop.application.inputs import ActorIn, Input
from closedloop.application.store import EventStoreApp
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.errors import ConcurrencyConflict, InvalidInput, NotAuthorised
from closedloop.domain.policy import Policy


class Dispatcher:
    def __init__(
        self,
        store: EventStoreApp,
        policy: Policy,
        clock: Clock,
        catalogue: Catalogue,
        max_attempts: int = 5,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.catalogue = catalogue
        self.max_attempts = max_attempts

    def execute(
        self,
        name: str,
        actor: Actor | Mapping[str, Any],
        args: Input | Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Result:
        command = self.catalogue[name]
        who = actor if isinstance(actor, Actor) else _parse(ActorIn, actor, "actor").to_actor()
        data = args if isinstance(args, command.input) else _parse(command.input, args or {}, name)
        self.authorise(who, command)
        attempt = 1
        while True:
            uow = UnitOfWork(self.store, self.policy, self.clock.now(), expected_version)
            result = command.handler(uow, who, data)
            try:
                uow.commit()
            except IntegrityError:
                if expected_version is not None or attempt >= self.max_attempts:
                    raise ConcurrencyConflict(
                        f"{name}: another command changed the same record first; "
                        "reload and try again"
                    ) from None
                _back_off(attempt)
                attempt += 1
            else:
                return result

    def authorise(self, actor: Actor, command: Command) -> None:
        """R-G2: the actor's roles must grant the command's permission."""
        if command.permission not in self.policy.permissions_of(actor.roles):
            roles = ", ".join(sorted(actor.roles)) or "none"
            raise NotAuthorised(
                f"R-G2: {actor.id} (roles: {roles}) may not {command.name}: "
                f"it needs the permission {command.permission!r}"
            )


def _back_off(attempt: int) -> None:
    """Wait a random moment, longer after each lost race, so racing writers spread out."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))


def _parse(model: type[Input], data: Any, what: str) -> Any:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{what}: expected an object, got {type(data).__name__}")
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        problems = [
            {
                "field": ".".join(str(part) for part in e["loc"]) or "(input)",
                "problem": e["msg"].removeprefix("Value error, "),
            }
            for e in error.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise InvalidInput(f"{what}: {summary}", problems) from None
