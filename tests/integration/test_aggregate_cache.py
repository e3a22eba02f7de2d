"""The aggregate cache: each command changes a private copy, so a refusal leaves no trace."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

import closedloop.domain
from closedloop import ClosedLoop, ConcurrencyConflict, FixedClock
from closedloop.adapters.demo import run_demo
from closedloop.application.unit_of_work import (
    _copied,
    _is_value,
    _value_containers,
    _value_type,
    private_copy,
    replay_onto,
)
from closedloop.domain.base import LoopAggregate
from closedloop.domain.target import Measurement, Target
from tests.cast import HEAD, LI
from tests.scenario import approved_revenue_target, draft_revenue_target, quarters

QUARTERS = ["3000000", "3000000", "3000000", "3000000"]


def test_a_command_refused_after_changing_its_copy_leaves_the_cached_target_intact(
    loop: ClosedLoop,
) -> None:
    approved_revenue_target(loop)
    draft_revenue_target(loop, "REV-2026-Q1", period="2026-Q1", value="3000000")
    before = loop.position()
    # The parent records its decomposition, then adding a child that exists is refused.
    with pytest.raises(ConcurrencyConflict, match="REV-2026-Q1 already exists"):
        loop.execute(
            "target.decompose",
            HEAD,
            {
                "target": "REV-2026",
                "dimension": "period",
                "children": quarters("REV-2026", QUARTERS),
            },
        )
    assert loop.position() == before
    parent = loop.reader().get(Target, "REV-2026")
    assert (parent.version, parent.decompositions) == (3, {})

    children = [{**child, "ref": f"{child['ref']}-B"} for child in quarters("REV-2026", QUARTERS)]
    result = loop.execute(
        "target.decompose",
        HEAD,
        {"target": "REV-2026", "dimension": "period", "children": children},
    )
    assert result["version"] == 4


def test_reads_between_commands_see_each_commands_result(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    for n in range(1, 4):
        loop.execute(
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": str(n), "as_of": "2026-01-31", "source": "ERP"},
        )
        target = loop.reader().get(Target, "REV-2026")
        assert (target.version, len(target.measurements)) == (3 + n, n)


class Mutable:
    """A value that is hashed by identity, so may change: it must be copied."""

    def __init__(self) -> None:
        self.items: list[int] = []


def test_private_copy_copies_containers_and_what_may_change_and_shares_immutable_values(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop)
    cached = mem_loop.reader().get(Target, "REV-2026")
    cached.measurements.append(Measurement(Decimal(1), date(2026, 1, 31), "ERP", LI.id))
    cached.final = {"history": [1, 2]}
    odd = Mutable()
    vars(cached)["odd"] = odd
    vars(cached)["odd_tuple"] = ([1],)

    copy = private_copy(cached)
    copy.measurements.append(Measurement(Decimal(2), date(2026, 2, 28), "ERP", LI.id))
    assert copy.final is not None
    copy.final["history"].append(3)  # type: ignore[attr-defined]
    vars(copy)["odd"].items.append(1)
    vars(copy)["odd_tuple"][0].append(2)

    assert len(cached.measurements) == 1
    assert cached.final == {"history": [1, 2]}
    assert (odd.items, vars(cached)["odd_tuple"]) == ([], ([1],))
    assert copy.measurements[0] is cached.measurements[0]  # frozen: shared, not copied
    assert copy.period is cached.period
    assert (copy.id, copy.version) == (cached.id, cached.version)


def test_private_copy_tests_whole_containers_and_still_copies_one_mutable_item_among_values(
    mem_loop: ClosedLoop,
) -> None:
    """Containers of values are copied at once; one mutable item among thousands of values
    (a nested list, an identity-hashed object) is still copied, in a list, dict or set."""
    approved_revenue_target(mem_loop)
    cached = mem_loop.reader().get(Target, "REV-2026")
    measurement = Measurement(Decimal(1), date(2026, 1, 31), "ERP", LI.id)
    values: list[Any] = [measurement] * 1_000
    odd = Mutable()
    state = vars(cached)
    state.update(
        plain={f"O-{n}": n for n in range(1_000)},
        frozen=values,
        with_list=[*values, [1]],
        with_object={"a": measurement, "b": odd},
        in_set={measurement, odd},
    )

    copied = vars(private_copy(cached))
    copied["plain"]["O-1"] = -1
    copied["with_list"][-1].append(2)
    copied["with_object"]["b"].items.append(3)
    next(item for item in copied["in_set"] if isinstance(item, Mutable)).items.append(4)

    assert state["plain"]["O-1"] == 1
    assert state["with_list"][-1] == [1]
    assert odd.items == []
    assert copied["frozen"] == values
    assert copied["frozen"] is not values
    assert copied["frozen"][0] is measurement  # shared, not copied


@attrs.frozen
class Tagged:
    """Frozen and hashed by value, but declared with a list: not a value by declaration."""

    name: str
    tags: list[str]


@attrs.frozen
class Named:
    name: str
    aliases: tuple[str, ...]
    note: str | None = None


def test_a_class_is_a_value_by_declaration_only_when_frozen_with_value_fields() -> None:
    assert _value_type(Measurement)
    assert _value_type(Named)
    assert not _value_type(Tagged)
    assert not _value_type(Mutable)
    assert not _value_type(list)


def test_a_frozen_item_declared_with_a_list_is_still_copied_among_declared_values(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop)
    cached = mem_loop.reader().get(Target, "REV-2026")
    named = Named("a", ("b",))
    state = vars(cached)
    state.update(values=[named] * 100, mixed=[named, Tagged("t", ["x"])])

    copied = vars(private_copy(cached))
    copied["mixed"][1].tags.append("y")

    assert copied["values"] == state["values"]
    assert copied["values"] is not state["values"]
    assert copied["values"][0] is named  # shared, not copied
    assert state["mixed"][1].tags == ["x"]


class Declared:
    """Containers declared with what they hold: of values, of mutable items, of anything."""

    names: list[Named]
    by_name: dict[str, Named]
    tagged: list[Tagged]
    anything: dict[str, object]


def test_only_containers_declared_to_hold_values_are_copied_as_a_whole() -> None:
    assert _value_containers(Declared) == {"names": list, "by_name": dict}
    assert _value_containers(Target)["measurements"] is list


def test_a_container_declared_as_values_is_copied_whole_and_the_rest_as_before() -> None:
    named, tagged = Named("a", ("b",)), Tagged("t", ["x"])
    declared = Declared()
    declared.names, declared.by_name = [named], {"a": named}
    declared.tagged, declared.anything = [tagged], {"t": tagged}
    vars(declared)["names_as_tuple"] = (named,)

    copied = vars(private_copy(declared))  # type: ignore[type-var]
    copied["names"].append(named)
    copied["by_name"]["b"] = named
    copied["tagged"][0].tags.append("y")
    copied["anything"]["t"].tags.append("z")

    assert (declared.names, declared.by_name) == ([named], {"a": named})
    assert tagged.tags == ["x"]  # the mutable items were copied, not shared
    assert copied["names"][0] is named  # values: shared
    assert copied["names_as_tuple"] is vars(declared)["names_as_tuple"]


def test_every_container_declared_as_values_holds_values_and_copies_as_item_by_item() -> None:
    """Across the demo year's aggregates, replayed from the store: whatever the whole-container
    copy takes as values is a value (hashed by value), and the copy equals the item-by-item one."""
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop("memory:", clock=clock) as loop:
        run_demo(loop, clock)
        store = loop._store
        notifications = store.recorder.select_notifications(start=1, limit=1_000_000)
        whole = 0
        listings = {n.originator_id for n in notifications if n.topic.endswith(":Listed")}
        for agg_id in {n.originator_id for n in notifications} - listings:
            aggregate = store.repository.get(agg_id, projector_func=replay_onto)
            assert isinstance(aggregate, LoopAggregate)
            state = vars(aggregate)
            containers = _value_containers(type(aggregate))
            copied, by_item = vars(private_copy(aggregate)), _copied(dict(state))
            assert copied == by_item
            for name, value in state.items():
                if type(value) is containers.get(name):
                    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
                    assert all(map(_is_value, items)), (type(aggregate).__name__, name)
                    assert copied[name] is not value
                    whole += bool(value)
        assert whole > 100


def test_every_domain_class_that_is_a_value_by_declaration_is_frozen() -> None:
    """What private copies share without copying must never change (R-G4: a refused
    command leaves the cache as it was)."""
    classes = [
        kind
        for module in pkgutil.iter_modules(closedloop.domain.__path__)
        for kind in vars(importlib.import_module(f"closedloop.domain.{module.name}")).values()
        if isinstance(kind, type) and attrs.has(kind)
    ]
    values = [kind for kind in classes if _value_type(kind)]
    assert Measurement in values
    assert all(attrs.inspect(kind).is_frozen for kind in values)


def test_a_read_hands_out_a_copy_so_changing_it_leaves_the_cached_target_intact(
    loop: ClosedLoop,
) -> None:
    """``Reader.get`` copies the cached aggregate as a unit of work does, not by
    ``deepcopy``: a caller that changes what it read must not change the next read."""
    approved_revenue_target(loop)
    read = loop.reader().get(Target, "REV-2026")
    expected = (read.version, dict(read.decompositions), list(read.measurements))
    read.decompositions["period"] = "changed by a reader"
    read.measurements.clear()
    again = loop.reader().get(Target, "REV-2026")
    assert again is not read
    assert (again.version, again.decompositions, again.measurements) == expected
