"""The report page: one self-contained HTML document (inline CSS and SVG, no script, no
asset from the network) built from :class:`ReportData`; every text from the loop is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from decimal import Decimal
from html import escape
from typing import Any

from closedloop.adapters.report import svg
from closedloop.adapters.report.data import ReportData

STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --accent:#2f6fb0; --alarm:#c0392b;
  --ok:#1b7f5b; --paper:#ffffff; --wash:#f5f7fa; }
* { box-sizing: border-box; }
body { margin:0; background:var(--wash); color:var(--ink);
  font:15px/1.5 "Segoe UI", "Helvetica Neue", Helvetica, Arial, "Noto Sans CJK SC",
  "PingFang SC", sans-serif; }
main { max-width:1120px; margin:0 auto; padding:32px 40px 48px; }
header { border-bottom:3px solid var(--accent); padding-bottom:14px; margin-bottom:22px; }
h1 { font-size:28px; margin:0 0 4px; letter-spacing:-0.01em; }
h2 { font-size:19px; margin:0 0 12px; }
h3 { font-size:15px; margin:18px 0 8px; color:var(--muted); text-transform:uppercase;
  letter-spacing:0.06em; }
.sub { color:var(--muted); margin:0; }
.strip { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:12px;
  margin-bottom:24px; }
.card { background:var(--paper); border:1px solid var(--line); border-radius:8px;
  padding:12px 14px; }
.card .n { font-size:24px; font-weight:650; display:block; line-height:1.2; }
.card .k { color:var(--muted); font-size:12.5px; text-transform:uppercase;
  letter-spacing:0.05em; }
.card.bad .n { color:var(--alarm); } .card.good .n { color:var(--ok); }
section { background:var(--paper); border:1px solid var(--line); border-radius:10px;
  padding:20px 24px; margin-bottom:20px; break-inside:avoid; page-break-inside:avoid; }
.chart { width:100%; height:auto; display:block; }
.grids { display:flex; gap:28px; flex-wrap:wrap; }
.grid { width:330px; height:auto; }
svg text { fill:var(--ink); font-size:13px; }
svg text.axis { fill:#7b8794; font-size:12px; }
svg text.value { font-size:12.5px; }
svg text.heading { font-weight:600; font-size:14px; }
svg text.count { font-size:20px; font-weight:650; }
svg text.count.zero { fill:#9aa5b1; font-weight:400; }
table { border-collapse:collapse; width:100%; font-size:13.5px; margin-top:8px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); }
th { color:var(--muted); font-weight:600; font-size:12.5px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.legend { color:var(--muted); font-size:12.5px; margin:6px 0 0; }
.swatch { display:inline-block; width:11px; height:11px; border-radius:2px;
  vertical-align:-1px; margin:0 4px 0 12px; }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 18px; margin:0; }
.facts dt { color:var(--muted); } .facts dd { margin:0; }
.hash { font-family:ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size:12.5px; word-break:break-all; }
.stamp { border-left:5px solid var(--ok); padding:8px 14px; background:#eef8f3; margin-top:14px; }
.stamp.refused { border-color:var(--alarm); background:#fdf0ee; }
.strip.tight { margin:16px 0 0; }
.empty { color:var(--muted); font-style:italic; }
@page { size:A4; margin:14mm; }
@media print {
  body { background:#fff; font-size:11pt; -webkit-print-color-adjust:exact;
    print-color-adjust:exact; }
  main { padding:0; max-width:none; }
  section, .card { border-color:#bbb; }
  .strip { grid-template-columns:repeat(4, 1fr); }
}
"""


def page(data: ReportData) -> str:
    """The whole report as one HTML document."""
    period = data.period or "all periods"
    when = "now" if data.as_of is None else f"as of {data.as_of}"
    body = "".join(
        [
            "<header><h1>Closed-loop report · ",
            escape(period),
            '</h1><p class="sub">',
            escape(f"{when} · made {data.made_at:%Y-%m-%d %H:%M %Z} from {data.store}"),
            "</p></header>",
            summary(data),
            targets(data),
            activities(data),
            customers(data),
            risks(data),
            rectifications(data),
            audit(data),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Closed-loop report · {escape(period)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def percent(ratio: Any, digits: int = 1) -> str:
    return "–" if ratio is None else f"{Decimal(str(ratio)) * 100:,.{digits}f} %"


def amount(value: Any) -> str:
    return "–" if value is None else f"{Decimal(str(value)):,.0f}"


def compact(value: Any) -> str:
    """A large amount as a chart label has room for: 116.6 M, 27.25 M, 860 k."""
    if value is None:
        return "–"
    number = Decimal(str(value))
    for threshold, size, suffix in ((1_000_000, 1_000_000, " M"), (10_000, 1_000, " k")):
        if abs(number) >= threshold:
            return f"{number / size:,.2f}".rstrip("0").rstrip(".") + suffix
    return amount(number)


def _card(key: str, value: str, tone: str = "") -> str:
    klass = f"card {tone}".strip()
    return (
        f'<div class="{klass}"><span class="k">{escape(key)}</span>'
        f'<span class="n">{escape(value)}</span></div>'
    )


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def _table(heads: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    def cell(tag: str, index: int, text: str) -> str:
        klass = ' class="num"' if index in numeric else ""
        return f"<{tag}{klass}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(heads))
    body = "".join(
        "<tr>" + "".join(cell("td", i, t) for i, t in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary(data: ReportData) -> str:
    """The strip of key numbers a manager reads first."""
    cards = []
    for root in data.achievement[:2]:
        tone = {"fail": "bad", None: ""}.get(root["grade"], "good")
        cards.append(_card(f"{root['ref']} achieved", percent(root["achievement"]), tone))
    for currency, total in data.activities["totals"].items():
        cards.append(_card(f"spent of budget ({currency})", percent(_ratio(total))))
    open_now = data.rectifications["open"]
    cards.append(_card("open rectifications", str(open_now), "bad" if open_now else "good"))
    health = data.loop_health
    cards.append(
        _card("loops closed", f"{health['closed'] + health['waived']} / {health['findings']}")
    )
    issued = data.certificate.issued is not None
    cards.append(
        _card(
            f"certificate {data.certified_period}",
            "issued" if issued else "refused",
            "good" if issued else "bad",
        )
    )
    cards.append(_card("audit events", f"{data.audit['count']:,}"))
    return f'<div class="strip">{"".join(cards)}</div>'


def _ratio(total: Mapping[str, Any]) -> Decimal | None:
    budget = Decimal(str(total["budget"]))
    return Decimal(str(total["spend"])) / budget if budget else None


def _nodes(trees: Iterable[Mapping[str, Any]], depth: int = 0) -> Iterator[svg.AchievementBar]:
    for node in trees:
        actual, value = node["actual"], node["value"]
        note = (
            f"{percent(node['achievement'])} · {compact(actual)} / {compact(value)} {node['unit']}"
            if actual is not None
            else f"no actual yet · target {compact(value)} {node['unit']}"
        )
        if node["original_value"] != value:
            original = compact(node["original_value"])
            note += f" (original {original}: {percent(node['achievement_original'])})"
        yield svg.AchievementBar(
            label=node["ref"],
            depth=depth,
            adjusted=_float(node["achievement"]),
            original=_float(node["achievement_original"]),
            grade=node["grade"],
            note=note,
        )
        for children in node["children"].values():
            yield from _nodes(children, depth + 1)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def targets(data: ReportData) -> str:
    rows = list(_nodes(data.achievement))
    if not rows:
        return _section("Target achievement", '<p class="empty">No targets in this period.</p>')
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{grade}'
        for grade, colour in svg.GRADE_COLOURS.items()
    )
    return _section(
        "Target achievement",
        svg.achievement_bars(rows),
        f'<p class="legend">Bar: achievement of the adjusted value, graded {legend}'
        '<span class="swatch" style="background:#7b8794"></span>against the original value'
        " (when adjusted); dashed line: 100 %.</p>",
    )


def activities(data: ReportData) -> str:
    views = data.activities["activities"]
    if not views:
        return _section("Activities", '<p class="empty">No activities in this period.</p>')
    bars, rows = [], []
    for view in views:
        budget, spend = Decimal(str(view["budget"])), Decimal(str(view["spend"]))
        allowed = budget + Decimal(str(view["approved_overspend"]))
        over = max(spend - budget, Decimal(0))
        figures = view["evaluation"] or {}
        note = f"{amount(spend)} / {amount(budget)} {view['currency']}"
        if over:
            note += f" · over by {amount(over)}"
        bars.append(svg.SpendBar(view["ref"], float(budget), float(allowed), float(spend), note))
        rows.append(
            (
                view["ref"],
                view["status"],
                amount(budget),
                amount(spend),
                amount(over) if over else "–",
                amount(view["approved_overspend"]) if allowed > budget else "–",
                percent(figures.get("goal_achievement_rate")),
                percent(figures.get("roi")),
            )
        )
    return _section(
        "Activities: budget, spend and return",
        svg.spend_bars(bars),
        '<p class="legend"><span class="swatch" style="background:#c6dbef"></span>budget'
        '<span class="swatch" style="background:#2f6fb0"></span>spend within budget'
        '<span class="swatch" style="background:#c0392b"></span>overspend'
        " · dashed red line: budget plus approved overspend (R-A5)</p>",
        _table(
            ("activity", "status", "budget", "spend", "overspend", "approved", "goals", "ROI"),
            rows,
            {2, 3, 4, 5, 6, 7},
        ),
    )


def customers(data: ReportData) -> str:
    quality, churn = data.quality, data.churn
    cards = "".join(
        [
            _card("customers", str(len(data.customers))),
            _card(f"churn {churn['period']}", percent(churn["churn_rate"])),
            _card("points outstanding", f"{data.points_outstanding:,}"),
            _card("completeness", percent(quality["completeness"])),
            _card("timeliness", percent(quality["timeliness"])),
            _card("accuracy", percent(quality["accuracy"])),
        ]
    )
    tiers = (
        svg.count_bars(data.tiers, "customers per tier")
        if data.customers
        else '<p class="empty">No customers registered.</p>'
    )
    return _section(
        "Customers", f'<div class="strip">{cards}</div><h3>Tier distribution</h3>', tiers
    )


def risks(data: ReportData) -> str:
    grids = "".join(
        svg.heat_grid(
            f"{stage} risk", grid["likelihoods"], grid["impacts"], grid["levels"], grid["cells"]
        )
        for stage, grid in data.heat_maps.items()
    )
    unplaced = sorted({r for grid in data.heat_maps.values() for r in grid["unplaced"]})
    note = (
        f'<p class="legend">Not on this grid: {escape(", ".join(unplaced))}</p>' if unplaced else ""
    )
    present = {level for grid in data.heat_maps.values() for row in grid["levels"] for level in row}
    legend = "".join(
        f'<span class="swatch" style="background:{svg.level_colour(level)}"></span>{escape(level)}'
        for level in [*svg.LEVEL_COLOURS, *sorted(present - svg.LEVEL_COLOURS.keys())]
        if level in present
    )
    return _section(
        "Risk heat map",
        f'<div class="grids">{grids}</div>',
        f'<p class="legend">Open risks per likelihood (rows) × impact (columns); {legend}</p>',
        note,
    )


def rectifications(data: ReportData) -> str:
    rect, health = data.rectifications, data.loop_health
    start = data.burn_down[0][0] if data.burn_down else data.day
    burn = (
        svg.step_line(data.burn_down, start, max(data.day, data.burn_down[-1][0]))
        if data.burn_down
        else '<p class="empty">No rectification raised.</p>'
    )
    funnel = svg.count_bars(
        [
            ("findings", health["findings"]),
            ("rectified", health["rectified"]),
            ("verified", health["verified"]),
            ("closed", health["closed"]),
            ("waived", health["waived"]),
        ],
        "findings through the loop",
        svg.STAGE_COLOURS,
    )
    overdue = rect["overdue"]
    cards = "".join(
        [
            _card("median loop", _days(health["median_loop_days"])),
            _card(
                "reviews on time", f"{health['reviews_finalised_on_time']} of {health['reviews']}"
            ),
            _card("closed on time", percent(rect["on_time_closure_rate"])),
            _card("mean time to close", _days(rect["mean_days_to_close"])),
            _card("overdue now", str(overdue), "bad" if overdue else "good"),
            _card("reopened", percent(rect["reopen_rate"])),
        ]
    )
    return _section(
        "Rectifications and loop health",
        "<h3>Open rectifications over time</h3>",
        burn,
        "<h3>Findings → rectified → verified → closed</h3>",
        funnel,
        f'<div class="strip tight">{cards}</div>',
        certificate(data),
    )


def _days(value: Any) -> str:
    return "–" if value is None else f"{Decimal(str(value)):.1f} days"


def _facts(pairs: Mapping[str, str], mono: Set[str] = frozenset()) -> str:
    """A definition list; the ``mono`` keys' values set as code (hashes)."""
    items = []
    for key, value in pairs.items():
        klass = ' class="hash"' if key in mono else ""
        items.append(f"<dt>{escape(key)}</dt><dd{klass}>{escape(value)}</dd>")
    return f'<dl class="facts">{"".join(items)}</dl>'


def certificate(data: ReportData) -> str:
    issued, period = data.certificate.issued, data.certified_period
    if issued is None:
        open_loops = [
            (loop["review"], loop["finding"], loop["stage"], loop["rectification"] or "–")
            for loop in data.loop_health["loops"]
            if loop["stage"] not in ("closed", "waived")
        ]
        table = _table(("review", "finding", "stage", "rectification"), open_loops, set())
        return (
            f'<div class="stamp refused"><strong>Closure certificate {escape(period)}: refused.'
            f"</strong> {escape(data.certificate.refusal or '')}{table if open_loops else ''}</div>"
        )
    return (
        f'<div class="stamp"><strong>Closure certificate {escape(period)}: issued</strong> for '
        f"{issued['findings']} findings ({issued['closed']} closed, {issued['waived']} waived) "
        f"of {escape(', '.join(issued['reviews']))}.<br>digest "
        f'<span class="hash">{escape(issued["digest"])}</span></div>'
    )


def audit(data: ReportData) -> str:
    head = data.audit
    return _section(
        "Audit trail and provenance",
        _facts(
            {
                "events": f"{head['count']:,}",
                "position": str(head["position"]),
                "head hash": head["hash"],
                "algorithm": head["algorithm"],
                "made at": f"{data.made_at:%Y-%m-%d %H:%M:%S %Z}",
                "as of": "now" if data.as_of is None else str(data.as_of),
                "store": data.store,
            },
            mono={"head hash"},
        ),
    )
