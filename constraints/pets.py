"""A child who cannot live with animals is not placed where there are pets."""

from __future__ import annotations

from constraints.base import Home, Part, Rule, any_child, listing
from domain.tables import BoolArray, HouseholdTable


def violations(part: Part, table: HouseholdTable) -> BoolArray:
    return any_child(part, table, lambda c: table.has_pets & (c.child.pets == "none"))


def check(part: Part, home: Home) -> str | None:
    pets = home.household.pets
    unable = [c.label for c in part.children if c.child.pets == "none"]
    if not pets or not unable:
        return None
    return f"has pets ({listing(list(pets))}); {listing(unable)} cannot live with animals"


RULE = Rule(
    id="pets",
    title="Pets",
    legal_basis="Care Planning, Placement and Case Review (England) Regulations 2010, reg. 9 (the "
    "placement must meet the child's health needs, e.g. allergy or fear)",
    reason_template="has pets ({pets}); {child} cannot live with animals",
    violations=violations,
    check=check,
)
