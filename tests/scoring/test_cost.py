"""weekly_cost: per child, one point per ``cost_step_gbp`` a week below ``cost_ceiling_gbp`` (never below
0), plus ``in_house`` for the council's own carers."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score

CEILING = W["cost_ceiling_gbp"]
STEP = W["cost_step_gbp"]


def _saving(cost: int) -> int:
    """Points for a weekly cost below the ceiling, for costs a whole number of steps below it."""
    assert (CEILING - cost) % STEP == 0
    return (CEILING - cost) // STEP


def test_in_house_carers_earn_the_in_house_weight_and_the_saving_below_the_ceiling() -> None:
    scores = score("weekly_cost", [household("H1", provider="in_house", weekly_cost_gbp=420)])
    assert scores.points == {"H1": _saving(420) + W["in_house"]}
    assert scores.reasons == {"H1": "in-house carers, £420 a week"}


def test_an_ifa_household_earns_only_the_saving() -> None:
    scores = score("weekly_cost", [household("H1", provider="ifa", weekly_cost_gbp=850)])
    assert scores.points == {"H1": _saving(850)}
    assert scores.reasons == {"H1": "an agency (IFA) household, £850 a week"}


def test_in_house_and_ifa_at_the_same_cost_differ_by_exactly_the_in_house_weight() -> None:
    scores = score(
        "weekly_cost",
        [
            household("IN", provider="in_house", weekly_cost_gbp=700),
            household("IFA", provider="ifa", weekly_cost_gbp=700),
        ],
    )
    assert scores.points == {"IN": _saving(700) + W["in_house"], "IFA": _saving(700)}


def test_at_the_ceiling_there_is_no_saving() -> None:
    scores = score(
        "weekly_cost",
        [
            household("IN", provider="in_house", weekly_cost_gbp=CEILING),
            household("IFA", provider="ifa", weekly_cost_gbp=CEILING),
        ],
    )
    assert scores.points == {"IN": W["in_house"], "IFA": 0}


def test_above_the_ceiling_the_cost_earns_nothing_and_loses_nothing() -> None:
    above = CEILING + 300
    scores = score(
        "weekly_cost",
        [
            household("IN", provider="in_house", weekly_cost_gbp=above),
            household("IFA", provider="ifa", weekly_cost_gbp=above),
        ],
    )
    assert scores.points == {"IN": W["in_house"], "IFA": 0}
    assert scores.reasons == {"IN": f"in-house carers, £{above:,} a week"}


def test_a_cost_between_steps_rounds_to_the_nearest_point() -> None:
    cost = 420 - 0.3 * STEP  # 0.3 of a step cheaper than 420: still the points of 420
    scores = score("weekly_cost", [household("H1", provider="ifa", weekly_cost_gbp=cost)])
    assert scores.points == {"H1": _saving(420)}


def test_a_free_placement_earns_the_whole_ceiling_in_points() -> None:
    scores = score("weekly_cost", [household("H1", provider="in_house", weekly_cost_gbp=0)])
    assert scores.points == {"H1": CEILING // STEP + W["in_house"]}


def test_siblings_placed_together_count_per_child_and_the_reason_says_per_child() -> None:
    siblings = [child("C1", name="Amira"), child("C2", name="Ben")]
    scores = score("weekly_cost", [household("H1", provider="ifa", weekly_cost_gbp=850)], siblings)
    assert scores.points == {"H1": 2 * _saving(850)}
    assert scores.reasons == {"H1": "an agency (IFA) household, £850 a week per child"}
