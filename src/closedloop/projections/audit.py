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
from collections.abc import Iterator, Sequence
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from closedloop.application.json_text import loads
from closedloop.application.store import EventStoreApp
from closedloop.domain.errors import AuditFailure
from closedloop.projections.projection import (
    PAGE_SIZE,
    JSONText,
    Page,
    Projection,
    Rows,
    View,
    to_json,
)
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


@lru_cache(maxsize=4096)
def _uuid_text(number: int) -> str:
    return str(UUID(int=number))


def _id_text(originator_id: UUID | str) -> str:
    """``str(originator_id)``, kept per id: a ``UUID``'s ``str`` is Python code, a tenth of
    an entry's cost, for ids that recur (a target's hundred events)."""
    if isinstance(originator_id, UUID):
        return _uuid_text(originator_id.int)
    return originator_id


def chain_link(previous: str, notification: Notification) -> str:
    """The link after ``notification``: exactly ``verify_bundle.link`` (the definition an
    auditor runs), with the JSON array written directly (ids, numbers and base64 need no
    escaping; a topic's JSON is kept per topic); ``AuditFailure`` if its stored state is
    not bytes (SQLite hands back TEXT for a row edited in place)."""
    return _link(previous, notification, _id_text(notification.originator_id))


def chained(previous: str, notification: Notification) -> tuple[str, str]:
    """The link after ``notification`` and its entry's text (``entry_text``), which share
    the aggregate id's text."""
    originator = _id_text(notification.originator_id)
    digest = _link(previous, notification, originator)
    return digest, _entry(notification, digest, originator)


def _link(previous: str, notification: Notification, originator: str) -> str:
    if not isinstance(notification.state, bytes):
        raise AuditFailure(notification.id, "the stored state is no longer bytes (modified)")
    text = (
        f'[{notification.id},"{originator}",{notification.originator_version},'
        f'{_json_text(notification.topic)},"{base64.b64encode(notification.state).decode()}"]'
    )
    return hashlib.sha256(bytes.fromhex(previous) + text.encode()).hexdigest()


def _stated(notification: Notification) -> tuple[Any, Any, Any]:
    """When, who and why, from the stored JSON state; ``AuditFailure`` if it is unreadable."""
    try:
        state = loads(notification.state.decode())  # str: faster than bytes to parse
        return state["timestamp"]["_data_"], state.get("actor_id"), state.get("reason")
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise AuditFailure(
            notification.id, f"the stored event cannot be read ({error!r}): modified?"
        ) from None


@lru_cache(maxsize=1024)
def _kinds(topic: str) -> tuple[str, str]:
    """The aggregate type and the event type a topic names, as JSON text."""
    module, _, qualname = topic.partition(":")
    owner, _, _ = qualname.rpartition(".")
    return to_json(owner or module.rpartition(".")[2]), to_json(qualname)


def _value(value: Any) -> str:
    """``to_json(value)``; in C alone for text (the encoder's own step for it)."""
    if value is None:
        return "null"
    return encode_basestring_ascii(value) if type(value) is str else to_json(value)


def entry_text(notification: Notification, digest: str) -> str:
    """The trail's entry for a stored event, as the rows recorder stores it (``to_json``:
    keys sorted): position, recorded time, actor (none: a listing entry, the store's own
    bookkeeping), reason, aggregate type and id, version, event type, and its chain hash.
    Written directly, not through a dict, so ``audit verify`` compares texts (a property
    test holds it equal to ``to_json`` of the same entry as a dict)."""
    return _entry(notification, digest, _id_text(notification.originator_id))


def _entry(notification: Notification, digest: str, originator: str) -> str:
    recorded_at, actor, reason = _stated(notification)
    aggregate_type, event_type = _kinds(notification.topic)
    return (
        f'{{"actor":{_value(actor)},"aggregate_id":"{originator}",'
        f'"aggregate_type":{aggregate_type},"bookkeeping":{"true" if actor is None else "false"},'
        f'"event_type":{event_type},"hash":"{digest}","position":{notification.id},'
        f'"reason":{_value(reason)},"recorded_at":{_value(recorded_at)},'
        f'"version":{notification.originator_version}}}'
    )


class AuditTrail(Projection):
    name = "audit"

    def apply(self, notification: Notification, rows: Rows) -> None:
        self.chain([notification], rows)

    def apply_page(self, page: Page, rows: Rows) -> None:
        self.chain(page.notifications, rows)

    @staticmethod
    def chain(notifications: Sequence[Notification], rows: Rows) -> None:
        """An entry for each event, chained on from the head; the new head put once."""
        if not notifications:
            return
        head = rows.get(HEAD) or empty_head()
        digest = head["hash"]
        for notification in notifications:
            digest, text = chained(digest, notification)
            rows.put(entry_key(notification.id), JSONText(text))
        count = head["count"] + len(notifications)
        rows.put(HEAD, {"count": count, "position": notifications[-1].id, "hash": digest})


def head(view: View) -> dict[str, Any]:
    """``count``, ``position`` and ``hash`` of the trail's last entry."""
    return view.get(HEAD) or empty_head()


def entries(view: View, after: int = 0) -> Iterator[dict[str, Any]]:
    """The trail's entries after position ``after``, in order, read a page at a time."""
    for _, entry in view.scan(ENTRY, entry_key(after + 1)):
        yield entry


def pages(store: EventStoreApp, stop: int, after: int = 0) -> Iterator[Sequence[Notification]]:
    """The store's events after position ``after`` up to ``stop``, as they are now, a page
    at a time."""
    position = after
    while page := store.recorder.select_notifications(
        start=position, limit=PAGE_SIZE, stop=stop, inclusive_of_start=False
    ):
        yield page
        position = page[-1].id


def stored(store: EventStoreApp, stop: int, after: int = 0) -> Iterator[Notification]:
    """The store's events after position ``after`` up to ``stop``, as they are now."""
    for page in pages(store, stop, after):
        yield from page
