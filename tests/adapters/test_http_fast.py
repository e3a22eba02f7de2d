"""The commands' fast path answers exactly as FastAPI's command routes do.

Each scenario runs twice on fresh stores with the same clock: through an app with the fast
path and through one without it (every command by FastAPI's route); every answer, status
and body, must be the same. Requests the fast path does not take (no key, a malformed
body, other parameters …) reach FastAPI either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.http.app import create_app
from tests.adapters.envelopes import TARGET_ARGS
from tests.adapters.http_keys import bearer, key_of, keyring
from tests.cast import CEO, CFO, HEAD, LI

ACTUAL = {"target": "REV-2026", "value": "2500000.10", "as_of": "2026-03-31", "source": "ERP"}
Request = tuple[str, dict[str, Any]]  # path, and httpx's keyword arguments


def post(command: str, body: Any, actor: Any = LI, **options: Any) -> Request:
    headers = {**bearer(actor), **options.pop("headers", {})}
    return f"/commands/{command}", {"json": body, "headers": headers, **options}


APPROVED = [
    post("target.create", TARGET_ARGS, CEO),
    post("target.submit", {"target": "REV-2026"}, HEAD),
    post("target.approve", {"target": "REV-2026"}, CFO),
]
SCENARIOS: dict[str, list[Request]] = {
    "accepted, then a rule violation (R-T4 on a draft) and a missing record": [
        post("target.create", TARGET_ARGS, CEO),
        post("target.record_actual", ACTUAL),
        post("target.record_actual", {**ACTUAL, "target": "NOPE"}),
    ],
    "expected version, stale and current": [
        *APPROVED,
        post("target.record_actual", ACTUAL, params={"expected_version": 2}),
        post("target.record_actual", ACTUAL, params={"expected_version": 3}),
        post("target.record_actual", ACTUAL, params={"expected_version": "x"}),
        post("target.record_actual", ACTUAL, params={"expected_version": -1}),
        post("target.record_actual", ACTUAL, params={"expected_version": 4, "other": 1}),
    ],
    "idempotency keys: a retry, the same key with other arguments, keys out of bounds": [
        *APPROVED,
        post("target.record_actual", ACTUAL, headers={"Idempotency-Key": "k-1"}),
        post("target.record_actual", ACTUAL, headers={"Idempotency-Key": "k-1"}),
        post("target.record_actual", {**ACTUAL, "value": "1"}, headers={"Idempotency-Key": "k-1"}),
        post("target.record_actual", ACTUAL, headers={"Idempotency-Key": ""}),
        post("target.record_actual", ACTUAL, headers={"Idempotency-Key": "k" * 201}),
    ],
    "keys: none, unknown, the other header, another scheme, not permitted (R-G2)": [
        *APPROVED,
        ("/commands/target.record_actual", {"json": ACTUAL}),
        ("/commands/target.record_actual", {"json": ACTUAL, "headers": {"X-API-Key": "nope"}}),
        ("/commands/target.record_actual", {"json": ACTUAL, "headers": {"X-API-Key": key_of(LI)}}),
        (
            "/commands/target.record_actual",
            {"json": ACTUAL, "headers": {"Authorization": f"Basic {key_of(LI)}"}},
        ),
        post("target.approve", {"target": "REV-2026"}, LI),
    ],
    "bodies: invalid, malformed, empty, not JSON, an inexact number": [
        *APPROVED,
        post("target.record_actual", {**ACTUAL, "value": "many"}),
        post("target.record_actual", [1, 2]),
        post("target.record_actual", {**ACTUAL, "value": 1.5}),
        (
            "/commands/target.record_actual",
            {
                "content": b'{"target": ',
                "headers": {**bearer(LI), "Content-Type": "application/json"},
            },
        ),
        ("/commands/target.record_actual", {"content": b"", "headers": bearer(LI)}),
        (
            "/commands/target.record_actual",
            {
                "content": json.dumps(ACTUAL),
                "headers": {**bearer(LI), "Content-Type": "text/plain"},
            },
        ),
        (
            "/commands/target.record_actual",
            {
                "content": '{"value": NaN}',
                "headers": {**bearer(LI), "Content-Type": "application/json"},
            },
        ),
    ],
}


def answers(requests: list[Request], fast: bool) -> list[tuple[int, Any]]:
    with ClosedLoop("memory:", clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        app = create_app(loop, keyring(), fast_commands=fast)
        with TestClient(app) as http:
            replies = [http.post(path, **options) for path, options in requests]
    return [(reply.status_code, reply.json()) for reply in replies]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_fast_path_answers_every_request_as_fastapis_route_does(scenario: str) -> None:
    fast, routed = answers(SCENARIOS[scenario], True), answers(SCENARIOS[scenario], False)
    assert fast == routed


def test_an_accepted_command_is_answered_by_the_fast_path_alone(
    mem_loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(mem_loop, keyring())
    routed: list[str] = []
    original: Callable[..., Any] = app.router.__call__
    monkeypatch.setattr(type(app.router), "__call__", _spy(original, routed))
    with TestClient(app) as http:
        created = http.post("/commands/target.create", json=TARGET_ARGS, headers=bearer(CEO))
        refused = http.post("/commands/target.create", json={"ref": "X"}, headers=bearer(CEO))
    assert created.status_code == 200, created.text
    assert refused.status_code == 422
    assert routed == ["/commands/target.create"]  # only the invalid one reached the router


def _spy(original: Callable[..., Any], routed: list[str]) -> Callable[..., Any]:
    async def spied(router: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            routed.append(scope["path"])
        await original(scope, receive, send)

    return spied
