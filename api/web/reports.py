"""The managers' outcomes report as a page (issue 10): the same report as ``GET /reports/outcomes``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.audit import record
from api.deps import ReposDep, Services, ServicesDep
from api.outcomes import build_report, default_period
from api.web.render import render
from api.web.session import PREFIX, ManagerPage, PageError
from domain.outcomes import DECLINE_REASON_TITLES, DISRUPTION_REASON_TITLES

router = APIRouter()
DayText = Annotated[str, Query(max_length=10)]
FromText = Annotated[str, Query(alias="from", max_length=10)]


def _day(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PageError(
            422, f"{name!r} is not a date", "Give dates as YYYY-MM-DD.", f"{PREFIX}/reports/outcomes", "Back"
        ) from None


def _period(services: Services, start: str, to: str) -> tuple[dt.date, dt.date]:
    first, last = default_period(services.today(), _day(start, "from"), _day(to, "to"))
    if last < first:
        raise PageError(
            422, "The period ends before it starts", f"{last} is before {first}.", f"{PREFIX}/reports/outcomes", "Back"
        )
    return first, last


@router.get("/reports/outcomes")
def outcomes_page(
    request: Request,
    user: ManagerPage,
    services: ServicesDep,
    repos: ReposDep,
    start: FromText = "",
    to: DayText = "",
) -> Response:
    """Outcomes after recommending, for managers; counts under 5 shown as "<5", and the report's charts."""
    from planning.outcome_plots import CHARTS

    first, last = _period(services, start, to)
    report = build_report(repos, first, last)
    record(repos, user, "report.outcomes", "report", None, detail={"from": first.isoformat(), "to": last.isoformat()})
    context = {
        "report": report,
        "first": first,
        "last": last,
        "decline_titles": DECLINE_REASON_TITLES,
        "disruption_titles": DISRUPTION_REASON_TITLES,
        "charts": CHARTS,
    }
    return render(request, "report_outcomes.html", context)


@router.get("/reports/outcomes/charts/{chart}.png")
def outcomes_chart(
    user: ManagerPage, services: ServicesDep, repos: ReposDep, chart: str, start: FromText = "", to: DayText = ""
) -> Response:
    """One chart of the report for the same period, as a PNG: drawn from the published (suppressed) figures
    only, so it shows no more than the page's tables."""
    from planning.outcome_plots import CHARTS, outcome_png

    if chart not in CHARTS:
        raise PageError(404, "No such chart", "The outcomes report has no such chart.", f"{PREFIX}/reports/outcomes")
    first, last = _period(services, start, to)
    png = outcome_png(build_report(repos, first, last), chart)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
