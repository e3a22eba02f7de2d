"""市场营销推广活动执行与监督流程 (seed 004), end to end, on every store.

The spring home-fair advertising campaign of Li (marketer) runs the seed's flow: a plan of
the activity (活动策划方案) is submitted to the superior (提交给上级审核) and approved
(经批准后方可进入下一阶段); the executor's execution plan (执行计划: timetable, steps,
owners) is approved by the superior before anything is done; ad copy is checked for
absolute claims (真实、合法, no 虚假宣传); spending stays in the budget and any excess is
approved by the superior first (任何超出预算的费用需经过上级审核批准后方可支出); an
emergency is reported upwards at once (立刻向上级汇报); the activity may not be changed or
cancelled on its own (不得擅自修改或取消); after it ends the executor writes the summary
report (活动目标是否达成、活动效果、存在的问题及改进建议), management evaluates it
(目标达成率, 转化率, ROI, 成本控制), and customers' feedback is collected (客户反馈).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from closedloop import ClosedLoop, FixedClock, RuleViolation
from tests.activity_scenario import DIRTY_COPY, LEGAL, OPENING
from tests.cast import CFO, HEAD, LI
from tests.plan_scenario import approved_plan

FAIR = {"activity": "SPRING-ADS"}


def cny(amount: str) -> dict[str, object]:
    return {"amount": Decimal(amount), "currency": "CNY"}


def test_an_advertising_campaign_from_plan_to_follow_up(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_plan(loop)  # MKT-2026 with action item A1, the spring product fair

    # 一、活动策划: objectives, audience, content, time, budget; submitted to the superior.
    loop.execute(
        "activity.create",
        LI,
        {
            "ref": "SPRING-ADS",
            "kind": "advertising",
            "theme": "Spring home fair: outdoor and WeChat ads",
            "start": "2026-03-01",
            "end": "2026-03-31",
            "objectives": [
                {"name": "leads", "metric": "qualified leads", "target": "300", "unit": "leads"},
                {"name": "orders", "metric": "signed orders", "target": "60", "unit": "orders"},
            ],
            "target_customers": ["segment: new homeowners", "core"],
            "channels": ["outdoor", "wechat"],
            "place": "Guangzhou, Tianhe district",
            "content": DIRTY_COPY,
            "promotion_plan": "10 % off orders signed at the fair",
            "budget_lines": [
                {"category": "media", "amount": "80000 CNY"},
                {"category": "design", "amount": "20000 CNY"},
            ],
            "plan": "MKT-2026",
            "action_item": "A1",
        },
    )
    loop.execute("activity.propose", LI, FAIR)
    loop.execute("activity.review", HEAD, FAIR)  # 上级审核
    loop.execute("activity.approve", CFO, FAIR)  # 经批准

    # 二、执行计划: timetable, steps, owners; approved by the superior.
    loop.execute(
        "activity.submit_execution_plan",
        LI,
        {
            **FAIR,
            "steps": [
                {"what": "design", "owner": LI.id, "start": "2026-02-01", "due": "2026-02-10"},
                {"what": "book media", "owner": LI.id, "start": "2026-02-05", "due": "2026-02-20"},
                {"what": "run ads", "owner": LI.id, "start": "2026-03-01", "due": "2026-03-31"},
            ],
        },
    )
    loop.execute("activity.approve_execution_plan", HEAD, FAIR)

    # Ad copy: the check finds two absolute claims; legal exempts the provable one only.
    clock.set("2026-02-10T09:00:00+00:00")
    assert loop.execute("activity.check_copy", LI, FAIR)["hits"] == ["全国第一", "最佳"]
    loop.execute(
        "activity.record_exemption",
        LEGAL,
        {
            **FAIR,
            "term": "全国第一",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "region": "mainland China",
            "source": "China Furniture Association, sales ranking 2025",
        },
    )
    # 不得擅自修改: the copy changes only through an approved change request.
    loop.execute(
        "activity.request_change",
        LI,
        {**FAIR, "content": "全国第一的家居品牌,春季新品到店体验。", "reason": "drop 最佳"},
    )
    loop.execute("activity.approve_change", HEAD, FAIR)
    loop.execute("activity.check_copy", LI, FAIR)
    loop.execute(
        "activity.record_exemption",
        LEGAL,
        {
            **FAIR,
            "term": "全国第一",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "region": "mainland China",
            "source": "China Furniture Association, sales ranking 2025",
        },
    )

    # 筹备资源: prepared; the design fee is paid before the launch.
    loop.execute("activity.prepare", LI, FAIR)
    loop.execute(
        "activity.record_expense",
        LI,
        {**FAIR, "receipt": "INV-D1", "amount": "20000 CNY", "category": "design"},
    )

    # 三、执行阶段: launched on the first day of its window.
    clock.set(OPENING)
    assert loop.execute("activity.start", LI, FAIR)["status"] == "running"
    running = loop.activity("SPRING-ADS")  # L1: approved, at its current revision, and planned
    assert (running["approval"]["by"], running["approval"]["revision"]) == (HEAD.id, 2)
    assert running["execution_plan"]["approval"]["by"] == HEAD.id
    loop.execute(
        "activity.record_expense",
        LI,
        {**FAIR, "receipt": "INV-M1", "amount": "75000 CNY", "category": "media"},
    )

    # 突发情形, reported upwards at once.
    clock.set("2026-03-08T15:00:00+00:00")
    incident = loop.execute(
        "activity.log_incident",
        LI,
        {
            **FAIR,
            "problem": "a billboard's copy was printed with last year's prices",
            "severity": "high",
            "escalated_to": HEAD.id,
        },
    )
    assert incident["needs_rectification"] is False

    # 六、活动费用管理: a reprint would exceed the budget; the superior approves it first.
    reprint = {**FAIR, "receipt": "INV-M2", "amount": "8000 CNY", "category": "media"}
    before = loop.position()
    with pytest.raises(RuleViolation, match="R-A5") as error:
        loop.execute("activity.record_expense", LI, reprint)
    assert "5,000.00 CNY left" in str(error.value)
    assert loop.position() == before
    loop.execute(
        "activity.approve_overspend",
        HEAD,
        {**FAIR, "amount": "3000 CNY", "reason": "reprint the wrong billboard"},
    )
    loop.execute("activity.record_expense", LI, reprint)

    # 七、活动总结与反馈: results, the summary report, the evaluation, customers' feedback.
    clock.set("2026-04-01T09:00:00+00:00")
    loop.execute("activity.complete", LI, {**FAIR, "results": {"leads": "360", "orders": "54"}})
    loop.execute(
        "activity.submit_summary",
        LI,
        {
            **FAIR,
            "objectives_met": "leads 120 %, orders 90 %",
            "effect": "360 qualified leads, 54 orders",
            "problems": "a misprinted billboard cost 8,000 CNY to redo",
            "improvements": "proof every print run against the approved copy",
        },
    )
    loop.execute(
        "activity.evaluate",
        HEAD,
        {**FAIR, "participants": 1200, "conversions": 54, "attributed_revenue": "515000 CNY"},
    )
    loop.execute("activity.record_satisfaction", LI, {**FAIR, "score": "4.4", "respondents": 180})

    view = loop.activity("SPRING-ADS")
    assert (view["status"], view["revision"], view["content_version"]) == ("evaluated", 2, 2)
    assert (view["budget"], view["spend"], view["approved_overspend"], view["remaining"]) == (
        cny("100000"),
        cny("103000"),
        cny("3000"),
        cny("0"),
    )
    evaluation = view["evaluation"]
    assert evaluation["achievements"] == {"leads": Decimal("1.2000"), "orders": Decimal("0.9000")}
    assert evaluation["goal_achievement_rate"] == Decimal("1.0500")
    assert evaluation["conversion_rate"] == Decimal("0.0450")
    assert evaluation["cost_per_participant"] == cny("85.83")
    assert (evaluation["cost_variance"], evaluation["cost_variance_pct"]) == (
        cny("3000"),
        Decimal("0.0300"),
    )
    assert evaluation["roi"] == Decimal("4.0000")  # (515,000 − 103,000) / 103,000
    assert view["missed_objectives"] == ["orders"]  # R-A8: a finding for the review
    assert [c["decision"] for c in view["change_requests"]] == ["approved"]
    assert view["copy"]["checked_current"] is True
    assert view["satisfaction"][0]["respondents"] == 180

    # The history proves what was true when: before the launch it was only prepared.
    before_launch = loop.activity("SPRING-ADS", as_of=datetime(2026, 2, 28, tzinfo=UTC))
    assert (before_launch["status"], before_launch["spend"]) == ("prepared", cny("20000"))
    assert before_launch["window"] == {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
