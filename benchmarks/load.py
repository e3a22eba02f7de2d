"""Load over HTTP: ``closedloop serve --workers N`` under concurrent clients, then a check
that no update was lost.

For each configuration (1, 2 and 4 worker processes with group commit, and 1 worker
without it: one transaction per command) a fresh store is set up (PostgreSQL: a new
schema at 127.0.0.1:5432, dropped afterwards; or a SQLite file) with each client's own
target, running activity and customer plus one target every client contends for; then
``closedloop serve`` runs in a subprocess on the loopback interface and ``--clients``
threads, each with one keep-alive connection (``http.client``: a lean client, so the
measuring apparatus leaves the CPU to the server), issue a realistic mix for ``--seconds``
(at most ``--requests`` each): records of actuals, expenses (with an
``Idempotency-Key``), purchases, target creations and approvals, read-then-write on the
shared target with ``expected_version`` (a 409 when another client moved it first), and
reads.

Afterwards, with the server stopped, every accepted command's effect must be in the store
exactly once (each target's actuals, each activity's spend, each customer's purchases, each
created target and its status), no refused command's, every conflict must have reached its
client as a 409, no request may have got a 5xx, the audit chain must verify and every
evaluation view must equal its rebuild from the whole history. Raw ``eventsourcing`` (one
command per transaction, one thread: ``benchmarks/commands.py``'s raw side) is measured on
the same kind of store in the same run (before and after the rest: the mean is the
baseline), and every rate is also given as its multiple.
Group commit's goal: at 16 clients, ≥ 5× the throughput without it.

    python benchmarks/load.py [--seconds 60] [--clients 16] [--workers 1,2,4]
                              [--store postgres|sqlite] [--requests 100000] [--raw-seconds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from commands import raw_side
from stores import fresh_store, postgres_missing
from table import print_table

from closedloop import Actor, ClosedLoop, NotFound
from closedloop.adapters.http.keys import hash_key

GOAL = 5.0
CEO = Actor("ceo", "CEO", {"leadership"})
CFO = Actor("cfo", "CFO", {"leadership"})
HEAD = Actor("head", "Head of marketing", {"manager"}, superior="ceo")
LI = Actor("li", "Li", {"marketer"}, superior="head")
CAST = (CEO, CFO, HEAD, LI)
HOT = "HOT"
#: The mix: each client draws its next operation with these weights.
MIX = {
    "record": 25,
    "expense": 20,
    "purchase": 15,
    "hot": 10,
    "create": 8,
    "approve": 4,
    "register": 3,
    "read": 15,
}


def key_of(actor: Actor) -> str:
    return f"load-benchmark-key-{actor.id}"


def auth_toml() -> str:
    blocks = []
    for actor in CAST:
        roles = ", ".join(f'"{role}"' for role in sorted(actor.roles))
        superior = f'superior = "{actor.superior}"\n' if actor.superior else ""
        blocks.append(
            f'[[keys]]\nsha256 = "{hash_key(key_of(actor))}"\nid = "{actor.id}"\n'
            f'name = "{actor.name}"\nroles = [{roles}]\n{superior}'
        )
    return "\n".join(blocks)


# --- setting up a store ------------------------------------------------------------------------


def approved_target(loop: ClosedLoop, ref: str) -> None:
    loop.execute("target.create", CEO, target_args(ref))
    loop.execute("target.submit", HEAD, {"target": ref})
    loop.execute("target.approve", CFO, {"target": ref})


def target_args(ref: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "metric": "revenue",
        "unit": "CNY",
        "period": "2026",
        "value": "12000000",
        "owner": HEAD.id,
        "basis": "load benchmark",
    }


def running_activity(loop: ClosedLoop, ref: str) -> None:
    today = dt.date.today()
    start, end = str(today - dt.timedelta(days=1)), str(today + dt.timedelta(days=30))
    args = {
        "ref": ref,
        "kind": "market_event",
        "theme": "Load fair",
        "start": start,
        "end": end,
        "objectives": [{"name": "leads", "metric": "leads", "target": "300", "unit": "leads"}],
        "target_customers": ["core"],
        "channels": ["store"],
        "place": "flagship store",
        "content": "春季家居新品发布会:到店体验全屋定制方案。",
        "promotion_plan": "10 % off",
        "budget_lines": [{"category": "media", "amount": "100000000 CNY"}],
    }
    loop.execute("activity.create", LI, args)
    loop.execute("activity.propose", LI, {"activity": ref})
    loop.execute("activity.review", HEAD, {"activity": ref})
    loop.execute("activity.approve", CFO, {"activity": ref})
    steps = [{"what": "run it", "owner": LI.id, "start": start, "due": end}]
    loop.execute("activity.submit_execution_plan", LI, {"activity": ref, "steps": steps})
    loop.execute("activity.approve_execution_plan", HEAD, {"activity": ref})
    loop.execute("activity.prepare", LI, {"activity": ref})
    loop.execute("activity.start", LI, {"activity": ref})


def customer_args(ref: str) -> dict[str, Any]:
    return {"ref": ref, "name": "张伟", "phone": "13800138000", "source": "load benchmark"}


def set_up(url: str, clients: int) -> None:
    with ClosedLoop(url) as loop:
        approved_target(loop, HOT)
        for client in range(clients):
            approved_target(loop, f"T-{client}")
            running_activity(loop, f"A-{client}")
            loop.execute("customer.register", LI, customer_args(f"C-{client}"))


# --- one client --------------------------------------------------------------------------------


@dataclass
class Response:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Http:
    """HTTP/1.1 on one keep-alive connection with the standard library's ``http.client``.

    The clients are measuring apparatus on the same two cores as the server: ``httpx``
    cost about 1 ms of CPU per request here, this a fraction of that. Each request goes
    out in one write (headers and body together), so no delayed ACK stalls it.
    """

    def __init__(self, base: str, timeout: float = 60) -> None:
        url = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=timeout)

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()

    def get(self, path: str, headers: dict[str, str]) -> Response:
        return self.request("GET", path, headers)

    def post(
        self,
        path: str,
        json: Any,
        headers: dict[str, str],
        params: dict[str, Any] | None = None,
    ) -> Response:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return self.request("POST", path + query, headers, json)

    def request(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> Response:
        data = None if body is None else json.dumps(body).encode("utf-8")
        if data is not None:
            headers = {**headers, "Content-Type": "application/json"}
        self.connection.request(method, path, body=data, headers=headers)
        reply = self.connection.getresponse()
        return Response(reply.status, reply.read())


@dataclass
class Client:
    """One client's requests and what the store must hold because of them."""

    number: int
    base: str
    deadline: float
    requests: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    recorded: list[str] = field(default_factory=list)
    hot: list[str] = field(default_factory=list)
    hot_refused: list[str] = field(default_factory=list)
    expenses: int = 0
    purchases: int = 0
    created: dict[str, str] = field(default_factory=dict)  # ref -> status expected
    refused_creations: list[str] = field(default_factory=list)
    refused_registrations: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    writes: int = 0

    def run(self) -> None:
        rng = random.Random(self.number)
        operations, weights = list(MIX), list(MIX.values())
        with Http(self.base) as connection:
            self.http = connection
            for n in range(self.requests):
                if time.monotonic() >= self.deadline:
                    return
                getattr(self, f"_{rng.choices(operations, weights)[0]}")(n)

    def _send(self, actor: Actor, command: str, body: dict[str, Any], **options: Any) -> Response:
        started = time.perf_counter()
        response = self.http.post(
            f"/commands/{command}",
            json=body,
            headers={"X-API-Key": key_of(actor), **options.pop("headers", {})},
            **options,
        )
        self.latencies.append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1
        self.writes += 1
        return response

    def _accepted(self, response: Response, what: str) -> bool:
        if response.status_code == 200:
            return True
        self.unexpected.append(f"{what}: {response.status_code} {response.text[:200]}")
        return False

    def _record(self, n: int) -> None:
        value = f"{self.number}{n:06d}"
        body = {"target": f"T-{self.number}", "value": value, "as_of": "2026-01-31", "source": "x"}
        if self._accepted(self._send(LI, "target.record_actual", body), "record"):
            self.recorded.append(value)

    def _hot(self, n: int) -> None:
        """Read, then write on what was read: a 409 when another client wrote in between."""
        seen = self._get(f"/targets/{HOT}")["version"]
        value = f"{self.number}{n:06d}"
        body = {"target": HOT, "value": value, "as_of": "2026-01-31", "source": "x"}
        response = self._send(LI, "target.record_actual", body, params={"expected_version": seen})
        if response.status_code == 409:
            self.hot_refused.append(value)
        elif self._accepted(response, "hot"):
            self.hot.append(value)

    def _expense(self, n: int) -> None:
        body = {
            "activity": f"A-{self.number}",
            "receipt": f"R-{self.number}-{n}",
            "amount": "1 CNY",
            "category": "media",
        }
        key = {"Idempotency-Key": f"expense-{self.number}-{n}"}
        if self._accepted(self._send(LI, "activity.record_expense", body, headers=key), "expense"):
            self.expenses += 1

    def _purchase(self, n: int) -> None:
        body = {
            "customer": f"C-{self.number}",
            "order": f"O-{self.number}-{n}",
            "amount": "100 CNY",
        }
        if self._accepted(self._send(LI, "customer.record_purchase", body), "purchase"):
            self.purchases += 1

    def _create(self, n: int) -> None:
        """A creation appends to the one listing of targets: it may lose that race too
        often, and then the client is told (409) and the target must not exist."""
        ref = f"N-{self.number}-{n}"
        response = self._send(CEO, "target.create", target_args(ref))
        if response.status_code == 409:
            self.refused_creations.append(ref)
        elif self._accepted(response, "create"):
            self.created[ref] = "draft"

    def _approve(self, n: int) -> None:
        drafts = [ref for ref, status in self.created.items() if status == "draft"]
        if not drafts:
            return self._create(n)
        ref = drafts[0]
        if self._accepted(self._send(HEAD, "target.submit", {"target": ref}), "submit"):
            self.created[ref] = "submitted"
            if self._accepted(self._send(CFO, "target.approve", {"target": ref}), "approve"):
                self.created[ref] = "approved"
        return None

    def _register(self, n: int) -> None:
        """Like a target's creation, a registration appends to its kind's listing."""
        ref = f"CN-{self.number}-{n}"
        response = self._send(LI, "customer.register", customer_args(ref))
        if response.status_code == 409:
            self.refused_registrations.append(ref)
        elif self._accepted(response, "register"):
            self.registered.append(ref)

    def _read(self, n: int) -> None:
        kind, ref = random.Random(n).choice(
            [("targets", f"T-{self.number}"), ("activities", f"A-{self.number}")]
        )
        self._get(f"/{kind}/{ref}")

    def _get(self, path: str) -> Any:
        response = self.http.get(path, headers={"X-API-Key": key_of(LI)})
        self.statuses[response.status_code] += 1
        if response.status_code != 200:
            self.unexpected.append(f"GET {path}: {response.status_code} {response.text[:200]}")
            return {"version": 0}
        return response.json()


# --- one configuration ----------------------------------------------------------------------


@dataclass
class Run:
    workers: int
    group_commit: bool
    seconds: float
    clients: list[Client]
    problems: list[str]
    #: The server's CPU seconds (every worker) while the clients ran; None without /proc.
    cpu: float | None = None

    @property
    def cpu_per_command(self) -> float | None:
        return None if self.cpu is None or not self.writes else self.cpu / self.writes

    @property
    def writes(self) -> int:
        return sum(client.writes for client in self.clients)

    @property
    def rate(self) -> float:
        return self.writes / self.seconds

    def percentile(self, p: float) -> float:
        latencies = sorted(t for client in self.clients for t in client.latencies)
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    @property
    def conflicts(self) -> int:
        return sum(
            len(c.hot_refused) + len(c.refused_creations) + len(c.refused_registrations)
            for c in self.clients
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(url: str, workers: int, group_commit: bool, folder: Path) -> Iterator[tuple[str, int]]:
    """``closedloop serve`` on a free loopback port until the block ends; its base URL and
    process id."""
    auth = folder / "auth.toml"
    auth.write_text(auth_toml(), encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "closedloop.adapters.cli.main", "serve"]
    command += ["--port", str(port), "--store", url, "--auth", str(auth)]
    command += [
        "--workers",
        str(workers),
        "--group-commit" if group_commit else "--no-group-commit",
        "--no-access-log",  # a line per request costs the worker CPU; errors are still logged
    ]
    log = (folder / f"serve-{workers}-{group_commit}.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while True:
            try:
                with Http(base, timeout=2) as probe:
                    probe.get("/commands", headers={"X-API-Key": key_of(LI)})
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 60:
                    raise SystemExit(f"the server did not start: see {log.name}") from None
                time.sleep(0.2)
        time.sleep(0.5 * workers)  # every worker up, not only the first
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def run(
    url: str, workers: int, group_commit: bool, clients: int, seconds: float, requests: int
) -> Run:
    set_up(url, clients)
    with (
        tempfile.TemporaryDirectory() as folder,
        serving(url, workers, group_commit, Path(folder)) as (base, pid),
    ):
        deadline = time.monotonic() + seconds
        crowd = [Client(n, base, deadline, requests) for n in range(clients)]
        threads = [threading.Thread(target=client.run) for client in crowd]
        cpu_before, began = cpu_seconds(pid), time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spent, cpu_after = time.perf_counter() - began, cpu_seconds(pid)
        log = next(Path(folder).glob("serve-*.log")).read_text(encoding="utf-8")
    problems = check(url, crowd)
    if "Traceback" in log:
        problems.append("the server logged a traceback")
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Run(workers, group_commit, spent, crowd, problems, cpu)


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU of process ``pid`` and its children (the server's workers), from
    Linux's ``/proc``; None where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    theirs = [cpu_seconds(int(child)) for child in children]
    return own + sum(t for t in theirs if t is not None)


def check(url: str, crowd: list[Client]) -> list[str]:
    """What the store must hold after the run; each difference, in words."""
    problems = [f"client {c.number}: {u}" for c in crowd for u in c.unexpected[:3]]
    statuses: Counter[int] = sum((c.statuses for c in crowd), Counter())
    if any(status >= 500 for status in statuses):
        problems.append(f"server errors: {dict(statuses)}")
    with ClosedLoop(url) as loop:
        for c in crowd:
            target = loop.target(f"T-{c.number}")
            got = sorted(str(m["value"]) for m in target["measurements"])
            if got != sorted(str(Decimal(v)) for v in c.recorded):
                problems.append(f"T-{c.number}: {len(got)} actuals for {len(c.recorded)} accepted")
            spend = loop.activity(f"A-{c.number}")["spend"]["amount"]
            if spend != c.expenses:
                problems.append(f"A-{c.number}: spend {spend} for {c.expenses} accepted expenses")
            purchases = loop.customer(f"C-{c.number}")["purchases"]
            if purchases != c.purchases:
                problems.append(f"C-{c.number}: {purchases} purchases for {c.purchases} accepted")
            for ref, status in c.created.items():
                if loop.target(ref)["status"] != status:
                    problems.append(f"{ref}: not {status}")
            for ref in c.registered:
                loop.customer(ref)
            for ref in c.refused_registrations:
                with contextlib.suppress(NotFound):
                    loop.customer(ref)
                    problems.append(f"{ref}: registered, though its client was told 409")
        hot = sorted(str(m["value"]) for m in loop.target(HOT)["measurements"])
        accepted = sorted(str(Decimal(v)) for c in crowd for v in c.hot)
        if hot != accepted:
            problems.append(f"{HOT}: {len(hot)} actuals for {len(accepted)} accepted")
        refused = {str(Decimal(v)) for c in crowd for v in c.hot_refused}
        if refused & set(hot):
            problems.append(f"{HOT}: a command answered 409 was recorded")
        listed = {t["ref"] for t in loop.targets()}
        missing = {ref for c in crowd for ref in c.created} - listed
        if missing:
            problems.append(f"created targets missing from the listing: {sorted(missing)[:5]}")
        if listed & {ref for c in crowd for ref in c.refused_creations}:
            problems.append("a creation answered 409 was recorded")
        loop.audit_verify()
        live = {name: loop.evaluation(name) for name in loop.evaluations()}
        loop.rebuild()
        rebuilt = {name: loop.evaluation(name) for name in loop.evaluations()}
        problems += [f"view {n} differs from its rebuild" for n in live if live[n] != rebuilt[n]]
    return problems


# --- in process: the store's own limit, without HTTP ---------------------------------------


@dataclass
class Threads:
    group_commit: bool
    rate: float
    latencies: list[float]
    problems: list[str]
    #: This process's CPU seconds while the threads ran.
    cpu: float

    @property
    def cpu_per_command(self) -> float:
        return self.cpu / len(self.latencies) if self.latencies else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def in_process(url: str, threads: int, seconds: float, group_commit: bool) -> Threads:
    """``threads`` threads of one ``ClosedLoop`` recording actuals on targets of their own:
    what the store takes when HTTP's own cost is out of the way."""
    set_up(url, threads)
    accepted: list[list[str]] = [[] for _ in range(threads)]
    latencies: list[float] = []
    with ClosedLoop(url, group_commit=group_commit) as loop:
        deadline = time.monotonic() + seconds

        def writer(number: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                n += 1
                value = f"{number}{n:06d}"
                args = {"target": f"T-{number}", "value": value, "as_of": "2026-01-31"}
                started = time.perf_counter()
                loop.execute("target.record_actual", LI, {**args, "source": "x"})
                latencies.append(time.perf_counter() - started)
                accepted[number].append(value)

        crowd = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
        cpu_before, began = time.process_time(), time.perf_counter()
        for thread in crowd:
            thread.start()
        for thread in crowd:
            thread.join()
        spent, cpu = time.perf_counter() - began, time.process_time() - cpu_before
        problems = []
        for number, values in enumerate(accepted):
            got = sorted(str(m["value"]) for m in loop.target(f"T-{number}")["measurements"])
            if got != sorted(str(Decimal(v)) for v in values):
                problems.append(f"T-{number}: {len(got)} actuals for {len(values)} accepted")
    return Threads(group_commit, len(latencies) / spent, latencies, problems, cpu)


# --- raw eventsourcing, stores ------------------------------------------------------------------


def raw_rate(url: str, seconds: float) -> float:
    command, close = raw_side(url, 50)
    done, began = 0, time.perf_counter()
    try:
        while time.perf_counter() - began < seconds:
            done += 1
            command(done)
        return done / (time.perf_counter() - began)
    finally:
        close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="per configuration")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, with group commit")
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--requests", type=int, default=100_000, help="at most, per client")
    parser.add_argument("--raw-seconds", type=float, default=5)
    parser.add_argument(
        "--no-comparison", action="store_true", help="skip 1 worker without group commit"
    )
    options = parser.parse_args()
    if options.store == "postgres" and (reason := postgres_missing()):
        raise SystemExit(f"postgres: {reason}")
    configurations = [(int(w), True) for w in options.workers.split(",")]
    if not options.no_comparison:
        configurations.append((1, False))
    with fresh_store(options.store) as url:
        raw_before = raw_rate(url, options.raw_seconds)
    local = []
    for group_commit in (False, True):
        with fresh_store(options.store) as url:
            local.append(in_process(url, options.clients, options.seconds / 2, group_commit))
    runs = []
    for workers, group_commit in configurations:
        with fresh_store(options.store) as url:
            runs.append(
                run(url, workers, group_commit, options.clients, options.seconds, options.requests)
            )
    with fresh_store(options.store) as url:
        raw_after = raw_rate(url, options.raw_seconds)
    report(options, (raw_before + raw_after) / 2, runs, local)
    print(f"raw eventsourcing before the runs {raw_before:,.0f} cmd/s, after {raw_after:,.0f}")
    if any(r.problems for r in [*runs, *local]):
        sys.exit(1)


def report(options: argparse.Namespace, raw: float, runs: list[Run], local: list[Threads]) -> None:
    rows = [
        [
            str(r.workers),
            "on" if r.group_commit else "off",
            str(options.clients),
            f"{r.writes:,}",
            f"{r.rate:,.0f}",
            f"{r.rate / raw:.2f}×",
            f"{1000 * r.percentile(0.5):.1f}",
            f"{1000 * r.percentile(0.99):.1f}",
            "–" if r.cpu_per_command is None else f"{1000 * r.cpu_per_command:.2f}",
            f"{r.conflicts:,}",
            "none lost" if not r.problems else f"{len(r.problems)} problems",
        ]
        for r in runs
    ]
    header = ["workers", "group commit", "clients", "commands", "cmd/s", "× raw"]
    header += ["p50 ms", "p99 ms", "server CPU ms/cmd", "409s", "check"]
    print_table(
        f"closedloop serve on {options.store}, {options.seconds:g} s per row "
        f"(raw eventsourcing, one thread: {raw:,.0f} cmd/s)",
        header,
        rows,
    )
    rows = [
        [
            "on" if t.group_commit else "off",
            str(options.clients),
            f"{len(t.latencies):,}",
            f"{t.rate:,.0f}",
            f"{t.rate / raw:.2f}×",
            f"{1000 * t.percentile(0.5):.1f}",
            f"{1000 * t.percentile(0.99):.1f}",
            f"{1000 * t.cpu_per_command:.2f}",
            "none lost" if not t.problems else f"{len(t.problems)} problems",
        ]
        for t in local
    ]
    header = ["group commit", "threads", "commands", "cmd/s", "× raw", "p50 ms", "p99 ms"]
    header += ["CPU ms/cmd", "check"]
    print_table(
        f"in process on {options.store}, {options.seconds / 2:g} s per row: "
        "ClosedLoop.execute from threads (target.record_actual)",
        header,
        rows,
    )
    gain = local[1].rate / local[0].rate
    print(f"group commit in process at {options.clients} threads: {gain:.2f}× without it")
    print(ceiling("in process", local[1].cpu_per_command, local[0].rate))
    for t in local:
        for problem in t.problems[:10]:
            print(f"in process, group commit {t.group_commit}: {problem}")
    on = next((r for r in runs if r.workers == 1 and r.group_commit), None)
    off = next((r for r in runs if not r.group_commit), None)
    if on is not None and off is not None:
        gain = on.rate / off.rate
        verdict = "met" if gain >= GOAL else "not met"
        print(
            f"group commit over HTTP at {options.clients} clients, 1 worker: {gain:.2f}× "
            f"without it "
            f"(goal ≥ {GOAL:g}×: {verdict})"
        )
        if on.cpu_per_command is not None:
            print(ceiling("over HTTP, 1 worker", on.cpu_per_command, off.rate))
    for r in runs:
        for problem in r.problems[:10]:
            print(f"workers {r.workers}, group commit {r.group_commit}: {problem}")
    print("absolute rates move with the machine's load: compare the × raw column")


def ceiling(where: str, cpu_per_command: float, without: float) -> str:
    """What one process's CPU allows with group commit (one GIL: one core's worth), against
    the rate without it: the most the ratio can be, however large the batches."""
    if not cpu_per_command or not without:
        return f"{where}: no CPU figure"
    most = 1 / cpu_per_command
    return (
        f"{where}: {1000 * cpu_per_command:.2f} ms of CPU per grouped command, so at most "
        f"{most:,.0f} cmd/s on one core: {most / without:.2f}× the {without:,.0f} without it"
    )


if __name__ == "__main__":
    main()
