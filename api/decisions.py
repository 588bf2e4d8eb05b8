"""Accept or decline a recommendation, in one transaction, without ever double booking a household.

Accepting locks, in this fixed order, the households the option places children in (id order), the
request, then the recommendation. Two duty workers accepting options that share a household (or a
request) therefore queue: the second one re-checks every hard rule against the state the first one
left (``matching.validate.check_placements``) and gets 409 with the rules it would now break. SQLite
serialises whole write transactions instead (``store.db``), with the same outcome.

An accepted option moves the request's children into their households as current children (ages on
the decision date), uses the bedrooms they need, marks the request ``placed``, releases holds kept for
it, and withdraws every other open recommendation that can no longer hold.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import structlog

from api.audit import record
from api.deps import Principal, Services
from api.errors import ApiError, forbidden
from api.ranking import matching_cache
from api.schemas import DecisionOut, PlacementOut
from constraints.base import rooms_needed
from domain.ages import age_on
from domain.geo import haversine_km
from domain.outcomes import is_disabled
from domain.snapshot import CurrentChild
from matching.index import SnapshotIndex
from matching.validate import check_placements
from store.models import RecommendationRow, utcnow
from store.repositories import OPEN_STATUSES, Repositories
from store.repositories.recommendations import ACCEPTED, DECLINED, OPEN, WITHDRAWN

log = structlog.get_logger("placematch.api")

#: Roles that may sign off a relaxation of a hard rule (the team, fostering service and nominated managers).
SIGN_OFF_ROLES = frozenset({"manager"})


def _conflict(msg: str, code: str = "conflict") -> ApiError:
    return ApiError(409, ["path", "recommendation_id"], msg, code)


def accept(
    services: Services, repos: Repositories, principal: Principal, recommendation_id: int, reason: str
) -> DecisionOut:
    """Accept a recommendation: place the children, close the request, withdraw what no longer holds.

    The decision records the rank chosen and the run's rank-1 option at the time; each child placed gets
    a placement record (``placements``) with what the outcomes report breaks it down by.
    """
    row = repos.recommendations.row(recommendation_id)
    request_id = row.request_id
    placements = [(p.child_id, p.household_id) for p in row.placements]
    relaxed = list(row.relaxed)
    if relaxed and principal.role not in SIGN_OFF_ROLES:
        raise forbidden(f"this option relaxes {', '.join(relaxed)}: a manager must accept it")

    repos.households.lock(h for _, h in placements)
    request_status = repos.requests.lock(request_id)
    status = repos.recommendations.lock(recommendation_id)
    if status != OPEN:
        note = repos.recommendations.row(recommendation_id).status_note
        raise _conflict(f"recommendation {recommendation_id} is {status}" + (f": {note}" if note else ""), status)
    if request_status not in OPEN_STATUSES:
        raise _conflict(f"request {request_id} is {request_status}", "request_" + request_status)

    today = services.today()
    cache = matching_cache(services)
    before = cache.prepared(repos.session, services.snapshots, today)
    breaches = check_placements(before.index, request_id, placements, relaxed)
    if breaches:
        rules = "; ".join(f"{b.household_id}: {b.rule_id}: {b.reason}" for b in breaches)
        raise _conflict(f"this placement is no longer possible: {rules}", "no_longer_possible")

    request = before.index.request(request_id)
    children_by_household: dict[str, list[str]] = defaultdict(list)
    for child_id, household_id in placements:
        children_by_household[household_id].append(child_id)
    group = request.id if len(request.children) > 1 else None
    for household_id, child_ids in sorted(children_by_household.items()):
        household = before.index.household(household_id)
        part = before.index.part(request, child_ids)
        moving = [
            CurrentChild(
                child_id=c.id,
                age=age_on(c.child.date_of_birth, today),
                gender=c.child.gender,
                sibling_group=c.child.sibling_group or group,
                risks_to_others=list(c.child.risks_to_others),
                living_companions=c.child.living_companions,
            )
            for c in part.children
        ]
        repos.households.place_children(
            household_id, moving, rooms_needed(part, household.shared_bedroom_allowed), today
        )
    repos.requests.set_status(request_id, "placed")
    repos.households.release_holds_reserved_for(request_id, principal.username)
    repos.recommendations.close(recommendation_id, ACCEPTED)
    top = repos.recommendations.top_of_run(row.match_run_id, request_id)
    decision = repos.recommendations.add_decision(
        recommendation_id=recommendation_id,
        request_id=request_id,
        outcome=ACCEPTED,
        reason=reason,
        actor=principal.username,
        decided_on=today,
        chosen_rank=row.rank,
        top=top,
    )
    placement_ids = repos.placements.add_many(
        placement_rows(before.index, request_id, placements, row, decision.id, today)
    )

    after = cache.prepared(repos.session, services.snapshots, today)
    withdrawn = []
    for other in repos.recommendations.open_touching(children_by_household, request_id):
        if other.request_id == request_id:
            note = f"request {request_id} was placed (recommendation {recommendation_id} accepted)"
        else:
            other_placements = [(p.child_id, p.household_id) for p in other.placements]
            found = check_placements(after.index, other.request_id, other_placements, list(other.relaxed))
            if not found:
                continue
            note = "no longer possible after recommendation {}: {}".format(
                recommendation_id, "; ".join(f"{b.household_id}: {b.rule_id}" for b in found)
            )
        if repos.recommendations.close(other.id, WITHDRAWN, note):
            withdrawn.append(other.id)

    record(
        repos,
        principal,
        "recommendation.accept",
        "recommendation",
        str(recommendation_id),
        reason=reason,
        detail={
            "request_id": request_id,
            "placements": [{"child_id": c, "household_id": h} for c, h in placements],
            "withdrawn": withdrawn,
            "relaxed": relaxed,
            "chosen_rank": row.rank,
            "top_recommendation_id": None if top is None else top.id,
            "placement_ids": placement_ids,
        },
    )
    log.info(
        "accepted",
        recommendation_id=recommendation_id,
        request_id=request_id,
        households=sorted(children_by_household),
        withdrawn=len(withdrawn),
    )
    return DecisionOut(
        decision_id=decision.id,
        recommendation_id=recommendation_id,
        request_id=request_id,
        outcome="accepted",
        decided_by=principal.username,
        decided_on=today,
        placements=[PlacementOut(child_id=c, household_id=h) for c, h in placements],
        withdrawn=withdrawn,
        chosen_rank=row.rank,
        top_recommendation_id=None if top is None else top.id,
        placement_ids=placement_ids,
    )


def decline(
    services: Services,
    repos: Repositories,
    principal: Principal,
    recommendation_id: int,
    reason: str,
    reason_code: str = "other",
) -> DecisionOut:
    """Decline a recommendation: it is closed with the reason code and text; the request keeps waiting.

    A decline sent without a code is recorded as ``other`` (its text is required, as for every decision).
    """
    row = repos.recommendations.row(recommendation_id)
    status = repos.recommendations.lock(recommendation_id)
    if status != OPEN:
        raise _conflict(f"recommendation {recommendation_id} is {status}", status)
    repos.recommendations.close(recommendation_id, DECLINED)
    today = services.today()
    decision = repos.recommendations.add_decision(
        recommendation_id=recommendation_id,
        request_id=row.request_id,
        outcome=DECLINED,
        reason=reason,
        actor=principal.username,
        decided_on=today,
        reason_code=reason_code,
        chosen_rank=row.rank,
    )
    placements = [(p.child_id, p.household_id) for p in row.placements]
    record(
        repos,
        principal,
        "recommendation.decline",
        "recommendation",
        str(recommendation_id),
        reason=reason,
        detail={
            "request_id": row.request_id,
            "placements": [{"child_id": c, "household_id": h} for c, h in placements],
            "reason_code": reason_code,
            "rank": row.rank,
        },
    )
    log.info("declined", recommendation_id=recommendation_id, request_id=row.request_id, reason_code=reason_code)
    return DecisionOut(
        decision_id=decision.id,
        recommendation_id=recommendation_id,
        request_id=row.request_id,
        outcome="declined",
        decided_by=principal.username,
        decided_on=today,
        placements=[PlacementOut(child_id=c, household_id=h) for c, h in placements],
        withdrawn=[],
        reason_code=reason_code,
        chosen_rank=row.rank,
    )


def placement_rows(
    index: SnapshotIndex,
    request_id: str,
    placements: Sequence[tuple[str, str]],
    recommendation: RecommendationRow,
    decision_id: int,
    today: dt.date,
) -> list[dict[str, Any]]:
    """One placement record per child of an accepted option, with what the outcomes report reads:
    distance, in-house or IFA, siblings together or split, skills matched, and the child as at the start."""
    request = index.request(request_id)
    households_used = {h for _, h in placements}
    siblings = "single" if len(request.children) == 1 else "together" if len(households_used) == 1 else "split"
    criteria: dict[str, int] = {}
    for criterion in recommendation.option.get("criteria", []):
        criteria[str(criterion["id"])] = criteria.get(str(criterion["id"]), 0) + int(criterion["points"])
    rows: list[dict[str, Any]] = []
    for child_id, household_id in placements:
        child = index.children[child_id]
        household = index.household(household_id)
        distance = None
        if child.location is not None:
            distance = round(
                haversine_km(child.location.lat, child.location.lon, household.location.lat, household.location.lon), 2
            )
        wanted = set(child.needs.would_benefit)
        rows.append(
            {
                "child_id": child_id,
                "household_id": household_id,
                "request_id": request_id,
                "recommendation_id": recommendation.id,
                "decision_id": decision_id,
                "source": "service",
                "provider": household.provider,
                "started_on": today,
                "distance_km": distance,
                "siblings": siblings,
                "skills_matched": bool(wanted & set(household.approval.skills)) if wanted else None,
                "age_at_start": age_on(child.date_of_birth, today),
                "disabled": is_disabled(child),
                "ethnicity": child.ethnicity,
                "sibling_group_size": len(request.children),
                "days_waiting": None if request.received_on is None else max(0, (today - request.received_on).days),
                "criteria": criteria,
                "created_at": utcnow(),
            }
        )
    return rows
