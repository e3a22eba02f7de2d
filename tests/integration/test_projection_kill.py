"""L7 under a fault: ``kill -9`` of the projection process mid-way through a catch-up.

A history of 20,000 events (measurements recorded through the catalogue, a thousand per
transaction) is caught up by ``closedloop project --once`` in its own process, killed once
it has written some pages and before it finishes, then restarted: every view's rows end
exactly equal to a rebuild from scratch, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.projections.views import Views
from tests.adapters.processes import start, stopped, tracked, until
from tests.cast import LI
from tests.conftest import PG_URL
from tests.scenario import approved_revenue_target

pytestmark = pytest.mark.slow

EVENTS = 20_000
TARGETS = 20


def recorded(loop: ClosedLoop) -> None:
    """``TARGETS`` approved targets and ``EVENTS`` measurements of them."""
    for number in range(TARGETS):
        approved_revenue_target(loop, f"REV-{3000 + number}")
    rows = (
        {
            "target": f"REV-{3000 + n % TARGETS}",
            "value": str(1000 + n),
            "as_of": f"2026-01-0{1 + n % 5}",
            "source": "ERP",
        }
        for n in range(EVENTS)
    )
    outcomes = loop.execute_rows("target.record_actual", LI, rows, batch_size=1000)
    assert [outcome.error for outcome in outcomes if outcome.error] == []


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_L7_a_projection_process_killed_mid_catch_up_resumes_equal_to_a_rebuild(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/killed.db"
    else:
        url = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        recorded(loop)
        last = loop.position()
        views = tracked(Views(loop.reader().store))

        def reached() -> dict[str, int]:
            return {name: view.position for name, view in views.items()}

        runner = start("project", "--once", "--store", url)
        until(lambda: sum(reached().values()) > 0, 120, "the runner writing its first page")
        runner.send_signal(signal.SIGKILL)
        assert runner.wait(timeout=30) == -signal.SIGKILL
        killed_at = reached()
        assert min(killed_at.values()) < last, killed_at  # mid-way: not every view was done

        rerun = start("project", "--once", "--store", url)
        assert rerun.wait(timeout=300) == 0, stopped(rerun)
        assert reached() == dict.fromkeys(views, last)
        resumed = {name: dict(view.scan()) for name, view in views.items()}
        assert resumed["audit"]["head"]["count"] == len(
            loop.reader().store.recorder.select_notifications(start=None, limit=10 * EVENTS)
        )

        loop.rebuild()

        assert {name: dict(view.scan()) for name, view in views.items()} == resumed
