"""risk_to_others: unmanaged risks; sexual harm with a strictly younger child, either way round and between
siblings (reading 8); harm to animals needs the risk managed and no pets (reading 11)."""

from __future__ import annotations

from typing import Any

from tests.builders import child, current_child, household, request
from tests.constraints.judge import judge

#: Default children are 10 on needed_by (born 1 Jun 2016; needed by 24 Nov 2026).
MANAGES_SEXUAL_HARM = {"manages_risks": ["sexual_harm"]}


def _home(currents: list[dict[str, Any]] | None = None, **approval: Any) -> dict[str, Any]:
    return household(approval={**MANAGES_SEXUAL_HARM, **approval}, current_children=currents or [])


def _harmer(id: str = "C1", name: str = "Amira", dob: str = "2016-06-01") -> dict[str, Any]:
    return child(id, name=name, date_of_birth=dob, risks_to_others=["sexual_harm"])


# Unmanaged risks


def test_passes_a_child_with_no_risks() -> None:
    assert not judge("risk_to_others", household(), [child()]).broken


def test_passes_a_managed_risk() -> None:
    home = household(approval={"manages_risks": ["physical_harm", "fire_setting"]})
    assert not judge("risk_to_others", home, [child(risks_to_others=["fire_setting"])]).broken


def test_fails_an_unmanaged_risk_naming_the_risk_and_the_child() -> None:
    home = household(approval={"manages_risks": ["physical_harm"]})
    verdict = judge("risk_to_others", home, [child(name="Amira", risks_to_others=["physical_harm", "fire_setting"])])
    assert verdict.broken
    assert verdict.reason == "not approved to manage fire setting (Amira)"


def test_fails_an_unmanaged_sexual_harm_risk_even_with_no_one_younger() -> None:
    verdict = judge("risk_to_others", household(), [_harmer()])
    assert verdict.broken
    assert verdict.reason == "not approved to manage sexual harm (Amira)"


def test_boundary_a_current_childs_unmanaged_risk_does_not_exclude() -> None:
    # Reading 7: unmanaged risks are judged for the new children only.
    home = household(current_children=[current_child(risks_to_others=["fire_setting", "criminal_exploitation"])])
    assert not judge("risk_to_others", home, [child()]).broken


# Sexual harm: a new child with the risk and a younger current child


def test_fails_a_new_child_with_sexual_harm_risk_and_a_younger_child_there() -> None:
    verdict = judge("risk_to_others", _home([current_child(age=9)]), [_harmer()])
    assert verdict.broken
    assert verdict.reason == "Amira (10, sexual harm risk) would live with a younger child (9)"


def test_passes_a_new_child_with_sexual_harm_risk_and_only_older_or_equal_children() -> None:
    assert not judge("risk_to_others", _home([current_child("K1", age=10)]), [_harmer()]).broken
    assert not judge("risk_to_others", _home([current_child("K1", age=15)]), [_harmer()]).broken


def test_boundary_whole_years_on_needed_by_decide_younger() -> None:
    # Amira turns 10 on needed_by: a current child recorded as 10 is not younger, one of 9 is.
    on_the_day = request(needed_by="2026-11-24")
    ten_today = [_harmer(dob="2016-11-24")]
    assert not judge("risk_to_others", _home([current_child(age=10)]), ten_today, on_the_day).broken
    assert judge("risk_to_others", _home([current_child(age=9)]), ten_today, on_the_day).broken
    # Born a day later she is still 9, so a child of 9 is not younger.
    nine = [_harmer(dob="2016-11-25")]
    assert not judge("risk_to_others", _home([current_child(age=9)]), nine, on_the_day).broken


# Sexual harm the other way round: a current child with the risk and a younger new child


def test_fails_a_younger_new_child_beside_a_current_child_with_sexual_harm_risk() -> None:
    home = _home([current_child(age=12, risks_to_others=["sexual_harm"])])
    verdict = judge("risk_to_others", home, [child(name="Amira")])
    assert verdict.broken
    assert verdict.reason == "a child already there (12) has a sexual harm risk; Amira is younger"


def test_fails_naming_every_younger_new_child() -> None:
    home = _home([current_child(age=12, risks_to_others=["sexual_harm"])])
    kids = [child("C1", name="Amira"), child("C2", name="Ben", date_of_birth="2012-01-01"), child("C3", name="Cal")]
    verdict = judge("risk_to_others", home, kids)
    assert verdict.broken
    assert verdict.reason == "a child already there (12) has a sexual harm risk; Amira and Cal are younger"


def test_boundary_equal_or_older_new_child_beside_a_current_child_with_the_risk_passes() -> None:
    equal = _home([current_child(age=10, risks_to_others=["sexual_harm"])])
    assert not judge("risk_to_others", equal, [child()]).broken
    older = _home([current_child(age=8, risks_to_others=["sexual_harm"])])
    assert not judge("risk_to_others", older, [child()]).broken


def test_boundary_the_current_childs_risk_need_not_be_managed_for_the_clause_to_bite() -> None:
    # The household does not manage sexual harm, and the new child has no risk at all: still a clash.
    home = household(current_children=[current_child(age=14, risks_to_others=["sexual_harm"])])
    assert judge("risk_to_others", home, [child()]).broken


def test_a_clash_between_two_current_children_is_not_blamed_on_the_placement() -> None:
    already = [current_child("K1", age=14, risks_to_others=["sexual_harm"]), current_child("K2", age=8)]
    assert not judge("risk_to_others", _home(already), [child(date_of_birth="2010-01-01")]).broken


# Sexual harm between siblings of the same request


def test_fails_an_older_sibling_with_sexual_harm_risk_and_a_younger_sibling() -> None:
    kids = [_harmer("C1", "Amira", "2014-01-01"), child("C2", name="Ben", date_of_birth="2018-01-01")]
    verdict = judge("risk_to_others", _home(), kids)
    assert verdict.broken
    assert verdict.reason == "Amira (12, sexual harm risk) would live with younger sibling Ben (8)"


def test_passes_siblings_of_equal_age() -> None:
    kids = [_harmer("C1", "Amira", "2014-01-01"), child("C2", name="Ben", date_of_birth="2014-09-01")]
    assert not judge("risk_to_others", _home(), kids).broken


def test_passes_a_younger_sibling_with_the_risk_and_an_older_sibling() -> None:
    kids = [_harmer("C1", "Amira", "2018-01-01"), child("C2", name="Ben", date_of_birth="2014-01-01")]
    assert not judge("risk_to_others", _home(), kids).broken


# Harm to animals: managed and no pets


def test_passes_harm_to_animals_managed_in_a_home_without_pets() -> None:
    home = household(approval={"manages_risks": ["animal_harm"]}, pets=[])
    assert not judge("risk_to_others", home, [child(risks_to_others=["animal_harm"])]).broken


def test_fails_harm_to_animals_managed_but_with_pets() -> None:
    home = household(approval={"manages_risks": ["animal_harm"]}, pets=["dog", "cat"])
    verdict = judge("risk_to_others", home, [child(name="Amira", risks_to_others=["animal_harm"])])
    assert verdict.broken
    assert verdict.reason == "Amira has a risk of harm to animals and the household has pets (dog and cat)"


def test_fails_harm_to_animals_unmanaged_without_pets() -> None:
    home = household(approval={"manages_risks": []}, pets=[])
    verdict = judge("risk_to_others", home, [child(name="Amira", risks_to_others=["animal_harm"])])
    assert verdict.broken
    assert verdict.reason == "not approved to manage animal harm (Amira)"


def test_fails_harm_to_animals_unmanaged_with_pets_saying_both() -> None:
    home = household(approval={"manages_risks": []}, pets=["dog"])
    verdict = judge("risk_to_others", home, [child(name="Amira", risks_to_others=["animal_harm"])])
    assert verdict.broken
    assert verdict.reason == (
        "not approved to manage animal harm (Amira); "
        "Amira has a risk of harm to animals and the household has pets (dog)"
    )


def test_boundary_a_current_child_harming_animals_does_not_exclude_a_home_with_pets() -> None:
    # Reading 7: harm to animals judges the new children only.
    home = household(pets=["dog"], current_children=[current_child(risks_to_others=["animal_harm"])])
    assert not judge("risk_to_others", home, [child()]).broken
