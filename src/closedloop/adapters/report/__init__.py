"""The HTML report: one self-contained page of the loop's state for managers (issue 5).

:func:`gather` asks the public ``ClosedLoop`` API, :func:`render` turns the answers into HTML
with inline SVG charts; :func:`write_report` does both and writes the file.
"""

from __future__ import annotations

from pathlib import Path

from closedloop.adapters.report.data import ReportData, gather
from closedloop.adapters.report.html import page as render
from closedloop.api import ClosedLoop
from closedloop.application.reader import AsOf

__all__ = ["ReportData", "gather", "render", "write_report"]


def write_report(
    loop: ClosedLoop, out: str | Path, *, period: str | None = None, as_of: AsOf = None
) -> ReportData:
    """Write the report of ``period`` as of ``as_of`` to ``out``; what it shows."""
    data = gather(loop, period=period, as_of=as_of)
    Path(out).write_text(render(data), encoding="utf-8")
    return data
