"""Money: an exact ``Decimal`` amount with a currency. Floats are refused outright."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext
from typing import Any

import attrs

from closedloop.domain.errors import InvalidInput

#: Digits a number may have before and after the point: far beyond any amount, and few
#: enough that exact arithmetic and formatting stay cheap (``1E+999999999`` would not).
MAX_DIGITS = 40

#: Never rounds an addition or subtraction (the default context keeps only 28 digits).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def to_decimal(value: Any) -> Decimal:
    """Exact decimal from ``Decimal``, ``int`` or ``str``; a float is an error (it is inexact)."""
    if isinstance(value, float):
        raise InvalidInput(
            f"{value!r} is a float; pass amounts as strings or integers so they stay exact"
        )
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a decimal number")
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
    if result.adjusted() >= MAX_DIGITS or -int(result.as_tuple().exponent) > MAX_DIGITS:
        raise InvalidInput(f"{value!r} has more than {MAX_DIGITS} digits before or after the point")
    return result


#: Where ratios of amounts are computed: every quotient of two numbers of MAX_DIGITS digits
#: keeps its integer part whole and far more places than any grade needs.
RATIO = Context(prec=4 * MAX_DIGITS + 20)


#: Rates and shares are reported to four places (12.34 %).
SHARE_PLACES = Decimal("0.0001")


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` to four places; None when there is no whole to share."""
    return RATIO.divide(Decimal(part), Decimal(whole)).quantize(SHARE_PLACES) if whole else None


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Sum of ``values`` with every digit kept: R-T2 and R-A5 compare sums exactly."""
    items = list(values)  # computed in the caller's context, only the sum in EXACT
    with localcontext(EXACT):
        return sum(items, Decimal(0))


def _currency(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"currency {value!r} is not a three-letter ISO 4217 code")
    code = value.strip().upper()
    if len(code) != 3 or not (code.isascii() and code.isalpha()):
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
        return Money(EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(EXACT.subtract(self.amount, other.amount), self.currency)

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
        """``1,200.00 CNY``: grouped, two places or more, never hiding a digit."""
        places = max(2, -int(self.amount.as_tuple().exponent))
        return f"{self.amount:,.{places}f} {self.currency}"

    def to_text(self) -> str:
        """``1200.00 CNY``: exact and ungrouped, the form :meth:`parse` reads back."""
        return f"{self.amount:f} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum of ``amounts`` in ``currency`` (zero when empty); mixed currencies are an error."""
    zero = Money.zero(currency)
    for amount in amounts:
        zero._same_currency(amount)
    return Money(exact_sum(amount.amount for amount in amounts), zero.currency)
