"""Rows to ``domain`` snapshot records and back. No SQL here: repositories fetch and save the rows.

The mapping is one to one with the snapshot format, so that a snapshot imported and exported again is
the same document (tests check the round trip).
"""

from __future__ import annotations

from typing import Any

from domain.snapshot import (
    Approval,
    Child,
    CurrentChild,
    Exemption,
    Hold,
    Household,
    Location,
    Needs,
    Preferences,
    Request,
)
from store.models import (
    ApprovalRow,
    ChildRow,
    CurrentChildRow,
    DoNotPlaceRow,
    ExemptionRow,
    HoldRow,
    HouseholdRow,
    RequestChildRow,
    RequestRow,
)


def hold_in_force(row: HouseholdRow) -> HoldRow | None:
    """The household's hold that no manager has released yet, if any."""
    for hold in row.holds:
        if hold.released_at is None:
            return hold
    return None


def hold_to_domain(row: HoldRow) -> Hold:
    return Hold(reason=row.reason, until=row.until, reserved_for_request=row.reserved_for_request)


def current_child_to_domain(row: CurrentChildRow) -> CurrentChild:
    return CurrentChild.model_validate(
        {
            "child_id": row.child_id,
            "age": row.age,
            "gender": row.gender,
            "sibling_group": row.sibling_group,
            "risks_to_others": row.risks_to_others,
            "living_companions": row.living_companions,
        }
    )


def current_child_row(household_id: str, child: CurrentChild, position: int) -> CurrentChildRow:
    return CurrentChildRow(
        household_id=household_id,
        child_id=child.child_id,
        position=position,
        age=child.age,
        gender=child.gender,
        sibling_group=child.sibling_group,
        risks_to_others=list(child.risks_to_others),
        living_companions=child.living_companions,
    )


def approval_to_domain(row: HouseholdRow) -> Approval:
    approval = row.approval
    exemption = row.exemption
    return Approval.model_validate(
        {
            "placement_kinds": approval.placement_kinds,
            "age_min": approval.age_min,
            "age_max": approval.age_max,
            "max_children": approval.max_children,
            "genders": approval.genders,
            "max_sibling_group": approval.max_sibling_group,
            "named_children": approval.named_children,
            "manages_risks": approval.manages_risks,
            "skills": approval.skills,
            "exemption": None
            if exemption is None
            else Exemption(
                max_children=exemption.max_children,
                named_children=list(exemption.named_children),
                expires=exemption.expires,
            ),
        }
    )


def household_to_domain(row: HouseholdRow) -> Household:
    """A household as the snapshot format has it (the hold is the one in force, if any)."""
    hold = hold_in_force(row)
    return Household.model_validate(
        {
            "id": row.id,
            "provider": row.provider,
            "weekly_cost_gbp": row.weekly_cost_gbp,
            "carer_type": row.carer_type,
            "status": row.status,
            "hold": None if hold is None else hold_to_domain(hold),
            "approval": approval_to_domain(row),
            "location": Location(lat=row.lat, lon=row.lon, postcode_district=row.postcode_district),
            "bedrooms_free": row.bedrooms_free,
            "shared_bedroom_allowed": row.shared_bedroom_allowed,
            "smoking": row.smoking,
            "pets": row.pets,
            "wheelchair_accessible": row.wheelchair_accessible,
            "languages": row.languages,
            "religion": row.religion,
            "current_children": [current_child_to_domain(c) for c in row.current_children],
            "do_not_place": [d.child_id for d in row.do_not_place],
            "preferences": None if row.preferences is None else Preferences.model_validate(row.preferences),
        }
    )


def set_approval(row: HouseholdRow, approval: Approval) -> None:
    """Write terms of approval (and the exemption inside them) onto a household row."""
    values: dict[str, Any] = {
        "placement_kinds": list(approval.placement_kinds),
        "age_min": approval.age_min,
        "age_max": approval.age_max,
        "max_children": approval.max_children,
        "genders": list(approval.genders),
        "max_sibling_group": approval.max_sibling_group,
        "named_children": list(approval.named_children),
        "manages_risks": list(approval.manages_risks),
        "skills": list(approval.skills),
    }
    if row.approval is None:
        row.approval = ApprovalRow(household_id=row.id, **values)
    else:
        for key, value in values.items():
            setattr(row.approval, key, value)
    exemption = approval.exemption
    if exemption is None:
        row.exemption = None
    elif row.exemption is None:
        row.exemption = ExemptionRow(
            household_id=row.id,
            max_children=exemption.max_children,
            named_children=list(exemption.named_children),
            expires=exemption.expires,
        )
    else:
        row.exemption.max_children = exemption.max_children
        row.exemption.named_children = list(exemption.named_children)
        row.exemption.expires = exemption.expires


def set_household_record(row: HouseholdRow, household: Household) -> None:
    """Write a household's own fields, approval and do-not-place list (not its hold or children)."""
    row.provider = household.provider
    row.weekly_cost_gbp = household.weekly_cost_gbp
    row.carer_type = household.carer_type
    row.status = household.status
    row.lat = household.location.lat
    row.lon = household.location.lon
    row.postcode_district = household.location.postcode_district
    row.bedrooms_free = household.bedrooms_free
    row.shared_bedroom_allowed = household.shared_bedroom_allowed
    row.smoking = household.smoking
    row.pets = list(household.pets)
    row.wheelchair_accessible = household.wheelchair_accessible
    row.languages = list(household.languages)
    row.religion = household.religion
    row.preferences = None if household.preferences is None else household.preferences.model_dump(mode="json")
    set_approval(row, household.approval)
    wanted = list(dict.fromkeys(household.do_not_place))
    if [d.child_id for d in row.do_not_place] != wanted:
        existing = {d.child_id: d for d in row.do_not_place}
        kept = []
        for position, child_id in enumerate(wanted):
            item = existing.get(child_id) or DoNotPlaceRow(household_id=row.id, child_id=child_id)
            item.position = position
            kept.append(item)
        row.do_not_place = kept


def set_current_children(row: HouseholdRow, children: list[CurrentChild]) -> None:
    """Replace the household's current children, keeping the rows of children who stay."""
    existing = {c.child_id: c for c in row.current_children}
    kept = []
    for position, child in enumerate(children):
        item = existing.get(child.child_id)
        if item is None:
            item = current_child_row(row.id, child, position)
        else:
            item.position = position
            item.age = child.age
            item.gender = child.gender
            item.sibling_group = child.sibling_group
            item.risks_to_others = list(child.risks_to_others)
            item.living_companions = child.living_companions
        kept.append(item)
    row.current_children = kept


def child_to_domain(row: ChildRow) -> Child:
    location = None
    if row.lat is not None and row.lon is not None:
        location = Location(lat=row.lat, lon=row.lon, postcode_district=row.postcode_district)
    return Child.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "date_of_birth": row.date_of_birth,
            "gender": row.gender,
            "needs": Needs.model_validate({"must": row.needs_must, "would_benefit": row.needs_would_benefit}),
            "communication": row.communication,
            "language": row.language,
            "religion": row.religion,
            "cultural_needs": row.cultural_needs,
            "risks_to_others": row.risks_to_others,
            "risks_to_self": row.risks_to_self,
            "living_companions": row.living_companions,
            "pets": row.pets,
            "location": location,
            "sibling_group": row.sibling_group,
            "previous_households": row.previous_households,
            "ethnicity": row.ethnicity,
        }
    )


def set_child(row: ChildRow, child: Child) -> None:
    row.name = child.name
    row.date_of_birth = child.date_of_birth
    row.gender = child.gender
    row.needs_must = list(child.needs.must)
    row.needs_would_benefit = list(child.needs.would_benefit)
    row.communication = list(child.communication)
    row.language = child.language
    row.religion = child.religion
    row.cultural_needs = list(child.cultural_needs)
    row.risks_to_others = list(child.risks_to_others)
    row.risks_to_self = list(child.risks_to_self)
    row.living_companions = child.living_companions
    row.pets = child.pets
    row.lat = None if child.location is None else child.location.lat
    row.lon = None if child.location is None else child.location.lon
    row.postcode_district = None if child.location is None else child.location.postcode_district
    row.sibling_group = child.sibling_group
    row.previous_households = list(child.previous_households)
    row.ethnicity = child.ethnicity


def request_to_domain(row: RequestRow) -> Request:
    return Request.model_validate(
        {
            "id": row.id,
            "children": [c.child_id for c in row.children],
            "kind": row.kind,
            "needed_by": row.needed_by,
            "urgency": row.urgency,
            "priority": row.priority,
            "siblings": row.siblings,
            "max_distance_km": row.max_distance_km,
            "in_house_only": row.in_house_only,
            "allow_relaxations": row.allow_relaxations,
            "status": row.status,
            "received_on": row.received_on,
        }
    )


def set_request(row: RequestRow, request: Request) -> None:
    row.kind = request.kind
    row.needed_by = request.needed_by
    row.urgency = request.urgency
    row.priority = request.priority
    row.siblings = request.siblings
    row.max_distance_km = request.max_distance_km
    row.in_house_only = request.in_house_only
    row.allow_relaxations = list(request.allow_relaxations)
    row.status = request.status
    row.received_on = request.received_on
    if [c.child_id for c in row.children] != list(request.children):
        existing = {c.child_id: c for c in row.children}
        kept = []
        for position, child_id in enumerate(request.children):
            item = existing.get(child_id) or RequestChildRow(request_id=row.id, child_id=child_id)
            item.position = position
            kept.append(item)
        row.children = kept
