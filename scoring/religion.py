"""A child whose plan states a religion scores where the household shares it."""

from __future__ import annotations

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray, folded
from scoring.base import Criterion, ScoringContext, zeros


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    total = zeros(idx)
    for child in part.children:
        if child.child.religion is not None:
            total += (table.religion[idx] == folded(child.child.religion)) * ctx.weights["religion"]
    return total


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    theirs = None if household.religion is None else folded(household.religion)
    shared = [c.label for c in part.children if c.child.religion is not None and folded(c.child.religion) == theirs]
    return f"shares the {household.religion} faith of {listing(shared)}"


CRITERION = Criterion(id="religion", title="Religion", points=points, reason=reason)
