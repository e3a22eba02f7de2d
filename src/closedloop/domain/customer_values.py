"""Value objects of a customer (保客): sealed personal fields, consent, purchases, points.

Personal fields reach the domain already sealed (:class:`Sealed`, ciphertext made by the
application's personal-data service, R-C1): the domain stores and forgets them, and never
sees a clear value or a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

import attrs

from closedloop.domain.care import Occasion
from closedloop.domain.money import Money

#: R-C1: the fields held only encrypted, each customer under their own key.
PERSONAL_FIELDS = ("name", "phone", "email", "wechat", "birthday", "address")
#: R-C8: what a complete profile has (the personal fields and these).
PROFILE_FIELDS = (*PERSONAL_FIELDS, "source", "owner", "preferences")


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    WECHAT = "wechat"


class Purpose(StrEnum):
    CARE = "care"  # greetings and revisits (关怀、回访)
    PROMOTION = "promotion"  # invitations to activities and offers
    PERSONALISED = "personalised"  # personalised recommendation (PIPL art. 24)


class ContactKind(StrEnum):
    """R-C3, R-C9: what a marketing contact is, and the consent purpose it needs."""

    BIRTHDAY_GREETING = "birthday_greeting"
    HOLIDAY_GREETING = "holiday_greeting"
    REVISIT = "revisit"
    INVITATION = "invitation"
    RECOMMENDATION = "recommendation"

    @property
    def greeting(self) -> bool:
        """R-C9: a greeting belongs to an occasion (a birthday, a holiday)."""
        return self in (ContactKind.BIRTHDAY_GREETING, ContactKind.HOLIDAY_GREETING)

    @property
    def purpose(self) -> Purpose:
        if self is ContactKind.INVITATION:
            return Purpose.PROMOTION
        if self is ContactKind.RECOMMENDATION:
            return Purpose.PERSONALISED
        return Purpose.CARE


class Tier(StrEnum):
    """R-C4, highest first."""

    HIGH_VALUE = "high_value"
    CORE = "core"
    ORDINARY = "ordinary"


@attrs.frozen
class Sealed:
    """One personal field's ciphertext: readable only with its customer's key (R-C1)."""

    token: str


@attrs.frozen
class ConsentChange:
    """R-C3: a grant or withdrawal for one channel and purpose, with its source."""

    channel: Channel = attrs.field(converter=Channel)
    purpose: Purpose = attrs.field(converter=Purpose)
    granted: bool
    source: str
    at: datetime


def consent_held(
    changes: Iterable[ConsentChange], channel: Channel, purpose: Purpose, at: datetime
) -> bool:
    """R-C3: whether consent for ``channel`` and ``purpose`` held at ``at``, decided by the
    changes recorded up to ``at`` alone (the last of them wins; none means no consent)."""
    held = False
    for change in changes:
        if change.at <= at and change.channel == channel and change.purpose == purpose:
            held = change.granted
    return held


@attrs.frozen
class Purchase:
    """A purchase: non-personal, so it stays usable after erasure (R-C2)."""

    order: str
    on: date
    amount: Money
    category: str
    points: int


@attrs.frozen
class PointsLot:
    """R-C5: points earned at once (a purchase or a referral reward), expiring together."""

    id: str
    points: int
    remaining: int
    earned_on: date
    expires_on: date
    source: str


#: A lot or a purchase as a row of plain values: packed in snapshots (``customer_state``), and a
#: lot in the event that earned it (``LotAsRow``).
Row = list[str | int]


def lot_row(lot: PointsLot) -> Row:
    return [
        lot.id,
        lot.points,
        lot.remaining,
        lot.earned_on.isoformat(),
        lot.expires_on.isoformat(),
        lot.source,
    ]


def lot_of(row: Row) -> PointsLot:
    lot_id, points, remaining, earned_on, expires_on, source = row
    return PointsLot(
        str(lot_id),
        int(points),
        int(remaining),
        date.fromisoformat(str(earned_on)),
        date.fromisoformat(str(expires_on)),
        str(source),
    )


def purchase_row(purchase: Purchase) -> Row:
    amount = purchase.amount
    return [
        purchase.order,
        purchase.on.isoformat(),
        str(amount.amount),
        amount.currency,
        purchase.category,
        purchase.points,
    ]


def purchase_of(row: Row) -> Purchase:
    order, on, amount, currency, category, points = row
    money = Money(Decimal(str(amount)), str(currency))
    return Purchase(str(order), date.fromisoformat(str(on)), money, str(category), int(points))


def earned_points(amount: Money, rate: Decimal, multiplier: Decimal) -> int:
    """R-C5: whole points, rounded down: amount × rate × tier multiplier."""
    return int((amount.amount * rate * multiplier).to_integral_value(ROUND_FLOOR))


def soonest_expiring_first(lots: Iterable[PointsLot], points: int, today: date) -> dict[str, int]:
    """R-C5: which unexpired lots a redemption of ``points`` takes, soonest-expiring first.

    The caller has checked that enough points are available.
    """
    taken: dict[str, int] = {}
    wanted = points
    for lot in sorted(usable(lots, today), key=lambda lot: (lot.expires_on, lot.id)):
        if wanted == 0:
            break
        take = min(lot.remaining, wanted)
        taken[lot.id] = take
        wanted -= take
    return taken


def usable(lots: Iterable[PointsLot], today: date) -> list[PointsLot]:
    """Lots with points left that have not yet lapsed on ``today``."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_on > today]


def taken_from(lots: list[PointsLot], taken: Mapping[str, int]) -> list[PointsLot]:
    """The lots with points still left after ``taken`` (redeemed or expired).

    Lots are kept in the order earned, so what lapses or is redeemed first is usually at
    the front: the lots after the last one taken are kept as they are, in one slice (a
    customer who buys daily holds two years of lots, and every expiry replays this).
    """
    left: list[PointsLot] = []
    wanted = len(taken)
    for index, lot in enumerate(lots):
        if not wanted:
            return left + lots[index:]
        take = taken.get(lot.id)
        if take is None:
            left.append(lot)
            continue
        wanted -= 1
        if lot.remaining > take:
            left.append(attrs.evolve(lot, remaining=lot.remaining - take))
    return left


@attrs.frozen
class Contact:
    """R-C3, R-C9: a marketing or care contact, made with valid consent."""

    kind: ContactKind = attrs.field(converter=ContactKind)
    channel: Channel = attrs.field(converter=Channel)
    at: datetime
    actor_id: str
    note: str
    #: R-C9: the birthday or holiday a greeting was for (none before greetings had one)
    occasion: Occasion | None = None


@attrs.frozen
class ServiceRecord:
    """A service or communication record, with the satisfaction given (1 … 5), if any."""

    at: datetime
    actor_id: str
    note: str
    satisfaction: int | None


@attrs.frozen
class InfoCheck:
    """R-C8: a verification of the profile, and whether it was found accurate."""

    on: date
    actor_id: str
    accurate: bool
    note: str


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    """A tuple again after JSON (snapshots store it as a list)."""
    return tuple(values)


@attrs.frozen
class PersonalRead:
    """R-C1: who read whose personal data, when and why."""

    actor_id: str
    at: datetime
    reason: str
    fields: tuple[str, ...] = attrs.field(converter=_strings)
