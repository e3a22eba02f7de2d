"""``show customer ID``, ``list customers`` and ``import customers|purchases FILE.csv``.

Views never show personal data: it is read through the command
``customer.read_personal_data`` (``closedloop apply``), which records every read (R-C1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from closedloop.adapters import customer_csv
from closedloop.adapters.cli import render_customer
from closedloop.adapters.cli.main import Only, _lists, _out, _shows, app
from closedloop.adapters.cli.options import Json, PolicyFile, Store
from closedloop.adapters.jsonable import to_json
from closedloop.api import ClosedLoop
from closedloop.domain.actor import Actor

import_app = typer.Typer(help="Import customers or purchases from CSV files.", no_args_is_help=True)
app.add_typer(import_app, name="import")

CsvFile = Annotated[
    Path, typer.Argument(metavar="FILE.csv", help="a header row, then one row each")
]
ActorId = Annotated[str, typer.Option("--actor", metavar="ID", help="who imports (recorded)")]
Roles = Annotated[
    list[str] | None,
    typer.Option("--role", metavar="ROLE", help="the actor's role (repeatable; default marketer)"),
]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="rows saved per transaction")]


_shows(
    "customer",
    ClosedLoop.customer,
    render_customer.customer_panel,
    "A customer: tier, points, consent, revisits and information quality (no personal data).",
)
_lists(
    "customers",
    ClosedLoop.customers,
    render_customer.customers_table,
    "Every customer, in registration order (no personal data).",
    Only("--missed-revisits", "missed_revisits", "only those whose revisit is overdue"),
)

_lists(
    "care",
    ClosedLoop.care_plan,
    render_customer.care_table,
    "The care plan (R-C9): greetings and revisits due now, and the care that was missed.",
)


@import_app.command("customers")
def import_customers(
    file: CsvFile,
    actor: ActorId,
    role: Roles = None,
    batch_size: BatchSize = 500,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Register customers (ref, name, phone, email, wechat, birthday, address, source, owner,
    preferences, referrer, consents); those already registered are skipped."""
    _import(
        "customers",
        file,
        Actor(actor, roles=role or ["marketer"]),
        batch_size,
        store,
        policy,
        json_output,
    )


@import_app.command("purchases")
def import_purchases(
    file: CsvFile,
    actor: ActorId,
    role: Roles = None,
    batch_size: BatchSize = 500,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Record purchases (customer, order, amount, on, category); orders already recorded are
    skipped."""
    _import(
        "purchases",
        file,
        Actor(actor, roles=role or ["marketer"]),
        batch_size,
        store,
        policy,
        json_output,
    )


def _import(
    kind: str,
    file: Path,
    actor: Actor,
    batch_size: int,
    store: str | None,
    policy: Path | None,
    json_output: bool,
) -> None:
    """Import with a progress bar; rejected rows are listed with their line and reason."""
    total = customer_csv.data_lines(file)
    counts = dict.fromkeys((customer_csv.IMPORTED, customer_csv.SKIPPED, customer_csv.REJECTED), 0)
    rejected: list[customer_csv.ImportedRow] = []
    console = _out()
    with (
        ClosedLoop(store, policy=policy) as loop,
        Progress(console=console, transient=True, disable=json_output) as progress,
    ):
        task = progress.add_task(f"importing {kind}", total=total)
        for row in customer_csv.import_csv(loop, kind, file, actor, batch_size=batch_size):
            counts[row.status] += 1
            if row.error is not None:
                rejected.append(row)
            progress.advance(task)
    if json_output:
        rows = [{"line": r.line, **r.error.to_dict()} for r in rejected if r.error is not None]
        typer.echo(to_json({"summary": counts, "rejected": rows}))
    else:
        console.print(render_customer.import_report(kind, counts, rejected), soft_wrap=True)
    first = next((r.error for r in rejected if r.error is not None), None)
    raise typer.Exit(first.exit_code if first is not None else 0)
