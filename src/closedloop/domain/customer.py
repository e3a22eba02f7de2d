"""Customer (客户, 保客营销): profile, consent, tiers, points, referrals, care and churn.

Personal fields (R-C1) arrive sealed by the application and are only stored here; erasure
(R-C2) forgets them, and the application destroys the key that could open the copies in
the history. Everything else (purchases, tiers, points, consent) stays usable.

Choices the rule catalogue leaves open, made here:

- A purchase earns points at the tier the customer held when it was made; the tier is
  recomputed right after it (R-C4, R-C5).
- Points lapse on their expiry day: a redemption never takes lapsed points, and the commands
  that redeem or record a purchase first record their expiry (R-C5).
- A referrer is recorded once, at registration or later; only a first purchase made after
  it rewards the referrer (R-C6).
- Every contact, revisits included, needs consent for its channel and purpose (R-C3).
- A revisit falls due a cadence after the later of the last revisit and the day the customer
  reached their tier (R-C9).
- The churn day is ``churn_after_days`` after the last purchase (or registration); a later
  purchase reactivates the customer, and its day is the day the churn ended (R-C10).

State stays small however long the history (snapshots load fast): the aggregate keeps the
orders seen (for idempotency: ``OrdersSeen``), running totals, the purchases of the 12
months before the latest one (all a tier needs, with their sum: ``RecentPurchases``), and
only points lots with points left (``PointsLots``); all three stay packed as one text each
until read (``domain/packed.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot as LibrarySnapshot

from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.care import Occasion
from closedloop.domain.customer_orders import OrdersSeen
from closedloop.domain.customer_state import PointsLots, RecentPurchases
from closedloop.domain.customer_values import (
    PROFILE_FIELDS,
    Channel,
    ConsentChange,
    Contact,
    ContactKind,
    InfoCheck,
    PersonalRead,
    PointsLot,
    Purchase,
    Purpose,
    Sealed,
    ServiceRecord,
    Tier,
    consent_held,
    earned_points,
    soonest_expiring_first,
    usable,
)
from closedloop.domain.errors import InvalidInput, RuleViolation, require
from closedloop.domain.money import EXACT, Money
from closedloop.domain.policy import CustomerPolicy

ACTIVE = "active"
CHURNED = "churned"
#: Profile fields that are not personal data, as ``customer.update_profile`` names them.
PLAIN_FIELDS = ("source", "owner_id", "preferences")


def assess_tier(
    recent: RecentPurchases, registered_on: date, today: date, policy: CustomerPolicy
) -> tuple[Tier, Decimal, int, int]:
    """R-C4: the tier whose every threshold the last 12 months' spend and purchases and the
    tenure meet, with those three figures."""
    spend, count = recent.year_to(today)
    tenure = (today - registered_on).days
    if (
        spend >= policy.high_value_spend
        and count >= policy.high_value_purchases
        and tenure >= policy.high_value_tenure_days
    ):
        tier = Tier.HIGH_VALUE
    elif (
        spend >= policy.core_spend
        and count >= policy.core_purchases
        and tenure >= policy.core_tenure_days
    ):
        tier = Tier.CORE
    else:
        tier = Tier.ORDINARY
    return tier, spend, count, tenure


def multiplier(tier: Tier, policy: CustomerPolicy) -> Decimal:
    """R-C5: the tier's points multiplier."""
    return {
        Tier.HIGH_VALUE: policy.high_value_multiplier,
        Tier.CORE: policy.core_multiplier,
        Tier.ORDINARY: policy.ordinary_multiplier,
    }[tier]


def revisit_days(tier: Tier, policy: CustomerPolicy) -> int | None:
    """R-C9: days between revisits for the tier; None when revisits are not due."""
    return {
        Tier.HIGH_VALUE: policy.high_value_revisit_days,
        Tier.CORE: policy.core_revisit_days,
    }.get(tier)


def verified_in_time(verified_on: date, today: date, policy: CustomerPolicy) -> bool:
    """R-C8 timeliness: the profile was confirmed within ``verify_every_days`` of ``today``."""
    return (today - verified_on).days <= policy.verify_every_days


class Customer(LoopAggregate):
    KIND = "customer"

    ref: str | None
    personal: dict[str, Sealed]
    erased_at: datetime | None
    source: str
    owner_id: str
    preferences: list[str]
    referrer_id: UUID | None
    referral_rewarded: bool
    referrals_rewarded: list[UUID]
    registered_on: date
    status: str
    churns: list[date]
    reactivations: list[date]  # the day each churn ended: its reactivating purchase's (R-C10)
    tier: str  # a Tier's value: state stays plain data, for snapshots
    tier_since: date
    orders: OrdersSeen  # each order is recorded once
    purchase_count: int
    total_spend: Decimal
    last_purchase_on: date | None
    recent: RecentPurchases  # by day: the 12 months up to the latest purchase (R-C4)
    lots: PointsLots  # only those with points left
    lots_made: int
    earned: int
    redeemed: int
    expired: int
    redemptions: dict[str, int]
    consents: list[ConsentChange]
    contacts: list[Contact]
    services: list[ServiceRecord]
    checks: list[InfoCheck]
    reads: list[PersonalRead]

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        personal: dict[str, Sealed],
        source: str,
        owner_id: str,
        preferences: tuple[str, ...],
        referrer_id: UUID | None,
        registered_on: date,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.personal = dict(personal)
        self.erased_at = None
        self.source = source
        self.owner_id = owner_id
        self.preferences = list(preferences)
        self.referrer_id = referrer_id
        self.referral_rewarded = False
        self.referrals_rewarded = []
        self.registered_on = registered_on
        self.status = ACTIVE
        self.churns = []
        self.reactivations = []
        self.tier = Tier.ORDINARY.value
        self.tier_since = registered_on
        self.orders = OrdersSeen()
        self.purchase_count = 0
        self.total_spend = Decimal(0)
        self.last_purchase_on = None
        self.recent = RecentPurchases()
        self.lots = PointsLots()
        self.lots_made = 0
        self.earned = 0
        self.redeemed = 0
        self.expired = 0
        self.redemptions = {}
        self.consents = []
        self.contacts = []
        self.services = []
        self.checks = []
        self.reads = []

    #: Version 2 keeps the orders seen as ``OrdersSeen``; version 1 kept them as a dict of
    #: order -> points (the points are in each ``PurchaseRecorded`` too). Version 3 keeps
    #: the day each churn ended (``reactivations``). Version 4 keeps the lots and last year's
    #: purchases packed (``PointsLots``, ``RecentPurchases``) instead of as lists.
    class_version = 4

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before ``OrdersSeen`` (either snapshot class) loads as one now."""
        state["orders"] = OrdersSeen.of(state["orders"])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A snapshot taken before ``reactivations`` loads with none known: the days its
        earlier churns ended are not in it (docs/stores.md: delete such snapshots)."""
        state.setdefault("reactivations", [])

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """A snapshot taken before the packed lists holds them as lists: of rows (this
        class's snapshots) or of values (the library's class, taken before the rows)."""
        state["lots"] = PointsLots.of_rows(state["lots"])
        state["recent"] = RecentPurchases.of_rows(state["recent"])

    class Snapshot(LibrarySnapshot):
        """The library's snapshot, under a class of its own: the snapshots of class version 3
        were taken with it (their lots and purchases as rows), and still load."""

    # --- events -------------------------------------------------------------------------------

    class ProfileUpdated(LoopAggregate.Event):
        personal: dict[str, Sealed]
        changes: dict[str, Any]

        def apply(self, customer: Customer) -> None:
            customer.personal.update(self.personal)
            for name, value in self.changes.items():
                setattr(customer, name, list(value) if name == "preferences" else value)

    class ReferrerRecorded(LoopAggregate.Event):
        referrer_id: UUID

        def apply(self, customer: Customer) -> None:
            customer.referrer_id = self.referrer_id

    class ConsentRecorded(LoopAggregate.Event):
        channel: str
        purpose: str
        granted: bool
        source: str

        def apply(self, customer: Customer) -> None:
            customer.consents.append(
                ConsentChange(self.channel, self.purpose, self.granted, self.source, self.timestamp)
            )

    class PersonalisedOptedOut(LoopAggregate.Event):
        """PIPL art. 24: every channel's personalised-marketing consent ends at once."""

        source: str

        def apply(self, customer: Customer) -> None:
            customer.consents.extend(
                ConsentChange(channel, Purpose.PERSONALISED, False, self.source, self.timestamp)
                for channel in Channel
            )

    class PurchaseRecorded(LoopAggregate.Event):
        order: str
        on: date
        amount: Money
        category: str
        points: int
        lot: PointsLot | None
        rewards_referrer: bool

        def apply(self, customer: Customer) -> None:
            purchase = Purchase(self.order, self.on, self.amount, self.category, self.points)
            customer.orders.add(self.order)
            customer.purchase_count += 1
            customer.total_spend = EXACT.add(customer.total_spend, self.amount.amount)
            latest = max(customer.last_purchase_on or self.on, self.on)
            customer.last_purchase_on = latest
            customer.recent.add(purchase, latest)
            if self.lot is not None:
                customer.lots.add(self.lot)
                customer.lots_made += 1
                customer.earned += self.lot.points
            customer.referral_rewarded = customer.referral_rewarded or self.rewards_referrer
            if len(customer.reactivations) < len(customer.churns):  # the first since the churn
                customer.reactivations.append(self.on)

    class Reactivated(LoopAggregate.Event):
        def apply(self, customer: Customer) -> None:
            customer.status = ACTIVE

    class TierChanged(LoopAggregate.Event):
        tier: str
        spend: Decimal
        purchases: int
        tenure_days: int

        def apply(self, customer: Customer) -> None:
            customer.tier = self.tier
            customer.tier_since = self.timestamp.date()

    class ReferralRewarded(LoopAggregate.Event):
        referred_id: UUID
        lot: PointsLot | None

        def apply(self, customer: Customer) -> None:
            customer.referrals_rewarded.append(self.referred_id)
            if self.lot is not None:
                customer.lots.add(self.lot)
                customer.lots_made += 1
                customer.earned += self.lot.points

    class PointsRedeemed(LoopAggregate.Event):
        request_id: str
        points: int
        taken: dict[str, int]
        reward: str

        def apply(self, customer: Customer) -> None:
            customer.lots.take(self.taken)
            customer.redeemed += self.points
            customer.redemptions[self.request_id] = self.points

    class PointsExpired(LoopAggregate.Event):
        points: int
        taken: dict[str, int]

        def apply(self, customer: Customer) -> None:
            customer.lots.take(self.taken)
            customer.expired += self.points

    class Contacted(LoopAggregate.Event):
        contact_kind: str
        channel: str
        note: str
        occasion: Occasion | None = None  # R-C9: a greeting's; recorded since greetings had one

        def apply(self, customer: Customer) -> None:
            customer.contacts.append(
                Contact(
                    self.contact_kind,
                    self.channel,
                    self.timestamp,
                    self.actor_id,
                    self.note,
                    self.occasion,
                )
            )

    class ServiceRecorded(LoopAggregate.Event):
        note: str
        satisfaction: int | None

        def apply(self, customer: Customer) -> None:
            customer.services.append(
                ServiceRecord(self.timestamp, self.actor_id, self.note, self.satisfaction)
            )

    class InfoVerified(LoopAggregate.Event):
        accurate: bool
        note: str

        def apply(self, customer: Customer) -> None:
            customer.checks.append(
                InfoCheck(self.timestamp.date(), self.actor_id, self.accurate, self.note)
            )

    class Churned(LoopAggregate.Event):
        churned_on: date

        def apply(self, customer: Customer) -> None:
            customer.status = CHURNED
            customer.churns.append(self.churned_on)

    class PersonalDataErased(LoopAggregate.Event):
        reason: str

        def apply(self, customer: Customer) -> None:
            customer.personal = {}
            customer.erased_at = self.timestamp

    class PersonalDataRead(LoopAggregate.Event):
        reason: str
        fields: tuple[str, ...]

        def apply(self, customer: Customer) -> None:
            customer.reads.append(
                PersonalRead(self.actor_id, self.timestamp, self.reason, self.fields)
            )

    # --- derived state ------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    @property
    def balance(self) -> int:
        """L5: earned − redeemed − expired."""
        return self.earned - self.redeemed - self.expired

    def available(self, today: date) -> int:
        """R-C5: points that may be redeemed on ``today`` (lapsed ones may not)."""
        return sum(lot.remaining for lot in usable(self.lots, today))

    def lapsed(self, today: date) -> dict[str, int]:
        """R-C5: points left in lots whose expiry day has come."""
        return self.lots.lapsed(today)

    def consent(self, channel: Channel, purpose: Purpose, at: datetime) -> bool:
        """R-C3: consent held at ``at``, from the consent events recorded up to then."""
        return consent_held(self.consents, channel, purpose, at)

    @property
    def last_revisit(self) -> datetime | None:
        return max((c.at for c in self.contacts if c.kind is ContactKind.REVISIT), default=None)

    def revisit_due(self, policy: CustomerPolicy) -> date | None:
        """R-C9: the day the next revisit is due by the tier's cadence; None if not due (nor
        ever for an erased customer: there is no one left to contact, R-C2)."""
        days = revisit_days(Tier(self.tier), policy)
        if days is None or self.erased:
            return None
        last = self.last_revisit
        since = max(self.tier_since, last.date()) if last is not None else self.tier_since
        return since + timedelta(days=days)

    def revisit_missed(self, today: date, policy: CustomerPolicy) -> bool:
        due = self.revisit_due(policy)
        return due is not None and today > due

    def filled(self) -> tuple[str, ...]:
        """R-C8: the profile fields that hold something (erased ones do not)."""
        plain = {"source": self.source, "owner": self.owner_id, "preferences": self.preferences}
        return tuple(
            name for name in PROFILE_FIELDS if name in self.personal or bool(plain.get(name))
        )

    @property
    def verified_on(self) -> date:
        """R-C8: the profile was last confirmed at registration or at its last check."""
        return self.checks[-1].on if self.checks else self.registered_on

    def timely(self, today: date, policy: CustomerPolicy) -> bool:
        return verified_in_time(self.verified_on, today, policy)

    @property
    def accurate(self) -> bool | None:
        """R-C8: whether the last check found the profile accurate; None before any check."""
        return self.checks[-1].accurate if self.checks else None

    def churn_day(self, policy: CustomerPolicy) -> date:
        """R-C10: the day the customer counts as churned without a further purchase."""
        last = self.last_purchase_on or self.registered_on
        return last + timedelta(days=policy.churn_after_days)

    def require_personal_data(self, doing: str) -> None:
        """R-C2: after erasure, personal data is neither collected again nor used."""
        require(
            not self.erased,
            "R-C2",
            f"cannot {doing} customer {self.label}: their personal data was erased",
        )

    # --- commands -----------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        ref: str | None,
        personal: Mapping[str, Sealed],
        source: str,
        owner_id: str,
        preferences: Iterable[str],
        referrer: Customer | None,
    ) -> Customer:
        """A new customer; ``referrer`` is who referred them (R-C6: never themselves)."""
        if referrer is not None:
            require(referrer.id != id, "R-C6", f"customer {ref or id} cannot refer themselves")
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            personal=dict(personal),
            source=source.strip(),
            owner_id=owner_id.strip(),
            preferences=_texts(preferences),
            referrer_id=referrer.id if referrer is not None else None,
            registered_on=at.date(),
        )

    def update_profile(
        self, actor: Actor, at: datetime, personal: Mapping[str, Sealed], changes: Mapping[str, Any]
    ) -> None:
        """Change profile fields; an erased customer's personal data stays erased (R-C2)."""
        if personal:
            self.require_personal_data("collect personal data of")
        plain = {
            name: _texts(value) if name == "preferences" else str(value).strip()
            for name, value in changes.items()
            if name in PLAIN_FIELDS and value is not None
        }
        if not personal and not plain:
            raise InvalidInput(f"customer {self.label}: nothing to change")
        self._trigger(self.ProfileUpdated, actor, at, personal=dict(personal), changes=plain)

    def record_referrer(
        self, actor: Actor, at: datetime, referrer: Customer, chain: list[UUID]
    ) -> None:
        """R-C6: once, never oneself, never a cycle; ``chain`` is the referrer's own line of
        referrers, nearest first."""
        require(referrer.id != self.id, "R-C6", f"customer {self.label} cannot refer themselves")
        require(
            self.referrer_id is None,
            "R-C6",
            f"customer {self.label} already has a referrer; it is recorded once",
        )
        require(
            self.id not in chain,
            "R-C6",
            f"customer {referrer.label} was referred (in)directly by {self.label}: "
            "a referral cannot go round in a cycle",
        )
        self._trigger(self.ReferrerRecorded, actor, at, referrer_id=referrer.id)

    def record_consent(
        self,
        actor: Actor,
        at: datetime,
        channel: Channel,
        purpose: Purpose,
        granted: bool,
        source: str,
    ) -> None:
        """R-C3: a grant (with its source) or a withdrawal, effective at once."""
        require(bool(source.strip()), "R-C3", "a consent records its source")
        self._trigger(
            self.ConsentRecorded,
            actor,
            at,
            channel=Channel(channel).value,
            purpose=Purpose(purpose).value,
            granted=granted,
            source=source.strip(),
        )

    def opt_out_personalised(self, actor: Actor, at: datetime, source: str) -> None:
        """R-C3 (PIPL art. 24): no personalised marketing on any channel, from now."""
        require(bool(source.strip()), "R-C3", "an opt-out records its source")
        self._trigger(self.PersonalisedOptedOut, actor, at, source=source.strip())

    def record_purchase(
        self,
        actor: Actor,
        at: datetime,
        *,
        order: str,
        on: date,
        amount: Money,
        category: str,
        policy: CustomerPolicy,
    ) -> bool:
        """R-C5: earns points at the current tier; R-C4: the tier is recomputed after it;
        R-C10: a churned customer is active again. The same order twice is recorded once
        (False the second time)."""
        if order in self.orders:
            return False
        if amount.currency != policy.currency:
            raise InvalidInput(
                f"purchase {order}: amounts are counted in {policy.currency}, not {amount.currency}"
            )
        if amount.amount <= 0:
            raise InvalidInput(f"purchase {order}: the amount must be above zero")
        if on > at.date():
            raise InvalidInput(f"purchase {order} on {on} lies in the future ({at.date()})")
        if self.status == CHURNED:
            self._trigger(self.Reactivated, actor, at)
        self.expire_points(actor, at)
        points = earned_points(amount, policy.points_rate, multiplier(Tier(self.tier), policy))
        lot = self._new_lot(points, on, f"purchase {order}", policy)
        first = not self.orders and self.referrer_id is not None and not self.referral_rewarded
        self._trigger(
            self.PurchaseRecorded,
            actor,
            at,
            order=order,
            on=on,
            amount=amount,
            category=category.strip(),
            points=points,
            lot=lot,
            rewards_referrer=first,
        )
        self.recompute_tier(actor, at, policy)
        return True

    def recompute_tier(self, actor: Actor, at: datetime, policy: CustomerPolicy) -> bool:
        """R-C4: a changed tier is an event (True); an unchanged one records nothing."""
        tier, spend, count, tenure = assess_tier(self.recent, self.registered_on, at.date(), policy)
        if tier == self.tier:  # a StrEnum equals its value
            return False
        self._trigger(
            self.TierChanged,
            actor,
            at,
            tier=tier.value,
            spend=spend,
            purchases=count,
            tenure_days=tenure,
        )
        return True

    def reward_referral(
        self, actor: Actor, at: datetime, referred: Customer, policy: CustomerPolicy
    ) -> None:
        """R-C6: the referred customer's first purchase rewards this referrer, once."""
        require(
            referred.referrer_id == self.id,
            "R-C6",
            f"customer {referred.label} was not referred by {self.label}",
        )
        require(
            referred.id not in self.referrals_rewarded,
            "R-C6",
            f"{self.label} was already rewarded for referring {referred.label}",
        )
        points = policy.referral_reward_points
        today = at.date()
        lot = self._new_lot(points, today, f"referral of {referred.label}", policy)
        self._trigger(self.ReferralRewarded, actor, at, referred_id=referred.id, lot=lot)

    def _new_lot(
        self, points: int, earned_on: date, source: str, policy: CustomerPolicy
    ) -> PointsLot | None:
        """R-C5: the next points lot, valid ``points_valid_days``; none for no points."""
        if points <= 0:
            return None
        return PointsLot(
            id=f"L{self.lots_made + 1}",
            points=points,
            remaining=points,
            earned_on=earned_on,
            expires_on=earned_on + timedelta(days=policy.points_valid_days),
            source=source,
        )

    def expire_points(self, actor: Actor, at: datetime) -> int:
        """R-C5: points whose expiry day has come are expired (their number; 0 records
        nothing)."""
        lapsed = self.lapsed(at.date())
        points = sum(lapsed.values())
        if points:
            self._trigger(self.PointsExpired, actor, at, points=points, taken=lapsed)
        return points

    def redeem(
        self, actor: Actor, at: datetime, *, request_id: str, points: int, reward: str
    ) -> bool:
        """R-C5: soonest-expiring points first, never more than are available; a request id
        already redeemed is not redeemed again (False), and is no error."""
        if request_id in self.redemptions:
            require(
                self.redemptions[request_id] == points,
                "R-C5",
                f"request {request_id} already redeemed {self.redemptions[request_id]} "
                f"points, not {points}",
            )
            return False
        if points <= 0:
            raise InvalidInput("a redemption takes at least one point")
        today = at.date()
        available = self.available(today)
        require(
            points <= available,
            "R-C5",
            f"customer {self.label} has {available} points available, not {points}",
        )
        taken = soonest_expiring_first(self.lots, points, today)
        self._trigger(
            self.PointsRedeemed,
            actor,
            at,
            request_id=request_id,
            points=points,
            taken=taken,
            reward=reward.strip(),
        )
        return True

    def contact(
        self,
        actor: Actor,
        at: datetime,
        kind: ContactKind,
        channel: Channel,
        note: str,
        *,
        policy: CustomerPolicy,
        occasion: Occasion | None = None,
    ) -> None:
        """R-C3: only with consent for the channel and the kind's purpose, valid now; R-C2:
        an erased customer has no contact data left; R-C9: a greeting is for its occasion,
        in the ``greeting_days_before`` days up to it, once."""
        kind, channel = ContactKind(kind), Channel(channel)
        self.require_personal_data("contact")
        if kind.greeting:
            self._require_greeting(kind, occasion, at.date(), policy)
        purpose = kind.purpose
        require(
            self.consent(channel, purpose, at),
            "R-C3",
            f"customer {self.label} has no valid consent to {purpose.value} contact by "
            f"{channel.value} at {at.isoformat()}; the {kind.value} is refused",
        )
        self._trigger(
            self.Contacted,
            actor,
            at,
            contact_kind=kind.value,
            channel=channel.value,
            note=note.strip(),
            occasion=occasion if kind.greeting else None,
        )

    def _require_greeting(
        self, kind: ContactKind, occasion: Occasion | None, today: date, policy: CustomerPolicy
    ) -> None:
        if occasion is None:
            what = "no birthday on file" if kind is ContactKind.BIRTHDAY_GREETING else "no holiday"
            raise RuleViolation("R-C9", f"a {kind.value} to {self.label} needs an occasion: {what}")
        first, last = occasion.window(policy.greeting_days_before)
        require(
            first <= today <= last,
            "R-C9",
            f"a {kind.value} for {occasion.name} on {occasion.on} is sent from {first} to "
            f"{last}, not on {today}",
        )
        require(
            not self.greeted(kind, occasion),
            "R-C9",
            f"{self.label} was already sent a {kind.value} for {occasion.name} on {occasion.on}",
        )

    def greeted(self, kind: ContactKind, occasion: Occasion) -> bool:
        """R-C9: whether a ``kind`` greeting for ``occasion`` was sent."""
        return any(c.kind is kind and c.occasion == occasion for c in self.contacts)

    def record_service(
        self, actor: Actor, at: datetime, note: str, satisfaction: int | None
    ) -> None:
        """A service or communication record; satisfaction from 1 to 5."""
        if not note.strip():
            raise InvalidInput("a service record says what happened")
        if satisfaction is not None and not 1 <= satisfaction <= 5:
            raise InvalidInput(f"satisfaction {satisfaction} is not from 1 to 5")
        self._trigger(self.ServiceRecorded, actor, at, note=note.strip(), satisfaction=satisfaction)

    def verify_info(self, actor: Actor, at: datetime, accurate: bool, note: str) -> None:
        """R-C8: the profile was checked (timeliness), and found accurate or not (accuracy)."""
        require(accurate or bool(note.strip()), "R-C8", "an inaccurate profile says what is wrong")
        self._trigger(self.InfoVerified, actor, at, accurate=accurate, note=note.strip())

    def mark_churned(self, actor: Actor, at: datetime, policy: CustomerPolicy) -> bool:
        """R-C10: no purchase for ``churn_after_days`` marks an active customer churned."""
        day = self.churn_day(policy)
        if self.status != ACTIVE or at.date() < day:
            return False
        self._trigger(self.Churned, actor, at, churned_on=day)
        return True

    def erase(self, actor: Actor, at: datetime, reason: str) -> None:
        """R-C2: the personal data is forgotten (the application destroys its key)."""
        require(not self.erased, "R-C2", f"customer {self.label}'s personal data is already erased")
        require(bool(reason.strip()), "R-G3", "an erasure records its reason (the request)")
        self._trigger(self.PersonalDataErased, actor, at, reason=reason.strip())

    def record_read(self, actor: Actor, at: datetime, reason: str, fields: Iterable[str]) -> None:
        """R-C1: every read of personal data is recorded: who, whose, when and why."""
        require(bool(reason.strip()), "R-C1", "reading personal data needs a reason")
        self._trigger(self.PersonalDataRead, actor, at, reason=reason.strip(), fields=tuple(fields))


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty and each once, in the order given."""
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


def referral_chain(start: Customer, load: Callable[[UUID], Customer]) -> list[UUID]:
    """R-C6: ``start``'s line of referrers, nearest first; ``load(id)`` gets a customer."""
    chain: list[UUID] = []
    current = start
    while current.referrer_id is not None and current.referrer_id not in chain:
        chain.append(current.referrer_id)
        current = load(current.referrer_id)
    return chain
