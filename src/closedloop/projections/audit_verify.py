"""L8: re-read the event store and recompute the chain against the one the trail recorded.

Walking both sequences side by side names the first position affected: a stored event
that hashes differently was modified or moved, a position only the store has was
inserted, a position only the trail has was deleted; an entry that no longer says what
its event says (actor, time, reason …) was edited in the trail. A digest is then found in the chain:
the same count and hash at its position prove that history unchanged and only appended to.

The walk takes the stored events a page at a time from whoever reads them (``verify`` on
its own, or ``ClosedLoop.rebuild`` while it rebuilds the other views from the same pages),
so verifying costs one read of the store and of the trail, and no decoding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from eventsourcing.persistence import Notification

from closedloop.domain.errors import AuditFailure, InvalidInput
from closedloop.projections.audit import chain_link, entries, entry_of, head, stored
from closedloop.projections.audit_digest import check_signature
from closedloop.projections.projection import View
from closedloop.projections.verify_bundle import GENESIS


class Walk:
    """The recorded trail, up to its head when the walk began, checked against the stored
    events fed to it in order (events beyond that head are not yet chained: skipped)."""

    def __init__(self, view: View, digest: Mapping[str, Any] | None = None) -> None:
        self.top = head(view)
        self.digest = digest
        self.previous, self.count = GENESIS, 0
        self._store, self._seen = view.projection.store, 0
        self.covered: dict[str, Any] | None = None
        if digest is not None and digest["count"] == 0:  # an empty history is in every chain
            self.covered = _covers(digest, 0, GENESIS)
        self._entries = entries(view)
        self._entry: dict[str, Any] | None = self._next_entry()

    def _next_entry(self) -> dict[str, Any] | None:
        entry = next(self._entries, None)
        if entry is None or entry["position"] > self.top["position"]:
            return None  # chained after the walk began
        return entry

    def feed(self, events: Iterable[Notification]) -> None:
        """Check the next stored events: each exactly once and in order, whatever is fed
        (a runner that retries a page refused to it feeds some again, or skips ahead)."""
        for event in self._unseen(events):
            entry = self._entry
            if entry is None or entry["position"] > event.id:
                raise AuditFailure(event.id, "the store holds an event the trail never recorded")
            if entry["position"] < event.id:
                raise AuditFailure(
                    entry["position"], "the recorded event is missing from the store"
                )
            self.previous = chain_link(self.previous, event)
            self.count += 1
            if self.previous != entry["hash"]:
                raise AuditFailure(
                    event.id,
                    "the stored event is not the one the trail recorded (modified or moved)",
                )
            if entry_of(event, self.previous) != entry:
                raise AuditFailure(event.id, "the trail's entry does not say what the event says")
            if self.digest is not None and event.id == self.digest["position"]:
                self.covered = _covers(self.digest, self.count, self.previous)
            self._entry = self._next_entry()
            self._seen = event.id

    def _unseen(self, events: Iterable[Notification]) -> Iterator[Notification]:
        for event in events:
            if event.id > self.top["position"]:
                return
            if event.id <= self._seen:
                continue
            if event.id > self._seen + 1:  # a gap: none (PostgreSQL skips ids), or unread
                yield from stored(self._store, event.id - 1, after=self._seen)
            yield event

    def finish(self) -> dict[str, Any]:
        """The verified head, once every stored event up to it was fed."""
        if self._entry is not None:
            raise AuditFailure(
                self._entry["position"], "the recorded event is missing from the store"
            )
        top = self.top
        if (self.count, self.previous) != (top["count"], top["hash"]):
            raise AuditFailure(top["position"], "the trail's head is not its last entry")
        if self.digest is not None and self.covered is None:
            raise AuditFailure(
                self.digest["position"], "the digest's last position is not in the chain (deleted?)"
            )
        return {
            "verified": True,
            "count": self.count,
            "position": top["position"],
            "hash": self.previous,
            "digest": self.covered,
        }


def check_digest(digest: Mapping[str, Any] | None, public_key_pem: bytes | None) -> str | None:
    """What ``verify`` reports of the digest's signature; ``AuditFailure`` if it is not valid."""
    if public_key_pem is not None:
        if digest is None:
            raise InvalidInput("a public key checks a digest's signature: give the digest too")
        check_signature(digest, public_key_pem)
    if digest is None or "signature" not in digest:
        return None
    return "valid" if public_key_pem is not None else "not checked (no public key given)"


def verify(
    view: View,
    digest: Mapping[str, Any] | None = None,
    public_key_pem: bytes | None = None,
) -> dict[str, Any]:
    """The verified head (and the digest it covers); ``AuditFailure`` at the first break."""
    signature = check_digest(digest, public_key_pem)
    view.catch_up()
    walk = Walk(view, digest)
    walk.feed(stored(view.projection.store, walk.top["position"]))
    return {**walk.finish(), "signature": signature}


def _covers(digest: Mapping[str, Any], count: int, chained: str) -> dict[str, Any]:
    if count != digest["count"] or chained != digest["hash"]:
        raise AuditFailure(
            digest["position"],
            f"the history the digest covers has changed: {count} events hash to {chained} "
            f"here, the digest says {digest['count']} events hash to {digest['hash']}",
        )
    return {"count": count, "position": digest["position"], "hash": chained}
