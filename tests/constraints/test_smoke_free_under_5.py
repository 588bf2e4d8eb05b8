"""smoke_free_under_5: a child under five (whole years on needed_by) is not placed with smokers."""

from __future__ import annotations

from tests.builders import child, current_child, household, request
from tests.constraints.judge import judge


def test_passes_a_smoke_free_household_with_a_baby() -> None:
    assert not judge("smoke_free_under_5", household(smoking=False), [child(date_of_birth="2026-06-01")]).broken


def test_passes_a_smoking_household_with_an_older_child() -> None:
    assert not judge("smoke_free_under_5", household(smoking=True), [child(date_of_birth="2016-06-01")]).broken


def test_fails_a_four_year_old_with_smokers_naming_the_child() -> None:
    verdict = judge("smoke_free_under_5", household(smoking=True), [child(name="Amira", date_of_birth="2022-06-01")])
    assert verdict.broken
    assert verdict.reason == "a smoking household; Amira is 4"


def test_fails_naming_each_young_sibling() -> None:
    kids = [
        child("C1", name="Amira", date_of_birth="2022-06-01"),
        child("C2", name="Ben", date_of_birth="2016-06-01"),
        child("C3", name="Cal", date_of_birth="2025-01-01"),
    ]
    verdict = judge("smoke_free_under_5", household(smoking=True), kids)
    assert verdict.broken
    assert verdict.reason == "a smoking household; Amira is 4 and Cal is 1"


def test_boundary_exactly_five_on_needed_by_passes_and_the_day_before_the_birthday_fails() -> None:
    on_the_day = request(needed_by="2026-11-24")
    five_today = [child(date_of_birth="2021-11-24")]
    assert not judge("smoke_free_under_5", household(smoking=True), five_today, on_the_day).broken
    five_tomorrow = [child(date_of_birth="2021-11-25")]
    verdict = judge("smoke_free_under_5", household(smoking=True), five_tomorrow, on_the_day)
    assert verdict.broken
    assert verdict.reason == "a smoking household; Child C1 is 4"


def test_current_children_under_five_are_not_judged() -> None:
    # Reading 7: the rule judges the new children only.
    home = household(smoking=True, current_children=[current_child(age=2)])
    assert not judge("smoke_free_under_5", home, [child(date_of_birth="2016-06-01")]).broken
