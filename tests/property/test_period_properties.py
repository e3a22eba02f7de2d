"""Period: text round trip, containment, exact subdivision, a total order by start date."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import InvalidInput, Period
from closedloop.domain.period import Granularity

MONTHS = {Granularity.YEAR: 12, Granularity.QUARTER: 3, Granularity.MONTH: 1}


ANY_YEAR = st.integers(1, 9999)


@st.composite
def periods(draw: st.DrawFn, years: st.SearchStrategy[int] = ANY_YEAR) -> Period:
    granularity = draw(st.sampled_from(Granularity))
    return Period(draw(years), granularity, draw(st.integers(1, 12 // MONTHS[granularity])))


#: A few neighbouring years, so that containment and ties actually happen.
nearby = periods(st.integers(2025, 2027))


@st.composite
def valid_texts(draw: st.DrawFn) -> str:
    year = f"{draw(st.integers(1, 9999)):04d}"
    return draw(
        st.sampled_from(
            [
                year,
                f"{year}-Q{draw(st.integers(1, 4))}",
                f"{year}-{draw(st.integers(1, 12)):02d}",
            ]
        )
    )


@given(valid_texts())
def test_every_valid_text_reads_back_as_itself(text: str) -> None:
    assert str(Period.parse(text)) == text
    assert Period.parse(f"  {text}\t") == Period.parse(text)


@given(periods())
def test_every_period_reads_back_from_its_text(period: Period) -> None:
    assert Period.parse(str(period)) == period
    assert period.start <= period.end


@given(st.text(max_size=12) | st.from_regex(r"\A\d{1,5}(-Q\d|-\d{1,3})?\Z"))
def test_any_other_text_is_invalid_input(text: str) -> None:
    try:
        period = Period.parse(text)
    except InvalidInput:
        return
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize(
    "text",
    [
        "2026-Q0",
        "2026-Q5",
        "2026-00",
        "2026-13",
        "0000",
        "02026",
        "2026-001",
        "2026-Q",
        "Q1-2026",
        "2026/03",
        "２０２６年",
    ],
)
def test_near_misses_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        Period.parse(text)


@given(nearby, nearby)
def test_containment_matches_start_and_end_dates(outer: Period, inner: Period) -> None:
    assert outer.contains(inner) == (outer.start <= inner.start and inner.end <= outer.end)
    assert outer.contains(outer)


@given(periods(), st.data())
def test_containment_is_transitive(outer: Period, data: st.DataObject) -> None:
    def inside(period: Period) -> Period:
        into = data.draw(
            st.sampled_from([g for g in Granularity if MONTHS[g] <= MONTHS[period.granularity]])
        )
        return data.draw(st.sampled_from(period.subdivide(into)))

    middle = inside(outer)
    inner = inside(middle)
    assert outer.contains(middle)
    assert middle.contains(inner)
    assert outer.contains(inner)
    stranger = data.draw(periods(st.integers(max(outer.year - 1, 1), min(outer.year + 1, 9999))))
    if middle.contains(stranger):
        assert outer.contains(stranger)


@given(periods(), st.integers(-40, 400))
def test_a_day_lies_in_a_period_between_its_start_and_end(period: Period, offset: int) -> None:
    try:
        day = period.start + timedelta(days=offset)
    except OverflowError:
        return
    assert period.contains(day) == (period.start <= day <= period.end)
    assert period.has_ended(day) == (day > period.end)


@given(periods(), st.sampled_from(Granularity))
def test_subdivision_partitions_the_period_exactly(period: Period, into: Granularity) -> None:
    if MONTHS[into] > MONTHS[period.granularity]:
        with pytest.raises(InvalidInput, match="cannot be divided"):
            period.subdivide(into)
        return
    parts = period.subdivide(into)
    assert len(parts) == MONTHS[period.granularity] // MONTHS[into]
    assert {part.granularity for part in parts} == {into}
    assert (parts[0].start, parts[-1].end) == (period.start, period.end)
    for before, after in pairwise(parts):
        assert before.end + timedelta(days=1) == after.start
    assert all(period.contains(part) for part in parts)


@given(nearby, nearby)
def test_the_order_is_total_and_follows_start_dates(a: Period, b: Period) -> None:
    assert [a < b, a == b, a > b].count(True) == 1
    assert (a <= b) == (a < b or a == b)
    if a.start != b.start:
        assert (a < b) == (a.start < b.start)
    else:  # same start: the longer period first (a year before its first quarter)
        assert (a < b) == (a.end > b.end)


@given(st.lists(periods(), max_size=20))
def test_sorting_orders_by_start_then_longest_first(items: list[Period]) -> None:
    ordered = sorted(items)
    keys = [(p.start, date.max - p.end) for p in ordered]
    assert keys == sorted(keys)
