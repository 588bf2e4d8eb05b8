"""Snapshots for store and API tests, built with ``tests.builders`` and using every field of the format."""

from __future__ import annotations

from domain.snapshot import Snapshot
from tests import builders


def rich_snapshot() -> Snapshot:
    """Three households (one held for a request, one with an exemption and current children), four children,
    three requests (a sibling pair, a single child, a placed one)."""
    households = [
        builders.household(
            "H1",
            bedrooms_free=2,
            shared_bedroom_allowed=True,
            pets=["dog"],
            preferences={"age_min": 5, "age_max": 12, "genders": ["female"]},
            do_not_place=["C44", "C9"],
        ),
        builders.household(
            "H2",
            provider="ifa",
            weekly_cost_gbp=780.5,
            status="on_hold",
            hold={"reason": "carer break", "until": "2026-12-01", "reserved_for_request": "R2"},
            approval={
                "age_min": 11,
                "age_max": 17,
                "max_children": 4,
                "genders": ["male", "female"],
                "manages_risks": ["cse", "missing"],
                "skills": ["teenagers", "bsl"],
                "exemption": {"max_children": 4, "named_children": ["C3"], "expires": "2027-03-01"},
            },
            current_children=[
                builders.current_child("K1", age=15, sibling_group="G7", risks_to_others=["physical_harm"]),
                builders.current_child("K2", age=13, gender="female", living_companions="only_younger"),
            ],
            location={"lat": 52.7, "lon": -1.2, "postcode_district": None},
            wheelchair_accessible=True,
            languages=["en", "pl"],
            religion="catholic",
            smoking=True,
        ),
        builders.household("H3", carer_type="connected", approval={"named_children": ["C4"]}, status="deregistered"),
    ]
    children = [
        builders.child("C1", name="Amira", sibling_group="G1", date_of_birth="2015-02-28"),
        builders.child(
            "C2",
            name="Bilal",
            gender="male",
            sibling_group="G1",
            date_of_birth="2018-02-28",
            needs={"must": ["wheelchair_access"], "would_benefit": ["asd"]},
            communication=["bsl"],
            cultural_needs=["halal diet"],
            religion="muslim",
            previous_households=["H3"],
        ),
        builders.child(
            "C3",
            name="Chloe",
            date_of_birth="2012-07-14",
            risks_to_self=["cse"],
            risks_to_others=["fire_setting"],
            living_companions="only_older",
            pets="none",
            location=None,
            language=None,
        ),
        builders.child("C4", name="Dylan", gender="other", date_of_birth="2010-01-01", pets="must"),
    ]
    requests = [
        builders.request("R1", ["C1", "C2"], kind="long_term", siblings="may_split", priority=5, max_distance_km=40),
        builders.request(
            "R2",
            ["C3"],
            kind="emergency",
            urgency="today",
            in_house_only=True,
            allow_relaxations=["age_range"],
            received_on="2026-11-20",
        ),
        builders.request("R3", ["C4"], status="placed"),
    ]
    return builders.snapshot(households, children, requests, policy={"max_distance_km": 60, "weights": {"distance": 3}})


#: Names of the children in ``rich_snapshot``: they must never appear in logs.
CHILD_NAMES = ("Amira", "Bilal", "Chloe", "Dylan")
