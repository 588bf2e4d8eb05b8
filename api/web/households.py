"""Household pages: the list, one household with its approval, hold and current children, and (for
managers) setting and releasing holds, through the same endpoint functions as the JSON API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import ID_PATTERN, IdPath, ReposDep, ServicesDep
from api.routers import households as households_router
from api.schemas import HoldIn
from api.web.render import redirect, render
from api.web.session import PREFIX, HouseholdPage, ManagerPage, PageError
from domain.vocab import CARER_TYPES, CarerType, Provider

router = APIRouter()

PAGE_SIZE = 50
STATUSES = ("active", "on_hold", "deregistered")


@router.get("/households")
def household_list(
    request: Request,
    user: HouseholdPage,
    repos: ReposDep,
    status: Annotated[str | None, Query(pattern=r"^(active|on_hold|deregistered)?$")] = None,
    provider: Annotated[str | None, Query(pattern=r"^(in_house|ifa)?$")] = None,
    carer_type: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Households with filters, fifty to a page (read through ``GET /households``, audited the same)."""
    kind: CarerType | None = None
    if carer_type:
        if carer_type not in CARER_TYPES:
            raise PageError(422, "Unknown carer type", f"{carer_type} is not a carer type.", f"{PREFIX}/households")
        kind = carer_type  # type: ignore[assignment]  # checked against the vocabulary just above
    where: Provider | None = provider or None  # type: ignore[assignment]  # the query pattern allows only these
    found = households_router.list_households(
        user, repos, PAGE_SIZE, (page - 1) * PAGE_SIZE, status or None, where, kind
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    filters = {"status": status or "", "provider": provider or "", "carer_type": carer_type or ""}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(
        request,
        "households.html",
        {
            "households": found.items,
            "total": found.total,
            "page": page,
            "pages": pages,
            "filters": filters,
            "query": query,
            "statuses": STATUSES,
            "carer_types": CARER_TYPES,
        },
    )


@router.get("/households/{household_id}")
def household_detail(
    request: Request, user: HouseholdPage, services: ServicesDep, repos: ReposDep, household_id: IdPath
) -> Response:
    """One household: record, terms of approval, hold, current children (each read audited as the API does)."""
    household = households_router.get_household(user, repos, household_id)
    current = households_router.list_current_children(user, repos, household_id)
    hold = repos.households.hold(household_id)
    form: dict[str, Any] = {"reason": "", "until": "", "reserved_for_request": ""}
    return render(
        request,
        "household.html",
        {
            "household": household,
            "current": current,
            "hold": hold,
            "can_hold": user.role == "manager",
            "form": form,
            "errors": [],
            "today": services.today(),
        },
    )


@router.post("/households/{household_id}/hold")
def place_hold(
    request: Request,
    user: ManagerPage,
    services: ServicesDep,
    repos: ReposDep,
    household_id: IdPath,
    reason: Annotated[str, Form(max_length=2000)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
    reserved_for_request: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Put the household on hold (managers), optionally keeping it for one request."""
    back = f"{PREFIX}/households/{household_id}"
    problems = []
    end: dt.date | None = None
    if until:
        try:
            end = dt.date.fromisoformat(until)
        except ValueError:
            problems.append("Until: give a date as YYYY-MM-DD.")
    reserved = reserved_for_request.strip() or None
    if reserved is not None and not _is_id(reserved):
        problems.append("Reserved for request: a request id such as R001.")
    if not reason.strip():
        problems.append("Reason: say why the household is held.")
    data = None
    if not problems:
        try:
            data = HoldIn(reason=reason.strip(), until=end, reserved_for_request=reserved, starts_on=services.today())
        except ValidationError as error:
            problems += [f"{'.'.join(map(str, e['loc'])) or 'hold'}: {e['msg']}" for e in error.errors()]
    if problems or data is None:
        raise PageError(422, "The hold was not set", " ".join(problems), back)
    households_router.place_hold(user, services, repos, household_id, data)
    return redirect(back, f"Household {household_id} is on hold.")


@router.post("/households/{household_id}/hold/release")
def release_hold(user: ManagerPage, repos: ReposDep, household_id: IdPath) -> Response:
    """Release the hold in force (managers)."""
    households_router.release_hold(user, repos, household_id)
    return redirect(f"{PREFIX}/households/{household_id}", f"The hold on household {household_id} is released.")


def _is_id(value: str) -> bool:
    return re.fullmatch(ID_PATTERN, value) is not None and len(value) <= 64
