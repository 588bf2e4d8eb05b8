"""A child whose plan states a first language scores where the household speaks it."""

from __future__ import annotations

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import BoolArray, HouseholdTable, IntArray, folded
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    total = pairs.zeros()
    speaks: dict[str, BoolArray] = {}  # households speaking each language asked about, worked out once
    for _, child, at in pairs.by_child(lambda c: c.child.language is not None):
        language = folded(child.child.language or "")
        if language not in speaks:
            speaks[language] = table.names(table.language_index, language)
        total[at] += speaks[language][pairs.child_idx[at]] * ctx.weights["language"]
    return pairs.per_pair(total)


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    languages = {folded(x) for x in household.languages}
    spoken = [
        f"{c.label} ({c.child.language})"
        for c in part.children
        if c.child.language is not None and folded(c.child.language) in languages
    ]
    return f"speaks the first language of {listing(spoken)}"


CRITERION = Criterion(id="language", title="First language", over_pairs=points, reason=reason)
