"""Each risk to a child's own safety must be one the carers are approved to manage."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, listing, words
from domain.tables import BoolArray, HouseholdTable
from domain.vocab import RISKS, mask_of


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.unmet(table.manages_mask, lambda c: mask_of(RISKS, c.child.risks_to_self))


def check(part: Part, home: Home) -> str | None:
    managed = set(home.household.approval.manages_risks)
    gaps = [
        f"{listing([words(r) for r in c.child.risks_to_self if r not in managed])} ({c.label})"
        for c in part.children
        if not set(c.child.risks_to_self) <= managed
    ]
    return f"not approved to manage {'; '.join(gaps)}" if gaps else None


RULE = Rule(
    id="risk_to_self",
    title="Risks to the child",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 22 and Care Planning Regulations "
    "2010, reg. 9 (the placement must meet the child's needs and keep them safe)",
    reason_template="not approved to manage {risk} ({child})",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.manages_mask,
)
