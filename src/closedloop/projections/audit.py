"""The audit trail (L8): every event in order, who, when, why, hash-chained as stored.

The chain hashes each event as it is stored (topic, state bytes, originator id, version,
position), not as it decodes, so encrypted fields stay covered after their key is shredded.
An entry's who, when and why are read from the stored state too (the library's JSON: the
top-level ``timestamp``, ``actor_id`` and ``reason``), never through the mapper, so the
trail and its verification cost no decoding. Positions are chained in the order read; they
may have gaps (PostgreSQL spends an id on a lost race), so nothing here assumes they are
contiguous.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import Notification

from closedloop.application.store import EventStoreApp
from closedloop.domain.errors import AuditFailure
from closedloop.projections.projection import PAGE_SIZE, Projection, Rows, View
from closedloop.projections.verify_bundle import GENESIS

HEAD = "head"
ENTRY = "e:"


def entry_key(position: int) -> str:
    """Zero-padded, so key order is position order."""
    return f"{ENTRY}{position:020d}"


def empty_head() -> dict[str, Any]:
    return {"count": 0, "position": 0, "hash": GENESIS}


@lru_cache(maxsize=1024)
def _json_text(topic: str) -> str:
    return json.dumps(topic, ensure_ascii=True)


def chain_link(previous: str, notification: Notification) -> str:
    """The link after ``notification``: exactly ``verify_bundle.link`` (the definition an
    auditor runs), with the JSON array written directly (ids, numbers and base64 need no
    escaping; a topic's JSON is kept per topic); ``AuditFailure`` if its stored state is
    not bytes (SQLite hands back TEXT for a row edited in place)."""
    if not isinstance(notification.state, bytes):
        raise AuditFailure(notification.id, "the stored state is no longer bytes (modified)")
    text = (
        f'[{notification.id},"{notification.originator_id}",{notification.originator_version},'
        f'{_json_text(notification.topic)},"{base64.b64encode(notification.state).decode()}"]'
    )
    return hashlib.sha256(bytes.fromhex(previous) + text.encode()).hexdigest()


def entry_of(notification: Notification, digest: str) -> dict[str, Any]:
    """The trail's entry for a stored event: what its stored form says, and its chain hash."""
    try:
        state = json.loads(notification.state.decode())  # str: faster than bytes to parse
        recorded_at = state["timestamp"]["_data_"]  # the library's datetime_iso transcoding
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise AuditFailure(
            notification.id, f"the stored event cannot be read ({error!r}): modified?"
        ) from None
    actor = state.get("actor_id")
    module, _, qualname = notification.topic.partition(":")
    owner, _, _ = qualname.rpartition(".")
    return {
        "position": notification.id,
        "recorded_at": recorded_at,
        "actor": actor,
        # Listing entries (application/listing.py) are the store's own bookkeeping.
        "bookkeeping": actor is None,
        "reason": state.get("reason"),
        "aggregate_type": owner or module.rpartition(".")[2],
        "aggregate_id": str(notification.originator_id),
        "version": notification.originator_version,
        "event_type": qualname,
        "hash": digest,
    }


class AuditTrail(Projection):
    name = "audit"

    def apply(self, notification: Notification, rows: Rows) -> None:
        head = rows.get(HEAD) or empty_head()
        digest = chain_link(head["hash"], notification)
        rows.put(entry_key(notification.id), entry_of(notification, digest))
        rows.put(HEAD, {"count": head["count"] + 1, "position": notification.id, "hash": digest})


def head(view: View) -> dict[str, Any]:
    """``count``, ``position`` and ``hash`` of the trail's last entry."""
    return view.get(HEAD) or empty_head()


def entries(view: View) -> Iterator[dict[str, Any]]:
    for _, entry in view.scan(ENTRY):
        yield entry


def stored(store: EventStoreApp, stop: int, after: int = 0) -> Iterator[Notification]:
    """The store's events after position ``after`` up to ``stop``, read a page at a time,
    as they are now."""
    position = after
    while True:
        page = store.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, stop=stop, inclusive_of_start=False
        )
        if not page:
            return
        yield from page
        position = page[-1].id
