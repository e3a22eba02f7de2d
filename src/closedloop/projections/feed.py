"""The event feed: stored events in order, as stored, each with its audit-chain hash.

Another program follows the history with it and resumes from the last position it saw.
Positions come from the store and may have gaps (PostgreSQL spends an id on a lost race),
so a page ends at the position of its last event, never at ``after + limit``. The state is
the stored bytes (base64): personal fields are ciphertext there (R-C1), and the chain
hash (L8) covers exactly those bytes.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from eventsourcing.persistence import Notification

from closedloop.domain.errors import InvalidInput
from closedloop.projections.audit import entry_key
from closedloop.projections.projection import View

#: Bounds of one request: events per page, and seconds a long-poll may wait.
MAX_LIMIT = 1000
MAX_WAIT = 30.0
#: How often a long-poll looks for new events (the SQLite recorder cannot notify).
POLL_SECONDS = 0.05


def check(after: int, limit: int, wait: float) -> None:
    """``InvalidInput`` unless the parameters are within bounds."""
    if after < 0:
        raise InvalidInput(f"after {after} is a position: 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is not from 1 to {MAX_LIMIT}")
    if not 0 <= wait <= MAX_WAIT:
        raise InvalidInput(f"wait {wait} is not from 0 to {MAX_WAIT:g} seconds")


def page(trail: View, after: int, limit: int, wait: float = 0.0) -> dict[str, Any]:
    """Up to ``limit`` events recorded after position ``after`` and where to resume; waits
    up to ``wait`` seconds for the first one when there is none yet (a long-poll)."""
    check(after, limit, wait)
    recorder = trail.projection.store.recorder
    deadline = time.monotonic() + wait
    while True:
        found = recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
        if found or time.monotonic() >= deadline:
            break
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
    if found and trail.position < found[-1].id:
        trail.catch_up()  # every position read gets its hash: the feed reads its own writes
    if not found:
        return {"events": [], "next_after": after}
    recorded = dict(trail.between(entry_key(found[0].id), entry_key(found[-1].id)))
    return {
        "events": [item(n, recorded[entry_key(n.id)]) for n in found],
        "next_after": found[-1].id,
    }


def item(notification: Notification, entry: dict[str, Any]) -> dict[str, Any]:
    """One stored event with what the audit trail recorded of it."""
    return {
        "position": notification.id,
        "recorded_at": entry["recorded_at"],
        "aggregate_id": str(notification.originator_id),
        "aggregate_type": entry["aggregate_type"],
        "version": notification.originator_version,
        "topic": notification.topic,
        "state": base64.b64encode(notification.state).decode("ascii"),
        "hash": entry["hash"],
    }
