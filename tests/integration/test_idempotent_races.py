"""A duplicate racing its original (same request id, at the same moment) never runs twice."""

from __future__ import annotations

import pytest

from closedloop import ClosedLoop
from tests.integration.test_concurrency_threads import Rendezvous, recorded, recording, together
from tests.scenario import approved_revenue_target


def test_a_concurrent_duplicate_returns_the_stored_result_and_records_nothing(
    loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(loop)
    Rendezvous(2).install(monkeypatch)
    before = loop.position()

    outcomes = together(
        recording(loop, "7", request_id="erp-7"), recording(loop, "7", request_id="erp-7")
    )

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert outcomes[0] == outcomes[1]
    assert len(recorded(loop)) == 1
    assert loop.position() == before + 2  # one measurement, one request record


def test_a_duplicate_racing_with_an_expected_version_returns_the_stored_result(
    loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(loop)
    Rendezvous(2).install(monkeypatch)

    outcomes = together(
        recording(loop, "7", request_id="erp-7", expected_version=3),
        recording(loop, "7", request_id="erp-7", expected_version=3),
    )

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert outcomes[0] == outcomes[1]
    assert [str(value) for value in recorded(loop)] == ["7"]
