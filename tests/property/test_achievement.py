"""R-T4: achievement is actual/target when higher is better, its reciprocal when lower is."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from closedloop.domain.target import Direction, achievement

#: Positive values from 0.0001 to 10^12, the range real targets and actuals live in.
positive = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**12), places=4)
HALF_STEP = Decimal("0.00005")  # achievement keeps 4 places, rounded half even


@given(positive, positive)
def test_R_T4_higher_is_better_achievement_times_target_is_the_actual(
    actual: Decimal, target: Decimal
) -> None:
    result = achievement(actual, target, Direction.HIGHER)
    assert result is not None
    assert result.as_tuple().exponent == -4
    assert abs(result * target - actual) <= HALF_STEP * target


@given(positive, positive)
def test_R_T4_lower_is_better_is_the_reciprocal_form(actual: Decimal, target: Decimal) -> None:
    result = achievement(actual, target, Direction.LOWER)
    assert result == achievement(target, actual, Direction.HIGHER)
    assert result is not None
    assert abs(result * actual - target) <= HALF_STEP * actual


@given(positive, st.sampled_from(Direction))
def test_R_T4_no_achievement_without_both_values_or_against_zero(
    value: Decimal, direction: Direction
) -> None:
    assert achievement(None, value, direction) is None
    assert achievement(value, None, direction) is None
    zero_denominator = (value, Decimal(0)) if direction is Direction.HIGHER else (Decimal(0), value)
    assert achievement(*zero_denominator, direction) is None


def test_R_T4_a_huge_ratio_does_not_crash() -> None:
    assert achievement(Decimal("1E+21"), Decimal("0.0001"), Direction.HIGHER) is not None
