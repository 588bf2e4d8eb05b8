"""continuity: ``continuity`` points per child who lived in the household before (previous_households)."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score

HOUSEHOLDS = [household("H1"), household("H2")]


def test_a_child_returning_to_a_household_they_lived_with_earns_the_weight_there_only() -> None:
    scores = score("continuity", HOUSEHOLDS, [child("C1", name="Amira", previous_households=["H2"])])
    assert scores.points == {"H1": 0, "H2": W["continuity"]}
    assert scores.reasons == {"H2": "Amira lived here before"}


def test_a_child_who_never_lived_in_any_of_them_earns_nothing() -> None:
    unknown = child("C1", name="Amira", previous_households=["H99"])  # a household no longer in the snapshot
    assert score("continuity", HOUSEHOLDS, [unknown]).points == {"H1": 0, "H2": 0}
    assert score("continuity", HOUSEHOLDS, [child("C1", name="Amira")]).points == {"H1": 0, "H2": 0}


def test_each_returning_sibling_counts() -> None:
    children = [
        child("C1", name="Amira", previous_households=["H1", "H2"]),
        child("C2", name="Ben", previous_households=["H2"]),
        child("C3", name="Cara"),
    ]
    scores = score("continuity", HOUSEHOLDS, children)
    assert scores.points == {"H1": W["continuity"], "H2": 2 * W["continuity"]}
    assert scores.reasons == {"H1": "Amira lived here before", "H2": "Amira and Ben lived here before"}
