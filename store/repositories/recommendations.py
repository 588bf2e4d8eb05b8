"""Match runs and the recommendations they produce, and the decisions taken on them.

A recommendation is ``open`` until a social worker accepts or declines it, or it is ``withdrawn``
because an accepted placement (or its request's closing) means it can no longer hold.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, bindparam, cast, insert, select, update
from sqlalchemy.orm import selectinload

from domain.outcomes import DecisionFacts, OptionFacts
from store.errors import NotFound
from store.models import (
    DecisionRow,
    MatchRunRow,
    RecommendationPlacementRow,
    RecommendationRow,
    utcnow,
)
from store.repositories.base import Page, Repository, core_table

OPEN = "open"
ACCEPTED = "accepted"
DECLINED = "declined"
WITHDRAWN = "withdrawn"

_RUNS, _RECOMMENDATIONS = core_table(MatchRunRow), core_table(RecommendationRow)
#: Ranking's statements, built once (building and keying a statement cost more than SQLite running it).
_ADD_RUN = insert(_RUNS).returning(_RUNS.c.id)
_LATEST_RUN = (
    select(
        _RUNS.c.id,
        _RUNS.c.revision,
        cast(_RUNS.c.parameters, Text),  # the same on every row: decoded once, not once a row
        _RECOMMENDATIONS.c.id,
        _RECOMMENDATIONS.c.status,
    )
    .select_from(_RUNS.outerjoin(_RECOMMENDATIONS, _RECOMMENDATIONS.c.match_run_id == _RUNS.c.id))
    .where(
        _RUNS.c.id
        == select(_RUNS.c.id)
        .where(_RUNS.c.request_id == bindparam("request_id"), _RUNS.c.kind == bindparam("kind"))
        .order_by(_RUNS.c.id.desc())  # SQLite walks the request's index back from its newest run
        .limit(1)
        .scalar_subquery()
    )
    .order_by(_RECOMMENDATIONS.c.id)
)
_RUN_OPTIONS = (
    select(_RECOMMENDATIONS.c.option)
    .where(_RECOMMENDATIONS.c.match_run_id == bindparam("run_id"))
    .order_by(_RECOMMENDATIONS.c.id)
)


@dataclass(frozen=True)
class StoredOption:
    """One stored option of a run: its recommendation id and status (the option itself: ``run_options``)."""

    recommendation_id: int
    status: str


@dataclass(frozen=True)
class StoredRun:
    """A match run as stored, with its options in the order they were ranked."""

    run_id: int
    revision: int
    parameters: dict[str, Any] | None
    options: list[StoredOption]


class RecommendationRepository(Repository):
    """All SQL about match runs, recommendations and decisions."""

    def add_run(
        self,
        *,
        kind: str,
        request_id: str | None,
        status: str,
        revision: int,
        duration_ms: int,
        actor: str,
        parameters: dict[str, Any] | None = None,
    ) -> int:
        """Record a match run; returns its id."""
        values = {
            "kind": kind,
            "request_id": request_id,
            "status": status,
            "revision": revision,
            "duration_ms": duration_ms,
            "created_by": actor,
            "parameters": parameters,
        }
        run_id: int | None = self.session.scalar(_ADD_RUN, values)
        assert run_id is not None
        return run_id

    def latest_run(self, kind: str, request_id: str) -> StoredRun | None:
        """The newest run of ``kind`` for a request, with its options' ids and statuses, in one query.

        Not the options themselves: a stored option never changes, so a caller that has compared a run's
        options once (``run_options``) need not read and decode them on every call (half the query's cost).
        """
        rows = self.session.execute(_LATEST_RUN, {"kind": kind, "request_id": request_id}).all()
        if not rows:
            return None
        first = rows[0]
        parameters = None if first[2] is None else json.loads(first[2])
        options = [StoredOption(row[3], row[4]) for row in rows if row[3] is not None]
        return StoredRun(first[0], first[1], parameters, options)

    def run_options(self, run_id: int) -> list[dict[str, Any]]:
        """The options of a run as stored, in the order they were ranked."""
        return list(self.session.scalars(_RUN_OPTIONS, {"run_id": run_id}))

    def add_options(self, run_id: int, request_id: str, options: Sequence[dict[str, Any]]) -> list[int]:
        """Store each ranked option as an open recommendation; returns their ids in the same order.

        Core bulk inserts: ranking stores a handful of rows on every call, the service's hottest write.
        """
        if not options:
            return []
        rows = [
            {
                "match_run_id": run_id,
                "request_id": request_id,
                "rank": int(option["rank"]),
                "score": float(option["score"]),
                "option": option,
                "relaxed": [str(r["id"]) for r in option.get("relaxations", [])],
                "status": OPEN,
            }
            for option in options
        ]
        table = core_table(RecommendationRow)
        ids = list(self.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
        placements = [
            {"recommendation_id": i, "child_id": p["child_id"], "household_id": p["household_id"], "position": n}
            for i, option in zip(ids, options, strict=True)
            for n, p in enumerate(option["placements"])
        ]
        self.session.execute(insert(core_table(RecommendationPlacementRow)), placements)
        return ids

    def row(self, recommendation_id: int) -> RecommendationRow:
        row = self.session.scalar(
            select(RecommendationRow)
            .options(selectinload(RecommendationRow.placements))
            .where(RecommendationRow.id == recommendation_id)
        )
        if row is None:
            raise NotFound("recommendation", recommendation_id)
        return row

    def page(
        self, *, request_id: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[RecommendationRow]:
        query = select(RecommendationRow).options(selectinload(RecommendationRow.placements))
        if request_id is not None:
            query = query.where(RecommendationRow.request_id == request_id)
        if status is not None:
            query = query.where(RecommendationRow.status == status)
        rows, total = self._page(query, [RecommendationRow.id.desc()], limit, offset)
        return Page(rows, total)

    def lock(self, recommendation_id: int) -> str:
        """Lock a recommendation row; returns its status as it is now (after any concurrent decision)."""
        status = self.session.scalar(
            select(RecommendationRow.status)
            .where(RecommendationRow.id == recommendation_id)
            .with_for_update(key_share=True)
        )
        if status is None:
            raise NotFound("recommendation", recommendation_id)
        self.session.expire_all()
        return status

    def open_touching(self, household_ids: Iterable[str], request_id: str) -> list[RecommendationRow]:
        """Open recommendations for this request or placing anyone in these households."""
        in_households = select(RecommendationPlacementRow.recommendation_id).where(
            RecommendationPlacementRow.household_id.in_(sorted(set(household_ids)))
        )
        query = (
            select(RecommendationRow)
            .options(selectinload(RecommendationRow.placements))
            .where(RecommendationRow.status == OPEN)
            .where((RecommendationRow.request_id == request_id) | RecommendationRow.id.in_(in_households))
            .order_by(RecommendationRow.id)
        )
        return list(self.session.scalars(query))

    def close(self, recommendation_id: int, status: str, note: str | None = None) -> bool:
        """Move an open recommendation to ``status``; False when it was no longer open."""
        result = self.session.execute(
            update(RecommendationRow)
            .where(RecommendationRow.id == recommendation_id, RecommendationRow.status == OPEN)
            .values(status=status, status_note=note, closed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def open_from_runs_of_kind(self, kind: str) -> list[RecommendationRow]:
        """Open recommendations made by runs of ``kind`` (e.g. the nightly batch's standing proposals)."""
        runs = select(MatchRunRow.id).where(MatchRunRow.kind == kind)
        query = (
            select(RecommendationRow)
            .options(selectinload(RecommendationRow.placements))
            .where(RecommendationRow.status == OPEN, RecommendationRow.match_run_id.in_(runs))
            .order_by(RecommendationRow.id)
        )
        return list(self.session.scalars(query))

    def withdraw_open_for_request(self, request_id: str, note: str) -> int:
        """Withdraw every open recommendation of a request (it was withdrawn or closed); returns how many."""
        result = self.session.execute(
            update(RecommendationRow)
            .where(RecommendationRow.request_id == request_id, RecommendationRow.status == OPEN)
            .values(status=WITHDRAWN, status_note=note, closed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def add_decision(
        self,
        *,
        recommendation_id: int,
        request_id: str,
        outcome: str,
        reason: str,
        actor: str,
        decided_on: dt.date,
        reason_code: str | None = None,
        chosen_rank: int | None = None,
        top: RecommendationRow | None = None,
    ) -> DecisionRow:
        decision = DecisionRow(
            recommendation_id=recommendation_id,
            request_id=request_id,
            outcome=outcome,
            reason=reason,
            decided_by=actor,
            decided_on=decided_on,
            reason_code=reason_code,
            chosen_rank=chosen_rank,
            top_recommendation_id=None if top is None else top.id,
            top_household_ids=None if top is None else list(dict.fromkeys(p.household_id for p in top.placements)),
            top_score=None if top is None else top.score,
        )
        self.session.add(decision)
        self.session.flush()
        return decision

    def decisions(self, recommendation_id: int) -> list[DecisionRow]:
        return list(
            self.session.scalars(
                select(DecisionRow).where(DecisionRow.recommendation_id == recommendation_id).order_by(DecisionRow.id)
            )
        )

    def top_of_run(self, match_run_id: int, request_id: str) -> RecommendationRow | None:
        """The rank-1 option a run offered for a request (what the worker was recommended first)."""
        return self.session.scalar(
            select(RecommendationRow)
            .options(selectinload(RecommendationRow.placements))
            .where(RecommendationRow.match_run_id == match_run_id, RecommendationRow.request_id == request_id)
            .order_by(RecommendationRow.rank, RecommendationRow.id)
            .limit(1)
        )

    def decision_facts(self, start: dt.date, end: dt.date) -> list[DecisionFacts]:
        """Every decision taken in ``[start, end]`` with the option decided on and, for an accept, the
        rank-1 option of the same run, as the outcomes report reads them (in decision order)."""
        decisions = list(
            self.session.scalars(
                select(DecisionRow)
                .where(DecisionRow.decided_on >= start, DecisionRow.decided_on <= end)
                .order_by(DecisionRow.id)
            )
        )
        wanted = {d.recommendation_id for d in decisions} | {
            d.top_recommendation_id for d in decisions if d.top_recommendation_id is not None
        }
        options: dict[int, OptionFacts] = {}
        ids = sorted(wanted)
        for first in range(0, len(ids), 500):
            query = (
                select(RecommendationRow)
                .options(selectinload(RecommendationRow.placements))
                .where(RecommendationRow.id.in_(ids[first : first + 500]))
            )
            for row in self.session.scalars(query):
                options[row.id] = _option_facts(row)
        return [
            DecisionFacts(
                decision_id=d.id,
                request_id=d.request_id,
                decided_on=d.decided_on,
                outcome="accepted" if d.outcome == ACCEPTED else "declined",
                reason_code=d.reason_code,
                option=options[d.recommendation_id],
                top=None if d.top_recommendation_id is None else options.get(d.top_recommendation_id),
            )
            for d in decisions
            if d.recommendation_id in options
        ]


def _option_facts(row: RecommendationRow) -> OptionFacts:
    criteria: dict[str, int] = {}
    for criterion in row.option.get("criteria", []):
        key = str(criterion["id"])
        criteria[key] = criteria.get(key, 0) + int(criterion["points"])
    return OptionFacts(
        recommendation_id=row.id,
        rank=row.rank,
        score=row.score,
        households=tuple(dict.fromkeys(p.household_id for p in row.placements)),
        criteria=criteria,
    )
