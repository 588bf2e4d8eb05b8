"""Children already there plus those placed must not exceed the approved number (or the exemption's)."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part, Parts, Rule, exemption_applies, exemption_applies_mask, exemption_applies_rows
from domain.tables import BoolArray, HouseholdTable, IntArray


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    limit = np.where(exemption_applies_rows(parts, table), table.exemption_max, table.max_children)
    result: BoolArray = table.n_current + parts.sizes > limit
    return result


def check(part: Part, home: Home) -> str | None:
    approval = home.household.approval
    exempt = exemption_applies(part, home.household)
    limit = approval.exemption.max_children if exempt and approval.exemption else approval.max_children
    already = len(home.current)
    if already + part.size <= limit:
        return None
    basis = f"exemption for {limit}" if exempt else f"approved for {limit} {'child' if limit == 1 else 'children'}"
    return f"{basis}; {already} already there + {part.size} to place = {already + part.size}"


def reason_key(part: Part, table: HouseholdTable) -> IntArray:
    """The sentence reads the approved and exemption numbers, whether the exemption applies, the count."""
    applies = exemption_applies_mask(part, table).astype(np.int64)
    key: IntArray = ((table.n_current * 2 + applies) * 100 + table.exemption_max) * 100 + table.max_children
    return key


RULE = Rule(
    id="approved_places",
    title="Approved number of children",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 27(5) (terms of approval)",
    reason_template="approved for {max_children} children; {current} already there + {placed} to place",
    over_parts=violations,
    check=check,
    reason_key=reason_key,
    relaxable_by="nominated_officer",
    relaxation="emergency placement outside terms of approval, up to 6 working days (reg. 24)",
    emergency_only=True,
)
