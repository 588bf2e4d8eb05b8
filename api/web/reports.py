"""The managers' outcomes report as a page (issue 10): the same report as ``GET /reports/outcomes``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.audit import record
from api.deps import ReposDep, ServicesDep
from api.outcomes import build_report, default_period
from api.web.render import render
from api.web.session import PREFIX, ManagerPage, PageError
from domain.outcomes import DECLINE_REASON_TITLES, DISRUPTION_REASON_TITLES

router = APIRouter()
DayText = Annotated[str, Query(max_length=10)]


def _day(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PageError(
            422, f"{name!r} is not a date", "Give dates as YYYY-MM-DD.", f"{PREFIX}/reports/outcomes", "Back"
        ) from None


@router.get("/reports/outcomes")
def outcomes_page(
    request: Request,
    user: ManagerPage,
    services: ServicesDep,
    repos: ReposDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: DayText = "",
) -> Response:
    """Outcomes after recommending, for managers; counts under 5 shown as "<5"."""
    first, last = default_period(services.today(), _day(start, "from"), _day(to, "to"))
    if last < first:
        raise PageError(
            422, "The period ends before it starts", f"{last} is before {first}.", f"{PREFIX}/reports/outcomes", "Back"
        )
    report = build_report(repos, first, last)
    record(repos, user, "report.outcomes", "report", None, detail={"from": first.isoformat(), "to": last.isoformat()})
    context = {
        "report": report,
        "first": first,
        "last": last,
        "decline_titles": DECLINE_REASON_TITLES,
        "disruption_titles": DISRUPTION_REASON_TITLES,
    }
    return render(request, "report_outcomes.html", context)
