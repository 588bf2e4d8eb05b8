"""Planners' what-if simulations over the API: start a run in the background, poll it, read its figures
and fetch its charts. Aggregates only: no answer here holds a child's or a household's record.

``POST /planning/runs`` takes a scenario (the scenario file's keys, as JSON or as TOML text) and answers
202 with the run's id and a ``Location`` to poll; ``GET /planning/runs/{run_id}`` gives its status,
progress and, once done, the summary (per-period means and 10-90% bands, costs, shortfall);
``GET /planning/runs/{run_id}/plots/{name}.{fmt}`` its charts as PNG or SVG. Runs are the same as the web
pages' (``api/simulations.py``): one worker thread, in the service's memory, the last few kept.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from api.deps import AGGREGATE, Limit, Offset, Principal, ReposDep, Services, ServicesDep, allow
from api.errors import ApiError, ErrorBody, ErrorItem, ProblemItem, error_response, error_responses
from api.schemas import ListPage
from api.simulations import (
    CHARTS,
    MAX_HORIZON_MONTHS,
    MAX_REPLICATIONS,
    RunsBusy,
    SimulationRun,
    check_scenario,
    simulation_runs,
    start_run,
)
from domain.errors import InputError
from planning.scenario import Scenario

router = APIRouter(tags=["planning"], responses=error_responses(401, 403))
Planner = Annotated[Principal, allow(*AGGREGATE)]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Simulation run id.")]
ChartName = Literal["fan_chart", "cost", "shortfall"]
assert set(get_args(ChartName)) == set(CHARTS)

#: Runs queued or running at once before a new start is refused (409): one worker thread serves them all.
MAX_PENDING = 4
#: The largest scenario body accepted.
MAX_BODY_BYTES = 64 * 1024
JSON_TYPES = frozenset({"", "application/json"})
TOML_TYPES = frozenset({"application/toml", "text/toml", "application/x-toml", "text/x-toml"})
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


# --- answers ---------------------------------------------------------------------------------------


class Stat(BaseModel):
    """A figure over the replications: mean and the 10-90% band (null when no replication had it)."""

    mean: float | None
    p10: float | None
    p90: float | None


class Band(BaseModel):
    """A figure per period (one value per date of ``dates``): mean and the 10-90% band."""

    mean: list[float | None]
    p10: list[float | None]
    p90: list[float | None]


class Shortfall(BaseModel):
    """Children placed outside matching a year, ``[age band][carer type]``: mean and 10-90% band."""

    age_bands: list[str]
    carer_types: list[str]
    mean: list[list[float]]
    p10: list[list[float]]
    p90: list[list[float]]


class RunSummary(BaseModel):
    """A finished run's aggregate figures (what ``placematch simulate --json`` prints), nothing per child."""

    scenario: str = Field(description="The scenario's name.")
    replications: int = Field(description="Monte Carlo replications run.")
    dates: list[str] = Field(description="First day of each period (ISO dates).")
    per_step: dict[str, Band] = Field(
        description="Each measure per period: children in-house, kinship, IFA, residential and waiting, "
        "households, utilisation, weekly cost (GBP), arrivals, placements, distance..."
    )
    yearly_cost_gbp: dict[str, Stat] = Field(description="Cost of placements in each year of the horizon (GBP).")
    totals_per_year: dict[str, Stat] = Field(description="Flows a year, averaged over the horizon.")
    end_of_horizon: dict[str, Stat] = Field(description="Stocks on the last period.")
    sibling_groups_together_share: Stat = Field(description="Share of sibling groups placed together.")
    local_share: Stat = Field(description="Share of placements within the policy's local distance.")
    mean_distance_km: Stat = Field(description="Mean distance from home of a placement (km).")
    shortfall_per_year: Shortfall
    batch_status: dict[str, int] = Field(description="Batch solves by outcome (optimal, feasible...).")
    attrition_rate: Stat = Field(description="Carer loss a year drawn for the replications.")
    simulation_seconds: float
    batch_seconds: float


class PlotLinks(BaseModel):
    png: str
    svg: str


class PlanningRunBrief(BaseModel):
    """A simulation run: what was asked and how far it has got."""

    id: int = Field(description="Run id (in the service's memory: runs do not outlive a restart).")
    name: str = Field(description="The scenario's name.")
    status: Literal["queued", "running", "done", "failed"]
    stage: str = Field(description="What the run is doing (or did last).")
    progress: float = Field(ge=0, le=1, description="Fraction of the replications done, 0 to 1.")
    replications_done: int
    replications: int
    horizon_months: int
    time_step: str
    created_by: str = Field(description="Who started it.")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None = Field(description="Why it failed.")


class PlanningRunOut(PlanningRunBrief):
    """A run and, once done, its aggregate figures and the addresses of its charts."""

    summary: RunSummary | None = Field(description="The figures, once the run is done.")
    plots: dict[str, PlotLinks] = Field(description="Charts drawn so far, by name: `fan_chart`, `cost`, `shortfall`.")


def _brief(run: SimulationRun) -> dict[str, Any]:
    simulation = run.scenario.simulation
    error = run.error
    if error is not None and not run.scenario_error:
        error = "the simulation failed unexpectedly: the service log has the details"
    return {
        "id": run.id,
        "name": run.name,
        "status": run.status,
        "stage": run.stage,
        "progress": min(1.0, run.done / run.total) if run.total else 0.0,
        "replications_done": run.done,
        "replications": run.total,
        "horizon_months": simulation.horizon_months,
        "time_step": simulation.time_step,
        "created_by": run.owner,
        "started_at": run.created,
        "finished_at": run.finished,
        "error": error,
    }


def _out(run: SimulationRun) -> PlanningRunOut:
    done = run.status == "done" and run.summary is not None
    base = f"/planning/runs/{run.id}/plots"
    return PlanningRunOut.model_validate(
        {
            **_brief(run),
            # Only the listed figures: anything else a summary may carry stays in the service.
            "summary": RunSummary.model_validate(run.summary) if done else None,
            "plots": {name: {"png": f"{base}/{name}.png", "svg": f"{base}/{name}.svg"} for name in list(run.charts)},
        }
    )


def _run(services: Services, run_id: int) -> SimulationRun:
    run = simulation_runs(services).get(run_id)
    if run is None:
        raise ApiError(
            404,
            ["path", "run_id"],
            f"no simulation run {run_id} (runs are kept in the memory of the server process that started them,"
            " the last few)",
            "not_found",
        )
    return run


# --- the scenario body -----------------------------------------------------------------------------


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` written in place (the scenario models do not recurse)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk({**defs[ref.removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


def scenario_schema() -> dict[str, Any]:
    """The scenario model's schema as the API takes it: the service supplies the households, reads no files."""
    schema = _inline(copy.deepcopy(Scenario.model_json_schema()))
    properties = schema["properties"]
    for key in ("base_dir", "marginal"):
        properties.pop(key, None)
    schema["required"] = [k for k in schema.get("required", []) if k in ("demand",)]
    schema["title"] = "Scenario"
    schema["description"] = (
        "A scenario, with the keys of a scenario file (`fixtures/scenario-example.toml`). The households and "
        "waiting list are the service's current records, so `supply.snapshot` is not given; demand comes from "
        '`entries_per_year` or `ssda903_dir = "bundled sample"` (the synthetic returns). '
        f"At most {MAX_REPLICATIONS} replications and {MAX_HORIZON_MONTHS} months."
    )
    supply = properties["supply"]
    supply["properties"].pop("snapshot", None)
    supply["required"] = []
    demand = properties["demand"]
    demand["properties"].pop("model", None)
    demand["properties"]["ssda903_dir"] = {
        "type": "string",
        "enum": ["bundled sample"],
        "description": "Fit demand on the bundled synthetic SSDA903 returns.",
    }
    return schema


EXAMPLE = {
    "name": "four more sibling carers",
    "simulation": {"horizon_months": 12, "replications": 8, "seed": 2026},
    "demand": {"entries_per_year": 120},
    "recruitment": [{"carer_type": "mainstream", "per_year": 18, "sibling_approved_share": 0.6}],
    "costs": {"ifa_weekly_gbp": 780},
}
EXAMPLE_TOML = (
    'name = "four more sibling carers"\n\n[simulation]\nhorizon_months = 12\nreplications = 8\n\n'
    '[demand]\nentries_per_year = 120\n\n[[recruitment]]\ncarer_type = "mainstream"\nper_year = 18\n'
)


def _problems_error(error: InputError) -> JSONResponse:
    """422 naming each field: ``["body", "simulation", "replications"]``, with the scenario's problems."""
    items = []
    for problem in error.problems:
        parts = [int(p) if p.isdigit() else p for p in problem.field.split(".") if p] if problem.field else []
        items.append(ErrorItem(loc=["body", *parts], msg=problem.message, type="value_error"))
    return error_response(422, items, [ProblemItem(**p.as_dict()) for p in error.problems])


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    """The scenario document of a JSON or TOML body (``ApiError`` 415 or 422 when it is not one)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in JSON_TYPES and media not in TOML_TYPES and not media.endswith("+json"):
        raise ApiError(
            415, ["header", "Content-Type"], "send the scenario as application/json or application/toml", "media_type"
        )
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, ["body"], f"the scenario is larger than {MAX_BODY_BYTES // 1024} KiB", "too_large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, ["body"], "the scenario is not UTF-8 text", "value_error") from None
    raw: Any
    if media in TOML_TYPES:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ApiError(422, ["body"], f"not valid TOML: {error}", "value_error") from None
    else:
        try:
            raw = json.loads(text) if text.strip() else None
        except (ValueError, RecursionError):
            raise ApiError(422, ["body"], "not valid JSON", "value_error") from None
    if not isinstance(raw, dict):
        raise ApiError(422, ["body"], "the scenario must be an object (a table of sections)", "value_error")
    if "base_dir" in raw:
        raise ApiError(422, ["body", "base_dir"], "unknown key", "extra_forbidden")
    return raw


def _with_replications(raw: dict[str, Any], replications: int | None) -> dict[str, Any]:
    simulation = raw.get("simulation", {})
    if replications is None or not isinstance(simulation, dict):
        return raw  # a wrong [simulation] is reported by the scenario's own check
    return {**raw, "simulation": {**simulation, "replications": replications}}


# --- routes ----------------------------------------------------------------------------------------


@router.post(
    "/planning/runs",
    status_code=202,
    response_model=PlanningRunOut,
    responses={
        **error_responses(409, 422),
        413: {"model": ErrorBody, "description": "Scenario too large"},
        415: {"model": ErrorBody, "description": "Neither JSON nor TOML"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": scenario_schema(), "example": EXAMPLE},
                "application/toml": {
                    "schema": {"type": "string", "description": "The scenario file's TOML text."},
                    "example": EXAMPLE_TOML,
                },
            },
        }
    },
)
async def start_planning_run(
    request: Request,
    user: Planner,
    services: ServicesDep,
    repos: ReposDep,
    response: Response,
    replications: Annotated[
        int | None,
        Query(ge=1, le=MAX_REPLICATIONS, description="Replications to run (default: the scenario's own)."),
    ] = None,
) -> PlanningRunOut | Response:
    """Start a simulation on the service's current households and waiting list; answer at once (202) with
    its id, and `Location` to poll (`GET /planning/runs/{run_id}`).

    The body is a scenario, as JSON or as TOML text (`Content-Type: application/toml`). A wrong scenario
    is a 422 naming each field. Runs take turns on one worker: 409 while several are already waiting.
    """
    raw = _decode(await request.body(), request.headers.get("content-type", ""))
    raw = _with_replications(raw, replications)
    try:
        scenario = await run_in_threadpool(check_scenario, raw)
    except InputError as error:
        return _problems_error(error)
    try:
        run = await run_in_threadpool(start_run, services, repos, user, scenario, MAX_PENDING)
    except RunsBusy as error:
        raise ApiError(409, ["body"], str(error), "simulations_busy") from None
    response.headers["Location"] = f"/planning/runs/{run.id}"
    return _out(run)


@router.get("/planning/runs", response_model=ListPage[PlanningRunBrief])
def list_planning_runs(
    user: Planner, services: ServicesDep, limit: Limit = 50, offset: Offset = 0
) -> ListPage[PlanningRunBrief]:
    """Simulation runs kept in memory (the web pages' too), newest first."""
    runs = simulation_runs(services).all()
    page = runs[offset : offset + limit]
    return ListPage[PlanningRunBrief](items=[PlanningRunBrief.model_validate(_brief(r)) for r in page], total=len(runs))


@router.get("/planning/runs/{run_id}", response_model=PlanningRunOut, responses=error_responses(404))
def get_planning_run(user: Planner, services: ServicesDep, run_id: RunId) -> PlanningRunOut:
    """A run's status and progress; once done, its aggregate figures and the addresses of its charts."""
    return _out(_run(services, run_id))


@router.get(
    "/planning/runs/{run_id}/plots/{name}.{fmt}",
    response_class=Response,
    responses={
        200: {
            "description": "The chart.",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}, "image/svg+xml": {}},
        },
        **error_responses(404, 422),
    },
)
def get_planning_plot(
    user: Planner,
    services: ServicesDep,
    run_id: RunId,
    name: Annotated[ChartName, Path(description="The chart: `fan_chart`, `cost` or `shortfall`.")],
    fmt: Annotated[Literal["png", "svg"], Path(description="`png` or `svg`.")],
) -> Response:
    """A finished run's chart, as PNG or SVG (404 until the run has drawn it)."""
    run = _run(services, run_id)
    if name not in run.charts:
        raise ApiError(404, ["path", "name"], f"run {run_id} has no chart {name} (yet)", "not_found")
    return FileResponse(
        run.folder / f"{name}.{fmt}", media_type=MEDIA_TYPES[fmt], headers={"Cache-Control": "no-store"}
    )
