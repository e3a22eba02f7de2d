"""R-T2: for any decimal value and any split of it, exact sums are accepted and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Actor, ClosedLoop, FixedClock, Period, RuleViolation
from closedloop.domain.period import Granularity
from closedloop.domain.target import ChildSpec, Dimension, Scope, Target
from tests.cast import CEO, HEAD

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
YEAR = Period.parse("2026")
PLANNER = Actor("planner", roles={"manager"})


@st.composite
def splits(draw: st.DrawFn) -> tuple[Decimal, list[Decimal], Decimal]:
    """A total, parts that add up to it exactly, and the smallest unit of its places.

    Counted in integer units, so the expected sum never depends on decimal rounding; each
    part is written with its own trailing zeros (1.5 and 1.50 are the same amount). Up to
    22 digits here; a separate test goes beyond the default 28-digit decimal context.
    """
    places = draw(st.integers(0, 8))
    count = draw(st.integers(2, 12))
    units = draw(st.lists(st.integers(-(10**18), 10**18), min_size=count, max_size=count))
    unit = Decimal(1).scaleb(-places)
    parts = [(Decimal(u) * unit).quantize(unit.scaleb(-draw(st.integers(0, 3)))) for u in units]
    return Decimal(sum(units)) * unit, parts, unit


def draft(value: Decimal) -> Target:
    return Target.draft(
        id=uuid4(),
        actor=PLANNER,
        at=AT,
        metric="revenue",
        unit="CNY",
        period=YEAR,
        scope=Scope.COMPANY,
        value=value,
        basis="strategy",
    )


def specs(dimension: Dimension, parts: list[Decimal]) -> list[ChildSpec]:
    if dimension is Dimension.PERIOD:
        months = YEAR.subdivide(Granularity.MONTH)
        return [
            ChildSpec(uuid4(), part, months[i], Scope.COMPANY, "", "owner")
            for i, part in enumerate(parts)
        ]
    return [
        ChildSpec(uuid4(), part, YEAR, Scope.TEAM, f"team-{i}", f"lead-{i}")
        for i, part in enumerate(parts)
    ]


@settings(max_examples=150)
@given(split=splits(), dimension=st.sampled_from(Dimension), data=st.data())
def test_R_T2_exact_splits_are_accepted_and_one_unit_off_is_refused(
    split: tuple[Decimal, list[Decimal], Decimal], dimension: Dimension, data: st.DataObject
) -> None:
    total, parts, unit = split
    off = list(parts)
    index = data.draw(st.integers(0, len(parts) - 1), label="perturbed part")
    off[index] += data.draw(st.sampled_from([unit, -unit]), label="by")

    target = draft(total)
    events = len(target.pending_events)
    with pytest.raises(RuleViolation, match="R-T2: children add up to"):
        target.decompose(PLANNER, AT, dimension, specs(dimension, off))
    assert (target.decompositions, len(target.pending_events)) == ({}, events)

    children = target.decompose(PLANNER, AT, dimension, specs(dimension, parts))
    assert [child.value for child in children] == parts
    assert target.decompositions == {dimension.value: tuple(child.id for child in children)}


@settings(max_examples=20, deadline=None)
@given(split=splits(), data=st.data())
def test_R_T2_through_the_api_text_values_split_exactly_or_record_nothing(
    split: tuple[Decimal, list[Decimal], Decimal], data: st.DataObject
) -> None:
    total, parts, unit = split
    index = data.draw(st.integers(0, len(parts) - 1), label="perturbed part")
    off = [part + unit if i == index else part for i, part in enumerate(parts)]
    with ClosedLoop("memory:", clock=FixedClock(AT)) as loop:
        loop.execute(
            "target.create",
            CEO,
            {
                "ref": "T",
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": f"{total:f}",
                "owner": HEAD.id,
                "basis": "strategy",
            },
        )

        def split_into(values: list[Decimal]) -> dict[str, object]:
            children = [
                {"value": f"{value:f}", "period": f"2026-{month:02d}"}
                for month, value in enumerate(values, start=1)
            ]
            return loop.execute(
                "target.decompose",
                HEAD,
                {"target": "T", "dimension": "period", "children": children},
            )

        before = loop.position()
        with pytest.raises(RuleViolation, match="R-T2"):
            split_into(off)
        assert loop.position() == before
        split_into(parts)
        tree = loop.target_tree("T")
    assert [child["value"] for child in tree["children"]["period"]] == parts
    assert tree["gaps"] == {"period": 0}


def test_R_T2_sums_beyond_28_digits_are_still_exact() -> None:
    target = draft(Decimal("100000000000000000000000000000"))
    off = [Decimal("50000000000000000000000000000.00"), Decimal("50000000000000000000000000000.01")]
    with pytest.raises(RuleViolation, match="R-T2"):
        target.decompose(PLANNER, AT, Dimension.SCOPE, specs(Dimension.SCOPE, off))
