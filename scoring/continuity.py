"""Continuity of care: a child returning to a household they lived with before."""

from __future__ import annotations

import numpy as np

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    total = pairs.zeros()
    for _, child, at in pairs.by_child(lambda c: bool(c.child.previous_households)):
        before = table.positions_of(child.child.previous_households)
        if before.size:
            total[at] += np.isin(pairs.child_idx[at], before) * ctx.weights["continuity"]
    return pairs.per_pair(total)


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    returning = [c.label for c in part.children if household.id in c.child.previous_households]
    return f"{listing(returning)} lived here before"


CRITERION = Criterion(id="continuity", title="Continuity of care", over_pairs=points, reason=reason)
