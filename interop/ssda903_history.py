"""SSDA903 episodes as placement history for the outcomes report (issue 10).

Each spell of ``interop.ssda903.spells`` (one child with one carer; legal-status changes and same-carer
moves merged) is one placement. How it ended comes from the return: a spell ending in another placement
the same day (REC X1) ended for the REASON_PLACE_CHANGE of its last episode, which says whether the move
was planned and, if not, which disruption theme it belongs to (``REASON_PLACE_CHANGE_ENDINGS``); a spell
ending the period of care ended as planned; an open spell has not ended. Only pseudonymous ids are read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from interop.ssda903 import Return903, spells

#: REASON_PLACE_CHANGE (DfE SSDA903 guidance, validator rule 1009) -> (ending, disruption reason).
REASON_PLACE_CHANGE_ENDINGS: dict[str, tuple[str, str | None]] = {
    "CARPL": ("planned", None),  # change to, or implementation of, the care plan
    "LAREQ": ("planned", None),  # the responsible authority asked for the end, for other reasons
    "PLACE": ("planned", None),  # change in the status of the placement only
    "CLOSE": ("unplanned", "carer_circumstances"),  # resignation or closure of the provision
    "APPRR": ("unplanned", "carer_circumstances"),  # the carers' approval was removed
    "CREQO": ("unplanned", "carer_circumstances"),  # carers asked for the end, for other reasons
    "CREQB": ("unplanned", "child_needs_escalated"),  # carers asked for the end, the child's behaviour
    "ALLEG": ("unplanned", "safeguarding_concern"),  # allegation (s47)
    "STAND": ("unplanned", "safeguarding_concern"),  # standards of care concern
    "CHILD": ("unplanned", "child_requested"),  # the child asked for the end
    "CUSTOD": ("unplanned", "other"),  # custody
    "OTHER": ("unplanned", "other"),  # other (counted as a disruption: nothing says it was planned)
}


@dataclass(frozen=True)
class HistoryPlacement:
    """One placement of the return, ready to store (``source_ref`` makes a re-import skip it)."""

    source_ref: str
    child_id: str
    started_on: dt.date
    ended_on: dt.date | None
    ending: str | None
    disruption_reason: str | None
    provider: str
    age_at_start: int
    ethnicity: str | None


def placement_history(data: Return903) -> list[HistoryPlacement]:
    """Every spell of the return as a placement, in child then start order."""
    result: list[HistoryPlacement] = []
    for spell in spells(data):
        ending: str | None = None
        reason: str | None = None
        if spell.end is not None:
            if spell.moved and spell.reason_place_change is not None:
                ending, reason = REASON_PLACE_CHANGE_ENDINGS[spell.reason_place_change]
            elif spell.moved:
                ending, reason = "unplanned", "other"  # a move the return gives no reason for
            else:
                ending = "planned"  # left care (or the episode closed without a move)
        result.append(
            HistoryPlacement(
                source_ref=f"ssda903:{spell.child}:{spell.start.isoformat()}",
                child_id=spell.child,
                started_on=spell.start,
                ended_on=spell.end,
                ending=ending,
                disruption_reason=reason,
                provider=spell.category,
                age_at_start=spell.age_at_start,
                ethnicity=data.headers[spell.child].ethnic,
            )
        )
    return result
