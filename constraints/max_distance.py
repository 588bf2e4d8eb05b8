"""Each child is placed within the distance limit of their home or school (great-circle km)."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part, Parts, Rule
from domain.geo import DOT_PRODUCT_SLACK_KM, cos_of_km, haversine_km, haversine_km_many, unit_vector
from domain.tables import BoolArray, HouseholdTable, IntArray


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    """One dot product of unit vectors per child and household settles every household but those within
    ``DOT_PRODUCT_SLACK_KM`` of the limit; only those get the exact haversine (the scalar check's distance)."""
    rows = np.zeros((len(parts.children), len(table)), dtype=bool)
    located = np.flatnonzero(~np.isnan(parts.lat))  # a child with no location passes
    if located.size == 0 or len(table) == 0:
        return parts.any_child(rows)
    lat, lon, limits = parts.lat[located], parts.lon[located], parts.limits_km[located]
    dots = unit_vector(lat, lon) @ table.unit_xyz.T
    far = dots < cos_of_km(limits + DOT_PRODUCT_SLACK_KM)[:, None]
    unsure = ~far & (dots <= cos_of_km(limits - DOT_PRODUCT_SLACK_KM)[:, None])
    for row in np.flatnonzero(unsure.any(axis=1)).tolist():  # the few children with a home near their limit
        near = np.flatnonzero(unsure[row])
        km = haversine_km_many(float(lat[row]), float(lon[row]), table.lat_rad[near], table.lon_rad[near])
        far[row, near] = km > limits[row]
    rows[located] = far
    return parts.any_child(rows)


def _shown(km: float, limit: float) -> str:
    """The distance to one decimal, or more where one decimal would not show it is over the limit."""
    for places in (1, 2, 3):
        shown = f"{km:.{places}f}"
        if float(shown) > limit:
            return shown
    return f"just over {limit:g}"


def _far_text(km: float, limit: float, label: str) -> str:
    return f"{_shown(km, limit)} km from {label}'s home"


#: Beyond the limit by at least this much (km), one decimal always shows the distance is over it: the
#: rounding moves it by at most 0.05 km.
ONE_DECIMAL_SAFE_KM = 0.051


def explain_many(part: Part, table: HouseholdTable, positions: IntArray) -> list[str]:
    """Distances differ per household, so they are computed and written for all failing households at once
    (at national scale that is most of 44,000 households for every child)."""
    limit = part.distance_limit_km
    safe = limit + ONE_DECIMAL_SAFE_KM
    columns: list[list[str | None]] = []
    for child in part.children:
        if child.child.location is None:
            continue
        where = child.child.location
        km = table.km_from(where.lat, where.lon)[positions].tolist()
        tail = f" km from {child.label}'s home"
        columns.append([None if k <= limit else (f"{k:.1f}" if k >= safe else _shown(k, limit)) + tail for k in km])
    suffix = f"; the limit is {limit:g} km"
    if len(columns) == 1:
        return [f"{text}{suffix}" for text in columns[0]]
    return ["; ".join(t for t in row if t is not None) + suffix for row in zip(*columns, strict=True)]


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
    over_parts=violations,
    check=check,
    explain_many=explain_many,
    relaxable_by="team_manager",
    relaxation="a placement further away, agreed by the team manager",
)
