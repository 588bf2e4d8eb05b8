"""The carers' own preferences (ages, genders): met scores, missed costs (they may still take the child)."""

from __future__ import annotations

import numpy as np

from constraints.base import NewChild, Part, listing
from domain.snapshot import Household, Preferences
from domain.tables import HouseholdTable, IntArray
from domain.vocab import GENDERS, bit_of
from scoring.base import Criterion, Pairs, ScoringContext


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    homes, rows = pairs.child_idx, pairs.child_row
    ages = pairs.parts.ages[:, 0][rows]
    gender = pairs.parts.per_child(lambda c: bit_of(GENDERS, c.child.gender))[:, 0][rows]
    genders = table.preferred_genders_mask[homes]
    inside = (table.preferred_age_min[homes] <= ages) & (ages <= table.preferred_age_max[homes])
    inside &= (genders == 0) | ((genders & gender) != 0)
    met = np.where(inside, ctx.weights["preference_met"], -ctx.weights["preference_missed"])
    return pairs.per_pair(np.where(table.has_preferences[homes], met, 0).astype(np.int64))


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


CRITERION = Criterion(id="preferences", title="Carers' preferences", over_pairs=points, reason=reason)
