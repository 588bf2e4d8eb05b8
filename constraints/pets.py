"""A child who cannot live with animals is not placed where there are pets."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, listing
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.any_child(table.has_pets & parts.per_child(lambda c: c.child.pets == "none", bool))


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
    over_parts=violations,
    check=check,
)
