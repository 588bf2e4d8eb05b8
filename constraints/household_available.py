"""A household must be active, and a held household is kept for the request its hold names."""

from __future__ import annotations

from constraints.base import Home, Part, Parts, Rule
from domain.ages import short_date
from domain.snapshot import Household
from domain.tables import BoolArray, HouseholdTable
from domain.vocab import AVAILABLE_STATUSES


def _held(household: Household) -> bool:
    return household.status == "on_hold" or household.hold is not None


def _reserved_for(household: Household) -> str | None:
    return household.hold.reserved_for_request if household.hold is not None else None


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    held_for_other = table.on_hold & (table.reserved_for != parts.per_part(lambda p: table.code_of(p.request.id)))
    result: BoolArray = ~table.available_status | held_for_other
    return result


def check(part: Part, home: Home) -> str | None:
    household = home.household
    if household.status not in AVAILABLE_STATUSES:
        return f"not available: {household.status.replace('_', ' ')}"
    if not _held(household) or _reserved_for(household) == part.request.id:
        return None
    hold = household.hold
    detail = f" ({hold.reason})" if hold is not None and hold.reason else ""
    until = f" until {short_date(hold.until)}" if hold is not None and hold.until is not None else ""
    reserved = _reserved_for(household)
    kept = f", kept for request {reserved}" if reserved else ""
    return f"on hold{detail}{until}{kept}"


def relaxable_where(part: Part, table: HouseholdTable) -> BoolArray:
    """Only a hold can be released; a deregistered household cannot be used at all."""
    return table.available_status


def relaxable_one(part: Part, household: Household) -> bool:
    return household.status in AVAILABLE_STATUSES


RULE = Rule(
    id="household_available",
    title="Household available",
    legal_basis="Fostering Services (England) Regulations 2011, reg. 22 (a placement only with an approved "
    "foster parent); the service's hold procedure",
    reason_template="not available: {status} | on hold ({reason}) until {until}, kept for request {request}",
    over_parts=violations,
    check=check,
    relaxable_by="team_manager",
    relaxation="release of the hold",
    relaxable_where=relaxable_where,
    relaxable_one=relaxable_one,
)
