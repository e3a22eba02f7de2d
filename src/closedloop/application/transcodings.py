"""How value objects inside events are stored (JSON), registered once for the whole store."""

from __future__ import annotations

import _json
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from eventsourcing.persistence import DecimalAsStr, JSONTranscoder, Transcoding

from closedloop.application.json_text import Parser
from closedloop.domain.activity_values import BudgetLine, Change, Objective, Step, Window
from closedloop.domain.care import Occasion
from closedloop.domain.compliance import Evidence, Hit
from closedloop.domain.customer_orders import OrdersSeen
from closedloop.domain.customer_state import PointsLots, RecentPurchases
from closedloop.domain.customer_values import (
    ConsentChange,
    Contact,
    InfoCheck,
    PersonalRead,
    PointsLot,
    Purchase,
    Sealed,
    ServiceRecord,
    lot_of,
    lot_row,
)
from closedloop.domain.money import Money
from closedloop.domain.packed import Packed
from closedloop.domain.period import Period
from closedloop.domain.plan import ActionItem, Strategies
from closedloop.domain.research import Schedule
from closedloop.domain.review import Finding, MetricResult
from closedloop.domain.risk import SourceLink
from closedloop.domain.risk_matrix import Grid


class StoreTranscoder(JSONTranscoder):
    """The library's JSON transcoder: the same bytes encoded, the same objects decoded, in
    fewer Python steps (every replay decodes every event: the decode was two fifths of a
    rebuild's time).

    ``json.JSONEncoder.encode`` builds a new C encoder (and a closure) on every call, a
    quarter of encoding a purchase's event; this one is built with the library's settings
    (its ``default``, compact separators, text as it is) and reused. Stored states hold no
    reference cycles, so it keeps no markers to detect them.

    Decoding calls the library's C scanner directly, without ``JSONDecoder.decode``'s two
    regular-expression matches and two Python frames, whenever the text is one JSON value
    from its first character to its last (as every stored state is: ``json_text.Parser``);
    anything else (spaces around it, extra data, no value) goes through the library's
    decoder, for its result or its error. The object hook finds each name's ``decode`` in one
    lookup, and leaves an unregistered name to the library's hook, for its error. A
    transcoding whose ``decode`` is one call of a C function (``DIRECT``) has that function
    called in its place.
    """

    def __init__(self) -> None:
        self._decoders: dict[str, Callable[[Any], Any]] = {}
        super().__init__()
        self._encoder = _json.make_encoder(
            None, self._encode_obj, _json.encode_basestring, None, ":", ",", False, False, True
        )
        self._parse = Parser(self.decoder)  # the C scanner with this class's object hook

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._decoders[transcoding.name] = DIRECT.get(type(transcoding), transcoding.decode)

    def encode(self, obj: Any) -> bytes:
        return "".join(self._encoder(obj, 0)).encode("utf8")

    def decode(self, data: bytes) -> Any:
        return self._parse(data.decode("utf8"))

    def _decode_obj(self, d: dict[str, Any]) -> Any:
        if len(d) != 2 or "_type_" not in d or "_data_" not in d:
            return d
        try:
            decode = self._decoders[d["_type_"]]
        except KeyError:
            return super()._decode_obj(d)  # the library's error for an unregistered name
        return decode(d["_data_"])


class DateAsISO(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


#: Transcodings whose ``decode`` is exactly one call of a C function, and that function: a
#: target's measurement carries a decimal and a date, and each saves a Python frame.
DIRECT: dict[type[Transcoding], Callable[[Any], Any]] = {
    DecimalAsStr: Decimal,
    DateAsISO: date.fromisoformat,
}


class PeriodAsText(Transcoding):
    type = Period
    name = "period"

    def encode(self, obj: Period) -> str:
        return str(obj)

    def decode(self, data: str) -> Period:
        return Period.parse(data)


class OrdersAsJSON(Transcoding):
    """A customer's orders seen, as snapshots of class versions 2 and 3 stored them (a JSON
    list as text); decoded only: they are stored packed now (``PackedAsText``)."""

    type = OrdersSeen
    name = "customer_orders_seen"

    def encode(self, obj: OrdersSeen) -> str:
        return json.dumps(list(obj.value), ensure_ascii=False, separators=(",", ":"))

    def decode(self, data: str) -> OrdersSeen:
        return OrdersSeen.of(json.loads(data) if data else [])


class PackedAsText(Transcoding):
    """State kept packed (``domain/packed.py``), as its packed text (in snapshots only)."""

    def __init__(self, cls: type[Packed[Any]], name: str) -> None:
        self.type = self._packed = cls
        self.name = name

    def encode(self, obj: Packed[Any]) -> str:
        return obj.packed

    def decode(self, data: str) -> Packed[Any]:
        return self._packed(data)


class LotAsRow(Transcoding):
    """A points lot as one row of plain values: every purchase's event carries one, and as
    an object (its two dates objects of their own) it cost three transcodings each way.
    Lots stored before by their fields (``customer_points_lot``) still decode."""

    type = PointsLot
    name = "customer_points_lot_row"

    def encode(self, obj: PointsLot) -> list[str | int]:
        return lot_row(obj)

    def decode(self, data: list[str | int]) -> PointsLot:
        return lot_of(data)


class MoneyAsText(Transcoding):
    """An amount as its decimal's own text and currency (``1200.00 CNY``, ``1E+3 CNY``: the
    same decimal back): most events carry one, and by its fields (``money``, as stored
    before, still decoded) it was a dict holding a transcoded decimal, two transcodings
    each way."""

    type = Money
    name = "money_text"

    def encode(self, obj: Money) -> str:
        return f"{obj.amount} {obj.currency}"

    def decode(self, data: str) -> Money:
        return Money.parse(data)


class AttrsAsDict(Transcoding):
    """Any attrs value object, by its fields (nested values are transcoded in turn)."""

    def __init__(self, cls: type[Any], name: str) -> None:
        self.type = cls
        self.name = name
        self._fields = tuple(field.name for field in attrs.fields(cls))

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


#: Value objects that events carry, with their stable stored names. Never rename a name.
EVENT_VALUE_TYPES: dict[str, type[Any]] = {
    "money": Money,  # decoded only: amounts are stored as text (MoneyAsText)
    "plan_strategies": Strategies,
    "plan_action_item": ActionItem,
    "research_schedule": Schedule,
    "activity_objective": Objective,
    "activity_window": Window,
    "activity_budget_line": BudgetLine,
    "activity_step": Step,
    "activity_change": Change,
    "compliance_hit": Hit,
    "compliance_evidence": Evidence,
    "review_metric": MetricResult,
    "review_finding": Finding,
    "risk_source": SourceLink,
    "risk_grid": Grid,
    "customer_sealed": Sealed,
    "customer_points_lot": PointsLot,  # decoded only: lots are stored as rows (LotAsRow)
    "customer_occasion": Occasion,
    # in customer snapshots only
    "customer_purchase": Purchase,
    "customer_consent_change": ConsentChange,
    "customer_contact": Contact,
    "customer_service_record": ServiceRecord,
    "customer_info_check": InfoCheck,
    "customer_personal_read": PersonalRead,
}


def register_all(transcoder: JSONTranscoder) -> None:
    transcoder.register(PeriodAsText())
    transcoder.register(DateAsISO())
    transcoder.register(OrdersAsJSON())
    transcoder.register(PackedAsText(OrdersSeen, "customer_orders_packed"))
    transcoder.register(PackedAsText(PointsLots, "customer_points_lots"))
    transcoder.register(PackedAsText(RecentPurchases, "customer_recent_purchases"))
    for name, cls in EVENT_VALUE_TYPES.items():
        transcoder.register(AttrsAsDict(cls, name))
    transcoder.register(LotAsRow())  # after the lot's older transcoding: lots encode as rows
    transcoder.register(MoneyAsText())  # likewise for amounts
