"""Who may relax which rule (DESIGN.md "Hard rules" table), and that emergency-only relaxations (outside
terms of approval) are never offered to a planned request, whatever it asks for."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from constraints.base import Part, distance_limit_km, make_part
from constraints.registry import RULES, RULES_BY_ID
from domain.tables import HouseholdTable, build_household_table
from tests.builders import child, household, request, snapshot

EMERGENCY_ONLY = ["placement_kind", "age_range", "gender", "approved_places", "sibling_approval"]
RELAXABLE_BY = {
    "household_available": "team_manager",
    "placement_kind": "nominated_officer",
    "age_range": "nominated_officer",
    "gender": "nominated_officer",
    "approved_places": "nominated_officer",
    "usual_fostering_limit": "fostering_service_manager",
    "sibling_approval": "nominated_officer",
    "max_distance": "team_manager",
}


def _part_and_table(req: dict[str, Any]) -> tuple[Part, HouseholdTable]:
    snap = snapshot([household("H1"), household("H2")], [child()], [req])
    the_request = snap.requests[0]
    part = make_part(
        {c.id: c for c in snap.children}, the_request, the_request.children, distance_limit_km(the_request, snap)
    )
    return part, build_household_table(list(snap.households))


def test_the_registry_lists_the_eighteen_rules_of_the_design_in_order() -> None:
    assert [rule.id for rule in RULES] == [
        "household_available",
        "placement_kind",
        "age_range",
        "gender",
        "approved_places",
        "usual_fostering_limit",
        "sibling_approval",
        "bedrooms",
        "named_child_only",
        "smoke_free_under_5",
        "risk_to_others",
        "risk_to_self",
        "living_companions",
        "must_needs",
        "pets",
        "do_not_place",
        "max_distance",
        "in_house_only",
    ]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_relaxable_by_the_role_the_design_names(rule: Any) -> None:
    assert rule.relaxable_by == RELAXABLE_BY.get(rule.id)
    assert rule.emergency_only == (rule.id in EMERGENCY_ONLY)


@pytest.mark.parametrize("rule_id", EMERGENCY_ONLY)
def test_emergency_only_relaxation_is_refused_for_a_planned_long_term_request(rule_id: str) -> None:
    rule = RULES_BY_ID[rule_id]
    part, table = _part_and_table(request(kind="long_term", urgency="planned", allow_relaxations=[rule_id]))
    assert not rule.may_relax(part)
    assert not np.any(rule.relaxable_mask(part, table))
    assert not any(rule.relaxable_for(part, h) for h in table.households)
    assert rule.why_not_relaxable(part) == "only an emergency placement may go outside terms of approval"


@pytest.mark.parametrize("rule_id", EMERGENCY_ONLY)
def test_emergency_only_relaxation_is_offered_for_an_emergency_that_allows_it(rule_id: str) -> None:
    rule = RULES_BY_ID[rule_id]
    part, table = _part_and_table(request(kind="emergency", urgency="within_5_days", allow_relaxations=[rule_id]))
    assert rule.may_relax(part)
    assert rule.relaxable_mask(part, table).tolist() == [True, True]
    assert rule.why_not_relaxable(part) == ""


@pytest.mark.parametrize("rule_id", EMERGENCY_ONLY)
def test_an_emergency_that_does_not_allow_it_gets_no_relaxation(rule_id: str) -> None:
    rule = RULES_BY_ID[rule_id]
    part, table = _part_and_table(request(kind="emergency", allow_relaxations=[]))
    assert not rule.may_relax(part)
    assert not np.any(rule.relaxable_mask(part, table))
    assert rule.why_not_relaxable(part) == "the request does not allow relaxing it"


@pytest.mark.parametrize("rule_id", ["usual_fostering_limit", "max_distance", "household_available"])
def test_other_relaxations_are_open_to_a_planned_request_that_allows_them(rule_id: str) -> None:
    rule = RULES_BY_ID[rule_id]
    part, table = _part_and_table(request(kind="long_term", urgency="planned", allow_relaxations=[rule_id]))
    assert rule.may_relax(part)
    assert rule.relaxable_mask(part, table).tolist() == [True, True]


@pytest.mark.parametrize("rule", [r for r in RULES if r.id not in RELAXABLE_BY], ids=lambda rule: rule.id)
def test_rules_never_relaxed_stay_unrelaxable_even_if_asked(rule: Any) -> None:
    part, table = _part_and_table(request(kind="emergency", urgency="today", allow_relaxations=[rule.id]))
    assert not rule.may_relax(part)
    assert not np.any(rule.relaxable_mask(part, table))
    assert rule.why_not_relaxable(part) == "this rule is never relaxed"


def test_allowing_one_rule_does_not_relax_another() -> None:
    part, _ = _part_and_table(request(kind="emergency", allow_relaxations=["age_range"]))
    assert RULES_BY_ID["age_range"].may_relax(part)
    assert not RULES_BY_ID["gender"].may_relax(part)
