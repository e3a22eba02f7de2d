"""Evaluation views, the closure certificate and the audit trail over HTTP.

The answers are ``ClosedLoop``'s and the CLI's; an auditor reads them all and writes nothing
(R-G2); a certificate of a period with open loops is refused with R-E4 and the loops named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from closedloop import ClosedLoop, FixedClock, Policy
from closedloop.adapters.cli.main import DEMO_START
from closedloop.adapters.cli.main import app as cli
from closedloop.adapters.demo import run_demo
from closedloop.adapters.http.app import create_app
from closedloop.adapters.jsonable import jsonable
from tests.adapters.http_keys import bearer, keyring
from tests.audit_tamper import history, sqlite_modify
from tests.cast import AUDITOR, LI

#: The demo's Q2 finding is still being rectified then (see test_evaluation_views.py).
BEFORE_Q2_CLOSED = "2026-07-09T00:00:00Z"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ClosedLoop]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('http-views')}/demo.db"
    clock = FixedClock(DEMO_START)
    with ClosedLoop(url, clock=clock) as loop:
        run_demo(loop, clock)
        yield url, loop


@pytest.fixture(scope="module")
def http(demo: tuple[str, ClosedLoop]) -> Iterator[TestClient]:
    with TestClient(create_app(demo[1], keyring())) as client:
        yield client


def get(http: TestClient, path: str, **params: Any) -> Any:
    response = http.get(path, params=params, headers=bearer(AUDITOR))
    assert response.status_code == 200, response.json()
    return response.json()


def test_every_evaluation_view_answers_as_closedloop_and_the_cli_do(
    http: TestClient, demo: tuple[str, ClosedLoop]
) -> None:
    url, loop = demo
    assert get(http, "/views") == loop.evaluations()
    for name in loop.evaluations():
        for params in [{}, {"period": "2026-Q2", "scope": "company"}]:
            served = get(http, f"/views/{name}", **params)
            assert served == jsonable(loop.evaluation(name, **params)), (name, params)
    # The CLI judges on the system clock's day: so does this app.
    with ClosedLoop(url) as today, TestClient(create_app(today, keyring())) as served_today:
        for name in loop.evaluations():
            options = ["--period", "2026-Q2", "--scope", "company", "--store", url, "--json"]
            printed = CliRunner().invoke(cli, ["view", name, *options])
            assert printed.exit_code == 0, printed.output
            answer = get(served_today, f"/views/{name}", period="2026-Q2", scope="company")
            assert json.loads(printed.stdout) == answer, name


def test_a_view_as_of_a_time_or_a_store_position_is_the_replay_up_to_then(
    http: TestClient, demo: tuple[str, ClosedLoop]
) -> None:
    _, loop = demo
    then = get(http, "/views/loop-health", period="2026-Q2", as_of=BEFORE_Q2_CLOSED)
    assert [row["stage"] for row in then["loops"]] == ["rectifying", "waived"]
    at_100 = get(http, "/views/achievement", as_of="100")
    assert at_100 == jsonable(loop.evaluation("achievement", as_of=100))


@pytest.mark.parametrize(
    ("path", "params", "problem"),
    [
        ("/views/achievement", {"period": "2026-Q5"}, "2026-Q5"),
        ("/views/achievement", {"scope": "galaxy"}, "company, team or person"),
        ("/views/plans", {"as_of": "yesterday"}, "neither a version"),
        ("/certificates/someday", {}, "someday"),
    ],
)
def test_a_bad_period_scope_or_as_of_is_422(
    http: TestClient, path: str, params: dict[str, str], problem: str
) -> None:
    response = http.get(path, params=params, headers=bearer(LI))
    assert response.status_code == 422
    assert problem in response.json()["message"]


def test_an_unknown_view_is_404(http: TestClient) -> None:
    response = http.get("/views/happiness", headers=bearer(LI))
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_R_E4_a_certificate_is_served_for_a_closed_period_and_refused_with_its_open_loops(
    http: TestClient, demo: tuple[str, ClosedLoop]
) -> None:
    _, loop = demo
    certificate = get(http, "/certificates/2026-Q2")
    assert certificate == jsonable(loop.closure_certificate("2026-Q2"))
    digest = get(http, "/audit/digest")
    assert certificate["audit_head"] == {key: digest[key] for key in ("count", "position", "hash")}
    refused = http.get(
        "/certificates/2026-Q2", params={"as_of": BEFORE_Q2_CLOSED}, headers=bearer(AUDITOR)
    )
    assert refused.status_code == 400
    body = refused.json()
    assert (body["error"], body["rule"]) == ("rule_violation", "R-E4")
    assert "2026-Q2 is not closed: 1 open" in body["message"]
    assert "is rectifying" in body["message"]


# --- the audit trail ---------------------------------------------------------------------------


def test_the_audit_log_filters_as_closedloop_does_and_pages_by_position(
    http: TestClient, demo: tuple[str, ClosedLoop]
) -> None:
    _, loop = demo
    approver = loop.audit_log(event_type="Approved")[0]["actor"]
    filters = {"actor": approver, "type": "Approved", "since": "2026-01-01T00:00:00"}
    expected = loop.audit_log(
        actor=approver, event_type="Approved", since=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert len(expected) > 2  # more than a page
    pages, after = [], 0
    while True:
        page = get(http, "/audit/log", **filters, after=after, limit=2)
        if not page["entries"]:
            assert page["next_after"] == after
            break
        assert len(page["entries"]) <= 2
        pages += page["entries"]
        after = page["next_after"]
        assert after == page["entries"][-1]["position"]
    assert pages == jsonable(expected)
    one = get(http, "/audit/log", aggregate="REV-2026", limit=1000)["entries"]
    assert one == jsonable(loop.audit_log(aggregate="REV-2026"))


def test_the_audit_digest_is_the_chains_head(
    http: TestClient, demo: tuple[str, ClosedLoop]
) -> None:
    _, loop = demo
    assert get(http, "/audit/digest") == loop.audit_digest()
    assert get(http, "/audit/digest")["position"] == loop.position()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "1001"}, "query.limit"),
        ({"after": "-1"}, "query.after"),
        ({"since": "soon"}, "since 'soon' is not an ISO time"),
    ],
)
def test_bad_audit_log_parameters_are_422(
    http: TestClient, params: dict[str, str], field: str
) -> None:
    response = http.get("/audit/log", params=params, headers=bearer(AUDITOR))
    assert response.status_code == 422
    assert field in response.json()["message"]


def test_L8_verify_status_is_ok_or_names_the_first_position_affected(tmp_path: Path) -> None:
    path = tmp_path / "tampered.db"
    with ClosedLoop(f"sqlite:///{path}") as loop, TestClient(create_app(loop, keyring())) as http:
        history(loop, ["approved", "draft"])
        ok = get(http, "/audit/verify")
        head = loop.audit_digest()
        assert ok == {
            "ok": True,
            "message": None,
            **{k: head[k] for k in ("count", "position", "hash")},
        }
        first = sqlite_modify(str(path), 5)
        broken = get(http, "/audit/verify")
    assert (broken["ok"], broken["position"]) == (False, first)
    assert broken["message"].startswith(f"L8: position {first}: ")


# --- roles -------------------------------------------------------------------------------------

READS = ["/views", "/views/achievement", "/certificates/2026-Q2", "/audit/log", "/audit/digest"]
READS += ["/audit/verify", "/events"]


def test_R_G2_the_auditor_reads_views_certificates_the_audit_trail_and_the_feed(
    http: TestClient,
) -> None:
    for path in READS:
        assert http.get(path, headers=bearer(AUDITOR)).status_code == 200, path
        assert http.get(path).status_code == 401, path


def test_R_G2_without_read_no_view_audit_or_feed_route_answers(
    demo: tuple[str, ClosedLoop],
) -> None:
    policy = Policy.from_mapping({"roles": {"auditor": []}})
    with (
        ClosedLoop(demo[0], policy=policy) as loop,
        TestClient(create_app(loop, keyring())) as http,
    ):
        for path in READS:
            response = http.get(path, headers=bearer(AUDITOR))
            assert response.status_code == 403, path
            assert "R-G2" in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["/audit/log?type=Approved&type=Created", "/events?after=1&after=2"]
)
def test_a_query_parameter_given_twice_is_422_not_one_value_silently_kept(
    http: TestClient, path: str
) -> None:
    response = http.get(path, headers=bearer(AUDITOR))
    assert response.status_code == 422
    assert "query parameters given more than once" in response.json()["message"]
