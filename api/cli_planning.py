"""Planners' commands: ``import-903``, ``simulate`` and ``compare`` (added to the ``placematch`` app by
``register``). Human output by default, ``--json`` for one JSON object on stdout; progress on stderr;
exit 2 on bad input with the file, the record and the field.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from domain.errors import InputError
from interop import ssda903
from planning.backtest import BACKTEST_REPLICATIONS, backtest
from planning.demand import AGE_BAND_LABELS, CATEGORIES, DemandModel
from planning.marginal import marginal_values, paired, predicted_saving, recruitment_plan
from planning.montecarlo import RunResult, dask_client, run_replications
from planning.scenario import RECRUITMENT_COST_GBP, Scenario, load_scenario
from planning.simulate import SimulationInput, prepare

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
ReplicationsOption = Annotated[
    int | None, typer.Option("--replications", min=1, help="Monte Carlo replications (default: the scenario's).")
]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); default a LocalCluster.")
]
WorkersOption = Annotated[
    int, typer.Option("--workers", min=0, help="LocalCluster worker processes; 0 runs in this process.")
]
PlotsOption = Annotated[Path | None, typer.Option("--plots", help="Folder for PNG and SVG charts.")]


def fail(error: InputError) -> NoReturn:
    """Bad input: say what and where on stderr, exit 2."""
    for problem in error.problems:
        err.print(f"error: {escape(str(problem))}")
    raise typer.Exit(2)


def emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def fit_903(directory: Path) -> DemandModel:
    """The scenario's SSDA903 folder read and fitted (interop lives below planning, so it is passed in)."""
    return ssda903.import_directory(directory)[0]


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
        transient=True,
    ) as progress:  # fmt: skip
        yield progress


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    if scheduler is None and workers == 0:
        with nullcontext(None) as nothing:
            yield nothing
        return
    with dask_client(scheduler, workers) as client:
        yield client


# --- import-903 ----------------------------------------------------------------------------------------


def import_903(
    directory: Annotated[Path, typer.Argument(help="Folder of SSDA903 header_YYYY.csv and episodes_YYYY.csv files.")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the demand model JSON here.")] = None,
    before: Annotated[int | None, typer.Option("--before", help="Fit only on collection years before this.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Read SSDA903 returns (several years), check every code and date, and fit the demand model."""
    try:
        model, data = ssda903.import_directory(directory, before)
    except InputError as error:
        fail(error)
    if out_file is not None:
        ssda903.write_model(model, out_file)
        err.print(f"wrote {out_file}")
    if as_json:
        emit_json({**model.model_dump(mode="json"), "moves_per_year": ssda903.moves_per_year(data)})
        return
    _print_model(model, ssda903.moves_per_year(data), len(data.headers), len(data.episodes))


def _print_model(model: DemandModel, moves: dict[str, int], children: int, episodes: int) -> None:
    out.print(f"[bold]SSDA903 import[/bold]: {escape(model.source)}: years {', '.join(map(str, model.years))}; "
              f"{children} children, {episodes} episodes")  # fmt: skip
    out.print(
        f"Entries a year: {model.total_entries_per_year():.1f} "
        f"({', '.join(f'{b}: {v:.1f}' for b, v in model.entries_per_year.items())}); growth "
        f"{model.growth_per_year:+.1%} a year; entering together: "
        + ", ".join(f"{k} child{'ren' if k != '1' else ''} {v:.0%}" for k, v in model.group_sizes.items())
    )
    table = Table("age band", *CATEGORIES, title="first placement of children entering care")
    for band in AGE_BAND_LABELS:
        table.add_row(band, *(f"{model.entry_mix[band].get(c, 0.0):.0%}" for c in CATEGORIES))
    out.print(table)
    durations = Table(
        "category", *AGE_BAND_LABELS, title="mean placement length (days; Kaplan-Meier) / chance of a move"
    )
    for category in CATEGORIES:
        durations.add_row(
            category,
            *(
                f"{model.durations[category][b].mean_days():.0f} / {model.move_probability[category][b]:.0%}"
                if model.durations[category][b].ended
                else "-"
                for b in AGE_BAND_LABELS
            ),
        )
    out.print(durations)
    stock = Table("year", "entries", "leavers", "moves", *CATEGORIES, "in care", title="31 March each year")
    for year, seen in model.observed.items():
        stock.add_row(year, str(seen.entries), str(seen.leavers), str(moves.get(year, 0)),
                      *(str(seen.stock.get(c, 0)) for c in CATEGORIES), str(seen.in_care))  # fmt: skip
    out.print(stock)


# --- simulate --------------------------------------------------------------------------------------------


def _load(path: Path) -> tuple[Scenario, SimulationInput]:
    try:
        scenario = load_scenario(path)
        return scenario, prepare(scenario, fit_903)
    except InputError as error:
        fail(error)


def _with_replications(scenario: Scenario, replications: int | None) -> Scenario:
    if replications is None:
        return scenario
    simulation = scenario.simulation.model_copy(update={"replications": replications})
    return scenario.model_copy(update={"simulation": simulation})


def _run(inp: SimulationInput, client: Any, label: str) -> RunResult:
    with _progress() as progress:
        task = progress.add_task(label, total=inp.scenario.simulation.replications)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return run_replications(inp, inp.scenario.simulation.replications, client, progress=report)


def _marginal(inp: SimulationInput, base: RunResult, client: Any) -> dict[str, Any]:
    """Marginal value per carer type (paired with the base run's first replications) and the plan."""
    settings = inp.scenario.marginal
    reps = base.replications[: settings.replications]
    base_part = base.subset(reps)
    step = 4 if settings.budget_gbp > 0 else 1
    with _progress() as progress:
        task = progress.add_task("marginal value", total=len(settings.carer_types) * len(reps) * (2 if step > 1 else 1))
        finished = {"done": 0, "last": 0}

        def report(_label: str, done: int, _total: int) -> None:
            if done < finished["last"]:
                finished["done"] += finished["last"]
            finished["last"] = done
            progress.update(task, completed=finished["done"] + done, description=f"marginal value: {_label}")

        values = marginal_values(inp, base_part, settings.carer_types, client, report, step=step)
    result: dict[str, Any] = {"marginal_value": [one.to_json() for one, _ in values.values()]}
    if settings.budget_gbp > 0:
        costs: dict[str, float] = {}
        for carer_type in settings.carer_types:
            plan_for = inp.scenario.recruitment_for(carer_type)
            costs[carer_type] = plan_for.cost_gbp if plan_for is not None else RECRUITMENT_COST_GBP
        plan = recruitment_plan(values, costs, settings.budget_gbp)
        check: dict[str, Any] | None = None
        if plan:
            with _progress() as progress:
                task = progress.add_task("checking the plan", total=len(reps))
                whole = run_replications(inp, reps, client, extra=plan,
                                         progress=lambda d, t: progress.update(task, completed=d, total=t))  # fmt: skip
            realised = paired(base_part, whole, "plan", 1)
            check = {
                "saving_gbp_per_year": realised.to_json()["saving_gbp_per_year"],
                "more_children_local_per_year": realised.to_json()["more_children_local_per_year"],
            }
        result["recruitment_plan"] = {
            "budget_gbp_per_year": settings.budget_gbp,
            "method": "greedy on saving per pound, each type valued at +1 and +4 households (diminishing returns)",
            "households": plan,
            "cost_gbp_per_year": sum(costs[t] * n for t, n in plan.items()),
            "predicted_saving_gbp_per_year": round(predicted_saving(values, plan), 0),
            "simulated_saving": check,
        }
    return result


def simulate(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario TOML (see fixtures/scenario-example.toml).")],
    replications: ReplicationsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    as_json: JsonOption = False,
    plots: PlotsOption = None,
    backtest_year: Annotated[
        int | None, typer.Option("--backtest", help="Fit on the years before YEAR and compare with YEAR.")
    ] = None,
    marginal: Annotated[bool, typer.Option("--marginal/--no-marginal", help="Value one more household.")] = True,
) -> None:
    """What-if sufficiency simulation: children arrive, the live batch matches them, carers come and go."""
    if backtest_year is not None:
        _backtest(scenario_file, backtest_year, replications, as_json)
        return
    scenario, inp = _load(scenario_file)
    scenario = _with_replications(scenario, replications)
    inp = prepare_again(inp, scenario)
    with _client(scheduler, workers) as client:
        result = _run(inp, client, f"simulating {scenario.name}")
        extra: dict[str, Any] = {}
        if marginal and scenario.marginal.carer_types:
            extra = _marginal(inp, result, client)
    summary = result.summary() | extra
    summary["demand"] = {"source": inp.demand.source, "entries_per_year": round(inp.demand.total_entries_per_year(), 1),
                         "growth_per_year": inp.demand.growth_per_year}  # fmt: skip
    if plots is not None:
        from planning import plots as charts

        summary["plots"] = charts.all_charts(result, plots, extra.get("marginal_value", []))
    if as_json:
        emit_json(summary)
    else:
        _print_summary(summary)


def prepare_again(inp: SimulationInput, scenario: Scenario) -> SimulationInput:
    """The prepared input with a changed scenario (same snapshot, demand and towns)."""
    return SimulationInput(scenario, inp.snapshot, inp.demand, inp.towns, inp.templates, inp.start, inp.boundaries)


def _fmt(stats: dict[str, Any] | None, scale: float = 1.0, digits: int = 0, pct: bool = False) -> str:
    if not stats or stats.get("mean") is None:
        return "-"
    if pct:
        return f"{stats['mean']:.0%} ({stats['p10']:.0%}-{stats['p90']:.0%})"
    return (f"{stats['mean'] / scale:,.{digits}f} ({stats['p10'] / scale:,.{digits}f}-"
            f"{stats['p90'] / scale:,.{digits}f})")  # fmt: skip


def _print_summary(summary: dict[str, Any]) -> None:
    out.print(
        f"[bold]{escape(summary['scenario'])}[/bold]: {summary['replications']} replications, "
        f"{len(summary['dates'])} steps to {summary['dates'][-1]}; batch status {summary['batch_status']}"
    )
    end = summary["end_of_horizon"]
    table = Table("at the end (mean, 10-90%)", "children")
    for key in ("in_house", "kinship", "ifa", "residential", "other", "waiting", "households_in_house"):
        table.add_row(key.replace("_", " "), _fmt(end[key]))
    table.add_row("utilisation", _fmt(end["utilisation"], pct=True))
    out.print(table)
    per_year = summary["totals_per_year"]
    flows = Table("a year (mean, 10-90%)", "value")
    for key in ("arrivals", "matched_in_house", "matched_kinship", "matched_ifa_pool", "to_ifa", "to_residential",
                "recruits", "resignations"):  # fmt: skip
        flows.add_row(key.replace("_", " "), _fmt(per_year[key], digits=1))
    flows.add_row("cost (£m)", _fmt(per_year["step_cost_gbp"], 1e6, 2))
    flows.add_row("placed within 20 miles", _fmt(summary["local_share"], pct=True))
    flows.add_row("mean distance from home (km)", _fmt(summary["mean_distance_km"], digits=1))
    flows.add_row("sibling groups kept together", _fmt(summary["sibling_groups_together_share"], pct=True))
    out.print(flows)
    for year, stats in summary["yearly_cost_gbp"].items():
        out.print(f"  cost {year}: £{_fmt(stats, 1e6, 2)}m")
    shortfall = summary["shortfall_per_year"]
    table = Table("outside matching a year", *(t.replace("_", " ") for t in shortfall["carer_types"]))
    for b, band in enumerate(shortfall["age_bands"]):
        table.add_row(band, *(f"{v:.1f}" for v in shortfall["mean"][b]))
    out.print(table)
    for value in summary.get("marginal_value", []):
        out.print(
            f"  one more {value['carer_type'].replace('_', ' ')} household: saves "
            f"£{_fmt(value['saving_gbp_per_year'])} a year, "
            f"{_fmt(value['more_children_local_per_year'], digits=2)} more children placed locally a year "
            f"(stderr £{value['saving_gbp_per_year']['stderr']:,.0f})"
        )
    plan = summary.get("recruitment_plan")
    if plan:
        out.print(f"  recruitment plan for £{plan['budget_gbp_per_year']:,.0f} a year ({plan['method']}): "
                  f"{plan['households'] or 'nothing pays back'}; predicted saving "
                  f"£{plan['predicted_saving_gbp_per_year']:,.0f} a year")  # fmt: skip
        if plan.get("simulated_saving"):
            out.print(f"  simulated saving of the whole plan: £{_fmt(plan['simulated_saving']['saving_gbp_per_year'])}")
    for path in summary.get("plots", []):
        out.print(f"  wrote {path}")


def _backtest(scenario_file: Path, year: int, replications: int | None, as_json: bool) -> None:
    try:
        scenario = load_scenario(scenario_file)
        if scenario.demand.ssda903_dir is None:
            raise InputError.one(str(scenario_file), "[demand]", "demand.ssda903_dir",
                                 "a backtest needs the SSDA903 files (ssda903_dir)")  # fmt: skip
        data = ssda903.read_return(scenario.path(scenario.demand.ssda903_dir))
        if year not in data.years or year - 1 not in data.years:
            raise InputError.one(str(scenario_file), "--backtest", "year",
                                 f"needs returns for {year - 1} and {year}; have {data.years}")  # fmt: skip
        fitted = ssda903.build_model(data, before_year=year)
        everything = ssda903.build_model(data)
    except InputError as error:
        fail(error)
    with _progress() as progress:
        progress.add_task(f"backtest {year}", total=None)
        result = backtest(fitted, everything.observed[str(year - 1)], everything.observed[str(year)], year,
                          replications or BACKTEST_REPLICATIONS, scenario.simulation.seed)  # fmt: skip
    if as_json:
        emit_json(result)
        return
    out.print(f"[bold]Backtest {year}[/bold]: fitted on {result['fitted_years']}, from {result['start']} to "
              f"{result['end']} ({result['replications']} runs; {result['note']})")  # fmt: skip
    table = Table("measure", "projected (10-90%)", "actual", "error", "within band")
    for row in result["rows"]:
        table.add_row(
            row["measure"],
            f"{row['projected']:.0f} ({row['p10']:.0f}-{row['p90']:.0f})",
            str(row["actual"]),
            "-" if row["error_pct"] is None else f"{row['error_pct']:+.1f}%",
            "yes" if row["within_band"] else "no",
        )
    out.print(table)


# --- compare -------------------------------------------------------------------------------------------


def compare(
    scenario_a: Annotated[Path, typer.Argument(help="First scenario TOML.")],
    scenario_b: Annotated[Path, typer.Argument(help="Second scenario TOML.")],
    replications: ReplicationsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    as_json: JsonOption = False,
    plots: PlotsOption = None,
) -> None:
    """Two scenarios side by side, with common random numbers (B runs on A's seed) and paired differences."""
    a, inp_a = _load(scenario_a)
    b, inp_b = _load(scenario_b)
    a = _with_replications(a, replications)
    simulation_b = b.simulation.model_copy(
        update={"replications": a.simulation.replications, "seed": a.simulation.seed}
    )
    b = b.model_copy(update={"simulation": simulation_b})
    if a.name == b.name:
        b = b.model_copy(update={"name": f"{b.name} (B)"})
    inp_a, inp_b = prepare_again(inp_a, a), prepare_again(inp_b, b)
    with _client(scheduler, workers) as client:
        result_a = _run(inp_a, client, f"simulating {a.name}")
        result_b = _run(inp_b, client, f"simulating {b.name}")
    sa, sb = result_a.summary(), result_b.summary()
    difference = paired(result_a, result_b, "B - A", 1).to_json()
    payload: dict[str, Any] = {
        "a": sa,
        "b": sb,
        "seed": a.simulation.seed,
        "b_minus_a": {
            "saving_gbp_per_year": difference["saving_gbp_per_year"],
            "more_children_local_per_year": difference["more_children_local_per_year"],
            "more_children_in_house": difference["more_children_in_house"],
        },
    }
    if plots is not None:
        from planning import plots as charts

        payload["plots"] = charts.comparison_chart(result_a, result_b, plots)
    if as_json:
        emit_json(payload)
        return
    table = Table(
        "mean (10-90%)",
        a.name,
        b.name,
        title=f"{a.simulation.replications} paired replications, seed {a.simulation.seed}",
    )
    for key in ("in_house", "kinship", "ifa", "residential", "waiting", "households_in_house"):
        table.add_row(
            f"{key.replace('_', ' ')} at the end", _fmt(sa["end_of_horizon"][key]), _fmt(sb["end_of_horizon"][key])
        )
    for key in ("to_ifa", "to_residential", "matched_in_house"):
        table.add_row(f"{key.replace('_', ' ')} a year", _fmt(sa["totals_per_year"][key], digits=1),
                      _fmt(sb["totals_per_year"][key], digits=1))  # fmt: skip
    table.add_row("cost a year (£m)", _fmt(sa["totals_per_year"]["step_cost_gbp"], 1e6, 2),
                  _fmt(sb["totals_per_year"]["step_cost_gbp"], 1e6, 2))  # fmt: skip
    table.add_row("placed within 20 miles", _fmt(sa["local_share"], pct=True), _fmt(sb["local_share"], pct=True))
    out.print(table)
    d = payload["b_minus_a"]
    out.print(f"B against A, paired: saves £{_fmt(d['saving_gbp_per_year'])} a year (stderr "
              f"£{d['saving_gbp_per_year']['stderr']:,.0f}); {_fmt(d['more_children_local_per_year'], digits=1)} "
              f"more children placed locally a year")  # fmt: skip
    for path in payload.get("plots", []):
        out.print(f"  wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``import-903``, ``simulate`` and ``compare`` to the ``placematch`` app."""
    app.command("import-903")(import_903)
    app.command("simulate")(simulate)
    app.command("compare")(compare)
