"""JSON-lines batches from Python: envelopes, outcomes, exact numbers, nothing partial (R-G4)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from closedloop import ClosedLoop, InvalidInput, RuleViolation
from closedloop.adapters.batch import Tally, apply_batch, open_batch, parse_envelope
from tests.adapters.envelopes import approved_target_lines, envelope
from tests.cast import CEO, HEAD, LI

# --- envelopes ---------------------------------------------------------------------------------


def test_an_envelope_names_command_actor_args_and_optionally_a_version() -> None:
    parsed = parse_envelope(
        envelope("target.submit", HEAD, {"target": "REV-2026"}, expected_version=3)
    )
    assert parsed.command == "target.submit"
    assert parsed.actor["id"] == HEAD.id
    assert parsed.args == {"target": "REV-2026"}
    assert parsed.expected_version == 3


def test_numbers_are_read_as_exact_decimals() -> None:
    parsed = parse_envelope('{"command": "x.y", "actor": {"id": "a"}, "args": {"v": 0.1}}')
    assert parsed.args["v"] == Decimal("0.1")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"command": "target.submit",', "not valid JSON"),
        ("[1, 2]", "expected an object"),
        ('{"command": "a.b", "actor": {"id": "x"}, "arg": {}}', "unknown keys ['arg']"),
        ('{"actor": {"id": "x"}}', '"command" must be a command name'),
        ('{"command": "a.b", "actor": "wang"}', '"actor" must be an object'),
        ('{"command": "a.b", "actor": {"id": "x"}, "args": [1]}', '"args" must be an object'),
        ('{"command": "a.b", "actor": {"id": "x"}, "expected_version": true}', "whole number"),
        ('{"command": "a.b", "actor": {"id": "x"}, "expected_version": 2.0}', "whole number"),
        ('{"command": "a.b", "actor": {"id": "x"}, "expected_version": -1}', "whole number"),
        ('{"command": "a.b", "actor": {"id": "x"}, "args": {"v": NaN}}', "NaN is not a number"),
    ],
)
def test_a_malformed_envelope_is_invalid_input(line: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match="envelope") as error:
        parse_envelope(line)
    assert problem in error.value.message


# --- running a batch ---------------------------------------------------------------------------


def test_each_line_reports_its_outcome_and_comments_and_blanks_are_skipped(
    mem_loop: ClosedLoop,
) -> None:
    lines = ["# a year's first target", "", *approved_target_lines()]
    outcomes = list(apply_batch(mem_loop, lines))
    assert [(o.line, o.command, o.ok) for o in outcomes] == [
        (3, "target.create", True),
        (4, "target.submit", True),
        (5, "target.approve", True),
    ]
    assert outcomes[-1].result is not None
    assert outcomes[-1].result["status"] == "approved"
    assert outcomes[-1].to_dict() == {
        "line": 5,
        "command": "target.approve",
        "ok": True,
        "result": outcomes[-1].result,
    }


def test_a_json_number_amount_is_recorded_exactly(mem_loop: ClosedLoop) -> None:
    actual = (
        '{"command": "target.record_actual", "actor": {"id": "li", "roles": ["marketer"]}, '
        '"args": {"target": "REV-2026", "value": 2500000.10, "as_of": "2026-03-31", '
        '"source": "ERP"}}'
    )
    outcomes = list(apply_batch(mem_loop, [*approved_target_lines(), actual]))
    assert all(outcome.ok for outcome in outcomes)
    assert mem_loop.target("REV-2026")["actual"] == Decimal("2500000.10")


def test_R_G4_a_refused_line_records_nothing_and_names_its_rule(mem_loop: ClosedLoop) -> None:
    list(apply_batch(mem_loop, approved_target_lines()[:2]))
    before = mem_loop.position()
    self_approval = envelope("target.approve", HEAD, {"target": "REV-2026"})
    (outcome,) = apply_batch(mem_loop, [self_approval])
    assert isinstance(outcome.error, RuleViolation)
    assert outcome.exit_code == 4
    assert outcome.to_dict()["rule"] == "R-G1"
    assert mem_loop.position() == before
    assert mem_loop.target("REV-2026")["status"] == "submitted"


def test_a_batch_goes_on_after_a_refusal_unless_told_to_stop(mem_loop: ClosedLoop) -> None:
    lines = [
        envelope("target.approve", LI, {"target": "REV-2026"}),  # R-G2: not authorised
        envelope("target.create", CEO, {"metric": "new customers", "period": "2026"}),
    ]
    assert [o.ok for o in apply_batch(mem_loop, lines)] == [False, True]
    assert [o.ok for o in apply_batch(mem_loop, lines, stop_on_error=True)] == [False]


def test_lines_that_are_not_utf8_or_start_with_a_bom(mem_loop: ClosedLoop) -> None:
    first = "\ufeff" + approved_target_lines()[0]
    outcomes = list(apply_batch(mem_loop, [first.encode(), b'{"command": "\xff"}']))
    assert outcomes[0].ok
    assert outcomes[1].error is not None
    assert "not UTF-8" in outcomes[1].error.message


def test_the_tally_exits_with_the_first_refusals_code(mem_loop: ClosedLoop) -> None:
    lines = [
        envelope("target.submit", HEAD, {"target": "NOPE"}),  # not found: 5
        '{"command": ',  # invalid input: 2
        *approved_target_lines(),
    ]
    tally = Tally()
    for outcome in apply_batch(mem_loop, lines):
        tally.add(outcome)
    assert tally.to_dict() == {"ok": 3, "failed": 2, "first_failure": 1, "exit_code": 5}
    assert Tally().exit_code == 0


def test_a_missing_batch_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"cannot read batch file .*missing\.jsonl"):
        open_batch(tmp_path / "missing.jsonl")


def test_a_batch_with_request_ids_applied_twice_records_its_commands_once(
    mem_loop: ClosedLoop,
) -> None:
    lines = [
        line[:-1] + f', "request_id": "year-plan-{number}"}}'
        for number, line in enumerate(approved_target_lines(), start=1)
    ]
    first = list(apply_batch(mem_loop, lines))
    position = mem_loop.position()

    again = list(apply_batch(mem_loop, lines))

    assert all(outcome.ok for outcome in again), again
    assert [o.result for o in again] == [o.result for o in first]
    assert mem_loop.position() == position


def test_an_envelope_request_id_must_be_text() -> None:
    with pytest.raises(InvalidInput, match='"request_id" must be a non-empty text'):
        parse_envelope('{"command": "a.b", "actor": {"id": "x"}, "request_id": 7}')
