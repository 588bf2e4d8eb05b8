"""usual_fostering_limit: no more than 3 foster children unless all are one sibling group (reading 4) or an
exemption in force on needed_by names every new child (reading 3, then its max is the limit)."""

from __future__ import annotations

from typing import Any

from tests.builders import child, current_child, household, request
from tests.constraints.judge import judge

ROOMY = {"max_children": 8, "max_sibling_group": 8}


def _home(currents: list[dict[str, Any]], exemption: dict[str, Any] | None = None) -> dict[str, Any]:
    return household(approval={**ROOMY, "exemption": exemption}, bedrooms_free=8, current_children=currents)


def _currents(n: int, group: str | None = None) -> list[dict[str, Any]]:
    return [current_child(f"K{i}", sibling_group=group) for i in range(1, n + 1)]


def _kids(n: int, group: str | None = None) -> list[dict[str, Any]]:
    return [child(f"C{i}", name=f"Kid{i}", sibling_group=group) for i in range(1, n + 1)]


def test_passes_three_children_in_all() -> None:
    assert not judge("usual_fostering_limit", _home(_currents(2)), _kids(1)).broken


def test_fails_a_fourth_child_not_of_one_sibling_group_naming_the_child() -> None:
    verdict = judge("usual_fostering_limit", _home(_currents(3)), _kids(1))
    assert verdict.broken
    assert verdict.reason == (
        "would have 4 foster children, above the usual limit of 3, not all one sibling group, "
        "and no exemption in force on 24 Nov names Kid1"
    )


def test_passes_four_siblings_of_one_request_in_an_empty_household() -> None:
    # The children of one request always count as one group, whatever their sibling_group says.
    assert not judge("usual_fostering_limit", _home([]), _kids(4)).broken
    mixed = [child("C1", sibling_group="G1"), child("C2", sibling_group=None), child("C3"), child("C4")]
    assert not judge("usual_fostering_limit", _home([]), mixed).broken


def test_passes_when_current_children_share_the_new_childrens_group() -> None:
    assert not judge("usual_fostering_limit", _home(_currents(2, "G1")), _kids(2, "G1")).broken
    assert not judge("usual_fostering_limit", _home(_currents(3, "G1")), _kids(1, "G1")).broken


def test_fails_when_current_children_are_another_group() -> None:
    verdict = judge("usual_fostering_limit", _home(_currents(2, "G2")), _kids(2, "G1"))
    assert verdict.broken
    assert verdict.reason is not None and verdict.reason.startswith("would have 4 foster children")


def test_fails_when_current_children_are_two_groups() -> None:
    currents = [current_child("K1", sibling_group="G1"), current_child("K2", sibling_group="G2")]
    assert judge("usual_fostering_limit", _home(currents), _kids(2, "G1")).broken


def test_fails_when_a_current_child_has_no_group() -> None:
    # A current child with a null group is a group of its own, even beside children of the new group.
    currents = [current_child("K1", sibling_group="G1"), current_child("K2", sibling_group=None)]
    assert judge("usual_fostering_limit", _home(currents), _kids(2, "G1")).broken


def test_fails_when_all_groups_are_null() -> None:
    # Null is not a shared group: these are four groups of one (or a request group and singletons).
    assert judge("usual_fostering_limit", _home(_currents(2)), _kids(2)).broken
    assert judge("usual_fostering_limit", _home(_currents(3)), _kids(1)).broken


def test_fails_when_the_new_children_carry_no_group_and_current_children_one() -> None:
    assert judge("usual_fostering_limit", _home(_currents(2, "G1")), _kids(2, None)).broken


def test_exemption_naming_every_new_child_lets_its_max_be_the_limit() -> None:
    exemption = {"max_children": 5, "named_children": ["C1", "C2"], "expires": "2027-03-01"}
    assert not judge("usual_fostering_limit", _home(_currents(3), exemption), _kids(2)).broken


def test_fails_above_the_exemptions_max() -> None:
    exemption = {"max_children": 4, "named_children": ["C1", "C2"], "expires": "2027-03-01"}
    verdict = judge("usual_fostering_limit", _home(_currents(3), exemption), _kids(2))
    assert verdict.broken
    assert verdict.reason == "would have 5 foster children; the exemption allows 4"


def test_boundary_exemption_expiring_on_needed_by_applies() -> None:
    exemption = {"max_children": 4, "named_children": ["C1"], "expires": "2026-11-24"}
    on_the_day = request(needed_by="2026-11-24")
    assert not judge("usual_fostering_limit", _home(_currents(3), exemption), _kids(1), on_the_day).broken


def test_boundary_exemption_expiring_the_day_before_needed_by_does_not_apply() -> None:
    exemption = {"max_children": 4, "named_children": ["C1"], "expires": "2026-11-23"}
    verdict = judge("usual_fostering_limit", _home(_currents(3), exemption), _kids(1), request(needed_by="2026-11-24"))
    assert verdict.broken
    assert verdict.reason == (
        "would have 4 foster children, above the usual limit of 3, not all one sibling group, "
        "and no exemption in force on 24 Nov names Kid1"
    )


def test_exemption_not_naming_every_new_child_does_not_apply() -> None:
    exemption = {"max_children": 6, "named_children": ["C1", "K1", "K2"], "expires": "2027-03-01"}
    verdict = judge("usual_fostering_limit", _home(_currents(2), exemption), _kids(2))
    assert verdict.broken
    assert verdict.reason == (
        "would have 4 foster children, above the usual limit of 3, not all one sibling group, "
        "and no exemption in force on 24 Nov names Kid1 and Kid2"
    )


def test_boundary_one_sibling_group_needs_no_exemption_whatever_its_max() -> None:
    # The sibling-group exception stands on its own: an exemption for fewer does not undo it.
    exemption = {"max_children": 4, "named_children": ["C1", "C2"], "expires": "2027-03-01"}
    assert not judge("usual_fostering_limit", _home(_currents(3, "G1"), exemption), _kids(2, "G1")).broken


def test_boundary_an_exemption_below_three_does_not_tighten_the_usual_limit() -> None:
    # The usual limit only bites above 3; an exemption is permission to exceed it, never a stricter limit.
    # (approved_places, where the exemption's max replaces the approved number, is what catches this case.)
    exemption = {"max_children": 2, "named_children": ["C1"], "expires": "2027-03-01"}
    assert not judge("usual_fostering_limit", _home(_currents(2), exemption), _kids(1)).broken
