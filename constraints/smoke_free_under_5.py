"""Children under five are not placed in a smoking household."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part, Parts, Rule, listing
from domain.tables import BoolArray, HouseholdTable

#: Children younger than this are not placed with smokers (Fostering Network and council smoking policy).
SMOKE_FREE_BELOW_AGE = 5


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.any_child(table.smoking & (parts.ages < SMOKE_FREE_BELOW_AGE))


def check(part: Part, home: Home) -> str | None:
    if not home.household.smoking:
        return None
    young = [f"{c.label} is {c.age}" for c in part.children if c.age < SMOKE_FREE_BELOW_AGE]
    return f"a smoking household; {listing(young)}" if young else None


RULE = Rule(
    id="smoke_free_under_5",
    title="Smoke-free for under-fives",
    legal_basis="National Minimum Standards for Fostering Services 2011, standard 10 (a safe, healthy "
    "home); the council's smoking policy",
    reason_template="a smoking household; {child} is {age}",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: np.zeros(len(table), dtype=np.int64),
)
