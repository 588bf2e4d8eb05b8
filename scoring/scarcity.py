"""Scarcity: the opportunity cost of taking a home that other waiting children need.

The points come from the last nightly batch (what the waiting list loses if this household is taken)
or, without one, from a fast estimate over the waiting list (``matching.scarcity``).
"""

from __future__ import annotations

import numpy as np

from constraints.base import Part
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, ScoringContext


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    if not ctx.scarcity_points:
        return np.zeros(len(idx), dtype=np.int64)
    ids = [table.households[i].id for i in idx]
    return -np.asarray([ctx.scarcity_points.get(h, 0) for h in ids], dtype=np.int64)


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    return ctx.scarcity_reasons.get(household.id, "other waiting children could also use this home")


CRITERION = Criterion(id="scarcity", title="Scarcity", points=points, reason=reason)
