"""Continuity of care: a child returning to a household they lived with before."""

from __future__ import annotations

import numpy as np

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, ScoringContext, zeros


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    total = zeros(idx)
    for child in part.children:
        before = table.positions_of(child.child.previous_households)
        if before.size:
            total += np.isin(idx, before) * ctx.weights["continuity"]
    return total


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    returning = [c.label for c in part.children if household.id in c.child.previous_households]
    return f"{listing(returning)} lived here before"


CRITERION = Criterion(id="continuity", title="Continuity of care", points=points, reason=reason)
