"""Scarcity: the opportunity cost of taking a home that other waiting children need.

The points come from the last nightly batch (what the waiting list loses if this household is taken)
or, without one, from a fast estimate over the waiting list (``matching.scarcity``).
"""

from __future__ import annotations

import numpy as np

from constraints.base import Part
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    if not ctx.scarcity_points:
        return np.zeros(len(pairs), dtype=np.int64)
    ids = [table.households[i].id for i in pairs.idx]
    return -np.asarray([ctx.scarcity_points.get(h, 0) for h in ids], dtype=np.int64)


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    return ctx.scarcity_reasons.get(household.id, "other waiting children could also use this home")


CRITERION = Criterion(id="scarcity", title="Scarcity", over_pairs=points, reason=reason)
