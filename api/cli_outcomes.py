"""Outcomes commands (issue 10): ``report outcomes``, ``report weights`` and ``placements import-903``.

Read the service's database (``--database URL``, else ``DATABASE_URL``, else the embedded SQLite). Human
output by default, ``--json`` for one JSON object on stdout; bad input exits 2 naming the option or the
file, row and field; an import writes everything or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from api.outcomes import build_report, default_period, import_history
from api.settings import Settings
from domain.errors import InputError
from interop.ssda903 import read_return
from interop.ssda903_history import placement_history
from store import migrate
from store.db import Database
from store.repositories import Repositories

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

report_app = typer.Typer(help="Reports for managers: outcomes after recommending, and the weight review.")
placements_app = typer.Typer(help="Placements: history imports.", no_args_is_help=True)

DatabaseOption = Annotated[
    str | None, typer.Option("--database", envvar="DATABASE_URL", help="Database URL (else the embedded SQLite).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
FromOption = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default a year before --to).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default today).")]


def fail(error: InputError) -> NoReturn:
    for problem in error.problems:
        err.print(f"error: {escape(str(problem))}")
    raise typer.Exit(2)


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(InputError.one(option, "", option.lstrip("-"), f"{value!r} is not a date (YYYY-MM-DD)"))


def _open(database: str | None) -> tuple[Database, Settings]:
    settings = Settings(database_url=database) if database else Settings()
    db = Database(settings.database_url)
    if migrate.current(db.engine) != migrate.head():
        db.dispose()
        fail(InputError.one("--database", "", "database", "the database is not set up: run `placematch db upgrade`"))
    return db, settings


def _report(database: str | None, start_text: str | None, end_text: str | None) -> dict[str, Any]:
    start, end = _day(start_text, "--from"), _day(end_text, "--to")
    db, settings = _open(database)
    try:
        first, last = default_period(settings.current_date(), start, end)
        if last < first:
            fail(InputError.one("--to", "", "to", f"the period ends ({last}) before it starts ({first})"))
        with db.read_transaction() as session:
            return build_report(Repositories(session), first, last)
    finally:
        db.dispose()


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def _pct(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, float) else _v(value)


def _v(value: Any) -> str:
    return "–" if value is None else str(value)


def print_weights(review: dict[str, Any]) -> None:
    out.print(
        f"[bold]Weight review[/bold]: {review['pairs']} revealed preferences ({review['chosen_over_rank_1']} chosen "
        f"over rank 1, {review['accepted_over_declined']} accepted over a declined option); "
        f"{review['disagreeing_pairs']} where the weights preferred the other option "
        f"(mean score gap {review['mean_score_gap']})."
    )
    for row in review["criteria"]:
        weights = ", ".join(f"{k} {v}" for k, v in row["weights"].items()) or "-"
        out.print(
            f"  {row['criterion']:<16} more {row['preferred_had_more']!s:>3}  fewer {row['preferred_had_fewer']!s:>3}"
            f"  mean {row['mean_points_difference']!s:>7}  p {row['sign_test_p']!s:>6}  {row['direction']}"
            f"  (weights: {weights})"
        )
    for line in review["consistent_disagreements"]:
        out.print(f"  - {escape(line)}")
    out.print(review["note"])


def print_report(report: dict[str, Any]) -> None:
    period = report["period"]
    out.print(f"[bold]Outcomes report[/bold] {period['from']} to {period['to']} ({report['suppression']})")
    d = report["decisions"]
    out.print(f"\n[bold]Decisions[/bold]: {d['decided']} ({d['accepted']} accepted, {d['declined']} declined)")
    for row in d["by_rank"]:
        out.print(
            f"  rank {row['rank']:>2}: {row['decided']!s:>4} decided, {row['accepted']!s:>4} accepted "
            f"({_pct(row['acceptance_rate'])})"
        )
    out.print("  declined because: " + ", ".join(f"{k} {v}" for k, v in d["decline_reasons"].items()))
    n = report["not_rank_one"]
    out.print(f"\n[bold]Chosen option not rank 1[/bold]: {n['not_rank_one']} of {n['accepted']} ({_pct(n['share'])})")
    for row in n["criteria"]:
        out.print(
            f"  {row['criterion']:<16} differed {row['differed']!s:>3}: chosen higher {row['chosen_higher']}, "
            f"lower {row['chosen_lower']}, mean {row['mean_points_difference']} points"
        )
    u = report["unplanned_endings"]
    out.print(f"\n[bold]Endings[/bold]: {u['ended']}, unplanned {u['unplanned']} ({_pct(u['unplanned_rate'])})")
    out.print("  reasons: " + ", ".join(f"{k} {v}" for k, v in u["by_reason"].items()))
    for name, rows in u["by"].items():
        cells = "; ".join(f"{r['value']}: {r['unplanned']}/{r['ended']} ({_pct(r['unplanned_rate'])})" for r in rows)
        out.print(f"  by {name}: {cells}")
    s = report["stability"]
    out.print(
        f"\n[bold]Stability[/bold]: {s['three_or_more_placements']} of {s['children']} children had 3+ placements "
        f"({_pct(s['three_or_more_rate'])}) against {_pct(s['national_rate'])} in England "
        f"({s['national_label']}); moves per child per year {s['moves_per_child_per_year']}"
    )
    out.print(f"  source: {s['national_source']}")
    b = report["breakdowns"]
    out.print("\n[bold]Placements started, by the child's characteristics[/bold]")
    for name in ("age_band", "disability", "ethnicity", "sibling_group_size"):
        out.print(f"  {name}:")
        for row in b[name]:
            out.print(
                f"    {row['value']:<14} placed {row['placements']!s:>4}  km {_v(row['mean_distance_km']):>6}  "
                f"in-house {_pct(row['in_house_rate']):>4}  together {_pct(row['siblings_together_rate']):>4}  "
                f"days waiting {_v(row['mean_days_waiting'])}"
            )
    out.print("")
    print_weights(report["weight_review"])


@report_app.command("outcomes")
def report_outcomes(
    start: FromOption = None,
    end: ToOption = None,
    as_json: JsonOption = False,
    plots: Annotated[Path | None, typer.Option("--plots", help="Folder for PNG and SVG charts.")] = None,
    database: DatabaseOption = None,
) -> None:
    """What happened after recommending: acceptance by rank, endings, stability, breakdowns, weight review."""
    report = _report(database, start, end)
    if plots is not None:
        from planning.outcome_plots import save_outcome_plots

        for path in save_outcome_plots(report, plots):
            err.print(f"wrote {path}")
    if as_json:
        _emit(report)
    else:
        print_report(report)


@report_app.command("weights")
def report_weights(
    start: FromOption = None, end: ToOption = None, as_json: JsonOption = False, database: DatabaseOption = None
) -> None:
    """Which weights the duty team's choices disagree with most, with the data behind it (never changes them)."""
    report = _report(database, start, end)
    review = {"period": report["period"], **report["weight_review"]}
    if as_json:
        _emit(review)
    else:
        print_weights(review)


@placements_app.command("import-903")
def placements_import_903(
    directory: Annotated[Path, typer.Argument(help="Folder of SSDA903 header and episodes CSVs.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; store nothing.")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Placement history from SSDA903 episodes (RNE, REC, REASON_PLACE_CHANGE); a re-import adds only new ones."""
    try:
        history = placement_history(read_return(directory))
    except InputError as error:
        fail(error)
    added, known = 0, 0
    if not dry_run:
        db, _ = _open(database)
        try:
            with db.transaction() as session:
                added, known = import_history(Repositories(session), history)
        finally:
            db.dispose()
    summary = {
        "placements": len(history),
        "added": added,
        "already_there": known,
        "ended": sum(h.ended_on is not None for h in history),
        "unplanned": sum(h.ending == "unplanned" for h in history),
        "dry_run": dry_run,
    }
    if as_json:
        _emit(summary)
    else:
        verb = "would import" if dry_run else f"added {added} (already there: {known}) of"
        out.print(
            f"{verb} {summary['placements']} placements; {summary['ended']} ended, {summary['unplanned']} unplanned"
        )


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``placements`` to the ``placematch`` app."""
    app.add_typer(report_app, name="report")
    app.add_typer(placements_app, name="placements")
