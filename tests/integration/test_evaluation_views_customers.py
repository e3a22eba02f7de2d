"""The customers, complaints and risks evaluation views, on every store, and L7 for them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from closedloop import ClosedLoop, FixedClock, Policy
from tests.cast import CEO, LI, ZHOU
from tests.customer_scenario import NAME, PHONE, buy, register
from tests.risk_scenario import POLICY_5X5, assessed, mitigated, received, resolved

#: The personal values of the customer C-P (R-C1): none may reach a facts row or a view.
PERSONAL = {
    "name": NAME,
    "phone": PHONE,
    "email": "zhang.wei@example.cn",
    "wechat": "zw-wechat-8812",
    "birthday": "1985-03-17",
    "address": "上海市徐汇区漕溪北路 88 号",
}


def facts_text(loop: ClosedLoop) -> str:
    view = loop._views["facts"]
    view.catch_up()
    rows = list(view.scan())
    assert any(key.startswith("customer:") for key, _ in rows)  # the customer has a row
    return json.dumps(rows, ensure_ascii=False, default=str)


def test_R_C1_no_personal_value_reaches_a_facts_row_or_the_view_before_or_after_erasure(
    loop: ClosedLoop,
) -> None:
    register(loop, "C-P", **{**PERSONAL, "preferences": ["SUV"]})
    loop.execute("customer.record_service", LI, {"customer": "C-P", "note": "test drive"})
    stored = [facts_text(loop), json.dumps(loop.evaluation("customers"), default=str)]
    loop.execute("customer.erase", CEO, {"customer": "C-P", "reason": "DSR-2026-014"})
    loop.rebuild("facts")
    stored += [facts_text(loop), json.dumps(loop.evaluation("customers"), default=str)]
    for text in stored:
        for value in (*PERSONAL.values(), "漕溪北路", "zhang.wei"):
            assert value not in text


def test_R_C4_R_C8_L5_customers_tiers_quality_points_and_rates(mem_loop: ClosedLoop) -> None:
    register(mem_loop, "C-1", email="a@example.cn")
    register(mem_loop, "C-2", referrer="C-1")
    register(mem_loop, "C-3")
    buy(mem_loop, "C-1", "O-1", "1000.00 CNY")
    buy(mem_loop, "C-1", "O-2", "500.00 CNY")
    buy(mem_loop, "C-2", "O-3", "300.00 CNY")
    for ref, score in (("C-1", 5), ("C-2", 2)):
        args = {"customer": ref, "note": "delivery", "satisfaction": score}
        mem_loop.execute("customer.record_service", LI, args)
    mem_loop.execute(
        "customer.verify_info", LI, {"customer": "C-3", "accurate": False, "note": "x"}
    )
    view = mem_loop.evaluation("customers")
    assert (view["customers"], view["new"], view["churned"]) == (3, 3, 0)
    assert view["tiers"] == {
        tier: sum(1 for r in ("C-1", "C-2", "C-3") if mem_loop.customer(r)["tier"] == tier)
        for tier in ("high_value", "core", "ordinary")
    }
    assert view["repeat_purchase_rate"] == Decimal("0.5000")  # C-1 of C-1, C-2
    assert view["referral_rate"] == Decimal("0.3333")
    assert view["mean_satisfaction"] == Decimal("3.50")
    quality = mem_loop.customer_quality()
    assert view["quality"] == {k: quality[k] for k in ("completeness", "timeliness", "accuracy")}
    balances = sum(mem_loop.customer(r)["points"]["balance"] for r in ("C-1", "C-2", "C-3"))
    assert view["points_outstanding"] == balances > 0
    assert (view["customers_at_start"], view["churn_rate"]) == (None, None)
    assert mem_loop.evaluation("customers", scope=f"person:{ZHOU.id}")["customers"] == 0


def test_R_C8_timeliness_is_judged_on_the_day_asked(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop, "C-1")
    assert mem_loop.evaluation("customers")["quality"]["timeliness"] == Decimal(1)
    clock.advance(days=mem_loop.policy.customer.verify_every_days + 1)
    assert mem_loop.evaluation("customers")["quality"]["timeliness"] == Decimal(0)


def test_R_C10_churn_rate_in_the_period_matches_the_domains(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    for ref in ("C-1", "C-2", "C-3", "C-4"):
        register(mem_loop, ref)
    clock.set("2026-12-01T09:00:00+00:00")
    buy(mem_loop, "C-3", "O-1")
    buy(mem_loop, "C-4", "O-2")
    clock.set("2027-02-01T09:00:00+00:00")
    register(mem_loop, "C-5")
    clock.set("2027-06-30T09:00:00+00:00")
    mem_loop.execute("customer.sweep_churn", LI, {})
    view = mem_loop.evaluation("customers", period="2027")
    rate = mem_loop.churn_rate("2027")
    assert (
        (view["customers_at_start"], view["churned"], view["churn_rate"])
        == (
            rate["customers_at_start"],
            rate["churned"],
            rate["churn_rate"],
        )
        == (4, 2, Decimal("0.5000"))
    )
    assert (view["customers"], view["new"]) == (5, 1)
    buy(mem_loop, "C-1", "O-3")  # reactivated: still churned in 2027, no churn in 2028's start
    assert mem_loop.evaluation("customers", period="2027")["churned"] == 2
    clock.set("2028-01-02T09:00:00+00:00")
    assert mem_loop.evaluation("customers", period="2028")["customers_at_start"] == 4


def test_R_C10_a_reactivated_customer_counts_at_the_start_however_often_they_bought_since(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    """Churned on 2027-01-05, bought again in March 2027 and in February 2028: churned in
    2027, a customer at the start of 2028 (the last purchase, in 2028, does not say when
    the churn ended; the reactivating one does)."""
    for ref in ("C-1", "C-2"):
        register(mem_loop, ref)
    clock.set("2027-02-01T09:00:00+00:00")
    mem_loop.execute("customer.sweep_churn", LI, {})  # both churned on 2027-01-05
    clock.set("2027-03-01T09:00:00+00:00")
    buy(mem_loop, "C-1", "O-1")
    clock.set("2028-02-01T09:00:00+00:00")
    buy(mem_loop, "C-1", "O-2")
    year_2027 = mem_loop.evaluation("customers", period="2027")
    assert (year_2027["customers_at_start"], year_2027["churned"]) == (2, 2)
    assert year_2027["churn_rate"] == Decimal(1)
    year_2028 = mem_loop.evaluation("customers", period="2028")
    assert (year_2028["customers_at_start"], year_2028["churned"]) == (1, 0)  # C-1, not C-2
    assert mem_loop.evaluation("customers", period="2027-03")["customers_at_start"] == 0
    assert mem_loop.evaluation("customers", period="2027-04")["customers_at_start"] == 1


def test_R_C10_a_churn_that_a_purchase_recorded_late_predates_is_no_churn(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    """Swept churned on 2027-01-05, then a purchase of 2026-12-20 is recorded: the customer
    had bought within ``churn_after_days``, so by R-C10 they churn only on 2027-12-20."""
    register(mem_loop, "C-1")
    clock.set("2027-03-01T09:00:00+00:00")
    mem_loop.execute("customer.sweep_churn", LI, {})
    buy(mem_loop, "C-1", "O-1", on="2026-12-20")
    assert mem_loop.customer("C-1")["status"] == "active"
    quarter = mem_loop.evaluation("customers", period="2027-Q2")
    assert (quarter["customers_at_start"], quarter["churned"]) == (1, 0)
    clock.set("2027-12-21T09:00:00+00:00")
    mem_loop.execute("customer.sweep_churn", LI, {})
    assert mem_loop.customer("C-1")["churned_on"].isoformat() == "2027-12-20"
    year = mem_loop.evaluation("customers", period="2027")
    assert (year["customers_at_start"], year["churned"]) == (1, 1)
    assert mem_loop.evaluation("customers", period="2027-Q4")["churned"] == 1
    assert mem_loop.evaluation("customers", period="2027-Q1")["churned"] == 0


def test_R_C7_complaints_open_overdue_sla_rates_and_dissatisfied_closes(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    resolved(loop, "CMP-1")  # acknowledged and resolved at once: within both SLAs
    loop.execute(
        "complaint.record_feedback",
        LI,
        {"complaint": "CMP-1", "satisfied": False, "comment": "still angry"},
    )
    loop.execute("complaint.close", LI, {"complaint": "CMP-1"})
    received(loop, "CMP-2")
    view = loop.evaluation("complaints")
    assert (view["received"], view["open"], view["overdue"]) == (2, 1, 0)
    [closed] = view["dissatisfied_closes"]
    fix = loop.rectifications()[0]
    assert (closed["complaint"], closed["rectification"]) == ("CMP-1", fix["ref"] or fix["id"])
    clock.advance(days=2)  # CMP-2 is past its 24 h to acknowledge, not its 72 h to resolve
    later = loop.evaluation("complaints")
    assert later["overdue"] == 1
    [cmp2] = [c for c in later["complaints"] if c["ref"] == "CMP-2"]
    assert cmp2["overdue_slas"] == loop.complaint("CMP-2")["overdue_slas"] == ["acknowledge"]
    loop.execute("complaint.acknowledge", LI, {"complaint": "CMP-2"})
    figures = loop.evaluation("complaints")
    assert figures["acknowledged_within_sla_rate"] == Decimal("0.5000")
    assert figures["resolved_within_sla_rate"] == Decimal(1)
    assert loop.evaluation("complaints", period="2025")["received"] == 0
    assert loop.evaluation("complaints", scope=f"person:{ZHOU.id}")["received"] == 0


def test_R_K3_R_K4_R_K2_the_risk_register_late_reviews_and_acceptances_near_expiry(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    mitigated(loop, "RISK-1")
    loop.execute("risk.monitor", LI, {"risk": "RISK-1"})
    args = {"risk": "RISK-1", "likelihood": "low", "impact": "medium", "stage": "residual"}
    loop.execute("risk.assess", LI, args)
    assessed(loop, "RISK-2", likelihood="medium", impact="medium")
    expiry = {"risk": "RISK-2", "reason": "cheap to live with", "expires_on": "2026-01-20"}
    loop.execute("risk.accept", CEO, expiry)
    view = loop.evaluation("risks")
    register_ = {r["ref"]: r for r in view["register"]}
    assert (register_["RISK-1"]["inherent"], register_["RISK-1"]["residual"]) == ("high", "low")
    assert register_["RISK-2"]["current"] == "medium"
    [near] = view["acceptances_near_expiry"]
    assert (near["ref"], near["days_left"], near["expired"]) == ("RISK-2", 15, False)
    assert view["late_reviews"] == []
    clock.set("2026-02-07T09:00:00+00:00")
    [late] = loop.evaluation("risks")["late_reviews"]
    assert (late["ref"], late["days_late"]) == ("RISK-1", loop.late_risk_reviews()[0]["days_late"])
    assert loop.evaluation("risks")["acceptances_near_expiry"][0]["expired"] is True
    assert loop.evaluation("risks", scope=f"person:{ZHOU.id}")["register"] == []
    assert loop.evaluation("risks", period="2025")["register"] == []


def test_R_K1_heat_maps_count_each_assessment_on_the_grid_it_recorded(
    tmp_path: Path, clock: FixedClock
) -> None:
    url = f"sqlite:///{tmp_path}/risks.db"
    with ClosedLoop(url, clock=clock) as loop:
        assessed(loop, "RISK-1", likelihood="high", impact="medium")
    with ClosedLoop(url, clock=clock, policy=Policy.from_mapping(POLICY_5X5)) as loop:
        assessed(loop, "RISK-2", likelihood="likely", impact="rare")
        assessed(loop, "RISK-3", likelihood="likely", impact="rare")
        maps = {m["size"]: m for m in loop.evaluation("risks")["heat_map_inherent"]}
    assert maps["3x3"]["cells"] == [[0, 0, 0], [0, 0, 0], [0, 1, 0]]
    assert maps["5x5"]["cells"][3][0] == 2
    assert sum(map(sum, maps["5x5"]["cells"])) == 2
    assert maps["3x3"]["levels"][2][1] == "high"


def scenario(loop: ClosedLoop, clock: FixedClock) -> None:
    register(loop, "C-1")
    register(loop, "C-2", referrer="C-1")
    buy(loop, "C-2", "O-1")
    mitigated(loop, "RISK-1")
    resolved(loop, "CMP-1")
    received(loop, "CMP-2")
    clock.set("2027-02-01T09:00:00+00:00")
    loop.execute("customer.sweep_churn", LI, {})
    loop.execute("risk.review", LI, {"risk": "RISK-1", "note": "prices stable"})


@pytest.mark.parametrize("name", ["customers", "complaints", "risks"])
def test_L7_rebuilt_equals_live_and_as_of_equals_what_was_live(
    store_url: str, clock: FixedClock, name: str
) -> None:
    with ClosedLoop(store_url, clock=clock) as loop:
        register(loop, "C-0")
        assessed(loop, "RISK-0", likelihood="low", impact="low")
        received(loop, "CMP-0")
        then, moment = loop.evaluation(name), clock.now()
        clock.advance(hours=1)
        scenario(loop, clock)
        live = {p: loop.evaluation(name, period=p) for p in (None, "2026", "2027")}
        loop.rebuild("facts")
        assert {p: loop.evaluation(name, period=p) for p in live} == live
        assert loop.evaluation(name, as_of=moment) == then
        assert loop.evaluation(name, as_of=loop.position()) == live[None]


def test_the_views_answer_in_json_through_the_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from closedloop.adapters.cli.main import app

    url = f"sqlite:///{tmp_path}/cli.db"
    with ClosedLoop(url, clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        register(loop, "C-1")
        assessed(loop, "RISK-1")
        received(loop, "CMP-1")
    runner = CliRunner()
    for name in ("customers", "complaints", "risks"):
        shown = runner.invoke(app, ["view", name, "--store", url], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        as_json = runner.invoke(app, ["view", name, "--store", url, "--json"])
        assert as_json.exit_code == 0, as_json.output
        assert json.loads(as_json.output)
