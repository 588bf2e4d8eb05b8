"""Score one soft criterion on a small hand-built snapshot, the way ranking does, and insist that the
vectorised points agree with the points computed one household at a time.

Tests state only the households and children that matter; children are given names, so that a reason
naming a child by id where a name is expected is caught here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.geo import EARTH_RADIUS_KM, haversine_km
from matching.index import SnapshotIndex
from scoring.base import Criterion, ScoringContext
from scoring.registry import CRITERIA
from tests import builders

CRITERIA_BY_ID: dict[str, Criterion] = {c.id: c for c in CRITERIA}

#: Where ``builders.child`` lives (and ``builders.household``, unless told otherwise).
HOME_LAT, HOME_LON = 52.6369, -1.1398


@dataclass(frozen=True)
class Scores:
    """A criterion's points and reason sentence per household id (a sentence only where points are not 0)."""

    points: dict[str, int]
    reasons: dict[str, str]


def score(
    criterion_id: str,
    households: list[dict[str, Any]],
    children: list[dict[str, Any]] | None = None,
    request: dict[str, Any] | None = None,
    *,
    policy: dict[str, Any] | None = None,
    scarcity: Mapping[str, int] | None = None,
    scarcity_reasons: Mapping[str, str] | None = None,
) -> Scores:
    """The criterion's points for placing the request's children (all together) in each household."""
    kids = children or [builders.child(name="Amira")]
    req = request or builders.request(children=[k["id"] for k in kids])
    snap = builders.snapshot(households, kids, [req], policy)
    index = SnapshotIndex.build(snap)
    part = index.part(snap.requests[0], snap.requests[0].children)
    ctx = ScoringContext(index.weights, scarcity or {}, scarcity_reasons or {})
    criterion = CRITERIA_BY_ID[criterion_id]
    positions = np.arange(len(index.table), dtype=np.int64)
    vector = criterion.points(part, index.table, positions, ctx)
    assert vector.dtype == np.int64 and vector.shape == positions.shape
    one_at_a_time = [int(criterion.points(part, index.table, positions[i : i + 1], ctx)[0]) for i in positions]
    assert vector.tolist() == one_at_a_time, f"{criterion_id}: vectorised {vector.tolist()} != {one_at_a_time}"
    points = {h.id: int(p) for h, p in zip(index.table.households, vector.tolist(), strict=True)}
    reasons: dict[str, str] = {}
    for household in index.table.households:
        if points[household.id] == 0:
            continue
        text = criterion.reason(part, household, points[household.id], ctx)
        for child in part.children:
            if child.child.name is not None:
                assert not re.search(rf"\b{re.escape(child.id)}\b", text), f"{criterion_id} names {child.id}: {text}"
        reasons[household.id] = text
    return Scores(points, reasons)


def km_east(km: float) -> dict[str, float]:
    """A location exactly ``km`` from the children's home by the great-circle distance the criteria use.

    Searched float by float (bisection on the longitude, then the next latitudes), so that a test at a
    boundary is at the boundary, not a rounding error either side of it.
    """
    lat = HOME_LAT
    for _ in range(400):
        lo = HOME_LON
        hi = HOME_LON + 2 * math.degrees(km / (EARTH_RADIUS_KM * math.cos(math.radians(HOME_LAT))))
        while (mid := (lo + hi) / 2) not in (lo, hi):
            if haversine_km(HOME_LAT, HOME_LON, lat, mid) < km:
                lo = mid
            else:
                hi = mid
        for lon in (lo, hi):
            if haversine_km(HOME_LAT, HOME_LON, lat, lon) == km:
                return {"lat": lat, "lon": lon}
        lat = float(np.nextafter(lat, math.inf))
    raise AssertionError(f"no location found exactly {km} km away")


def at(km: float, id: str = "H1", **overrides: Any) -> dict[str, Any]:
    """A household exactly ``km`` from the children's home."""
    return builders.household(id, location=km_east(km), **overrides)
