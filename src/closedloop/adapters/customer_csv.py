"""CSV imports of customers and purchases, through the command catalogue, saved in batches.

``customers``: columns named as ``customer.register``'s fields (``ref``, ``name``, ``phone``,
``email``, ``wechat``, ``birthday``, ``address``, ``source``, ``owner``, ``referrer``), with
``preferences`` as ``SUV;EV`` and ``consents`` as ``sms:care;email:promotion`` (their source
is the file's name). ``purchases``: ``customer``, ``order``, ``amount`` (``1200.00 CNY``),
``on`` and ``category``. Empty cells are left out.

Every row is validated and refused on its own, with its line number and reason; the rest are
saved. Importing a file again changes nothing: customers already registered and orders
already recorded are skipped.

    with ClosedLoop(url) as loop:
        for row in import_csv(loop, "purchases", "purchases.csv", actor):
            ...
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from closedloop.api import ClosedLoop
from closedloop.domain.actor import Actor
from closedloop.domain.customer import Customer
from closedloop.domain.errors import ClosedLoopError, InvalidInput, NotFound

COMMANDS = {"customers": "customer.register", "purchases": "customer.record_purchase"}
IMPORTED, SKIPPED, REJECTED = "imported", "skipped", "rejected"


@attrs.frozen
class ImportedRow:
    """One data row's fate: ``imported``, ``skipped`` (already there) or ``rejected``."""

    line: int
    status: str
    error: ClosedLoopError | None = None


def data_lines(path: str | Path) -> int:
    """How many data rows a file has (for a progress bar)."""
    with _open(path) as file:
        return sum(1 for _ in csv.DictReader(file))


def import_csv(
    loop: ClosedLoop, kind: str, path: str | Path, actor: Actor, *, batch_size: int = 500
) -> Iterator[ImportedRow]:
    """Import ``kind`` (``customers`` or ``purchases``) rows from the CSV file at ``path``."""
    if kind not in COMMANDS:
        raise InvalidInput(f"cannot import {kind!r}: only {' or '.join(COMMANDS)}")
    source = Path(path).name
    lines: list[int] = []
    skipped: list[int] = []

    def rows() -> Iterator[dict[str, Any]]:
        with _open(path) as file:
            reader = csv.DictReader(file)
            for row in reader:
                args = _args(kind, row, source)
                if kind == "customers" and _registered(loop, args.get("ref")):
                    skipped.append(reader.line_num)
                    continue
                lines.append(reader.line_num)
                yield args

    for outcome in loop.execute_rows(COMMANDS[kind], actor, rows(), batch_size=batch_size):
        while skipped and skipped[0] < lines[outcome.index]:
            yield ImportedRow(skipped.pop(0), SKIPPED)
        line = lines[outcome.index]
        if outcome.error is not None:
            yield ImportedRow(line, REJECTED, outcome.error)
        elif outcome.result is not None and outcome.result.get("recorded") is False:
            yield ImportedRow(line, SKIPPED)
        else:
            yield ImportedRow(line, IMPORTED)
    for line in skipped:
        yield ImportedRow(line, SKIPPED)


def _open(path: str | Path) -> Any:
    try:
        return Path(path).open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None


def _args(kind: str, row: dict[Any, Any], source: str) -> dict[str, Any]:
    """A row as command arguments: empty cells left out, lists split at ``;``."""
    args = {key.strip(): value.strip() for key, value in row.items() if key and value}
    if None in row:  # more cells than columns
        args["(extra cells)"] = row[None]
    if kind == "customers":
        if "preferences" in args:
            args["preferences"] = _split(args["preferences"])
        if "consents" in args:
            pairs = (item.partition(":") for item in _split(args["consents"]))
            args["consents"] = [
                {"channel": channel, "purpose": purpose, "source": source}
                for channel, _, purpose in pairs
            ]
    return args


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _registered(loop: ClosedLoop, ref: Any) -> bool:
    if not isinstance(ref, str):
        return False
    try:
        loop.reader().get(Customer, ref)
    except NotFound:
        return False
    return True
