"""PostgreSQL stops while a command is in flight: the caller gets a clear error, nothing is
half-written, and once the server is back the same ``ClosedLoop`` (and HTTP app) serves
the next command without being restarted.

The server stopped is a private cluster (``initdb`` in a temporary folder, a free port),
never the shared one on 5432. The command is caught inside its transaction: its events
are inserted and the table locked, not yet committed, when ``pg_ctl stop -m immediate``
kills the server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from closedloop import Batching, ClosedLoop, StoreUnavailable
from closedloop.domain.target import Target
from tests.adapters.envelopes import TARGET_ARGS
from tests.adapters.http_keys import bearer, keyring
from tests.cast import CEO
from tests.scenario import approved_revenue_target, draft_revenue_target

BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.slow


class Cluster:
    """A PostgreSQL cluster of this test's own, run as the ``postgres`` user."""

    def __init__(self, folder: Path, port: int) -> None:
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.socket_dir = folder
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres?connect_timeout=1"

    def _pg_ctl(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D", str(self.data)]
        subprocess.run([*command, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        initdb = [str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *initdb, "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        """Kill the server at once, as a crash or a pulled cable would (``-m immediate``)."""
        self._pg_ctl("-m", "immediate", "-w", "stop")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "a private PostgreSQL cluster is run through runuser, which needs root"
    if not (BIN / "initdb").is_file() or shutil.which("runuser") is None:
        return f"no PostgreSQL 15 binaries in {BIN}, or no runuser"
    try:
        pwd.getpwnam("postgres")
        import psycopg  # noqa: F401
    except (KeyError, ImportError) as missing:
        return f"needs the postgres user and psycopg ({missing})"
    return None


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    reason = _why_not()
    if reason is not None:
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="closedloop-pg-"))
    user = pwd.getpwnam("postgres")
    os.chown(folder, user.pw_uid, user.pw_gid)
    server = Cluster(folder, _free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def stopping_inside_the_transaction(
    loop: ClosedLoop, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """Make the next save stop the server after its inserts, before its commit; returns
    the events each caught save had inserted."""
    recorder = loop._store.recorder
    original: Callable[..., Any] = recorder._fetch_ids_after_insert_events  # type: ignore[attr-defined]
    caught: list[int] = []

    def fetch_then_crash(curs: Any, stored_events: Any, **kwargs: Any) -> Any:
        ids = original(curs, stored_events, **kwargs)
        if not caught:
            caught.append(len(stored_events))
            cluster.stop()
        return ids

    monkeypatch.setattr(recorder, "_fetch_ids_after_insert_events", fetch_then_crash)
    return caught


def opened(cluster: Cluster, name: str, batching: Batching | None) -> ClosedLoop:
    """A ``ClosedLoop`` on a fresh schema ``name`` of the private cluster."""
    import psycopg

    dsn = f"host=127.0.0.1 port={cluster.port} dbname=postgres user=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
    return ClosedLoop(f"{cluster.url}&schema={name}", group_commit=batching)


@pytest.fixture(params=[False, True], ids=["one-per-command", "group-commit"])
def loop(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[ClosedLoop]:
    with opened(cluster, f"fault_{request.param:d}", Batching() if request.param else None) as it:
        yield it


def test_postgres_stopping_mid_command_is_a_clear_error_and_nothing_is_half_written(
    loop: ClosedLoop, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(loop)
    before = events(loop)
    caught = stopping_inside_the_transaction(loop, cluster, monkeypatch)

    with pytest.raises(StoreUnavailable, match="the store failed") as error:
        draft_revenue_target(loop, "LOST")  # its created event and its listing event

    assert caught == [2]  # both events were inserted when the server died
    assert "Traceback" not in str(error.value)
    monkeypatch.undo()
    cluster.start()
    assert events(loop) == before  # none of the two was kept, and the chain verifies
    assert [t.ref for t in loop.reader().all(Target)] == ["REV-2026"]
    assert draft_revenue_target(loop, "LOST")["version"] == 1  # the same loop serves again
    assert events(loop) == before + 2


def events(loop: ClosedLoop) -> int:
    """How many events the store holds (positions may skip after a crash: sequences do),
    counted by verifying the audit chain over all of them (L8)."""
    verified = loop.audit_verify()
    assert verified["verified"] is True
    return int(verified["count"])


def test_over_http_postgres_stopping_mid_command_is_a_503_and_the_app_serves_again(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from closedloop.adapters.http.app import create_app

    with opened(cluster, "fault_http", Batching()) as loop:
        client = TestClient(create_app(loop, keyring()), raise_server_exceptions=False)
        before = events(loop)
        stopping_inside_the_transaction(loop, cluster, monkeypatch)

        refused = client.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))

        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "store_unavailable"
        assert "Traceback" not in refused.text
        monkeypatch.undo()
        cluster.start()
        assert events(loop) == before
        created = client.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))
        assert created.status_code == 200, created.text
        assert events(loop) == before + 2
