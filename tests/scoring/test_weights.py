"""policy.weights: a council's override changes the points of exactly the criterion that reads it, and an
unknown weight name is an input error naming the field (a typo must not silently change nothing)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from domain.errors import InputError
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.scarcity import estimate_scarcity, scarcity_for_request
from scoring import siblings_together
from scoring.base import ScoringContext
from scoring.registry import CRITERIA
from scoring.weights import DEFAULT_WEIGHTS
from tests.builders import child, current_child, household, request, snapshot
from tests.scoring.score import km_east

#: The criterion whose points each weight changes; weights not listed are read by the rank or the batch
#: objective only (relaxations, children placed, urgency) and change no criterion's points.
OWNER: dict[str, str] = {
    "distance": "distance",
    "near_home_bonus": "distance",
    "near_home_km": "distance",
    "siblings_together": "siblings_together",
    "in_house": "weekly_cost",
    "cost_ceiling_gbp": "weekly_cost",
    "cost_step_gbp": "weekly_cost",
    "would_benefit": "would_benefit",
    "language": "language",
    "religion": "religion",
    "pets_must": "pets",
    "preference_met": "preferences",
    "preference_missed": "preferences",
    "continuity": "continuity",
    "fit_no_other_children": "household_fit",
    "fit_per_current_child": "household_fit",
    "scarcity": "scarcity",
}
NOT_CRITERIA = {
    "relaxation",
    "placed_child",
    "urgency_today",
    "urgency_within_5_days",
    "urgency_planned",
    "expected_window_days",
    "expected_single_percent",
    "expected_group_percent",
    "sibling_room_kept",
}


def _snapshot(weights: dict[str, int]) -> Any:
    """Two siblings and two households on which every criterion earns something that each weight moves."""
    amira = child(
        "C1",
        name="Amira",
        language="pl",
        religion="muslim",
        needs={"must": [], "would_benefit": ["asd"]},
        previous_households=["H1"],
        pets="must",
    )
    ben = child("C2", name="Ben", date_of_birth="2012-01-01", gender="male")
    dev = child("C3", name="Dev", needs={"must": ["asd"], "would_benefit": []})  # only H1 can take Dev
    h1 = household(
        "H1",
        location=km_east(20),
        languages=["en", "pl"],
        religion="muslim",
        approval={"skills": ["asd"], "max_children": 4},
        current_children=[current_child("K1", age=7)],
        preferences={"age_min": 5, "age_max": 12},  # Amira inside, Ben outside
        pets=["dog"],
    )
    h2 = household("H2", provider="ifa", weekly_cost_gbp=850, location=km_east(40), preferences={"genders": ["female"]})
    return snapshot(
        [h1, h2],
        [amira, ben, dev],
        [request("R1", ["C1", "C2"]), request("R2", ["C3"])],
        policy={"max_distance_km": 80, "weights": weights},
    )


def _points(weights: dict[str, int]) -> dict[str, list[int]]:
    """Every criterion's points for R1 (both siblings) in each household, as ranking scores them."""
    index = SnapshotIndex.build(_snapshot(weights))
    part = index.part(index.request("R1"), ["C1", "C2"])
    positions = np.arange(len(index.table), dtype=np.int64)
    ctx = ScoringContext(index.weights, *scarcity_for_request(index, estimate_scarcity(index), "R1", positions))
    found = {c.id: c.points(part, index.table, positions, ctx).tolist() for c in CRITERIA}
    found["siblings_together"] = [siblings_together.points(part.size, 1, index.weights)]
    return found


def test_every_weight_is_either_a_criterion_s_or_the_rank_s_and_batch_s() -> None:
    assert set(OWNER) | NOT_CRITERIA == set(DEFAULT_WEIGHTS)
    assert set(OWNER.values()) == {c.id for c in CRITERIA} | {"siblings_together"}


@pytest.mark.parametrize("name", sorted(DEFAULT_WEIGHTS))
def test_overriding_one_weight_changes_the_points_of_exactly_its_criterion(name: str) -> None:
    default = _points({})
    overridden = _points({name: 2 * DEFAULT_WEIGHTS[name] + 1})
    changed = {criterion for criterion, points in default.items() if overridden[criterion] != points}
    assert changed == ({OWNER[name]} if name in OWNER else set())


def test_an_override_gives_exactly_the_points_the_new_weight_says() -> None:
    default = _points({})["weekly_cost"]
    assert _points({"in_house": DEFAULT_WEIGHTS["in_house"] + 50})["weekly_cost"] == [default[0] + 2 * 50, default[1]]


def test_an_unknown_weight_name_is_an_input_error_naming_the_field() -> None:
    typo = _snapshot({"distnace": 300})
    with pytest.raises(InputError) as caught:
        SnapshotIndex.build(typo, "council.json")
    [problem] = caught.value.problems
    assert (problem.source, problem.record, problem.field) == ("council.json", "policy", "weights.distnace")
    assert "unknown weight" in problem.message and "distance" in problem.message
    with pytest.raises(InputError):
        rank_request(typo, "R1")


@pytest.mark.parametrize(("name", "value"), [("cost_step_gbp", 0), ("placed_child", 0), ("distance", -1)])
def test_a_weight_that_would_make_answers_meaningless_is_an_input_error(name: str, value: int) -> None:
    with pytest.raises(InputError) as caught:
        SnapshotIndex.build(_snapshot({name: value}), "council.json")
    [problem] = caught.value.problems
    assert problem.field == f"weights.{name}" and "must be at least" in problem.message


def test_a_weight_of_zero_switches_its_criterion_off() -> None:
    assert _points({"religion": 0})["religion"] == [0, 0]
