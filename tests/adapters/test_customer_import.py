"""CSV imports of customers and purchases: each row validated and refused on its own, with its
line and reason (R-G4), the rest saved in batches; importing again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from closedloop import ClosedLoop, FixedClock, NotAuthorised, RuleViolation
from closedloop.adapters.cli.main import app
from closedloop.adapters.customer_csv import import_csv
from closedloop.application.bulk import run_rows
from closedloop.application.catalogue import Catalogue, Result
from closedloop.application.dispatcher import Dispatcher
from closedloop.application.inputs import Input
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.customer import Customer
from tests.cast import AUDITOR, LI
from tests.customer_scenario import buy, register

CUSTOMERS = """ref,name,phone,email,source,preferences,consents
C-1,张伟,13800138000,zw@example.cn,expo,SUV;EV,sms:care;email:promotion
C-2,李娜,not a phone,,web,,
C-3,王芳,13900139000,,web,,fax:care
C-4,,13700137000,,web,,
C-5,赵敏,13600136000,,web,,
"""
PURCHASES = """customer,order,amount,on,category
C-1,O-1,1200.00 CNY,2026-01-02,service
C-1,O-2,-5 CNY,2026-01-02,service
C-9,O-3,100 CNY,2026-01-02,service
C-1,O-1,1200.00 CNY,2026-01-02,service
C-5,O-4,100 USD,2026-01-02,parts
C-5,O-5,300.00 CNY,2026-01-03,parts
"""


def files(tmp_path: Path) -> tuple[Path, Path]:
    people, orders = tmp_path / "customers.csv", tmp_path / "purchases.csv"
    people.write_text(CUSTOMERS, encoding="utf-8")
    orders.write_text(PURCHASES, encoding="utf-8")
    return people, orders


def fates(loop: ClosedLoop, kind: str, path: Path) -> list[tuple[int, str, str | None]]:
    rows = import_csv(loop, kind, path, LI, batch_size=2)
    return [(r.line, r.status, r.error.kind if r.error else None) for r in rows]


def test_R_G4_each_csv_row_is_refused_alone_with_its_line_and_the_rest_saved(
    loop: ClosedLoop, tmp_path: Path
) -> None:
    people, orders = files(tmp_path)
    assert fates(loop, "customers", people) == [
        (2, "imported", None),
        (3, "rejected", "invalid_input"),  # the phone
        (4, "rejected", "invalid_input"),  # a channel named fax
        (5, "rejected", "invalid_input"),  # no name
        (6, "imported", None),
    ]
    assert [v["ref"] for v in loop.customers()] == ["C-1", "C-5"]
    assert loop.customer("C-1")["consent"]["email"]["promotion"] is True
    assert fates(loop, "purchases", orders) == [
        (2, "imported", None),
        (3, "rejected", "invalid_input"),  # a negative amount
        (4, "rejected", "not_found"),
        (5, "skipped", None),  # the same order again
        (6, "rejected", "invalid_input"),  # another currency
        (7, "imported", None),
    ]
    assert loop.customer("C-1")["points"]["earned"] == 1200
    assert loop.customer("C-5")["total_spend"].amount == 300


def test_importing_a_file_again_changes_nothing(mem_loop: ClosedLoop, tmp_path: Path) -> None:
    people, orders = files(tmp_path)
    fates(mem_loop, "customers", people)
    fates(mem_loop, "purchases", orders)
    position = mem_loop.position()
    assert [fate[1] for fate in fates(mem_loop, "customers", people)] == [
        "skipped",
        "rejected",
        "rejected",
        "rejected",
        "skipped",
    ]
    assert [fate[1] for fate in fates(mem_loop, "purchases", orders)].count("imported") == 0
    assert mem_loop.position() == position


def test_R_G2_an_import_by_an_actor_without_the_permission_records_nothing(
    mem_loop: ClosedLoop, tmp_path: Path
) -> None:
    people, _ = files(tmp_path)
    with pytest.raises(NotAuthorised, match="R-G2"):
        list(import_csv(mem_loop, "customers", people, AUDITOR))
    assert mem_loop.position() == 0


class Touch(Input):
    customer: str
    refuse: bool


def test_R_G4_a_row_refused_after_it_changed_something_leaves_no_trace(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    """Rules come before events, but a handler refused late must not leak into the batch."""
    register(mem_loop)
    catalogue = Catalogue()

    @catalogue.command("test.touch", permission="record")
    def touch(uow: UnitOfWork, actor: Actor, args: Touch) -> Result:
        customer = uow.get(Customer, args.customer)
        customer.record_service(actor, uow.now, "called", None)
        if args.refuse:
            raise RuleViolation("R-G4", "refused after a change")
        return {"ok": True}

    dispatcher = Dispatcher(mem_loop._store, mem_loop.policy, clock, catalogue)
    rows: list[dict[str, Any]] = [
        {"customer": "C-1", "refuse": refuse} for refuse in (False, True, False)
    ]
    outcomes = list(run_rows(dispatcher, "test.touch", LI, rows))
    assert [o.error.rule if isinstance(o.error, RuleViolation) else None for o in outcomes] == [
        None,
        "R-G4",
        None,
    ]
    assert mem_loop.customer("C-1")["services"] == 2


def test_the_import_commands_report_rejected_lines_and_a_summary(tmp_path: Path) -> None:
    people, orders = files(tmp_path)
    store = f"sqlite:///{tmp_path}/cli.db"
    runner = CliRunner()
    done = runner.invoke(
        app, ["import", "customers", str(people), "--actor", "li", "--store", store]
    )
    assert done.exit_code == 2  # the first rejection's (invalid input)
    assert "line 3: customer.register: phone" in done.output
    assert "customers: 2 imported, 0 skipped, 3 rejected" in done.output
    done = runner.invoke(
        app, ["import", "purchases", str(orders), "--actor", "li", "--store", store, "--json"]
    )
    assert '"summary": {"imported": 2, "skipped": 1, "rejected": 3}' in done.output
    assert '"line": 4, "error": "not_found"' in done.output
    denied = runner.invoke(
        app,
        [
            "import",
            "purchases",
            str(orders),
            "--actor",
            "qian",
            "--role",
            "auditor",
            "--store",
            store,
        ],
    )
    assert denied.exit_code == 3


def test_R_G4_a_row_refused_after_changing_a_retained_customer_leaves_no_trace(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    """One row a batch: the customer the first batch saved is retained, then changed by a
    refused row; the batch after that must not build on the refused change."""
    register(loop)
    catalogue = Catalogue()

    @catalogue.command("test.touch", permission="record")
    def touch(uow: UnitOfWork, actor: Actor, args: Touch) -> Result:
        customer = uow.get(Customer, args.customer)
        customer.record_service(actor, uow.now, "called", None)
        if args.refuse:
            raise RuleViolation("R-G4", "refused after a change")
        return {"ok": True}

    dispatcher = Dispatcher(loop._store, loop.policy, clock, catalogue)
    rows = [{"customer": "C-1", "refuse": refuse} for refuse in (False, True, False, False)]
    outcomes = list(run_rows(dispatcher, "test.touch", LI, rows, batch_size=1))
    assert [o.error is None for o in outcomes] == [True, False, True, True]
    assert loop.customer("C-1")["services"] == 3


def test_a_purchase_recorded_by_another_writer_between_batches_is_not_lost(
    loop: ClosedLoop,
) -> None:
    """The batch after the other writer's purchase starts from the customer the import saved
    before; its save must conflict and run again on fresh state, keeping both purchases."""
    register(loop)

    def rows() -> Iterator[dict[str, Any]]:
        yield {"customer": "C-1", "order": "O-1", "amount": "100.00 CNY"}
        buy(loop, order="O-other", amount="50.00 CNY")  # between the two batches
        yield {"customer": "C-1", "order": "O-2", "amount": "200.00 CNY"}

    outcomes = list(loop.execute_rows("customer.record_purchase", LI, rows(), batch_size=1))
    assert [o.error for o in outcomes] == [None, None]
    view = loop.customer("C-1")
    assert view["total_spend"].amount == 350
    assert view["points"]["earned"] == 350


def test_customers_an_import_saved_are_not_loaded_again_by_the_next_and_a_change_between_stays(
    loop: ClosedLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Customers imported, then their purchases: the second import takes the customers the
    first saved (no load); a purchase recorded in between makes its batch load afresh, and
    neither purchase is lost."""
    people, _ = files(tmp_path)
    list(import_csv(loop, "customers", people, LI))
    loads: list[object] = []
    load = UnitOfWork._load

    def counted(uow: UnitOfWork, agg_id: Any) -> Any:
        loads.append(agg_id)
        return load(uow, agg_id)

    monkeypatch.setattr(UnitOfWork, "_load", counted)
    rows = [{"customer": ref, "order": f"A-{ref}", "amount": "10.00 CNY"} for ref in ("C-1", "C-5")]
    assert [o.error for o in loop.execute_rows("customer.record_purchase", LI, rows)] == [None] * 2
    assert loads == []
    buy(loop, order="O-other", amount="50.00 CNY")  # C-1, by another command
    rows = [{"customer": "C-1", "order": "B-1", "amount": "20.00 CNY"}]
    assert [o.error for o in loop.execute_rows("customer.record_purchase", LI, rows)] == [None]
    assert loop.customer("C-1")["total_spend"].amount == 80
    assert loop.customer("C-5")["total_spend"].amount == 10
