"""Customer rules R-C3 … R-C6 and R-C8 … R-C10 (personal data, R-C1 and R-C2, has its own
module: ``test_personal_data.py``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from closedloop import (
    ClosedLoop,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    NotFound,
    Policy,
    RuleViolation,
)
from closedloop.domain.care import before, on_or_after
from closedloop.domain.ids import aggregate_id
from tests.cast import CEO, LI
from tests.customer_scenario import buy, consent, contact, redeem, register


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def snapshot(loop: ClosedLoop) -> tuple[int, list[dict[str, Any]]]:
    """What a refused command must leave alone (R-G4): the history and every view."""
    return loop.position(), loop.customers()


def points(loop: ClosedLoop, ref: str = "C-1") -> dict[str, Any]:
    result: dict[str, Any] = loop.customer(ref)["points"]
    return result


# --- R-C3 consent ------------------------------------------------------------------------------


def test_R_C3_a_contact_without_consent_for_its_channel_and_purpose_is_refused(
    loop: ClosedLoop,
) -> None:
    register(loop)
    consent(loop, "C-1", "sms", "care")
    before = snapshot(loop)
    with refused("R-C3") as error:
        contact(loop, "C-1", "invitation", "sms")  # promotion, not care
    assert "no valid consent to promotion contact by sms" in str(error.value)
    with refused("R-C3"):
        contact(loop, "C-1", "revisit", "wechat")  # care, another channel
    assert snapshot(loop) == before
    contact(loop, "C-1", "revisit", "sms")
    assert [c["kind"] for c in loop.customer("C-1")["contacts"]] == ["revisit"]


def test_R_C3_withdrawal_takes_effect_at_once_and_consent_can_be_granted_again(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop, consents=[{"channel": "email", "purpose": "promotion", "source": "form"}])
    contact(mem_loop, "C-1", "invitation", "email")
    consent(mem_loop, "C-1", "email", "promotion", granted=False)
    with refused("R-C3"):
        contact(mem_loop, "C-1", "invitation", "email")
    clock.advance(days=30)
    consent(mem_loop, "C-1", "email", "promotion")
    contact(mem_loop, "C-1", "invitation", "email")
    assert mem_loop.customer("C-1")["consent"]["email"]["promotion"] is True


def test_R_C3_opting_out_of_personalised_marketing_ends_it_on_every_channel(
    mem_loop: ClosedLoop,
) -> None:
    register(mem_loop)
    for channel in ("sms", "wechat"):
        consent(mem_loop, "C-1", channel, "personalised")
    consent(mem_loop, "C-1", "sms", "care")
    contact(mem_loop, "C-1", "recommendation", "wechat")
    mem_loop.execute(
        "customer.opt_out_personalised", LI, {"customer": "C-1", "source": "PIPL art. 24 request"}
    )
    for channel in ("sms", "wechat"):
        with refused("R-C3"):
            contact(mem_loop, "C-1", "recommendation", channel)
    contact(mem_loop, "C-1", "revisit", "sms")  # care consent stands
    view = mem_loop.customer("C-1")["consent"]
    assert not any(view[channel]["personalised"] for channel in view)


def test_R_C3_consent_as_of_a_time_is_decided_by_the_events_recorded_up_to_then(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop)
    granted_at = clock.advance(days=1)
    consent(mem_loop, "C-1", "phone", "care")
    withdrawn_at = clock.advance(days=10)
    consent(mem_loop, "C-1", "phone", "care", granted=False)
    assert mem_loop.customer("C-1", as_of=granted_at)["consent"]["phone"]["care"] is True
    assert mem_loop.customer("C-1", as_of=withdrawn_at)["consent"]["phone"]["care"] is False


def test_R_C3_a_consent_records_its_source(mem_loop: ClosedLoop) -> None:
    register(mem_loop)
    with refused("R-C3"):
        mem_loop.execute(
            "customer.grant_consent",
            LI,
            {"customer": "C-1", "channel": "sms", "purpose": "care", "source": "  "},
        )
    with pytest.raises(InvalidInput, match="channel"):
        mem_loop.execute(
            "customer.grant_consent",
            LI,
            {"customer": "C-1", "channel": "fax", "purpose": "care", "source": "form"},
        )


# --- R-C4 tiers --------------------------------------------------------------------------------


def test_R_C4_tiers_follow_12_month_spend_frequency_and_tenure(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop)
    buy(mem_loop, order="O-1", amount="9000.00 CNY")
    assert mem_loop.customer("C-1")["tier"] == "ordinary"
    assert buy(mem_loop, order="O-2", amount="1000.00 CNY")["tier"] == "core"  # 10,000 in 2
    for n in range(3, 7):
        buy(mem_loop, order=f"O-{n}", amount="10000.00 CNY")
    view = mem_loop.customer("C-1")
    assert (view["tier"], view["tenure_days"]) == ("core", 0)  # spend and frequency, no tenure
    clock.advance(days=365)
    mem_loop.execute("customer.recompute_tiers", LI, {})
    assert mem_loop.customer("C-1")["tier"] == "ordinary"  # the 12 months have passed
    for n in range(7, 13):
        buy(mem_loop, order=f"O-{n}", amount="9000.00 CNY")
    assert mem_loop.customer("C-1")["tier"] == "high_value"  # 54,000 in 6, a year's tenure


def test_R_C4_a_tier_change_is_an_event_and_the_periodic_recompute_records_only_changes(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop)
    buy(mem_loop, order="O-1", amount="6000.00 CNY")
    buy(mem_loop, order="O-2", amount="6000.00 CNY")
    changes = [
        e
        for e in mem_loop._store.events.get(aggregate_id("customer", "C-1"))
        if type(e).__name__ == "TierChanged"
    ]
    assert [(e.tier, e.spend, e.purchases) for e in changes] == [("core", 12000, 2)]
    position = mem_loop.position()
    assert mem_loop.execute("customer.recompute_tiers", LI, {}) == {"changed": {}}
    assert mem_loop.position() == position
    clock.advance(days=366)
    assert mem_loop.execute("customer.recompute_tiers", LI, {}) == {"changed": {"C-1": "ordinary"}}


def test_R_C4_the_thresholds_are_policy(clock: FixedClock) -> None:
    policy = Policy.from_mapping({"customer": {"core_spend": "500", "core_purchases": 1}})
    with ClosedLoop("memory:", policy=policy, clock=clock) as loop:
        register(loop)
        assert buy(loop, amount="500.00 CNY")["tier"] == "core"
    with pytest.raises(InvalidInput, match="must not be below the core"):
        Policy.from_mapping({"customer": {"core_spend": "90000"}})


# --- R-C5 points -------------------------------------------------------------------------------


def test_R_C5_a_purchase_earns_rate_times_the_tier_multiplier(mem_loop: ClosedLoop) -> None:
    register(mem_loop)
    buy(mem_loop, order="O-1", amount="8000.99 CNY")  # ordinary: x1, rounded down
    buy(mem_loop, order="O-2", amount="2000.00 CNY")  # still ordinary when bought: x1
    buy(mem_loop, order="O-3", amount="1000.00 CNY")  # core now: x1.5
    assert points(mem_loop)["earned"] == 8000 + 2000 + 1500


def test_R_C5_redemption_takes_the_soonest_expiring_points_first(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop)
    buy(mem_loop, order="O-1", amount="100.00 CNY")
    clock.advance(days=100)
    buy(mem_loop, order="O-2", amount="300.00 CNY")
    redeem(mem_loop, "C-1", "R-1", 150)
    clock.advance(days=631)  # O-1's points would have expired now: they were taken first
    mem_loop.execute("customer.expire_points", LI, {})
    assert points(mem_loop) | {"next_expiry": None} == {
        "earned": 400,
        "redeemed": 150,
        "expired": 0,
        "balance": 250,
        "available": 250,
        "next_expiry": None,
    }


def test_R_C5_points_expire_after_points_valid_days(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop)
    buy(mem_loop, order="O-1", amount="100.00 CNY")
    clock.advance(days=729)
    assert mem_loop.execute("customer.expire_points", LI, {}) == {"expired": {}}
    assert points(mem_loop)["available"] == 100
    clock.advance(days=1)
    assert points(mem_loop)["available"] == 0  # lapsed on its expiry day
    with refused("R-C5"):
        redeem(mem_loop, "C-1", "R-1", 1)
    assert mem_loop.execute("customer.expire_points", LI, {}) == {"expired": {"C-1": 100}}
    assert (points(mem_loop)["expired"], points(mem_loop)["balance"]) == (100, 0)


def test_R_C5_a_purchase_first_expires_the_points_that_have_lapsed(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop)
    buy(mem_loop, order="O-1", amount="100.00 CNY")
    clock.advance(days=730)
    buy(mem_loop, order="O-2", amount="50.00 CNY")
    assert points(mem_loop) | {"next_expiry": None} == {
        "earned": 150,
        "redeemed": 0,
        "expired": 100,
        "balance": 50,
        "available": 50,
        "next_expiry": None,
    }


def test_R_C5_the_balance_never_goes_negative(mem_loop: ClosedLoop) -> None:
    register(mem_loop)
    buy(mem_loop, amount="100.00 CNY")
    before = snapshot(mem_loop)
    with refused("R-C5") as error:
        redeem(mem_loop, "C-1", "R-1", 101)
    assert "100 points available, not 101" in str(error.value)
    with pytest.raises(InvalidInput, match="points"):
        redeem(mem_loop, "C-1", "R-1", 0)
    assert snapshot(mem_loop) == before


def test_R_C5_redemption_is_idempotent_by_request_id(loop: ClosedLoop) -> None:
    register(loop)
    buy(loop, amount="100.00 CNY")
    assert redeem(loop, "C-1", "R-1", 60)["redeemed"] is True
    position = loop.position()
    again = redeem(loop, "C-1", "R-1", 60)
    assert (again["redeemed"], again["points"]) == (False, 40)
    assert loop.position() == position
    with refused("R-C5"):
        redeem(loop, "C-1", "R-1", 10)  # the same request id for another redemption


def test_R_C5_the_same_order_is_recorded_once(mem_loop: ClosedLoop) -> None:
    register(mem_loop)
    buy(mem_loop, amount="100.00 CNY")
    assert buy(mem_loop, amount="100.00 CNY")["recorded"] is False
    assert points(mem_loop)["earned"] == 100
    with pytest.raises(InvalidInput, match="CNY"):
        buy(mem_loop, order="O-2", amount="100.00 USD")
    with pytest.raises(InvalidInput, match="future"):
        buy(mem_loop, order="O-3", on="2027-01-01")


# --- R-C6 referral -----------------------------------------------------------------------------


def test_R_C6_a_referred_customers_first_purchase_rewards_the_referrer_once(
    mem_loop: ClosedLoop,
) -> None:
    register(mem_loop, "C-1")
    register(mem_loop, "C-2", referrer="C-1")
    buy(mem_loop, "C-2", "O-1")
    buy(mem_loop, "C-2", "O-2")
    referrer = mem_loop.customer("C-1")
    assert referrer["points"]["earned"] == 500  # the policy's referral reward, once
    assert referrer["referrals_rewarded"] == [mem_loop.customer("C-2")["id"]]


def test_R_C6_no_self_referral_and_no_cycles(mem_loop: ClosedLoop) -> None:
    register(mem_loop, "C-1")
    register(mem_loop, "C-2", referrer="C-1")
    register(mem_loop, "C-3", referrer="C-2")
    with refused("R-C6"):
        mem_loop.execute("customer.record_referrer", LI, {"customer": "C-1", "referrer": "C-1"})
    before = snapshot(mem_loop)
    with refused("R-C6") as error:
        mem_loop.execute("customer.record_referrer", LI, {"customer": "C-1", "referrer": "C-3"})
    assert "cycle" in str(error.value)
    with refused("R-C6"):
        mem_loop.execute("customer.record_referrer", LI, {"customer": "C-3", "referrer": "C-1"})
    assert snapshot(mem_loop) == before
    with pytest.raises(NotFound):
        register(mem_loop, "C-5", referrer="NOBODY")


def test_R_C6_a_referrer_recorded_after_the_first_purchase_earns_nothing(
    mem_loop: ClosedLoop,
) -> None:
    register(mem_loop, "C-1")
    register(mem_loop, "C-2")
    buy(mem_loop, "C-2", "O-1")
    mem_loop.execute("customer.record_referrer", LI, {"customer": "C-2", "referrer": "C-1"})
    buy(mem_loop, "C-2", "O-2")
    assert mem_loop.customer("C-1")["points"]["earned"] == 0


# --- R-C8 information quality ------------------------------------------------------------------


def test_R_C8_completeness_timeliness_and_accuracy_are_measured(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop, "C-1", preferences=["SUV"])  # name, phone, source, owner, preferences
    register(
        mem_loop,
        "C-2",
        email="c2@example.cn",
        wechat="c2_wx",
        birthday="1988-02-29",
        address="上海市",
        preferences=["EV"],
    )
    quality = mem_loop.customer_quality()
    assert quality["completeness"] == Decimal("0.7778")  # (5 + 9) / 18
    assert quality["timeliness"] == 1  # verified at registration
    assert quality["accuracy"] is None
    clock.advance(days=181)
    mem_loop.execute("customer.verify_info", LI, {"customer": "C-2", "accurate": True})
    with refused("R-C8"):
        mem_loop.execute("customer.verify_info", LI, {"customer": "C-1", "accurate": False})
    mem_loop.execute(
        "customer.verify_info",
        LI,
        {"customer": "C-1", "accurate": False, "note": "phone number no longer in use"},
    )
    clock.advance(days=181)  # C-1 was checked 181 days ago: beyond verify_every_days
    mem_loop.execute("customer.verify_info", LI, {"customer": "C-2", "accurate": True})
    quality = mem_loop.customer_quality()
    assert (quality["timeliness"], quality["accuracy"]) == (0.5, 0.5)
    assert (quality["overdue_verification"], quality["inaccurate"]) == (["C-1"], ["C-1"])
    assert mem_loop.customer("C-1")["quality"]["missing"] == [
        "email",
        "wechat",
        "birthday",
        "address",
    ]


# --- R-C9 care -----------------------------------------------------------------------------------


def test_R_C9_a_birthday_greeting_is_sent_in_the_week_up_to_the_birthday_once(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    register(loop, birthday="1990-01-10")  # the clock stands at 2026-01-05
    register(loop, "C-2")  # no birthday on file
    with refused("R-C3"):
        contact(loop, "C-1", "birthday_greeting", "wechat")  # in the window, no care consent
    consent(loop, "C-1", "wechat", "care")
    consent(loop, "C-2", "wechat", "care")
    with refused("R-C9") as error:
        contact(loop, "C-2", "birthday_greeting", "wechat")
    assert "no birthday on file" in str(error.value)
    contact(loop, "C-1", "birthday_greeting", "wechat")
    before = snapshot(loop)
    with refused("R-C9") as error:
        contact(loop, "C-1", "birthday_greeting", "wechat")
    assert "already sent a birthday_greeting for birthday on 2026-01-10" in str(error.value)
    assert snapshot(loop) == before
    clock.advance(days=6)  # 2026-01-11: the next birthday is a year away
    with refused("R-C9") as error:
        contact(loop, "C-1", "birthday_greeting", "wechat")
    assert "from 2027-01-03 to 2027-01-10, not on 2026-01-11" in str(error.value)
    assert loop.position() == before[0]
    assert [c["kind"] for c in loop.customer("C-1")["contacts"]] == ["birthday_greeting"]


def test_R_C9_a_holiday_greeting_is_for_a_calendar_holiday_in_its_window_once(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop, consents=[{"channel": "sms", "purpose": "care", "source": "form"}])
    holiday: dict[str, Any] = {"customer": "C-1", "kind": "holiday_greeting", "channel": "sms"}
    with refused("R-C9") as error:
        mem_loop.execute("customer.contact", LI, holiday)
    assert "needs an occasion: no holiday" in str(error.value)
    with refused("R-C9") as error:
        mem_loop.execute("customer.contact", LI, {**holiday, "holiday": "halloween"})
    assert "(labour_day, national_day, new_year)" in str(error.value)
    with refused("R-C9"):  # 2026-01-05: the next new year is 2027-01-01
        mem_loop.execute("customer.contact", LI, {**holiday, "holiday": "new_year"})
    clock.set("2026-09-24T09:00:00+00:00")  # a week before national day
    mem_loop.execute("customer.contact", LI, {**holiday, "holiday": "national_day"})
    with refused("R-C9"):
        mem_loop.execute("customer.contact", LI, {**holiday, "holiday": "national_day"})
    clock.set("2026-12-25T09:00:00+00:00")
    mem_loop.execute("customer.contact", LI, {**holiday, "holiday": "new_year"})
    assert [c["kind"] for c in mem_loop.customer("C-1")["contacts"]] == ["holiday_greeting"] * 2


def test_R_C9_a_lunar_holiday_is_greeted_on_its_dated_day_only(clock: FixedClock) -> None:
    policy = Policy.from_mapping({"customer": {"holidays": {"spring_festival": "2026-02-17"}}})
    with ClosedLoop("memory:", policy=policy, clock=clock) as loop:
        register(loop, consents=[{"channel": "sms", "purpose": "care", "source": "form"}])
        args = {"customer": "C-1", "kind": "holiday_greeting", "channel": "sms"}
        clock.set("2026-02-10T09:00:00+00:00")
        loop.execute("customer.contact", LI, {**args, "holiday": "spring_festival"})
        clock.set("2027-02-10T09:00:00+00:00")
        with refused("R-C9") as error:
            loop.execute("customer.contact", LI, {**args, "holiday": "spring_festival"})
        assert "was on 2026-02-17; it does not come again" in str(error.value)
    with pytest.raises(InvalidInput, match="neither MM-DD nor YYYY-MM-DD"):
        Policy.from_mapping({"customer": {"holidays": {"spring_festival": "02-30"}}})


def test_R_C9_the_care_plan_lists_greetings_due_and_flags_missed_care(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    care = [{"channel": "sms", "purpose": "care", "source": "form"}]
    register(mem_loop, "C-1", birthday="1990-01-10", consents=care)  # greeting due now
    register(mem_loop, "C-2", birthday="1990-01-02", consents=care)
    register(mem_loop, "C-3", birthday="1990-01-12")  # no consent: nothing to plan
    assert mem_loop.care_plan() == [
        {
            "customer": "C-1",
            "care": "birthday_greeting",
            "occasion": "birthday",
            "due": None,
            "missed": False,
        },
    ]
    clock.set("2026-04-28T09:00:00+00:00")  # C-1's birthday passed without a greeting
    plan = [(t["customer"], t["care"], t["occasion"], t["missed"]) for t in mem_loop.care_plan()]
    assert plan == [
        ("C-1", "birthday_greeting", "birthday", True),  # C-2 joined after their birthday
        ("C-1", "holiday_greeting", "labour_day", False),
        ("C-2", "holiday_greeting", "labour_day", False),
    ]
    mem_loop.execute(
        "customer.contact",
        LI,
        {"customer": "C-1", "kind": "holiday_greeting", "channel": "sms", "holiday": "labour_day"},
    )
    mem_loop.execute("customer.erase", CEO, {"customer": "C-2", "reason": "erasure request"})
    clock.set("2026-05-02T09:00:00+00:00")
    plan = [(t["customer"], t["care"], t["occasion"], t["missed"]) for t in mem_loop.care_plan()]
    assert plan == [("C-1", "birthday_greeting", "birthday", True)]  # labour day was greeted


def test_R_C9_revisits_follow_the_tier_and_missed_ones_are_flagged(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop, "C-1", consents=[{"channel": "phone", "purpose": "care", "source": "form"}])
    register(mem_loop, "C-2")
    buy(mem_loop, "C-1", "O-1", "6000.00 CNY")
    buy(mem_loop, "C-1", "O-2", "6000.00 CNY")  # core: quarterly revisits
    assert mem_loop.customer("C-2")["revisit"]["every_days"] is None  # ordinary: not due
    assert mem_loop.customer("C-1")["revisit"]["every_days"] == 90
    clock.advance(days=90)
    assert mem_loop.customers(missed_revisits=True) == []
    clock.advance(days=1)
    assert [v["ref"] for v in mem_loop.customers(missed_revisits=True)] == ["C-1"]
    contact(mem_loop, "C-1", "revisit", "phone")
    revisit = mem_loop.customer("C-1")["revisit"]
    assert (revisit["missed"], revisit["due"]) == (False, clock.now().date() + timedelta(days=90))
    clock.advance(days=91)
    assert [v["ref"] for v in mem_loop.customers(missed_revisits=True)] == ["C-1"]
    mem_loop.execute("customer.erase", CEO, {"customer": "C-1", "reason": "erasure request"})
    assert mem_loop.customers(missed_revisits=True) == []  # R-C2: no one left to revisit


# --- R-C10 churn -------------------------------------------------------------------------------


def test_R_C10_no_purchase_for_churn_after_days_marks_the_customer_churned(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    register(mem_loop, "C-1")
    buy(mem_loop, "C-1", "O-1")
    clock.advance(days=364)
    assert mem_loop.execute("customer.sweep_churn", LI, {}) == {"churned": []}
    clock.advance(days=1)
    assert mem_loop.execute("customer.sweep_churn", LI, {}) == {"churned": ["C-1"]}
    assert mem_loop.execute("customer.sweep_churn", LI, {}) == {"churned": []}  # once
    view = mem_loop.customer("C-1")
    assert (view["status"], str(view["churned_on"])) == ("churned", "2027-01-05")
    buy(mem_loop, "C-1", "O-2")
    assert mem_loop.customer("C-1")["status"] == "active"  # a purchase reactivates


def test_R_C10_churn_rate_is_churned_over_customers_at_period_start(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    for ref in ("C-1", "C-2", "C-3", "C-4"):
        register(mem_loop, ref)
    clock.set("2026-12-01T09:00:00+00:00")
    buy(mem_loop, "C-3", "O-1")
    buy(mem_loop, "C-4", "O-2")
    clock.set("2027-02-01T09:00:00+00:00")
    register(mem_loop, "C-5")  # not a customer at the start of 2027
    clock.set("2027-06-30T09:00:00+00:00")
    mem_loop.execute("customer.sweep_churn", LI, {})
    rate = mem_loop.churn_rate("2027")
    assert (rate["customers_at_start"], rate["churned"], rate["churn_rate"]) == (4, 2, 0.5)
    assert rate["churned_customers"] == ["C-1", "C-2"]


# --- profile -----------------------------------------------------------------------------------


def test_a_customer_is_registered_once_and_their_profile_records_service_and_satisfaction(
    mem_loop: ClosedLoop,
) -> None:
    register(mem_loop)
    with pytest.raises(ConcurrencyConflict, match="C-1 already exists"):
        register(mem_loop)
    mem_loop.execute(
        "customer.update_profile",
        LI,
        {"customer": "C-1", "source": "dealer", "preferences": ["SUV", " SUV ", "EV"]},
    )
    for score in (4, 5):
        mem_loop.execute(
            "customer.record_service",
            LI,
            {"customer": "C-1", "note": "oil change", "satisfaction": score},
        )
    with pytest.raises(InvalidInput, match="satisfaction"):
        mem_loop.execute(
            "customer.record_service", LI, {"customer": "C-1", "note": "x", "satisfaction": 6}
        )
    with pytest.raises(InvalidInput, match="nothing to change"):
        mem_loop.execute("customer.update_profile", LI, {"customer": "C-1"})
    view = mem_loop.customer("C-1")
    assert (view["source"], view["preferences"]) == ("dealer", ["SUV", "EV"])
    assert (view["services"], view["satisfaction"]) == (2, Decimal("4.50"))


def test_R_C9_a_29_february_birthday_falls_on_28_february_in_common_years() -> None:
    assert on_or_after(2, 29, date(2026, 2, 20)) == date(2026, 2, 28)
    assert on_or_after(2, 29, date(2027, 3, 1)) == date(2028, 2, 29)
    assert before(2, 29, date(2027, 1, 1)) == date(2026, 2, 28)
