"""What one process writes, a fresh process reads; what one instance writes, another sees."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.target import Target
from tests.cast import LI
from tests.conftest import PG_URL
from tests.scenario import approved_revenue_target

READ = """
import json, sys
from closedloop import ClosedLoop
from closedloop.domain.target import Target
with ClosedLoop(sys.argv[1]) as loop:
    target = loop.reader().get(Target, "REV-2026")
    print(json.dumps({
        "status": target.status,
        "version": target.version,
        "measurements": [str(m.value) for m in target.measurements],
        "position": loop.position(),
    }))
"""

WRITE = """
import sys
from closedloop import Actor, ClosedLoop
li = Actor("li.marketer", "Li", {"marketer"}, superior="chen.head")
with ClosedLoop(sys.argv[1]) as loop:
    loop.execute("target.record_actual", li, {"target": "REV-2026", "value": sys.argv[2],
                 "as_of": "2026-02-28", "source": "written by another process"})
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The stores that outlive a process."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/durable.db"
    return f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"


def in_fresh_process(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def target(loop: ClosedLoop) -> Target:
    return loop.reader().get(Target, "REV-2026")


def values(loop: ClosedLoop) -> list[str]:
    return [str(measurement.value) for measurement in target(loop).measurements]


def record(loop: ClosedLoop, value: str) -> dict[str, Any]:
    return loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": value, "as_of": "2026-01-31", "source": "ERP"},
    )


def test_a_fresh_process_reads_every_event_written_and_closed(
    durable_url: str, clock: FixedClock
) -> None:
    with ClosedLoop(durable_url, clock=clock) as loop:
        approved_revenue_target(loop)
        record(loop, "1000000.50")
        position = loop.position()

    seen = json.loads(in_fresh_process(READ, durable_url))

    assert seen == {
        "status": "approved",
        "version": 4,
        "measurements": ["1000000.50"],
        "position": position,
    }


def test_a_write_by_another_process_is_seen_by_an_open_instance_and_built_upon(
    durable_url: str, clock: FixedClock
) -> None:
    with ClosedLoop(durable_url, clock=clock) as loop:
        approved_revenue_target(loop)
        record(loop, "1")
        assert target(loop).version == 4  # now held in this instance's cache

        in_fresh_process(WRITE, durable_url, "2")

        assert values(loop) == ["1", "2"]
        assert record(loop, "3")["version"] == 6  # on top of the other process's event
    seen = json.loads(in_fresh_process(READ, durable_url))
    assert seen["measurements"] == ["1", "2", "3"]


def test_two_instances_on_one_store_see_each_others_writes(
    durable_url: str, clock: FixedClock
) -> None:
    with (
        ClosedLoop(durable_url, clock=clock) as first,
        ClosedLoop(durable_url, clock=clock) as second,
    ):
        approved_revenue_target(first)
        assert target(second).status == "approved"
        record(second, "10")
        record(first, "20")
        record(second, "30")
        for loop in (first, second):
            assert values(loop) == ["10", "20", "30"]
            assert target(loop).version == 6
