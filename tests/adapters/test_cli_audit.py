"""``closedloop audit …`` and ``closedloop rebuild``: the CLI only translates (L7, L8)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.cli.main import app
from tests.audit_tamper import SQLITE, history, sqlite_path
from tests.cast import CFO


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/audit.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, ["approved", "rejected"])
        loop.audit_verify()  # the trail records the history (an auditor's routine)
    return url


def test_L8_audit_log_prints_a_table_or_json_lines(store: str) -> None:
    table = cli("audit", "log", "--store", store, "--type", "Rejected")
    assert table.exit_code == 0, table.output
    assert "Target.Rejected" in table.output
    assert "basis too thin" in table.output
    lines = cli("audit", "log", "--store", store, "--actor", CFO.id, "--json")
    entries = [json.loads(line) for line in lines.output.splitlines()]
    assert [e["event_type"] for e in entries] == ["Target.Approved", "Target.Rejected"]
    since = cli("audit", "log", "--store", store, "--since", "2026-01-06", "--json")
    assert since.exit_code == 0
    assert since.output == ""


def test_L8_audit_verify_exits_8_naming_the_first_position_affected(store: str) -> None:
    ok = cli("audit", "verify", "--store", store)
    assert ok.exit_code == 0, ok.output
    assert "the chain verifies" in ok.output
    SQLITE["swap"](sqlite_path(store), 3, 7)
    failed = cli("audit", "verify", "--store", store)
    assert failed.exit_code == 8
    assert "position 3" in failed.output
    body = json.loads(cli("audit", "verify", "--store", store, "--json").output)
    assert body == {
        "error": "audit_failure",
        "rule": "L8",
        "position": 3,
        "message": body["message"],
    }


def test_L8_a_signed_digest_kept_in_a_file_verifies_with_its_public_key(
    store: str, tmp_path: Path
) -> None:
    private, public = tmp_path / "audit.pem", tmp_path / "audit.pub"
    assert cli("audit", "keygen", str(private), str(public)).exit_code == 0
    assert private.stat().st_mode & 0o777 == 0o600
    again = cli("audit", "keygen", str(private), str(public))
    assert again.exit_code == 2
    assert "never overwrites" in again.output
    digest = cli("audit", "digest", "--store", store, "--sign", str(private))
    assert digest.exit_code == 0, digest.output
    kept = tmp_path / "head.json"
    kept.write_text(digest.output, encoding="utf-8")
    assert json.loads(digest.output)["count"] == 8
    checked = cli(
        "audit", "verify", "--store", store, "--digest", str(kept), "--public-key", str(public)
    )
    assert checked.exit_code == 0, checked.output
    assert "signature: valid" in checked.output


def test_L8_audit_export_writes_the_bundle_with_a_signed_digest(store: str, tmp_path: Path) -> None:
    private, public = tmp_path / "audit.pem", tmp_path / "audit.pub"
    assert cli("audit", "keygen", str(private), str(public)).exit_code == 0
    done = cli(
        "audit", "export", str(tmp_path / "evidence"), "--sign", str(private), "--store", store
    )
    assert done.exit_code == 0, done.output
    assert "8 events up to position 8" in done.output
    assert sorted(p.name for p in (tmp_path / "evidence").iterdir()) == [
        "VERIFY.md",
        "chain.jsonl",
        "digest.json",
        "events.jsonl",
        "verify_bundle.py",
    ]
    kept = str(tmp_path / "evidence" / "digest.json")
    checked = cli(
        "audit", "verify", "--digest", kept, "--public-key", str(public), "--store", store
    )
    assert checked.exit_code == 0, checked.output
    assert "signature: valid" in checked.output


def test_L7_rebuild_rebuilds_a_view_with_a_progress_bar(store: str) -> None:
    done = cli("rebuild", "audit", "--store", store)
    assert done.exit_code == 0, done.output
    assert "rebuilding audit" in done.output
    assert "8/8" in done.output
    assert cli("audit", "verify", "--store", store).exit_code == 0
    unknown = cli("rebuild", "nothing", "--store", store)
    assert unknown.exit_code == 2
    assert "no view 'nothing'" in unknown.output


def test_L7_rebuild_replays_the_facts_in_as_many_worker_processes_as_asked(store: str) -> None:
    with ClosedLoop(store) as loop:
        loop.catch_up()
        live = dict(loop._views["facts"].scan())
    done = cli("rebuild", "facts", "--workers", "2", "--store", store)
    assert done.exit_code == 0, done.output
    assert "rebuilding facts" in done.output
    with ClosedLoop(store) as loop:
        assert dict(loop._views["facts"].scan()) == live
    for wrong, said in (("0", "workers: 1 to 8"), ("many", "--workers: a whole number")):
        refused = cli("rebuild", "--workers", wrong, "--store", store)
        assert refused.exit_code == 2
        assert said in refused.output


def test_L8_audit_verify_walks_the_chain_in_as_many_worker_processes_as_asked(
    store: str,
) -> None:
    done = cli("audit", "verify", "--workers", "2", "--store", store, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["count"] == 8
    SQLITE["modify"](sqlite_path(store), 5, 0)
    found = cli("audit", "verify", "--workers", "2", "--store", store)
    assert found.exit_code == 8
    assert "position 5" in found.output
    refused = cli("audit", "verify", "--workers", "two", "--store", store)
    assert refused.exit_code == 2
    assert "--workers: a whole number or 'auto'" in refused.output


def test_L8_rebuild_leaves_the_chain_of_a_tampered_store_for_verify_to_name(store: str) -> None:
    SQLITE["delete"](sqlite_path(store), 4)
    assert cli("rebuild", "--store", store).exit_code == 0  # the views apply what is left
    done = cli("audit", "verify", "--store", store)
    assert done.exit_code == 8
    assert "position 4" in done.output


def test_L8_a_malformed_time_is_invalid_input(store: str) -> None:
    done = cli("audit", "log", "--store", store, "--until", "yesterday")
    assert done.exit_code == 2
    assert "--until 'yesterday' is not an ISO time" in done.output


def test_L8_a_failed_verification_exits_8_from_a_real_process(store: str) -> None:
    SQLITE["modify"](sqlite_path(store), 2)
    done = subprocess.run(
        [sys.executable, "-m", "closedloop.adapters.cli.main", "audit", "verify", "--store", store],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 8
    assert "error (audit_failure): L8: position 2:" in done.stderr
    assert "Traceback" not in done.stderr
