"""A child whose plan states a religion scores where the household shares it."""

from __future__ import annotations

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray, folded
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    total = pairs.zeros()
    for _, child, at in pairs.by_child(lambda c: c.child.religion is not None):
        same = table.religion[pairs.child_idx[at]] == folded(child.child.religion or "")
        total[at] += same * ctx.weights["religion"]
    return pairs.per_pair(total)


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    theirs = None if household.religion is None else folded(household.religion)
    shared = [c.label for c in part.children if c.child.religion is not None and folded(c.child.religion) == theirs]
    return f"shares the {household.religion} faith of {listing(shared)}"


CRITERION = Criterion(id="religion", title="Religion", over_pairs=points, reason=reason)
