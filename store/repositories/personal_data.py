"""Personal data: purging closed records past their retention, and everything held about one child.

**Purge.** A placement request is *closed* when it is ``closed`` or ``withdrawn``, or ``placed`` with
none of its children still living in a household. One past the cut-off (its last change older than it,
and every placement of it ended before the cut-off's day: a running placement, or one ended since, keeps
it) is deleted with everything hanging off it: its recommendations (and where they would place children),
the decisions on them, the rank runs made for it, its placements; then each of its children no other
request names, who lives in no household and has no placement running or ended since the cut-off, with
the rest of that child's placements (history imported from SSDA903). Batch runs, scarcity prices,
households and the audit trail stay (the audit trail names records by id only). It all happens in the
caller's transaction: all or nothing.

**Subject access.** Every row that is about one child: the record (ethnicity included), the requests
naming the child, the options and decisions about those requests or placing the child (with a decline's
reason code, the rank chosen and the rank-1 option beside it), where the child lives now, households
naming the child (do-not-place, connected-carer approval, exemption), holds kept for the child's
requests, the child's placements (start, planned and actual end, how they ended, disruption reason and
note, the characteristics recorded at the start), and the audit events about any of these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import selectinload

from store.convert import child_to_domain, request_to_domain
from store.db import mark_snapshot_changed
from store.errors import NotFound
from store.models import (
    ApprovalRow,
    AuditEventRow,
    ChildRow,
    CurrentChildRow,
    DecisionRow,
    DoNotPlaceRow,
    ExemptionRow,
    HoldRow,
    MatchRunRow,
    PlacementRow,
    RecommendationPlacementRow,
    RecommendationRow,
    RequestChildRow,
    RequestRow,
)
from store.repositories.base import Repository, core_table

#: Request statuses that end a request; ``placed`` counts only once its children have moved on.
CLOSED_STATUSES = ("closed", "withdrawn")
PLACED = "placed"
#: Ids per ``IN (...)`` list.
_CHUNK = 500


def _chunks(ids: Sequence[Any]) -> list[Sequence[Any]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _plain(value: Any) -> Any:
    """Dates and times as ISO text, so an export is plain JSON."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class PurgeCounts:
    """How many rows of each kind a purge deletes (or would delete): counts only, no ids."""

    requests: int = 0
    children: int = 0
    recommendations: int = 0
    recommendation_placements: int = 0
    decisions: int = 0
    rank_runs: int = 0
    placement_history: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


def _kept_placement(cutoff: dt.datetime) -> Any:
    """A placement that keeps its request and child: still running, or ended on or after the cut-off's day."""
    return or_(PlacementRow.ended_on.is_(None), PlacementRow.ended_on >= cutoff.date())


class PersonalDataRepository(Repository):
    """All SQL of retention and subject access."""

    # --- purge ---------------------------------------------------------------------------------------

    def purgeable_requests(self, cutoff: dt.datetime) -> list[str]:
        """Ids of closed requests last changed before ``cutoff`` (see the module docstring)."""
        living = select(CurrentChildRow.child_id)
        still_placed = select(RequestChildRow.request_id).where(RequestChildRow.child_id.in_(living))
        kept = select(PlacementRow.request_id).where(PlacementRow.request_id.is_not(None), _kept_placement(cutoff))
        query = select(RequestRow.id).where(
            RequestRow.updated_at < cutoff,
            or_(
                RequestRow.status.in_(CLOSED_STATUSES),
                (RequestRow.status == PLACED) & RequestRow.id.not_in(still_placed),
            ),
            RequestRow.id.not_in(kept),
        )
        return list(self.session.scalars(query.order_by(RequestRow.id)))

    def _ids(self, query: Any, ids: Sequence[Any]) -> list[Any]:
        found: list[Any] = []
        for chunk in _chunks(ids):
            found += self.session.scalars(query(chunk)).all()
        return found

    def _count(self, model: Any, column: Any, ids: Sequence[Any]) -> int:
        return sum(
            self.session.scalar(select(func.count()).select_from(model).where(column.in_(chunk))) or 0
            for chunk in _chunks(ids)
        )

    def _delete(self, model: Any, column: Any, ids: Sequence[Any]) -> None:
        for chunk in _chunks(ids):
            self.session.execute(delete(model).where(column.in_(chunk)).execution_options(synchronize_session=False))

    def purge(self, cutoff: dt.datetime, *, dry_run: bool = False) -> PurgeCounts:
        """Delete (or, ``dry_run``, only count) closed records older than ``cutoff``, in this transaction."""
        requests = self.purgeable_requests(cutoff)
        if not requests:
            return PurgeCounts()
        recommendations = self._ids(
            lambda chunk: select(RecommendationRow.id).where(RecommendationRow.request_id.in_(chunk)), requests
        )
        decisions = self._ids(lambda chunk: select(DecisionRow.id).where(DecisionRow.request_id.in_(chunk)), requests)
        decisions = sorted(
            set(decisions)
            | set(
                self._ids(
                    lambda chunk: select(DecisionRow.id).where(DecisionRow.recommendation_id.in_(chunk)),
                    recommendations,
                )
            )
        )
        runs = self._ids(
            lambda chunk: select(MatchRunRow.id).where(MatchRunRow.kind == "rank", MatchRunRow.request_id.in_(chunk)),
            requests,
        )
        named = set(
            self._ids(
                lambda chunk: select(RequestChildRow.child_id).where(RequestChildRow.request_id.in_(chunk)), requests
            )
        )
        gone = set(requests)
        still_named = {
            child_id
            for child_id, request_id in self.session.execute(
                select(RequestChildRow.child_id, RequestChildRow.request_id).where(
                    RequestChildRow.child_id.in_(sorted(named))
                )
            )
            if request_id not in gone
        }
        living = set(
            self.session.scalars(select(CurrentChildRow.child_id).where(CurrentChildRow.child_id.in_(sorted(named))))
        )
        placed = set(
            self._ids(
                lambda chunk: select(PlacementRow.child_id).where(
                    PlacementRow.child_id.in_(chunk), _kept_placement(cutoff)
                ),
                sorted(named),
            )
        )
        children = sorted(named - still_named - living - placed)
        placements = sorted(
            set(self._ids(lambda chunk: select(PlacementRow.id).where(PlacementRow.request_id.in_(chunk)), requests))
            | set(self._ids(lambda chunk: select(PlacementRow.id).where(PlacementRow.child_id.in_(chunk)), children))
        )
        counts = PurgeCounts(
            requests=len(requests),
            children=len(children),
            recommendations=len(recommendations),
            recommendation_placements=self._count(
                RecommendationPlacementRow, RecommendationPlacementRow.recommendation_id, recommendations
            ),
            decisions=len(decisions),
            rank_runs=len(runs),
            placement_history=len(placements),
        )
        if dry_run:
            return counts
        self._delete(DecisionRow, DecisionRow.id, decisions)
        self._delete(RecommendationPlacementRow, RecommendationPlacementRow.recommendation_id, recommendations)
        self._delete(RecommendationRow, RecommendationRow.id, recommendations)
        self._delete(MatchRunRow, MatchRunRow.id, runs)
        self._delete(PlacementRow, PlacementRow.id, placements)
        self._delete(RequestChildRow, RequestChildRow.request_id, requests)
        self._delete(RequestRow, RequestRow.id, requests)
        self._delete(ChildRow, ChildRow.id, children)
        mark_snapshot_changed(self.session)
        self.session.flush()
        self.session.expire_all()
        return counts

    # --- subject access ------------------------------------------------------------------------------

    def subject_access(self, child_id: str) -> dict[str, Any]:
        """Everything held about one child, as plain JSON-ready data (``NotFound`` if no such child)."""
        row = self.session.get(ChildRow, child_id)
        if row is None:
            raise NotFound("child", child_id)
        quoted = '%"' + child_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
        request_rows = list(
            self.session.scalars(
                select(RequestRow)
                .options(selectinload(RequestRow.children))
                .where(
                    RequestRow.id.in_(select(RequestChildRow.request_id).where(RequestChildRow.child_id == child_id))
                )
                .order_by(RequestRow.id)
            )
        )
        request_ids = [r.id for r in request_rows]
        recommendation_rows = list(
            self.session.scalars(
                select(RecommendationRow)
                .options(selectinload(RecommendationRow.placements))
                .where(
                    or_(
                        RecommendationRow.request_id.in_(request_ids),
                        RecommendationRow.id.in_(
                            select(RecommendationPlacementRow.recommendation_id).where(
                                RecommendationPlacementRow.child_id == child_id
                            )
                        ),
                    )
                )
                .order_by(RecommendationRow.id)
            )
        )
        recommendation_ids = [r.id for r in recommendation_rows]
        decision_rows = list(
            self.session.scalars(
                select(DecisionRow)
                .where(
                    or_(DecisionRow.request_id.in_(request_ids), DecisionRow.recommendation_id.in_(recommendation_ids))
                )
                .order_by(DecisionRow.id)
            )
        )
        living = list(
            self.session.scalars(
                select(CurrentChildRow)
                .where(CurrentChildRow.child_id == child_id)
                .order_by(CurrentChildRow.household_id)
            )
        )
        named_by: list[dict[str, str]] = [
            {"household_id": h, "as": "do_not_place"}
            for h in self.session.scalars(select(DoNotPlaceRow.household_id).where(DoNotPlaceRow.child_id == child_id))
        ]
        for model, what in ((ApprovalRow, "named_child"), (ExemptionRow, "exemption")):
            households = self.session.scalars(
                select(model.household_id).where(cast(model.named_children, String).like(quoted, escape="\\"))
            )
            named_by += [{"household_id": h, "as": what} for h in households]
        holds = list(
            self.session.scalars(
                select(HoldRow).where(HoldRow.reserved_for_request.in_(request_ids)).order_by(HoldRow.id)
            )
        )
        placements = core_table(PlacementRow)
        history_rows = [
            _plain(dict(r._mapping))
            for r in self.session.execute(
                select(placements)
                .where(placements.c.child_id == child_id)
                .order_by(placements.c.started_on, placements.c.id)
            )
        ]
        subjects = [("child", child_id)] + [("request", r) for r in request_ids]
        subjects += [("recommendation", str(r)) for r in recommendation_ids]
        subjects += [("placement", str(r["id"])) for r in history_rows]
        audit_rows = list(
            self.session.scalars(
                select(AuditEventRow)
                .where(
                    or_(
                        *(
                            (AuditEventRow.subject_type == kind) & (AuditEventRow.subject_id == subject)
                            for kind, subject in subjects
                        ),
                        cast(AuditEventRow.detail, String).like(quoted, escape="\\"),
                    )
                )
                .order_by(AuditEventRow.id)
            )
        )
        return {
            "child_id": child_id,
            "record": child_to_domain(row).model_dump(mode="json")
            | {"created_at": _plain(row.created_at), "updated_at": _plain(row.updated_at)},
            "requests": [
                request_to_domain(r).model_dump(mode="json")
                | {"created_at": _plain(r.created_at), "updated_at": _plain(r.updated_at)}
                for r in request_rows
            ],
            "recommendations": [
                {
                    "id": r.id,
                    "match_run_id": r.match_run_id,
                    "request_id": r.request_id,
                    "rank": r.rank,
                    "score": r.score,
                    "status": r.status,
                    "status_note": r.status_note,
                    "placements": [{"child_id": p.child_id, "household_id": p.household_id} for p in r.placements],
                    "option": r.option,
                    "created_at": _plain(r.created_at),
                    "closed_at": _plain(r.closed_at),
                }
                for r in recommendation_rows
            ],
            "decisions": [
                {
                    "id": d.id,
                    "recommendation_id": d.recommendation_id,
                    "request_id": d.request_id,
                    "outcome": d.outcome,
                    "reason": d.reason,
                    "decided_by": d.decided_by,
                    "decided_on": _plain(d.decided_on),
                    "decided_at": _plain(d.decided_at),
                    "reason_code": d.reason_code,
                    "chosen_rank": d.chosen_rank,
                    "top_recommendation_id": d.top_recommendation_id,
                    "top_household_ids": d.top_household_ids,
                    "top_score": d.top_score,
                }
                for d in decision_rows
            ],
            "living_with": [
                {
                    "household_id": c.household_id,
                    "age": c.age,
                    "gender": c.gender,
                    "sibling_group": c.sibling_group,
                    "risks_to_others": c.risks_to_others,
                    "living_companions": c.living_companions,
                    "placed_on": _plain(c.placed_on),
                }
                for c in living
            ],
            "named_by_households": sorted(named_by, key=lambda n: (n["household_id"], n["as"])),
            "holds_for_requests": [
                {
                    "household_id": h.household_id,
                    "reserved_for_request": h.reserved_for_request,
                    "reason": h.reason,
                    "starts_on": _plain(h.starts_on),
                    "until": _plain(h.until),
                    "created_at": _plain(h.created_at),
                    "released_at": _plain(h.released_at),
                }
                for h in holds
            ],
            "placement_history": history_rows,
            "audit_events": [
                {
                    "id": e.id,
                    "at": _plain(e.at),
                    "actor": e.actor,
                    "role": e.role,
                    "action": e.action,
                    "subject_type": e.subject_type,
                    "subject_id": e.subject_id,
                    "reason": e.reason,
                    "detail": e.detail,
                }
                for e in audit_rows
            ],
        }
