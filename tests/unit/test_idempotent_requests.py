"""Commands with a request id run once: a retry returns the first result, records nothing."""

from __future__ import annotations

import pytest

from closedloop import ClosedLoop, InvalidInput, RuleViolation
from closedloop.domain.request import Request, request_key
from tests.cast import CEO, HEAD, LI
from tests.scenario import approved_revenue_target

ACTUAL = {"target": "REV-2026", "value": "2500000", "as_of": "2026-03-31", "source": "ERP"}


def test_a_retry_with_the_same_request_id_returns_the_first_result_and_records_nothing(
    loop: ClosedLoop,
) -> None:
    approved_revenue_target(loop)
    first = loop.execute("target.record_actual", LI, ACTUAL, request_id="erp-2026-03")
    position = loop.position()

    again = loop.execute("target.record_actual", LI, ACTUAL, request_id="erp-2026-03")

    assert again == first
    assert loop.position() == position
    assert len(loop.target("REV-2026")["measurements"]) == 1


def test_the_request_is_recorded_in_the_same_save_as_the_commands_events(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop)
    before = mem_loop.position()
    result = mem_loop.execute("target.record_actual", LI, ACTUAL, request_id="r1")

    record = mem_loop._store.repository.get(request_key(LI.id, "r1"))
    assert isinstance(record, Request)
    assert (record.command, record.result, record.handled_for) == (
        "target.record_actual",
        result,
        LI.id,
    )
    # one save: the measurement and the request's record, nothing in between
    assert mem_loop.position() == before + 2


def test_the_same_arguments_spelled_differently_are_the_same_request(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop)
    first = mem_loop.execute("target.record_actual", LI, ACTUAL, request_id="r1")
    again = mem_loop.execute(
        "target.record_actual", LI, {**ACTUAL, "value": 2500000}, request_id="r1"
    )
    assert again == first


@pytest.mark.parametrize(
    ("command", "args", "problem"),
    [
        ("target.record_actual", {**ACTUAL, "value": "1"}, "with a different body"),
        ("target.submit", {"target": "REV-2026"}, "for target.record_actual"),
    ],
)
def test_a_request_id_reused_for_something_else_is_refused_and_records_nothing(
    mem_loop: ClosedLoop, command: str, args: dict[str, str], problem: str
) -> None:
    approved_revenue_target(mem_loop)
    mem_loop.execute("target.record_actual", LI, ACTUAL, request_id="r1")
    position = mem_loop.position()

    with pytest.raises(InvalidInput, match=problem):
        mem_loop.execute(command, LI, args, request_id="r1")
    assert mem_loop.position() == position


def test_request_ids_belong_to_their_actor(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    mem_loop.execute("target.record_actual", LI, ACTUAL, request_id="r1")
    mem_loop.execute("target.record_actual", HEAD, ACTUAL, request_id="r1")
    assert len(mem_loop.target("REV-2026")["measurements"]) == 2


def test_a_refused_command_keeps_no_request_so_a_corrected_retry_runs(
    mem_loop: ClosedLoop,
) -> None:
    mem_loop.execute(
        "target.create",
        CEO,
        {"ref": "T", "metric": "revenue", "unit": "CNY", "period": "2026", "value": "1"},
    )
    position = mem_loop.position()
    with pytest.raises(RuleViolation):
        mem_loop.execute("target.submit", HEAD, {"target": "T"}, request_id="submit-T")
    assert mem_loop.position() == position
    assert request_key(HEAD.id, "submit-T") not in mem_loop._store.repository


@pytest.mark.parametrize("request_id", ["", "   ", "x" * 201])
def test_a_blank_or_overlong_request_id_is_invalid_input(
    mem_loop: ClosedLoop, request_id: str
) -> None:
    approved_revenue_target(mem_loop)
    with pytest.raises(InvalidInput, match="request id"):
        mem_loop.execute("target.record_actual", LI, ACTUAL, request_id=request_id)
