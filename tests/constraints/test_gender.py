"""gender: a household approved for named genders only takes children of those genders (new children only)."""

from __future__ import annotations

from tests.builders import child, current_child, household
from tests.constraints.judge import judge


def test_passes_when_any_gender_is_approved() -> None:
    for gender in ("female", "male", "other"):
        assert not judge("gender", household(approval={"genders": []}), [child(gender=gender)]).broken


def test_passes_a_child_of_an_approved_gender() -> None:
    assert not judge("gender", household(approval={"genders": ["female"]}), [child(gender="female")]).broken


def test_fails_a_child_of_another_gender_naming_the_child() -> None:
    verdict = judge("gender", household(approval={"genders": ["female"]}), [child(name="Sam", gender="male")])
    assert verdict.broken
    assert verdict.reason == "approved for female children only; Sam is male"


def test_fails_naming_only_the_siblings_outside_the_approval() -> None:
    kids = [
        child("C1", name="Amira", gender="female"),
        child("C2", name="Sam", gender="male"),
        child("C3", name="Alex", gender="other"),
    ]
    verdict = judge("gender", household(approval={"genders": ["female", "other"]}), kids)
    assert verdict.broken
    assert verdict.reason == "approved for female and other children only; Sam is male"


def test_boundary_current_children_of_another_gender_do_not_exclude() -> None:
    # Reading 7: gender judges the new children only.
    home = household(approval={"genders": ["female"]}, current_children=[current_child(gender="male")])
    assert not judge("gender", home, [child(gender="female")]).broken
