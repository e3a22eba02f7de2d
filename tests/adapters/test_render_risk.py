"""Risk and complaint renderings: missing keys show as "-", the heat map puts likely on top."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from closedloop.adapters.cli import render_risk


def text_of(renderable: RenderableType) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(renderable)
    return buffer.getvalue()


def test_risk_and_complaint_views_missing_keys_render_as_dashes() -> None:
    for panel in (render_risk.risk_panel({}), render_risk.complaint_panel({})):
        assert "status" in text_of(panel)
        assert " - " in text_of(panel)
    for table in (render_risk.risks_table([{}]), render_risk.complaints_table([{}])):
        assert "-" in text_of(table)
    assert "risk heat map (-)" in text_of(render_risk.heat_map_table({}))


def test_the_heat_map_shows_the_most_likely_row_first() -> None:
    heat = {
        "stage": "current",
        "likelihoods": ["low", "medium", "high"],
        "impacts": ["low", "medium", "high"],
        "levels": [["low", "low", "medium"], ["low", "medium", "high"], ["medium", "high", "high"]],
        "cells": [[1, 0, 0], [0, 0, 0], [0, 0, 4]],
    }
    lines = [line for line in text_of(render_risk.heat_map_table(heat)).splitlines() if "│" in line]
    assert lines[0].split("│")[1].strip() == "high"
    assert lines[0].split("│")[4].strip() == "4"
    assert lines[-1].split("│")[2].strip() == "1"


def test_an_assessment_shows_its_level_cell_and_grid() -> None:
    view = {
        "level": "high",
        "current": {"level": "high", "likelihood": "likely", "impact": "major", "grid": "5x5"},
        "sources": [{"kind": "target", "ref": "REV-2026"}],
    }
    printed = text_of(render_risk.risk_panel(view))
    assert "high (likely × major, 5x5)" in printed
    assert "target REV-2026" in printed
