"""``closedloop report``: the self-contained HTML report, registered on the root app of
:mod:`closedloop.adapters.cli.main`, which imports this module once its options exist."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from closedloop.adapters.cli.main import app
from closedloop.adapters.cli.options import AsOfTime, Period, PolicyFile, Store
from closedloop.adapters.report import write_report
from closedloop.api import ClosedLoop
from closedloop.application.reader import parse_as_of
from closedloop.domain.errors import InvalidInput


@app.command("report")
def report(
    out: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="the HTML file to write")
    ] = Path("report.html"),
    period: Period = None,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
) -> None:
    """One HTML page for managers: targets, activities, customers, risks, rectifications,
    loop health, the closure certificate and the audit head; no asset from the network."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        try:
            data = write_report(loop, out, period=period, as_of=when)
        except OSError as error:
            raise InvalidInput(f"cannot write {out}: {error}") from None
    typer.echo(f"wrote {out}: {data.period or 'all periods'}, {data.audit['count']} events")
