"""The queries every rank call runs, on both databases: the API key's holder as stored now, the revision
and the scarcity run in one round trip, and a request's latest run with its options' statuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from store.db import Database
from store.repositories import Repositories
from tests import builders
from tests.store.samples import rich_snapshot


def _option(rank: int, household_id: str, child_id: str = "C1") -> dict[str, Any]:
    placements = [{"child_id": child_id, "household_id": household_id}]
    return {"rank": rank, "score": 100 - rank, "placements": placements, "criteria": [], "relaxations": []}


def test_the_api_key_holder_is_read_as_stored_now(database: Database) -> None:
    with database.transaction() as session:
        users = Repositories(session).users
        users.create("sam", "not-a-real-hash", "duty")
        key = users.add_api_key("sam", name="automation", prefix="abc123", key_hash="h" * 64)
    with database.read_transaction() as session:
        holder = Repositories(session).users.api_key_holder("abc123")
        assert holder is not None
        assert (holder.key_hash, holder.username, holder.role, holder.active) == ("h" * 64, "sam", "duty", True)
        assert Repositories(session).users.api_key_holder("abc124") is None
    with database.transaction() as session:
        Repositories(session).users.update("sam", role="manager", active=False)
    with database.read_transaction() as session:
        holder = Repositories(session).users.api_key_holder("abc123")
        assert holder is not None and (holder.role, holder.active) == ("manager", False)
    with database.transaction() as session:
        Repositories(session).users.revoke_api_key(key.id)
    with database.read_transaction() as session:
        assert Repositories(session).users.api_key_holder("abc123") is None


def test_revision_and_scarcity_run_in_one_round_trip_agree_with_each_alone(database: Database) -> None:
    with database.read_transaction() as session:
        repos = Repositories(session)
        assert repos.batch_runs.revision_and_scarcity_run_id() == (repos.snapshots.revision(), None)
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(rich_snapshot(), actor="admin")
    with database.transaction() as session:
        runs = Repositories(session).batch_runs
        started = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
        run_id = runs.claim(parameters={}, actor="nightly", revision=1, started_at=started)
        runs.finish(run_id, status="optimal", scarcity_run_id=run_id)
        failed = runs.claim(parameters={}, actor="nightly", revision=1, started_at=started)
        runs.finish(failed, status="failed")
    with database.read_transaction() as session:
        repos = Repositories(session)
        revision, scarcity_run_id = repos.batch_runs.revision_and_scarcity_run_id()
        assert revision == repos.snapshots.revision() > 0
        assert scarcity_run_id == repos.batch_runs.latest_scarcity_run_id() == run_id


def test_the_scarcity_run_in_force_is_the_newest_successful_runs_whichever_its_status(database: Database) -> None:
    """The one-round-trip query takes the newest of the newest optimal and the newest feasible run (no IN
    list, no sort); a failed or still running run never stands."""

    def in_force() -> tuple[int | None, int | None]:
        with database.read_transaction() as session:
            runs = Repositories(session).batch_runs
            return runs.revision_and_scarcity_run_id()[1], runs.latest_scarcity_run_id()

    started = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    standing: list[int] = []
    for status, scarcity_of in [
        ("optimal", "itself"),
        ("feasible", "itself"),
        ("feasible", "first"),
        ("optimal", "itself"),
    ]:
        with database.transaction() as session:
            runs = Repositories(session).batch_runs
            run_id = runs.claim(parameters={}, actor="nightly", revision=0, started_at=started)
            standing.append(run_id if scarcity_of == "itself" else standing[0])
            runs.finish(run_id, status=status, scarcity_run_id=standing[-1])
        assert in_force() == (standing[-1], standing[-1]), status
    with database.transaction() as session:
        runs = Repositories(session).batch_runs
        failed = runs.claim(parameters={}, actor="nightly", revision=0, started_at=started)
        runs.finish(failed, status="failed", scarcity_run_id=failed)
        runs.claim(parameters={}, actor="nightly", revision=0, started_at=started)  # still running
    assert in_force() == (standing[-1], standing[-1])


def test_the_latest_run_of_a_request_comes_with_its_options_in_ranked_order(database: Database) -> None:
    snap = builders.snapshot(
        [builders.household("H1"), builders.household("H2")],
        [builders.child("C1")],
        [builders.request("R1", ["C1"])],
    )
    with database.transaction() as session:
        repos = Repositories(session)
        repos.snapshots.import_snapshot(snap, actor="admin")
        assert repos.recommendations.latest_run("rank", "R1") is None
        run: dict[str, Any] = {"kind": "rank", "request_id": "R1", "status": "optimal", "duration_ms": 1}
        older = repos.recommendations.add_run(**run, revision=1, actor="duty")
        repos.recommendations.add_options(older, "R1", [_option(1, "H1")])
        parameters = {"top": 5, "as_of": "2026-11-23", "scarcity_run_id": -1}
        newer = repos.recommendations.add_run(**run, revision=2, actor="duty", parameters=parameters)
        ids = repos.recommendations.add_options(newer, "R1", [_option(1, "H2"), _option(2, "H1")])
        repos.recommendations.close(ids[1], "declined")
        repos.recommendations.add_run(**{**run, "kind": "other"}, revision=3, actor="duty")
    with database.read_transaction() as session:
        recommendations = Repositories(session).recommendations
        latest = recommendations.latest_run("rank", "R1")
        assert latest is not None
        assert recommendations.run_options(latest.run_id) == [_option(1, "H2"), _option(2, "H1")]
        assert recommendations.run_options(older) == [_option(1, "H1")]
    assert (latest.run_id, latest.revision, latest.parameters) == (newer, 2, parameters)
    assert [(o.recommendation_id, o.status) for o in latest.options] == [(ids[0], "open"), (ids[1], "declined")]
    with database.transaction() as session:
        empty = Repositories(session).recommendations.add_run(**run, revision=2, actor="duty")
    with database.read_transaction() as session:
        latest = Repositories(session).recommendations.latest_run("rank", "R1")
    assert latest is not None and latest.run_id == empty and latest.options == [], "a run that found no option"
