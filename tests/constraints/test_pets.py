"""pets: a child who cannot live with animals (`pets: none`) is not placed where there are pets."""

from __future__ import annotations

from tests.builders import child, household
from tests.constraints.judge import judge


def test_passes_a_child_who_cannot_live_with_animals_in_a_home_without_pets() -> None:
    assert not judge("pets", household(pets=[]), [child(pets="none")]).broken


def test_fails_a_child_who_cannot_live_with_animals_where_there_are_pets() -> None:
    verdict = judge("pets", household(pets=["dog", "cat"]), [child(name="Amira", pets="none")])
    assert verdict.broken
    assert verdict.reason == "has pets (dog and cat); Amira cannot live with animals"


def test_fails_naming_only_the_siblings_who_cannot() -> None:
    kids = [child("C1", name="Amira", pets="ok"), child("C2", name="Ben", pets="none")]
    verdict = judge("pets", household(pets=["rabbit"]), kids)
    assert verdict.broken
    assert verdict.reason == "has pets (rabbit); Ben cannot live with animals"


def test_boundary_ok_and_must_are_not_this_rule() -> None:
    # `must` (wants a pet) is scored, not a hard rule: no pets does not exclude.
    for wish in ("ok", "must"):
        assert not judge("pets", household(pets=[]), [child(pets=wish)]).broken
        assert not judge("pets", household(pets=["dog"]), [child(pets=wish)]).broken
