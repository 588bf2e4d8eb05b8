"""The nightly batch, run on demand by a manager (or the scheduler's API key), and its runs.

``POST /batch/runs`` starts a run in the background (202 with its id; 409 while another runs);
``GET /batch/runs/{run_id}`` shows its status, progress and figures; ``GET /batch/runs`` lists them.
``POST /batch`` runs one in the call and answers with the proposals (the CLI's batch JSON).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api import batch
from api.deps import CASEWORK, Limit, Offset, Principal, ReposDep, ServicesDep, allow
from api.errors import ApiError, error_responses
from api.schemas import Input, ListPage, PlacementOut
from store.repositories import Repositories


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At shutdown, let a background run finish storing (up to its time limit and a grace period)."""
    yield
    runner = app.state.services.extras.get("batch_runner")
    if isinstance(runner, batch.BatchRunner):
        await run_in_threadpool(runner.shutdown_wait)


router = APIRouter(tags=["batch"], responses=error_responses(401, 403, 422), lifespan=lifespan)
Manager = Annotated[Principal, allow("manager")]
Casework = Annotated[Principal, allow(*CASEWORK)]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Batch run id.")]


ExpectedDemand = Annotated[
    bool,
    Field(
        description="Solve the waiting list together with copies of the requests received in the last"
        " `expected_window_days` (weights), so homes the next children need most are kept for them where a"
        " waiting child is almost as well placed elsewhere, and keep room for sibling groups (`sibling_room_kept`):"
        " a child goes to a home with room for fewer children where almost as well placed there. Neither ever"
        " takes a home from a waiting child, and the copies are never proposed."
    ),
]


class BatchIn(Input):
    time_limit_s: float = Field(default=10.0, ge=0.5, le=300, description="Seconds the solver may take.")
    dry_run: bool = Field(default=False, description="Solve only; store no proposals and no run.")
    expected_demand: ExpectedDemand = False


class BatchRunIn(Input):
    """How hard the run tries; omitted fields take the solver's defaults."""

    time_limit_s: float = Field(default=10.0, ge=0.5, le=300, description="Seconds the whole run may take.")
    top_k: int | None = Field(
        default=None, ge=1, le=200, description="Candidate households kept per request part (default: by size)."
    )
    workers: int = Field(default=2, ge=1, le=16, description="Solver threads.")
    expected_demand: ExpectedDemand = False


class BatchMatchOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    request_id: str
    placements: list[PlacementOut]
    recommendation_id: int | None = Field(default=None, description="Accept or decline the proposal by this id.")


class BatchOut(BaseModel):
    """The CLI's batch answer (DESIGN.md), each stored match with its recommendation id."""

    model_config = ConfigDict(extra="allow")

    status: str
    objective: int
    bound: int
    gap: float
    matches: list[BatchMatchOut]
    unplaced: list[dict[str, str]]
    match_run_id: int | None = None


class BatchRunOut(BaseModel):
    """One batch run: what it saw and was asked, how it is going or went, and what it changed."""

    id: int = Field(description="Run id (a match run of kind `batch`).")
    status: Literal["running", "optimal", "feasible", "infeasible", "failed"] = Field(
        description="`running`, then `optimal` (proven best), `feasible` (time limit reached) or `failed`."
    )
    stage: str | None = Field(description="What the run is doing (or did last).")
    progress: float | None = Field(description="Fraction done, 0 to 1.")
    created_by: str = Field(description="Who started it.")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    parameters: dict[str, Any] = Field(description="Solver settings: time_limit_s, top_k, workers...")
    snapshot_hash: str | None = Field(description="sha256 of the canonical snapshot JSON the solver saw.")
    revision: int = Field(description="Snapshot revision the run read.")
    objective: int | None
    bound: int | None
    gap: float | None = Field(description="Relative gap to the best bound (0 when proven optimal).")
    children_placed: int | None = Field(description="Waiting children matched by the proposals.")
    children_waiting: int | None = Field(description="Waiting children the run considered.")
    levels: list[dict[str, Any]] | None = Field(description="Objective levels in strict order, with bounds.")
    timings: dict[str, float] | None = Field(description="Seconds per step.")
    proposals_added: int | None = Field(description="New open recommendations written.")
    proposals_kept: int | None = Field(description="Standing proposals left as they were.")
    proposals_withdrawn: int | None = Field(description="Standing proposals withdrawn as superseded.")
    scarcity_run_id: int | None = Field(description="The run whose scarcity prices stand after this one.")
    repeats_run_id: int | None = Field(
        description="Set when the run repeated an earlier run (same data and parameters) and changed nothing."
    )
    changed: bool | None = Field(description="Whether the run changed proposals or scarcity (None until stored).")
    error: str | None = Field(description="Why it failed.")


def _run(repos: Repositories, run_id: int) -> BatchRunOut:
    row = repos.batch_runs.get(run_id)
    if row is None:
        raise ApiError(404, ["path", "run_id"], f"no batch run {run_id}", "not_found")
    return BatchRunOut.model_validate(batch.run_json(row))


def _busy(error: batch.BatchRunning) -> ApiError:
    return ApiError(409, ["body"], error.message, "batch_running")


@router.post("/batch/runs", status_code=202, response_model=BatchRunOut, responses=error_responses(409))
def start_batch_run(
    user: Manager, services: ServicesDep, repos: ReposDep, data: BatchRunIn, response: Response
) -> BatchRunOut:
    """Start a batch run in the background and answer at once with its id (then poll `GET /batch/runs/{id}`).

    One run at a time: 409 while another is running. Its proposals become open recommendations; it
    never places a child.
    """
    parameters = batch.BatchParameters(
        time_limit_s=data.time_limit_s, top_k=data.top_k, workers=data.workers, expected_demand=data.expected_demand
    )
    try:
        run_id = batch.batch_runner(services).start(parameters, user)
    except batch.BatchRunning as error:
        raise _busy(error) from None
    response.headers["Location"] = f"/batch/runs/{run_id}"
    return _run(repos, run_id)


@router.get("/batch/runs", response_model=ListPage[BatchRunOut])
def list_batch_runs(
    user: Casework,
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[
        Literal["running", "optimal", "feasible", "failed"] | None, Query(description="Only runs in this status.")
    ] = None,
) -> ListPage[BatchRunOut]:
    """Batch runs, newest first."""
    page = repos.batch_runs.page(status=status, limit=limit, offset=offset)
    return ListPage[BatchRunOut](
        items=[BatchRunOut.model_validate(batch.run_json(r)) for r in page.items], total=page.total
    )


@router.get("/batch/runs/{run_id}", response_model=BatchRunOut, responses=error_responses(404))
def get_batch_run(user: Casework, repos: ReposDep, run_id: RunId) -> BatchRunOut:
    """One batch run: status (running, optimal, feasible, failed), progress and figures."""
    return _run(repos, run_id)


@router.post("/batch", response_model=BatchOut, responses=error_responses(409))
def run_batch(user: Manager, services: ServicesDep, data: BatchIn) -> dict[str, Any]:
    """One optimisation over every waiting request, in this call; the matches become open recommendations.

    It never places a child: a social worker accepts a proposal like any ranked option. The run is
    stored like a background one (`GET /batch/runs/{match_run_id}`); 409 while another run is going.
    """
    parameters = batch.BatchParameters(time_limit_s=data.time_limit_s, expected_demand=data.expected_demand)
    if data.dry_run:
        return batch.dry_run(services.database, parameters, services.today()).body
    try:
        return batch.batch_runner(services).run_now(parameters, user).body
    except batch.BatchRunning as error:
        raise _busy(error) from None
