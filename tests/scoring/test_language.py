"""language: ``language`` points per child whose plan states a first language the household speaks.
A child with no stated language earns nothing and loses nothing."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score


def test_a_household_speaking_the_child_s_first_language_earns_the_weight() -> None:
    scores = score(
        "language",
        [household("PL", languages=["en", "pl"]), household("EN", languages=["en"])],
        [child("C1", name="Amira", language="pl")],
    )
    assert scores.points == {"PL": W["language"], "EN": 0}
    assert scores.reasons == {"PL": "speaks the first language of Amira (pl)"}


def test_a_child_with_no_stated_language_earns_nothing_and_loses_nothing_anywhere() -> None:
    scores = score(
        "language",
        [household("EN", languages=["en"]), household("NONE", languages=[])],
        [child("C1", name="Amira", language=None)],
    )
    assert scores.points == {"EN": 0, "NONE": 0}


def test_each_child_whose_language_is_spoken_counts() -> None:
    children = [
        child("C1", name="Amira", language="pa"),
        child("C2", name="Ben", language="pa"),
        child("C3", name="Cara", language="pl"),
        child("C4", name="Dev", language=None),
    ]
    scores = score("language", [household("H1", languages=["en", "pa"])], children)
    assert scores.points == {"H1": 2 * W["language"]}
    assert scores.reasons == {"H1": "speaks the first language of Amira (pa) and Ben (pa)"}


def test_a_language_matches_whatever_its_capitals_or_spaces() -> None:
    scores = score("language", [household("PL", languages=["EN", " Pl"])], [child("C1", name="Amira", language="pl")])
    assert scores.points == {"PL": W["language"]}
    assert scores.reasons == {"PL": "speaks the first language of Amira (pl)"}
