"""L8: re-read the event store and recompute the chain against the one the trail recorded.

Walking both sequences side by side names the first position affected: a stored event
that hashes differently was modified or moved, a position only the store has was
inserted, a position only the trail has was deleted; an entry that no longer says what
its event says (actor, time, reason …) was edited in the trail. A digest is then found in the chain:
the same count and hash at its position prove that history unchanged and only appended to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from closedloop.domain.errors import AuditFailure, InvalidInput
from closedloop.projections.audit import chain_link, entries, entry_of, head, stored
from closedloop.projections.audit_digest import check_signature
from closedloop.projections.projection import View
from closedloop.projections.verify_bundle import GENESIS


def verify(
    view: View,
    digest: Mapping[str, Any] | None = None,
    public_key_pem: bytes | None = None,
) -> dict[str, Any]:
    """The verified head (and the digest it covers); ``AuditFailure`` at the first break."""
    if public_key_pem is not None:
        if digest is None:
            raise InvalidInput("a public key checks a digest's signature: give the digest too")
        check_signature(digest, public_key_pem)
    view.catch_up()
    top = head(view)
    previous, count, covered = GENESIS, 0, None
    if digest is not None and digest["count"] == 0:  # an empty history is in every chain
        covered = _covers(digest, 0, GENESIS)
    events = stored(view.projection.store, top["position"])
    mapper = view.projection.store.mapper
    for entry in entries(view):
        event = next(events, None)
        if event is None or event.id > entry["position"]:
            raise AuditFailure(entry["position"], "the recorded event is missing from the store")
        if event.id < entry["position"]:
            raise AuditFailure(event.id, "the store holds an event the trail never recorded")
        previous = chain_link(previous, event)
        count += 1
        if previous != entry["hash"]:
            raise AuditFailure(
                event.id, "the stored event is not the one the trail recorded (modified or moved)"
            )
        if entry_of(mapper, event, previous) != entry:
            raise AuditFailure(event.id, "the trail's entry does not say what the event says")
        if digest is not None and event.id == digest["position"]:
            covered = _covers(digest, count, previous)
    extra = next(events, None)
    if extra is not None:
        raise AuditFailure(extra.id, "the store holds an event the trail never recorded")
    if (count, previous) != (top["count"], top["hash"]):
        raise AuditFailure(top["position"], "the trail's head is not its last entry")
    if digest is not None and covered is None:
        raise AuditFailure(
            digest["position"], "the digest's last position is not in the chain (deleted?)"
        )
    return {
        "verified": True,
        "count": count,
        "position": top["position"],
        "hash": previous,
        "digest": covered,
        "signature": _signature(digest, public_key_pem),
    }


def _covers(digest: Mapping[str, Any], count: int, chained: str) -> dict[str, Any]:
    if count != digest["count"] or chained != digest["hash"]:
        raise AuditFailure(
            digest["position"],
            f"the history the digest covers has changed: {count} events hash to {chained} "
            f"here, the digest says {digest['count']} events hash to {digest['hash']}",
        )
    return {"count": count, "position": digest["position"], "hash": chained}


def _signature(digest: Mapping[str, Any] | None, public_key_pem: bytes | None) -> str | None:
    if digest is None or "signature" not in digest:
        return None
    return "valid" if public_key_pem is not None else "not checked (no public key given)"
