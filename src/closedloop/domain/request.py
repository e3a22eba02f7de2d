"""A handled request: the record that makes a retried command idempotent.

Its id derives (``uuid5``) from the actor and the caller's request id, and it is saved in
the same transaction as the command's own events, so the two exist together or not at
all. A concurrent duplicate's save conflicts on this id, and the duplicate then returns the
stored result instead of running the command again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import InvalidInput
from closedloop.domain.ids import NAMESPACE


def request_key(actor_id: str, request_id: str) -> UUID:
    """The record's id: request ids are the caller's own, so one actor's never meet another's."""
    return uuid5(NAMESPACE, f"request:{actor_id}:{request_id}")


class Request(LoopAggregate):
    """One actor's request id, the command it ran (name and body fingerprint) and its result."""

    KIND = "request"

    handled_for: str
    request_id: str
    command: str
    fingerprint: str
    result: dict[str, Any]
    status: str

    def __init__(
        self,
        actor_id: str,
        request_id: str,
        command: str,
        fingerprint: str,
        result: dict[str, Any],
    ) -> None:
        self.handled_for = actor_id
        self.request_id = request_id
        self.command = command
        self.fingerprint = fingerprint
        self.result = result
        self.status = "handled"

    @classmethod
    def handled(
        cls,
        *,
        actor: Actor,
        at: datetime,
        request_id: str,
        command: str,
        fingerprint: str,
        result: dict[str, Any],
    ) -> Request:
        return cls._start(
            id=request_key(actor.id, request_id),
            actor=actor,
            at=at,
            request_id=request_id,
            command=command,
            fingerprint=fingerprint,
            result=result,
        )

    def replayed(self, command: str, fingerprint: str) -> dict[str, Any]:
        """The first result, for a retry of the very same command and body; else refused."""
        if command != self.command:
            used = f"for {self.command}"
        elif fingerprint != self.fingerprint:
            used = "with a different body"
        else:
            return self.result
        raise InvalidInput(
            f"request id {self.request_id!r} was already used {used}; a retry must repeat "
            "the first request exactly, and a new request needs a new request id"
        )
