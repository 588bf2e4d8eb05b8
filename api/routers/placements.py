"""Placements (issue 10): one child with one household, made when a recommendation is accepted or
imported from SSDA903 history; ended once, planned or unplanned (with the disruption reason).

Duty team and managers only: a placement names a child, so every read is an audit event.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.audit import record
from api.deps import CASEWORK, ID_PATTERN, Limit, Offset, Principal, ReposDep, allow
from api.errors import ApiError, error_responses
from api.schemas import ListPage
from api.schemas_outcomes import PlacementEndIn, PlacementRecordOut, PlannedEndIn
from domain.jsontypes import IsoDate
from store.errors import NotFound
from store.models import PlacementRow

router = APIRouter(prefix="/placements", tags=["placements"], responses=error_responses(401, 403, 422))
Casework = Annotated[Principal, allow(*CASEWORK)]
PlacementId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Placement id.")]
IdQuery = Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)]
DateQuery = Annotated[IsoDate | None, Query()]


def _row(repos: ReposDep, placement_id: int) -> PlacementRow:
    """The placement, or 404 naming the path's ``placement_id``."""
    try:
        return repos.placements.row(placement_id)
    except NotFound as error:
        raise ApiError(404, ["path", "placement_id"], str(error), "not_found") from None


def _out(row: PlacementRow) -> PlacementRecordOut:
    return PlacementRecordOut(
        id=row.id,
        child_id=row.child_id,
        household_id=row.household_id,
        request_id=row.request_id,
        recommendation_id=row.recommendation_id,
        source=row.source,
        provider=row.provider,
        started_on=row.started_on,
        planned_end_on=row.planned_end_on,
        ended_on=row.ended_on,
        ending=row.ending,
        disruption_reason=row.disruption_reason,
        distance_km=row.distance_km,
        siblings=row.siblings,
    )


@router.get("", response_model=ListPage[PlacementRecordOut])
def list_placements(
    user: Casework,
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    child_id: IdQuery = None,
    household_id: IdQuery = None,
    request_id: IdQuery = None,
    open: Annotated[bool | None, Query(description="true: still going; false: ended.")] = None,
    started_from: DateQuery = None,
    started_to: DateQuery = None,
) -> ListPage[PlacementRecordOut]:
    """Placements, latest start first, e.g. ``?child_id=C101`` or ``?household_id=H007&open=true``."""
    page = repos.placements.page(
        child_id=child_id,
        household_id=household_id,
        request_id=request_id,
        open_only=open,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        offset=offset,
    )
    record(
        repos,
        user,
        "placement.list",
        "placement",
        None,
        detail={"placements": [r.id for r in page.items], "children": sorted({r.child_id for r in page.items})},
    )
    return ListPage[PlacementRecordOut](items=[_out(r) for r in page.items], total=page.total)


@router.get("/{placement_id}", response_model=PlacementRecordOut, responses=error_responses(404))
def get_placement(user: Casework, repos: ReposDep, placement_id: PlacementId) -> PlacementRecordOut:
    """One placement."""
    row = _row(repos, placement_id)
    record(repos, user, "placement.read", "placement", str(placement_id), detail={"child_id": row.child_id})
    return _out(row)


@router.post("/{placement_id}/end", response_model=PlacementRecordOut, responses=error_responses(404, 409))
def end_placement(
    user: Casework, repos: ReposDep, placement_id: PlacementId, body: PlacementEndIn
) -> PlacementRecordOut:
    """End a placement: its last day, planned or unplanned, and an unplanned ending's reason.

    409 when it has already ended or would end before it started.
    """
    _row(repos, placement_id)
    row = repos.placements.end(
        placement_id,
        ended_on=body.ended_on,
        ending=body.ending,
        disruption_reason=body.disruption_reason,
        note=body.note,
        actor=user.username,
    )
    record(
        repos,
        user,
        "placement.end",
        "placement",
        str(placement_id),
        reason=body.note,
        detail={"child_id": row.child_id, "ending": body.ending, "disruption_reason": body.disruption_reason},
    )
    return _out(row)


@router.put("/{placement_id}/planned-end", response_model=PlacementRecordOut, responses=error_responses(404, 409))
def set_planned_end(
    user: Casework, repos: ReposDep, placement_id: PlacementId, body: PlannedEndIn
) -> PlacementRecordOut:
    """Set or clear the date a placement is planned to end (409 before its start)."""
    _row(repos, placement_id)
    row = repos.placements.set_planned_end(placement_id, body.planned_end_on)
    record(repos, user, "placement.planned_end", "placement", str(placement_id), detail={"child_id": row.child_id})
    return _out(row)
