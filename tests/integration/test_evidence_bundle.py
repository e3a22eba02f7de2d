"""L8 for auditors: an exported bundle is checked by the standard-library script printed in
docs/auditing.md (taken from the doc and run as it is), which also finds a tampered bundle."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.errors import InvalidInput
from closedloop.projections import verify_bundle
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
    assert doc_script() in (bundle / "VERIFY.md").read_text(encoding="utf-8")
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
