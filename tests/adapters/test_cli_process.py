"""The CLI as users run it, in a process of its own: batch files, exit codes, no tracebacks.

Exit codes: 0 ok, 2 invalid input, 3 not authorised, 4 rule violation, 5 not found,
6 conflict, 7 store unavailable. A user's mistake never prints a traceback, and a refused
line records nothing (R-G4).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from closedloop import ClosedLoop
from tests.adapters.envelopes import TARGET_ARGS, approved_target_lines, envelope
from tests.cast import CEO, CFO, HEAD, LI
from tests.scenario import approved_revenue_target

pytestmark = pytest.mark.slow


def closedloop(
    *args: str,
    cwd: Path,
    stdin: str | None = None,
    script: str | None = None,
    store: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI; ``store`` sets ``$CLOSEDLOOP_STORE`` (unset otherwise)."""
    command = [script] if script else [sys.executable, "-m", "closedloop.adapters.cli.main"]
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("CLOSEDLOOP_STORE", None)
    if store is not None:
        env["CLOSEDLOOP_STORE"] = store
    done = subprocess.run(
        [*command, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def position(url: str) -> int:
    with ClosedLoop(url) as loop:
        return loop.position()


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store holding REV-2026, approved (at version 3)."""
    url = f"sqlite:///{tmp_path}/batch.db"
    with ClosedLoop(url) as loop:
        approved_revenue_target(loop)
    return url


REFUSED_LINES = [
    pytest.param(
        '{"command": "target.submit", "actor": {"id": "x"}',
        2,
        "not valid JSON",
        id="malformed JSON",
    ),
    pytest.param(
        envelope("target.sumbit", HEAD, {"target": "REV-2026"}),
        2,
        "did you mean target.submit",
        id="unknown command",
    ),
    pytest.param(
        envelope(
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": "lots", "as_of": "2026-03-31", "source": "ERP"},
        ),
        2,
        "'lots' is not a decimal number",
        id="wrong type",
    ),
    pytest.param(
        envelope("target.create", CEO, {**TARGET_ARGS, "ref": "X", "value": True}),
        2,
        "not a decimal number",
        id="boolean amount",
    ),
    pytest.param(
        envelope("target.approve_adjustment", LI, {"target": "REV-2026"}),
        3,
        "R-G2",
        id="not authorised",
    ),
    pytest.param(
        envelope(
            "target.decompose",
            HEAD,
            {
                "target": "REV-2026",
                "dimension": "period",
                "children": [
                    {"value": "6000000", "period": "2026-Q1"},
                    {"value": "5000000", "period": "2026-Q2"},
                ],
            },
        ),
        4,
        "rule_violation  R-T2",
        id="rule violation",
    ),
    pytest.param(
        envelope("target.approve", CFO, {"target": "REV-2027"}),
        5,
        "no target REV-2027",
        id="not found",
    ),
    pytest.param(
        envelope(
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": "1", "as_of": "2026-03-31", "source": "ERP"},
            expected_version=1,
        ),
        6,
        "not the expected 1",
        id="conflict",
    ),
]


@pytest.mark.parametrize(("line", "code", "says"), REFUSED_LINES)
def test_a_refused_line_exits_with_its_code_says_why_and_records_nothing(
    store: str, tmp_path: Path, line: str, code: int, says: str
) -> None:
    batch = tmp_path / "one.jsonl"
    batch.write_text(line + "\n", encoding="utf-8")
    before = position(store)
    done = closedloop("apply", str(batch), "--store", store, cwd=tmp_path)
    assert done.returncode == code, done.stdout + done.stderr
    assert "line 1" in done.stdout
    assert says in done.stdout
    assert f"(exit code {code})" in done.stdout
    assert position(store) == before


def test_R_G4_a_rule_violation_prints_the_rule_id_and_changes_nothing(
    store: str, tmp_path: Path
) -> None:
    batch = tmp_path / "self.jsonl"
    batch.write_text(
        "\n".join(
            [
                envelope("target.create", CEO, {**TARGET_ARGS, "ref": "REV-2026-B"}),
                envelope("target.submit", HEAD, {"target": "REV-2026-B"}),
                envelope("target.approve", HEAD, {"target": "REV-2026-B"}),  # R-G1: own submission
            ]
        ),
        encoding="utf-8",
    )
    done = closedloop("apply", str(batch), "--store", store, "--json", cwd=tmp_path)
    assert done.returncode == 4
    *outcomes, summary = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["ok"] for o in outcomes] == [True, True, False]
    assert outcomes[2]["rule"] == "R-G1"
    assert outcomes[2]["error"] == "rule_violation"
    assert summary == {"summary": {"ok": 2, "failed": 1, "first_failure": 3, "exit_code": 4}}
    with ClosedLoop(store) as loop:
        assert loop.target("REV-2026-B")["status"] == "submitted"


def test_stop_on_error_stops_at_the_first_refusal(tmp_path: Path) -> None:
    lines = [
        envelope("target.create", CEO, TARGET_ARGS),
        envelope("target.approve", LI, {"target": "REV-2026"}),  # R-G2
        envelope("target.submit", HEAD, {"target": "REV-2026"}),
    ]
    batch = tmp_path / "three.jsonl"
    batch.write_text("\n".join(lines), encoding="utf-8")
    go_on, stop = f"sqlite:///{tmp_path}/on.db", f"sqlite:///{tmp_path}/stop.db"
    on = closedloop("apply", str(batch), "--store", go_on, cwd=tmp_path)
    stopped = closedloop("apply", str(batch), "--stop-on-error", "--store", stop, cwd=tmp_path)
    assert on.returncode == stopped.returncode == 3
    assert "line 3" in on.stdout
    assert "line 3" not in stopped.stdout
    assert "stopped there (--stop-on-error)" in stopped.stdout
    assert position(go_on) > position(stop) > 0


def test_apply_reads_stdin_and_the_store_from_the_environment(tmp_path: Path) -> None:
    batch = "\n".join(["# from a pipe", *approved_target_lines()]) + "\n"
    done = closedloop("apply", "-", cwd=tmp_path, stdin=batch, store="sqlite:///env.db")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 commands: 3 ok, 0 refused" in done.stdout
    assert position(f"sqlite:///{tmp_path}/env.db") > 0


def test_a_missing_batch_file_is_invalid_input(tmp_path: Path) -> None:
    done = closedloop("apply", "nowhere.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert "cannot read batch file nowhere.jsonl" in done.stderr
    assert not (tmp_path / "closedloop.db").exists()  # nothing opened, nothing created


def test_a_user_mistake_on_the_command_line_exits_2(tmp_path: Path) -> None:
    assert closedloop("show", "target", cwd=tmp_path).returncode == 2  # no ID
    assert closedloop("schema", "plan.aprove", cwd=tmp_path).returncode == 2


def test_an_unreachable_store_exits_7_and_says_so(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/test?connect_timeout=1"
    done = closedloop("list", "targets", "--store", url, cwd=tmp_path)
    assert done.returncode == 7
    assert "store_unavailable" in done.stderr


def test_the_readme_main_job_runs_the_demo(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("closedloop")
    if not script.is_file():
        pytest.skip("the closedloop console script is not installed (pip install -e '.[cli]')")
    args = ("demo", "--store", "sqlite:///demo.db", "--replace")
    for _ in range(2):  # --replace makes it repeatable
        done = closedloop(*args, cwd=tmp_path, script=str(script))
        assert done.returncode == 0, done.stderr
        assert "REV-2026" in done.stdout
        assert "events recorded in sqlite:///demo.db" in done.stdout


def test_import_closedloop_loads_no_cli_or_postgres_packages() -> None:
    heavy = "{'typer', 'rich', 'click', 'psycopg'}"
    check = f"import closedloop, sys; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
