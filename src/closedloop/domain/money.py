"""Money: an exact ``Decimal`` amount with a currency. Floats are refused outright."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from closedloop.domain.errors import InvalidInput


def to_decimal(value: Any) -> Decimal:
    """Exact decimal from ``Decimal``, ``int`` or ``str``; a float is an error (it is inexact)."""
    if isinstance(value, (bool, float)):
        raise InvalidInput(
            f"{value!r} is a float; pass amounts as strings or integers so they stay exact"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise InvalidInput(f"{value!r} is not a decimal number") from None
    else:
        raise InvalidInput(f"{value!r} is not a decimal number")
    if not result.is_finite():
        raise InvalidInput(f"{value!r} is not a finite number")
    return result


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(f"currency {value!r} is not a three-letter ISO 4217 code")
    return code


@attrs.frozen(order=False)
class Money:
    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(default="CNY", converter=_currency)

    @classmethod
    def parse(cls, text: str) -> Money:
        """``"1200.00 CNY"`` or ``"1200.00"`` (CNY)."""
        parts = text.split()
        if len(parts) == 1:
            return cls(parts[0])
        if len(parts) == 2:
            return cls(parts[0], parts[1])
        raise InvalidInput(f"{text!r} is not an amount with an optional currency")

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        return cls(Decimal(0), currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise InvalidInput(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum of ``amounts`` in ``currency`` (zero when empty); mixed currencies are an error."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
