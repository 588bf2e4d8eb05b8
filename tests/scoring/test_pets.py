"""pets: ``pets_must`` points per child whose plan says they must live with animals (``pets: must``), in a
household with pets. ``ok`` earns nothing either way; ``none`` is the hard rule ``pets``, not scored."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score


def test_a_child_who_must_live_with_animals_scores_where_there_are_pets() -> None:
    scores = score(
        "pets",
        [household("DOG", pets=["dog"]), household("NONE", pets=[])],
        [child("C1", name="Amira", pets="must")],
    )
    assert scores.points == {"DOG": W["pets_must"], "NONE": 0}
    assert scores.reasons == {"DOG": "has animals (dog), which Amira must live with"}


def test_a_child_for_whom_animals_are_ok_earns_nothing_anywhere() -> None:
    scores = score("pets", [household("DOG", pets=["dog", "cat"])], [child("C1", name="Amira", pets="ok")])
    assert scores.points == {"DOG": 0}


def test_each_child_who_must_live_with_animals_counts() -> None:
    children = [child("C1", name="Amira", pets="must"), child("C2", name="Ben", pets="must"), child("C3", name="Cara")]
    scores = score("pets", [household("H1", pets=["dog", "cat"])], children)
    assert scores.points == {"H1": 2 * W["pets_must"]}
    assert scores.reasons == {"H1": "has animals (dog and cat), which Amira and Ben must live with"}
