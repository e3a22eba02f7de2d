"""JSON-lines batch files: one command envelope per line, each run as its own command.

An envelope is ``{"command": "target.submit", "actor": {...}, "args": {...}}`` with an
optional ``"expected_version"`` and ``"request_id"`` (a line with a request id runs once: a
batch applied again returns the first results and records nothing new). Blank lines and
``#`` comments are skipped. Each line is one command through the catalogue: it succeeds
whole or records nothing (R-G4), and its outcome says which. Numbers are read as exact
decimals (``1200.50`` stays ``1200.50``).

Usable from Python without the CLI::

    with ClosedLoop(url) as loop, open_batch("year.jsonl") as lines:
        outcomes = list(apply_batch(loop, lines))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NoReturn

import attrs

from closedloop.api import ClosedLoop
from closedloop.domain.errors import ClosedLoopError, InvalidInput, StoreUnavailable

ENVELOPE_KEYS = ("command", "actor", "args", "expected_version", "request_id")


@attrs.frozen
class Envelope:
    command: str
    actor: dict[str, Any]
    args: dict[str, Any]
    expected_version: int | None = None
    request_id: str | None = None


@attrs.frozen
class Outcome:
    """What became of one line: the command's result, or the error that refused it."""

    line: int
    command: str | None
    result: dict[str, Any] | None = None
    error: ClosedLoopError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else self.error.exit_code

    def to_dict(self) -> dict[str, Any]:
        """``{"line", "command", "ok", "result"}``, or the error's JSON body instead of a result."""
        head: dict[str, Any] = {"line": self.line, "command": self.command, "ok": self.ok}
        if self.error is None:
            return {**head, "result": self.result}
        return {**head, **self.error.to_dict()}


@attrs.define
class Tally:
    """Running count of a batch's outcomes; its exit code is the first refusal's (0 if none)."""

    ok: int = 0
    failed: int = 0
    first_failure: Outcome | None = None

    def add(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.ok += 1
            return
        self.failed += 1
        if self.first_failure is None:
            self.first_failure = outcome

    @property
    def exit_code(self) -> int:
        return 0 if self.first_failure is None else self.first_failure.exit_code

    def to_dict(self) -> dict[str, Any]:
        first = self.first_failure.line if self.first_failure is not None else None
        return {
            "ok": self.ok,
            "failed": self.failed,
            "first_failure": first,
            "exit_code": self.exit_code,
        }


def open_batch(path: str | Path) -> IO[bytes]:
    """Open a batch file for :func:`apply_batch`; a file that cannot be read is invalid input."""
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise InvalidInput(f"cannot read batch file {path}: {error.strerror}") from None


def apply_batch(
    loop: ClosedLoop, lines: Iterable[bytes | str], *, stop_on_error: bool = False
) -> Iterator[Outcome]:
    """Run each envelope line in order, yielding its outcome as soon as it is known.

    A failing line does not stop the batch unless ``stop_on_error``; an unreachable store
    always does (every later line would fail the same way).
    """
    for number, raw in enumerate(lines, start=1):
        try:
            text = _text(raw, first=number == 1)
        except InvalidInput as error:
            outcome = Outcome(number, None, error=error)
        else:
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            outcome = run_line(loop, text, number)
        yield outcome
        if outcome.error is not None and (
            stop_on_error or isinstance(outcome.error, StoreUnavailable)
        ):
            return


def run_line(loop: ClosedLoop, text: str, number: int) -> Outcome:
    """Parse and run one envelope line."""
    command: str | None = None
    try:
        envelope = parse_envelope(text)
        command = envelope.command
        result = loop.execute(
            envelope.command,
            envelope.actor,
            envelope.args,
            expected_version=envelope.expected_version,
            request_id=envelope.request_id,
        )
    except ClosedLoopError as error:
        return Outcome(number, command, error=error)
    return Outcome(number, command, result=result)


def parse_envelope(text: str) -> Envelope:
    """One line's envelope; anything malformed is :class:`InvalidInput` saying what."""
    try:
        data = json.loads(text.strip(), parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        _invalid(f"not valid JSON: {error.msg} at column {error.colno}")
    except ValueError as error:  # from _no_constant
        _invalid(str(error))
    if not isinstance(data, dict):
        _invalid(f"expected an object {{{', '.join(ENVELOPE_KEYS)}}}")
    unknown = sorted(set(data) - set(ENVELOPE_KEYS))
    if unknown:
        _invalid(f"unknown keys {unknown}; an envelope has {', '.join(ENVELOPE_KEYS)}")
    command, actor, args = data.get("command"), data.get("actor"), data.get("args", {})
    version, request_id = data.get("expected_version"), data.get("request_id")
    if not isinstance(command, str) or not command:
        _invalid('"command" must be a command name such as "target.create"')
    if not isinstance(actor, dict):
        _invalid('"actor" must be an object {"id": …, "roles": […]}')
    if not isinstance(args, dict):
        _invalid('"args" must be an object')
    if version is not None and (type(version) is not int or version < 0):
        _invalid('"expected_version" must be a whole number ≥ 0')
    if request_id is not None and (not isinstance(request_id, str) or not request_id.strip()):
        _invalid('"request_id" must be a non-empty text')
    return Envelope(command, actor, args, version, request_id)


def _text(raw: bytes | str, *, first: bool) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    # Some editors start a file with a byte-order mark.
    return raw.removeprefix("\ufeff") if first else raw


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number (amounts are exact decimals)")


def _invalid(problem: str) -> NoReturn:
    raise InvalidInput(f"envelope: {problem}")
