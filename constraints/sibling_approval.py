"""A sibling group placed together must not be larger than the household is approved to take together."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    result: BoolArray = parts.sizes > table.max_sibling_group
    return result


def check(part: Part, home: Home) -> str | None:
    approved = home.household.approval.max_sibling_group
    if part.size <= approved:
        return None
    if approved == 1:
        return f"not approved for sibling groups; {part.size} siblings to place together"
    return f"approved for sibling groups of up to {approved}; {part.size} siblings to place together"


RULE = Rule(
    id="sibling_approval",
    title="Sibling approval",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 27(5) (terms of approval)",
    reason_template="approved for sibling groups of up to {max_sibling_group}; {size} siblings to place",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.max_sibling_group,
    relaxable_by="nominated_officer",
    relaxation="emergency placement outside terms of approval, up to 6 working days (reg. 24)",
    emergency_only=True,
)
