"""Every hard rule, in the order reasons are listed. Adding a rule: one module and one line here."""

from __future__ import annotations

from constraints import (
    age_range,
    approved_places,
    bedrooms,
    do_not_place,
    gender,
    household_available,
    in_house_only,
    living_companions,
    max_distance,
    must_needs,
    named_child_only,
    pets,
    placement_kind,
    risk_to_others,
    risk_to_self,
    sibling_approval,
    smoke_free_under_5,
    usual_fostering_limit,
)
from constraints.base import Rule

RULES: tuple[Rule, ...] = (
    household_available.RULE,
    placement_kind.RULE,
    age_range.RULE,
    gender.RULE,
    approved_places.RULE,
    usual_fostering_limit.RULE,
    sibling_approval.RULE,
    bedrooms.RULE,
    named_child_only.RULE,
    smoke_free_under_5.RULE,
    risk_to_others.RULE,
    risk_to_self.RULE,
    living_companions.RULE,
    must_needs.RULE,
    pets.RULE,
    do_not_place.RULE,
    max_distance.RULE,
    in_house_only.RULE,
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
