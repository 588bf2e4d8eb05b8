"""distance: per child, ``distance`` points at 0 km falling linearly to 0 at the request's limit, plus
``near_home_bonus`` within ``near_home_km`` (DESIGN.md: "within 20 miles strongly preferred"), inclusive."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household, request
from tests.constraints.judge import judge
from tests.scoring.score import at, km_east, score

NEAR = W["near_home_km"]
POLICY_LIMIT = 80  # builders.snapshot's policy.max_distance_km
AMIRA = child("C1", name="Amira")


def test_at_0_km_a_child_earns_the_whole_distance_weight_and_the_near_home_bonus() -> None:
    scores = score("distance", [household("H1")], [AMIRA])
    assert scores.points == {"H1": W["distance"] + W["near_home_bonus"]}
    assert scores.reasons == {"H1": "0.0 km from Amira's home (within 20 miles)"}


def test_at_exactly_the_near_home_radius_the_bonus_is_earned() -> None:
    scores = score("distance", [at(NEAR)], [AMIRA])
    assert scores.points == {"H1": round(W["distance"] * (1 - NEAR / POLICY_LIMIT)) + W["near_home_bonus"]}
    assert scores.reasons == {"H1": f"{NEAR:.1f} km from Amira's home (within 20 miles)"}


def test_just_beyond_the_near_home_radius_there_is_no_bonus() -> None:
    scores = score("distance", [at(NEAR + 0.01)], [AMIRA])
    assert scores.points == {"H1": round(W["distance"] * (1 - (NEAR + 0.01) / POLICY_LIMIT))}
    assert "within" not in scores.reasons["H1"]


def test_halfway_to_the_limit_earns_half_the_distance_weight() -> None:
    scores = score("distance", [at(POLICY_LIMIT / 2)], [AMIRA])
    assert scores.points == {"H1": round(W["distance"] / 2)}
    assert scores.reasons == {"H1": f"{POLICY_LIMIT / 2:.1f} km from Amira's home"}


def test_at_exactly_the_request_limit_a_household_is_still_legal_and_earns_nothing() -> None:
    limited = request(children=["C1"], max_distance_km=45)
    assert score("distance", [at(45)], [AMIRA], limited).points == {"H1": 0}
    assert not judge("max_distance", at(45), [AMIRA], limited).broken


def test_the_request_limit_sets_the_slope_over_the_policy_one() -> None:
    limited = request(children=["C1"], max_distance_km=50)
    assert score("distance", [at(40)], [AMIRA], limited).points == {"H1": round(W["distance"] * (50 - 40) / 50)}
    unset = request(children=["C1"], max_distance_km=None)
    wide = score("distance", [at(40)], [AMIRA], unset, policy={"max_distance_km": 100})
    assert wide.points == {"H1": round(W["distance"] * (100 - 40) / 100)}


def test_beyond_the_limit_as_when_the_rule_is_relaxed_a_child_earns_nothing_and_loses_nothing() -> None:
    limited = request(children=["C1"], max_distance_km=40, allow_relaxations=["max_distance"])
    assert score("distance", [at(45)], [AMIRA], limited).points == {"H1": 0}


def test_closer_households_earn_more_in_one_call() -> None:
    scores = score("distance", [household("H0"), at(20, "H20"), at(40, "H40"), at(POLICY_LIMIT, "H80")], [AMIRA])
    assert scores.points == {
        "H0": W["distance"] + W["near_home_bonus"],
        "H20": round(W["distance"] * (1 - 20 / POLICY_LIMIT)) + W["near_home_bonus"],
        "H40": round(W["distance"] * (1 - 40 / POLICY_LIMIT)),
        "H80": 0,
    }


def test_each_child_is_measured_and_a_child_with_no_recorded_location_earns_nothing() -> None:
    ben = child("C2", name="Ben", location=None)
    scores = score("distance", [household("H1")], [AMIRA, ben])
    assert scores.points == {"H1": W["distance"] + W["near_home_bonus"]}
    assert scores.reasons == {"H1": "0.0 km from Amira's home (within 20 miles); Ben's home location is not recorded"}


def test_siblings_from_different_homes_are_each_scored_from_their_own_home() -> None:
    ben = child("C2", name="Ben", location=km_east(40))
    scores = score("distance", [household("H1")], [AMIRA, ben])
    amira_points = W["distance"] + W["near_home_bonus"]
    ben_points = round(W["distance"] * (1 - 40 / POLICY_LIMIT))
    assert scores.points == {"H1": amira_points + ben_points}
    assert scores.reasons == {"H1": "0.0 km from Amira's home (within 20 miles); 40.0 km from Ben's home"}


def test_a_child_with_no_recorded_location_alone_earns_nothing() -> None:
    assert score("distance", [household("H1")], [child("C1", name="Amira", location=None)]).points == {"H1": 0}


def test_the_reason_says_the_council_s_own_near_home_radius() -> None:
    """A council that overrides ``near_home_km`` reads its own radius, not DESIGN.md's 20 miles."""
    ten_miles = score("distance", [at(12)], [AMIRA], policy={"max_distance_km": 80, "weights": {"near_home_km": 16}})
    assert ten_miles.reasons == {"H1": "12.0 km from Amira's home (within 10 miles)"}
    thirty_miles = score("distance", [at(40)], [AMIRA], policy={"max_distance_km": 80, "weights": {"near_home_km": 48}})
    assert thirty_miles.reasons == {"H1": "40.0 km from Amira's home (within 30 miles)"}
    at_home = score(
        "distance", [household("H1")], [AMIRA], policy={"max_distance_km": 80, "weights": {"near_home_km": 1}}
    )
    assert at_home.reasons == {"H1": "0.0 km from Amira's home (within 1 km)"}
