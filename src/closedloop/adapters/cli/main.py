"""The ``closedloop`` command line: demo, apply (JSON-lines batches), schema, show, list.

It only translates: commands go through the catalogue, queries through ``ClosedLoop``, and
every refusal is a :class:`~closedloop.domain.errors.ClosedLoopError` mapped to its exit code
in one place (:class:`_Guarded`), so a user's mistake never shows a traceback.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Annotated, Any, NamedTuple, get_type_hints

import typer
from rich.console import Console, RenderableType
from rich.text import Text
from typer.core import TyperGroup

from closedloop.adapters import batch
from closedloop.adapters.cli import audit as audit_cli
from closedloop.adapters.cli import (
    project,
    render,
    render_activity,
    render_review,
    render_views,
    serve,
)
from closedloop.adapters.cli.options import (
    JSON_WANTED,
    AsOfTime,
    Json,
    Period,
    PolicyFile,
    Ref,
    Scope,
    Store,
)
from closedloop.adapters.cli.render_demo import customers_summary
from closedloop.adapters.cli.render_risk import risks_table
from closedloop.adapters.demo import run_demo
from closedloop.adapters.jsonable import to_json
from closedloop.adapters.store import store_env, store_url
from closedloop.api import ClosedLoop
from closedloop.application.clock import FixedClock
from closedloop.application.reader import AsOf, parse_as_of
from closedloop.domain.errors import (
    AuditFailure,
    ClosedLoopError,
    ConcurrencyConflict,
    InvalidInput,
    NotAuthorised,
    NotFound,
    RuleViolation,
    StoreUnavailable,
)

#: The demo's year is planned from November 2025 (the clock then walks through 2026).
DEMO_START = "2025-11-03T09:00:00+00:00"
_ERRORS = (
    InvalidInput,
    NotAuthorised,
    RuleViolation,
    NotFound,
    ConcurrencyConflict,
    StoreUnavailable,
    AuditFailure,
)
EXIT_CODES = "Exit codes: 0 ok, " + ", ".join(f"{e.exit_code} {e.kind}" for e in _ERRORS) + "."


class _Guarded(TyperGroup):
    """Maps every ``ClosedLoopError`` to its message (or JSON body) and exit code."""

    def invoke(self, ctx: Any) -> Any:  # a click Context; Typer keeps its click type private
        try:
            return super().invoke(ctx)
        except ClosedLoopError as error:
            if ctx.meta.get(JSON_WANTED):
                typer.echo(to_json(error.to_dict()))
            else:
                Console(stderr=True, soft_wrap=True).print(render.error_text(error))
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_Guarded,
    name="closedloop",
    help="Closed-loop marketing management: an event-sourced store of targets, plans, "
    "activities, reviews, rectifications, customers and risks, with every rule enforced and "
    "every change provable.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
show_app = typer.Typer(help="Show one aggregate, as it is or as it was.", no_args_is_help=True)
list_app = typer.Typer(help="List every aggregate of a kind.", no_args_is_help=True)
app.add_typer(show_app, name="show")
app.add_typer(list_app, name="list")
app.add_typer(audit_cli.audit_app, name="audit")
app.command("rebuild")(audit_cli.rebuild)
app.command()(serve.serve)
app.command()(project.project)


def run() -> None:
    """The ``closedloop`` console script."""
    app(prog_name="closedloop")


#: Width of tables written to a file or a pipe: wide enough for every table to stay whole.
PIPE_WIDTH = 180


def _out() -> Console:
    """Standard output: the terminal's width, ``$COLUMNS``, or ``PIPE_WIDTH`` when it is a
    file or a pipe (Rich would squeeze every table into 80 columns)."""
    console = Console()
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(width=PIPE_WIDTH)


def _emit_json(value: Any) -> None:
    typer.echo(to_json(value, indent=2))


# --- demo --------------------------------------------------------------------------------------


@app.command()
def demo(
    store: Store = None,
    policy: PolicyFile = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="delete the SQLite file first, if it exists")
    ] = False,
) -> None:
    """Play a realistic year into a fresh store, then print what it made: the target tree,
    plans, activities, reviews, rectifications, and what the rules refused on the way."""
    url = store_url(store)
    if replace:
        _delete_sqlite_store(url)
    clock = FixedClock(DEMO_START)
    with ClosedLoop(url, policy=policy, clock=clock) as loop:
        if loop.position() > 0:
            raise InvalidInput(
                f"the store {url} is not empty ({loop.position()} events recorded); the demo "
                "needs a fresh one: pass --store sqlite:///another.db, or --replace to start a "
                "SQLite file afresh"
            )
        played = run_demo(loop, clock)
        console = _out()
        console.print(render.target_tree(loop.target_tree(played.target)))
        console.print(render.plans_table([loop.plan(ref) for ref in played.plans]))
        console.print(render_activity.activities_table(loop.activities()))
        console.print(render_review.reviews_table(loop.reviews()))
        console.print(render_review.rectifications_table(loop.rectifications()))
        year = loop.target(played.target)["period"]
        console.print(customers_summary(loop.customers(), loop.churn_rate(year)))
        console.print(risks_table([loop.risk(ref) for ref in played.risks]))
        console.print(render.refusals(played.refusals))
        console.print(Text(f"{loop.position()} events recorded in {url}"), soft_wrap=True)


def _delete_sqlite_store(url: str) -> None:
    """``--replace``: only ever a SQLite file (with its WAL files), never another kind of store."""
    name = store_env(url).get("SQLITE_DBNAME")
    if name is None or name.startswith("file:"):
        raise InvalidInput(f"--replace deletes a SQLite file; {url} is not one")
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            Path(name + suffix).unlink(missing_ok=True)
        except OSError as error:
            raise InvalidInput(
                f"--replace cannot delete {name}{suffix}: {error.strerror}"
            ) from None


# --- apply -------------------------------------------------------------------------------------


@app.command()
def apply(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE.jsonl", help="command envelopes, one per line; - is stdin"),
    ],
    stop_on_error: Annotated[
        bool, typer.Option("--stop-on-error", help="stop at the first refused line")
    ] = False,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Run a JSON-lines batch of command envelopes; each line succeeds whole or records nothing."""
    source: contextlib.AbstractContextManager[IO[bytes]] = (
        contextlib.nullcontext(typer.get_binary_stream("stdin"))
        if file == "-"
        else batch.open_batch(file)
    )
    tally = batch.Tally()
    console = _out()
    with source as lines, ClosedLoop(store, policy=policy) as loop:
        for outcome in batch.apply_batch(loop, lines, stop_on_error=stop_on_error):
            tally.add(outcome)
            if json_output:
                typer.echo(to_json(outcome.to_dict()))
            else:
                console.print(render.outcome_line(outcome), soft_wrap=True)
    stopped = stop_on_error and tally.first_failure is not None
    if json_output:
        typer.echo(to_json({"summary": tally.to_dict()}))
    else:
        console.print(render.tally_line(tally, stopped=stopped), soft_wrap=True)
    raise typer.Exit(tally.exit_code)


# --- schema ------------------------------------------------------------------------------------


@app.command()
def schema(
    command: Annotated[
        str | None, typer.Argument(help="one command (target.create); all when omitted")
    ] = None,
) -> None:
    """Print the JSON Schema of one command's arguments, or of every command by name."""
    _emit_json(ClosedLoop.schema(command))


# --- show --------------------------------------------------------------------------------------


@show_app.command("target")
def show_target(
    ref: Ref,
    as_of: AsOfTime = None,
    tree: Annotated[bool, typer.Option("--tree", help="the decomposition tree below it")] = False,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """A target: value, actual, achievement and grade (or its whole tree)."""
    _answer(
        lambda loop, when: (
            loop.target_tree(ref, as_of=when) if tree else loop.target(ref, as_of=when)
        ),
        render.target_tree if tree else render.target_panel,
        store=store,
        policy=policy,
        as_of=as_of,
        json_output=json_output,
    )


def _print(view: Any, json_output: bool, rendering: Callable[[Any], RenderableType]) -> None:
    if json_output:
        _emit_json(view)
    else:
        _out().print(rendering(view))


def _answer(
    ask: Callable[[ClosedLoop, AsOf], Any],
    rendering: Callable[[Any], RenderableType],
    *,
    store: str | None,
    policy: Path | None,
    as_of: str | None,
    json_output: bool,
) -> None:
    """A query's answer from the store, as it is or as of ``--as-of``, printed."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        answer = ask(loop, when)
    _print(answer, json_output, rendering)


def _shows(
    kind: str, query: Callable[..., Any], panel: Callable[[Any], RenderableType], about: str
) -> None:
    """``show KIND ID``: ``query(loop, ref, as_of=…)``, rendered by ``panel``."""

    def show(
        ref: Ref,
        as_of: AsOfTime = None,
        store: Store = None,
        policy: PolicyFile = None,
        json_output: Json = False,
    ) -> None:
        _answer(
            lambda loop, when: query(loop, ref, as_of=when),
            panel,
            store=store,
            policy=policy,
            as_of=as_of,
            json_output=json_output,
        )

    show_app.command(kind, help=about)(show)


class Only(NamedTuple):
    """A list's filter flag: ``--overdue`` passes ``overdue=True`` to the query."""

    option: str
    keyword: str
    about: str


def _lists(
    kinds: str,
    query: Callable[..., Any],
    table: Callable[[Any], RenderableType],
    about: str,
    only: Only | None = None,
) -> None:
    """``list KINDS [--ONLY]``: ``query(loop, as_of=…[, only=…])``, rendered by ``table``."""

    def list_them(
        as_of: AsOfTime = None,
        store: Store = None,
        policy: PolicyFile = None,
        json_output: Json = False,
        **flag: bool,
    ) -> None:
        _answer(
            lambda loop, when: query(loop, as_of=when, **flag),
            table,
            store=store,
            policy=policy,
            as_of=as_of,
            json_output=json_output,
        )

    signature = inspect.signature(list_them)
    hints = get_type_hints(list_them, include_extras=True)
    parameters = [
        p.replace(annotation=hints[p.name])
        for p in signature.parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    if only is not None:  # Typer reads the options from the signature
        option = Annotated[bool, typer.Option(only.option, help=only.about)]
        flag = inspect.Parameter(only.keyword, inspect.Parameter.KEYWORD_ONLY, default=False)
        parameters.append(flag.replace(annotation=option))
    list_them.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    list_app.command(kinds, help=about)(list_them)


_shows(
    "plan",
    ClosedLoop.plan,
    render.plan_panel,
    "A plan: budget, action items, targets, approved against current revision.",
)
_shows("research", ClosedLoop.research, render.research_panel, "A study: its report and status.")
_shows(
    "activity",
    ClosedLoop.activity,
    render_activity.activity_panel,
    "An activity: approvals, execution plan, copy check, budget and spend, changes, "
    "incidents, results and evaluation.",
)
_shows(
    "review",
    ClosedLoop.review,
    render_review.review_panel,
    "A review: due date, metrics and grades, findings and what covers each.",
)
_shows(
    "rectification",
    ClosedLoop.rectification,
    render_review.rectification_panel,
    "A rectification: root cause, measures, verification, lessons, recurrences.",
)
_lists("targets", ClosedLoop.targets, render.targets_table, "Every target, in creation order.")
_lists("plans", ClosedLoop.plans, render.plans_table, "Every plan, in creation order.")
_lists("research", ClosedLoop.studies, render.studies_table, "Every study, in creation order.")
_lists(
    "activities",
    ClosedLoop.activities,
    render_activity.activities_table,
    "Every activity, in creation order.",
)
_lists(
    "reviews", ClosedLoop.reviews, render_review.reviews_table, "Every review, in creation order."
)


_lists(
    "rectifications",
    ClosedLoop.rectifications,
    render_review.rectifications_table,
    "Every rectification in creation order, or only the overdue ones.",
    Only("--overdue", "overdue", "only those open past their deadline (R-X4)"),
)


@app.command()
def lessons(
    search: Annotated[
        list[str] | None, typer.Argument(help="words that must all occur (case-insensitive)")
    ] = None,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Lessons learned from closed rectifications, latest first (R-X5)."""
    _answer(
        lambda loop, when: loop.lessons(" ".join(search or []), as_of=when),
        render_review.lessons_table,
        store=store,
        policy=policy,
        as_of=as_of,
        json_output=json_output,
    )


# --- evaluation views ----------------------------------------------------------------------


@app.command("view")
def show_view(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="achievement, plans, activities, rectifications or loop-health"
        ),
    ],
    period: Period = None,
    scope: Scope = None,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """An evaluation view, from the tracked facts (or replayed up to --as-of: a time, or a
    store position)."""
    _answer(
        lambda loop, when: loop.evaluation(name, period=period, scope=scope, as_of=when),
        lambda data: render_views.VIEWS[name](data),  # once the name is known to be valid
        store=store,
        policy=policy,
        as_of=as_of,
        json_output=json_output,
    )


@app.command()
def certificate(
    period: Annotated[str, typer.Argument(metavar="PERIOD", help="2026, 2026-Q2 or 2026-05")],
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """A closure certificate: every finding of PERIOD closed and verified (or waived), with
    the digest of the evidence; refused (exit 4) with the open loops otherwise."""
    _answer(
        lambda loop, when: loop.closure_certificate(period, as_of=when),
        render_views.certificate,
        store=store,
        policy=policy,
        as_of=as_of,
        json_output=json_output,
    )


# Commands kept in modules of their own (customers; risks and complaints) register
# themselves on the apps above.
from closedloop.adapters.cli import customer as _customer  # noqa: E402, F401
from closedloop.adapters.cli import report as _report  # noqa: E402, F401
from closedloop.adapters.cli import risk as _risk  # noqa: E402, F401

if __name__ == "__main__":
    run()
