"""A household approved for named genders only takes children of those genders."""

from __future__ import annotations

from constraints.base import Home, Part, Rule, any_child, listing
from domain.tables import BoolArray, HouseholdTable
from domain.vocab import GENDERS, bit_of


def violations(part: Part, table: HouseholdTable) -> BoolArray:
    restricted = table.genders_mask != 0
    return any_child(part, table, lambda c: restricted & ((table.genders_mask & bit_of(GENDERS, c.child.gender)) == 0))


def check(part: Part, home: Home) -> str | None:
    household = home.household
    approved = [g for g in GENDERS if g in household.approval.genders]
    if not approved:
        return None
    outside = [c for c in part.children if c.child.gender not in approved]
    if not outside:
        return None
    who = "; ".join(f"{c.label} is {c.child.gender}" for c in outside)
    return f"approved for {listing(list(approved))} children only; {who}"


RULE = Rule(
    id="gender",
    title="Approved genders",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 27(5) (terms of approval)",
    reason_template="approved for {genders} children only; {child} is {gender}",
    violations=violations,
    check=check,
    reason_key=lambda part, table: table.genders_mask,
    relaxable_by="nominated_officer",
    relaxation="emergency placement outside terms of approval, up to 6 working days (reg. 24)",
    emergency_only=True,
)
