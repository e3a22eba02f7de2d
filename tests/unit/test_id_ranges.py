"""Splitting aggregate ids into ranges for a rebuild in parts: every id in exactly one
range, the ranges in order."""

from __future__ import annotations

from itertools import pairwise
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop.application.id_ranges import MOST_PARTS, IdRange


def holding(ranges: list[IdRange], text: str) -> list[int]:
    return [
        index
        for index, ids in enumerate(ranges)
        if (ids.first is None or ids.first <= text) and (ids.end is None or text < ids.end)
    ]


@given(st.integers(1, MOST_PARTS), st.uuids() | st.text(max_size=40))
def test_every_id_falls_in_exactly_one_range(parts: int, id_: UUID | str) -> None:
    ranges = IdRange.split(parts)
    assert len(ranges) == parts
    assert len(holding(ranges, str(id_))) == 1


@pytest.mark.parametrize("parts", [2, 3, 7, MOST_PARTS])
def test_the_ranges_follow_each_other_and_cover_every_id(parts: int) -> None:
    ranges = IdRange.split(parts)
    assert ranges[0].first is None
    assert ranges[-1].end is None
    assert all(one.end == two.first for one, two in pairwise(ranges))
    assert [r.first for r in ranges[1:]] == sorted(r.first or "" for r in ranges[1:])
    assert holding(ranges, "00000000-0000-0000-0000-000000000000") == [0]
    assert holding(ranges, "ffffffff-ffff-ffff-ffff-ffffffffffff") == [parts - 1]


@pytest.mark.parametrize("parts", [0, -1, MOST_PARTS + 1])
def test_ids_are_split_into_1_to_256_ranges(parts: int) -> None:
    with pytest.raises(ValueError, match="1 to 256"):
        IdRange.split(parts)
