"""A page's part beyond a view's position, found by bisection, is exactly the notifications
after that position (positions ascend within a page, with gaps on PostgreSQL)."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import Notification
from hypothesis import given
from hypothesis import strategies as st

from closedloop.projections.projection import Page


def page_of(ids: list[int]) -> Page:
    notifications = [
        Notification(id=i, originator_id=uuid4(), originator_version=1, topic="t", state=b"{}")
        for i in ids
    ]
    return Page(notifications, mapper=None)  # type: ignore[arg-type]  # never decoded here


@given(
    st.lists(st.integers(1, 10_000), unique=True, max_size=30).map(sorted),
    st.integers(0, 10_001),
    st.integers(0, 10_001),
)
def test_the_part_after_a_position_is_every_notification_beyond_it(
    ids: list[int], position: int, later: int
) -> None:
    page = page_of(ids)
    part = page.after(position)
    assert [n.id for n in part.notifications] == [i for i in ids if i > position]
    for at in ids:  # a position on the page itself
        assert [n.id for n in page.after(at).notifications] == [i for i in ids if i > at]
    further = part.after(max(position, later))  # a part of a part counts from the whole page
    assert [n.id for n in further.notifications] == [i for i in ids if i > max(position, later)]


def test_every_position_of_a_page_with_gaps() -> None:
    ids = [3, 4, 7, 8, 9, 15]
    page = page_of(ids)
    for position in range(17):
        assert [n.id for n in page.after(position).notifications] == [
            i for i in ids if i > position
        ]
