"""preferences: per child, ``preference_met`` inside the carers' stated preferences (ages inclusive,
genders), ``preference_missed`` subtracted outside them; nothing where the carers stated none."""

from __future__ import annotations

from typing import Any

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score

AMIRA_10 = child("C1", name="Amira", date_of_birth="2016-06-01", gender="female")  # 10 on needed_by


def _prefers(id: str, **preferences: Any) -> dict[str, Any]:
    return household(id, preferences=preferences)


def test_no_preferences_earn_nothing_and_lose_nothing() -> None:
    assert score("preferences", [household("H1", preferences=None)], [AMIRA_10]).points == {"H1": 0}


def test_a_child_inside_the_preferred_ages_earns_the_met_weight() -> None:
    scores = score("preferences", [_prefers("H1", age_min=5, age_max=12)], [AMIRA_10])
    assert scores.points == {"H1": W["preference_met"]}
    assert scores.reasons == {"H1": "within the carers' preferences (ages 5-12)"}


def test_a_child_outside_the_preferred_ages_loses_the_missed_weight() -> None:
    scores = score(
        "preferences", [_prefers("H1", age_min=12, age_max=16), _prefers("H2", age_min=0, age_max=9)], [AMIRA_10]
    )
    assert scores.points == {"H1": -W["preference_missed"], "H2": -W["preference_missed"]}
    assert scores.reasons == {
        "H1": "outside the carers' preferences (ages 12-16): Amira is 10",
        "H2": "outside the carers' preferences (ages 0-9): Amira is 10",
    }


def test_both_preferred_age_bounds_are_inclusive() -> None:
    scores = score(
        "preferences", [_prefers("LOW", age_min=10, age_max=14), _prefers("HIGH", age_min=3, age_max=10)], [AMIRA_10]
    )
    assert scores.points == {"LOW": W["preference_met"], "HIGH": W["preference_met"]}


def test_only_an_upper_age_stated_reads_from_0() -> None:
    scores = score("preferences", [_prefers("H1", age_max=12), _prefers("H2", age_max=8)], [AMIRA_10])
    assert scores.points == {"H1": W["preference_met"], "H2": -W["preference_missed"]}
    assert scores.reasons["H1"] == "within the carers' preferences (ages 0-12)"


def test_preferred_genders_are_met_or_missed() -> None:
    scores = score(
        "preferences",
        [
            _prefers("GIRLS", genders=["female"]),
            _prefers("BOYS", genders=["male"]),
            _prefers("ANY", genders=["female", "male"]),
        ],
        [AMIRA_10],
    )
    assert scores.points == {"GIRLS": W["preference_met"], "BOYS": -W["preference_missed"], "ANY": W["preference_met"]}
    assert scores.reasons["GIRLS"] == "within the carers' preferences (female)"
    assert scores.reasons["ANY"] == "within the carers' preferences (female and male)"


def test_each_child_of_a_group_is_met_or_missed_on_their_own() -> None:
    ben_14 = child("C2", name="Ben", date_of_birth="2012-01-01", gender="male")
    scores = score("preferences", [_prefers("H1", age_min=5, age_max=12)], [AMIRA_10, ben_14])
    assert scores.points == {"H1": W["preference_met"] - W["preference_missed"]}
    assert scores.reasons == {"H1": "outside the carers' preferences (ages 5-12): Ben is 14"}


def test_only_a_lower_age_stated_reads_and_over() -> None:
    scores = score("preferences", [_prefers("H1", age_min=5), _prefers("H2", age_min=12)], [AMIRA_10])
    assert scores.points == {"H1": W["preference_met"], "H2": -W["preference_missed"]}
    assert scores.reasons == {
        "H1": "within the carers' preferences (ages 5 and over)",
        "H2": "outside the carers' preferences (ages 12 and over): Amira is 10",
    }


def test_a_child_outside_by_gender_is_said_to_be_outside_by_gender_not_by_age() -> None:
    scores = score(
        "preferences",
        [_prefers("BOYS", genders=["male"]), _prefers("OLDER_BOYS", age_min=12, age_max=16, genders=["male"])],
        [AMIRA_10],
    )
    assert scores.points == {"BOYS": -W["preference_missed"], "OLDER_BOYS": -W["preference_missed"]}
    assert scores.reasons == {
        "BOYS": "outside the carers' preferences (male): Amira is female",
        "OLDER_BOYS": "outside the carers' preferences (ages 12-16, male): Amira is 10 and female",
    }
