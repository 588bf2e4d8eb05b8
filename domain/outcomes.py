"""What happened after a recommendation: the decision taken on it and the placement that followed.

Two short vocabularies (why an option was declined; why a placement ended unplanned) and the plain
records the outcomes report reads (``planning.outcomes``). The store turns its rows into these; the
SSDA903 reader turns episodes into placement records for history.

The disruption themes are those of the source documents: Rotherham's in-house fostering plan 2023-28
(``/work/shared/seeds/004_f997a99ff8e3c9a4.txt``, "Unplanned Endings & Disruptions": behaviour beyond
what carers could manage "particularly in the case of sibling groups", the carers' own wellbeing,
"impact on other fostered children in the home", emergency placements with information not known,
school far from the placement, difficulty obtaining respite), plus the SSDA903 REASON_PLACE_CHANGE
codes that map onto none of them (an allegation, the child's own request).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

from domain.snapshot import Child

#: Why a duty worker declined a recommended option. ``other`` needs the free text to say what.
DeclineReason = Literal[
    "carer_declined",
    "child_plan_changed",
    "safeguarding_concern",
    "distance_school",
    "sibling_fit",
    "information_missing",
    "other",
]
DECLINE_REASONS: tuple[str, ...] = get_args(DeclineReason)
DECLINE_REASON_TITLES: dict[str, str] = {
    "carer_declined": "Carers declined",
    "child_plan_changed": "Child's plan changed",
    "safeguarding_concern": "Safeguarding concern",
    "distance_school": "Distance or school",
    "sibling_fit": "Sibling fit",
    "information_missing": "Information missing",
    "other": "Other (see text)",
}

#: How a placement ended: as the care plan intended, or not (a disruption).
Ending = Literal["planned", "unplanned"]
ENDINGS: tuple[str, ...] = get_args(Ending)

#: Why a placement ended unplanned (the source documents' disruption themes).
DisruptionReason = Literal[
    "sibling_behaviour",
    "child_needs_escalated",
    "impact_on_other_children",
    "distance_from_school",
    "missing_information",
    "carer_circumstances",
    "respite_unavailable",
    "safeguarding_concern",
    "child_requested",
    "other",
]
DISRUPTION_REASONS: tuple[str, ...] = get_args(DisruptionReason)
DISRUPTION_REASON_TITLES: dict[str, str] = {
    "sibling_behaviour": "Sibling group's behaviour beyond what carers could manage",
    "child_needs_escalated": "Child's needs or behaviour escalated beyond the match",
    "impact_on_other_children": "Impact on other fostered children in the home",
    "distance_from_school": "School too far from the placement",
    "missing_information": "Information missing at the emergency or referral stage",
    "carer_circumstances": "Carers' own circumstances or wellbeing",
    "respite_unavailable": "Respite not available when needed",
    "safeguarding_concern": "Allegation or standards-of-care concern",
    "child_requested": "The child asked to move",
    "other": "Other",
}

#: Where a placement record came from: made in the service when an option was accepted, or imported.
PlacementSource = Literal["service", "ssda903"]
#: Who provides the placement: the council's own carers, an agency, or (history only) another kind.
PlacementProvider = Literal["in_house", "ifa", "kinship", "residential", "other"]
#: How a sibling group was placed: all in one home, split, or a single child (no siblings requested).
SiblingsPlaced = Literal["together", "split", "single"]


#: Needs and communication that count as a disability for the report's breakdown (the plan states them).
DISABILITY_NEEDS = frozenset(
    {"asd", "learning_disability", "physical_disability", "complex_health", "wheelchair_access", "bsl", "makaton"}
)


def is_disabled(child: Child) -> bool:
    """Whether the child's plan records a disability (a need or communication in ``DISABILITY_NEEDS``)."""
    stated = {*child.needs.must, *child.needs.would_benefit, *child.communication}
    return bool(stated & DISABILITY_NEEDS)


@dataclass(frozen=True)
class OptionFacts:
    """One ranked option as it was offered: its rank, score and points per criterion."""

    recommendation_id: int
    rank: int
    score: float
    households: tuple[str, ...]
    criteria: dict[str, int]


@dataclass(frozen=True)
class DecisionFacts:
    """A decision on one option; for an accept, the rank-1 option of the same run at the time."""

    decision_id: int
    request_id: str
    decided_on: dt.date
    outcome: Literal["accepted", "declined"]
    reason_code: str | None
    option: OptionFacts
    top: OptionFacts | None = None


@dataclass(frozen=True)
class PlacementFacts:
    """One child's placement with one household, and what the report breaks it down by.

    The child's characteristics are as they were when the placement started (age in whole years,
    a disability recorded in the plan's needs, ethnicity where recorded, the size of the sibling group
    in the request); ``None`` where not known (e.g. history imported from SSDA903).
    """

    placement_id: int
    child_id: str
    started_on: dt.date
    source: str
    provider: str | None = None
    planned_end_on: dt.date | None = None
    ended_on: dt.date | None = None
    ending: str | None = None
    disruption_reason: str | None = None
    distance_km: float | None = None
    siblings: str | None = None
    skills_matched: bool | None = None
    age_at_start: int | None = None
    disabled: bool | None = None
    ethnicity: str | None = None
    sibling_group_size: int | None = None
    days_waiting: int | None = None
    criteria: dict[str, int] = field(default_factory=dict)
