"""Money: exact arithmetic in one currency, mixed currencies refused, floats refused."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import InvalidInput, Money
from closedloop.domain.money import total

#: Up to 38 digits written out: beyond the 28 the default decimal context keeps.
amounts = st.builds(
    lambda units, exponent: Decimal(units).scaleb(exponent),
    st.integers(-(10**27), 10**27),
    st.integers(-10, 10),
)
currencies = st.sampled_from(["CNY", "USD", "EUR", "JPY"])


@given(amounts, amounts)
def test_addition_and_subtraction_are_exact(a: Decimal, b: Decimal) -> None:
    total_ = Money(a) + Money(b)
    assert Fraction(total_.amount) == Fraction(a) + Fraction(b)
    assert Fraction((Money(a) - Money(b)).amount) == Fraction(a) - Fraction(b)
    assert total_ - Money(b) == Money(a)
    assert Money(b) + Money(a) == total_


@given(st.lists(amounts, max_size=20), currencies)
def test_totals_are_exact(values: list[Decimal], currency: str) -> None:
    result = total([Money(value, currency) for value in values], currency)
    assert result.currency == currency
    assert Fraction(result.amount) == sum((Fraction(v) for v in values), Fraction(0))


@given(amounts, currencies, amounts, currencies)
def test_currencies_never_mix(a: Decimal, mine: str, b: Decimal, theirs: str) -> None:
    left, right = Money(a, mine), Money(b, theirs)
    if mine == theirs:
        assert (left < right) == (a < b)
        return
    assert left != right
    for combine in (
        Money.__add__,
        Money.__sub__,
        Money.__lt__,
        Money.__le__,
        Money.__gt__,
        Money.__ge__,
    ):
        with pytest.raises(InvalidInput, match=f"cannot combine {mine} with {theirs}"):
            combine(left, right)
    with pytest.raises(InvalidInput, match="cannot combine"):
        total([left, right], mine)


@given(st.floats())
def test_floats_are_refused(value: float) -> None:
    with pytest.raises(InvalidInput, match="is a float"):
        Money(value)


@given(amounts, currencies)
def test_text_reads_back_and_display_hides_no_digit(amount: Decimal, currency: str) -> None:
    money = Money(amount, currency)
    assert Money.parse(money.to_text()) == money
    shown, code = str(money).split(" ")
    assert (Decimal(shown.replace(",", "")), code) == (amount, currency)
