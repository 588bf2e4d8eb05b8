"""There must be a free bedroom for each child placed (siblings two to a room where sharing is allowed)."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part, Parts, Rule, listing, rooms_needed
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    shared, alone = parts.per_part(lambda p: rooms_needed(p, True)), parts.per_part(lambda p: rooms_needed(p, False))
    needed = np.where(table.shared_bedroom_allowed, shared, alone)
    result: BoolArray = table.bedrooms_free < needed
    return result


def check(part: Part, home: Home) -> str | None:
    household = home.household
    needed = rooms_needed(part, household.shared_bedroom_allowed)
    free = household.bedrooms_free - home.rooms_taken
    if free >= needed:
        return None
    rooms = "bedroom" if free == 1 else "bedrooms"
    sharing = " (siblings sharing)" if household.shared_bedroom_allowed and part.size > 1 else ""
    taken = f" after {home.rooms_taken} taken by other placements" if home.rooms_taken else ""
    who = listing([c.label for c in part.children])
    verb = "needs" if part.size == 1 else "need"
    return f"{free} {rooms} free{taken}; {who} {verb} {needed}{sharing}"


RULE = Rule(
    id="bedrooms",
    title="Bedrooms",
    legal_basis="National Minimum Standards for Fostering Services 2011, standard 10.6 (own bedroom "
    "unless sharing is suitable)",
    reason_template="{free} bedrooms free; {children} need {needed}",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.bedrooms_free * 2 + table.shared_bedroom_allowed,
)
