"""The solver-free validator, including several requests in one household (DESIGN.md reading 15)."""

from __future__ import annotations

from matching.index import SnapshotIndex
from matching.validate import Proposal, check_placements, check_proposals
from tests.builders import child, household, request, snapshot


def _rules(breaches: list) -> set[str]:  # type: ignore[type-arg]
    return {b.rule_id for b in breaches}


def test_a_legal_placement_has_no_breach() -> None:
    snap = snapshot([household("H1")], [child("C1")], [request("R1")])
    assert check_placements(snap, "R1", [("C1", "H1")]) == []


def test_structure_every_child_once_and_siblings_together() -> None:
    snap = snapshot([household("H1"), household("H2")], [child("C1"), child("C2")], [request("R1", ["C1", "C2"])])
    assert _rules(check_placements(snap, "R1", [("C1", "H1")])) == {"structure"}
    assert _rules(check_placements(snap, "R1", [("C1", "H1"), ("C2", "H2")])) == {"structure"}
    assert _rules(check_placements(snap, "R1", [("C1", "H1"), ("C2", "H9")])) == {"structure"}


def test_relaxed_rule_passes_only_when_relaxable_for_the_request() -> None:
    far = household("H1", location={"lat": 53.5, "lon": -1.13})
    snap = snapshot([far], [child("C1")], [request("R1", allow_relaxations=["max_distance"])])
    assert _rules(check_placements(snap, "R1", [("C1", "H1")])) == {"max_distance"}
    assert check_placements(snap, "R1", [("C1", "H1")], relaxed=["max_distance"]) == []
    not_allowed = snapshot([far], [child("C1")], [request("R1")])
    assert _rules(check_placements(not_allowed, "R1", [("C1", "H1")], relaxed=["max_distance"])) == {"max_distance"}


def test_two_requests_in_one_household_share_its_bedrooms() -> None:
    snap = snapshot(
        [household("H1", bedrooms_free=1)], [child("C1"), child("C2")], [request("R1"), request("R2", ["C2"])]
    )
    index = SnapshotIndex.build(snap)
    alone = check_proposals(index, [Proposal("R1", (("C1", "H1"),))])
    both = check_proposals(index, [Proposal("R1", (("C1", "H1"),)), Proposal("R2", (("C2", "H1"),))])
    assert alone == []
    assert _rules(both) == {"bedrooms"}


def test_other_requests_children_count_as_current_for_the_usual_limit() -> None:
    home = household("H1", approval={"max_children": 5}, bedrooms_free=5)
    kids = [child("C1"), child("C2"), child("C3"), child("C4")]
    reqs = [request("R1", ["C1", "C2"]), request("R2", ["C3", "C4"])]
    breaches = check_proposals(
        SnapshotIndex.build(snapshot([home], kids, reqs)),
        [Proposal("R1", (("C1", "H1"), ("C2", "H1"))), Proposal("R2", (("C3", "H1"), ("C4", "H1")))],
    )
    assert _rules(breaches) == {"usual_fostering_limit"}


def test_sexual_harm_between_two_new_requests_is_caught_both_ways() -> None:
    home = household("H1", approval={"manages_risks": ["sexual_harm"]})
    older = child("C1", date_of_birth="2011-01-01", risks_to_others=["sexual_harm"])
    younger = child("C2", date_of_birth="2018-01-01")
    snap = snapshot([home], [older, younger], [request("R1"), request("R2", ["C2"])])
    breaches = check_proposals(
        SnapshotIndex.build(snap), [Proposal("R1", (("C1", "H1"),)), Proposal("R2", (("C2", "H1"),))]
    )
    assert {(b.request_id, b.rule_id) for b in breaches} == {("R1", "risk_to_others"), ("R2", "risk_to_others")}


def test_a_hold_reserved_for_one_request_refuses_the_other() -> None:
    held = household("H1", hold={"reason": "kept", "until": None, "reserved_for_request": "R1"})
    snap = snapshot([held], [child("C1"), child("C2")], [request("R1"), request("R2", ["C2"])])
    breaches = check_proposals(
        SnapshotIndex.build(snap), [Proposal("R1", (("C1", "H1"),)), Proposal("R2", (("C2", "H1"),))]
    )
    assert {(b.request_id, b.rule_id) for b in breaches} == {("R2", "household_available")}


def test_a_child_not_yet_born_on_another_requests_date_counts_as_a_newborn() -> None:
    home = household("H1", bedrooms_free=2)
    baby = child("C2", date_of_birth="2026-12-01")  # born after R1's needed-by date
    kids = [child("C1"), baby]
    reqs = [request("R1", needed_by="2026-11-24"), request("R2", ["C2"], needed_by="2026-12-05")]
    index = SnapshotIndex.build(snapshot([home], kids, reqs))
    proposals = [Proposal("R1", (("C1", "H1"),)), Proposal("R2", (("C2", "H1"),))]
    assert check_proposals(index, proposals) == []
