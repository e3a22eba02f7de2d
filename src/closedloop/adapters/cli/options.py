"""The options and arguments every command module of the CLI shares, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from closedloop.domain.errors import InvalidInput

JSON_WANTED = "closedloop.json"  # ctx.meta key: did this command ask for JSON output?


def _json_wanted(ctx: typer.Context, value: bool) -> bool:
    """Remembered so that an error is printed as JSON too."""
    ctx.meta[JSON_WANTED] = value
    return value


Store = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="URL",
        help="memory:, sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
        "(default: $CLOSEDLOOP_STORE, else sqlite:///closedloop.db)",
        show_default=False,
    ),
]
PolicyFile = Annotated[
    Path | None,
    typer.Option("--policy", metavar="FILE", help="policy settings that differ (TOML or JSON)"),
]
Json = Annotated[
    bool,
    typer.Option("--json", help="print JSON instead of tables", callback=_json_wanted),
]
AsOfTime = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="TIME",
        help="as it was at an ISO time (naive means UTC) or at a version number",
    ),
]
Ref = Annotated[str, typer.Argument(metavar="ID", help="a reference (REV-2026) or a UUID")]
Period = Annotated[
    str | None,
    typer.Option("--period", metavar="PERIOD", help="2026, 2026-Q2 or 2026-05: what lies in it"),
]
Scope = Annotated[
    str | None,
    typer.Option(
        "--scope", metavar="SCOPE", help="company, team or person, optionally :REF (person:li.na)"
    ),
]
Workers = Annotated[
    str,
    typer.Option(
        "--workers",
        metavar="N|auto",
        help="processes replaying the history at once, each a part of it (auto: one per "
        "processor for a large history)",
    ),
]


def workers_count(text: str) -> int | Literal["auto"]:
    """``--workers``' value: ``auto`` or a whole number (checked by ``ClosedLoop``)."""
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"--workers: a whole number or 'auto', not {text!r}") from None
