"""L8 as a property: on any small generated history in a SQLite file (targets, and customers
whose personal data is sealed, some erased), any single modification of a stored row (its
state, one bit of it, its topic, its version, its aggregate), deletion, insertion or swap of
two rows is detected, at the first position it affected; an untouched store always
verifies."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import Notification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.store import open_store
from closedloop.domain.errors import AuditFailure
from closedloop.projections.audit import chain_link, entry_text
from closedloop.projections.audit_verify import verify
from closedloop.projections.projection import to_json
from closedloop.projections.verify_bundle import GENESIS, link
from tests.audit_tamper import SQLITE, history
from tests.in_process import InProcess

STEPS = st.lists(
    st.sampled_from(["draft", "submitted", "approved", "rejected", "customer", "erased"]),
    min_size=1,
    max_size=3,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, kind=st.sampled_from(sorted(SQLITE)), data=st.data(), parts=st.integers(2, 6))
def test_L8_any_single_tampering_with_stored_rows_is_detected(
    steps: list[str], kind: str, data: st.DataObject, parts: int
) -> None:
    """… by a walk of the whole chain, and by a walk in parts at the same position."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "history.db")
        url = f"sqlite:///{path}"
        with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
            history(loop, steps)
            recorded = loop.audit_verify()["position"]
        position = data.draw(st.integers(1, recorded), label="position")
        chooser = {
            "swap": st.integers(1, recorded).filter(lambda p: p != position),  # the other row
            "flip": st.integers(0, 10_000),  # which byte of the state
        }.get(kind)
        other = data.draw(chooser, label="other") if chooser is not None else 0
        first = SQLITE[kind](path, position, other)
        with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as failure:
            loop.audit_verify()
        assert failure.value.position == first, f"{kind} at {position}"
        with ClosedLoop(url) as loop, pytest.raises(AuditFailure) as in_parts:
            verify(loop._views["audit"], workers=InProcess(url, open_store, parts))
        assert str(in_parts.value) == str(failure.value)


@settings(max_examples=15, deadline=None)
@given(steps=STEPS)
def test_L8_an_untouched_history_always_verifies(steps: list[str]) -> None:
    with ClosedLoop("memory:", clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, steps)
        result = loop.audit_verify(loop.audit_digest())
        assert result["count"] == result["position"] == len(loop.audit_log())


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(1, 2**63 - 1),
    originator_id=st.uuids(),
    version=st.integers(1, 2**31),
    topic=st.text(),
    state=st.binary(),
    previous=st.sampled_from([GENESIS, "ab" * 32]),
)
def test_L8_the_trails_chain_link_is_exactly_the_bundle_scripts_definition(
    position: int, originator_id: uuid.UUID, version: int, topic: str, state: bytes, previous: str
) -> None:
    stored = Notification(
        id=position,
        originator_id=originator_id,
        originator_version=version,
        topic=topic,
        state=state,
    )
    expected = link(previous, position, str(originator_id), version, topic, state)
    assert chain_link(previous, stored) == expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(1, 2**63 - 1),
    originator_id=st.uuids(),
    version=st.integers(1, 2**31),
    topic=st.text(),
    recorded_at=st.text(),
    actor=st.none() | st.text(),
    reason=JSON_VALUES,
    more=st.dictionaries(st.text().filter(lambda k: k not in ("actor_id", "reason")), JSON_VALUES),
)
def test_L8_an_entrys_text_is_the_rows_json_of_what_its_stored_event_says(
    position: int,
    originator_id: uuid.UUID,
    version: int,
    topic: str,
    recorded_at: str,
    actor: str | None,
    reason: object,
    more: dict[str, object],
) -> None:
    """``entry_text`` is written directly; verify compares it with trails written as dicts."""
    state = {**more, "timestamp": {"_type_": "datetime_iso", "_data_": recorded_at}}
    state.update({"actor_id": actor} if actor is not None else {})
    state.update({"reason": reason} if reason is not None else {})
    stored = Notification(
        id=position,
        originator_id=originator_id,
        originator_version=version,
        topic=topic,
        state=json.dumps(state).encode(),
    )
    module, _, qualname = topic.partition(":")
    owner = qualname.rpartition(".")[0]
    entry = {
        "position": position,
        "recorded_at": recorded_at,
        "actor": actor,
        "bookkeeping": actor is None,
        "reason": reason,
        "aggregate_type": owner or module.rpartition(".")[2],
        "aggregate_id": str(originator_id),
        "version": version,
        "event_type": qualname,
        "hash": "ab" * 32,
    }
    assert entry_text(stored, "ab" * 32) == to_json(entry)
