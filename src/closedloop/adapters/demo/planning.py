"""The planning side of the demo year: research, targets, plans, actuals and closes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from closedloop.adapters.demo.timeline import CEO, CFO, HEAD, MARKETERS, Timeline
from closedloop.domain.actor import Actor
from closedloop.domain.period import Period

ANNUAL = "REV-2026"
QUARTER_VALUES = ("27000000", "30000000", "30000000", "33000000")  # 120 M CNY in all
PERSON_VALUES = ("44000000", "40000000", "36000000")
PERSON_MIDYEAR = ("21350000", "18900000", "16670000")
PERSON_ACTUALS = ("43900000", "38100000", "34600000")  # 116.6 M CNY, as the months add up
#: Monthly revenue actually booked (CNY), as the ERP reports it at each month end.
MONTHLY_ACTUALS = (
    "8650000",
    "8120000",
    "10480000",  # Q1: Spring Festival lull, then the spring launch
    "9870000",
    "10240000",
    "9560000",  # Q2
    "8230000",
    "7640000",
    "8810000",  # Q3: a distributor lost in July
    "10950000",
    "11370000",
    "12680000",  # Q4: year-end push
)


class Planning:
    def __init__(self, timeline: Timeline) -> None:
        self.do = timeline.do

    def approve(self, at: str, ref: str, submitter: Actor, approver: Actor) -> None:
        self.do(at, "target.submit", submitter, {"target": ref})
        self.do(at, "target.approve", approver, {"target": ref})

    def research(self) -> None:
        """R-R1 … R-R3: the studies the year's targets and plans rest on."""
        li, zhou, _ = MARKETERS
        topics = ["industry_trend", "competitors", "customer_needs"]
        for ref, period, author, start, end in (
            ("STUDY-2025-Q4", "2025-Q4", li, "2025-10-08", "2025-11-20"),
            ("STUDY-2026-H1", "2026-Q1", zhou, "2026-01-12", "2026-03-20"),
            ("STUDY-2026-H2", "2026-Q3", li, "2026-07-06", "2026-09-18"),
        ):
            self.do(
                start,
                "research.create",
                author,
                {
                    "ref": ref,
                    "title": f"Market review {period}: trends, rivals, buyers",
                    "kind": "comprehensive",
                    "period": period,
                    "purpose": "ground the next targets and plans in the market as it is",
                    "subjects": [
                        "showroom visitors",
                        "owners of 3+ year-old cars",
                        "two rival groups",
                    ],
                    "methods": ["desk", "survey", "interview"],
                    "schedule": {"start": start, "end": end},
                    "topics": topics,
                },
            )
            self.do(start, "research.start", author, {"research": ref})
            self.do(
                end,
                "research.submit_report",
                author,
                {
                    "research": ref,
                    "purpose": "annual market review",
                    "methods": ["desk", "survey", "interview"],
                    "findings": "new-energy share passed 45 %; rivals discount 6-8 %",
                    "conclusions": "growth comes from the new-energy line and from existing owners",
                    "recommendations": "spring launch events; loyalty offers to owners",
                },
            )
        self.do(
            "2026-02-02",
            "research.create",
            zhou,
            {
                "ref": "STUDY-NEV-HZ",
                "title": "New-energy buyers in Hangzhou",
                "kind": "special",
                "period": "2026-Q1",
                "purpose": "size the Hangzhou market before the Q2 push",
                "subjects": ["test-drive visitors", "fleet buyers"],
                "methods": ["survey", "interview"],
                "schedule": {"start": "2026-02-09", "end": "2026-03-13"},
                "topics": ["customer_needs", "charging"],
            },
        )
        self.do("2026-02-02", "research.submit", zhou, {"research": "STUDY-NEV-HZ"})
        self.do("2026-02-04", "research.approve", HEAD, {"research": "STUDY-NEV-HZ"})
        self.do("2026-02-09", "research.start", zhou, {"research": "STUDY-NEV-HZ"})
        self.do(
            "2026-03-13",
            "research.submit_report",
            zhou,
            {
                "research": "STUDY-NEV-HZ",
                "purpose": "size the Hangzhou market",
                "methods": ["survey", "interview"],
                "findings": "1 in 3 visitors would buy within 6 months if home charging is solved",
                "conclusions": "bundle a home charger with every Q2 new-energy sale",
                "recommendations": "charger bundle; fleet day for ride-hailing operators",
            },
        )

    def set_targets(self) -> None:
        self.do(
            "2025-12-01",
            "target.create",
            CEO,
            {
                "ref": ANNUAL,
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": "120000000",
                "baseline": "102500000",
                "owner": HEAD.id,
                "basis": "2026 strategy: +17 % on 2025 with the new-energy line",
                "basis_research": ["STUDY-2025-Q4"],
            },
        )
        self.approve("2025-12-03", ANNUAL, HEAD, CEO)
        quarters = [
            {"ref": f"{ANNUAL}-Q{q}", "period": f"2026-Q{q}", "value": value}
            for q, value in enumerate(QUARTER_VALUES, start=1)
        ]
        self.do(
            "2025-12-05",
            "target.decompose",
            HEAD,
            {"target": ANNUAL, "dimension": "period", "children": quarters},
        )
        for q, quarter in enumerate(quarters, start=1):
            self.approve("2025-12-08", quarter["ref"], HEAD, CFO)
            months = _months_of(q, Decimal(quarter["value"]))
            self.do(
                "2025-12-10",
                "target.decompose",
                HEAD,
                {"target": quarter["ref"], "dimension": "period", "children": months},
            )
            for month in months:
                self.approve("2025-12-12", month["ref"], HEAD, CFO)
        people = [
            {"ref": f"{ANNUAL}-{m.id}", "scope": "person", "scope_ref": m.id, "value": value}
            for m, value in zip(MARKETERS, PERSON_VALUES, strict=True)
        ]
        self.do(
            "2025-12-15",
            "target.decompose",
            HEAD,
            {"target": ANNUAL, "dimension": "scope", "children": people},
        )
        for person in people:
            self.approve("2025-12-16", person["ref"], HEAD, CEO)

    def plan(self) -> list[str]:
        """R-P1 … R-P6: annual plan, two quarters (one rejected, revised), January's monthlies."""
        li, zhou, liu = MARKETERS
        self.do(
            "2025-12-18",
            "plan.create",
            HEAD,
            {
                "ref": "PLAN-2026",
                "level": "annual",
                "period": "2026",
                "title": "Hengtai Motors marketing plan 2026",
                "budget": "6000000 CNY",
                "market_analysis": "new-energy share past 45 %; rivals discount 6-8 %; "
                "owners of 3+ year-old cars are the cheapest new sales",
                "strategies": {
                    "product": "lead with the new-energy line; certified used cars for trade-ins",
                    "price": "no list-price war; finance offers and trade-in bonuses instead",
                    "channel": "showrooms plus two partner distributors; online booking",
                    "promotion": "spring launch, owner loyalty days, year-end push",
                },
                "linked_targets": [ANNUAL],
                "cited_research": ["STUDY-2025-Q4"],
            },
        )
        for what, owner, start, due, effect, budget in (
            (
                "Spring new-model launch events",
                li,
                "2026-03-01",
                "2026-04-30",
                "600 test drives, 180 orders",
                "1500000 CNY",
            ),
            (
                "Distributor incentive programme",
                zhou,
                "2026-01-01",
                "2026-12-31",
                "distributors book 30 % of revenue",
                "2000000 CNY",
            ),
            (
                "Owner loyalty and trade-in days",
                liu,
                "2026-02-01",
                "2026-11-30",
                "25 % of owners due a change buy again",
                "1200000 CNY",
            ),
            (
                "Social media and live-stream content",
                li,
                "2026-01-01",
                "2026-12-31",
                "40,000 leads",
                "800000 CNY",
            ),
        ):
            self.do(
                "2025-12-18",
                "plan.add_action_item",
                HEAD,
                {
                    "plan": "PLAN-2026",
                    "what": what,
                    "owner": owner.id,
                    "start": start,
                    "due": due,
                    "expected_effect": effect,
                    "budget": budget,
                    "target": ANNUAL,
                },
            )
        self.do("2025-12-19", "plan.submit", HEAD, {"plan": "PLAN-2026"})
        self.do("2025-12-22", "plan.approve", CEO, {"plan": "PLAN-2026"})

        self.quarterly_plan("PLAN-2026-Q1", 1, "1400000 CNY", approver=CFO)
        monthly = [self.monthly_plan(m, "2026-01", "450000 CNY") for m in MARKETERS]

        self.quarterly_plan("PLAN-2026-Q2", 2, "1900000 CNY", approver=None)
        self.do(
            "2026-03-16",
            "plan.reject",
            CEO,
            {
                "plan": "PLAN-2026-Q2",
                "reason": "too heavy on distributor incentives; fund the Hangzhou charger bundle",
            },
        )
        self.do(
            "2026-03-17",
            "plan.revise",
            HEAD,
            {
                "plan": "PLAN-2026-Q2",
                "reason": "CEO review of 2026-03-16: shift 300,000 CNY",
            },
        )
        self.do(
            "2026-03-17",
            "plan.update_action_item",
            HEAD,
            {
                "plan": "PLAN-2026-Q2",
                "item": "A2",
                "budget": "300000 CNY",
                "what": "Home-charger bundle with every new-energy sale in Hangzhou",
                "expected_effect": "120 extra new-energy orders",
            },
        )
        self.do(
            "2026-03-17",
            "plan.update",
            HEAD,
            {
                "plan": "PLAN-2026-Q2",
                "budget": "1600000 CNY",
                "cited_research": ["STUDY-NEV-HZ"],
            },
        )
        self.do("2026-03-18", "plan.submit", HEAD, {"plan": "PLAN-2026-Q2"})
        self.do("2026-03-19", "plan.approve", CEO, {"plan": "PLAN-2026-Q2"})
        return ["PLAN-2026", "PLAN-2026-Q1", "PLAN-2026-Q2", *monthly]

    def quarterly_plan(self, ref: str, quarter: int, budget: str, approver: Actor | None) -> None:
        first = 3 * quarter - 2
        day = "2025-12-23" if quarter == 1 else "2026-03-12"
        self.do(
            day,
            "plan.create",
            HEAD,
            {
                "ref": ref,
                "level": "quarterly",
                "period": f"2026-Q{quarter}",
                "parent": "PLAN-2026",
                "title": f"Q{quarter} 2026 plan",
                "budget": budget,
                "linked_targets": [f"{ANNUAL}-Q{quarter}"],
            },
        )
        for what, owner, due, effect, amount in (
            (
                "Launch and test-drive events",
                MARKETERS[0],
                f"2026-{first + 1:02d}-28",
                "200 test drives",
                "600000 CNY",
            ),
            (
                "Distributor incentives",
                MARKETERS[1],
                f"2026-{first + 2:02d}-25",
                "distributors book 9 M CNY",
                str(Decimal(budget.split()[0]) - 900000) + " CNY",
            ),
            (
                "Owner loyalty day",
                MARKETERS[2],
                f"2026-{first + 2:02d}-20",
                "60 repeat orders",
                "300000 CNY",
            ),
        ):
            self.do(
                day,
                "plan.add_action_item",
                HEAD,
                {
                    "plan": ref,
                    "what": what,
                    "owner": owner.id,
                    "due": due,
                    "expected_effect": effect,
                    "budget": amount,
                    "target": f"{ANNUAL}-Q{quarter}",
                },
            )
        self.do(day, "plan.submit", HEAD, {"plan": ref})
        if approver is not None:
            self.do(day, "plan.approve", approver, {"plan": ref})

    def monthly_plan(self, marketer: Actor, month: str, budget: str) -> str:
        ref = f"PLAN-{month}-{marketer.id}"
        self.do(
            "2025-12-26",
            "plan.create",
            marketer,
            {
                "ref": ref,
                "level": "monthly",
                "period": month,
                "parent": "PLAN-2026-Q1",
                "title": f"{month} plan of {marketer.name}",
                "budget": budget,
                "linked_targets": [f"{ANNUAL}-{marketer.id}"],
            },
        )
        self.do(
            "2025-12-26",
            "plan.add_action_item",
            marketer,
            {
                "plan": ref,
                "what": "Call every owner whose car turns three this quarter",
                "owner": marketer.id,
                "due": f"{month}-31",
                "expected_effect": "40 showroom visits",
                "budget": budget,
                "target": f"{ANNUAL}-{marketer.id}",
            },
        )
        self.do("2025-12-26", "plan.submit", marketer, {"plan": ref})
        self.do("2025-12-29", "plan.approve", HEAD, {"plan": ref})
        return ref

    def record_actuals(self) -> None:
        for month, value in enumerate(MONTHLY_ACTUALS, start=1):
            day = _month_end(month)
            self.do(
                day,
                "target.record_actual",
                MARKETERS[0],
                {
                    "target": f"{ANNUAL}-{month:02d}",
                    "value": value,
                    "as_of": day,
                    "source": "DMS monthly revenue report",
                },
            )
            if month == 7:
                self.adjust_third_quarter()
        for m, mid, full in zip(MARKETERS, PERSON_MIDYEAR, PERSON_ACTUALS, strict=True):
            for day, value in (("2026-06-30", mid), ("2026-12-31", full)):
                self.do(
                    day,
                    "target.record_actual",
                    HEAD,
                    {
                        "target": f"{ANNUAL}-{m.id}",
                        "value": value,
                        "as_of": day,
                        "source": "DMS sales by salesperson",
                    },
                )

    def adjust_third_quarter(self) -> None:
        """R-T3: the Hangzhou distributor closes; leadership lowers Q3 with reasons on record."""
        self.do(
            "2026-07-31",
            "target.request_adjustment",
            HEAD,
            {
                "target": f"{ANNUAL}-Q3",
                "value": "27000000",
                "reason": "the Hangzhou distributor closed on 2026-07-10",
                "analysis": "it booked 1.0 M CNY a month; Q3 loses about 3.0 M CNY",
            },
        )
        self.do("2026-08-03", "target.approve_adjustment", CEO, {"target": f"{ANNUAL}-Q3"})

    def close_targets(self) -> None:
        for month in range(1, 13):
            ref = f"{ANNUAL}-{month:02d}"
            self.do(_next_day(month), "target.close", HEAD, {"target": ref})
        for q in range(1, 5):
            self.do(_next_day(3 * q), "target.close", CEO, {"target": f"{ANNUAL}-Q{q}"})
        for ref in (*(f"{ANNUAL}-{m.id}" for m in MARKETERS), ANNUAL):
            self.do(_next_day(12), "target.close", CEO, {"target": ref})


def _months_of(quarter: int, value: Decimal) -> list[dict[str, str]]:
    """A quarter's months, with the remainder of an uneven split on the last month."""
    share = (value / 3).quantize(Decimal(1))
    values = [share, share, value - 2 * share]
    return [
        {
            "ref": f"{ANNUAL}-{3 * quarter - 2 + i:02d}",
            "period": f"2026-{3 * quarter - 2 + i:02d}",
            "value": str(v),
        }
        for i, v in enumerate(values)
    ]


def _month_end(month: int) -> str:
    return Period.parse(f"2026-{month:02d}").end.isoformat()


def _next_day(month: int) -> str:
    """A week after the month ends: when its results are closed."""
    return (Period.parse(f"2026-{month:02d}").end + timedelta(days=8)).isoformat()
