"""Pydantic models of the outcomes API (issue 10): placements, how they ended, the managers' report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.jsontypes import IsoDate
from domain.outcomes import DisruptionReason, Ending

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class PlacementRecordOut(BaseModel):
    """One child's placement with one household and, once ended, how it ended."""

    id: int = Field(description="Placement id.")
    child_id: str
    household_id: str | None = Field(description="Null for history imported from SSDA903.")
    request_id: str | None
    recommendation_id: int | None = Field(description="The accepted recommendation that made it, if any.")
    source: str = Field(description="`service` (an accepted recommendation) or `ssda903` (imported history).")
    provider: str | None = Field(description="`in_house`, `ifa`, or for history `kinship`, `residential`, `other`.")
    started_on: dt.date
    planned_end_on: dt.date | None
    ended_on: dt.date | None
    ending: str | None = Field(description="`planned` or `unplanned`; null while it lasts.")
    disruption_reason: str | None = Field(description="Why an unplanned ending happened.")
    distance_km: float | None = Field(description="Great-circle km from the child's home or school.")
    siblings: str | None = Field(description="`together`, `split` or `single`.")


class PlacementEndIn(BaseModel):
    """End a placement: when, planned or not, and for an unplanned ending (a disruption) why."""

    model_config = ConfigDict(extra="forbid", strict=True)

    ended_on: IsoDate = Field(description="Last day of the placement.", examples=["2026-12-01"])
    ending: Ending = Field(description="`planned` (as the care plan intended) or `unplanned` (a disruption).")
    disruption_reason: DisruptionReason | None = Field(
        default=None,
        description="Required for an unplanned ending, refused for a planned one: `sibling_behaviour`, "
        "`child_needs_escalated`, `impact_on_other_children`, `distance_from_school`, `missing_information`, "
        "`carer_circumstances`, `respite_unavailable`, `safeguarding_concern`, `child_requested`, `other`.",
        examples=["distance_from_school"],
    )
    note: Note | None = Field(
        default=None, description="Free text; required when the reason is `other`. Stored, never logged."
    )

    @model_validator(mode="after")
    def _reason_fits_ending(self) -> PlacementEndIn:
        if self.ending == "unplanned" and self.disruption_reason is None:
            raise ValueError("disruption_reason: required for an unplanned ending")
        if self.ending == "planned" and self.disruption_reason is not None:
            raise ValueError("disruption_reason: only an unplanned ending has one")
        if self.disruption_reason == "other" and not self.note:
            raise ValueError("note: say what happened when the reason is `other`")
        return self


class PlannedEndIn(BaseModel):
    """Set (or clear) the date a placement is planned to end."""

    model_config = ConfigDict(extra="forbid", strict=True)

    planned_end_on: IsoDate | None = Field(description="Planned last day; null clears it.")


class OutcomesReportOut(BaseModel):
    """The managers' outcomes report (``planning.outcomes``); counts under 5 are the string ``"<5"``."""

    model_config = ConfigDict(extra="allow")

    period: dict[str, Any]
    decisions: dict[str, Any]
    not_rank_one: dict[str, Any]
    unplanned_endings: dict[str, Any]
    stability: dict[str, Any]
    breakdowns: dict[str, Any]
    weight_review: dict[str, Any]
