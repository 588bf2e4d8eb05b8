"""The carers' own preferences (ages, genders): met scores, missed costs (they may still take the child)."""

from __future__ import annotations

import numpy as np

from constraints.base import NewChild, Part, listing
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from domain.vocab import GENDERS, bit_of
from scoring.base import Criterion, ScoringContext, zeros


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    total = zeros(idx)
    has = table.has_preferences[idx]
    genders = table.preferred_genders_mask[idx]
    for child in part.children:
        inside = (table.preferred_age_min[idx] <= child.age) & (child.age <= table.preferred_age_max[idx])
        inside &= (genders == 0) | ((genders & bit_of(GENDERS, child.child.gender)) != 0)
        total += np.where(has, np.where(inside, ctx.weights["preference_met"], -ctx.weights["preference_missed"]), 0)
    return total


def _inside(household: Household, child: NewChild) -> bool:
    prefs = household.preferences
    if prefs is None:
        return True
    low = prefs.age_min if prefs.age_min is not None else 0
    high = prefs.age_max if prefs.age_max is not None else child.age
    return low <= child.age <= high and (not prefs.genders or child.child.gender in prefs.genders)


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    prefs = household.preferences
    if prefs is None:
        return ""
    wanted = []
    if prefs.age_min is not None or prefs.age_max is not None:
        wanted.append(f"ages {prefs.age_min if prefs.age_min is not None else 0}-{prefs.age_max or ''}".rstrip("-"))
    if prefs.genders:
        wanted.append(listing(list(prefs.genders)))
    said = ", ".join(wanted) or "no stated limits"
    outside = [f"{c.label} is {c.age}" for c in part.children if not _inside(household, c)]
    if not outside:
        return f"within the carers' preferences ({said})"
    return f"outside the carers' preferences ({said}): {listing(outside)}"


CRITERION = Criterion(id="preferences", title="Carers' preferences", points=points, reason=reason)
