"""approved_places: children already there + children placed must not exceed the approved number, or the
exemption's number where an exemption applies (reading 3)."""

from __future__ import annotations

from typing import Any

from tests.builders import child, current_child, household, request
from tests.constraints.judge import judge


def _approval(max_children: int, exemption: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"approval": {"max_children": max_children, "exemption": exemption}}


def _currents(n: int) -> list[dict[str, Any]]:
    return [current_child(f"K{i}") for i in range(1, n + 1)]


def test_passes_within_the_approved_number() -> None:
    assert not judge("approved_places", household(**_approval(2), current_children=_currents(1))).broken


def test_fails_above_the_approved_number_with_the_sum() -> None:
    kids = [child("C1"), child("C2")]
    verdict = judge("approved_places", household(**_approval(3), current_children=_currents(2)), kids)
    assert verdict.broken
    assert verdict.reason == "approved for 3 children; 2 already there + 2 to place = 4"


def test_boundary_exactly_the_approved_number_passes() -> None:
    kids = [child("C1"), child("C2")]
    assert not judge("approved_places", household(**_approval(3), current_children=_currents(1)), kids).broken


def test_boundary_approved_for_one_child() -> None:
    verdict = judge("approved_places", household(**_approval(1), current_children=_currents(1)))
    assert verdict.broken
    assert verdict.reason == "approved for 1 child; 1 already there + 1 to place = 2"
    assert not judge("approved_places", household(**_approval(1))).broken


def test_boundary_approved_for_none_takes_nobody() -> None:
    assert judge("approved_places", household(**_approval(0))).broken


def test_exemption_max_replaces_the_approved_number() -> None:
    exemption = {"max_children": 5, "named_children": ["C1", "C2"], "expires": "2027-03-01"}
    kids = [child("C1"), child("C2")]
    home = household(**_approval(3, exemption), current_children=_currents(3))
    assert not judge("approved_places", home, kids).broken
    home = household(**_approval(3, exemption), current_children=_currents(4))
    verdict = judge("approved_places", home, kids)
    assert verdict.broken
    assert verdict.reason == "exemption for 5; 4 already there + 2 to place = 6"


def test_exemption_max_replaces_the_approved_number_even_when_lower() -> None:
    # "Replaces" is literal: an exemption for 2 in a household approved for 4 makes the limit 2.
    exemption = {"max_children": 2, "named_children": ["C1"], "expires": "2027-03-01"}
    verdict = judge("approved_places", household(**_approval(4, exemption), current_children=_currents(2)))
    assert verdict.broken
    assert verdict.reason == "exemption for 2; 2 already there + 1 to place = 3"


def test_boundary_exemption_expiring_on_needed_by_applies() -> None:
    exemption = {"max_children": 4, "named_children": ["C1"], "expires": "2026-11-24"}
    home = household(**_approval(3, exemption), current_children=_currents(3))
    assert not judge("approved_places", home, request=request(needed_by="2026-11-24")).broken


def test_boundary_exemption_expiring_the_day_before_needed_by_does_not_apply() -> None:
    exemption = {"max_children": 4, "named_children": ["C1"], "expires": "2026-11-23"}
    home = household(**_approval(3, exemption), current_children=_currents(3))
    verdict = judge("approved_places", home, request=request(needed_by="2026-11-24"))
    assert verdict.broken
    assert verdict.reason == "approved for 3 children; 3 already there + 1 to place = 4"


def test_exemption_not_naming_every_new_child_does_not_apply() -> None:
    exemption = {"max_children": 5, "named_children": ["C1", "K1"], "expires": "2027-03-01"}
    kids = [child("C1"), child("C2")]
    home = household(**_approval(3, exemption), current_children=_currents(2))
    verdict = judge("approved_places", home, kids)
    assert verdict.broken
    assert verdict.reason == "approved for 3 children; 2 already there + 2 to place = 4"
