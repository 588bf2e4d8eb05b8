"""The invariant checker finds each kind of breach it promises, and nothing on a consistent store."""

from __future__ import annotations

import datetime as dt

from domain.snapshot import CurrentChild
from store.db import Database
from store.invariants import Violation, check_invariants
from store.models import utcnow
from store.repositories import Repositories
from store.repositories.recommendations import ACCEPTED
from tests import builders

TODAY = dt.date(2026, 11, 23)


def _load(database: Database, **household: object) -> None:
    snapshot = builders.snapshot(
        [builders.household("H1", **household), builders.household("H2")],
        [builders.child("C1"), builders.child("C2")],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(snapshot, actor="test")


def _found(database: Database) -> set[tuple[str, str]]:
    with database.read_transaction() as session:
        return {(v.invariant, v.record) for v in check_invariants(session, TODAY)}


def _option(request_id: str, child_id: str, household_id: str) -> dict[str, object]:
    placements = [{"child_id": child_id, "household_id": household_id}]
    return {"rank": 1, "score": 1, "placements": placements, "criteria": [], "relaxations": []}


def _accept(repos: Repositories, request_id: str, child_id: str, household_id: str, *, move_in: bool) -> int:
    """Write an accepted option and its decision; ``move_in`` also moves the child in and places the request."""
    run_id = repos.recommendations.add_run(
        kind="rank", request_id=request_id, status="optimal", revision=0, duration_ms=0, actor="test"
    )
    (recommendation_id,) = repos.recommendations.add_options(
        run_id, request_id, [_option(request_id, child_id, household_id)]
    )
    repos.recommendations.close(recommendation_id, ACCEPTED)
    repos.recommendations.add_decision(
        recommendation_id=recommendation_id,
        request_id=request_id,
        outcome=ACCEPTED,
        reason="test",
        actor="test",
        decided_on=TODAY,
    )
    if move_in:
        repos.households.place_children(household_id, [CurrentChild(child_id=child_id, age=10)], 1, TODAY)
        repos.requests.set_status(request_id, "placed")
    return recommendation_id


def test_a_consistent_store_passes_including_a_proper_placement(database: Database) -> None:
    _load(database)
    with database.transaction() as session:
        _accept(Repositories(session), "R1", "C1", "H1", move_in=True)
    with database.read_transaction() as session:
        assert check_invariants(session, TODAY) == []


def test_child_in_two_homes_and_household_over_its_limit(database: Database) -> None:
    _load(database, approval={"max_children": 1})
    with database.transaction() as session:
        households = Repositories(session).households
        households.add_current_child("H1", CurrentChild(child_id="K1", age=9))
        households.add_current_child("H1", CurrentChild(child_id="K2", age=7))
        households.add_current_child("H2", CurrentChild(child_id="K1", age=9))
    assert _found(database) == {("child_in_two_homes", "child K1"), ("household_over_limit", "household H1")}


def test_request_open_and_placed_and_accepted_without_placement(database: Database) -> None:
    _load(database)
    with database.transaction() as session:
        recommendation_id = _accept(Repositories(session), "R1", "C1", "H1", move_in=False)
    assert _found(database) == {
        ("request_open_and_placed", "request R1"),
        ("accepted_without_placement", f"recommendation {recommendation_id}"),
    }


def test_placement_breaking_a_hard_rule(database: Database) -> None:
    _load(database, approval={"age_max": 5})  # C1 is ten
    with database.transaction() as session:
        _accept(Repositories(session), "R1", "C1", "H1", move_in=True)
    with database.read_transaction() as session:
        violations = check_invariants(session, TODAY)
    assert violations == [Violation("placement_breaks_rule", "request R1", "household H1: age_range")]


def test_open_option_on_a_placed_request_and_a_failed_run_that_wrote(database: Database) -> None:
    _load(database)
    with database.transaction() as session:
        repos = Repositories(session)
        repos.requests.set_status("R2", "placed")
        run_id = repos.batch_runs.claim(parameters={}, actor="test", revision=0, started_at=utcnow())
        (recommendation_id,) = repos.recommendations.add_options(run_id, "R2", [_option("R2", "C2", "H2")])
        repos.batch_runs.add_scarcity(run_id, {"H2": (5, "scarce")})
        repos.batch_runs.fail(run_id, "test")
    assert _found(database) == {
        ("open_recommendation_on_closed_request", f"recommendation {recommendation_id}"),
        ("failed_run_wrote", f"batch run {run_id}"),
    }
