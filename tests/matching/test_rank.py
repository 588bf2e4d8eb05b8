"""Ranking: options are legal, best first, distinct, explained; splits and relaxations behave."""

from __future__ import annotations

import json

import pytest

from domain.errors import InputError
from matching.rank import rank_request
from tests.builders import child, current_child, household, request, snapshot

FAR = {"lat": 53.5, "lon": -1.13}  # about 97 km north of the children


def test_together_request_ranks_each_eligible_household_once_best_first() -> None:
    snap = snapshot(
        [household("H1"), household("H2", provider="ifa", weekly_cost_gbp=900), household("H3", location=FAR)],
        [child("C1")],
        [request("R1")],
    )
    answer = rank_request(snap, "R1", top=5)
    assert answer.status == "optimal"
    assert [o.households for o in answer.options] == [("H1",), ("H2",)]
    assert answer.options[0].score > answer.options[1].score
    assert [o.rank for o in answer.options] == [1, 2]
    assert [e.household_id for e in answer.excluded] == ["H3"]
    assert answer.excluded[0].rules[0].id == "max_distance"


def test_criteria_add_up_to_the_score_and_say_why_in_words() -> None:
    snap = snapshot([household("H1")], [child("C1", name="Amira")], [request("R1")])
    option = rank_request(snap, "R1").options[0]
    assert sum(c.points for c in option.criteria) == option.score
    reasons = {c.id: c.reason for c in option.criteria}
    assert reasons["distance"].startswith("0.0 km from Amira's home")
    assert reasons["weekly_cost"] == "in-house carers, £420 a week"


def test_excluded_household_lists_every_rule_it_breaks() -> None:
    snap = snapshot(
        [household("H1", approval={"age_max": 10, "max_sibling_group": 1}, bedrooms_free=1, smoking=True)],
        [child("C1", name="Amira", date_of_birth="2014-04-01"), child("C2", name="Leo", date_of_birth="2023-01-01")],
        [request("R1", ["C1", "C2"])],
    )
    answer = rank_request(snap, "R1")
    assert answer.status == "infeasible" and not answer.options
    rules = [r.id for r in answer.excluded[0].rules]
    assert rules == ["age_range", "sibling_approval", "bedrooms", "smoke_free_under_5"]
    assert answer.excluded[0].rules[0].reason == "approved for ages 0-10; Amira is 12 on 24 Nov"


def test_may_split_offers_splits_when_no_home_takes_the_whole_group() -> None:
    homes = [household(f"H{i}", approval={"max_sibling_group": 1}, bedrooms_free=1) for i in range(1, 4)]
    kids = [child("C1", sibling_group="G"), child("C2", sibling_group="G")]
    answer = rank_request(snapshot(homes, kids, [request("R1", ["C1", "C2"], siblings="may_split")]), "R1", top=10)
    assert len(answer.options) == 6  # ordered pairs of distinct homes out of three
    for option in answer.options:
        assert len(option.households) == 2
        assert any(c.id == "siblings_together" and c.points == 0 for c in option.criteria)
    assert {e.household_id for e in answer.excluded} == {"H1", "H2", "H3"}  # none takes both together


def test_together_request_is_never_split() -> None:
    homes = [household(f"H{i}", approval={"max_sibling_group": 1}, bedrooms_free=1) for i in range(1, 3)]
    kids = [child("C1"), child("C2")]
    answer = rank_request(snapshot(homes, kids, [request("R1", ["C1", "C2"])]), "R1")
    assert answer.options == ()


def test_keeping_siblings_together_beats_splitting_them() -> None:
    homes = [household("H1"), household("H2"), household("H3")]
    kids = [child("C1"), child("C2")]
    answer = rank_request(snapshot(homes, kids, [request("R1", ["C1", "C2"], siblings="may_split")]), "R1", top=4)
    assert [len(o.households) for o in answer.options[:3]] == [1, 1, 1]
    assert len(answer.options[3].households) == 2


def test_relaxation_is_used_only_when_the_request_allows_it_and_says_who_signs() -> None:
    homes = [household("H1", location=FAR)]
    plain = snapshot(homes, [child("C1")], [request("R1")])
    assert rank_request(plain, "R1").options == ()
    allowed = snapshot(homes, [child("C1")], [request("R1", allow_relaxations=["max_distance"])])
    option = rank_request(allowed, "R1").options[0]
    assert [(r.id, r.role, r.household_id) for r in option.relaxations] == [("max_distance", "team_manager", "H1")]
    assert "limit is 80 km" in option.relaxations[0].reason


def test_emergency_only_relaxation_is_not_used_for_a_planned_request() -> None:
    homes = [household("H1", approval={"age_max": 10})]
    kids = [child("C1", date_of_birth="2014-04-01")]
    planned = snapshot(
        homes, kids, [request("R1", kind="long_term", urgency="planned", allow_relaxations=["age_range"])]
    )
    assert rank_request(planned, "R1").options == ()
    emergency = snapshot(
        homes, kids, [request("R1", kind="emergency", urgency="today", allow_relaxations=["age_range"])]
    )
    option = rank_request(emergency, "R1").options[0]
    assert option.relaxations[0].role == "nominated_officer"


def test_hold_reserved_for_this_request_is_offered_and_not_to_others() -> None:
    held = household("H1", status="on_hold", hold={"reason": "kept", "until": None, "reserved_for_request": "R1"})
    snap = snapshot([held], [child("C1"), child("C2")], [request("R1", ["C1"]), request("R2", ["C2"])])
    assert rank_request(snap, "R1").options[0].households == ("H1",)
    assert rank_request(snap, "R2").excluded[0].rules[0].id == "household_available"


def test_top_k_options_are_distinct_and_deterministic() -> None:
    homes = [household(f"H{i}", location={"lat": 52.6 + i / 100, "lon": -1.13}) for i in range(8)]
    snap = snapshot(homes, [child("C1")], [request("R1")])
    first = rank_request(snap, "R1", top=5)
    assert len({o.households for o in first.options}) == 5
    assert json.dumps(first.to_json()) == json.dumps(rank_request(snap, "R1", top=5).to_json())


def test_nearest_household_ranks_first_when_all_else_is_equal() -> None:
    homes = [household(f"H{i}", location={"lat": 52.6369 + i / 50, "lon": -1.1398}) for i in range(5)]
    answer = rank_request(snapshot(homes, [child("C1")], [request("R1")]), "R1", top=5)
    assert [o.households[0] for o in answer.options] == ["H0", "H1", "H2", "H3", "H4"]


def test_current_children_count_towards_limits() -> None:
    full = household("H1", current_children=[current_child("K1"), current_child("K2"), current_child("K3")])
    answer = rank_request(snapshot([full], [child("C1")], [request("R1")]), "R1")
    assert {r.id for r in answer.excluded[0].rules} == {"approved_places", "usual_fostering_limit"}


def test_unknown_request_is_an_input_error_naming_it() -> None:
    snap = snapshot([household()], [child()], [request()])
    with pytest.raises(InputError, match="request R9"):
        rank_request(snap, "R9")
