"""L8: re-read the event store and recompute the chain against the one the trail recorded.

Walking both sequences side by side names the first position affected: a stored event
that hashes differently was modified or moved, a position only the store has was
inserted, a position only the trail has was deleted; an entry that no longer says what
its event says (actor, time, reason …) was edited in the trail. A digest is then found in the chain:
the same count and hash at its position prove that history unchanged and only appended to.

Verifying costs one read of the store and one of the trail, and no decoding: each entry is
derived again from its stored event as text (``entry_text``) and compared with the stored
text; only an entry that differs is parsed, to say how.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from eventsourcing.persistence import Notification

from closedloop.application.store import EventStoreApp
from closedloop.domain.errors import AuditFailure, InvalidInput
from closedloop.projections.audit import (
    ENTRY,
    AuditTrail,
    chain_link,
    chained,
    entry_key,
    entry_text,
    head,
    pages,
)
from closedloop.projections.audit_digest import check_signature
from closedloop.projections.projection import View, replays
from closedloop.projections.rows import open_rows
from closedloop.projections.verify_bundle import GENESIS
from closedloop.projections.workers import SentError, Workers


def recorded(view: View, after: int, last: int) -> list[tuple[int, str]]:
    """The trail's entries after position ``after`` up to ``last``, as (position, stored
    text), in order, in one read."""
    rows = view.recorder.between(view.name, entry_key(after + 1), entry_key(last))
    return [(int(key[len(ENTRY) :]), text) for key, text in rows]


def _differs(event: Notification, link: str, text: str) -> AuditFailure:
    """How the recorded entry ``text`` differs from what ``event`` (chained to ``link``) says."""
    try:
        recorded_hash = json.loads(text).get("hash")
    except (ValueError, AttributeError):
        recorded_hash = None
    if recorded_hash != link:
        return AuditFailure(
            event.id, "the stored event is not the one the trail recorded (modified or moved)"
        )
    entry_text(event, link)  # AuditFailure if the stored event cannot be read
    return AuditFailure(event.id, "the trail's entry does not say what the event says")


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
    workers: Workers | None = None,
) -> dict[str, Any]:
    """The verified head (and the digest it covers); ``AuditFailure`` at the first break.

    With ``workers``, the positions are split into that many parts at entries of the trail,
    each walked in a worker process and chained on from the hash its first entry's
    predecessor recorded. The first break is the first part's that has one: every part
    before it agreed with the trail up to its last entry, hash included, so the link that
    part started from is the one a walk of the whole would have reached.
    """
    signature = check_digest(digest, public_key_pem)
    view.catch_up()
    top = head(view)
    at = None if digest is None else digest["position"]
    parts = _parts(view, top["position"], 1 if workers is None else workers.count)
    if workers is None or len(parts) == 1:
        walks = [walk(view, *part, at) for part in parts]
    else:
        walks = workers.run(verify_part, [(*part, at) for part in parts])
    count, previous = 0, GENESIS
    covered = _covers(digest, 0, GENESIS) if digest is not None and digest["count"] == 0 else None
    for walked in walks:
        if walked.at_digest is not None and digest is not None:
            covered = _covers(digest, count + walked.at_digest[0], walked.at_digest[1])
        if walked.failure is not None:
            raise walked.failure.error()
        count, previous = count + walked.count, walked.link
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
        "signature": signature,
    }


def _parts(view: View, last: int, count: int) -> list[tuple[int, int, str]]:
    """Up to ``count`` parts of positions up to ``last``, as (after, last, the link recorded
    at ``after``), split at entries of the trail whose recorded hash can be read."""
    bounds = [(0, GENESIS)]
    for part in range(1, count):
        for key, text in view.recorder.scan(view.name, ENTRY, entry_key(last * part // count)):
            position = int(key[len(ENTRY) :])
            try:
                link = json.loads(text)["hash"]
            except (ValueError, TypeError, KeyError):
                link = None  # an entry edited in place: no place to split
            if isinstance(link, str) and bounds[-1][0] < position < last:
                bounds.append((position, link))
            break
    ends = [after for after, _ in bounds[1:]] + [last]
    return [(after, end, link) for (after, link), end in zip(bounds, ends, strict=True)]


@attrs.frozen
class Walked:
    """What a walk of part of the chain found: its events' count and last link, the count
    and link at the digest's position if the part holds it, and the first break, if any."""

    count: int
    link: str
    at_digest: tuple[int, str] | None = None
    failure: SentError | None = None


def walk(view: View, after: int, last: int, link: str, at: int | None) -> Walked:
    """The store's events after ``after`` up to ``last`` against the trail's entries there,
    chained on from ``link``; ``at``: the digest's position."""
    count, previous, at_digest = 0, link, None
    try:
        with replays.fewer():  # a walk of the store, as a replay is (projection.py)
            for page in pages(view.projection.store, last, after):
                # The entries up to the page's last event: any the page lacks were deleted.
                entries = recorded(view, after, page[-1].id)
                for index, event in enumerate(page):  # each event takes the entry at its place
                    if index == len(entries) or entries[index][0] > event.id:
                        raise AuditFailure(
                            event.id, "the store holds an event the trail never recorded"
                        )
                    position, text = entries[index]
                    if position < event.id:
                        raise AuditFailure(position, "the recorded event is missing from the store")
                    try:
                        previous, derived = chained(previous, event)
                    except AuditFailure:  # the state is no longer bytes, or not the library's JSON
                        previous, derived = chain_link(previous, event), ""
                    count += 1
                    if derived != text:
                        raise _differs(event, previous, text)
                    if event.id == at:
                        at_digest = (count, previous)
                after = page[-1].id
        if beyond := recorded(view, after, last):
            raise AuditFailure(beyond[0][0], "the recorded event is missing from the store")
    except AuditFailure as failure:
        return Walked(count, previous, at_digest, SentError.of(failure))
    return Walked(count, previous, at_digest)


def verify_part(
    store: EventStoreApp,
    after: int,
    last: int,
    link: str,
    at: int | None,
    report: Callable[[int], None],
) -> Walked:
    """A worker's part of ``verify``: ``walk`` on the trail in its own store."""
    return walk(View(AuditTrail(store), open_rows(store)), after, last, link, at)


def _covers(digest: Mapping[str, Any], count: int, chained: str) -> dict[str, Any]:
    if count != digest["count"] or chained != digest["hash"]:
        raise AuditFailure(
            digest["position"],
            f"the history the digest covers has changed: {count} events hash to {chained} "
            f"here, the digest says {digest['count']} events hash to {digest['hash']}",
        )
    return {"count": count, "position": digest["position"], "hash": chained}
