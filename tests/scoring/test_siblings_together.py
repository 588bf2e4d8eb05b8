"""siblings_together: ``siblings_together`` points per sibling who lives with the rest of the group, i.e.
children minus homes used; an option-level criterion, added by the rank for groups of two or more."""

from __future__ import annotations

import pytest

from matching.rank import rank_request
from scoring import siblings_together
from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household, request, snapshot

TOGETHER = W["siblings_together"]


@pytest.mark.parametrize(
    ("children", "homes", "points", "reason"),
    [
        (2, 1, TOGETHER, "keeps both siblings together"),
        (3, 1, 2 * TOGETHER, "keeps all 3 siblings together"),
        (4, 1, 3 * TOGETHER, "keeps all 4 siblings together"),
        (3, 2, TOGETHER, "splits the 3 siblings across 2 homes"),
        (2, 2, 0, "splits the 2 siblings across 2 homes"),
        (3, 3, 0, "splits the 3 siblings across 3 homes"),
    ],
)
def test_points_are_siblings_living_with_the_rest_and_the_reason_says_kept_or_split(
    children: int, homes: int, points: int, reason: str
) -> None:
    assert siblings_together.points(children, homes, W) == points
    assert siblings_together.reason(children, homes) == reason


def _three_siblings(*households: dict[str, object]) -> list[tuple[list[str], int, str]]:
    """Each option of a may-split request for three siblings: households used, points, reason."""
    kids = [child(c, name=n, sibling_group="G1") for c, n in (("C1", "Amira"), ("C2", "Ben"), ("C3", "Cara"))]
    snap = snapshot(list(households), kids, [request("R1", ["C1", "C2", "C3"], siblings="may_split")])
    found = []
    for option in rank_request(snap, "R1", top=3, scarcity={}).options:
        (together,) = [c for c in option.criteria if c.id == "siblings_together"]
        found.append((sorted({p.household_id for p in option.placements}), together.points, together.reason))
    return found


def test_a_rank_keeping_three_siblings_together_scores_two_siblings_kept_with_the_rest() -> None:
    options = _three_siblings(household("H1", bedrooms_free=3))
    assert options == [(["H1"], 2 * TOGETHER, "keeps all 3 siblings together")]


def test_a_rank_splitting_three_siblings_across_two_homes_scores_one() -> None:
    options = _three_siblings(household("H2", bedrooms_free=2), household("H1", bedrooms_free=1))
    # Three options (which sibling goes to H1), each one split of two homes.
    assert options == 3 * [(["H1", "H2"], TOGETHER, "splits the 3 siblings across 2 homes")]


def test_a_single_child_gets_no_siblings_criterion() -> None:
    answer = rank_request(snapshot([household("H1")], [child("C1")], [request("R1", ["C1"])]), "R1", scarcity={})
    assert answer.options and all(c.id != "siblings_together" for c in answer.options[0].criteria)
