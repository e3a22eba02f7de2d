"""The demo's risk register (seed 000, 风险管理与控制): market, activity, customer, legal.

Each risk is registered with its sources and assessed on the policy's matrix (R-K1); the
high customer-data risk is mitigated with measures, then monitored (R-K2); the high risk of
the trade-in subsidy ending is accepted by leadership with a reason and an expiry (R-K2); the
charger-installation risk of the spring launch occurs and its rectification is carried
through (R-K5); the open risks are reviewed on the cadence of their level (R-K4).
"""

from __future__ import annotations

from closedloop.adapters.demo.loop import AD, Loop
from closedloop.adapters.demo.planning import ANNUAL
from closedloop.adapters.demo.timeline import CEO, HEAD, MARKETERS, Timeline

LI, ZHOU, LIU = MARKETERS
SUBSIDY, CHARGERS, DATA, ADS = (
    "RISK-SUBSIDY-END",
    "RISK-CHARGER-INSTALL",
    "RISK-DATA",
    "RISK-AD-LAW",
)
OCCURRENCE = f"risk {CHARGERS} occurrence 1"
#: Monthly reviews, before the high risks' monthly cadence runs out (R-K4).
REVIEW_DAYS = tuple(f"2026-{month:02d}-15" for month in range(2, 13))


class Risks:
    def __init__(self, timeline: Timeline) -> None:
        self.do = timeline.do
        self.fix = Loop(timeline).fix

    def register(self) -> tuple[list[str], list[str]]:
        """Schedule the register's year; the risks, and the rectification an occurrence raised."""
        self.risk(
            "2026-01-20",
            SUBSIDY,
            "The national trade-in subsidy may end before the year does",
            "market",
            [{"kind": "target", "ref": ANNUAL}],
            HEAD.id,
            ("high", "medium"),
        )
        self.do(
            "2026-01-22",
            "risk.accept",
            CEO,
            {
                "risk": SUBSIDY,
                "reason": "outside our control; targets are adjusted if the subsidy ends",
                "expires_on": "2027-06-30",
            },
        )
        self.risk(
            "2026-02-10",
            CHARGERS,
            "Home-charger installations lag behind the launch's test drives",
            "activity",
            [{"kind": "activity", "ref": AD}],
            LI.id,
            ("medium", "medium"),
        )
        self.do(
            "2026-03-25",
            "risk.record_occurrence",
            LI,
            {
                "risk": CHARGERS,
                "what_happened": "90 home chargers installed over two weeks late",
                "deadline": "2026-05-31",
                "cause_code": "INSTALLER-CAPACITY",
            },
        )
        self.fix(
            OCCURRENCE,
            LI,
            [
                (
                    "2026-03-27",
                    "one installer company served both cities",
                    "contract a second installer in Ningbo, booked before each launch",
                    "2026-05-31",
                ),
            ],
            completed="2026-04-30",
            verified=(("2026-05-10", True),),
            lessons="book installation capacity before a launch promises chargers",
            tags=["launch", "installation"],
        )
        self.risk(
            "2026-01-20",
            DATA,
            "Customer personal data exposed on shared showroom tablets",
            "customer",
            [],
            ZHOU.id,
            ("medium", "high"),
        )
        self.do(
            "2026-01-23",
            "risk.plan_treatment",
            ZHOU,
            {
                "risk": DATA,
                "response": "mitigate",
                "plan": "personal logins and sealed customer records",
            },
        )
        measures = (
            ("personal logins on every showroom tablet", LIU.id, "2026-02-28", "2026-02-20"),
            ("PIPL training for every sales adviser", ZHOU.id, "2026-03-31", "2026-03-18"),
        )
        for number, (what, owner, due, done) in enumerate(measures, start=1):
            self.do(
                "2026-01-23",
                "risk.add_measure",
                ZHOU,
                {"risk": DATA, "what": what, "owner": owner, "due": due},
            )
            self.do(done, "risk.complete_measure", ZHOU, {"risk": DATA, "measure": f"M{number}"})
        self.do("2026-03-20", "risk.monitor", ZHOU, {"risk": DATA})
        self.do(
            "2026-03-20",
            "risk.assess",
            ZHOU,
            {"risk": DATA, "likelihood": "low", "impact": "high", "stage": "residual"},
        )
        self.risk(
            "2026-02-03",
            ADS,
            "Absolute claims in ad copy (广告法 art. 9)",
            "legal",
            [{"kind": "activity", "ref": AD}],
            LI.id,
            ("low", "high"),
        )
        for day in REVIEW_DAYS:
            for risk, reviewer in ((SUBSIDY, HEAD), (DATA, ZHOU), (CHARGERS, LI), (ADS, LI)):
                self.do(
                    day, "risk.review", reviewer, {"risk": risk, "note": "no change this month"}
                )
        return [SUBSIDY, CHARGERS, DATA, ADS], [OCCURRENCE]

    def risk(
        self,
        day: str,
        ref: str,
        title: str,
        category: str,
        sources: list[dict[str, str]],
        owner: str,
        level: tuple[str, str],
    ) -> None:
        """Registered with its sources, then assessed: likelihood × impact (R-K1)."""
        likelihood, impact = level
        self.do(
            day,
            "risk.register",
            HEAD,
            {"ref": ref, "title": title, "category": category, "sources": sources, "owner": owner},
        )
        self.do(day, "risk.assess", HEAD, {"risk": ref, "likelihood": likelihood, "impact": impact})
