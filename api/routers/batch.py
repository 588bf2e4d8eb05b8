"""The nightly batch, run on demand by a manager (or the scheduler's API key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api import batch
from api.deps import Principal, ReposDep, ServicesDep, allow
from api.errors import error_responses
from api.ranking import matching_cache
from api.schemas import Input, PlacementOut

router = APIRouter(tags=["batch"], responses=error_responses(401, 403, 422))


class BatchIn(Input):
    time_limit_s: float = Field(default=10.0, ge=0.5, le=300, description="Seconds the solver may take.")
    dry_run: bool = Field(default=False, description="Solve only; store no proposals.")


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


@router.post("/batch", response_model=BatchOut)
def run_batch(
    user: Annotated[Principal, allow("manager")], services: ServicesDep, repos: ReposDep, data: BatchIn
) -> dict[str, Any]:
    """One optimisation over every waiting request; the matches become open recommendations (proposals).

    It never places a child: a social worker accepts a proposal like any ranked option.
    """
    prepared = matching_cache(services).prepared(repos.session, services.snapshots, services.today())
    return batch.run(repos, prepared.index, prepared.revision, user, data.time_limit_s, store=not data.dry_run)
