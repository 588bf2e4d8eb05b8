"""Why not this household: rules broken with who could relax them, or where it loses points."""

from __future__ import annotations

from matching.whynot import why_not
from tests.builders import child, household, request, snapshot


def test_ineligible_household_lists_every_rule_and_who_could_relax_it() -> None:
    snap = snapshot(
        [household("H1", approval={"age_max": 10}, location={"lat": 53.5, "lon": -1.13})],
        [child("C1", name="Amira", date_of_birth="2014-04-01")],
        [request("R1", kind="emergency", urgency="today", allow_relaxations=["max_distance"])],
    )
    answer = why_not(snap, "R1", "H1")
    assert not answer.eligible
    assert [(r.id, r.relaxable_by, r.relaxable_now) for r in answer.rules] == [
        ("age_range", "nominated_officer", False),
        ("max_distance", "team_manager", True),
    ]
    assert answer.can_be_made_eligible
    assert "does not allow" in answer.rules[0].note


def test_never_relaxable_rule_means_it_cannot_be_made_eligible() -> None:
    snap = snapshot([household("H1", bedrooms_free=0)], [child("C1")], [request("R1")])
    answer = why_not(snap, "R1", "H1")
    assert [r.id for r in answer.rules] == ["bedrooms"]
    assert answer.rules[0].relaxable_by is None and not answer.can_be_made_eligible


def test_eligible_household_below_rank_one_says_where_it_loses_points() -> None:
    snap = snapshot(
        [household("H1"), household("H2", provider="ifa", weekly_cost_gbp=900)], [child("C1")], [request("R1")]
    )
    answer = why_not(snap, "R1", "H2")
    assert answer.eligible and answer.rank == 2 and answer.of == 2
    assert answer.top_households == ("H1",)
    assert [loss.id for loss in answer.losses] == ["weekly_cost"]
    assert answer.losses[0].points == answer.score - answer.top_score  # type: ignore[operator]
