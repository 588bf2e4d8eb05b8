"""The carers' own preferences (ages, genders): met scores, missed costs (they may still take the child)."""

from __future__ import annotations

import numpy as np

from constraints.base import NewChild, Part, listing
from domain.snapshot import Household, Preferences
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


def _outside(prefs: Preferences, child: NewChild) -> str | None:
    """What puts ``child`` outside the carers' preferences, in words (``Amira is 14``), or None."""
    low = prefs.age_min if prefs.age_min is not None else 0
    high = prefs.age_max if prefs.age_max is not None else child.age
    why = [] if low <= child.age <= high else [str(child.age)]
    if prefs.genders and child.child.gender not in prefs.genders:
        why.append(child.child.gender)
    return f"{child.label} is {' and '.join(why)}" if why else None


def _ages(prefs: Preferences) -> str | None:
    """The preferred ages as the duty team reads them: ``ages 5-12``, ``ages 5 and over``, ``ages 0-8``."""
    if prefs.age_min is None and prefs.age_max is None:
        return None
    if prefs.age_max is None:
        return f"ages {prefs.age_min} and over"
    return f"ages {prefs.age_min if prefs.age_min is not None else 0}-{prefs.age_max}"


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    prefs = household.preferences
    if prefs is None:
        return ""
    wanted = [_ages(prefs) or "", listing(list(prefs.genders))]
    said = ", ".join(w for w in wanted if w) or "no stated limits"
    outside = [why for c in part.children if (why := _outside(prefs, c)) is not None]
    if not outside:
        return f"within the carers' preferences ({said})"
    return f"outside the carers' preferences ({said}): {listing(outside)}"


CRITERION = Criterion(id="preferences", title="Carers' preferences", points=points, reason=reason)
