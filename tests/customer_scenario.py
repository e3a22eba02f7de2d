"""Building blocks of customer tests: a cast with personal-data roles, registration, purchases."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from closedloop import Actor, ClosedLoop
from closedloop.domain.customer import Customer
from tests.cast import LI

PII = Actor("he.dpo", "He (data protection)", {"pii_reader"})
PHONE = "13800138000"
NAME = "张伟"


def bare_customer(actor: Actor, at: datetime, id: UUID | None = None) -> Customer:
    """A customer aggregate registered by ``actor`` at ``at`` with nothing but its id."""
    return Customer.register(
        id=id or uuid4(),
        actor=actor,
        at=at,
        ref=None,
        personal={},
        source="",
        owner_id=actor.id,
        preferences=(),
        referrer=None,
    )


def register(loop: ClosedLoop, ref: str = "C-1", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"ref": ref, "name": NAME, "phone": PHONE, "source": "expo"}
    return loop.execute("customer.register", LI, {**data, **fields})


def buy(
    loop: ClosedLoop, ref: str = "C-1", order: str = "O-1", amount: str = "1000.00 CNY", **more: Any
) -> dict[str, Any]:
    args = {"customer": ref, "order": order, "amount": amount, **more}
    return loop.execute("customer.record_purchase", LI, args)


def consent(
    loop: ClosedLoop, ref: str, channel: str, purpose: str, *, granted: bool = True
) -> dict[str, Any]:
    command = "customer.grant_consent" if granted else "customer.withdraw_consent"
    args = {"customer": ref, "channel": channel, "purpose": purpose, "source": "app settings"}
    return loop.execute(command, LI, args)


def contact(loop: ClosedLoop, ref: str, kind: str, channel: str) -> dict[str, Any]:
    return loop.execute("customer.contact", LI, {"customer": ref, "kind": kind, "channel": channel})


def redeem(loop: ClosedLoop, ref: str, request: str, points: int) -> dict[str, Any]:
    args = {"customer": ref, "request_id": request, "points": points, "reward": "car wash"}
    return loop.execute("customer.redeem_points", LI, args)


def read(loop: ClosedLoop, ref: str = "C-1", actor: Actor = PII) -> dict[str, Any]:
    args = {"customer": ref, "reason": "call back about order O-1"}
    return loop.execute("customer.read_personal_data", actor, args)
