"""The HTTP adapter: every command a POST, every query a GET, keys, one error mapping.

Statuses: 400 rule violation, 401 no or unknown key, 403 not authorised (R-G2), 404 not
found, 409 conflict, 422 invalid input, 503 store unavailable; never a 500 for a client's
mistake.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from closedloop import ClosedLoop, FixedClock, InvalidInput, Policy
from closedloop.adapters.batch import apply_batch
from closedloop.adapters.cli.main import app as cli
from closedloop.adapters.http.app import create_app
from closedloop.adapters.http.keys import Keyring, hash_key
from closedloop.adapters.jsonable import jsonable
from closedloop.application.catalogue import catalogue
from tests.adapters.envelopes import TARGET_ARGS, approved_target_lines
from tests.adapters.http_keys import auth_toml, bearer, key_of, keyring
from tests.adapters.processes import free_port
from tests.cast import AUDITOR, CEO, CFO, HEAD, LI
from tests.customer_scenario import PHONE, buy, register
from tests.review_scenario import in_progress
from tests.risk_scenario import mitigated, received

ACTUAL = {"target": "REV-2026", "value": "2500000.10", "as_of": "2026-03-31", "source": "ERP"}


def client_of(loop: ClosedLoop) -> TestClient:
    return TestClient(create_app(loop, keyring()), raise_server_exceptions=True)


@pytest.fixture
def client(mem_loop: ClosedLoop) -> Iterator[TestClient]:
    with client_of(mem_loop) as http:
        yield http


def approved_target(http: TestClient) -> None:
    """REV-2026 created by the CEO, submitted by its owner, approved by the CFO: version 3."""
    for actor, command, args in [
        (CEO, "target.create", TARGET_ARGS),
        (HEAD, "target.submit", {"target": "REV-2026"}),
        (CFO, "target.approve", {"target": "REV-2026"}),
    ]:
        response = http.post(f"/commands/{command}", json=args, headers=bearer(actor))
        assert response.status_code == 200, response.json()


# --- commands ----------------------------------------------------------------------------------


def test_every_catalogue_command_has_a_route_whose_body_is_its_input_model(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    for command in catalogue:
        operation = spec["paths"][f"/commands/{command.name}"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(schema["properties"]) == set(command.input.model_fields), command.name
        assert operation["x-permission"] == command.permission
        assert {"400", "401", "403", "404", "409", "422", "503"} <= set(operation["responses"])


def test_a_command_returns_its_result_and_amounts_stay_exact(
    client: TestClient, mem_loop: ClosedLoop
) -> None:
    approved_target(client)
    number = b'{"target": "REV-2026", "value": 2500000.10, "as_of": "2026-03-31", "source": "ERP"}'
    response = client.post(
        "/commands/target.record_actual",
        content=number,
        headers={**bearer(LI), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 4
    view = client.get("/targets/REV-2026", headers=bearer(LI)).json()
    assert view["actual"] == "2500000.10"
    assert mem_loop.target("REV-2026")["actual"] == Decimal("2500000.10")


def test_the_command_list_names_each_commands_permission(client: TestClient) -> None:
    listed = client.get("/commands", headers=bearer(AUDITOR)).json()
    assert {(c["name"], c["permission"]) for c in listed} == {
        (c.name, c.permission) for c in catalogue
    }


# --- authentication and roles ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-known-key"},
        {"X-API-Key": "not-a-known-key"},
        {"Authorization": f"Basic {key_of(CEO)}"},
        {"Authorization": "Bearer "},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/commands/target.create"), ("GET", "/targets")]
)
def test_no_key_or_an_unknown_key_is_401_for_writes_and_reads(
    client: TestClient, mem_loop: ClosedLoop, headers: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, json=TARGET_ARGS, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert mem_loop.position() == 0


def test_a_key_is_accepted_as_bearer_or_x_api_key(client: TestClient) -> None:
    assert client.get("/targets", headers=bearer(LI)).status_code == 200
    assert client.get("/targets", headers={"X-API-Key": key_of(LI)}).status_code == 200


def test_R_G2_a_role_without_the_permission_is_403_and_records_nothing(
    client: TestClient, mem_loop: ClosedLoop
) -> None:
    client.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))
    client.post("/commands/target.submit", json={"target": "REV-2026"}, headers=bearer(HEAD))
    before = mem_loop.position()

    response = client.post(
        "/commands/target.approve", json={"target": "REV-2026"}, headers=bearer(LI)
    )

    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "not_authorised"
    assert body["message"].startswith("R-G2: li.marketer (roles: marketer) may not target.approve")
    assert mem_loop.position() == before


def test_R_G2_the_auditor_reads_everything_and_writes_nothing(
    client: TestClient, mem_loop: ClosedLoop
) -> None:
    approved_target(client)
    in_progress(mem_loop)
    paths = ["/targets", "/targets/REV-2026", "/targets/REV-2026/tree", "/plans", "/research"]
    paths += ["/activities", "/reviews", "/rectifications", "/rectifications/RX-1", "/lessons"]
    for path in paths:
        assert client.get(path, headers=bearer(AUDITOR)).status_code == 200, path

    before = mem_loop.position()
    for command, args in [
        ("target.create", {**TARGET_ARGS, "ref": "AUDITED"}),
        ("target.record_actual", ACTUAL),
        ("rectification.record_root_cause", {"rectification": "RX-1", "root_cause": "x"}),
    ]:
        response = client.post(f"/commands/{command}", json=args, headers=bearer(AUDITOR))
        assert response.status_code == 403, command
    assert mem_loop.position() == before
    auditor_may = Policy().permissions_of(AUDITOR.roles)
    assert all(command.permission not in auditor_may for command in catalogue)


def test_R_G2_a_role_without_read_may_not_query(mem_loop: ClosedLoop) -> None:
    policy = Policy.from_mapping({"roles": {"auditor": []}})
    with ClosedLoop("memory:", policy=policy) as loop, client_of(loop) as http:
        response = http.get("/targets", headers=bearer(AUDITOR))
    assert response.status_code == 403
    assert "needs the permission 'read'" in response.json()["message"]


# --- errors ------------------------------------------------------------------------------------


def test_a_rule_violation_is_400_naming_its_rule(client: TestClient, mem_loop: ClosedLoop) -> None:
    client.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))
    client.post("/commands/target.submit", json={"target": "REV-2026"}, headers=bearer(HEAD))
    before = mem_loop.position()

    response = client.post(
        "/commands/target.approve", json={"target": "REV-2026"}, headers=bearer(HEAD)
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "rule_violation"
    assert body["rule"] == "R-G1"
    assert body["message"].startswith("R-G1: ")
    assert mem_loop.position() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/targets/NOPE"),
        ("GET", "/targets/NOPE/tree"),
        ("GET", "/rectifications/NOPE"),
        ("GET", "/no/such/route"),
        ("POST", "/commands/target.nope"),
    ],
)
def test_an_unknown_record_command_or_route_is_404(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, json={}, headers=bearer(LI))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_command_on_a_missing_record_is_404_and_a_wrong_method_405(client: TestClient) -> None:
    missing = client.post("/commands/target.submit", json={"target": "NOPE"}, headers=bearer(HEAD))
    assert (missing.status_code, missing.json()["message"]) == (404, "no target NOPE")
    wrong = client.delete("/targets/REV-2026", headers=bearer(HEAD))
    assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")


def test_a_stale_expected_version_is_409_and_an_existing_ref_too(
    client: TestClient, mem_loop: ClosedLoop
) -> None:
    approved_target(client)
    before = mem_loop.position()

    stale = client.post(
        "/commands/target.record_actual?expected_version=2", json=ACTUAL, headers=bearer(LI)
    )
    again = client.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))

    assert (stale.status_code, stale.json()["error"]) == (409, "conflict")
    assert "is at version 3, not the expected 2" in stale.json()["message"]
    assert (again.status_code, again.json()["message"]) == (409, "target REV-2026 already exists")
    assert mem_loop.position() == before
    fresh = client.post(
        "/commands/target.record_actual?expected_version=3", json=ACTUAL, headers=bearer(LI)
    )
    assert fresh.status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        (b'{"target": ', "(input)", "not valid JSON"),
        (b'{"target": NaN}', "(input)", "NaN is not a number"),
        (b"\xff\xfe", "(input)", "not valid JSON"),
        (b"[1, 2]", "(input)", "valid dictionary"),
        (b"", "(input)", "Field required"),
        (b'{"target": 7}', "target", "valid string"),
        (b'{"target": "REV-2026", "reason": "x"}', "reason", "Extra inputs are not permitted"),
        (b"{}", "target", "Field required"),
    ],
)
def test_malformed_json_wrong_types_and_unknown_fields_are_422_like_invalid_input(
    client: TestClient, mem_loop: ClosedLoop, body: bytes, field: str, problem: str
) -> None:
    response = client.post(
        "/commands/target.submit",
        content=body,
        headers={**bearer(HEAD), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    error = response.json()
    assert set(error) == set(InvalidInput("x").to_dict())
    assert error["error"] == "invalid_input"
    assert error["message"].startswith("target.submit: ")
    assert [p["field"] for p in error["errors"]] == [field]
    assert problem in error["errors"][0]["problem"]
    assert mem_loop.position() == 0


@pytest.mark.parametrize(
    "query", ["?expected_version=-1", "?expected_version=two", "?expected_version=1.5"]
)
def test_a_malformed_expected_version_is_422(client: TestClient, query: str) -> None:
    response = client.post(
        f"/commands/target.submit{query}", json={"target": "T"}, headers=bearer(HEAD)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.expected_version"


def test_a_failing_store_is_503_for_commands_and_queries(
    client: TestClient, mem_loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("disk I/O error")

    recorder = mem_loop._store.recorder
    monkeypatch.setattr(recorder, "insert_events", broken)
    monkeypatch.setattr(recorder, "select_events", broken)

    write = client.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))
    read = client.get("/targets", headers=bearer(CEO))

    for response in (write, read):
        assert response.status_code == 503
        assert response.json()["error"] == "store_unavailable"
        assert "disk I/O error" in response.json()["message"]


# --- as_of -------------------------------------------------------------------------------------


def test_as_of_a_version_or_a_time_shows_the_record_as_it_was(
    client: TestClient, clock: FixedClock
) -> None:
    approved_target(client)  # on 2026-01-05
    clock.advance(days=30)
    client.post("/commands/target.record_actual", json=ACTUAL, headers=bearer(LI))

    now = client.get("/targets/REV-2026", headers=bearer(LI)).json()
    at_2 = client.get("/targets/REV-2026?as_of=2", headers=bearer(LI)).json()
    mid_january = client.get("/targets/REV-2026?as_of=2026-01-20", headers=bearer(LI)).json()
    before = client.get("/targets?as_of=2026-01-01T00:00:00Z", headers=bearer(LI)).json()

    assert (now["version"], now["status"], now["actual"]) == (4, "approved", "2500000.10")
    assert (at_2["version"], at_2["status"]) == (2, "submitted")
    assert (mid_january["version"], mid_january["actual"]) == (3, None)
    assert before == []


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("?as_of=yesterday", "neither a version"),
        ("?as_of=0", "version starts at 1"),
        ("?as_of=²", "neither a version"),
    ],
)
def test_a_malformed_as_of_is_422(client: TestClient, query: str, problem: str) -> None:
    response = client.get(f"/targets/REV-2026{query}", headers=bearer(LI))
    assert response.status_code == 422
    assert problem in response.json()["message"]


def test_R_X4_overdue_rectifications_and_R_X5_lessons_search_are_query_parameters(
    client: TestClient, mem_loop: ClosedLoop
) -> None:
    in_progress(mem_loop)  # its measure is due 2026-01-31; the clock says 2026-01-05
    every = client.get("/rectifications", headers=bearer(LI)).json()
    overdue_now = client.get("/rectifications?overdue=true", headers=bearer(LI)).json()
    overdue_later = client.get(
        "/rectifications?overdue=true&as_of=2026-03-01T00:00:00", headers=bearer(LI)
    ).json()
    lessons = client.get("/lessons?search=owner", headers=bearer(LI)).json()

    assert [view["ref"] for view in every] == ["RX-1"]
    assert overdue_now == []
    assert [view["ref"] for view in overdue_later] == ["RX-1"]
    assert lessons == []


def test_customers_complaints_and_risks_answer_as_closedloop_does_without_personal_data(
    client: TestClient, mem_loop: ClosedLoop
) -> None:
    register(mem_loop, "C-1", birthday="1990-06-01")
    buy(mem_loop, "C-1")
    received(mem_loop, "CMP-1")
    mitigated(mem_loop, "RISK-1")
    queries = {
        "/customers": mem_loop.customers(),
        "/customers/C-1": mem_loop.customer("C-1"),
        "/customers/C-1?as_of=1": mem_loop.customer("C-1", as_of=1),
        "/complaints": mem_loop.complaints(),
        "/complaints/CMP-1": mem_loop.complaint("CMP-1"),
        "/risks": mem_loop.risks(),
        "/risks/RISK-1": mem_loop.risk("RISK-1"),
        "/risk-heat-map?stage=current": mem_loop.risk_heat_map(stage="current"),
        "/risk-late-reviews": mem_loop.late_risk_reviews(),
        "/risk-acceptances-near-expiry": mem_loop.risk_acceptances_near_expiry(),
        "/care-plan": mem_loop.care_plan(),
        "/customer-quality": mem_loop.customer_quality(),
    }
    for path, expected in queries.items():
        response = client.get(path, headers=bearer(AUDITOR))
        assert response.status_code == 200, (path, response.text)
        assert response.json() == json.loads(json.dumps(jsonable(expected))), path
        assert PHONE not in response.text, path
    assert client.get("/customers/C-1?as_of=1", headers=bearer(LI)).json()["version"] == 1
    assert client.get("/customers/NOPE", headers=bearer(LI)).status_code == 404
    assert client.get("/risks", headers={}).status_code == 401


# --- idempotency -------------------------------------------------------------------------------


def test_a_retried_request_with_the_same_idempotency_key_returns_the_first_result(
    loop: ClosedLoop,
) -> None:
    with client_of(loop) as http:
        approved_target(http)
        headers = {**bearer(LI), "Idempotency-Key": "erp-2026-03"}
        first = http.post("/commands/target.record_actual", json=ACTUAL, headers=headers)
        before = loop.position()
        again = http.post("/commands/target.record_actual", json=ACTUAL, headers=headers)
        other = http.post(
            "/commands/target.record_actual", json={**ACTUAL, "value": "1"}, headers=headers
        )

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert loop.position() == before
    assert other.status_code == 422
    assert "already used with a different body" in other.json()["message"]
    assert loop.position() == before
    assert len(loop.target("REV-2026")["measurements"]) == 1


def test_a_batch_applied_twice_records_once_and_http_retries_of_its_lines_too(
    client: TestClient, mem_loop: ClosedLoop, tmp_path: Path
) -> None:
    lines = [
        line[:-1] + f', "request_id": "year-{number}"}}'
        for number, line in enumerate(approved_target_lines(), start=1)
    ]
    batch = tmp_path / "year.jsonl"
    batch.write_text("\n".join(lines), encoding="utf-8")
    first = [o.result for o in apply_batch(mem_loop, batch.read_text().splitlines())]
    before = mem_loop.position()

    again = [o.result for o in apply_batch(mem_loop, batch.read_text().splitlines())]
    over_http = client.post(
        "/commands/target.approve",
        json={"target": "REV-2026"},
        headers={**bearer(CFO), "Idempotency-Key": "year-3"},
    )

    assert again == first
    assert over_http.json() == json.loads(json.dumps(first[2]))
    assert mem_loop.position() == before


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_a_blank_or_overlong_idempotency_key_is_422(client: TestClient, key: str) -> None:
    response = client.post(
        "/commands/target.create",
        json=TARGET_ARGS,
        headers={**bearer(CEO), "Idempotency-Key": key},
    )
    assert response.status_code == 422


# --- keys file, core import, a real server -----------------------------------------------------


def test_an_auth_file_of_hashed_keys_authenticates_its_actors(tmp_path: Path) -> None:
    file = tmp_path / "auth.toml"
    file.write_text(auth_toml(), encoding="utf-8")
    ring = Keyring.load(file)
    assert ring.actor(key_of(HEAD)) == HEAD


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("keys = [", "not valid TOML"),
        ("[[keys]]\nid = 'a'", "give exactly one of sha256 (preferred) or key"),
        ("[[keys]]\nid = 'a'\nkey = 'short'", "at least 16 characters"),
        ("[[keys]]\nid = 'a'\nsha256 = 'abc'", "should match pattern"),
        ("[[keys]]\nid = 'a'\nkey = 'k' \nrole = ['x']", "Extra inputs"),
        ("keys = []", "at least 1 item"),
        (
            "[[keys]]\nid = 'a'\nkey = '0123456789abcdef'\n[[keys]]\nid = 'b'\n"
            "key = '0123456789abcdef'",
            "the same key is given twice",
        ),
    ],
)
def test_a_bad_auth_file_is_invalid_input_saying_what(
    tmp_path: Path, text: str, problem: str
) -> None:
    file = tmp_path / "auth.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as error:
        Keyring.load(file)
    assert problem in error.value.message


def test_import_closedloop_does_not_import_the_http_stack() -> None:
    heavy = "{'fastapi', 'starlette', 'uvicorn'}"
    check = f"import closedloop, sys; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.parametrize("access_log", [True, False])
def test_closedloop_serve_answers_a_command_over_a_real_socket(
    tmp_path: Path, access_log: bool
) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text(auth_toml(), encoding="utf-8")
    store = f"sqlite:///{tmp_path}/served.db"
    port = free_port()
    script = [sys.executable, "-m", "closedloop.adapters.cli.main"]
    options = ["--port", str(port), "--store", store, "--auth", str(auth)]
    options += [] if access_log else ["--no-access-log"]
    server = subprocess.Popen(
        [*script, "serve", *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        created = httpx.post(
            f"{base}/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO), timeout=10
        )
        shown = httpx.get(f"{base}/targets/REV-2026", headers={"X-API-Key": key_of(LI)})
        refused = httpx.get(f"{base}/targets/REV-2026")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert created.status_code == 200, created.text
    assert (shown.json()["ref"], shown.json()["value"]) == ("REV-2026", "12000000")
    assert refused.status_code == 401
    assert "Traceback" not in output
    assert ('"POST /commands/target.create HTTP/1.1" 200' in output) is access_log, output
    with ClosedLoop(store) as loop:
        assert loop.target("REV-2026")["status"] == "draft"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ([], "serve needs --auth FILE"),
        (["--auth", "missing.toml"], "cannot read auth file missing.toml"),
        (["--auth", "auth.toml", "--store", "memory:", "--workers", "2"], "a shared store"),
    ],
)
def test_serve_refuses_a_missing_or_bad_configuration_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], problem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOSEDLOOP_AUTH", raising=False)
    (tmp_path / "auth.toml").write_text(auth_toml(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code == 2
    assert problem in result.output


def test_serve_hash_key_prints_the_digest_the_auth_file_stores() -> None:
    result = CliRunner().invoke(cli, ["serve", "--hash-key"], input=key_of(LI) + "\n")
    assert result.exit_code == 0
    assert result.stdout.strip() == hash_key(key_of(LI))
