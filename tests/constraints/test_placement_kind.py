"""placement_kind: the request's kind must be among the household's approved kinds."""

from __future__ import annotations

from tests.builders import current_child, household, request
from tests.constraints.judge import judge


def test_passes_an_approved_kind() -> None:
    home = household(approval={"placement_kinds": ["short_term", "long_term"]})
    assert not judge("placement_kind", home, request=request(kind="long_term")).broken


def test_fails_a_kind_outside_the_approval_and_says_so_in_words() -> None:
    home = household(approval={"placement_kinds": ["short_term", "long_term"]})
    verdict = judge("placement_kind", home, request=request(kind="remand"))
    assert verdict.broken
    assert verdict.reason == "approved for short term and long term; this is a remand placement"


def test_fails_an_emergency_for_a_household_not_approved_for_emergencies() -> None:
    home = household(approval={"placement_kinds": ["short_term", "long_term", "short_break"]})
    verdict = judge("placement_kind", home, request=request(kind="emergency"))
    assert verdict.broken
    assert verdict.reason == "approved for short term, long term and short break; this is an emergency placement"


def test_boundary_no_approved_kinds_takes_nothing() -> None:
    verdict = judge("placement_kind", household(approval={"placement_kinds": []}), request=request(kind="short_term"))
    assert verdict.broken
    assert verdict.reason == "approved for no kind of placement; this is a short term placement"


def test_boundary_each_kind_matches_only_itself() -> None:
    kinds = ["emergency", "short_term", "long_term", "short_break", "parent_and_child", "remand", "step_down"]
    for kind in kinds:
        home = household(approval={"placement_kinds": [kind]})
        assert not judge("placement_kind", home, request=request(kind=kind)).broken
        assert judge("placement_kind", home, request=request(kind="staying_put")).broken


def test_boundary_current_children_do_not_matter() -> None:
    # Reading 7: the kind is the request's; whatever placement the children already there are on is irrelevant.
    home = household(approval={"placement_kinds": ["long_term"]}, current_children=[current_child()])
    assert not judge("placement_kind", home, request=request(kind="long_term")).broken
