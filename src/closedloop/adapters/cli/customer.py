"""``show customer ID`` and ``list customers``: customer views, never their personal data.

Personal data is read through the command ``customer.read_personal_data`` (``closedloop
apply``), which records every read (R-C1).
"""

from __future__ import annotations

from typing import Annotated

import typer

from closedloop.adapters.cli import render_customer
from closedloop.adapters.cli.main import (
    AsOfTime,
    Json,
    PolicyFile,
    Ref,
    Store,
    _emit_json,
    _out,
    list_app,
    parse_as_of,
    show_app,
)
from closedloop.api import ClosedLoop


@show_app.command("customer")
def show_customer(
    ref: Ref,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """A customer: tier, points, consent, revisits and information quality (no personal data)."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        view = loop.customer(ref, as_of=when)
    if json_output:
        _emit_json(view)
    else:
        _out().print(render_customer.customer_panel(view))


@list_app.command("customers")
def list_customers(
    missed_revisits: Annotated[
        bool, typer.Option("--missed-revisits", help="only those whose revisit is overdue")
    ] = False,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Every customer, in registration order (no personal data)."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        views = loop.customers(missed_revisits=missed_revisits, as_of=when)
    if json_output:
        _emit_json(views)
    else:
        _out().print(render_customer.customers_table(views))
