"""A request for the council's own carers excludes independent agency (IFA) households."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part, Parts, Rule
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    result: BoolArray = parts.per_part(lambda p: p.request.in_house_only, bool) & table.ifa
    return result


def check(part: Part, home: Home) -> str | None:
    if part.request.in_house_only and home.household.provider == "ifa":
        return "an independent agency (IFA) household; this request is for the council's own carers only"
    return None


RULE = Rule(
    id="in_house_only",
    title="In-house carers only",
    legal_basis="Children Act 1989, s.22C (sufficiency duty; the council's placement decision)",
    reason_template="an independent agency (IFA) household; this request is for in-house carers only",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: np.zeros(len(table), dtype=np.int64),
)
