"""The HTML report on the demo year: one well-formed, self-contained page whose charts carry
the numbers the API answers, filtered by period, with every text from the loop escaped."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.cli.main import DEMO_START, app
from closedloop.adapters.demo import run_demo
from closedloop.adapters.report import gather, render
from closedloop.adapters.report.data import burn_down, printable_url
from closedloop.adapters.report.html import compact
from tests.cast import CEO, HEAD
from tests.customer_scenario import buy, register
from tests.risk_scenario import assessed

#: Elements HTML writes without an end tag.
VOID = {"meta", "br", "hr", "img", "link", "input", "circle", "rect", "line", "path"}
ODD_REF = 'ODD <&> "REF"'


class Tree(HTMLParser):
    """Checks that every element opened is closed in order, and keeps the text."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"</{tag}> closes nothing open")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Tree:
    tree = Tree()
    tree.feed(page)
    tree.close()
    return tree


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report')}/demo.db"
    clock = FixedClock(DEMO_START)
    with ClosedLoop(url, clock=clock) as loop:
        run_demo(loop, clock)
        loop.execute(
            "target.create",
            CEO,
            {
                "ref": ODD_REF,
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": "1000",
                "owner": HEAD.id,
                "basis": "a target whose name needs escaping",
            },
        )
    return url


def report(store: str, out: Path, *options: str) -> str:
    result = cli("report", "--store", store, "--out", str(out), *options)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def whole_year(store: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return report(store, tmp_path_factory.mktemp("out") / "report.html")


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)


def test_report_is_one_well_formed_page(whole_year: str) -> None:
    tree = parse(whole_year)
    assert tree.errors == []
    assert tree.open == []
    assert whole_year.startswith("<!DOCTYPE html>")
    assert [tag for tag, _ in tree.tags].count("style") == 1


def test_report_fetches_nothing_from_the_network(whole_year: str) -> None:
    assert "http://" not in whole_year
    assert "https://" not in whole_year
    assert "<script" not in whole_year
    for tag, attrs in parse(whole_year).tags:
        assert not {"src", "href"} & attrs.keys(), tag


def test_report_charts_carry_the_demo_numbers(store: str, whole_year: str) -> None:
    charts = svgs(whole_year)
    titles = [re.search(r"<title>(.*?)</title>", chart).group(1) for chart in charts]  # type: ignore[union-attr]
    assert titles == [
        "target achievement",
        "budget against spend",
        "customers per tier",
        "inherent risk",
        "residual risk",
        "open rectifications over time",
        "findings through the loop",
    ]
    achievement, spend, tiers, _, _, burn, funnel = charts
    for text in ("high value", ">12<", ">47<", ">141<"):  # the demo's 200 customers (R-C4)
        assert text in tiers, text
    assert "REV-2026" in achievement
    assert "97.2 %" in achievement
    assert "PROMO-MAY-DAY" in spend
    assert "218,000 / 200,000 CNY · over by 18,000" in spend
    with ClosedLoop(store) as loop:
        health = loop.evaluation("loop-health")
        head = loop.audit_digest()
    counts = re.findall(r">(\d+)</text>", funnel)
    stages = ("findings", "rectified", "verified", "closed", "waived")
    assert [int(c) for c in counts] == [health[s] for s in stages] == [3, 2, 2, 2, 1]
    assert "open now: 0" in burn
    assert head["hash"] in whole_year
    assert f"{head['count']:,}" in whole_year


def test_report_states_the_certificate_and_where_it_came_from(store: str, whole_year: str) -> None:
    with ClosedLoop(store) as loop:
        issued = loop.closure_certificate("2026")
    assert "Closure certificate 2026: issued" in whole_year
    assert issued["digest"] in whole_year
    assert store in whole_year


def test_report_of_a_period_shows_only_that_period(store: str, tmp_path: Path) -> None:
    quarter = report(store, tmp_path / "q2.html", "--period", "2026-Q2")
    spend = svgs(quarter)[1]
    assert "PROMO-MAY-DAY" in spend
    assert "EXPO-HANGZHOU" in spend
    assert "AD-NEV-SPRING" not in spend
    assert "LOYALTY-DAY" not in spend
    assert "REV-2026-Q2" in quarter
    assert "REV-2026-Q1" not in quarter
    assert "Closure certificate 2026-Q2: issued" in quarter


def test_report_as_of_a_time_shows_the_loop_then(store: str, tmp_path: Path) -> None:
    then = report(store, tmp_path / "june.html", "--as-of", "2026-06-20")
    assert "LOYALTY-DAY" not in then
    assert "open now: 1" in then  # the EXPO-HANGZHOU incident, raised 2026-06-13
    assert "Closure certificate 2026: refused" in then
    assert "no actual yet · target 10 M CNY" in then  # REV-2026-06


def test_report_escapes_what_the_loop_holds(whole_year: str) -> None:
    assert "ODD &lt;&amp;&gt; &quot;REF&quot;" in whole_year
    assert ODD_REF not in whole_year
    assert ODD_REF in "".join(parse(whole_year).text)


def test_report_refuses_bad_input_without_a_traceback(store: str, tmp_path: Path) -> None:
    bad_period = cli(
        "report", "--store", store, "--out", str(tmp_path / "r.html"), "--period", "Q9"
    )
    missing = cli("report", "--store", store, "--out", str(tmp_path / "no" / "such" / "r.html"))
    for result in (bad_period, missing):
        assert result.exit_code != 0
        assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()
    assert "cannot write" in missing.output


def test_report_counts_customers_per_tier_and_risks_per_cell(mem_loop: ClosedLoop) -> None:
    register(mem_loop, "C-1")
    register(mem_loop, "C-2")
    buy(mem_loop, "C-1", amount="1000.00 CNY")
    assessed(mem_loop, "RISK-1", likelihood="high", impact="high")
    assessed(mem_loop, "RISK-1", likelihood="low", impact="high", stage="residual")
    data = gather(mem_loop)
    page = render(data)
    tiers = Counter(view["tier"].replace("_", " ") for view in mem_loop.customers())
    assert [tier for tier, _ in data.tiers] == ["high value", "core", "ordinary"]
    assert dict(data.tiers) == {"high value": 0, "core": 0, **tiers}
    assert data.points_outstanding == sum(
        int(view["points"]["balance"]) for view in mem_loop.customers()
    )
    assert "customers per tier" in page
    inherent, residual = (svgs(page)[i] for i in (1, 2))
    assert "inherent risk" in inherent
    assert "residual risk" in residual
    assert re.findall(r'class="count">(\d+)<', inherent) == ["1"]
    assert re.findall(r'class="count">(\d+)<', residual) == ["1"]


def test_burn_down_counts_what_was_open_after_each_day() -> None:
    rectifications = [
        {"raised_on": "2026-06-13", "closed_on": "2026-07-12"},
        {"raised_on": "2026-07-02", "closed_on": None},
        {"raised_on": "2026-07-02", "closed_on": "2026-12-20"},
    ]
    assert burn_down(rectifications, date(2026, 12, 1)) == [
        (date(2026, 6, 13), 1),
        (date(2026, 7, 2), 3),
        (date(2026, 7, 12), 2),
    ]


def test_report_labels_large_amounts_compactly() -> None:
    assert [compact(v) for v in ("116600000", "27250000", "860000", "9999", None)] == [
        "116.6 M",
        "27.25 M",
        "860 k",
        "9,999",
        "–",
    ]


def test_report_never_prints_the_stores_password() -> None:
    assert printable_url("postgresql://app:s3cret@db:5432/loop") == "postgresql://app@db:5432/loop"
    assert printable_url("sqlite:///loop.db") == "sqlite:///loop.db"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium to take a screenshot")
def test_report_renders_in_a_headless_browser(whole_year: str, tmp_path: Path) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(whole_year, encoding="utf-8")
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 50_000
