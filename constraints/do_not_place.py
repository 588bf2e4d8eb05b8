"""A child on a household's do-not-place list is never placed there."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, children_key, listing
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.any_child(parts.named_by(table, table.do_not_place_index))


def check(part: Part, home: Home) -> str | None:
    listed = [c.label for c in part.children if c.id in home.household.do_not_place]
    if not listed:
        return None
    return f"{listing(listed)} {'is' if len(listed) == 1 else 'are'} on this household's do-not-place list"


RULE = Rule(
    id="do_not_place",
    title="Do not place",
    legal_basis="Safeguarding decision recorded on the household's file (Working Together to Safeguard Children 2023)",
    reason_template="{child} is on this household's do-not-place list",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: children_key(part, table, table.do_not_place_index),
)
