""" "Why not this household?": every rule it breaks, what would make it eligible and who must sign, or,
if it is eligible, where it ranks and the criteria on which it loses points against rank 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from constraints.base import Home, words
from constraints.registry import RULES_BY_ID
from domain.snapshot import Snapshot
from matching.answers import CriterionScore
from matching.candidates import broken_rules, rule_matrix
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.scarcity import estimate_scarcity, scarcity_for_request
from scoring import siblings_together
from scoring.base import ScoringContext
from scoring.registry import CRITERIA


@dataclass(frozen=True)
class BrokenRule:
    id: str
    reason: str
    relaxable_by: str | None
    relaxable_now: bool
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reason": self.reason,
            "relaxable_by": self.relaxable_by,
            "relaxable_now": self.relaxable_now,
            "note": self.note,
        }


@dataclass(frozen=True)
class WhyNot:
    request_id: str
    household_id: str
    eligible: bool
    rules: tuple[BrokenRule, ...]
    can_be_made_eligible: bool
    rank: int | None
    of: int
    score: int | None
    top_score: int | None
    top_households: tuple[str, ...]
    losses: tuple[CriterionScore, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "household_id": self.household_id,
            "eligible": self.eligible,
            "rules": [r.to_json() for r in self.rules],
            "can_be_made_eligible": self.can_be_made_eligible,
            "relaxations": [
                {"id": r.id, "role": r.relaxable_by, "reason": r.reason}
                for r in self.rules
                if self.can_be_made_eligible
            ],
            "rank": self.rank,
            "of": self.of,
            "score": self.score,
            "top_score": self.top_score,
            "top_households": list(self.top_households),
            "losses": [c.to_json() for c in self.losses],
        }


def why_not(snapshot: Snapshot | SnapshotIndex, request_id: str, household_id: str) -> WhyNot:
    """Explain household ``household_id`` for request ``request_id`` (the whole group in one home)."""
    index = snapshot if isinstance(snapshot, SnapshotIndex) else SnapshotIndex.build(snapshot)
    request = index.request(request_id)
    household = index.household(household_id)
    whole = index.part(request, request.children)
    broken = []
    for rule_id, reason in broken_rules(whole, Home.as_is(household)):
        rule = RULES_BY_ID[rule_id]
        relaxable_now = rule.relaxable_for(whole, household)
        could = rule.could_relax(whole, household)
        if relaxable_now:
            note = f"may be relaxed: {rule.relaxation}, signed off by the {words(rule.relaxable_by or '')}"
        elif could:
            note = f"{rule.why_not_relaxable(whole)}; it could allow {rule.relaxation}, signed off by the " + words(
                rule.relaxable_by or ""
            )
        elif rule.relaxable_by is not None:
            note = rule.why_not_relaxable(whole) or "cannot be relaxed for this household"
        else:
            note = "cannot be relaxed"
        broken.append(BrokenRule(rule_id, reason, rule.relaxable_by if could else None, relaxable_now, note))
    can_relax = bool(broken) and all(r.relaxable_by is not None for r in broken)

    fails = rule_matrix(whole, index.table)
    legal = np.flatnonzero(~fails.any(axis=0))
    estimate = estimate_scarcity(index)
    points_by_household, reasons = scarcity_for_request(index, estimate, request.id, legal)
    ctx = ScoringContext(index.weights, points_by_household, reasons)
    top = rank_request(index, request.id, top=1, estimate=estimate)
    top_option = top.options[0] if top.options else None
    rank = score = None
    losses: list[CriterionScore] = []
    if not broken and legal.size:
        points = np.stack([criterion.points(whole, index.table, legal, ctx) for criterion in CRITERIA])
        totals = points.sum(axis=0)
        mine = int(np.flatnonzero(legal == index.table.position[household_id])[0])
        score = int(totals[mine])
        if whole.size > 1:
            score += siblings_together.points(whole.size, 1, index.weights)
        rank = int((totals > totals[mine]).sum()) + 1
        if top_option is not None:
            best: dict[str, int] = {}
            for c in top_option.criteria:
                best[c.id] = best.get(c.id, 0) + c.points
            for criterion, pts in zip(CRITERIA, points[:, mine].tolist(), strict=True):
                gap = pts - best.get(criterion.id, 0)
                if gap < 0:
                    said = criterion.reason(whole, household, pts, ctx) if pts else "earns nothing here"
                    losses.append(CriterionScore(criterion.id, gap, f"{criterion.title}: {said}"))
    return WhyNot(
        request_id=request.id,
        household_id=household.id,
        eligible=not broken,
        rules=tuple(broken),
        can_be_made_eligible=can_relax,
        rank=rank,
        of=int(legal.size),
        score=score,
        top_score=top_option.score if top_option else None,
        top_households=top_option.households if top_option else (),
        losses=tuple(sorted(losses, key=lambda c: c.points)),
    )
