"""Managers' reports (issue 10): outcomes after recommending, and where choices disagree with the weights.

Aggregates only, with counts under 5 shown as ``"<5"``; reading a report is an audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.audit import record
from api.deps import Principal, ReposDep, ServicesDep, allow
from api.errors import ApiError, error_responses
from api.outcomes import build_report, default_period
from api.schemas_outcomes import OutcomesReportOut
from domain.jsontypes import IsoDate

router = APIRouter(prefix="/reports", tags=["reports"], responses=error_responses(401, 403, 422))
Manager = Annotated[Principal, allow("manager")]
From = Annotated[IsoDate | None, Query(alias="from", description="First day (ISO); default a year before `to`.")]
To = Annotated[IsoDate | None, Query(description="Last day (ISO); default today.")]


def _period(services: ServicesDep, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    first, last = default_period(services.today(), start, end)
    if last < first:
        raise ApiError(422, ["query", "to"], f"the period ends ({last}) before it starts ({first})", "value_error")
    return first, last


@router.get("/outcomes", response_model=OutcomesReportOut)
def outcomes(
    user: Manager, services: ServicesDep, repos: ReposDep, start: From = None, to: To = None
) -> dict[str, Any]:
    """Acceptance by rank, choices other than rank 1, unplanned endings, stability against the national
    figure, breakdowns by age band, disability, ethnicity and sibling group size, and the weight review."""
    first, last = _period(services, start, to)
    report = build_report(repos, first, last)
    record(repos, user, "report.outcomes", "report", None, detail={"from": first.isoformat(), "to": last.isoformat()})
    return report


@router.get("/weights")
def weights(user: Manager, services: ServicesDep, repos: ReposDep, start: From = None, to: To = None) -> dict[str, Any]:
    """The weight review alone: which weights the duty team's choices disagree with, and the data."""
    first, last = _period(services, start, to)
    review: dict[str, Any] = build_report(repos, first, last)["weight_review"]
    record(repos, user, "report.weights", "report", None, detail={"from": first.isoformat(), "to": last.isoformat()})
    return {"period": {"from": first.isoformat(), "to": last.isoformat()}, **review}
