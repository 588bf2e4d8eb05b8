"""Aggregate figures for planners: counts only, never a child's record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import AGGREGATE, Principal, ReposDep, allow
from api.errors import error_responses
from api.schemas import Stats

router = APIRouter(tags=["stats"], responses=error_responses(401, 403))


@router.get("/stats", response_model=Stats)
def stats(user: Annotated[Principal, allow(*AGGREGATE)], repos: ReposDep) -> Stats:
    """Households and requests counted by status, provider, carer type, kind and urgency."""
    return Stats.model_validate(repos.stats.summary())
