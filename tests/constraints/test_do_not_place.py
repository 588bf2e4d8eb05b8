"""do_not_place: a child on the household's do-not-place list is never placed there."""

from __future__ import annotations

from tests.builders import child, current_child, household
from tests.constraints.judge import judge


def test_passes_a_child_not_on_the_list() -> None:
    assert not judge("do_not_place", household(do_not_place=["C44"]), [child("C1")]).broken


def test_fails_a_listed_child_naming_the_child() -> None:
    verdict = judge("do_not_place", household(do_not_place=["C44", "C1"]), [child("C1", name="Amira")])
    assert verdict.broken
    assert verdict.reason == "Amira is on this household's do-not-place list"


def test_fails_a_sibling_group_when_one_sibling_is_listed() -> None:
    kids = [child("C1", name="Amira"), child("C2", name="Ben"), child("C3", name="Cal")]
    verdict = judge("do_not_place", household(do_not_place=["C2"]), kids)
    assert verdict.broken
    assert verdict.reason == "Ben is on this household's do-not-place list"
    verdict = judge("do_not_place", household(do_not_place=["C3", "C1"]), kids)
    assert verdict.reason == "Amira and Cal are on this household's do-not-place list"


def test_boundary_an_empty_list_and_a_listed_current_child_do_not_exclude() -> None:
    assert not judge("do_not_place", household(do_not_place=[]), [child("C1")]).broken
    # Reading 7: only the new children are judged, even if a child already there is (oddly) listed.
    home = household(do_not_place=["K1"], current_children=[current_child("K1")])
    assert not judge("do_not_place", home, [child("C1")]).broken


def test_boundary_ids_are_matched_exactly() -> None:
    assert not judge("do_not_place", household(do_not_place=["C10", "c1"]), [child("C1")]).broken
