"""religion: ``religion`` points per child whose plan states a religion the household shares. A child
with no stated religion earns nothing and loses nothing; a household with none shares nobody's."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score

HOUSEHOLDS = [household("MUSLIM", religion="muslim"), household("CHRISTIAN", religion="christian"), household("NONE")]


def test_a_household_sharing_the_child_s_stated_religion_earns_the_weight() -> None:
    scores = score("religion", HOUSEHOLDS, [child("C1", name="Amira", religion="muslim")])
    assert scores.points == {"MUSLIM": W["religion"], "CHRISTIAN": 0, "NONE": 0}
    assert scores.reasons == {"MUSLIM": "shares the muslim faith of Amira"}


def test_a_child_with_no_stated_religion_earns_nothing_and_loses_nothing_anywhere() -> None:
    scores = score("religion", HOUSEHOLDS, [child("C1", name="Amira", religion=None)])
    assert scores.points == {"MUSLIM": 0, "CHRISTIAN": 0, "NONE": 0}


def test_each_child_whose_religion_is_shared_counts() -> None:
    children = [
        child("C1", name="Amira", religion="muslim"),
        child("C2", name="Ben", religion="muslim"),
        child("C3", name="Cara", religion=None),
    ]
    scores = score("religion", HOUSEHOLDS, children)
    assert scores.points == {"MUSLIM": 2 * W["religion"], "CHRISTIAN": 0, "NONE": 0}
    assert scores.reasons == {"MUSLIM": "shares the muslim faith of Amira and Ben"}


def test_a_religion_matches_whatever_its_capitals() -> None:
    scores = score("religion", [household("H1", religion="Muslim")], [child("C1", name="Amira", religion="muslim")])
    assert scores.points == {"H1": W["religion"]}
    assert scores.reasons == {"H1": "shares the Muslim faith of Amira"}
