"""Each child is placed within the distance limit of their home or school (great-circle km)."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part, Rule
from domain.geo import haversine_km, haversine_km_many
from domain.tables import BoolArray, HouseholdTable, IntArray


def violations(part: Part, table: HouseholdTable) -> BoolArray:
    result = np.zeros(len(table), dtype=bool)
    for child in part.children:
        if child.child.location is not None:
            km = haversine_km_many(child.child.location.lat, child.child.location.lon, table.lat_rad, table.lon_rad)
            result |= km > part.distance_limit_km
    return result


def _shown(km: float, limit: float) -> str:
    """The distance to one decimal, or more where one decimal would not show it is over the limit."""
    for places in (1, 2, 3):
        shown = f"{km:.{places}f}"
        if float(shown) > limit:
            return shown
    return f"just over {limit:g}"


def _far_text(km: float, limit: float, label: str) -> str:
    return f"{_shown(km, limit)} km from {label}'s home"


def explain_many(part: Part, table: HouseholdTable, positions: IntArray) -> list[str]:
    """Distances differ per household, so they are computed for all failing households at once."""
    limit = part.distance_limit_km
    pieces: list[list[str]] = [[] for _ in range(len(positions))]
    for child in part.children:
        if child.child.location is None:
            continue
        where = child.child.location
        km = haversine_km_many(where.lat, where.lon, table.lat_rad[positions], table.lon_rad[positions])
        for i in np.flatnonzero(km > limit).tolist():
            pieces[i].append(_far_text(float(km[i]), limit, child.label))
    return [f"{'; '.join(far)}; the limit is {limit:g} km" for far in pieces]


def check(part: Part, home: Home) -> str | None:
    where = home.household.location
    far = []
    for c in part.children:
        if c.child.location is None:
            continue
        km = haversine_km(c.child.location.lat, c.child.location.lon, where.lat, where.lon)
        if km > part.distance_limit_km:
            far.append(_far_text(km, part.distance_limit_km, c.label))
    if not far:
        return None
    return f"{'; '.join(far)}; the limit is {part.distance_limit_km:g} km"


RULE = Rule(
    id="max_distance",
    title="Distance from home",
    legal_basis="Children Act 1989, s.22C(7)-(9) (a placement near home, not disrupting education)",
    reason_template="{km} km from {child}'s home; the limit is {limit} km",
    violations=violations,
    check=check,
    explain_many=explain_many,
    relaxable_by="team_manager",
    relaxation="a placement further away, agreed by the team manager",
)
