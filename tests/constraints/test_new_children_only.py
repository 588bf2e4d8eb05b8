"""Reading 7: kind, ages, gender, named children, smoke-free, unmanaged risks, harm to animals, must needs,
pets, do-not-place and distance judge the new children only. A household full of current children who would
each break these rules still takes a new child who breaks none."""

from __future__ import annotations

import pytest

from tests.builders import child, current_child, household
from tests.constraints.judge import judge

NEW_CHILDREN_ONLY = [
    "placement_kind",
    "age_range",
    "gender",
    "named_child_only",
    "smoke_free_under_5",
    "risk_to_others",
    "must_needs",
    "pets",
    "do_not_place",
    "max_distance",
]

# A connected, smoking household with a dog, approved for girls of 5-12 and named child C1 only. Its current
# children are outside every one of those terms: a boy of 17, a toddler, a child harming animals with a risk
# the carers do not manage, a child on the do-not-place list.
AWKWARD_HOME = household(
    carer_type="connected",
    smoking=True,
    pets=["dog"],
    bedrooms_free=4,
    approval={
        "age_min": 5,
        "age_max": 12,
        "genders": ["female"],
        "named_children": ["C1"],
        "max_children": 6,
        "manages_risks": [],
    },
    current_children=[
        current_child("K1", age=17, gender="male"),
        current_child("K2", age=2, gender="male"),
        current_child("K3", age=13, gender="other", risks_to_others=["animal_harm", "fire_setting"]),
    ],
    do_not_place=["K1", "K2", "K3"],
)


@pytest.mark.parametrize("rule_id", NEW_CHILDREN_ONLY)
def test_current_children_outside_the_terms_do_not_exclude(rule_id: str) -> None:
    # C1: a girl of 10 near home, named, no needs or risks, fine with pets.
    assert not judge(rule_id, AWKWARD_HOME, [child("C1")]).broken


def test_age_range_a_current_child_outside_the_approved_ages_does_not_exclude() -> None:
    home = household(approval={"age_min": 0, "age_max": 10}, current_children=[current_child(age=16)])
    assert not judge("age_range", home, [child(date_of_birth="2018-01-01")]).broken
