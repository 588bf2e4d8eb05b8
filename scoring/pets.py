"""A child whose plan says they must live with animals (``pets: must``) scores where the household has pets.

DESIGN.md: ``must`` is scored, not a rule (``none``, cannot live with animals, is the hard rule ``pets``).
"""

from __future__ import annotations

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, ScoringContext, zeros


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    wanting = sum(1 for c in part.children if c.child.pets == "must")
    total = zeros(idx)
    if wanting:
        total += table.has_pets[idx] * (wanting * ctx.weights["pets_must"])
    return total


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    wanting = [c.label for c in part.children if c.child.pets == "must"]
    return f"has animals ({listing(household.pets)}), which {listing(wanting)} must live with"


CRITERION = Criterion(id="pets", title="Living with animals", points=points, reason=reason)
