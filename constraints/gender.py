"""A household approved for named genders only takes children of those genders."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, listing
from domain.tables import BoolArray, HouseholdTable
from domain.vocab import GENDERS, bit_of


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    restricted = table.genders_mask != 0
    gender = parts.per_child(lambda c: bit_of(GENDERS, c.child.gender))
    return parts.any_child(restricted & ((table.genders_mask & gender) == 0))


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
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.genders_mask,
    relaxable_by="nominated_officer",
    relaxation="emergency placement outside terms of approval, up to 6 working days (reg. 24)",
    emergency_only=True,
)
