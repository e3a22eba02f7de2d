"""Value objects: Money, Period, ids, Actor, and the exact input types at the boundary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

import pytest

from closedloop import Actor, InvalidInput, Money, Period, RuleViolation
from closedloop.application.inputs import ActorIn, Exact, Input, MoneyIn, PeriodText
from closedloop.domain.actor import four_eyes
from closedloop.domain.ids import NAMESPACE, aggregate_id, new_id
from closedloop.domain.money import MAX_DIGITS, to_decimal, total
from closedloop.domain.period import Granularity

# --- Money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1200.00 CNY", "1200.00", "CNY"),
        ("1200", "1200", "CNY"),
        ("  -35.5   usd ", "-35.5", "USD"),
        ("1E+3 EUR", "1000", "EUR"),
    ],
)
def test_money_parses_an_amount_and_an_optional_currency(
    text: str, amount: str, currency: str
) -> None:
    money = Money.parse(text)
    assert (money.amount, money.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "optional currency"),
        ("1 200 CNY", "optional currency"),
        ("1,200.00 CNY", "not a decimal number"),
        ("twelve CNY", "not a decimal number"),
        ("NaN", "not a finite number"),
        ("Infinity CNY", "not a finite number"),
        ("1200 CN", "ISO 4217"),
        ("1200 人民币", "ISO 4217"),
        ("1E+99 CNY", f"more than {MAX_DIGITS} digits before"),
        ("0." + "0" * 40 + "1", f"more than {MAX_DIGITS} digits"),
    ],
)
def test_money_refuses_text_that_is_not_an_amount(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        Money.parse(text)


@pytest.mark.parametrize("value", [0.1, 1.0, float("nan")])
def test_money_refuses_floats_because_they_are_inexact(value: float) -> None:
    with pytest.raises(InvalidInput, match="is a float"):
        Money(value)


@pytest.mark.parametrize("value", [True, None, [1], {"amount": 1}])
def test_money_refuses_what_is_not_a_number(value: Any) -> None:
    with pytest.raises(InvalidInput, match="not a decimal number"):
        to_decimal(value)


def test_money_refuses_a_currency_that_is_not_a_code() -> None:
    with pytest.raises(InvalidInput, match="ISO 4217"):
        Money("1", 978)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("1234567.5", "1,234,567.50 CNY"),
        ("-1200", "-1,200.00 CNY"),
        ("0", "0.00 CNY"),
        ("0.125", "0.125 CNY"),  # never hides a digit
        ("1E+3", "1,000.00 CNY"),
    ],
)
def test_money_shows_grouped_with_two_places_or_more(amount: str, shown: str) -> None:
    assert str(Money(amount)) == shown


@pytest.mark.parametrize("amount", ["1234567.50", "0.125", "1E+3", "-7"])
def test_money_text_reads_back_exactly(amount: str) -> None:
    money = Money(amount, "usd")
    assert Money.parse(money.to_text()) == money
    assert "," not in money.to_text()


def test_money_adds_and_compares_within_one_currency_only() -> None:
    assert Money("0.10") + Money("0.20") == Money("0.30")
    assert Money("1") - Money("0.01") == Money("0.99")
    assert Money("1.00") == Money("1")
    assert Money("1", "USD") != Money("1", "CNY")
    assert Money("2") > Money("1.99")
    for combine in (Money.__add__, Money.__sub__, Money.__lt__, Money.__ge__):
        with pytest.raises(InvalidInput, match="cannot combine CNY with USD"):
            combine(Money("1"), Money("1", "USD"))


def test_money_totals_are_exact_and_in_one_currency() -> None:
    assert total([], "usd") == Money.zero("USD")
    assert total([Money("0.1")] * 10, "CNY") == Money("1")
    with pytest.raises(InvalidInput, match="cannot combine"):
        total([Money("1"), Money("1", "EUR")], "CNY")


# --- Period ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        (" 2026-Q1 ", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("9999-12", date(9999, 12, 1), date(9999, 12, 31)),
        ("0001", date(1, 1, 1), date(1, 12, 31)),
    ],
)
def test_period_parses_years_quarters_and_months(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)
    assert str(period) == text.strip()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is not a year"),
        ("26", "is not a year"),
        ("2026-Q0", "is not a year"),
        ("2026-Q5", "is not a year"),
        ("2026-1", "is not a year"),
        ("2026Q1", "is not a year"),
        ("2026-W01", "is not a year"),
        ("2026-00", "no month 0"),
        ("2026-13", "no month 13"),
        ("0000", "year 0 is outside"),
        (None, "is not a year"),
        (2026, "is not a year"),
    ],
)
def test_period_refuses_what_is_not_a_period(text: Any, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        Period.parse(text)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((2026, "week"), "not a year, quarter or month"),
        ((2026, Granularity.QUARTER, 5), "no quarter 5"),
        ((2026, Granularity.YEAR, 2), "no year 2"),
        ((10000, Granularity.YEAR), "outside 1 … 9999"),
    ],
)
def test_period_built_directly_is_checked_too(args: tuple[Any, ...], problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        Period(*args)


def test_period_built_from_plain_names_behaves_as_parsed() -> None:
    assert Period(2026, "quarter", 2) == Period.parse("2026-Q2")
    assert Period.parse("2026").subdivide("quarter")[1] == Period.parse("2026-Q2")


def test_period_cannot_be_divided_into_longer_periods() -> None:
    with pytest.raises(InvalidInput, match="2026-03 cannot be divided into quarters"):
        Period.parse("2026-03").subdivide(Granularity.QUARTER)


def test_period_orders_a_year_before_its_first_quarter_and_refuses_other_types() -> None:
    periods = [Period.parse(t) for t in ("2026-Q2", "2026-03", "2026", "2025-12", "2026-Q1")]
    assert [str(p) for p in sorted(periods)] == ["2025-12", "2026", "2026-Q1", "2026-03", "2026-Q2"]
    with pytest.raises(TypeError):
        _ = Period.parse("2026") < "2027"


# --- ids -------------------------------------------------------------------------------------


def test_a_reference_always_names_the_same_aggregate_of_its_kind() -> None:
    ref_id = aggregate_id("target", "REV-2026")
    assert ref_id == aggregate_id("target", "  REV-2026 ") == uuid5(NAMESPACE, "target:REV-2026")
    assert aggregate_id("plan", "REV-2026") != ref_id
    assert aggregate_id("target", "rev-2026") != ref_id
    assert new_id("target", "REV-2026") == ref_id


def test_a_uuid_passes_through_as_itself() -> None:
    uuid = UUID("12345678-1234-5678-1234-567812345678")
    assert aggregate_id("target", uuid) is uuid
    assert aggregate_id("plan", str(uuid).upper()) == uuid


def test_ids_without_a_reference_are_fresh_and_an_empty_reference_is_refused() -> None:
    assert new_id("target", None) != new_id("target", None)
    with pytest.raises(InvalidInput, match="empty target reference"):
        aggregate_id("target", "   ")


# --- Actor -----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor_id", ["", "   ", None])
def test_an_actor_needs_an_id(actor_id: Any) -> None:
    with pytest.raises(InvalidInput, match="non-empty id"):
        Actor(actor_id)


def test_an_actor_is_trimmed_and_roles_are_a_set() -> None:
    actor = Actor(" li ", "", ["marketer", " manager ", "", "marketer"])
    assert actor.id == "li"
    assert actor.roles == {"marketer", "manager"}
    assert Actor("li", roles="marketer").roles == {"marketer"}
    assert (str(actor), str(Actor("li", "Li Na"))) == ("li", "Li Na")
    assert actor.has_role("manager")
    assert not actor.has_role("leadership")


def test_an_actor_from_plain_data_is_validated_at_the_boundary() -> None:
    assert ActorIn.model_validate({"id": "li", "roles": ["marketer"]}).to_actor() == Actor(
        "li", roles={"marketer"}
    )
    with pytest.raises(ValueError, match="id"):
        ActorIn.model_validate({"id": "", "roles": []})


def test_R_G1_four_eyes_names_the_actor_and_the_rule_it_serves() -> None:
    four_eyes(Actor("cfo"), "owner", None, doing="approve it")
    with pytest.raises(RuleViolation, match="R-P2: owner cannot approve plan P") as error:
        four_eyes(Actor("owner"), "owner", "author", doing="approve plan P", rule="R-P2")
    assert error.value.rule == "R-P2"


# --- exact values at the boundary ------------------------------------------------------------


class Sample(Input):
    amount: MoneyIn
    value: Exact
    period: PeriodText


def test_boundary_values_survive_a_json_round_trip_exactly() -> None:
    sample = Sample(amount="1234567.505 USD", value="1E+3", period=2026)
    data = sample.model_dump(mode="json")
    assert data == {"amount": "1234567.505 USD", "value": "1000", "period": "2026"}
    assert Sample.model_validate(data) == sample


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("amount", {"amount": "1", "currency": 5}, "ISO 4217"),
        ("amount", 12.5, "is a float"),
        ("value", 0.1, "is a float"),
        ("period", "2026-13", "no month 13"),
    ],
)
def test_bad_boundary_values_are_validation_errors(field: str, value: Any, problem: str) -> None:
    data: dict[str, Any] = {"amount": "1", "value": "1", "period": "2026", field: value}
    with pytest.raises(ValueError, match=problem):
        Sample.model_validate(data)
