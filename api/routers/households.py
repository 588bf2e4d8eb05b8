"""Households: records and terms of approval (admin), holds (manager), current children (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.audit import record
from api.deps import CASEWORK, HOUSEHOLD_READERS, IdPath, Limit, Offset, Principal, ReposDep, ServicesDep, allow
from api.errors import body_error, error_responses
from api.schemas import HoldIn, HoldOut, HouseholdRecord, ListPage
from domain.snapshot import Approval, CurrentChild, Household
from domain.vocab import CarerType, Provider
from store.errors import NotFound
from store.models import HoldRow
from store.repositories import Repositories

router = APIRouter(prefix="/households", tags=["households"], responses=error_responses(401, 403, 422))

HouseholdStatus = Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$", description="e.g. `active`.")]


def _hold_out(hold: HoldRow) -> HoldOut:
    return HoldOut(
        household_id=hold.household_id,
        reason=hold.reason,
        starts_on=hold.starts_on,
        until=hold.until,
        reserved_for_request=hold.reserved_for_request,
        created_by=hold.created_by,
        created_at=hold.created_at,
    )


def _with_record(repos: Repositories, data: HouseholdRecord, actor: str, existing: Household | None) -> Household:
    """A full household from a record: the hold and current children stay as they are."""
    household = Household.model_validate(
        {
            **data.model_dump(),
            "hold": existing.hold if existing else None,
            "current_children": existing.current_children if existing else [],
        }
    )
    return repos.households.put(household, actor, record_only=existing is not None)


@router.get("", response_model=ListPage[Household])
def list_households(
    user: Annotated[Principal, allow(*HOUSEHOLD_READERS)],
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: HouseholdStatus = None,
    provider: Provider | None = None,
    carer_type: CarerType | None = None,
) -> ListPage[Household]:
    """Households, by id, with filters."""
    page = repos.households.page(status=status, provider=provider, carer_type=carer_type, limit=limit, offset=offset)
    record(repos, user, "household.list", "household", None, detail={"households": [h.id for h in page.items]})
    return ListPage[Household](items=page.items, total=page.total)


@router.post("", response_model=Household, status_code=201, responses=error_responses(409))
def create_household(user: Annotated[Principal, allow("admin")], repos: ReposDep, data: HouseholdRecord) -> Household:
    """Register a household (no hold, no children yet)."""
    if repos.households.exists(data.id):
        raise body_error("id", f"household {data.id} already exists", 409, "conflict")
    created = _with_record(repos, data, user.username, None)
    record(repos, user, "household.create", "household", data.id)
    return created


@router.get("/{household_id}", response_model=Household, responses=error_responses(404))
def get_household(
    user: Annotated[Principal, allow(*HOUSEHOLD_READERS)], repos: ReposDep, household_id: IdPath
) -> Household:
    """One household with its approval, hold and current children."""
    household = repos.households.get(household_id)
    record(repos, user, "household.read", "household", household_id)
    return household


@router.put("/{household_id}", response_model=Household, responses=error_responses(404))
def replace_household(
    user: Annotated[Principal, allow("admin")], repos: ReposDep, household_id: IdPath, data: HouseholdRecord
) -> Household:
    """Replace a household's record and approval (not its hold or current children)."""
    if data.id != household_id:
        raise body_error("id", f"the body's id {data.id} is not the path's {household_id}")
    existing = repos.households.get(household_id)
    updated = _with_record(repos, data, user.username, existing)
    record(repos, user, "household.update", "household", household_id)
    return updated


@router.delete("/{household_id}", status_code=204, responses=error_responses(404, 409))
def delete_household(user: Annotated[Principal, allow("admin")], repos: ReposDep, household_id: IdPath) -> Response:
    """Delete a household never recommended (otherwise deregister it by its status)."""
    repos.households.delete(household_id)
    record(repos, user, "household.delete", "household", household_id)
    return Response(status_code=204)


@router.put("/{household_id}/approval", response_model=Household, responses=error_responses(404))
def set_approval(
    user: Annotated[Principal, allow("admin")], repos: ReposDep, household_id: IdPath, approval: Approval
) -> Household:
    """Replace a household's terms of approval (ages must be in order: 422 otherwise)."""
    updated = repos.households.set_approval(household_id, approval)
    record(repos, user, "household.approval", "household", household_id)
    return updated


@router.get("/{household_id}/hold", response_model=HoldOut, responses=error_responses(404))
def get_hold(user: Annotated[Principal, allow(*CASEWORK)], repos: ReposDep, household_id: IdPath) -> HoldOut:
    """The hold in force on a household (404 when it is not held)."""
    hold = repos.households.hold(household_id)
    if hold is None:
        raise NotFound("hold on household", household_id)
    return _hold_out(hold)


@router.post("/{household_id}/hold", response_model=HoldOut, status_code=201, responses=error_responses(404, 409))
def place_hold(
    user: Annotated[Principal, allow("manager")],
    services: ServicesDep,
    repos: ReposDep,
    household_id: IdPath,
    data: HoldIn,
) -> HoldOut:
    """Hold a household (managers): nobody may use it but the request it is reserved for, if any."""
    if data.reserved_for_request is not None and not repos.requests.exists(data.reserved_for_request):
        raise body_error("reserved_for_request", f"no request {data.reserved_for_request}")
    hold = repos.households.place_hold(
        household_id,
        reason=data.reason,
        starts_on=data.starts_on or services.today(),
        until=data.until,
        reserved_for_request=data.reserved_for_request,
        actor=user.username,
    )
    record(
        repos,
        user,
        "household.hold",
        "household",
        household_id,
        reason=data.reason or None,
        detail={"reserved_for_request": data.reserved_for_request},
    )
    return _hold_out(hold)


@router.delete("/{household_id}/hold", response_model=HoldOut, responses=error_responses(404))
def release_hold(user: Annotated[Principal, allow("manager")], repos: ReposDep, household_id: IdPath) -> HoldOut:
    """Release the hold in force (managers)."""
    hold = repos.households.release_hold(household_id, user.username)
    record(repos, user, "household.release", "household", household_id)
    return _hold_out(hold)


@router.get("/{household_id}/children", response_model=list[CurrentChild], responses=error_responses(404))
def list_current_children(
    user: Annotated[Principal, allow(*HOUSEHOLD_READERS)], repos: ReposDep, household_id: IdPath
) -> list[CurrentChild]:
    """The foster children living in a household."""
    children = repos.households.get(household_id).current_children
    record(
        repos,
        user,
        "household.children.read",
        "household",
        household_id,
        detail={"children": [c.child_id for c in children]},
    )
    return children


@router.post(
    "/{household_id}/children", response_model=list[CurrentChild], status_code=201, responses=error_responses(404, 409)
)
def add_current_child(
    user: Annotated[Principal, allow("admin")],
    services: ServicesDep,
    repos: ReposDep,
    household_id: IdPath,
    child: CurrentChild,
) -> list[CurrentChild]:
    """Record a foster child already living in a household (placed outside this service)."""
    repos.households.add_current_child(household_id, child, services.today())
    record(repos, user, "household.children.add", "household", household_id, detail={"child_id": child.child_id})
    return repos.households.get(household_id).current_children


@router.delete("/{household_id}/children/{child_id}", status_code=204, responses=error_responses(404))
def remove_current_child(
    user: Annotated[Principal, allow("admin")], repos: ReposDep, household_id: IdPath, child_id: IdPath
) -> Response:
    """Record that a foster child has left a household."""
    repos.households.remove_current_child(household_id, child_id)
    record(repos, user, "household.children.remove", "household", household_id, detail={"child_id": child_id})
    return Response(status_code=204)
