"""Great-circle distances (DESIGN.md precise reading 10: Earth radius 6371.0088 km)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_KM = 6371.0088


#: Slack in km when the dot product of two unit vectors settles which side of a distance limit a point is
#: on: far more than the dot product's float error (well under a metre), so only points this near the limit
#: need the exact haversine.
DOT_PRODUCT_SLACK_KM = 1.0


#: One number, or one for each of many points.
Floats = float | NDArray[np.float64]


def unit_vector(lat: Floats, lon: Floats) -> NDArray[np.float64]:
    """The point (degrees) as a unit vector from the Earth's centre; points as rows ``(N, 3)``."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def cos_of_km(km: Floats) -> NDArray[np.float64]:
    """The cosine of the angle at the Earth's centre that ``km`` of great circle spans (0 to half the Earth)."""
    return np.asarray(np.cos(np.minimum(np.pi, np.maximum(0.0, km) / EARTH_RADIUS_KM)), dtype=np.float64)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km between two points given in degrees."""
    # The vectorised path on one element, so that the scalar and vectorised checks agree to the last bit
    # at a distance limit.
    return float(haversine_km_many(lat1, lon1, np.radians([lat2]), np.radians([lon2]))[0])


def haversine_km_many(
    lat: Floats, lon: Floats, lat_rad: NDArray[np.float64], lon_rad: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distances in km from one point (degrees) to many points (radians), vectorised; or, given arrays of
    points, from each to its own (the same arithmetic element by element)."""
    p1, l1 = np.radians(lat), np.radians(lon)
    a = np.sin((lat_rad - p1) / 2) ** 2 + np.cos(p1) * np.cos(lat_rad) * np.sin((lon_rad - l1) / 2) ** 2
    result: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result
