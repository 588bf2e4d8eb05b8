"""Recommendations (stored ranked options) and the decisions on them (duty team and managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import decisions
from api.audit import record
from api.deps import CASEWORK, ID_PATTERN, Limit, Offset, Principal, ReposDep, ServicesDep, allow
from api.errors import body_error, error_responses
from api.schemas import DecisionIn, DecisionOut, ListPage, RecommendationOut
from store.models import RecommendationRow

router = APIRouter(prefix="/recommendations", tags=["recommendations"], responses=error_responses(401, 403, 422))
Casework = Annotated[Principal, allow(*CASEWORK)]
RecommendationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Recommendation id.")]
RecommendationStatus = Annotated[str | None, Query(pattern="^(open|accepted|declined|withdrawn)$")]


def _out(row: RecommendationRow) -> RecommendationOut:
    option = dict(row.option)
    option.update(
        recommendation_id=row.id,
        request_id=row.request_id,
        status=row.status,
        status_note=row.status_note,
        created_at=row.created_at,
    )
    return RecommendationOut.model_validate(option)


@router.get("", response_model=ListPage[RecommendationOut])
def list_recommendations(
    user: Casework,
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    request_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    status: RecommendationStatus = None,
) -> ListPage[RecommendationOut]:
    """Recommendations, newest first, e.g. ``?request_id=R001&status=open``."""
    page = repos.recommendations.page(request_id=request_id, status=status, limit=limit, offset=offset)
    record(
        repos,
        user,
        "recommendation.list",
        "recommendation",
        None,
        detail={"recommendations": [r.id for r in page.items]},
    )
    return ListPage[RecommendationOut](items=[_out(r) for r in page.items], total=page.total)


@router.get("/{recommendation_id}", response_model=RecommendationOut, responses=error_responses(404))
def get_recommendation(user: Casework, repos: ReposDep, recommendation_id: RecommendationId) -> RecommendationOut:
    """One recommendation, with its status."""
    row = repos.recommendations.row(recommendation_id)
    record(repos, user, "recommendation.read", "recommendation", str(recommendation_id))
    return _out(row)


@router.post("/{recommendation_id}/accept", response_model=DecisionOut, responses=error_responses(404, 409))
def accept(
    user: Casework, services: ServicesDep, repos: ReposDep, recommendation_id: RecommendationId, decision: DecisionIn
) -> DecisionOut:
    """Accept: the children move in, the request is placed, options that can no longer hold are withdrawn.

    409 when another decision got there first (the household is full, the request is placed...), with
    the reason. An option relaxing a hard rule needs a manager. The decision records the rank chosen and
    the rank-1 option; each child placed gets a placement record (``/placements``).
    """
    if decision.reason_code is not None:
        raise body_error("reason_code", "a reason code is for declines; an accept gives its reason as text")
    return decisions.accept(services, repos, user, recommendation_id, decision.reason)


@router.post("/{recommendation_id}/decline", response_model=DecisionOut, responses=error_responses(404, 409))
def decline(
    user: Casework, services: ServicesDep, repos: ReposDep, recommendation_id: RecommendationId, decision: DecisionIn
) -> DecisionOut:
    """Decline, with a reason code (``other`` when omitted) and the reason; the request keeps waiting."""
    return decisions.decline(services, repos, user, recommendation_id, decision.reason, decision.reason_code or "other")
