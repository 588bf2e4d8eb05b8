"""household_available: only an active household, or a held one whose hold names this request (reading 1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from constraints.base import Part, distance_limit_km, make_part
from constraints.registry import RULES_BY_ID
from domain.tables import HouseholdTable, build_household_table
from tests.builders import child, household, request, snapshot
from tests.constraints.judge import judge

RULE = RULES_BY_ID["household_available"]


def _hold(reserved_for: str | None, reason: str = "investigation", until: str | None = "2026-12-01") -> dict[str, Any]:
    return {"reason": reason, "until": until, "reserved_for_request": reserved_for}


def _part_and_table(households: list[dict[str, Any]], req: dict[str, Any]) -> tuple[Part, HouseholdTable]:
    snap = snapshot(households, [child()], [req])
    the_request = snap.requests[0]
    part = make_part(
        {c.id: c for c in snap.children}, the_request, the_request.children, distance_limit_km(the_request, snap)
    )
    return part, build_household_table(list(snap.households))


def test_passes_an_active_household_with_no_hold() -> None:
    assert not judge("household_available", household(status="active")).broken


def test_fails_a_deregistered_household_and_says_so() -> None:
    verdict = judge("household_available", household(status="deregistered"))
    assert verdict.broken
    assert verdict.reason == "not available: deregistered"


def test_fails_any_status_but_active_or_on_hold() -> None:
    verdict = judge("household_available", household(status="under_review"))
    assert verdict.broken
    assert verdict.reason == "not available: under review"


def test_fails_deregistered_even_when_a_hold_names_this_request() -> None:
    verdict = judge("household_available", household(status="deregistered", hold=_hold("R1")))
    assert verdict.broken
    assert verdict.reason == "not available: deregistered"


def test_fails_on_hold_status_without_a_hold_record() -> None:
    verdict = judge("household_available", household(status="on_hold", hold=None))
    assert verdict.broken
    assert verdict.reason == "on hold"


def test_fails_active_status_with_a_hold_record_reserved_for_nobody() -> None:
    verdict = judge("household_available", household(status="active", hold=_hold(None, reason="carer break")))
    assert verdict.broken
    assert verdict.reason == "on hold (carer break) until 1 Dec"


def test_fails_a_hold_reserved_for_another_request_naming_it() -> None:
    verdict = judge("household_available", household(status="on_hold", hold=_hold("R9")))
    assert verdict.broken
    assert verdict.reason == "on hold (investigation) until 1 Dec, kept for request R9"


def test_passes_a_hold_reserved_for_this_request_whatever_the_status_says() -> None:
    assert not judge("household_available", household(status="on_hold", hold=_hold("R1"))).broken
    assert not judge("household_available", household(status="active", hold=_hold("R1"))).broken


def test_boundary_a_hold_past_its_until_date_still_holds() -> None:
    # `until` is informative: a hold ends when a manager releases it, not by date.
    expired = household(status="on_hold", hold=_hold("R9", until="2026-11-01"))
    verdict = judge("household_available", expired, request=request(needed_by="2026-11-24"))
    assert verdict.broken
    assert verdict.reason == "on hold (investigation) until 1 Nov, kept for request R9"


def test_boundary_a_hold_without_reason_or_until_reads_plainly() -> None:
    verdict = judge("household_available", household(status="on_hold", hold=_hold(None, reason="", until=None)))
    assert verdict.reason == "on hold"


def test_relax_a_held_household_when_the_request_allows_it() -> None:
    held = household("H1", status="on_hold", hold=_hold("R9"))
    part, table = _part_and_table([held], request(allow_relaxations=["household_available"], urgency="planned"))
    assert RULE.may_relax(part)
    assert RULE.relaxable_mask(part, table).tolist() == [True]
    assert RULE.relaxable_for(part, table.households[0])
    assert RULE.relaxable_by == "team_manager"


def test_relax_never_a_deregistered_household() -> None:
    gone = household("H1", status="deregistered")
    held = household("H2", status="on_hold", hold=_hold(None))
    unknown = household("H3", status="suspended")
    part, table = _part_and_table([gone, held, unknown], request(allow_relaxations=["household_available"]))
    assert RULE.relaxable_mask(part, table).tolist() == [False, True, False]
    assert [RULE.relaxable_for(part, h) for h in table.households] == [False, True, False]


def test_relax_not_when_the_request_does_not_allow_it() -> None:
    held = household("H1", status="on_hold", hold=_hold("R9"))
    part, table = _part_and_table([held], request(allow_relaxations=[]))
    assert not RULE.may_relax(part)
    assert not np.any(RULE.relaxable_mask(part, table))
    assert not RULE.relaxable_for(part, table.households[0])
    assert RULE.why_not_relaxable(part) == "the request does not allow relaxing it"


def test_vectorised_over_several_households_at_once() -> None:
    households = [
        household("H1"),
        household("H2", status="deregistered"),
        household("H3", status="on_hold", hold=_hold("R1")),
        household("H4", status="on_hold", hold=_hold("R9")),
        household("H5", status="on_hold"),
        household("H6", hold=_hold("R1")),
    ]
    part, table = _part_and_table(households, request())
    assert RULE.violations(part, table).tolist() == [False, True, False, True, True, False]
