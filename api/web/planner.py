"""Planners' pages: aggregate figures, a scenario form (or a TOML upload), runs with a live progress
bar, results with their charts, and two runs side by side. Aggregates only: no page here shows, or
links to, a child's record."""

from __future__ import annotations

import tomllib
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from api.audit import record
from api.deps import Principal, ReposDep, Services, ServicesDep
from api.routers import stats as stats_router
from api.web.render import redirect, render
from api.web.session import PREFIX, PageError, PlanningPage
from api.web.simulations import (
    CHARTS,
    COMPARISON_CHART,
    SimulationRun,
    SimulationRuns,
    check_scenario,
    comparison,
    ssda903_sample,
)
from domain.errors import InputError
from domain.vocab import CARER_TYPES
from planning.scenario import Scenario
from store.repositories import Repositories

router = APIRouter()

RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: Carer types a planner can recruit on the form (connected carers are approved, not recruited).
RECRUITED = tuple(t for t in CARER_TYPES if t != "connected")
#: The form's starting values: the example scenario's published figures, small enough to run quickly.
DEFAULTS: dict[str, Any] = {
    "name": "what-if",
    "horizon_months": 12,
    "time_step": "month",
    "replications": 8,
    "seed": 2026,
    "demand_source": "ssda903",
    "entries_per_year": 120.0,
    "scale": 1.0,
    "attrition_per_year": 0.13,
    "sibling_approved_share": 0.44,
    "in_house_weekly_gbp": 400.0,
    "ifa_weekly_gbp": 750.0,
    "residential_weekly_gbp": 3000.0,
    "batch_time_limit_s": 1.0,
    "recruit": {"mainstream": 14.0, "specialist": 3.0, "supported_lodgings": 3.0},
}
MAX_UPLOAD_BYTES = 64 * 1024


def simulation_runs(services: Services) -> SimulationRuns:
    """This process's simulation runs (made on first use)."""
    runs = services.extras.get("simulations")
    if not isinstance(runs, SimulationRuns):
        runs = SimulationRuns()
        services.extras["simulations"] = runs
    return runs


def _run_or_404(services: Services, run_id: int) -> SimulationRun:
    run = simulation_runs(services).get(run_id)
    if run is None:
        raise PageError(
            404,
            "No such run",
            f"Run {run_id} is not kept: runs live in the service's memory, the last few only, until it restarts.",
            f"{PREFIX}/planning",
        )
    return run


def _planning_page(
    request: Request,
    user: Principal,
    services: Services,
    repos: Repositories,
    form: dict[str, Any] | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    figures = stats_router.stats(user, repos)
    runs = simulation_runs(services).all()
    return render(
        request,
        "planning.html",
        {
            "stats": figures,
            "runs": runs,
            "done_runs": [r for r in runs if r.status == "done"],
            "form": form or DEFAULTS,
            "problems": problems or [],
            "recruited": RECRUITED,
            "has_903": ssda903_sample() is not None,
        },
        status_code,
    )


def _start(services: Services, repos: Repositories, user: Principal, scenario: Scenario) -> SimulationRun:
    """Queue a run on the service's current households and waiting list (an aggregate audit event)."""
    snapshot = services.snapshots.current(repos.session, services.today()).snapshot
    run = simulation_runs(services).submit(scenario, snapshot, user.username)
    record(
        repos,
        user,
        "simulation.run",
        "simulation",
        str(run.id),
        detail={"households": len(snapshot.households), "replications": scenario.simulation.replications},
    )
    return run


@router.get("/planning")
def planning(request: Request, user: PlanningPage, services: ServicesDep, repos: ReposDep) -> Response:
    """Aggregate figures, the scenario form, the runs kept and the comparison form."""
    return _planning_page(request, user, services, repos)


@router.post("/planning/runs")
async def start_run(request: Request, user: PlanningPage, services: ServicesDep, repos: ReposDep) -> Response:
    """Check the scenario form and start the run; back to the form, with every problem, when it is wrong."""
    form = dict(await request.form())
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    problems: list[str] = []

    def number(key: str, kind: type[float] | type[int] = float) -> Any:
        raw = str(values.get(key, "")).strip()
        if raw == "":
            return DEFAULTS.get(key)
        try:
            return kind(raw)
        except ValueError:
            problems.append(f"{key.replace('_', ' ')}: not a number ({raw[:20]})")
            return DEFAULTS.get(key)

    recruit = {t: number(f"recruit_{t}") for t in RECRUITED}
    shown = {
        **{k: values.get(k, DEFAULTS.get(k)) for k in DEFAULTS if k != "recruit"},
        "recruit": {t: values.get(f"recruit_{t}", "") for t in RECRUITED},
    }
    attrition = number("attrition_per_year")
    raw: dict[str, Any] = {
        "name": (values.get("name") or "what-if").strip()[:80],
        "simulation": {
            "horizon_months": number("horizon_months", int),
            "time_step": values.get("time_step", "month"),
            "replications": number("replications", int),
            "seed": number("seed", int),
        },
        "demand": (
            {"ssda903_dir": "bundled sample", "scale": number("scale")}
            if values.get("demand_source") == "ssda903"
            else {"entries_per_year": number("entries_per_year"), "scale": number("scale")}
        ),
        "supply": {
            "attrition_per_year": attrition,
            "attrition_low": min(0.09, attrition) if isinstance(attrition, float) else 0.09,
            "attrition_high": max(0.14, attrition) if isinstance(attrition, float) else 0.14,
        },
        "recruitment": [
            {"carer_type": t, "per_year": n}
            | ({"sibling_approved_share": number("sibling_approved_share")} if t == "mainstream" else {})
            for t, n in recruit.items()
            if n
        ],
        "costs": {
            "in_house_weekly_gbp": number("in_house_weekly_gbp"),
            "ifa_weekly_gbp": number("ifa_weekly_gbp"),
            "residential_weekly_gbp": number("residential_weekly_gbp"),
        },
        "policy": {"batch_time_limit_s": number("batch_time_limit_s")},
    }
    return await run_in_threadpool(_check_and_start, request, user, services, repos, raw, shown, problems)


def _check_and_start(
    request: Request,
    user: Principal,
    services: Services,
    repos: Repositories,
    raw: dict[str, Any],
    shown: dict[str, Any] | None,
    problems: list[str],
) -> Response:
    """Start the run, or show the form again with every problem (the database work, off the event loop)."""
    if not problems:
        try:
            scenario = check_scenario(raw)
        except InputError as error:
            problems = [f"{p.field or p.record}: {p.message}" for p in error.problems]
    if problems:
        return _planning_page(request, user, services, repos, shown, problems, 422)
    run = _start(services, repos, user, scenario)
    return redirect(f"{PREFIX}/planning/runs/{run.id}")


@router.post("/planning/upload")
async def upload_run(
    request: Request,
    user: PlanningPage,
    services: ServicesDep,
    repos: ReposDep,
    scenario_file: Annotated[UploadFile, File(description="A scenario TOML file.")],
) -> Response:
    """Start a run from an uploaded scenario TOML (the CLI's format; the supply is the current records)."""
    content = await scenario_file.read(MAX_UPLOAD_BYTES + 1)
    raw: dict[str, Any] = {}
    problems: list[str] = []
    if len(content) > MAX_UPLOAD_BYTES:
        problems.append(f"Upload: the file is larger than {MAX_UPLOAD_BYTES // 1024} KiB")
    else:
        try:
            raw = tomllib.loads(content.decode("utf-8"))
        except UnicodeDecodeError:
            problems.append("Upload: the file is not UTF-8 text")
        except tomllib.TOMLDecodeError as error:
            problems.append(f"Upload: not valid TOML: {error}")
    return await run_in_threadpool(_check_and_start, request, user, services, repos, raw, None, problems)


@router.get("/planning/runs/{run_id}")
def run_page(request: Request, user: PlanningPage, services: ServicesDep, run_id: RunId) -> Response:
    """A run: its progress bar while it runs, then its figures and charts."""
    run = _run_or_404(services, run_id)
    others = [r for r in simulation_runs(services).all() if r.status == "done" and r.id != run.id]
    return render(request, "planning_run.html", {"run": run, "charts": CHARTS, "others": others})


@router.get("/planning/runs/{run_id}/progress")
def run_progress(user: PlanningPage, services: ServicesDep, run_id: RunId) -> JSONResponse:
    """How far a run has got, for the progress bar."""
    run = simulation_runs(services).get(run_id)
    if run is None:
        return JSONResponse({"detail": f"no run {run_id}"}, status_code=404)
    return JSONResponse(run.progress(), headers={"Cache-Control": "no-store"})


@router.get("/planning/runs/{run_id}/charts/{chart}.png")
def run_chart(user: PlanningPage, services: ServicesDep, run_id: RunId, chart: str) -> Response:
    run = _run_or_404(services, run_id)
    if chart not in CHARTS or chart not in run.charts:
        raise PageError(404, "No such chart", f"Run {run_id} has no chart {chart[:40]}.", f"{PREFIX}/planning")
    return FileResponse(run.folder / f"{chart}.png", media_type="image/png", headers={"Cache-Control": "no-store"})


def _pair(services: Services, a: int, b: int) -> tuple[SimulationRun, SimulationRun]:
    first, second = _run_or_404(services, a), _run_or_404(services, b)
    if first.status != "done" or second.status != "done":
        raise PageError(409, "Not finished", "Both runs must have finished to be compared.", f"{PREFIX}/planning")
    if a == b:
        raise PageError(422, "Same run twice", "Choose two different runs to compare.", f"{PREFIX}/planning")
    return first, second


@router.get("/planning/compare")
def compare(
    request: Request,
    user: PlanningPage,
    services: ServicesDep,
    a: Annotated[int, Query(ge=1, le=2**31 - 1)],
    b: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Response:
    """Two finished runs side by side: key figures, paired differences when they share seed and
    replications (common random numbers), and the comparison chart."""
    first, second = _pair(services, a, b)
    runs = simulation_runs(services)
    folder = first.folder / f"vs-{second.id}"
    folder.mkdir(exist_ok=True)
    compared: dict[str, Any] = runs.call(comparison, first, second, folder)
    return render(request, "planning_compare.html", {"a": first, "b": second, "compared": compared})


@router.get("/planning/compare/{a}/{b}/chart.png")
def compare_chart(user: PlanningPage, services: ServicesDep, a: RunId, b: RunId) -> Response:
    first, second = _pair(services, a, b)
    path = first.folder / f"vs-{second.id}" / f"{COMPARISON_CHART}.png"
    if not path.is_file():
        raise PageError(404, "No chart yet", "Open the comparison page first.", f"{PREFIX}/planning")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-store"})
