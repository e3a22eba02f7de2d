"""The demo's customers (seed 002, 保客营销): 200 owners and prospects of Hengtai Motors.

Sixty owners come over from the 2025 sales ledger in November 2025 (their car bought then);
140 new customers register through 2026. Purchases (car sales, services, parts) move tiers
(R-C4) and earn points (R-C5); some points are redeemed, one redemption retried with the same
request id; a referral is rewarded (R-C6); everyone is called on the revisit cadence (R-C9); an
invitation without promotion consent is refused (R-C3); an owner who stopped coming churns
(R-C10); a data-protection officer reads one customer's data for an erasure request (R-C1)
before it is erased (R-C2); a complaint closed dissatisfied raises a rectification (R-C7).

Everything is derived from the customer's number, so every run plays the same year.
"""

from __future__ import annotations

from datetime import date, timedelta

from closedloop.adapters.demo.loop import LOYALTY, Loop
from closedloop.adapters.demo.timeline import CEO, HEAD, MARKETERS, Timeline
from closedloop.domain.actor import Actor

LI, ZHOU, LIU = MARKETERS
DPO = Actor("sun.li", "Sun Li (data protection officer)", {"pii_reader"})

OWNERS, CUSTOMERS = 60, 200
FAMILIES = 12  # the first owners: a second car in 2026 and a service every other month
CHURNED, ERASED, UNINVITED = "C-0059", "C-0120", "C-0007"
REFERRER, REFERRED = "C-0003", "C-0150"
ERASED_ON = "2026-10-13"
#: R-C9: a revisit call round every 90 days, the core tier's default cadence.
REVISIT_ROUNDS = ("2026-03-27", "2026-06-25", "2026-09-23", "2026-12-22")
COMPLAINT = "CMP-2026-0042"
COMPLAINED = "C-0012"
RECTIFICATION = f"complaint {COMPLAINT}"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超", "霞")
SOURCES = ("showroom walk-in", "auto expo", "web enquiry", "douyin live", "phone enquiry")
CARS = ("S3 sedan", "S5 sedan", "X7 SUV", "E-ONE new-energy hatch")
CAR_PRICES = ("128000", "176000", "239000", "149000")


def ref(number: int) -> str:
    return f"C-{number:04d}"


def joined_on(number: int) -> str:
    """Owners in November 2025, new customers every other day from January 2026."""
    if number < OWNERS:
        return _day("2025-11-05", number % 20)
    return _day("2026-01-05", (number - OWNERS) * 2)


def _day(start: str, days: int) -> str:
    return (date.fromisoformat(start) + timedelta(days=days)).isoformat()


class Customers:
    def __init__(self, timeline: Timeline) -> None:
        self.do = timeline.do
        self.refuse = timeline.refuse
        self.fix = Loop(timeline).fix

    def year(self) -> list[str]:
        """Schedule every customer's year; the refs of the customers."""
        refs = [self.register(number) for number in range(CUSTOMERS)]
        self.redemptions()
        self.contacts()
        self.periodic()
        self.erasure()
        self.complaint()
        return refs

    def register(self, number: int) -> str:
        """Owners arrive with their 2025 car; new customers over 2026, some buying a car."""
        customer = ref(number)
        owner = MARKETERS[number % len(MARKETERS)]
        joined = joined_on(number)
        consents = [{"channel": "phone", "purpose": "care", "source": "registration form"}]
        if number % 4 != 3:  # every fourth customer gives no promotion consent
            consents.append({"channel": "wechat", "purpose": "promotion", "source": "WeChat form"})
        self.do(
            joined,
            "customer.register",
            owner,
            {
                "ref": customer,
                "name": SURNAMES[number % len(SURNAMES)] + GIVEN[number % len(GIVEN)],
                "phone": f"+86 139 {5700 + number:04d} {(number * 37) % 10000:04d}",
                "source": "referral" if customer == REFERRED else SOURCES[number % len(SOURCES)],
                "referrer": REFERRER if customer == REFERRED else None,
                "preferences": [CARS[number % len(CARS)]],
                "consents": consents,
            },
        )
        for order, (on, amount, category) in enumerate(self.purchases(number, joined), 1):
            self.do(
                max(on, joined),
                "customer.record_purchase",
                owner,
                {
                    "customer": customer,
                    "order": f"SO-{customer}-{order}",
                    "amount": f"{amount} CNY",
                    "on": on,
                    "category": category,
                },
            )
        return customer

    def purchases(self, number: int, joined: str) -> list[tuple[str, str, str]]:
        """(day, amount, category): a car, then services and parts by the customer's kind."""
        car = CAR_PRICES[number % len(CAR_PRICES)]
        if ref(number) == CHURNED:  # bought in September 2025, never came back
            return [("2025-09-20", car, "car sale")]
        if number < OWNERS:
            bought = [(joined, car, "car sale")]
            services = 6 if number < FAMILIES else 2  # the families service every other month
            for visit in range(services):
                day = _day("2026-01-12", number * 3 + visit * (330 // services))
                bought.append((day, "2800" if visit % 2 else "1600", "service"))
            if number < FAMILIES:  # and add a new-energy car for the family
                bought.append((_day("2026-05-16", number), CAR_PRICES[-1], "car sale"))
            if number % 5 == 0:
                bought.append((_day("2026-03-02", number), "4200", "parts"))
            return bought
        if number % 3 == 0:  # a third of the new customers buy a car and come back once
            return [
                (_day(joined, 10), car, "car sale"),
                (_day(joined, 60), "1600", "service"),
            ]
        return [(_day(joined, 20), "980" if number % 2 else "2400", "parts")]

    def redemptions(self) -> None:
        """R-C5: redemptions by request id; a retried request (network glitch) redeems once."""
        for number in range(0, FAMILIES, 3):
            request = {
                "customer": ref(number),
                "request_id": f"RDM-2026-{number:03d}",
                "points": 2000,
                "reward": "a free maintenance voucher",
            }
            self.do("2026-06-18", "customer.redeem_points", LIU, request)
            if number == 0:
                self.do("2026-06-18", "customer.redeem_points", LIU, request)

    def contacts(self) -> None:
        """R-C9: revisit rounds on the core cadence (the high-value owners rise in December,
        before the last round); R-C3: the loyalty-day invitations need promotion consent."""
        for day in REVISIT_ROUNDS:
            for number in range(CUSTOMERS):
                if joined_on(number) <= day and not (ref(number) == ERASED and day > ERASED_ON):
                    self.do(
                        day,
                        "customer.contact",
                        MARKETERS[number % len(MARKETERS)],
                        {"customer": ref(number), "kind": "revisit", "channel": "phone"},
                    )
        for number in range(4, 11):  # C-0007 gave no promotion consent
            invitation = {
                "customer": ref(number),
                "kind": "invitation",
                "channel": "wechat",
                "note": f"invited to {LOYALTY}",
            }
            if ref(number) == UNINVITED:
                self.refuse("2026-08-20", "R-C3", "customer.contact", LIU, invitation)
            else:
                self.do("2026-08-20", "customer.contact", LIU, invitation)

    def periodic(self) -> None:
        """Month-end tier recompute (tenure lets the 2025 owners rise, R-C4) and churn sweep."""
        for day in ("2026-06-30", "2026-12-01", "2026-12-28"):
            self.do(day, "customer.recompute_tiers", HEAD, {})
        self.do("2026-12-28", "customer.sweep_churn", HEAD, {})

    def erasure(self) -> None:
        """R-C1 then R-C2: the officer confirms whose data it is, leadership erases it."""
        reason = "erasure request DSR-2026-014: confirm the requester's identity"
        self.do(
            "2026-10-12",
            "customer.read_personal_data",
            DPO,
            {"customer": ERASED, "reason": reason, "fields": ["name", "phone"]},
        )
        self.do(
            ERASED_ON,
            "customer.erase",
            CEO,
            {"customer": ERASED, "reason": "erasure request DSR-2026-014 (PIPL art. 47)"},
        )

    def complaint(self) -> None:
        """R-C7: received, acknowledged and resolved on time, closed dissatisfied → fixed."""
        complaint = {"complaint": COMPLAINT}
        self.do(
            "2026-07-06",
            "complaint.receive",
            LIU,
            {
                "ref": COMPLAINT,
                "customer": COMPLAINED,
                "subject": "paint scratched during the 20,000 km service",
                "channel": "phone",
            },
        )
        self.do("2026-07-06", "complaint.acknowledge", LIU, {**complaint, "note": "called back"})
        self.do(
            "2026-07-08",
            "complaint.resolve",
            LIU,
            {**complaint, "resolution": "panel repainted free of charge"},
        )
        self.do(
            "2026-07-10",
            "complaint.record_feedback",
            LIU,
            {**complaint, "satisfied": False, "comment": "the colour does not match"},
        )
        self.do(
            "2026-07-10",
            "complaint.close",
            LIU,
            {**complaint, "deadline": "2026-08-31", "cause_code": "SERVICE-QUALITY"},
        )
        self.fix(
            RECTIFICATION,
            LIU,
            [
                (
                    "2026-07-13",
                    "the body shop mixes paint by eye, without the maker's colour code",
                    "a spectrophotometer and colour-code check before every repaint",
                    "2026-08-31",
                ),
            ],
            completed="2026-08-20",
            verified=(("2026-08-28", True),),
            lessons="repaints match the maker's colour code, measured, never by eye",
            tags=["service", "complaint"],
        )
