"""No more than three foster children, unless they are all one sibling group or an exemption applies."""

from __future__ import annotations

import numpy as np

from constraints.base import (
    Home,
    Part,
    Parts,
    Rule,
    exemption_applies,
    exemption_applies_mask,
    exemption_applies_rows,
    listing,
    part_groups,
)
from domain.tables import BoolArray, HouseholdTable, IntArray

#: The usual fostering limit (Children Act 1989, Schedule 7, para. 2).
USUAL_LIMIT = 3


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    total = table.n_current + parts.sizes
    one_group = np.zeros(total.shape, dtype=bool)
    one_group |= table.n_current == 0
    for p, part in enumerate(parts.items):
        for group in part_groups(part):
            one_group[p] |= table.current_one_group == table.code_of(group)
    exempt = exemption_applies_rows(parts, table) & (total <= table.exemption_max)
    result: BoolArray = (total > USUAL_LIMIT) & ~one_group & ~exempt
    return result


def check(part: Part, home: Home) -> str | None:
    total = len(home.current) + part.size
    if total <= USUAL_LIMIT:
        return None
    current_groups = {c.sibling_group for c in home.current}
    if not home.current or (
        len(current_groups) == 1 and None not in current_groups and current_groups <= part_groups(part)
    ):
        return None
    exemption = home.household.approval.exemption
    if exemption is not None and exemption_applies(part, home.household):
        if total <= exemption.max_children:
            return None
        return f"would have {total} foster children; the exemption allows {exemption.max_children}"
    names = listing([c.label for c in part.children])
    return (
        f"would have {total} foster children, above the usual limit of {USUAL_LIMIT}, not all one sibling "
        f"group, and no exemption in force on {part.on} names {names}"
    )


def reason_key(part: Part, table: HouseholdTable) -> IntArray:
    """The sentence reads the count, whether the exemption applies and its number."""
    applies = exemption_applies_mask(part, table).astype(np.int64)
    key: IntArray = (table.n_current * 2 + applies) * 100 + table.exemption_max
    return key


RULE = Rule(
    id="usual_fostering_limit",
    title="Usual fostering limit of three",
    legal_basis="Children Act 1989, Schedule 7 (the usual fostering limit and exemptions)",
    reason_template="would have {total} foster children, above the usual limit of 3, not one sibling group",
    over_parts=violations,
    check=check,
    reason_key=reason_key,
    relaxable_by="fostering_service_manager",
    relaxation="an exemption from the usual fostering limit (Children Act 1989, Schedule 7, para. 4)",
)
