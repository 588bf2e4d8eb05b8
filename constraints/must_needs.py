"""A child's must-have needs (wheelchair access, BSL, Makaton, complex health...) must be met."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, listing, words
from domain.snapshot import Child
from domain.tables import BoolArray, HouseholdTable, capabilities
from domain.vocab import MUST_COMMUNICATION, SKILLS, mask_of


def must_have(child: Child) -> set[str]:
    """``needs.must`` plus BSL or Makaton when the child communicates that way (reading 12)."""
    return set(child.needs.must) | (set(child.communication) & MUST_COMMUNICATION)


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.unmet(table.capabilities_mask, lambda c: mask_of(SKILLS, must_have(c.child)))


def check(part: Part, home: Home) -> str | None:
    offered = capabilities(home.household)
    gaps = [
        f"{c.label} must have {listing([words(n) for n in sorted(must_have(c.child) - offered)])}"
        for c in part.children
        if not must_have(c.child) <= offered
    ]
    return f"cannot offer what is needed: {'; '.join(gaps)}" if gaps else None


RULE = Rule(
    id="must_needs",
    title="Must-have needs",
    legal_basis="Care Planning, Placement and Case Review (England) Regulations 2010, reg. 9 and "
    "Equality Act 2010 (the placement must meet the child's assessed needs)",
    reason_template="cannot offer what is needed: {child} must have {need}",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.capabilities_mask,
)
