"""Fit with the children already there: fewer other foster children means more of the carers' attention.

Counted per child placed, so that splitting a group never earns more attention points than keeping it.
"""

from __future__ import annotations

from constraints.base import Part
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    w = ctx.weights
    per_child = (w["fit_no_other_children"] - w["fit_per_current_child"] * table.n_current[pairs.idx]).clip(min=0)
    result: IntArray = per_child * pairs.sizes
    return result


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    n = len(household.current_children)
    if n == 0:
        return "no other foster children there"
    ages = ", ".join(str(c.age) for c in sorted(household.current_children, key=lambda c: c.age))
    return f"{n} other foster {'child' if n == 1 else 'children'} there (aged {ages})"


CRITERION = Criterion(id="household_fit", title="Fit with children already there", over_pairs=points, reason=reason)
