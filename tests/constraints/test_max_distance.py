"""max_distance: each child is within the distance limit of the household (great-circle km); the limit is
the request's when set, else the policy's, else 80 km; excluded only when strictly greater (reading 10)."""

from __future__ import annotations

import math
from typing import Any

from constraints.base import DEFAULT_MAX_DISTANCE_KM, Home, Parts, make_part
from constraints.registry import RULES_BY_ID
from domain.geo import EARTH_RADIUS_KM, haversine_km
from domain.tables import build_household_table
from tests.builders import child, household, request, snapshot
from tests.constraints.judge import judge

HOME_LAT, HOME_LON = 52.6369, -1.1398
KM_PER_DEGREE_LAT = EARTH_RADIUS_KM * math.pi / 180
NO_POLICY_LIMIT: dict[str, Any] = {"weights": {}}  # a policy that sets no distance limit


def _north_of_home(km: float) -> dict[str, float]:
    """A location `km` due north of the household (along a meridian, so exactly that far)."""
    return {"lat": HOME_LAT + km / KM_PER_DEGREE_LAT, "lon": HOME_LON}


def _kid(km: float, id: str = "C1", name: str = "Amira") -> dict[str, Any]:
    return child(id, name=name, location=_north_of_home(km))


def _km(kid: dict[str, Any]) -> float:
    """The distance exactly as the rule computes it."""
    return haversine_km(kid["location"]["lat"], kid["location"]["lon"], HOME_LAT, HOME_LON)


def test_the_earth_radius_is_the_one_designed() -> None:
    assert EARTH_RADIUS_KM == 6371.0088
    assert DEFAULT_MAX_DISTANCE_KM == 80.0
    assert abs(_km(_kid(50.0)) - 50.0) < 1e-6


def test_passes_a_child_close_to_home() -> None:
    assert not judge("max_distance", household(), [_kid(12.0)]).broken


def test_fails_a_child_beyond_the_limit_with_km_name_and_limit() -> None:
    verdict = judge("max_distance", household(), [_kid(92.34)], request=request(max_distance_km=40))
    assert verdict.broken
    assert verdict.reason == "92.3 km from Amira's home; the limit is 40 km"


def test_boundary_exactly_at_the_limit_passes() -> None:
    kid = _kid(40.0)
    assert not judge("max_distance", household(), [kid], request=request(max_distance_km=_km(kid))).broken


def test_boundary_just_over_the_limit_fails() -> None:
    kid = _kid(40.0)
    just_under = math.nextafter(_km(kid), 0.0)
    verdict = judge("max_distance", household(), [kid], request=request(max_distance_km=just_under))
    assert verdict.broken
    assert verdict.reason == "just over 40 km from Amira's home; the limit is 40 km"
    verdict = judge("max_distance", household(), [_kid(40.02)], request=request(max_distance_km=40))
    assert verdict.broken
    # One decimal would read "40.0 km ... the limit is 40 km"; the reason shows enough to be over the limit.
    assert verdict.reason == "40.02 km from Amira's home; the limit is 40 km"


def test_the_requests_limit_wins_even_above_the_policys() -> None:
    policy = {"max_distance_km": 30}
    assert not judge("max_distance", household(), [_kid(90.0)], request(max_distance_km=100), policy).broken
    verdict = judge("max_distance", household(), [_kid(25.0)], request(max_distance_km=20), policy)
    assert verdict.broken
    assert verdict.reason == "25.0 km from Amira's home; the limit is 20 km"


def test_the_policy_default_applies_when_the_request_sets_none() -> None:
    policy = {"max_distance_km": 30}
    verdict = judge("max_distance", household(), [_kid(31.0)], request(max_distance_km=None), policy)
    assert verdict.broken
    assert verdict.reason == "31.0 km from Amira's home; the limit is 30 km"
    assert not judge("max_distance", household(), [_kid(29.0)], request(max_distance_km=None), policy).broken


def test_80_km_when_neither_request_nor_policy_sets_a_limit() -> None:
    no_limit = request(max_distance_km=None)
    assert not judge("max_distance", household(), [_kid(79.9)], no_limit, NO_POLICY_LIMIT).broken
    verdict = judge("max_distance", household(), [_kid(80.3)], no_limit, NO_POLICY_LIMIT)
    assert verdict.broken
    assert verdict.reason == "80.3 km from Amira's home; the limit is 80 km"


def test_boundary_80_km_exactly_passes_when_neither_sets_a_limit() -> None:
    # Place the child on the meridian at the latitude that is 80 km by the rule's own formula (bisection).
    low, high = 79.99, 80.01
    for _ in range(200):
        mid = (low + high) / 2
        if _km(_kid(mid)) <= 80.0:
            low = mid
        else:
            high = mid
    at_limit, over = _kid(low), _kid(high)
    assert _km(at_limit) <= 80.0 < _km(over)
    no_limit = request(max_distance_km=None)
    assert not judge("max_distance", household(), [at_limit], no_limit, NO_POLICY_LIMIT).broken
    assert judge("max_distance", household(), [over], no_limit, NO_POLICY_LIMIT).broken


def test_a_child_with_no_location_passes() -> None:
    assert not judge("max_distance", household(), [child(location=None)], request(max_distance_km=1)).broken


def test_each_child_is_measured() -> None:
    kids = [_kid(5.0, "C1", "Amira"), child("C2", name="Ben", location=None), _kid(55.52, "C3", "Cal")]
    verdict = judge("max_distance", household(), kids, request(children=["C1", "C2", "C3"], max_distance_km=50))
    assert verdict.broken
    assert verdict.reason == "55.5 km from Cal's home; the limit is 50 km"
    kids.append(_kid(61.0, "C4", "Dee"))
    verdict = judge("max_distance", household(), kids, request(children=["C1", "C2", "C3", "C4"], max_distance_km=50))
    assert verdict.reason == "55.5 km from Cal's home; 61.0 km from Dee's home; the limit is 50 km"


def test_measured_from_the_households_own_location() -> None:
    far_home = household(location={"lat": 53.4808, "lon": -2.2426, "postcode_district": "M1"})  # Manchester
    verdict = judge("max_distance", far_home, [child(name="Amira")], request(max_distance_km=80))
    assert verdict.broken
    assert verdict.reason is not None and verdict.reason.endswith("km from Amira's home; the limit is 80 km")


def test_one_table_of_households_from_far_inside_to_far_outside_agrees_with_the_scalar_check() -> None:
    """The vectorised check settles most households with a dot product and measures only those within
    ``DOT_PRODUCT_SLACK_KM`` of the limit: at every offset from the limit, inside and outside that band, it
    must say what the scalar check says, for one child and for siblings in one call."""
    limit = 40.0
    offsets = [-39.0, -5.0, -1.001, -0.999, -0.5, -1e-6, 0.0, 1e-6, 0.5, 0.999, 1.001, 5.0, 200.0]
    homes = [
        household(f"H{i:02d}", location={"lat": HOME_LAT - (limit + d) / KM_PER_DEGREE_LAT, "lon": HOME_LON})
        for i, d in enumerate(offsets)
    ]
    kids = [child("C1", location={"lat": HOME_LAT, "lon": HOME_LON}), child("C2", location=_north_of_home(0.7))]
    snap = snapshot(homes, kids, [request("R1", children=["C1", "C2"], max_distance_km=limit)])
    table = build_household_table(list(snap.households))
    r = snap.requests[0]
    parts = [make_part({c.id: c for c in snap.children}, r, ids, limit) for ids in (["C1"], ["C2"], ["C1", "C2"])]
    together = RULES_BY_ID["max_distance"].over_parts(Parts(tuple(parts)), table)
    for p, part in enumerate(parts):
        scalar = [RULES_BY_ID["max_distance"].check(part, Home.as_is(h)) is not None for h in snap.households]
        assert together[p].tolist() == scalar, part.ids
    # The child at the households' reference point fails exactly the households past the limit.
    assert together[0].tolist() == [d > 0 for d in offsets]
