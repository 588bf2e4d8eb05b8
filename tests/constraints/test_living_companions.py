"""living_companions: solo / only_older / only_younger, judged on every pair that includes a new child, both
ways, siblings of the same request included; "older" is strictly older in whole years; a clash already there
between two current children is not blamed on the placement (reading 9)."""

from __future__ import annotations

from typing import Any

from tests.builders import child, current_child, household, request
from tests.constraints.judge import judge

#: Default children are 10 on needed_by (born 1 Jun 2016; needed by 24 Nov 2026).


def _home(*currents: dict[str, Any]) -> dict[str, Any]:
    return household(current_children=list(currents))


def _kid(need: str = "any", id: str = "C1", name: str = "Amira", dob: str = "2016-06-01") -> dict[str, Any]:
    return child(id, name=name, date_of_birth=dob, living_companions=need)


def test_passes_children_who_may_live_with_anyone() -> None:
    assert not judge("living_companions", _home(current_child(age=3), current_child("K2", age=17)), [_kid()]).broken


# A new child's own need, against the children already there


def test_passes_a_solo_child_in_an_empty_household() -> None:
    assert not judge("living_companions", _home(), [_kid("solo")]).broken


def test_fails_a_solo_child_where_another_foster_child_lives() -> None:
    verdict = judge("living_companions", _home(current_child(age=15)), [_kid("solo")])
    assert verdict.broken
    assert verdict.reason == "Amira must live alone; 1 other foster child is there"
    verdict = judge("living_companions", _home(current_child("K1"), current_child("K2")), [_kid("solo")])
    assert verdict.reason == "Amira must live alone; 2 other foster children are there"


def test_only_older_passes_with_strictly_older_children() -> None:
    assert not judge("living_companions", _home(current_child(age=11)), [_kid("only_older")]).broken


def test_only_older_fails_with_a_younger_child_naming_ages() -> None:
    verdict = judge("living_companions", _home(current_child(age=14), current_child("K2", age=8)), [_kid("only_older")])
    assert verdict.broken
    assert verdict.reason == "Amira (10) must live only with older children; a child of 8 is there"


def test_boundary_only_older_fails_with_a_child_of_the_same_age() -> None:
    verdict = judge("living_companions", _home(current_child(age=10)), [_kid("only_older")])
    assert verdict.broken
    assert verdict.reason == "Amira (10) must live only with older children; a child of 10 is there"


def test_boundary_only_older_uses_whole_years_on_needed_by() -> None:
    on_the_day = request(needed_by="2026-11-24")
    ten_today = [_kid("only_older", dob="2016-11-24")]
    assert judge("living_companions", _home(current_child(age=10)), ten_today, on_the_day).broken
    nine_until_tomorrow = [_kid("only_older", dob="2016-11-25")]
    assert not judge("living_companions", _home(current_child(age=10)), nine_until_tomorrow, on_the_day).broken


def test_only_younger_passes_with_strictly_younger_children() -> None:
    assert not judge("living_companions", _home(current_child(age=9)), [_kid("only_younger")]).broken


def test_only_younger_fails_with_an_older_or_equal_child() -> None:
    verdict = judge("living_companions", _home(current_child(age=13)), [_kid("only_younger")])
    assert verdict.broken
    assert verdict.reason == "Amira (10) must live only with younger children; a child of 13 is there"
    assert judge("living_companions", _home(current_child(age=10)), [_kid("only_younger")]).broken


# The other way round: a current child's need, against the new children


def test_fails_any_child_joining_a_current_child_who_must_live_alone() -> None:
    verdict = judge("living_companions", _home(current_child(age=9, living_companions="solo")), [_kid()])
    assert verdict.broken
    assert verdict.reason == "a child already there (9) must live alone"


def test_current_only_older_passes_an_older_new_child() -> None:
    home = _home(current_child(age=9, living_companions="only_older"))
    assert not judge("living_companions", home, [_kid()]).broken


def test_current_only_older_fails_a_younger_or_equal_new_child_naming_them() -> None:
    home = _home(current_child(age=10, living_companions="only_older"))
    verdict = judge("living_companions", home, [_kid()])
    assert verdict.broken
    assert verdict.reason == "a child already there (10) must live only with older children; Amira is not older"
    home = _home(current_child(age=12, living_companions="only_older"))
    kids = [_kid(), _kid(id="C2", name="Ben", dob="2010-01-01"), _kid(id="C3", name="Cal", dob="2018-01-01")]
    verdict = judge("living_companions", home, kids)
    assert (
        verdict.reason == "a child already there (12) must live only with older children; Amira and Cal are not older"
    )


def test_current_only_younger_passes_a_younger_new_child_and_fails_an_equal_one() -> None:
    assert not judge(
        "living_companions", _home(current_child(age=11, living_companions="only_younger")), [_kid()]
    ).broken
    verdict = judge("living_companions", _home(current_child(age=10, living_companions="only_younger")), [_kid()])
    assert verdict.broken
    assert verdict.reason == "a child already there (10) must live only with younger children; Amira is not younger"


# Between siblings of the same request


def test_fails_a_solo_child_placed_with_siblings() -> None:
    kids = [_kid("solo"), _kid(id="C2", name="Ben")]
    verdict = judge("living_companions", _home(), kids)
    assert verdict.broken
    assert verdict.reason == "Amira must live alone; sibling Ben would be placed too"


def test_siblings_only_older_needs_a_strictly_older_sibling() -> None:
    older_brother = [_kid("only_older"), _kid(id="C2", name="Ben", dob="2013-01-01")]
    assert not judge("living_companions", _home(), older_brother).broken
    twin = [_kid("only_older"), _kid(id="C2", name="Ben", dob="2016-09-01")]
    verdict = judge("living_companions", _home(), twin)
    assert verdict.broken
    assert verdict.reason == "Amira (10) must live only with older children; sibling Ben (10) is not older"


def test_siblings_only_younger_needs_strictly_younger_siblings() -> None:
    kids = [
        _kid("only_younger"),
        _kid(id="C2", name="Ben", dob="2019-01-01"),
        _kid(id="C3", name="Cal", dob="2012-01-01"),
    ]
    verdict = judge("living_companions", _home(), kids)
    assert verdict.broken
    assert verdict.reason == "Amira (10) must live only with younger children; sibling Cal (14) is not younger"
    kids = [_kid("only_younger"), _kid(id="C2", name="Ben", dob="2019-01-01")]
    assert not judge("living_companions", _home(), kids).broken


def test_siblings_whose_needs_fit_each_other_pass() -> None:
    kids = [_kid("only_younger", dob="2012-01-01"), _kid("only_older", id="C2", name="Ben", dob="2016-01-01")]
    assert not judge("living_companions", _home(), kids).broken


# A clash between two children already there


def test_a_clash_between_two_current_children_is_not_blamed() -> None:
    # K1 (10, only older) already lives with K2 (8): not this placement's doing. A 14-year-old breaks nothing.
    already = _home(current_child("K1", age=10, living_companions="only_older"), current_child("K2", age=8))
    assert not judge("living_companions", already, [_kid(dob="2012-01-01")]).broken
    already = _home(current_child("K1", age=10, living_companions="only_younger"), current_child("K2", age=12))
    assert not judge("living_companions", already, [_kid(dob="2020-01-01")]).broken


def test_a_current_solo_child_already_sharing_still_cannot_take_another() -> None:
    # The old clash is not blamed, but the new pair (solo child, new child) is the placement's own.
    already = _home(current_child("K1", age=10, living_companions="solo"), current_child("K2", age=8))
    verdict = judge("living_companions", already, [_kid()])
    assert verdict.broken
    assert verdict.reason == "a child already there (10) must live alone"
