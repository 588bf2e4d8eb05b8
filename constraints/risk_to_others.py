"""Risks a child poses to others: managed by the carers, no younger child with sexual-harm risk, no pets
with harm to animals (DESIGN.md precise readings 8 and 11)."""

from __future__ import annotations

from constraints.base import Home, NewChild, Part, Parts, Rule, listing, unique_where, words
from domain.tables import BoolArray, HouseholdTable, IntArray
from domain.vocab import RISKS, mask_of

SEXUAL_HARM = "sexual_harm"
ANIMAL_HARM = "animal_harm"


def _harms(child: NewChild) -> bool:
    return SEXUAL_HARM in child.child.risks_to_others


def _sibling_clash(part: Part) -> list[str]:
    """Sexual-harm clashes inside the part itself: an older child with the risk and a younger one."""
    return [
        f"{older.label} ({older.age}, sexual harm risk) would live with younger sibling {younger.label} ({younger.age})"
        for older in part.children
        if _harms(older)
        for younger in part.children
        if younger.age < older.age
    ]


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    ages = parts.ages
    rows = ages < table.current_max_sexual_harm_age
    risks = parts.per_child(lambda c: mask_of(RISKS, c.child.risks_to_others))
    if risks.any():  # most children carry no risk to others: then only the clause above can apply
        rows |= (risks & ~table.manages_mask) != 0
        rows |= parts.per_child(lambda c: ANIMAL_HARM in c.child.risks_to_others, bool) & table.has_pets
        rows |= parts.per_child(_harms, bool) & (table.current_min_age < ages)
    clash = parts.per_part(lambda p: bool(_sibling_clash(p)), bool)
    result: BoolArray = clash | parts.any_child(rows)
    return result


def check(part: Part, home: Home) -> str | None:
    managed = set(home.household.approval.manages_risks)
    reasons = [
        f"not approved to manage {listing([words(r) for r in c.child.risks_to_others if r not in managed])} ({c.label})"
        for c in part.children
        if not set(c.child.risks_to_others) <= managed
    ]
    if home.household.pets:
        reasons += [
            f"{c.label} has a risk of harm to animals and the household has pets ({listing(home.household.pets)})"
            for c in part.children
            if ANIMAL_HARM in c.child.risks_to_others
        ]
    for c in part.children:
        if _harms(c):
            younger = sorted(k.age for k in home.current if k.age < c.age)
            if younger:
                reasons.append(f"{c.label} ({c.age}, sexual harm risk) would live with a younger child ({younger[0]})")
    for k in home.current:
        if SEXUAL_HARM in k.risks_to_others:
            younger_new = [c.label for c in part.children if c.age < k.age]
            if younger_new:
                verb = "is" if len(younger_new) == 1 else "are"
                reasons.append(
                    f"a child already there ({k.age}) has a sexual harm risk; {listing(younger_new)} {verb} younger"
                )
    reasons += _sibling_clash(part)
    return "; ".join(reasons) if reasons else None


def reason_key(part: Part, table: HouseholdTable) -> IntArray:
    """Unmanaged risks depend only on what the carers manage; pets and the ages of the children already
    there make a sentence of its own."""
    own = table.current_max_sexual_harm_age >= 0
    if any(ANIMAL_HARM in c.child.risks_to_others for c in part.children):
        own = own | table.has_pets
    if any(_harms(c) for c in part.children):
        own = own | (table.n_current > 0)
    return unique_where(table, table.manages_mask, own)


RULE = Rule(
    id="risk_to_others",
    title="Risks to others",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 11 and National Minimum Standards "
    "2011, standard 15 (matching must safeguard every child in the household)",
    reason_template="not approved to manage {risk} ({child}) | {child} would live with a younger child",
    over_parts=violations,
    check=check,
    reason_key=reason_key,
)
