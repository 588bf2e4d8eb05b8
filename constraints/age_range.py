"""Every child placed must be within the household's approved age range on the needed-by date."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule
from domain.tables import BoolArray, HouseholdTable


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    return parts.any_child((parts.ages < table.age_min) | (parts.ages > table.age_max))


def check(part: Part, home: Home) -> str | None:
    household = home.household
    low, high = household.approval.age_min, household.approval.age_max
    outside = [c for c in part.children if not low <= c.age <= high]
    if not outside:
        return None
    ages = "; ".join(f"{c.label} is {c.age} on {part.on}" for c in outside)
    return f"approved for ages {low}-{high}; {ages}"


RULE = Rule(
    id="age_range",
    title="Approved ages",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 27(5) (terms of approval)",
    reason_template="approved for ages {age_min}-{age_max}; {child} is {age} on {needed_by}",
    over_parts=violations,
    check=check,
    reason_key=lambda part, table: table.age_min * 1000 + table.age_max,
    relaxable_by="nominated_officer",
    relaxation="emergency placement outside terms of approval, up to 6 working days (reg. 24)",
    emergency_only=True,
)
