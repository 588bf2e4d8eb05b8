"""must_needs: every must-have need (needs.must plus BSL/Makaton from communication) must be among the
household's capabilities (skills, plus wheelchair access where wheelchair_accessible) (reading 12)."""

from __future__ import annotations

from tests.builders import child, current_child, household
from tests.constraints.judge import judge


def test_passes_a_child_with_no_must_needs() -> None:
    assert not judge("must_needs", household(), [child()]).broken


def test_passes_needs_met_by_skills() -> None:
    home = household(approval={"skills": ["asd", "complex_health", "teenagers"]})
    assert not judge("must_needs", home, [child(needs={"must": ["asd", "complex_health"]})]).broken


def test_fails_an_unmet_need_naming_the_child_and_the_need() -> None:
    home = household(approval={"skills": ["asd"]})
    verdict = judge("must_needs", home, [child(name="Amira", needs={"must": ["asd", "complex_health"]})])
    assert verdict.broken
    assert verdict.reason == "cannot offer what is needed: Amira must have complex health"


def test_fails_naming_each_child_with_a_gap() -> None:
    kids = [
        child("C1", name="Amira", needs={"must": ["wheelchair_access", "mental_health"]}),
        child("C2", name="Ben", needs={"must": ["asd"]}),
        child("C3", name="Cal", needs={"must": ["learning_disability"]}),
    ]
    verdict = judge("must_needs", household(approval={"skills": ["asd"]}), kids)
    assert verdict.broken
    assert verdict.reason == (
        "cannot offer what is needed: Amira must have mental health and wheelchair access; "
        "Cal must have learning disability"
    )


def test_bsl_in_communication_is_a_must_need() -> None:
    verdict = judge("must_needs", household(), [child(name="Amira", communication=["bsl"])])
    assert verdict.broken
    assert verdict.reason == "cannot offer what is needed: Amira must have BSL"
    assert not judge("must_needs", household(approval={"skills": ["bsl"]}), [child(communication=["bsl"])]).broken


def test_makaton_in_communication_is_a_must_need() -> None:
    verdict = judge(
        "must_needs", household(approval={"skills": ["bsl"]}), [child(name="Ben", communication=["makaton"])]
    )
    assert verdict.broken
    # Case left open: "Makaton" is a proper name that the shared words() helper may capitalise one day.
    assert verdict.reason is not None
    assert verdict.reason.lower() == "cannot offer what is needed: ben must have makaton"
    home = household(approval={"skills": ["makaton"]})
    assert not judge("must_needs", home, [child(communication=["makaton"])]).broken


def test_boundary_esol_and_other_communication_are_not_must_needs() -> None:
    assert not judge("must_needs", household(), [child(communication=["esol", "other"])]).broken


def test_boundary_would_benefit_needs_are_not_this_rule() -> None:
    assert not judge("must_needs", household(), [child(needs={"would_benefit": ["asd", "bsl"]})]).broken


def test_wheelchair_accessible_home_counts_as_wheelchair_access() -> None:
    needs = [child(needs={"must": ["wheelchair_access"]})]
    assert not judge("must_needs", household(wheelchair_accessible=True), needs).broken
    verdict = judge("must_needs", household(wheelchair_accessible=False), needs)
    assert verdict.broken
    assert verdict.reason == "cannot offer what is needed: Child C1 must have wheelchair access"


def test_boundary_wheelchair_access_among_skills_also_counts() -> None:
    home = household(wheelchair_accessible=False, approval={"skills": ["wheelchair_access"]})
    assert not judge("must_needs", home, [child(needs={"must": ["wheelchair_access"]})]).broken


def test_boundary_wheelchair_accessible_does_not_meet_other_needs() -> None:
    home = household(wheelchair_accessible=True)
    assert judge("must_needs", home, [child(needs={"must": ["physical_disability"]})]).broken


def test_current_childrens_needs_are_not_judged() -> None:
    # Reading 7: only the new children's needs; current children carry no needs in the snapshot anyway.
    assert not judge("must_needs", household(current_children=[current_child()]), [child()]).broken
