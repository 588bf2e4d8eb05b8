"""bedrooms: one free room per child placed, or half that rounded up where siblings may share (reading 6)."""

from __future__ import annotations

from typing import Any

from constraints.base import Home, make_part
from constraints.registry import RULES_BY_ID
from domain.snapshot import CurrentChild
from tests.builders import child, current_child, household, request, snapshot
from tests.constraints.judge import judge


def _kids(n: int) -> list[dict[str, Any]]:
    names = ["Amira", "Ben", "Cal", "Dee", "Eli"]
    return [child(f"C{i + 1}", name=names[i], sibling_group="G1") for i in range(n)]


def _home(free: int, sharing: bool, **more: Any) -> dict[str, Any]:
    return household(bedrooms_free=free, shared_bedroom_allowed=sharing, **more)


def test_passes_a_room_for_each_child() -> None:
    assert not judge("bedrooms", _home(2, False), _kids(2)).broken


def test_fails_with_no_free_room_naming_the_child() -> None:
    verdict = judge("bedrooms", _home(0, False), _kids(1))
    assert verdict.broken
    assert verdict.reason == "0 bedrooms free; Amira needs 1"


def test_fails_siblings_without_sharing_one_room_each() -> None:
    verdict = judge("bedrooms", _home(1, False), _kids(2))
    assert verdict.broken
    assert verdict.reason == "1 bedroom free; Amira and Ben need 2"


def test_sharing_halves_the_rooms() -> None:
    assert not judge("bedrooms", _home(1, True), _kids(2)).broken
    assert not judge("bedrooms", _home(2, True), _kids(4)).broken


def test_boundary_sharing_rounds_odd_groups_up() -> None:
    assert not judge("bedrooms", _home(2, True), _kids(3)).broken
    verdict = judge("bedrooms", _home(1, True), _kids(3))
    assert verdict.broken
    assert verdict.reason == "1 bedroom free; Amira, Ben and Cal need 2 (siblings sharing)"
    assert judge("bedrooms", _home(2, True), _kids(5)).broken
    assert not judge("bedrooms", _home(3, True), _kids(5)).broken


def test_boundary_a_single_child_needs_a_whole_room_even_where_sharing_is_allowed() -> None:
    verdict = judge("bedrooms", _home(0, True), _kids(1))
    assert verdict.broken
    assert verdict.reason == "0 bedrooms free; Amira needs 1"
    assert not judge("bedrooms", _home(1, True), _kids(1)).broken


def test_children_already_there_keep_their_rooms() -> None:
    # bedrooms_free counts rooms free for new children; current children's rooms are never shared with them.
    currents = [current_child("K1", sibling_group="G1"), current_child("K2")]
    assert not judge("bedrooms", _home(1, True, current_children=currents), _kids(1)).broken
    assert judge("bedrooms", _home(0, True, current_children=currents), _kids(1)).broken


def test_in_a_batch_each_request_needs_its_own_rooms() -> None:
    # The scalar check used by validate.py: rooms taken by another request placed here are not free.
    kids = _kids(2)
    snap = snapshot([_home(2, True)], kids, [request(children=["C1", "C2"])])
    the_request = snap.requests[0]
    part = make_part({c.id: c for c in snap.children}, the_request, the_request.children, 80.0)
    rule = RULES_BY_ID["bedrooms"]
    other = CurrentChild(child_id="X1", age=7)
    assert rule.check(part, Home(snap.households[0], (other,), rooms_taken=1)) is None
    reason = rule.check(part, Home(snap.households[0], (other,), rooms_taken=2))
    assert reason == "0 bedrooms free after 2 taken by other placements; Amira and Ben need 1 (siblings sharing)"
