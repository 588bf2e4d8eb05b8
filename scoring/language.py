"""A child whose plan states a first language scores where the household speaks it."""

from __future__ import annotations

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray, folded
from scoring.base import Criterion, ScoringContext, zeros


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    total = zeros(idx)
    for child in part.children:
        if child.child.language is not None:
            total += table.names(table.language_index, folded(child.child.language))[idx] * ctx.weights["language"]
    return total


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    languages = {folded(x) for x in household.languages}
    spoken = [
        f"{c.label} ({c.child.language})"
        for c in part.children
        if c.child.language is not None and folded(c.child.language) in languages
    ]
    return f"speaks the first language of {listing(spoken)}"


CRITERION = Criterion(id="language", title="First language", points=points, reason=reason)
