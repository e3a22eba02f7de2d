"""Customer commands (R-C1 … R-C6, R-C8 … R-C10): inputs and handlers.

Personal fields are sealed here, by :class:`PersonalData`, before the domain sees them
(R-C1): events carry only ciphertext. ``customer.read_personal_data`` opens them for a
``pii_reader`` and records the read; ``customer.erase`` destroys the customer's key (R-C2).
The periodic commands (``expire_points``, ``recompute_tiers``, ``sweep_churn``) take one
customer or, without one, every customer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.inputs import Day, Input, MoneyIn, Ref, Text
from closedloop.application.listing import listed_ids
from closedloop.application.personal_data import ERASED, PersonalData, birthday_of
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.care import Occasion, birthday_occasions, holiday
from closedloop.domain.customer import Customer, referral_chain
from closedloop.domain.customer_values import (
    PERSONAL_FIELDS,
    Channel,
    ContactKind,
    Purpose,
    Sealed,
)
from closedloop.domain.errors import ConcurrencyConflict
from closedloop.domain.ids import new_id

ChannelName = Literal["phone", "sms", "email", "wechat"]
PurposeName = Literal["care", "promotion", "personalised"]
ContactKindName = Literal[
    "birthday_greeting", "holiday_greeting", "revisit", "invitation", "recommendation"
]
FieldName = Literal["name", "phone", "email", "wechat", "birthday", "address"]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 \-]{5,19}$", examples=["+86 138 0013 8000"])]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["li@example.cn"])]
Points = Annotated[int, Field(gt=0)]


def outcome(customer: Customer) -> Result:
    return {
        "id": str(customer.id),
        "ref": customer.ref,
        "version": customer.version,
        "status": customer.status,
        "tier": customer.tier,
        "points": customer.balance,
    }


class PersonalIn(Input):
    """Personal data (R-C1): sealed under the customer's own key before it is stored."""

    name: Text | None = None
    phone: Phone | None = None
    email: Email | None = None
    wechat: Text | None = Field(None, description="WeChat id")
    birthday: Day | None = None
    address: Text | None = None

    def clear_fields(self) -> dict[str, str]:
        values = {name: getattr(self, name) for name in PERSONAL_FIELDS}
        return {
            name: value.isoformat() if isinstance(value, date) else value.strip()
            for name, value in values.items()
            if value is not None
        }


class ConsentIn(Input):
    channel: ChannelName
    purpose: PurposeName
    source: Text = Field(description="where the consent was given: form, app, call …")


class RegisterCustomer(PersonalIn):
    ref: Ref | None = Field(None, description="your name for the customer, e.g. C-0001")
    name: Text
    source: str = Field("", description="how they came: dealer, expo, referral, web …")
    owner: Ref | None = Field(None, description="who looks after them (default: the actor)")
    preferences: list[str] = Field(default_factory=list)
    referrer: Ref | None = Field(None, description="the customer who referred them (R-C6)")
    consents: list[ConsentIn] = Field(default_factory=list, description="given at registration")


@catalogue.command("customer.register", permission="draft")
def register(uow: UnitOfWork, actor: Actor, args: RegisterCustomer) -> Result:
    """Register a customer; personal fields are encrypted under their own key (R-C1)."""
    customer_id = new_id(Customer.KIND, args.ref)
    if uow.exists(Customer, customer_id):
        raise ConcurrencyConflict(f"customer {args.ref} already exists")
    referrer = uow.get(Customer, args.referrer) if args.referrer else None
    personal = PersonalData.of(uow.store)
    uow.before_commit(personal.save_keys)
    customer = Customer.register(
        id=customer_id,
        actor=actor,
        at=uow.now,
        ref=args.ref,
        personal=personal.seal(customer_id, args.clear_fields()),
        source=args.source,
        owner_id=args.owner or actor.id,
        preferences=args.preferences,
        referrer=referrer,
    )
    for consent in args.consents:
        customer.record_consent(
            actor, uow.now, Channel(consent.channel), Purpose(consent.purpose), True, consent.source
        )
    uow.add(customer)
    return outcome(customer)


class UpdateProfile(PersonalIn):
    """Only the fields given change."""

    customer: Ref
    source: str | None = None
    owner: Ref | None = None
    preferences: list[str] | None = None


@catalogue.command("customer.update_profile", permission="draft")
def update_profile(uow: UnitOfWork, actor: Actor, args: UpdateProfile) -> Result:
    """Change profile fields; personal ones are sealed again, never after erasure (R-C2)."""
    customer = uow.get(Customer, args.customer)
    clear = args.clear_fields()
    if clear:  # refused before anything is sealed
        customer.require_personal_data("collect personal data of")
    personal = PersonalData.of(uow.store)
    uow.before_commit(personal.save_keys)
    customer.update_profile(
        actor,
        uow.now,
        personal.seal(customer.id, clear),
        {"source": args.source, "owner_id": args.owner, "preferences": args.preferences},
    )
    return outcome(customer)


class RecordReferrer(Input):
    customer: Ref
    referrer: Ref


@catalogue.command("customer.record_referrer", permission="draft")
def record_referrer(uow: UnitOfWork, actor: Actor, args: RecordReferrer) -> Result:
    """Record who referred a customer: once, never themselves, never a cycle (R-C6)."""
    customer = uow.get(Customer, args.customer)
    referrer = uow.get(Customer, args.referrer)
    chain = referral_chain(referrer, lambda ref: uow.get(Customer, ref))
    customer.record_referrer(actor, uow.now, referrer, chain)
    return outcome(customer)


class ConsentChangeIn(Input):
    customer: Ref
    channel: ChannelName
    purpose: PurposeName
    source: Text = Field(description="where it was given or withdrawn: form, app, call …")


@catalogue.command("customer.grant_consent", permission="record")
def grant_consent(uow: UnitOfWork, actor: Actor, args: ConsentChangeIn) -> Result:
    """Record consent for one channel and purpose, with its source (R-C3)."""
    customer = uow.get(Customer, args.customer)
    customer.record_consent(
        actor, uow.now, Channel(args.channel), Purpose(args.purpose), True, args.source
    )
    return outcome(customer)


@catalogue.command("customer.withdraw_consent", permission="record")
def withdraw_consent(uow: UnitOfWork, actor: Actor, args: ConsentChangeIn) -> Result:
    """Withdraw consent for one channel and purpose; it takes effect at once (R-C3)."""
    customer = uow.get(Customer, args.customer)
    customer.record_consent(
        actor, uow.now, Channel(args.channel), Purpose(args.purpose), False, args.source
    )
    return outcome(customer)


class OptOut(Input):
    customer: Ref
    source: Text


@catalogue.command("customer.opt_out_personalised", permission="record")
def opt_out_personalised(uow: UnitOfWork, actor: Actor, args: OptOut) -> Result:
    """Opt out of personalised marketing on every channel, at once (R-C3, PIPL art. 24)."""
    customer = uow.get(Customer, args.customer)
    customer.opt_out_personalised(actor, uow.now, args.source)
    return outcome(customer)


class RecordPurchase(Input):
    customer: Ref
    order: Ref = Field(description="the order number; the same order twice is recorded once")
    amount: MoneyIn
    on: Day | None = Field(None, description="the purchase day (default: today)")
    category: str = ""


@catalogue.command("customer.record_purchase", permission="record")
def record_purchase(uow: UnitOfWork, actor: Actor, args: RecordPurchase) -> Result:
    """Record a purchase: points (R-C5), tier (R-C4), referral reward (R-C6), reactivation."""
    customer = uow.get(Customer, args.customer)
    rewarded_before = customer.referral_rewarded
    recorded = customer.record_purchase(
        actor,
        uow.now,
        order=args.order,
        on=args.on or uow.now.date(),
        amount=args.amount,
        category=args.category,
        policy=uow.policy.customer,
    )
    if customer.referral_rewarded and not rewarded_before and customer.referrer_id is not None:
        referrer = uow.get(Customer, customer.referrer_id)
        referrer.reward_referral(actor, uow.now, customer, uow.policy.customer)
    return {**outcome(customer), "recorded": recorded}


class RedeemPoints(Input):
    customer: Ref
    request_id: Ref = Field(description="the same request twice redeems once")
    points: Points
    reward: str = ""


@catalogue.command("customer.redeem_points", permission="record")
def redeem_points(uow: UnitOfWork, actor: Actor, args: RedeemPoints) -> Result:
    """Redeem points, soonest-expiring first, idempotent by request id (R-C5)."""
    customer = uow.get(Customer, args.customer)
    if args.request_id not in customer.redemptions:
        customer.expire_points(actor, uow.now)
    redeemed = customer.redeem(
        actor, uow.now, request_id=args.request_id, points=args.points, reward=args.reward
    )
    return {**outcome(customer), "redeemed": redeemed}


class EveryCustomer(Input):
    customer: Ref | None = Field(None, description="one customer (default: every customer)")


def _customers(uow: UnitOfWork, ref: str | None) -> list[Customer]:
    if ref is not None:
        return [uow.get(Customer, ref)]
    return [uow.get(Customer, agg_id) for agg_id in listed_ids(uow.store, Customer.KIND)]


@catalogue.command("customer.expire_points", permission="record")
def expire_points(uow: UnitOfWork, actor: Actor, args: EveryCustomer) -> Result:
    """Expire points older than ``points_valid_days`` (R-C5); periodic."""
    expired = {c.label: c.expire_points(actor, uow.now) for c in _customers(uow, args.customer)}
    return {"expired": {label: points for label, points in expired.items() if points}}


@catalogue.command("customer.recompute_tiers", permission="record")
def recompute_tiers(uow: UnitOfWork, actor: Actor, args: EveryCustomer) -> Result:
    """Recompute tiers from the last 12 months (R-C4); periodic, changes are events."""
    policy = uow.policy.customer
    changed = [
        c for c in _customers(uow, args.customer) if c.recompute_tier(actor, uow.now, policy)
    ]
    return {"changed": {c.label: c.tier for c in changed}}


@catalogue.command("customer.sweep_churn", permission="record")
def sweep_churn(uow: UnitOfWork, actor: Actor, args: EveryCustomer) -> Result:
    """Mark churned who bought nothing for ``churn_after_days`` (R-C10); periodic."""
    policy = uow.policy.customer
    churned = [c for c in _customers(uow, args.customer) if c.mark_churned(actor, uow.now, policy)]
    return {"churned": [c.label for c in churned]}


class ContactCustomer(Input):
    customer: Ref
    kind: ContactKindName
    channel: ChannelName
    note: str = ""
    holiday: str | None = Field(None, description="a holiday greeting's holiday (R-C9)")


@catalogue.command("customer.contact", permission="record")
def contact(uow: UnitOfWork, actor: Actor, args: ContactCustomer) -> Result:
    """Greet, invite, recommend or revisit: only with valid consent (R-C3); a greeting in
    the days up to its birthday or holiday, once (R-C9)."""
    customer = uow.get(Customer, args.customer)
    kind = ContactKind(args.kind)
    customer.contact(
        actor,
        uow.now,
        kind,
        Channel(args.channel),
        args.note,
        policy=uow.policy.customer,
        occasion=greeting_occasion(uow, customer, kind, args.holiday),
    )
    return outcome(customer)


def greeting_occasion(
    uow: UnitOfWork, customer: Customer, kind: ContactKind, holiday_name: str | None
) -> Occasion | None:
    """R-C9: the occasion a greeting is for: the customer's next birthday (opened here, only
    to place it: R-C1), or the named holiday's next day; None where there is none."""
    today = uow.now.date()
    if kind is ContactKind.HOLIDAY_GREETING and holiday_name is not None:
        return holiday(uow.policy.customer.holidays, holiday_name.strip(), today)
    if kind is ContactKind.BIRTHDAY_GREETING:
        born = birthday_of(uow.store, customer)
        return None if born is None else birthday_occasions(born, today)[1]
    return None


class RecordService(Input):
    customer: Ref
    note: Text
    satisfaction: int | None = Field(None, ge=1, le=5)


@catalogue.command("customer.record_service", permission="record")
def record_service(uow: UnitOfWork, actor: Actor, args: RecordService) -> Result:
    """Record a service or communication, with the satisfaction given (1 … 5)."""
    customer = uow.get(Customer, args.customer)
    customer.record_service(actor, uow.now, args.note, args.satisfaction)
    return outcome(customer)


class VerifyInfo(Input):
    customer: Ref
    accurate: bool
    note: str = ""


@catalogue.command("customer.verify_info", permission="record")
def verify_info(uow: UnitOfWork, actor: Actor, args: VerifyInfo) -> Result:
    """Record a check of the profile: timeliness and accuracy (R-C8)."""
    customer = uow.get(Customer, args.customer)
    customer.verify_info(actor, uow.now, args.accurate, args.note)
    return outcome(customer)


class EraseCustomer(Input):
    customer: Ref
    reason: Text = Field(description="the erasure request, e.g. ticket DSR-2026-014")


@catalogue.command("customer.erase", permission="erase_personal_data")
def erase(uow: UnitOfWork, actor: Actor, args: EraseCustomer) -> Result:
    """Erase a customer's personal data by destroying their key (R-C2)."""
    customer = uow.get(Customer, args.customer)
    customer.erase(actor, uow.now, args.reason)
    PersonalData.of(uow.store).destroy(customer.id)
    return outcome(customer)


class ReadPersonalData(Input):
    customer: Ref
    reason: Text = Field(description="why it is read (recorded, R-C1)")
    fields: list[FieldName] | None = Field(None, description="default: every personal field")


@catalogue.command("customer.read_personal_data", permission="read_personal_data")
def read_personal_data(uow: UnitOfWork, actor: Actor, args: ReadPersonalData) -> Result:
    """Read personal fields; the read is recorded: who, whose, when, why (R-C1)."""
    customer = uow.get(Customer, args.customer)
    fields: tuple[str, ...] = tuple(dict.fromkeys(args.fields or PERSONAL_FIELDS))
    customer.record_read(actor, uow.now, args.reason, fields)
    held: dict[str, Sealed] = {
        name: customer.personal[name] for name in fields if name in customer.personal
    }
    clear = PersonalData.of(uow.store).unseal(customer.id, held)
    erased = customer.erased or clear is None
    values = {name: ERASED if erased else (clear or {}).get(name) for name in fields}
    return {**outcome(customer), "erased": erased, "fields": values}
