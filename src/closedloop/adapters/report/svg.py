"""Small inline SVG charts for the HTML report: no JavaScript, no fonts or assets to fetch.

Each chart is a function from plain numbers and labels to one ``<svg>`` element that scales
to its container (``viewBox``) and inherits the page's font; every label is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH = 960
ROW = 30
LABEL = 220

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#d9e2ec"
ACCENT = "#2f6fb0"
PALE = "#c6dbef"
ALARM = "#c0392b"
#: The loop's stages, from a finding to its close, darker as a loop gets further; waived grey.
STAGE_COLOURS = ("#9ecae1", "#6baed6", "#3182bd", "#1b7f5b", "#9aa5b1")

GRADE_COLOURS = {
    "excellent": "#1b7f5b",
    "good": "#3c9d6e",
    "pass": "#2f6fb0",
    "fail": ALARM,
}
LEVEL_COLOURS = {
    "low": "#cfe8d5",
    "medium": "#fde9a9",
    "high": "#f5b7a5",
    "critical": "#e0736b",
    "extreme": "#e0736b",
}


def level_colour(level: str) -> str:
    """A risk level's fill; a level of a custom grid this palette lacks is neutral grey."""
    return LEVEL_COLOURS.get(level, "#e4e7eb")


def _svg(height: float, body: str, title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def _rect(x: float, y: float, width: float, height: float, fill: str, extra: str = "") -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" '
        f'fill="{fill}"{extra}/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, extra: str = "") -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"{extra}/>'
    )


@dataclass(frozen=True)
class AchievementBar:
    """One target node: its achievement against the adjusted and the original value."""

    label: str
    depth: int
    adjusted: float | None
    original: float | None
    grade: str | None
    note: str


def achievement_bars(rows: Sequence[AchievementBar]) -> str:
    """Bars against a 100 % line: the adjusted achievement solid, the original one thin."""
    top = max([1.5, *(r.adjusted or 0 for r in rows), *(r.original or 0 for r in rows)])
    span = WIDTH - LABEL - 320
    scale = span / top
    parts = [_text(LABEL + scale, 12, "100 %", anchor="middle", cls="axis")]
    for index, row in enumerate(rows):
        y = 22 + index * ROW
        parts.append(_text(8 + row.depth * 16, y + 15, row.label, cls="label"))
        parts.append(_rect(LABEL, y + 3, span, 16, "#f3f6f9"))
        if row.adjusted is not None:
            colour = GRADE_COLOURS.get(row.grade or "", ACCENT)
            parts.append(_rect(LABEL, y + 3, row.adjusted * scale, 16, colour))
        if row.original is not None and row.original != row.adjusted:
            parts.append(_rect(LABEL, y + 21, row.original * scale, 4, MUTED))
        parts.append(_text(LABEL + span + 8, y + 16, row.note, cls="value"))
    height = 26 + len(rows) * ROW
    parts.insert(0, _line(LABEL + scale, 16, LABEL + scale, height, INK, ' stroke-dasharray="3 3"'))
    return _svg(height, "".join(parts), "target achievement")


@dataclass(frozen=True)
class SpendBar:
    """One activity: what it may spend (budget, plus approved overspend) and what it spent."""

    label: str
    budget: float
    allowed: float
    spend: float
    note: str


def spend_bars(rows: Sequence[SpendBar]) -> str:
    """Budget as a pale bar, spend solid over it; spend beyond the budget in red."""
    top = max([1.0, *(max(r.budget, r.allowed, r.spend) for r in rows)])
    span = WIDTH - LABEL - 250
    scale = span / top
    parts = []
    for index, row in enumerate(rows):
        y = 8 + index * (ROW + 6)
        parts.append(_text(8, y + 17, row.label, cls="label"))
        parts.append(_rect(LABEL, y + 2, row.budget * scale, 22, PALE))
        within = min(row.spend, row.budget)
        parts.append(_rect(LABEL, y + 7, within * scale, 12, ACCENT))
        if row.spend > row.budget:
            over = (row.spend - row.budget) * scale
            parts.append(_rect(LABEL + row.budget * scale, y + 7, over, 12, ALARM))
        if row.allowed > row.budget:
            x = LABEL + row.allowed * scale
            parts.append(_line(x, y, x, y + 26, ALARM, ' stroke-dasharray="2 2"'))
        parts.append(_text(LABEL + span + 10, y + 17, row.note, cls="value"))
    return _svg(12 + len(rows) * (ROW + 6), "".join(parts), "budget against spend")


def count_bars(
    rows: Sequence[tuple[str, int]], title: str, colours: Sequence[str] = (ACCENT,)
) -> str:
    """Counts as horizontal bars (a funnel, a distribution), the count at each bar's end;
    the bars take ``colours`` in turn."""
    top = max([1, *(count for _, count in rows)])
    span = WIDTH - LABEL - 80
    parts = []
    for index, (label, count) in enumerate(rows):
        y = 6 + index * ROW
        width = span * count / top
        parts.append(_text(8, y + 16, label, cls="label"))
        colour = colours[index % len(colours)]
        parts.append(_rect(LABEL, y + 3, width, 18, colour, ' rx="2"'))
        parts.append(_text(LABEL + width + 8, y + 17, str(count), cls="value"))
    return _svg(10 + len(rows) * ROW, "".join(parts), title)


def heat_grid(
    title: str,
    likelihoods: Sequence[str],
    impacts: Sequence[str],
    levels: Sequence[Sequence[str]],
    cells: Sequence[Sequence[int]],
) -> str:
    """A likelihood × impact grid, highest likelihood on top, cells coloured by level."""
    size, left, top = 74, 96, 28
    parts = [_text(left, 16, title, cls="heading")]
    rows = len(likelihoods)
    for i, likelihood in enumerate(likelihoods):
        y = top + (rows - 1 - i) * size
        parts.append(_text(left - 8, y + size / 2 + 5, likelihood, anchor="end", cls="label"))
        for j, _impact in enumerate(impacts):
            x = left + j * size
            fill = level_colour(levels[i][j])
            parts.append(_rect(x, y, size - 4, size - 4, fill, ' rx="4"'))
            count = cells[i][j]
            cls = "count" if count else "count zero"
            parts.append(
                _text(x + size / 2 - 2, y + size / 2 + 7, str(count), anchor="middle", cls=cls)
            )
    bottom = top + rows * size
    for j, impact in enumerate(impacts):
        parts.append(
            _text(left + j * size + size / 2 - 2, bottom + 14, impact, anchor="middle", cls="label")
        )
    parts.append(
        _text(left + len(impacts) * size / 2, bottom + 34, "impact →", anchor="middle", cls="axis")
    )
    width = left + len(impacts) * size + 10
    body = "".join(parts)
    return (
        f'<svg class="grid" viewBox="0 0 {width} {bottom + 42}" role="img">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def step_line(points: Sequence[tuple[date, int]], start: date, end: date) -> str:
    """How many were open over time: a step line from ``start`` to ``end``."""
    height, left, right, top, base = 220, 50, 20, 14, 190
    days = max((end - start).days, 1)
    peak = max([1, *(count for _, count in points)])

    def x(day: date) -> float:
        return left + (WIDTH - left - right) * (day - start).days / days

    def y(count: int) -> float:
        return base - (base - top) * count / peak

    parts = []
    for level in range(peak + 1):
        parts.append(_line(left, y(level), WIDTH - right, y(level), GRID))
        parts.append(_text(left - 8, y(level) + 4, str(level), anchor="end", cls="axis"))
    path, count = [f"M{x(start):.1f},{y(0):.1f}"], 0
    for day, open_now in points:
        path.append(f"H{x(day):.1f}V{y(open_now):.1f}")
        count = open_now
    path.append(f"H{x(end):.1f}")
    parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
    for day, open_now in points:
        parts.append(f'<circle cx="{x(day):.1f}" cy="{y(open_now):.1f}" r="3.5" fill="{ACCENT}"/>')
    parts.append(_text(left, height - 6, start.isoformat(), cls="axis"))
    parts.append(_text(WIDTH - right, height - 6, end.isoformat(), anchor="end", cls="axis"))
    parts.append(_text(WIDTH - right, 10, f"open now: {count}", anchor="end", cls="value"))
    return _svg(height, "".join(parts), "open rectifications over time")
