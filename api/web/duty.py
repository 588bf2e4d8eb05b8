"""The duty team's pages: the waiting list, a request with its ranked options, why-not, decisions and
the nightly batch's proposals.

Every page calls the same functions as the JSON API (the routers' own endpoint functions, or the
workflows they call: ``api.ranking``, ``api.decisions``, ``api.batch``), so a page and the API can
never disagree, and every read of a child's record is audited exactly as ``GET /children/{id}`` is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from api import ranking
from api.batch import BATCH
from api.deps import ID_PATTERN, IdPath, Principal, ReposDep, Services, ServicesDep
from api.errors import ApiError
from api.routers import batch as batch_router
from api.routers import children as children_router
from api.routers import recommendations as recommendations_router
from api.routers import requests as requests_router
from api.schemas import DecisionIn
from api.web.render import redirect, render, templates
from api.web.session import PREFIX, CaseworkPage, ManagerPage, PageError
from constraints.registry import RULES_BY_ID
from domain.ages import age_on
from domain.geo import haversine_km
from domain.outcomes import DECLINE_REASON_TITLES, DECLINE_REASONS
from domain.snapshot import Child
from domain.snapshot import Request as PlacementRequest
from matching.index import SnapshotIndex
from scoring.registry import CRITERIA
from store.errors import NotFound
from store.models import RecommendationRow
from store.repositories import MAX_PAGE, OPEN_STATUSES, Repositories

router = APIRouter()

#: The waiting list's order: the most urgent first.
URGENCY_ORDER = {"today": 0, "within_5_days": 1, "planned": 2}
#: How many options a duty worker may ask for on the page.
TOP_CHOICES = (5, 10, 20)
DEFAULT_TOP = 5
CRITERION_TITLES = {c.id: c.title for c in CRITERIA} | {
    "siblings_together": "Siblings kept together",
    "relaxation": "Rule set aside",
}
RecommendationId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The decline reasons offered beside each option (issue 10).
templates.env.globals["decline_reasons"] = DECLINE_REASON_TITLES


def rule_title(rule_id: str) -> str:
    rule = RULES_BY_ID.get(rule_id)
    return rule.title if rule is not None else rule_id.replace("_", " ")


def days_waiting(request: PlacementRequest, today: dt.date) -> int:
    return max(0, (today - (request.received_on or today)).days)


def open_requests(user: Principal, repos: Repositories) -> list[PlacementRequest]:
    """Every open request (waiting or proposed), read through the API's list endpoint, page by page."""
    found: list[PlacementRequest] = []
    for status in OPEN_STATUSES:
        offset = 0
        while True:
            page = requests_router.list_requests(user, repos, MAX_PAGE, offset, status, None, None)  # type: ignore[arg-type]
            found += page.items
            offset += MAX_PAGE
            if offset >= page.total or not page.items:
                break
    return found


def batch_proposals(repos: Repositories) -> dict[str, list[RecommendationRow]]:
    """The nightly batch's standing proposals (open recommendations of batch runs), by request."""
    proposals: dict[str, list[RecommendationRow]] = {}
    for row in repos.recommendations.open_from_runs_of_kind(BATCH):
        proposals.setdefault(row.request_id, []).append(row)
    return proposals


def latest_batch_run(user: Principal, repos: Repositories) -> batch_router.BatchRunOut | None:
    """The newest batch run, whatever its status (read through ``GET /batch/runs``)."""
    runs = batch_router.list_batch_runs(user, repos, 1, 0, None)
    return runs.items[0] if runs.items else None


def option_view(option: dict[str, Any], index: SnapshotIndex) -> dict[str, Any]:
    """An option as the page shows it: per household the children placed, their distances, the cost."""
    by_household: dict[str, list[str]] = {}
    for placement in option["placements"]:
        by_household.setdefault(placement["household_id"], []).append(placement["child_id"])
    homes = []
    for household_id, child_ids in by_household.items():
        household = index.household(household_id)
        distances = []
        for child_id in child_ids:
            child = index.children.get(child_id)
            km = None
            if child is not None and child.location is not None:
                km = haversine_km(
                    child.location.lat, child.location.lon, household.location.lat, household.location.lon
                )
            distances.append({"child_id": child_id, "km": km})
        homes.append(
            {
                "id": household_id,
                "provider": household.provider,
                "carer_type": household.carer_type,
                "weekly_cost_gbp": household.weekly_cost_gbp,
                "district": household.location.postcode_district,
                "distances": distances,
            }
        )
    criteria = [
        {**c, "title": CRITERION_TITLES.get(c["id"], c["id"].replace("_", " "))}
        for c in sorted(option.get("criteria", []), key=lambda c: -abs(int(c["points"])))
    ]
    relaxations = [{**r, "title": rule_title(r["id"])} for r in option.get("relaxations", [])]
    return {**option, "homes": homes, "criteria": criteria, "relaxations": relaxations}


def excluded_view(excluded: list[dict[str, Any]]) -> dict[str, Any]:
    """Excluded households with their rules (titled), and how many households each rule excludes."""
    counts: Counter[str] = Counter()
    rows = []
    for entry in excluded:
        rules = [{**r, "title": rule_title(r["id"])} for r in entry["rules"]]
        counts.update(r["id"] for r in entry["rules"])
        rows.append({"household_id": entry["household_id"], "rules": rules})
    by_rule = [{"id": rule_id, "title": rule_title(rule_id), "count": n} for rule_id, n in counts.most_common()]
    return {"rows": rows, "by_rule": by_rule, "total": len(rows)}


def child_view(child: Child, needed_by: dt.date) -> dict[str, Any]:
    return {"child": child, "age": age_on(child.date_of_birth, needed_by)}


def request_page(
    request: Request,
    user: Principal,
    services: Services,
    repos: Repositories,
    request_id: str,
    ranked: dict[str, Any] | None = None,
    top: int = DEFAULT_TOP,
    status_code: int = 200,
) -> Response:
    """The request page: the request, its children (an audited read of each record), the last batch's
    proposal, the decision when placed, and the ranked options when ``ranked`` is given."""
    placement_request = requests_router.get_request(user, repos, request_id)
    today = services.today()
    children = [
        child_view(children_router.get_child(user, repos, child_id), placement_request.needed_by)
        for child_id in placement_request.children
    ]
    index = ranking.matching_cache(services).prepared(repos.session, services.snapshots, today).index
    standing = batch_proposals(repos)
    proposals = [
        {**option_view(row.option, index), "recommendation_id": row.id, "created_at": row.created_at}
        for row in standing.get(request_id, [])
    ]
    decision = None
    if placement_request.status == "placed":
        accepted = recommendations_router.list_recommendations(user, repos, 1, 0, request_id, "accepted")
        if accepted.items:
            chosen = accepted.items[0]
            made = repos.recommendations.decisions(chosen.recommendation_id)
            decision = {"recommendation": chosen, "decision": made[-1] if made else None}
    context = {
        "req": placement_request,
        "children": children,
        "days_waiting": days_waiting(placement_request, today),
        "is_open": placement_request.status in OPEN_STATUSES,
        "proposals": proposals,
        "last_run": latest_batch_run(user, repos),
        "decision": decision,
        "top": top,
        "top_choices": TOP_CHOICES,
        "ranked": None,
        "can_sign_off": user.role == "manager",
    }
    if ranked is not None:
        context["ranked"] = {
            "status": ranked["status"],
            "options": [option_view(o, index) for o in ranked["options"]],
            "excluded": excluded_view(ranked["excluded"]),
        }
    return render(request, "request.html", context, status_code)


@router.get("/requests")
def waiting_list(request: Request, user: CaseworkPage, services: ServicesDep, repos: ReposDep) -> Response:
    """Waiting requests, the most urgent first, with days waiting and whether the batch proposed a home."""
    today = services.today()
    proposals = batch_proposals(repos)
    waiting = sorted(
        open_requests(user, repos),
        key=lambda r: (URGENCY_ORDER.get(r.urgency, 9), r.needed_by, -r.priority, -days_waiting(r, today), r.id),
    )
    rows = [
        {
            "req": r,
            "days_waiting": days_waiting(r, today),
            "overdue": r.needed_by < today,
            "proposed": r.id in proposals,
        }
        for r in waiting
    ]
    counts = Counter(r.urgency for r in waiting)
    context = {
        "rows": rows,
        "counts": counts,
        "proposals": sum(len(p) for p in proposals.values()),
        "last_run": latest_batch_run(user, repos),
    }
    return render(request, "requests.html", context)


@router.get("/requests/{request_id}")
def request_detail(
    request: Request, user: CaseworkPage, services: ServicesDep, repos: ReposDep, request_id: IdPath
) -> Response:
    return request_page(request, user, services, repos, request_id)


@router.post("/requests/{request_id}/rank")
def rank(
    request: Request,
    user: CaseworkPage,
    services: ServicesDep,
    repos: ReposDep,
    request_id: IdPath,
    top: Annotated[int, Form(ge=1, le=50)] = DEFAULT_TOP,
) -> Response:
    """Rank households for the request (stored as recommendations, as ``POST /requests/{id}/rank`` does)."""
    try:
        ranked = ranking.rank(services, repos, user, request_id, min(top, services.settings.rank_top_max))
    except ApiError as error:
        raise PageError(
            error.status, "Cannot rank this request", error.msg, f"{PREFIX}/requests/{request_id}"
        ) from None
    return request_page(request, user, services, repos, request_id, ranked.answer, top)


@router.get("/requests/{request_id}/why-not")
def why_not(
    request: Request,
    user: CaseworkPage,
    services: ServicesDep,
    repos: ReposDep,
    request_id: IdPath,
    household_id: Annotated[str, Query(min_length=1, max_length=64, pattern=ID_PATTERN)],
    fragment: bool = False,
) -> Response:
    """Why a household is not ranked (or not higher) for the request: as a fragment for the page's box,
    or as a page of its own without JavaScript."""
    answer: dict[str, Any] | None = None
    problem = None
    try:
        answer = requests_router.why_not(user, services, repos, request_id, household_id)
    except ApiError as error:
        problem = error.msg
    except NotFound as error:
        problem = str(error)
    if answer is not None:
        answer = {
            **answer,
            "rules": [{**r, "title": rule_title(r["id"])} for r in answer.get("rules", [])],
            "losses": answer.get("losses", []),
        }
    context = {"request_id": request_id, "household_id": household_id, "answer": answer, "problem": problem}
    return render(request, "whynot_fragment.html" if fragment else "whynot.html", context)


@router.post("/recommendations/{recommendation_id}/{outcome}")
def decide(
    request: Request,
    user: CaseworkPage,
    services: ServicesDep,
    repos: ReposDep,
    recommendation_id: RecommendationId,
    outcome: Literal["accept", "decline"],
    reason: Annotated[str, Form(max_length=2000)] = "",
    reason_code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Accept or decline a recommendation with a reason (the API's decision workflow, same checks):
    a decision that can no longer hold is refused with the reason, and nothing changes. A decline
    carries a reason code (``other`` when none is chosen); an accept ignores it."""
    request_id = repos.recommendations.row(recommendation_id).request_id
    back = f"{PREFIX}/requests/{request_id}"
    verb = "accepted" if outcome == "accept" else "declined"
    if not reason.strip():
        raise PageError(
            422,
            f"Not {verb}: a reason is required",
            "Say why, in the reason box: it is kept in the audit trail.",
            back,
            f"Back to request {request_id}",
        )
    code = reason_code.strip() or None
    if outcome == "decline" and code is not None and code not in DECLINE_REASONS:
        raise PageError(
            422, f"Not {verb}: unknown reason code {code!r}", "Choose a reason from the list.", back,
            f"Back to request {request_id}",
        )  # fmt: skip
    endpoint = recommendations_router.accept if outcome == "accept" else recommendations_router.decline
    decision = DecisionIn.model_validate({"reason": reason, "reason_code": code if outcome == "decline" else None})
    try:
        decided = endpoint(user, services, repos, recommendation_id, decision)
    except ApiError as error:
        if error.status == 409:
            title = f"Not {verb}: this option no longer holds"
            message = (
                f"Nothing was changed: {error.msg}. Another decision got there first; "
                "if the request is still waiting, rank it again to see the options that hold now."
            )
        elif error.status == 403:
            title, message = f"Not {verb}: {error.msg.split(': ', 1)[-1]}", f"Nothing was changed: {error.msg}."
        else:
            title, message = f"Not {verb}", error.msg
        raise PageError(error.status, title, message, back, f"Back to request {request_id}") from None
    if outcome == "accept":
        homes = ", ".join(sorted({p.household_id for p in decided.placements}))
        withdrawn = len(decided.withdrawn)
        notice = f"Accepted recommendation {recommendation_id}: request {request_id} is placed with {homes}."
        if withdrawn:
            notice += f" {withdrawn} other option{'s' if withdrawn != 1 else ''} that can no longer hold withdrawn."
    else:
        notice = f"Declined recommendation {recommendation_id}; request {request_id} is still waiting."
    return redirect(back, notice)


@router.post("/batch")
def run_batch(
    user: ManagerPage,
    services: ServicesDep,
    time_limit_s: Annotated[float, Form(ge=0.5, le=300)] = 10.0,
    expected_demand: Annotated[bool, Form()] = False,
) -> Response:
    """Run the nightly batch now (managers), as ``POST /batch`` does: its matches become proposals;
    nobody is placed. No session is held here: the run keeps its own transactions."""
    data = batch_router.BatchIn(time_limit_s=time_limit_s, expected_demand=expected_demand)
    try:
        answer = batch_router.run_batch(user, services, data)
    except ApiError as error:
        raise PageError(error.status, "The batch did not run", error.msg, f"{PREFIX}/requests") from None
    matches, unplaced = len(answer["matches"]), len(answer["unplaced"])
    expected = answer["expected_requests"]
    weighed = f", weighing {expected} expected request{'s' if expected != 1 else ''}" if expected else ""
    notice = (
        f"The batch ({answer['status']}{weighed}) proposed homes for {matches} request{'s' if matches != 1 else ''};"
        f" {unplaced} could not be placed. Proposals are on each request's page."
    )
    return redirect(f"{PREFIX}/requests", notice)
