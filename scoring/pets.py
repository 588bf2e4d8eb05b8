"""A child whose plan says they must live with animals (``pets: must``) scores where the household has pets.

DESIGN.md: ``must`` is scored, not a rule (``none``, cannot live with animals, is the hard rule ``pets``).
"""

from __future__ import annotations

import numpy as np

from constraints.base import Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    wanting = pairs.parts.per_part(lambda p: sum(1 for c in p.children if c.child.pets == "must"))[:, 0]
    if not wanting.any():  # no child who must live with animals: nothing to score
        return np.zeros(len(pairs), dtype=np.int64)
    result: IntArray = table.has_pets[pairs.idx] * (wanting[pairs.part_of] * ctx.weights["pets_must"])
    return result


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    wanting = [c.label for c in part.children if c.child.pets == "must"]
    return f"has animals ({listing(household.pets)}), which {listing(wanting)} must live with"


CRITERION = Criterion(id="pets", title="Living with animals", over_pairs=points, reason=reason)
