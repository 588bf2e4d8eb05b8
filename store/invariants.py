"""What must hold in the database whatever happened to it: the checker every fault test ends with.

A crash, a dropped connection or a killed process may make a call fail, but it must never leave the
store in a state the service could not have produced on purpose. ``check_invariants`` reads the whole
store in one transaction and returns every breach it finds (empty: all is well):

- ``child_in_two_homes``: a child is a current child of more than one household;
- ``household_over_limit``: a household holds more foster children than its approval (or exemption)
  allows, or has fewer than zero free bedrooms;
- ``placement_breaks_rule``: the accepted placements, taken together as they stand now, break a hard rule
  (``matching.validate.check_proposals`` on the snapshot the store exports, the placed children taken out
  and put back as proposals). ``household_available`` is not judged: a hold or a deregistration after a
  placement does not undo it;
- ``request_open_and_placed``: a request still open (waiting or proposed) has an accepted recommendation
  or an accepted decision;
- ``accepted_without_placement``: an accepted recommendation whose children are not living where it put
  them, or that has no accepted decision (or a decision says accepted and its recommendation is not);
- ``open_recommendation_on_closed_request``: an open recommendation for a request no longer open;
- ``failed_run_wrote``: a batch run that failed (or is still running) owns recommendations or scarcity
  prices: a failed run must leave nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from constraints.base import rooms_needed
from domain.snapshot import Snapshot
from matching.index import SnapshotIndex
from matching.validate import Proposal, check_proposals
from store.models import (
    BatchScarcityRow,
    CurrentChildRow,
    DecisionRow,
    MatchRunRow,
    RecommendationRow,
    RequestRow,
)
from store.repositories.batch_runs import BATCH, FAILED, RUNNING
from store.repositories.recommendations import ACCEPTED, OPEN
from store.repositories.requests import OPEN_STATUSES
from store.repositories.snapshots import SnapshotRepository

#: Rules not judged on placements already made (see the module docstring).
NOT_JUDGED_AFTER_PLACEMENT = frozenset({"household_available"})


@dataclass(frozen=True)
class Violation:
    """One breach of an invariant: which, on which record, and what was found (ids and counts only)."""

    invariant: str
    record: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.record}: {self.detail}"


def _children_in_two_homes(session: Session) -> list[Violation]:
    query = (
        select(CurrentChildRow.child_id, func.count(CurrentChildRow.household_id))
        .group_by(CurrentChildRow.child_id)
        .having(func.count(CurrentChildRow.household_id) > 1)
        .order_by(CurrentChildRow.child_id)
    )
    found = []
    for child_id, count in session.execute(query):
        homes = session.scalars(
            select(CurrentChildRow.household_id)
            .where(CurrentChildRow.child_id == child_id)
            .order_by(CurrentChildRow.household_id)
        ).all()
        found.append(Violation("child_in_two_homes", f"child {child_id}", f"in {count} households: {', '.join(homes)}"))
    return found


def _households_over_limit(snapshot: Snapshot) -> list[Violation]:
    found = []
    for household in snapshot.households:
        approval = household.approval
        limit = max(approval.max_children, approval.exemption.max_children if approval.exemption else 0)
        if len(household.current_children) > limit:
            found.append(
                Violation(
                    "household_over_limit",
                    f"household {household.id}",
                    f"{len(household.current_children)} foster children, approved for {limit}",
                )
            )
        if household.bedrooms_free < 0:
            found.append(
                Violation(
                    "household_over_limit", f"household {household.id}", f"{household.bedrooms_free} bedrooms free"
                )
            )
    return found


def _accepted(session: Session) -> list[RecommendationRow]:
    return list(
        session.scalars(
            select(RecommendationRow)
            .options(selectinload(RecommendationRow.placements))
            .where(RecommendationRow.status == ACCEPTED)
            .order_by(RecommendationRow.id)
        )
    )


def _placements_hold(snapshot: Snapshot, accepted: list[RecommendationRow]) -> list[Violation]:
    """Take every placed child out of its household, then check all accepted placements together."""
    living = {(c.child_id, h.id) for h in snapshot.households for c in h.current_children}
    proposals = []
    for row in accepted:
        placements = tuple((p.child_id, p.household_id) for p in row.placements)
        if placements and all(p in living for p in placements):
            proposals.append(Proposal(row.request_id, placements, frozenset(row.relaxed)))
    if not proposals:
        return []
    placed = {p for proposal in proposals for p in proposal.placements}
    index = SnapshotIndex.build(snapshot, "database")
    rooms: Counter[str] = Counter()
    for proposal in proposals:
        request = index.request(proposal.request_id)
        by_home: defaultdict[str, list[str]] = defaultdict(list)
        for child_id, household_id in proposal.placements:
            by_home[household_id].append(child_id)
        for household_id, child_ids in by_home.items():
            household = index.household(household_id)
            rooms[household_id] += rooms_needed(index.part(request, child_ids), household.shared_bedroom_allowed)
    households = []
    for household in snapshot.households:
        if household.id in rooms:
            kept = [c for c in household.current_children if (c.child_id, household.id) not in placed]
            household = household.model_copy(
                update={"current_children": kept, "bedrooms_free": household.bedrooms_free + rooms[household.id]}
            )
        households.append(household)
    before = snapshot.model_copy(update={"households": households})
    breaches = check_proposals(SnapshotIndex.build(before, "database"), proposals)
    return [
        Violation(
            "placement_breaks_rule",
            f"request {b.request_id}",
            f"household {b.household_id}: {b.rule_id}",
        )
        for b in breaches
        if b.rule_id not in NOT_JUDGED_AFTER_PLACEMENT
    ]


def _decisions_and_requests(session: Session, snapshot: Snapshot, accepted: list[RecommendationRow]) -> list[Violation]:
    found = []
    status: dict[str, str] = {
        request_id: value for request_id, value in session.execute(select(RequestRow.id, RequestRow.status))
    }
    living = {(c.child_id, h.id) for h in snapshot.households for c in h.current_children}
    accepted_decisions = set(
        session.scalars(select(DecisionRow.recommendation_id).where(DecisionRow.outcome == ACCEPTED))
    )
    accepted_ids = {row.id for row in accepted}
    per_request: Counter[str] = Counter(row.request_id for row in accepted)
    for row in accepted:
        where = f"recommendation {row.id}"
        if status.get(row.request_id) in OPEN_STATUSES:
            found.append(Violation("request_open_and_placed", f"request {row.request_id}", f"{where} is accepted"))
        missing = [
            f"{c} in {h}" for c, h in ((p.child_id, p.household_id) for p in row.placements) if (c, h) not in living
        ]
        if missing:
            found.append(Violation("accepted_without_placement", where, "not living there: " + ", ".join(missing)))
        if row.id not in accepted_decisions:
            found.append(Violation("accepted_without_placement", where, "no accepted decision"))
    for request_id, count in sorted(per_request.items()):
        if count > 1:
            found.append(Violation("request_open_and_placed", f"request {request_id}", f"{count} accepted options"))
    for recommendation_id in sorted(accepted_decisions - accepted_ids):
        found.append(
            Violation("accepted_without_placement", f"recommendation {recommendation_id}", "decision accepted, not it")
        )
    open_rows = session.execute(
        select(RecommendationRow.id, RecommendationRow.request_id).where(RecommendationRow.status == OPEN)
    )
    for recommendation_id, request_id in open_rows:
        if status.get(request_id) not in OPEN_STATUSES:
            found.append(
                Violation(
                    "open_recommendation_on_closed_request",
                    f"recommendation {recommendation_id}",
                    f"request {request_id} is {status.get(request_id)}",
                )
            )
    return found


def _failed_runs_wrote_nothing(session: Session) -> list[Violation]:
    ended_badly = select(MatchRunRow.id).where(MatchRunRow.kind == BATCH, MatchRunRow.status.in_((FAILED, RUNNING)))
    found = []
    recommendations = session.execute(
        select(RecommendationRow.match_run_id, func.count())
        .where(RecommendationRow.match_run_id.in_(ended_badly))
        .group_by(RecommendationRow.match_run_id)
    )
    for run_id, count in recommendations:
        found.append(Violation("failed_run_wrote", f"batch run {run_id}", f"{count} recommendations"))
    scarcity = session.execute(
        select(BatchScarcityRow.match_run_id, func.count())
        .where(BatchScarcityRow.match_run_id.in_(ended_badly))
        .group_by(BatchScarcityRow.match_run_id)
    )
    for run_id, count in scarcity:
        found.append(Violation("failed_run_wrote", f"batch run {run_id}", f"{count} scarcity prices"))
    return found


def check_invariants(session: Session, as_of: dt.date | None = None) -> list[Violation]:
    """Every invariant breach in the store as this session sees it (empty when it is consistent)."""
    snapshot = SnapshotRepository(session).load(as_of or dt.date.today())
    accepted = _accepted(session)
    return [
        *_children_in_two_homes(session),
        *_households_over_limit(snapshot),
        *_placements_hold(snapshot, accepted),
        *_decisions_and_requests(session, snapshot, accepted),
        *_failed_runs_wrote_nothing(session),
    ]
