"""Closer is better: each child scores by distance from home, with a bonus within 20 miles."""

from __future__ import annotations

import numpy as np

from constraints.base import Part
from domain.geo import haversine_km, haversine_km_many
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray
from scoring.base import Criterion, Pairs, ScoringContext, as_points

#: Kilometres in a statute mile, to say the near-home radius (``near_home_km``) in the miles DESIGN.md uses.
KM_PER_MILE = 1.609344


def _child_points(km: np.ndarray, limit: float | np.ndarray, ctx: ScoringContext) -> np.ndarray:
    w = ctx.weights
    linear = w["distance"] * np.clip(1.0 - km / limit, 0.0, 1.0)
    return linear + np.where(km <= w["near_home_km"], w["near_home_bonus"], 0)


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    """Each child pair whose child has a location, measured to its candidate household in one call."""
    parts = pairs.parts
    total = pairs.zeros()
    at = np.flatnonzero(~np.isnan(parts.lat)[pairs.child_row])  # a child with no location scores nothing here
    if at.size == 0:
        return pairs.per_pair(total)
    rows, homes = pairs.child_row[at], pairs.child_idx[at]
    km = haversine_km_many(parts.lat[rows], parts.lon[rows], table.lat_rad[homes], table.lon_rad[homes])
    total[at] = as_points(_child_points(km, parts.limits_km[rows], ctx))
    return pairs.per_pair(total)


def _within(near_home_km: int) -> str:
    """The near-home radius as the duty team says it: ``within 20 miles`` for 32 km (whole miles)."""
    miles = round(near_home_km / KM_PER_MILE)
    return f"within {miles} miles" if miles >= 2 else f"within {near_home_km} km"


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    parts = []
    for child in part.children:
        if child.child.location is None:
            parts.append(f"{child.label}'s home location is not recorded")
            continue
        km = haversine_km(
            child.child.location.lat, child.child.location.lon, household.location.lat, household.location.lon
        )
        near = f" ({_within(ctx.weights['near_home_km'])})" if km <= ctx.weights["near_home_km"] else ""
        parts.append(f"{km:.1f} km from {child.label}'s home{near}")
    return "; ".join(parts)


CRITERION = Criterion(id="distance", title="Distance from home", over_pairs=points, reason=reason)
