"""Placement requests, ranking and why-not (duty team and managers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api import ranking
from api.audit import record
from api.deps import (
    CASEWORK,
    Caller,
    IdPath,
    Limit,
    Offset,
    Principal,
    ReposDep,
    ServicesDep,
    allow,
    allow_caller,
)
from api.errors import ApiError, body_error, error_responses
from api.schemas import ListPage, RankOut, WhyNotOut
from constraints.registry import RULES_BY_ID
from domain.snapshot import Request
from domain.vocab import PlacementKind, RequestStatus, Urgency
from store.repositories import OPEN_STATUSES, Repositories

router = APIRouter(prefix="/requests", tags=["requests"], responses=error_responses(401, 403, 422))
Casework = Annotated[Principal, allow(*CASEWORK)]


def _check(repos: Repositories, request: Request) -> None:
    """What the snapshot loader checks across records, for one request: known children, known rules,
    and no child already waiting in another open request."""
    if request.status == "placed":
        raise body_error("status", "a request becomes placed only by accepting a recommendation")
    missing = [c for c in request.children if c not in repos.children.existing(list(request.children))]
    if missing:
        raise body_error("children", f"no child {', '.join(missing)} on record")
    unknown = [r for r in request.allow_relaxations if r not in RULES_BY_ID]
    if unknown:
        raise body_error("allow_relaxations", f"unknown rule id {', '.join(unknown)}")
    if request.status in ("waiting", "proposed"):
        taken = repos.requests.open_requests_of(list(request.children), excluding=request.id)
        if taken:
            child_id, other = next(iter(taken.items()))
            raise body_error("children", f"child {child_id} is already waiting in request {other}", 409, "conflict")


@router.get("", response_model=ListPage[Request])
def list_requests(
    user: Casework,
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: RequestStatus | None = None,
    kind: PlacementKind | None = None,
    urgency: Urgency | None = None,
) -> ListPage[Request]:
    """Placement requests by id, e.g. ``?status=waiting``."""
    page = repos.requests.page(status=status, kind=kind, urgency=urgency, limit=limit, offset=offset)
    return ListPage[Request](items=page.items, total=page.total)


@router.post("", response_model=Request, status_code=201, responses=error_responses(409))
def create_request(user: Casework, repos: ReposDep, request: Request) -> Request:
    """Open a placement request for children on record."""
    if repos.requests.exists(request.id):
        raise body_error("id", f"request {request.id} already exists", 409, "conflict")
    _check(repos, request)
    created = repos.requests.create(request)
    record(repos, user, "request.create", "request", request.id, detail={"children": list(request.children)})
    return created


@router.get("/{request_id}", response_model=Request, responses=error_responses(404))
def get_request(user: Casework, repos: ReposDep, request_id: IdPath) -> Request:
    """One placement request."""
    return repos.requests.get(request_id)


@router.put("/{request_id}", response_model=Request, responses=error_responses(404, 409))
def replace_request(user: Casework, repos: ReposDep, request_id: IdPath, request: Request) -> Request:
    """Replace a request (its id stays)."""
    if request.id != request_id:
        raise body_error("id", f"the body's id {request.id} is not the path's {request_id}")
    current = repos.requests.get(request_id)
    if current.status == "placed":
        raise ApiError(
            409, ["path", "request_id"], f"request {request_id} is placed; it can no longer change", "conflict"
        )
    _check(repos, request)
    updated = repos.requests.put(request)
    record(repos, user, "request.update", "request", request_id, detail={"children": list(request.children)})
    return updated


@router.delete("/{request_id}", status_code=204, responses=error_responses(404, 409))
def withdraw_request(user: Casework, repos: ReposDep, request_id: IdPath) -> Response:
    """Withdraw a waiting request: it stays on record as ``withdrawn``; its open recommendations are withdrawn."""
    current = repos.requests.get(request_id)
    if current.status not in OPEN_STATUSES:
        raise ApiError(409, ["path", "request_id"], f"request {request_id} is {current.status}", "conflict")
    repos.requests.set_status(request_id, "withdrawn")
    withdrawn = repos.recommendations.withdraw_open_for_request(request_id, f"request {request_id} was withdrawn")
    record(repos, user, "request.withdraw", "request", request_id, detail={"recommendations_withdrawn": withdrawn})
    return Response(status_code=204)


@router.post("/{request_id}/rank", response_model=RankOut, responses=error_responses(404, 409))
async def rank_request(
    caller: Annotated[Caller, allow_caller(*CASEWORK)],
    request_id: IdPath,
    top: Annotated[int, Query(ge=1, le=50, description="How many options to rank.")] = 5,
) -> Response:
    """Rank households for a waiting request: options with reasons, every excluded household with its rules.

    Each option is kept as a recommendation; accept or decline it by its ``recommendation_id``.
    """
    services = caller.services
    top = min(top, services.settings.rank_top_max)

    def work(user: Principal, repos: Repositories, on_loop: bool) -> bytes:
        return ranking.rank(services, repos, user, request_id, top, compute=not on_loop).to_json_bytes()

    # The service's hottest call: the caller's check, the rank and its audit event in one transaction, on
    # the event loop when the answer is kept (SQLite), else in a worker thread (``Caller``). The answer is
    # serialised directly: it lists every household of the council, and re-validating it against RankOut
    # on every call would cost more than the rest of the call (schemathesis checks the shape).
    return Response(await caller.run(work), media_type="application/json")


@router.get("/{request_id}/why-not/{household_id}", response_model=WhyNotOut, responses=error_responses(404))
def why_not(
    user: Casework, services: ServicesDep, repos: ReposDep, request_id: IdPath, household_id: IdPath
) -> dict[str, Any]:
    """Why a household is not ranked for a request, or not higher: the rules it breaks, the points it loses."""
    return ranking.explain(services, repos, user, request_id, household_id)
