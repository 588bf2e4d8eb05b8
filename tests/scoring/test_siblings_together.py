"""siblings_together: for each household fewer than one per child, ``siblings_together`` points per child
of the group (``n`` children in ``k`` homes: ``n * (n - k)`` times the weight); an option-level criterion,
added by the rank for groups of two or more, and part of the batch's soft level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from matching.batch import BatchSettings, solve_batch
from matching.rank import rank_request
from scoring import siblings_together
from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household, request, snapshot

TOGETHER = W["siblings_together"]


@pytest.mark.parametrize(
    ("children", "homes", "points", "reason"),
    [
        (2, 1, 2 * TOGETHER, "keeps both siblings together"),
        (3, 1, 6 * TOGETHER, "keeps all 3 siblings together"),
        (4, 1, 12 * TOGETHER, "keeps all 4 siblings together"),
        (3, 2, 3 * TOGETHER, "splits the 3 siblings across 2 homes"),
        (4, 2, 8 * TOGETHER, "splits the 4 siblings across 2 homes"),
        (2, 2, 0, "splits the 2 siblings across 2 homes"),
        (3, 3, 0, "splits the 3 siblings across 3 homes"),
    ],
)
def test_points_are_the_weight_per_child_for_each_home_fewer_and_the_reason_says_kept_or_split(
    children: int, homes: int, points: int, reason: str
) -> None:
    assert siblings_together.points(children, homes, W) == points
    assert siblings_together.reason(children, homes) == reason


def most_one_child_gains(weights: Mapping[str, int], needs_met: int = 3) -> int:
    """The most points one child can gain on every other criterion together (as ``scoring.weights`` sums it)."""
    return (
        weights["distance"]
        + weights["near_home_bonus"]
        + weights["in_house"]
        + weights["cost_ceiling_gbp"] // weights["cost_step_gbp"]
        + needs_met * weights["would_benefit"]
        + weights["language"]
        + weights["religion"]
        + weights["pets_must"]
        + weights["preference_met"]
        + weights["preference_missed"]
        + weights["continuity"]
        + weights["fit_no_other_children"]
        + weights["scarcity"]
    )


@pytest.mark.parametrize("children", [2, 3, 4, 5, 6])
def test_each_home_more_costs_more_than_the_whole_group_can_gain_apart(children: int) -> None:
    # A split moves every child of the group, so its price must beat the gain of all of them together.
    assert siblings_together.per_extra_home(children, W) > children * most_one_child_gains(W)
    assert siblings_together.points(children, 1, W) - siblings_together.points(children, 2, W) == (
        siblings_together.per_extra_home(children, W)
    )


def _three_siblings(*households: dict[str, object]) -> list[tuple[list[str], int, str]]:
    """Each option of a may-split request for three siblings: households used, points, reason."""
    kids = [child(c, name=n, sibling_group="G1") for c, n in (("C1", "Amira"), ("C2", "Ben"), ("C3", "Cara"))]
    snap = snapshot(list(households), kids, [request("R1", ["C1", "C2", "C3"], siblings="may_split")])
    found = []
    for option in rank_request(snap, "R1", top=3, scarcity={}).options:
        (together,) = [c for c in option.criteria if c.id == "siblings_together"]
        found.append((sorted({p.household_id for p in option.placements}), together.points, together.reason))
    return found


def test_a_rank_keeping_three_siblings_together_scores_two_homes_fewer_for_each_of_the_three() -> None:
    options = _three_siblings(household("H1", bedrooms_free=3))
    assert options == [(["H1"], 6 * TOGETHER, "keeps all 3 siblings together")]


def test_a_rank_splitting_three_siblings_across_two_homes_scores_one_home_fewer_for_each_of_the_three() -> None:
    options = _three_siblings(household("H2", bedrooms_free=2), household("H1", bedrooms_free=1))
    # Three options (which sibling goes to H1), each one split of two homes.
    assert options == 3 * [(["H1", "H2"], 3 * TOGETHER, "splits the 3 siblings across 2 homes")]


def test_a_single_child_gets_no_siblings_criterion() -> None:
    answer = rank_request(snapshot([household("H1")], [child("C1")], [request("R1", ["C1"])]), "R1", scarcity={})
    assert answer.options and all(c.id != "siblings_together" for c in answer.options[0].criteria)


#: 60 km north of the builders' Leicester: past the near-home radius, within the 80 km limit.
SIXTY_KM_NORTH = {"lat": 52.6369 + 60 / 111.195, "lon": -1.1398, "postcode_district": "NG1"}


def _four_siblings_agency_or_split_in_house() -> Any:
    """The replay's case: four siblings who may split; an agency home 60 km away takes all four, and two
    in-house homes in their town take three and one. Apart, each child gains about 440 points (in-house,
    cost, distance, the near-home bonus): 1,770 for the four, more than one sibling's 1,600."""
    agency = household(
        "H_AGENCY",
        provider="ifa",
        weekly_cost_gbp=850,
        location=SIXTY_KM_NORTH,
        bedrooms_free=4,
        approval={"max_children": 4, "max_sibling_group": 4},
    )
    three = household("H_THREE", bedrooms_free=3)
    one = household("H_ONE", bedrooms_free=1)
    kids = [child(f"C{i}", sibling_group="G1") for i in range(1, 5)]
    return snapshot(
        [agency, three, one], kids, [request("R1", [k["id"] for k in kids], siblings="may_split", urgency="today")]
    )


def test_the_rank_keeps_four_siblings_together_in_an_agency_home_before_splitting_them_in_house() -> None:
    options = rank_request(_four_siblings_agency_or_split_in_house(), "R1", top=2, scarcity={}).options
    assert {p.household_id for p in options[0].placements} == {"H_AGENCY"}
    assert {p.household_id for p in options[1].placements} == {"H_THREE", "H_ONE"}
    apart = sum(c.points for c in options[1].criteria if c.id != "siblings_together")
    together = sum(c.points for c in options[0].criteria if c.id != "siblings_together")
    assert apart - together > TOGETHER  # the split gains more than one sibling's weight on the other criteria


def test_the_batch_keeps_four_siblings_together_in_an_agency_home_before_splitting_them_in_house() -> None:
    answer = solve_batch(_four_siblings_agency_or_split_in_house(), BatchSettings(time_limit_s=10))
    assert answer.status == "optimal"
    (match,) = answer.matches
    assert {p.household_id for p in match.placements} == {"H_AGENCY"}
