"""``closedloop project``: the projection runner as its own process (L7).

``--once`` catches every view up and exits; ``--follow`` keeps them within a second of
the store until SIGTERM or SIGINT, and exits 0; queries elsewhere still read their own
writes while it runs. On PostgreSQL, API workers and the runner share one schema.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from closedloop import ClosedLoop
from closedloop.adapters.cli.main import app as cli
from closedloop.domain.ids import aggregate_id
from closedloop.projections.audit import entry_key
from closedloop.projections.facts import row_key
from closedloop.projections.views import Views
from tests.adapters.envelopes import TARGET_ARGS
from tests.adapters.http_keys import bearer
from tests.adapters.processes import served, start, stopped, tracked, until
from tests.audit_tamper import history
from tests.cast import CEO
from tests.conftest import PG_URL


def positions(views: Views) -> dict[str, int]:
    return {name: view.position for name, view in tracked(views).items()}


def shows(views: Views, ref: str, position: int) -> Callable[[], bool]:
    """Whether the views, as stored, hold target ``ref`` and the event at ``position``."""
    target = row_key("target", aggregate_id("target", ref))

    def shown() -> bool:
        return (
            views["facts"].get(target) is not None
            and views["audit"].get(entry_key(position)) is not None
        )

    return shown


@pytest.mark.parametrize("workers", ["auto", "2"])
def test_project_once_catches_every_view_up_and_exits(tmp_path: Path, workers: str) -> None:
    url = f"sqlite:///{tmp_path}/once.db"
    with ClosedLoop(url) as loop:
        history(loop, ["approved", "rejected"])
        views = Views(loop.reader().store)
        assert positions(views)["facts"] == 0

        args = ["project", "--once", "--store", url, "--workers", workers]
        done = CliRunner().invoke(cli, args)

        assert done.exit_code == 0, done.output
        assert positions(views) == dict.fromkeys(Views.names(), loop.position())
        assert f"audit at position {loop.position()}" in done.output


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_L7_a_follower_keeps_every_view_within_a_second_and_a_signal_stops_it_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    url = f"sqlite:///{tmp_path}/followed.db"
    with ClosedLoop(url) as loop:
        history(loop, ["draft"])
        views = Views(loop.reader().store)
        follower = start("project", "--follow", "--store", url)
        try:
            until(lambda: min(positions(views).values()) == loop.position(), 60, "caught up")
            history(loop, ["approved"], first=2030)
            took = until(shows(views, "REV-2030", loop.position()), 5, "the follower showing it")
            assert took < 1.0, took
            for number in range(2031, 2036):  # the follower and these queries both catch up
                history(loop, ["submitted"], first=number)
                assert loop.audit_log()[-1]["position"] == loop.position()
                refs = [row["ref"] for row in loop.evaluation("achievement")]
                assert f"REV-{number}" in refs
            assert follower.poll() is None
            follower.send_signal(stop)
            assert follower.wait(timeout=30) == 0
        finally:
            output = stopped(follower)
    assert "Traceback" not in output, output
    assert "following (SIGTERM or Ctrl-C stops)\nstopped at audit at position" in output


@pytest.mark.slow
@pytest.mark.postgres
def test_L7_two_api_workers_and_a_projection_process_on_one_postgresql_schema(
    tmp_path: Path, pg_schema: str
) -> None:
    url = f"{PG_URL}?schema={pg_schema}"
    ClosedLoop(url).close()  # the tables, before three processes race to make them
    follower = start("project", "--follow", "--store", url)
    try:
        with served(url, tmp_path, workers=2) as base, ClosedLoop(url) as loop:
            views = Views(loop.reader().store)
            for number in range(3):  # a few, so that both workers are likely to serve one
                ref = f"HTTP-{number}"
                created = httpx.post(
                    f"{base}/commands/target.create",
                    json={**TARGET_ARGS, "ref": ref},
                    headers=bearer(CEO),
                    timeout=30,
                )
                assert created.status_code == 200, created.text
                took = until(shows(views, ref, loop.position()), 5, f"the runner showing {ref}")
                assert took < 1.0, (ref, took)
            shown = httpx.get(f"{base}/views/achievement", headers=bearer(CEO), timeout=30)
            assert {row["ref"] for row in shown.json()} >= {"HTTP-0", "HTTP-1", "HTTP-2"}
        follower.terminate()
        assert follower.wait(timeout=30) == 0
    finally:
        output = stopped(follower)
    assert "Traceback" not in output, output
