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

from collections import defaultdict

import structlog

from api.audit import record
from api.deps import Principal, Services
from api.errors import ApiError, forbidden
from api.ranking import matching_cache
from api.schemas import DecisionOut, PlacementOut
from constraints.base import rooms_needed
from domain.ages import age_on
from domain.snapshot import CurrentChild
from matching.validate import check_placements
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
    """Accept a recommendation: place the children, close the request, withdraw what no longer holds."""
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
    decision = repos.recommendations.add_decision(
        recommendation_id=recommendation_id,
        request_id=request_id,
        outcome=ACCEPTED,
        reason=reason,
        actor=principal.username,
        decided_on=today,
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
    )


def decline(
    services: Services, repos: Repositories, principal: Principal, recommendation_id: int, reason: str
) -> DecisionOut:
    """Decline a recommendation: it is closed with the reason; the request keeps waiting."""
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
        },
    )
    log.info("declined", recommendation_id=recommendation_id, request_id=row.request_id)
    return DecisionOut(
        decision_id=decision.id,
        recommendation_id=recommendation_id,
        request_id=row.request_id,
        outcome="declined",
        decided_by=principal.username,
        decided_on=today,
        placements=[PlacementOut(child_id=c, household_id=h) for c, h in placements],
        withdrawn=[],
    )
