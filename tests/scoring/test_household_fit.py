"""household_fit: per child placed, ``fit_no_other_children`` less ``fit_per_current_child`` for each
foster child already there, never below 0."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, current_child, household
from tests.scoring.score import score


def _fit(n_current: int) -> int:
    return max(0, W["fit_no_other_children"] - W["fit_per_current_child"] * n_current)


def _with(id: str, *ages: int) -> dict[str, object]:
    return household(
        id,
        approval={"max_children": 6},
        bedrooms_free=2,
        current_children=[current_child(f"K{i}", age=age) for i, age in enumerate(ages)],
    )


def test_no_other_foster_children_earns_the_whole_weight() -> None:
    scores = score("household_fit", [_with("H0")])
    assert scores.points == {"H0": W["fit_no_other_children"]}
    assert scores.reasons == {"H0": "no other foster children there"}


def test_each_child_already_there_costs_the_per_child_weight() -> None:
    scores = score("household_fit", [_with("H1", 9), _with("H2", 15, 4)])
    assert scores.points == {"H1": _fit(1), "H2": _fit(2)}
    assert scores.reasons == {
        "H1": "1 other foster child there (aged 9)",
        "H2": "2 other foster children there (aged 4, 15)",
    }


def test_a_full_household_earns_nothing_and_loses_nothing() -> None:
    many = 1 + W["fit_no_other_children"] // W["fit_per_current_child"]  # enough to go below 0 unclipped
    scores = score("household_fit", [_with("FULL", *range(5, 5 + many))])
    assert scores.points == {"FULL": 0}


def test_points_count_per_child_placed() -> None:
    siblings = [child("C1", name="Amira"), child("C2", name="Ben")]
    scores = score("household_fit", [_with("H0"), _with("H1", 9)], siblings)
    assert scores.points == {"H0": 2 * _fit(0), "H1": 2 * _fit(1)}
