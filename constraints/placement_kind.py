"""The request's kind of placement must be one the household is approved for."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule, listing, words
from domain.tables import BoolArray, HouseholdTable
from domain.vocab import PLACEMENT_KINDS, bit_of


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    result: BoolArray = (table.kinds_mask & parts.per_part(lambda p: bit_of(PLACEMENT_KINDS, p.request.kind))) == 0
    return result


def check(part: Part, home: Home) -> str | None:
    household = home.household
    approved = [k for k in PLACEMENT_KINDS if k in household.approval.placement_kinds]
    if part.request.kind in approved:
        return None
    kinds = listing([words(k) for k in approved]) if approved else "no kind of placement"
    kind = words(part.request.kind)
    article = "an" if kind[0] in "aeiou" else "a"
    return f"approved for {kinds}; this is {article} {kind} placement"


RULE = Rule(
    id="placement_kind",
    title="Kind of placement",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 27(5) (terms of approval)",
    reason_template="approved for {kinds}; this is a {kind} placement",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.kinds_mask,
    relaxable_by="nominated_officer",
    relaxation="emergency placement outside terms of approval, up to 6 working days (reg. 24)",
    emergency_only=True,
)
