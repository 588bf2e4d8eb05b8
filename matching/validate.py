"""The solver-free validator: does a proposed set of placements break any hard rule?

It uses only the scalar checks of ``constraints/`` (never the numpy masks the solver was built from), so
it is an independent second opinion. A household receiving several requests (a batch) is checked
request by request with the other requests' children treated as current children, their age taken on
the checked request's needed-by date, and their bedrooms counted as taken (DESIGN.md readings 6 and 15).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from constraints.base import Home, Part, rooms_needed
from constraints.registry import RULES, RULES_BY_ID
from domain.ages import age_on
from domain.snapshot import CurrentChild, Snapshot
from matching.index import SnapshotIndex


@dataclass(frozen=True)
class Proposal:
    """One request's proposed placements, with the rules it knowingly relaxes."""

    request_id: str
    placements: tuple[tuple[str, str], ...]
    relaxed: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Breach:
    request_id: str
    household_id: str
    rule_id: str
    reason: str

    def __str__(self) -> str:
        return f"request {self.request_id} in household {self.household_id}: {self.rule_id}: {self.reason}"


def _as_current(part: Part, needed_by_of_checked: Part) -> list[CurrentChild]:
    """Another request's children as the checked request sees them: current children of the household."""
    return [
        CurrentChild(
            child_id=c.id,
            # A child not yet born on the checked request's date (an expected baby) counts as a newborn.
            age=max(0, age_on(c.child.date_of_birth, needed_by_of_checked.needed_by)),
            gender=c.child.gender,
            sibling_group=c.child.sibling_group,
            risks_to_others=list(c.child.risks_to_others),
            living_companions=c.child.living_companions,
        )
        for c in part.children
    ]


def _structure(index: SnapshotIndex, proposals: Sequence[Proposal]) -> list[Breach]:
    """Every child of each request placed exactly once, in known households, together when it must be."""
    breaches: list[Breach] = []
    seen_children: dict[str, str] = {}
    for proposal in proposals:
        request = index.requests.get(proposal.request_id)
        if request is None:
            breaches.append(Breach(proposal.request_id, "", "structure", "no such request"))
            continue
        placed = [child_id for child_id, _ in proposal.placements]
        if sorted(placed) != sorted(request.children):
            breaches.append(Breach(request.id, "", "structure", "does not place each child of the request once"))
        for child_id, household_id in proposal.placements:
            if household_id not in index.table.position:
                breaches.append(Breach(request.id, household_id, "structure", "no such household"))
            if child_id in seen_children and seen_children[child_id] != request.id:
                breaches.append(Breach(request.id, household_id, "structure", f"{child_id} is placed twice"))
            seen_children[child_id] = request.id
        homes = {household_id for _, household_id in proposal.placements}
        if request.siblings == "together" and len(homes) > 1:
            breaches.append(Breach(request.id, "", "structure", "siblings must be placed together"))
        for rule_id in proposal.relaxed:
            if rule_id not in RULES_BY_ID:
                breaches.append(Breach(request.id, "", "structure", f"unknown relaxed rule {rule_id}"))
    return breaches


def check_proposals(index: SnapshotIndex, proposals: Sequence[Proposal]) -> list[Breach]:
    """Every hard-rule breach in ``proposals`` taken together; empty when they may all stand."""
    breaches = _structure(index, proposals)
    if breaches:
        return breaches
    by_household: defaultdict[str, list[tuple[Proposal, Part]]] = defaultdict(list)
    for proposal in proposals:
        request = index.request(proposal.request_id)
        homes: defaultdict[str, list[str]] = defaultdict(list)
        for child_id, household_id in proposal.placements:
            homes[household_id].append(child_id)
        for household_id, child_ids in homes.items():
            ordered = [c for c in request.children if c in child_ids]
            by_household[household_id].append((proposal, index.part(request, ordered)))
    for household_id, parts in by_household.items():
        household = index.household(household_id)
        for proposal, part in parts:
            others = [other for other_proposal, other in parts if other is not part]
            current = list(household.current_children)
            for other in others:
                current += _as_current(other, part)
            home = Home(
                household,
                tuple(current),
                rooms_taken=sum(rooms_needed(o, household.shared_bedroom_allowed) for o in others),
            )
            for rule in RULES:
                reason = rule.check(part, home)
                if reason is None:
                    continue
                if rule.id in proposal.relaxed and rule.relaxable_for(part, household):
                    continue
                breaches.append(Breach(proposal.request_id, household_id, rule.id, reason))
    return breaches


def check_placements(
    snapshot: Snapshot | SnapshotIndex,
    request_id: str,
    placements: Sequence[tuple[str, str]],
    relaxed: Collection[str] = (),
) -> list[Breach]:
    """Breaches of one request's placements against the households as the snapshot has them."""
    index = snapshot if isinstance(snapshot, SnapshotIndex) else SnapshotIndex.build(snapshot)
    return check_proposals(index, [Proposal(request_id, tuple(placements), frozenset(relaxed))])
