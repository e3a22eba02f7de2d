"""L8 and R-G3 on the audit trail: every event in order with who, when and why; filters;
head digests, signed or not, that prove a history unchanged and only appended to."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.errors import AuditFailure, InvalidInput
from closedloop.domain.ids import aggregate_id
from closedloop.projections.audit import entry_key
from closedloop.projections.audit_digest import keygen
from tests.audit_tamper import history
from tests.cast import CEO, CFO, HEAD


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "audit.pem", tmp_path / "audit.pub"
    private_pem, public_pem = keygen()
    private.write_bytes(private_pem)
    public.write_bytes(public_pem)
    return private, public


def test_L8_every_event_is_in_the_trail_in_order_with_who_when_and_why(
    mem_loop: ClosedLoop,
) -> None:
    history(mem_loop, ["rejected"])
    entries = mem_loop.audit_log()
    assert [e["position"] for e in entries] == [1, 2, 3, 4]
    assert [e["event_type"] for e in entries] == [
        "Target.Created",
        "Listed",
        "Target.Submitted",
        "Target.Rejected",
    ]
    assert [e["actor"] for e in entries] == [CEO.id, None, HEAD.id, CFO.id]
    assert [e["bookkeeping"] for e in entries] == [False, True, False, False]
    assert entries[3]["reason"] == "basis too thin"
    target = str(aggregate_id("target", "REV-2026"))
    assert [e["aggregate_id"] for e in entries if not e["bookkeeping"]] == [target] * 3
    assert [e["version"] for e in entries if not e["bookkeeping"]] == [1, 2, 3]
    assert entries[0]["aggregate_type"] == "Target"
    assert entries[0]["recorded_at"] == "2026-01-05T09:00:00+00:00"
    assert len({e["hash"] for e in entries}) == 4
    assert mem_loop.audit_digest()["hash"] == entries[-1]["hash"]


def test_L8_the_log_filters_by_aggregate_actor_time_and_type(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    history(mem_loop, ["approved"])
    clock.set("2026-02-01T09:00:00+00:00")
    history(mem_loop, ["draft"], first=2027)
    target = str(aggregate_id("target", "REV-2027"))
    assert {e["aggregate_id"] for e in mem_loop.audit_log(aggregate="REV-2027")} == {target}
    assert mem_loop.audit_log(aggregate=target) == mem_loop.audit_log(aggregate="REV-2027")
    assert {e["actor"] for e in mem_loop.audit_log(actor=CFO.id)} == {CFO.id}
    assert [e["event_type"] for e in mem_loop.audit_log(event_type="Approved")] == [
        "Target.Approved"
    ]
    assert mem_loop.audit_log(event_type="Target.Approved") == mem_loop.audit_log(
        event_type="Approved"
    )
    noon = datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert [e["position"] for e in mem_loop.audit_log(since=noon)] == [5, 6]
    assert [e["position"] for e in mem_loop.audit_log(until=noon)] == [1, 2, 3, 4]
    at = datetime(2026, 2, 1, 9, tzinfo=UTC)
    assert len(mem_loop.audit_log(since=at, until=at, actor=CEO.id)) == 1


def test_L8_a_page_of_the_log_reads_from_its_position_on_and_stops_when_it_is_full(
    mem_loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(mem_loop, ["approved"])
    history(mem_loop, ["draft"], first=2027)
    everything = mem_loop.audit_log()
    assert mem_loop.audit_log(after=2, limit=3) == everything[2:5]
    by_ceo = [e for e in everything if e["actor"] == CEO.id]
    assert mem_loop.audit_log(actor=CEO.id, after=by_ceo[0]["position"], limit=1) == by_ceo[1:2]
    assert mem_loop.audit_log(after=everything[-1]["position"]) == []

    trail = mem_loop._views["audit"].recorder
    scan, read = trail.scan, []

    def reading(view: str, prefix: str = "", start: str = "") -> Iterator[tuple[str, str]]:
        for key, text in scan(view, prefix, start):
            read.append(key)
            yield key, text

    monkeypatch.setattr(trail, "scan", reading)
    mem_loop.audit_log(after=2, limit=2)
    assert read == [entry_key(3), entry_key(4)]
    with pytest.raises(InvalidInput, match="limit 0: at least 1"):
        mem_loop.audit_log(limit=0)


def test_L8_a_kept_digest_still_verifies_after_more_events_are_appended(
    mem_loop: ClosedLoop,
) -> None:
    history(mem_loop, ["approved"])
    kept = mem_loop.audit_digest()
    assert (kept["count"], kept["position"]) == (4, 4)
    history(mem_loop, ["draft"], first=2030)
    result = mem_loop.audit_verify(kept)
    assert result["digest"] == {"count": 4, "position": 4, "hash": kept["hash"]}
    assert result["count"] == 6


def test_L8_a_digest_the_history_does_not_pass_through_fails(mem_loop: ClosedLoop) -> None:
    history(mem_loop, ["approved"])
    forged = {**mem_loop.audit_digest(), "hash": "ab" * 32}
    with pytest.raises(AuditFailure) as failure:
        mem_loop.audit_verify(forged)
    assert failure.value.position == 4
    beyond = {**mem_loop.audit_digest(), "position": 9, "count": 9}
    with pytest.raises(AuditFailure, match="not in the chain"):
        mem_loop.audit_verify(beyond)


def test_L8_a_signed_digest_verifies_with_its_public_key_only(
    mem_loop: ClosedLoop, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, public = keys
    history(mem_loop, ["approved"])
    signed = mem_loop.audit_digest(sign_with=private)
    assert mem_loop.audit_verify(signed, public_key=public)["signature"] == "valid"
    assert mem_loop.audit_verify(signed)["signature"].startswith("not checked")
    other_private, other_public = tmp_path / "o.pem", tmp_path / "o.pub"
    other_private.write_bytes(keygen()[0])
    other_public.write_bytes(keygen()[1])
    with pytest.raises(AuditFailure, match="signature is not valid"):
        mem_loop.audit_verify(signed, public_key=other_public)
    with pytest.raises(AuditFailure, match="signature is not valid"):
        mem_loop.audit_verify({**signed, "count": 3}, public_key=public)
    with pytest.raises(AuditFailure, match="not signed"):
        mem_loop.audit_verify(mem_loop.audit_digest(), public_key=public)


def test_L8_a_bad_digest_or_key_file_is_invalid_input(
    mem_loop: ClosedLoop, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="cannot read the digest"):
        mem_loop.audit_verify(tmp_path / "bad.json")
    with pytest.raises(InvalidInput, match="fields"):
        mem_loop.audit_verify({"count": 1})
    digest = mem_loop.audit_digest()
    with pytest.raises(InvalidInput, match="are text"):
        mem_loop.audit_verify({**digest, "signature": 7})
    with pytest.raises(InvalidInput, match="give the digest too"):
        mem_loop.audit_verify(public_key=keys[1])
    with pytest.raises(InvalidInput, match="cannot read the key"):
        mem_loop.audit_digest(sign_with=tmp_path / "missing.pem")
    with pytest.raises(InvalidInput, match="not an unencrypted PEM private key"):
        mem_loop.audit_digest(sign_with=keys[1])


def test_L8_a_time_without_a_zone_is_invalid_input(mem_loop: ClosedLoop) -> None:
    with pytest.raises(InvalidInput, match="since needs a timezone"):
        mem_loop.audit_log(since=datetime(2026, 1, 5))


def test_L8_an_empty_store_verifies_at_position_0(mem_loop: ClosedLoop) -> None:
    assert mem_loop.audit_verify(mem_loop.audit_digest())["count"] == 0
    assert mem_loop.audit_log() == []
