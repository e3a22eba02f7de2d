"""The executing side of the demo year: activities, reviews and rectifications (seed 004)."""

from __future__ import annotations

from typing import Any

from closedloop.adapters.demo.timeline import CEO, CFO, HEAD, MARKETERS, Timeline
from closedloop.domain.actor import Actor

LI, ZHOU, LIU = MARKETERS
AD, PROMO, EXPO, LOYALTY = "AD-NEV-SPRING", "PROMO-MAY-DAY", "EXPO-HANGZHOU", "LOYALTY-DAY"
AUGUST, SECOND_QUARTER = "REVIEW-2026-08", "REVIEW-2026-Q2"
INCIDENT = f"activity {EXPO} incident 1"

DIRTY_COPY = "新能源车型春季上市:全网最低价,到店试驾即送家用充电桩!"
CLEAN_COPY = "新能源车型春季上市:限时购车礼遇,到店试驾即送家用充电桩!"


class Loop:
    def __init__(self, timeline: Timeline) -> None:
        self.do = timeline.do
        self.refuse = timeline.refuse

    # --- activities ------------------------------------------------------------------------

    def activity(
        self,
        days: tuple[str, str, str, str],
        ref: str,
        owner: Actor,
        approver: Actor,
        steps: list[tuple[str, str, str]],
        **content: Any,
    ) -> None:
        """Drafted and proposed, reviewed by the owner's superior, approved, its execution
        plan approved (R-A1, R-A2), resources prepared."""
        created, approved, planned, prepared = days
        self.do(created, "activity.create", owner, {"ref": ref, **content})
        self.do(created, "activity.propose", owner, {"activity": ref})
        self.do(created, "activity.review", HEAD, {"activity": ref})
        self.do(approved, "activity.approve", approver, {"activity": ref})
        self.do(
            planned,
            "activity.submit_execution_plan",
            owner,
            {
                "activity": ref,
                "steps": [
                    {"what": what, "owner": owner.id, "start": start, "due": due}
                    for what, start, due in steps
                ],
            },
        )
        self.do(planned, "activity.approve_execution_plan", HEAD, {"activity": ref})
        self.do(prepared, "activity.prepare", owner, {"activity": ref})

    def close_activity(
        self,
        days: tuple[str, str, str],
        ref: str,
        owner: Actor,
        results: dict[str, str],
        evaluation: dict[str, Any],
        summary: dict[str, str],
    ) -> None:
        completed, summarised, evaluated = days
        self.do(completed, "activity.complete", owner, {"activity": ref, "results": results})
        self.do(summarised, "activity.submit_summary", owner, {"activity": ref, **summary})
        self.do(evaluated, "activity.evaluate", HEAD, {"activity": ref, **evaluation})

    def activities(self) -> list[str]:
        self.advertisement()
        self.promotion()
        self.expo()
        self.loyalty_day()
        return [AD, PROMO, EXPO, LOYALTY]

    def advertisement(self) -> None:
        """R-A3: the launch copy claims 全网最低价; launch is refused until the copy is fixed."""
        self.activity(
            ("2026-02-02", "2026-02-05", "2026-02-06", "2026-02-20"),
            AD,
            LI,
            CFO,
            [
                ("shoot and edit the spots", "2026-02-06", "2026-02-20"),
                ("book outdoor and WeChat slots", "2026-02-09", "2026-02-27"),
                ("run the campaign", "2026-03-01", "2026-03-31"),
            ],
            kind="advertising",
            theme="New-energy spring launch",
            start="2026-03-01",
            end="2026-03-31",
            objectives=[
                {"name": "test drives", "metric": "test drives booked", "target": "600"},
                {"name": "orders", "metric": "new-energy orders", "target": "150"},
            ],
            target_customers=["segment: first-time new-energy buyers"],
            channels=["outdoor", "wechat", "douyin"],
            place="Hangzhou and Ningbo",
            content=DIRTY_COPY,
            promotion_plan="home charger with every test drive booked",
            budget_lines=[
                {"category": "media", "amount": "250000 CNY"},
                {"category": "production", "amount": "50000 CNY"},
            ],
        )
        self.do("2026-03-01", "activity.check_copy", LI, {"activity": AD})
        self.refuse("2026-03-01", "R-A3", "activity.start", LI, {"activity": AD})
        self.do(
            "2026-03-01",
            "activity.request_change",
            LI,
            {
                "activity": AD,
                "content": CLEAN_COPY,
                "reason": "legal: 全网最低价 is an absolute claim we cannot prove (广告法 art. 9)",
            },
        )
        self.do("2026-03-01", "activity.approve_change", CFO, {"activity": AD})
        self.do("2026-03-01", "activity.check_copy", LI, {"activity": AD})
        self.do("2026-03-02", "activity.start", LI, {"activity": AD})
        for day, receipt, amount, category in (
            ("2026-03-05", "FP-2026-0311", "182000", "media"),
            ("2026-03-06", "FP-2026-0318", "47500", "production"),
            ("2026-03-20", "FP-2026-0402", "61000", "media"),
        ):
            self.do(
                day,
                "activity.record_expense",
                LI,
                {
                    "activity": AD,
                    "receipt": receipt,
                    "amount": f"{amount} CNY",
                    "category": category,
                },
            )
        self.close_activity(
            ("2026-04-01", "2026-04-03", "2026-04-08"),
            AD,
            LI,
            {"test drives": "640", "orders": "138"},
            {"participants": 640, "conversions": 138, "attributed_revenue": "27600000 CNY"},
            {
                "objectives_met": "test drives beat the target; orders 12 short",
                "effect": "640 test drives, 138 orders",
                "problems": "charger installs lagged",
                "improvements": "book installers before the launch",
            },
        )
        self.do(
            "2026-04-15",
            "activity.record_satisfaction",
            LI,
            {"activity": AD, "score": "4.4", "respondents": 212},
        )

    def promotion(self) -> None:
        """R-A5: an expense past the budget is refused until the superior covers it."""
        self.activity(
            ("2026-04-06", "2026-04-08", "2026-04-09", "2026-04-25"),
            PROMO,
            ZHOU,
            CFO,
            [
                ("order trade-in gifts", "2026-04-09", "2026-04-24"),
                ("run the promotion", "2026-05-01", "2026-05-31"),
            ],
            kind="promotion",
            theme="May Day trade-in bonus",
            start="2026-05-01",
            end="2026-05-31",
            objectives=[
                {"name": "trade-ins", "metric": "trade-ins signed", "target": "100"},
                {"name": "orders", "metric": "orders", "target": "80"},
            ],
            target_customers=["core", "ordinary"],
            channels=["showroom", "wechat"],
            place="all showrooms",
            content="Trade in your car in May: 8,000 CNY bonus",
            budget_lines=[
                {"category": "gifts", "amount": "120000 CNY"},
                {"category": "media", "amount": "80000 CNY"},
            ],
        )
        self.do("2026-05-01", "activity.start", ZHOU, {"activity": PROMO})
        expense = {
            "activity": PROMO,
            "receipt": "FP-2026-0561",
            "amount": "21000 CNY",
            "category": "gifts",
        }
        for day, receipt, amount, category in (
            ("2026-05-05", "FP-2026-0507", "118000", "gifts"),
            ("2026-05-15", "FP-2026-0533", "79000", "media"),
        ):
            self.do(
                day,
                "activity.record_expense",
                ZHOU,
                {
                    "activity": PROMO,
                    "receipt": receipt,
                    "amount": f"{amount} CNY",
                    "category": category,
                },
            )
        self.refuse("2026-05-28", "R-A5", "activity.record_expense", ZHOU, expense)
        self.do(
            "2026-05-28",
            "activity.approve_overspend",
            HEAD,
            {
                "activity": PROMO,
                "amount": "20000 CNY",
                "reason": "demand beat the forecast: 40 more trade-in gifts",
            },
        )
        self.do("2026-05-28", "activity.record_expense", ZHOU, expense)
        self.close_activity(
            ("2026-06-01", "2026-06-02", "2026-06-05"),
            PROMO,
            ZHOU,
            {"trade-ins": "120", "orders": "70"},
            {"participants": 410, "conversions": 70, "attributed_revenue": "14800000 CNY"},
            {
                "objectives_met": "trade-ins beat the target; orders 10 short",
                "effect": "120 trade-ins, 70 orders",
                "problems": "used-car valuations took two days",
                "improvements": "same-day valuations at the showroom",
            },
        )

    def expo(self) -> None:
        """R-A6: a severe incident at the stand raises a rectification in the same save."""
        self.activity(
            ("2026-05-06", "2026-05-08", "2026-05-10", "2026-06-10"),
            EXPO,
            LI,
            CEO,
            [
                ("build the stand", "2026-06-08", "2026-06-11"),
                ("staff the stand", "2026-06-12", "2026-06-14"),
            ],
            kind="market_event",
            theme="Hangzhou auto expo",
            start="2026-06-12",
            end="2026-06-14",
            objectives=[{"name": "leads", "metric": "qualified leads", "target": "800"}],
            target_customers=["segment: visitors"],
            channels=["expo"],
            place="Hangzhou International Expo Center",
            content="Stand B12: the S line",
            budget_lines=[{"category": "venue", "amount": "350000 CNY"}],
        )
        self.do("2026-06-12", "activity.start", LI, {"activity": EXPO})
        self.do(
            "2026-06-12",
            "activity.record_expense",
            LI,
            {
                "activity": EXPO,
                "receipt": "FP-2026-0690",
                "amount": "312000 CNY",
                "category": "venue",
            },
        )
        self.do(
            "2026-06-13",
            "activity.log_incident",
            LI,
            {
                "activity": EXPO,
                "severity": "severe",
                "escalated_to": HEAD.id,
                "problem": "a screen frame fell during a set change; one visitor slightly hurt",
            },
        )
        self.close_activity(
            ("2026-06-15", "2026-06-16", "2026-06-20"),
            EXPO,
            LI,
            {"leads": "910"},
            {"participants": 5200, "conversions": 910, "attributed_revenue": "9100000 CNY"},
            {
                "objectives_met": "leads beat the target",
                "effect": "910 qualified leads",
                "problems": "the screen incident on day two",
                "improvements": "third-party safety check of every stand",
            },
        )
        self.fix(
            INCIDENT,
            LI,
            [
                (
                    "2026-06-16",
                    "the contractor fixed the frame with two bolts, not four",
                    "a third-party safety inspection of every stand before opening",
                    "2026-07-15",
                ),
            ],
            completed="2026-07-10",
            verified=(("2026-07-12", True),),
            lessons="inspect every stand before the doors open; contractors sign the check",
            tags=["safety", "expo"],
        )

    def loyalty_day(self) -> None:
        """R-A1: a retention event is reviewed by the head and approved by leadership."""
        self.activity(
            ("2026-08-10", "2026-08-12", "2026-08-13", "2026-09-15"),
            LOYALTY,
            LIU,
            CEO,
            [
                ("invite owners due a change", "2026-08-15", "2026-09-10"),
                ("host the day", "2026-09-19", "2026-09-19"),
            ],
            kind="retention_event",
            theme="Owner loyalty day",
            start="2026-09-19",
            end="2026-09-19",
            objectives=[{"name": "repeat orders", "metric": "orders by owners", "target": "40"}],
            target_customers=["high-value", "core"],
            channels=["phone", "wechat"],
            place="Hangzhou flagship showroom",
            content="Free check-up and trade-in offers",
            budget_lines=[{"category": "hospitality", "amount": "90000 CNY"}],
        )
        self.do("2026-09-19", "activity.start", LIU, {"activity": LOYALTY})
        self.do(
            "2026-09-19",
            "activity.record_expense",
            LIU,
            {
                "activity": LOYALTY,
                "receipt": "FP-2026-0944",
                "amount": "86500 CNY",
                "category": "hospitality",
            },
        )
        self.close_activity(
            ("2026-09-20", "2026-09-21", "2026-09-25"),
            LOYALTY,
            LIU,
            {"repeat orders": "46"},
            {"participants": 180, "conversions": 46, "attributed_revenue": "8900000 CNY"},
            {
                "objectives_met": "46 repeat orders",
                "effect": "180 owners came",
                "problems": "none",
                "improvements": "repeat in spring",
            },
        )
        self.do(
            "2026-09-30",
            "activity.record_satisfaction",
            LIU,
            {"activity": LOYALTY, "score": "4.7", "respondents": 96},
        )

    # --- reviews and rectifications --------------------------------------------------------

    def reviews(self) -> tuple[list[str], list[str]]:
        """R-E1 … R-E4: each finding raises a rectification or is waived by leadership."""
        self.do("2026-07-01", "review.open", HEAD, {"ref": SECOND_QUARTER, "period": "2026-Q2"})
        self.do("2026-07-02", "review.generate_findings", HEAD, {"review": SECOND_QUARTER})
        self.do(
            "2026-07-02",
            "review.add_finding",
            HEAD,
            {
                "review": SECOND_QUARTER,
                "description": "post-event survey reached under 10 %",
            },
        )
        self.do(
            "2026-07-02",
            "review.raise_rectification",
            HEAD,
            {
                "review": SECOND_QUARTER,
                "finding": "F1",
                "owner": ZHOU.id,
                "deadline": "2026-07-31",
                "cause_code": "VALUATION-DELAY",
            },
        )
        self.do(
            "2026-07-03",
            "review.request_waiver",
            HEAD,
            {
                "review": SECOND_QUARTER,
                "finding": "F2",
                "reason": "the survey tool changes in Q3; measured again then",
            },
        )
        self.do(
            "2026-07-06", "review.approve_waiver", CEO, {"review": SECOND_QUARTER, "finding": "F2"}
        )
        self.do("2026-07-08", "review.finalise", CEO, {"review": SECOND_QUARTER})
        self.fix(
            f"{SECOND_QUARTER}/F1",
            ZHOU,
            [
                (
                    "2026-07-03",
                    "valuations waited for the used-car centre's only assessor",
                    "train two showroom staff as certified assessors",
                    "2026-07-31",
                ),
            ],
            completed="2026-07-20",
            verified=(("2026-07-25", True),),
            lessons="valuation capacity limits trade-in promotions; plan assessors first",
            tags=["trade-in", "promotion"],
        )

        self.do("2026-09-01", "review.open", HEAD, {"ref": AUGUST, "period": "2026-08"})
        self.do("2026-09-02", "review.generate_findings", HEAD, {"review": AUGUST})
        self.do(
            "2026-09-02",
            "review.raise_rectification",
            HEAD,
            {
                "review": AUGUST,
                "finding": "F1",
                "owner": ZHOU.id,
                "deadline": "2026-10-31",
                "cause_code": "CHANNEL-LOSS",
            },
        )
        self.do("2026-09-07", "review.finalise", CEO, {"review": AUGUST})
        self.fix(
            f"{AUGUST}/F1",
            ZHOU,
            [
                (
                    "2026-09-04",
                    "the closed distributor's customers were never re-assigned",
                    "call every customer of the closed Hangzhou distributor",
                    "2026-09-30",
                ),
                (
                    "2026-10-06",
                    "",  # after the failed verification (R-X3): a second measure
                    "sign a new partner distributor in Hangzhou",
                    "2026-10-31",
                ),
            ],
            completed="2026-09-26",
            verified=(
                ("2026-10-05", False),
                ("2026-11-05", True),
            ),
            lessons="when a distributor closes, re-assign its customers within a week",
            tags=["channel", "distributor"],
        )
        rectifications = [INCIDENT, f"{SECOND_QUARTER}/F1", f"{AUGUST}/F1"]
        return [SECOND_QUARTER, AUGUST], rectifications

    def fix(
        self,
        ref: str,
        owner: Actor,
        measures: list[tuple[str, str, str, str]],
        *,
        completed: str,
        verified: tuple[tuple[str, bool], ...],
        lessons: str,
        tags: list[str],
    ) -> None:
        """R-X2 … R-X5: root cause, measures, evidence, independent verification, lessons.

        A verification that finds the fix ineffective reopens it (R-X3); the next measure
        and completion follow, and the next verification decides again.
        """
        rectification = {"rectification": ref}
        rounds = iter(verified)
        for number, (day, cause, what, deadline) in enumerate(measures, start=1):
            if cause:
                self.do(
                    day,
                    "rectification.record_root_cause",
                    owner,
                    {**rectification, "root_cause": cause},
                )
            self.do(
                day,
                "rectification.add_measure",
                owner,
                {**rectification, "what": what, "owner": owner.id, "deadline": deadline},
            )
            done = completed if number == 1 else deadline.replace("-31", "-20")
            self.do(
                done,
                "rectification.complete_measure",
                owner,
                {**rectification, "measure": f"M{number}"},
            )
            self.do(
                done,
                "rectification.complete",
                owner,
                {**rectification, "evidence": f"{what}: done on {done}"},
            )
            day_verified, effective = next(rounds)
            self.do(
                day_verified,
                "rectification.verify",
                HEAD,
                {
                    **rectification,
                    "effective": effective,
                    "notes": "results back to plan" if effective else "still short of plan",
                },
            )
        self.do(
            verified[-1][0],
            "rectification.close",
            owner,
            {**rectification, "lessons": lessons, "tags": tags},
        )
