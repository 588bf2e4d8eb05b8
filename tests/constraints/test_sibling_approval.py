"""sibling_approval: a group placed together must not exceed the approved sibling group size (reading 5)."""

from __future__ import annotations

from typing import Any

from constraints.base import Home, make_part
from constraints.registry import RULES_BY_ID
from domain.tables import build_household_table
from tests.builders import child, current_child, household, request, snapshot
from tests.constraints.judge import judge


def _kids(n: int) -> list[dict[str, Any]]:
    return [child(f"C{i}", sibling_group="G1") for i in range(1, n + 1)]


def _approved(max_sibling_group: int, **more: Any) -> dict[str, Any]:
    return household(approval={"max_sibling_group": max_sibling_group, "max_children": 6}, **more)


def test_passes_a_group_within_the_approval() -> None:
    assert not judge("sibling_approval", _approved(3), _kids(2)).broken


def test_fails_a_group_larger_than_approved_with_the_numbers() -> None:
    verdict = judge("sibling_approval", _approved(2), _kids(3))
    assert verdict.broken
    assert verdict.reason == "approved for sibling groups of up to 2; 3 siblings to place together"


def test_fails_siblings_where_not_sibling_approved() -> None:
    verdict = judge("sibling_approval", _approved(1), _kids(2))
    assert verdict.broken
    assert verdict.reason == "not approved for sibling groups; 2 siblings to place together"


def test_boundary_exactly_the_approved_size_passes() -> None:
    assert not judge("sibling_approval", _approved(3), _kids(3)).broken
    assert judge("sibling_approval", _approved(3), _kids(4)).broken


def test_boundary_a_single_child_passes_a_household_not_sibling_approved() -> None:
    assert not judge("sibling_approval", _approved(1), _kids(1)).broken


def test_siblings_already_living_there_are_not_counted() -> None:
    # Reading 5: only this request's children placed here count, not the brother already there.
    there = [current_child("K1", sibling_group="G1"), current_child("K2", sibling_group="G1")]
    assert not judge("sibling_approval", _approved(1, current_children=there), _kids(1)).broken
    assert not judge("sibling_approval", _approved(2, current_children=there), _kids(2)).broken


def test_a_split_part_counts_its_own_size() -> None:
    kids = _kids(4)
    snap = snapshot([_approved(2)], kids, [request(children=[k["id"] for k in kids], siblings="may_split")])
    the_request = snap.requests[0]
    children = {c.id: c for c in snap.children}
    table = build_household_table(list(snap.households))
    home = Home.as_is(snap.households[0])
    rule = RULES_BY_ID["sibling_approval"]

    pair = make_part(children, the_request, ["C1", "C2"], 80.0)
    assert not rule.violations(pair, table)[0]
    assert rule.check(pair, home) is None

    whole = make_part(children, the_request, the_request.children, 80.0)
    assert rule.violations(whole, table)[0]
    assert rule.check(whole, home) == "approved for sibling groups of up to 2; 4 siblings to place together"
