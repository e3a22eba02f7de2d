"""L8 for auditors: an exported bundle is checked by the standard-library script printed in
docs/auditing.md (taken from the doc and run as it is), which also finds a tampered bundle."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.errors import InvalidInput
from closedloop.projections import verify_bundle
from closedloop.projections.audit_digest import keygen
from closedloop.projections.audit_export import OPENSSL_CHECK
from tests.audit_tamper import history

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_IN_DOC = re.compile(r"<!-- verify_bundle\.py -->\n```python\n(.*?)```", re.DOTALL)


def doc_script() -> str:
    match = SCRIPT_IN_DOC.search((ROOT / "docs" / "auditing.md").read_text(encoding="utf-8"))
    assert match is not None, "docs/auditing.md lost its verify_bundle.py block"
    return match.group(1)


def run(script: Path, bundle: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(script), str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(f"sqlite:///{tmp_path}/bundle.db", clock=clock) as loop:
        history(loop, ["approved", "rejected"])
        exported = loop.audit_export(tmp_path / "bundle")
    assert exported["digest"]["count"] == 8
    return tmp_path / "bundle"


def test_L8_the_doc_prints_the_very_script_closedloop_chains_with() -> None:
    assert doc_script() == Path(verify_bundle.__file__).read_text(encoding="utf-8")


def test_L8_the_script_from_the_doc_checks_an_exported_bundle(bundle: Path, tmp_path: Path) -> None:
    script = tmp_path / "from_doc.py"
    script.write_text(doc_script(), encoding="utf-8")
    done = run(script, bundle)
    assert done.returncode == 0, done.stdout + done.stderr
    digest = json.loads((bundle / "digest.json").read_text(encoding="utf-8"))
    assert done.stdout.startswith(f"OK: 8 events, head position 8, {digest['hash']}")
    verify_md = (bundle / "VERIFY.md").read_text(encoding="utf-8")
    assert doc_script() in verify_md
    assert OPENSSL_CHECK in verify_md
    assert run(bundle / "verify_bundle.py", bundle).returncode == 0


def test_L8_the_script_finds_a_tampered_bundle(bundle: Path, tmp_path: Path) -> None:
    script = tmp_path / "from_doc.py"
    script.write_text(doc_script(), encoding="utf-8")
    events = (bundle / "events.jsonl").read_text(encoding="utf-8").splitlines()
    fifth = json.loads(events[4])
    state = base64.b64decode(fifth["state_base64"]).replace(b"CNY", b"USD")
    fifth["state_base64"] = base64.b64encode(state).decode()
    events[4] = json.dumps(fifth)
    (bundle / "events.jsonl").write_text("\n".join(events) + "\n", encoding="utf-8")
    done = run(script, bundle)
    assert done.returncode == 1
    assert "position 5" in done.stdout


def test_L8_a_bundle_needs_a_folder_of_its_own(bundle: Path) -> None:
    with ClosedLoop("memory:") as loop, pytest.raises(InvalidInput, match="not an empty folder"):
        loop.audit_export(bundle)


def test_L8_a_signed_digest_checks_with_openssl_as_the_doc_shows(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    match = re.search(
        r"<!-- openssl-verify -->\n```sh\n(.*?)```",
        (ROOT / "docs" / "auditing.md").read_text(encoding="utf-8"),
        re.DOTALL,
    )
    assert match is not None, "docs/auditing.md lost its openssl-verify block"
    assert match.group(1) == OPENSSL_CHECK  # VERIFY.md in every bundle shows the same
    private, public = keygen()
    (tmp_path / "audit.pem").write_bytes(private)
    (tmp_path / "audit.pub").write_bytes(public)
    with ClosedLoop("memory:", clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        history(loop, ["approved"])
        signed = loop.audit_digest(sign_with=tmp_path / "audit.pem")
    (tmp_path / "digest.json").write_text(json.dumps(signed), encoding="utf-8")
    script = match.group(1).replace("python3 ", f"{sys.executable} ", 1)
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Signature Verified Successfully" in done.stdout
    (tmp_path / "digest.json").write_text(json.dumps({**signed, "count": 1}), encoding="utf-8")
    forged = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, check=False)
    assert forged.returncode != 0
