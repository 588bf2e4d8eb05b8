"""The ``placematch`` command line (DESIGN.md "Command line contract").

Human output by default; ``--json`` prints one JSON object on stdout and nothing else there. Exit 0 on
success, 2 on bad input with a message naming the file, the record id and the field.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from api import cli_data, cli_interop, cli_outcomes, cli_planning, cli_service
from api.batch import BatchRunning
from domain.errors import InputError
from domain.load import load_snapshot
from matching.answers import RankAnswer
from matching.batch import BatchAnswer, BatchSettings, solve_batch
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.whynot import WhyNot, why_not

app = typer.Typer(
    name="placematch",
    help="Placement matching for children's fostering: rank households for a request, explain, batch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
fixtures_app = typer.Typer(help="Synthetic data.", no_args_is_help=True)
app.add_typer(fixtures_app, name="fixtures")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SnapshotOption = Annotated[
    Path | None, typer.Option("--snapshot", help="Snapshot JSON file; without it the database is read.")
]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", envvar="DATABASE_URL", help="Database URL (else the embedded SQLite).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def fail(error: InputError) -> NoReturn:
    """Bad input: say what and where on stderr, exit 2."""
    for problem in error.problems:
        err.print(f"error: {escape(str(problem))}")
    raise typer.Exit(2)


def load_index(snapshot: Path | None, database: str | None) -> SnapshotIndex:
    """The snapshot to work on: a file, or the database's current state."""
    try:
        if snapshot is not None:
            return SnapshotIndex.build(load_snapshot(snapshot), str(snapshot))
        return SnapshotIndex.build(cli_service.snapshot_from_database(database), database or "database")
    except InputError as error:
        fail(error)


def emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def print_rank(answer: RankAnswer, index: SnapshotIndex) -> None:
    request = index.request(answer.request_id)
    children = ", ".join(f"{index.children[c].name or c} ({c})" for c in request.children if c in index.children)
    out.print(
        f"[bold]Request {request.id}[/bold]: {escape(children)}; {request.kind.replace('_', ' ')}, "
        f"needed by {request.needed_by:%d %b %Y}, urgency {request.urgency.replace('_', ' ')}; "
        f"siblings {request.siblings.replace('_', ' ')}"
    )
    if not answer.options:
        out.print("[bold red]No household can take this request under the hard rules.[/bold red]")
    else:
        out.print(f"Ranked options ({answer.status}):")
    households = {h.id: h for h in index.snapshot.households}
    for option in answer.options:
        homes = ", ".join(
            f"{h} ({'in-house' if households[h].provider == 'in_house' else 'IFA'}, "
            f"{households[h].carer_type.replace('_', ' ')})"
            for h in option.households
        )
        out.print(f"\n [bold]{option.rank}. {escape(homes)}[/bold]   score {option.score:,}")
        if len(option.households) > 1:
            for p in option.placements:
                out.print(f"      {escape(index.children[p.child_id].name or p.child_id)} -> {p.household_id}")
        for c in option.criteria:
            out.print(f"    {c.points:+6d}  {c.id}: {escape(c.reason)}")
        for r in option.relaxations:
            out.print(
                f"    [yellow]needs sign-off by the {r.role.replace('_', ' ')}[/yellow]: {r.id}: {escape(r.reason)}"
            )
    out.print(f"\n[bold]Excluded households ({len(answer.excluded)})[/bold]")
    for exclusion in answer.excluded:
        first, *rest = exclusion.rules
        out.print(f"  {exclusion.household_id}: {first.id}: {escape(first.reason)}")
        for rule in rest:
            out.print(f"  {' ' * len(exclusion.household_id)}  {rule.id}: {escape(rule.reason)}")


@app.command()
def rank(
    request: Annotated[str, typer.Option("--request", help="Placement request id.")],
    snapshot: SnapshotOption = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many options.")] = 5,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Ranked households for one placement request, with reasons, and every excluded household with why."""
    index = load_index(snapshot, database)
    # From the database, the latest nightly batch's scarcity prices (else the fast estimate), as the service ranks.
    scarcity = cli_service.batch_scarcity(database) if snapshot is None else None
    points, reasons = scarcity.for_request(request) if scarcity is not None else (None, None)
    try:
        answer = rank_request(index, request, top=top, scarcity=points, scarcity_reasons=reasons)
    except InputError as error:
        fail(error)
    if as_json:
        emit_json(answer.to_json())
    else:
        print_rank(answer, index)


def print_why_not(answer: WhyNot, index: SnapshotIndex) -> None:
    out.print(f"[bold]Why not {answer.household_id} for request {answer.request_id}?[/bold]")
    if answer.rules:
        out.print(f"It breaks {len(answer.rules)} hard rule{'s' if len(answer.rules) > 1 else ''}:")
        for rule in answer.rules:
            out.print(f"  - {rule.id}: {escape(rule.reason)}")
            out.print(f"      {escape(rule.note)}")
        if answer.can_be_made_eligible:
            roles = sorted({(r.relaxable_by or "").replace("_", " ") for r in answer.rules})
            out.print(f"It could be made eligible by relaxing these rules, signed off by: {', '.join(roles)}.")
        else:
            out.print("It cannot be made eligible for this request: at least one rule cannot be relaxed (see above).")
        return
    out.print(
        f"It is eligible: ranked {answer.rank} of {answer.of} households that can take the whole group, "
        f"score {answer.score:,} against {answer.top_score:,} for rank 1 ({', '.join(answer.top_households)})."
    )
    if answer.losses:
        out.print("Where it loses points against rank 1:")
        for loss in answer.losses:
            out.print(f"  {loss.points:+6d}  {loss.id}: {escape(loss.reason)}")


@app.command("why-not")
def why_not_command(
    request: Annotated[str, typer.Option("--request", help="Placement request id.")],
    household: Annotated[str, typer.Option("--household", help="Household id.")],
    snapshot: SnapshotOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Why a household is not recommended: every rule it breaks and who could relax it, or where it loses."""
    index = load_index(snapshot, database)
    try:
        answer = why_not(index, request, household)
    except InputError as error:
        fail(error)
    if as_json:
        emit_json(answer.to_json())
    else:
        print_why_not(answer, index)


def print_batch(answer: BatchAnswer, index: SnapshotIndex, looking_ahead: bool = False) -> None:
    proven = "proven optimal" if answer.status == "optimal" else f"not proven optimal (gap {answer.gap:.4%})"
    out.print(
        f"[bold]Nightly batch[/bold]: {answer.children_placed} of {answer.children_waiting} waiting children "
        f"matched in {len(answer.matches)} proposals; {proven}."
    )
    out.print(
        f"The duty team's way (urgency, then waiting time, each takes its best home left) matches "
        f"{answer.greedy.children_placed}."
    )
    if answer.pruning_bound is not None:
        out.print(f"Bound on the first level over every legal pair (LP): {answer.pruning_bound:,}.")
    if answer.expected_requests:
        out.print(
            f"Weighed with {answer.expected_requests} expected requests (copies of those received in the last "
            f"{index.weights['expected_window_days']} days): they keep homes for the children likely to come next "
            "where a waiting child is almost as well placed elsewhere, and are never proposed."
        )
    if looking_ahead and index.weights["sibling_room_kept"]:
        out.print(
            "Room for sibling groups kept: a child goes to a home with room for fewer children where almost as "
            "well placed there, so the rare homes for sibling groups stay free for them."
        )
    out.print("These are proposals for the duty team; nothing is placed until a social worker accepts.")
    for match in answer.matches:
        homes = ", ".join(dict.fromkeys(p.household_id for p in match.placements))
        children = ", ".join(index.children[p.child_id].name or p.child_id for p in match.placements)
        out.print(f"  {match.request_id} -> {homes}: {escape(children)}")
        for rule, household, role in match.relaxations:
            out.print(f"      [yellow]needs sign-off by the {role.replace('_', ' ')}[/yellow]: {rule} at {household}")
    if answer.unplaced:
        out.print(f"\n[bold]Not matched ({len(answer.unplaced)})[/bold]")
        for request_id, reason in answer.unplaced:
            out.print(f"  {request_id}: {escape(reason)}")


@app.command()
def batch(
    snapshot: SnapshotOption = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.5, help="Seconds for the whole run.")] = 10.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Propose only; store nothing.")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    expected_demand: Annotated[
        bool,
        typer.Option(
            "--expected-demand",
            help="Look ahead: also weigh the children likely to come next (copies of the requests received in the"
            " last expected_window_days, never proposed) and keep room for sibling groups (sibling_room_kept)."
            " Neither ever takes a home from a waiting child.",
        ),
    ] = False,
) -> None:
    """One optimisation over every waiting child. It proposes matches; it never places a child.

    Without --snapshot it runs on the database and stores the run and its proposals (see api.batch).
    """
    index = load_index(snapshot, database) if snapshot is not None else None
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("batch", total=1.0)

        def report(stage: str, done: float) -> None:
            progress.update(task, description=stage, completed=done)

        if index is not None:
            settings = BatchSettings(time_limit_s=time_limit, expected_demand=expected_demand)
            answer = solve_batch(index, settings, progress=report)
        else:
            try:
                index, answer = cli_service.run_batch(
                    database, time_limit, dry_run=dry_run, progress=report, expected_demand=expected_demand
                )
            except InputError as error:
                fail(error)
            except BatchRunning as error:
                err.print(f"error: {escape(str(error))}")
                raise typer.Exit(1) from None
    if as_json:
        emit_json(answer.to_json())
    else:
        print_batch(answer, index, looking_ahead=expected_demand)


@fixtures_app.command("generate")
def fixtures_generate(
    tier: Annotated[str, typer.Option("--tier", help="county, region or national.")] = "county",
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 7,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the snapshot JSON.")] = Path("snapshot.json"),
) -> None:
    """Generate a synthetic snapshot for a county, a region or England."""
    from fixtures.generate import TIERS, generate_snapshot, write_snapshot

    if tier not in TIERS:
        fail(InputError.one("--tier", "", "tier", f"unknown tier {tier!r}; choose {', '.join(TIERS)}"))
    snap = generate_snapshot(tier, seed)
    write_snapshot(snap, out_file)
    err.print(
        f"wrote {out_file}: {len(snap.households)} households, {len(snap.children)} children, "
        f"{len(snap.requests)} requests"
    )


cli_service.register(app)
cli_interop.register(app)
cli_planning.register(app)
cli_data.register(app)
cli_outcomes.register(app)


def main() -> None:
    """Entry point of the ``placematch`` script."""
    app()


if __name__ == "__main__":
    main()
