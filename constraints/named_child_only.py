"""Connected (family and friends) carers are approved for named children only."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, children_key, listing
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.any_child(table.connected & ~parts.named_by(table, table.named_children_index))


def check(part: Part, home: Home) -> str | None:
    household = home.household
    if household.carer_type != "connected":
        return None
    named = set(household.approval.named_children)
    others = [c.label for c in part.children if c.id not in named]
    if not others:
        return None
    verb = "is" if len(others) == 1 else "are"
    return f"family and friends carers approved for named children only; {listing(others)} {verb} not named"


RULE = Rule(
    id="named_child_only",
    title="Named children only (connected carers)",
    legal_basis="Care Planning, Placement and Case Review (England) Regulations 2010, reg. 24 and "
    "Fostering Services (England) Regulations 2011, reg. 27 (approval for a named child)",
    reason_template="family and friends carers approved for named children only; {child} is not named",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: children_key(part, table, table.named_children_index),
)
