"""In-house first, then cheaper: the council's own carers before agencies, at the weekly cost."""

from __future__ import annotations

from constraints.base import Part
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, Pairs, ScoringContext, as_points


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    w = ctx.weights
    saving = (w["cost_ceiling_gbp"] - table.weekly_cost[pairs.idx]).clip(min=0) / w["cost_step_gbp"]
    per_child = as_points(saving) + (~table.ifa[pairs.idx]) * w["in_house"]
    result: IntArray = per_child * pairs.sizes
    return result


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    who = "in-house carers" if household.provider == "in_house" else "an agency (IFA) household"
    per = " per child" if part.size > 1 else ""
    return f"{who}, £{household.weekly_cost_gbp:,.0f} a week{per}"


CRITERION = Criterion(id="weekly_cost", title="Weekly cost (in-house first)", over_pairs=points, reason=reason)
