"""Batch runs in the store, on SQLite and PostgreSQL: one at a time, idempotent, all-or-nothing, scarcity kept.

The runs go through ``api.batch`` (claim, execute) as the API and the CLI do, on small snapshots that
solve in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from api import batch
from api.deps import Principal
from api.ranking import BatchScarcity
from domain.snapshot import Snapshot
from store.db import Database, mark_snapshot_changed
from store.models import (
    AuditEventRow,
    BatchScarcityRow,
    HouseholdRow,
    MatchRunRow,
    RecommendationPlacementRow,
    RecommendationRow,
)
from store.repositories import Repositories
from store.repositories.batch_runs import BatchRunning, BatchRunRepository
from store.repositories.recommendations import RecommendationRepository
from tests import builders

AS_OF = dt.date(2026, 11, 23)
MANAGER = Principal("manager", "manager", "token")
FAST = batch.BatchParameters(time_limit_s=5)
ONLY_HOME_OF_R007 = "the only home that can take request R007 (4 siblings together)"


def siblings_and_one() -> Snapshot:
    """H1 is the only home for four siblings (R007); R1's child prefers H2 (in-house) to H4 (IFA); R2's
    teenager has one home, H3."""
    under_13 = {"age_max": 12, "max_sibling_group": 1}
    return builders.snapshot(
        [
            builders.household(
                "H1", bedrooms_free=4, approval={"age_max": 12, "max_children": 4, "max_sibling_group": 4}
            ),
            builders.household("H2", bedrooms_free=1, approval=under_13),
            builders.household("H3", bedrooms_free=1, approval={"age_min": 13, "max_sibling_group": 1}),
            builders.household("H4", bedrooms_free=1, provider="ifa", weekly_cost_gbp=800, approval=under_13),
        ],
        [builders.child(f"C{i}", sibling_group="G1") for i in range(1, 5)]
        + [builders.child("C5"), builders.child("C6", date_of_birth="2011-01-01")],
        [
            builders.request("R007", ["C1", "C2", "C3", "C4"]),
            builders.request("R1", ["C5"]),
            builders.request("R2", ["C6"]),
        ],
    )


def load(database: Database, snapshot: Snapshot) -> None:
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(snapshot, actor="test")


def run(database: Database, parameters: batch.BatchParameters = FAST) -> batch.RunResult:
    run_id = batch.claim(database, parameters, MANAGER)
    return batch.execute(database, run_id, parameters, MANAGER, AS_OF)


def counts(database: Database) -> dict[str, int]:
    models: dict[str, Any] = {
        "runs": MatchRunRow,
        "recommendations": RecommendationRow,
        "placements": RecommendationPlacementRow,
        "scarcity": BatchScarcityRow,
        "audit": AuditEventRow,
    }
    with database.read_transaction() as session:
        found = {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in models.items()}
        found["open"] = (
            session.scalar(
                select(func.count()).select_from(RecommendationRow).where(RecommendationRow.status == "open")
            )
            or 0
        )
    return found


def open_proposals(database: Database) -> dict[str, tuple[int, tuple[tuple[str, str], ...]]]:
    """Request id -> (recommendation id, placements) of the open batch proposals."""
    with database.read_transaction() as session:
        rows = Repositories(session).recommendations.open_from_runs_of_kind(batch.BATCH)
        return {r.request_id: (r.id, tuple((p.child_id, p.household_id) for p in r.placements)) for r in rows}


def run_row(database: Database, run_id: int) -> MatchRunRow:
    with database.read_transaction() as session:
        row = Repositories(session).batch_runs.get(run_id)
        assert row is not None
        return row


def deregister(database: Database, household_id: str) -> None:
    with database.transaction() as session:
        session.execute(update(HouseholdRow).where(HouseholdRow.id == household_id).values(status="deregistered"))
        mark_snapshot_changed(session)


def test_a_run_is_stored_with_what_it_saw_was_asked_and_found(database: Database) -> None:
    load(database, siblings_and_one())
    result = run(database)
    assert result.run_id is not None
    row = run_row(database, result.run_id)
    with database.read_transaction() as session:
        expected_hash = batch.snapshot_hash(Repositories(session).snapshots.load(AS_OF))
    assert row.status == "optimal" and row.kind == "batch" and row.created_by == "manager"
    assert row.snapshot_hash == expected_hash == result.body["snapshot_hash"] and len(expected_hash) == 64
    assert row.parameters == FAST.to_json() and row.parameters["time_limit_s"] == 5.0
    assert row.objective == result.answer.objective and row.bound == result.answer.bound and row.gap == 0.0
    assert (row.children_placed, row.children_waiting) == (6, 6)
    assert row.timings is not None and "solve_s" in row.timings and row.levels is not None
    assert row.started_at is not None and row.finished_at is not None and row.started_at <= row.finished_at
    assert (row.proposals_added, row.proposals_kept, row.proposals_withdrawn) == (3, 0, 0)
    assert row.stage == "stored" and row.progress == 1.0 and row.error is None
    assert open_proposals(database)["R007"][1] == tuple((f"C{i}", "H1") for i in range(1, 5))


def test_the_snapshot_hash_is_canonical_and_follows_the_data(database: Database) -> None:
    load(database, siblings_and_one())
    with database.read_transaction() as session:
        first = batch.snapshot_hash(Repositories(session).snapshots.load(AS_OF))
    with database.read_transaction() as session:
        assert batch.snapshot_hash(Repositories(session).snapshots.load(AS_OF)) == first
        assert batch.snapshot_hash(Repositories(session).snapshots.load(AS_OF + dt.timedelta(days=1))) != first
    deregister(database, "H3")
    with database.read_transaction() as session:
        assert batch.snapshot_hash(Repositories(session).snapshots.load(AS_OF)) != first


def test_a_second_run_on_the_same_data_changes_nothing(database: Database) -> None:
    load(database, siblings_and_one())
    first = run(database)
    after_first = counts(database)
    proposals = open_proposals(database)

    second = run(database)
    after_second = counts(database)
    assert second.run_id is not None
    # Only the record that it was re-run: its run row and its audit event. No recommendation, no
    # withdrawal, no scarcity row.
    assert after_second == {**after_first, "runs": after_first["runs"] + 1, "audit": after_first["audit"] + 1}
    assert open_proposals(database) == proposals
    row = run_row(database, second.run_id)
    assert row.repeats_run_id == first.run_id and row.scarcity_run_id == first.run_id
    assert (row.proposals_added, row.proposals_kept, row.proposals_withdrawn) == (0, 3, 0)
    assert {m["recommendation_id"] for m in second.body["matches"]} == {i for i, _ in proposals.values()}

    third = run(database)  # and again: still nothing
    assert counts(database)["recommendations"] == after_first["recommendations"]
    assert run_row(database, third.run_id or 0).repeats_run_id == second.run_id


def test_other_parameters_on_the_same_data_keep_the_same_proposals(database: Database) -> None:
    load(database, siblings_and_one())
    run(database)
    proposals = open_proposals(database)
    other = run(database, batch.BatchParameters(time_limit_s=6, workers=1))
    row = run_row(database, other.run_id or 0)
    assert row.repeats_run_id is None, "other parameters: not a repeat, but the same proposals stand"
    assert (row.proposals_added, row.proposals_kept, row.proposals_withdrawn) == (0, 3, 0)
    assert open_proposals(database) == proposals


def test_changed_data_supersedes_only_the_proposals_that_differ(database: Database) -> None:
    load(database, siblings_and_one())
    run(database)
    before = open_proposals(database)
    assert before["R1"][1] == (("C5", "H2"),)
    deregister(database, "H2")  # R1's proposed home goes; R007's and R2's proposals still hold

    result = run(database)
    after = open_proposals(database)
    assert after["R007"] == before["R007"] and after["R2"] == before["R2"], "unchanged proposals are kept as they are"
    assert after["R1"][0] != before["R1"][0] and after["R1"][1] == (("C5", "H4"),)
    row = run_row(database, result.run_id or 0)
    assert (row.proposals_added, row.proposals_kept, row.proposals_withdrawn) == (1, 2, 1)
    assert row.repeats_run_id is None
    with database.read_transaction() as session:
        old = Repositories(session).recommendations.row(before["R1"][0])
        assert old.status == "withdrawn" and old.status_note == f"superseded by batch run {result.run_id}"


def test_a_request_left_unmatched_loses_its_proposal(database: Database) -> None:
    load(database, siblings_and_one())
    run(database)
    r2 = open_proposals(database)["R2"][0]
    deregister(database, "H3")  # R2's only home: R2 cannot be matched any more
    result = run(database)
    assert "R2" not in open_proposals(database)
    with database.read_transaction() as session:
        row = Repositories(session).recommendations.row(r2)
    assert (
        row.status == "withdrawn" and row.status_note == f"superseded by batch run {result.run_id}: no longer proposed"
    )


def test_a_failure_after_some_writes_leaves_no_partial_writes(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(database, siblings_and_one())
    run(database)
    standing = open_proposals(database)
    deregister(database, "H2")  # so that the next run withdraws one proposal and adds one before failing
    before = counts(database)

    def broken(self: BatchRunRepository, run_id: int, **values: Any) -> None:
        raise RuntimeError("disk full")  # the last write of the run: everything else has been written

    added: list[int] = []
    real_add = RecommendationRepository.add_options

    def counting_add(self: RecommendationRepository, run_id: int, request_id: str, options: Any) -> list[int]:
        ids = real_add(self, run_id, request_id, options)
        added.extend(ids)
        return ids

    monkeypatch.setattr(BatchRunRepository, "finish", broken)
    monkeypatch.setattr(RecommendationRepository, "add_options", counting_add)
    run_id = batch.claim(database, FAST, MANAGER)
    with pytest.raises(RuntimeError, match="disk full"):
        batch.execute(database, run_id, FAST, MANAGER, AS_OF)

    assert added, "the failure came after the run had written a new proposal"
    assert counts(database) == {**before, "runs": before["runs"] + 1}, "only the failed run's row remains"
    assert open_proposals(database) == standing, "no withdrawal survived either"
    row = run_row(database, run_id)
    assert row.status == "failed" and row.error == "RuntimeError: disk full" and row.finished_at is not None
    with database.read_transaction() as session:
        assert Repositories(session).batch_runs.running() is None, "the running slot is free again"

    monkeypatch.undo()
    again = run(database)  # and it can simply be run again
    assert run_row(database, again.run_id or 0).status == "optimal"


def test_a_first_run_failing_while_storing_scarcity_leaves_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(database, siblings_and_one())
    before = counts(database)

    def broken(self: BatchRunRepository, run_id: int, scarcity: Any) -> None:
        raise RuntimeError("lost the connection")

    monkeypatch.setattr(BatchRunRepository, "add_scarcity", broken)
    with pytest.raises(RuntimeError):
        run(database)
    assert counts(database) == {**before, "runs": 1}, "three proposals were written, then rolled back"
    with database.read_transaction() as session:
        assert Repositories(session).batch_runs.latest_scarcity_run_id() is None


def test_data_changing_during_the_solve_keeps_only_the_proposals_that_still_hold(database: Database) -> None:
    load(database, siblings_and_one())

    def meanwhile(stage: str, _done: float) -> None:
        if stage == "done":  # a duty worker deregisters R2's only home while the solver finishes
            deregister(database, "H3")

    run_id = batch.claim(database, FAST, MANAGER)
    result = batch.execute(database, run_id, FAST, MANAGER, AS_OF, progress=meanwhile)
    assert {m.request_id for m in result.answer.matches} == {"R007", "R1"}
    assert set(open_proposals(database)) == {"R007", "R1"}
    unplaced = {u["request_id"]: u["reason"] for u in result.body["unplaced"]}
    assert unplaced["R2"].startswith("data changed while the batch ran: H3: household_available")
    row = run_row(database, run_id)
    assert row.status == "optimal" and row.children_placed == 5 and row.proposals_added == 2


def test_a_request_placed_during_the_solve_gets_no_proposal(database: Database) -> None:
    load(database, siblings_and_one())

    def meanwhile(stage: str, _done: float) -> None:
        if stage == "done":
            with database.transaction() as session:
                Repositories(session).requests.set_status("R1", "placed")

    run_id = batch.claim(database, FAST, MANAGER)
    result = batch.execute(database, run_id, FAST, MANAGER, AS_OF, progress=meanwhile)
    assert set(open_proposals(database)) == {"R007", "R2"}
    assert {u["request_id"]: u["reason"] for u in result.body["unplaced"]}["R1"] == (
        "data changed while the batch ran: the request is no longer waiting"
    )


def test_one_run_at_a_time_and_abandoned_runs_free_the_slot(database: Database) -> None:
    first = batch.claim(database, FAST, MANAGER)
    with pytest.raises(BatchRunning) as raised:
        batch.claim(database, FAST, MANAGER)
    assert raised.value.run_id == first
    with database.transaction() as session:
        repos = Repositories(session)
        started = dt.datetime.now(dt.UTC)
        assert repos.batch_runs.abandon_stale(started, batch.ABANDONED_AFTER_S) == []
        later = started + dt.timedelta(seconds=FAST.time_limit_s + batch.ABANDONED_AFTER_S + 1)
        assert repos.batch_runs.abandon_stale(later, batch.ABANDONED_AFTER_S) == [first]
    row = run_row(database, first)
    assert row.status == "failed" and row.error is not None and "abandoned" in row.error
    assert batch.claim(database, FAST, MANAGER) > first


def test_the_running_slot_is_a_database_constraint(database: Database) -> None:
    batch.claim(database, FAST, MANAGER)
    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"), database.transaction() as session:
        session.add(MatchRunRow(kind="batch", status="running", revision=0, created_by="x"))
        session.flush()


def test_scarcity_is_stored_per_run_and_priced_for_ranking(database: Database) -> None:
    load(database, siblings_and_one())
    result = run(database)
    with database.read_transaction() as session:
        repos = Repositories(session)
        assert repos.batch_runs.latest_scarcity_run_id() == result.run_id
        stored = repos.batch_runs.scarcity(result.run_id or 0)
    assert stored == result.answer.scarcity
    assert stored["H1"] == (300, ONLY_HOME_OF_R007)
    assert stored["H3"][1] == "the only home that can take request R2"

    scarcity = BatchScarcity.from_stored(result.run_id or 0, stored)
    points, reasons = scarcity.for_request("R1")
    assert points["H1"] == 300 and reasons["H1"] == ONLY_HOME_OF_R007
    own_points, own_reasons = scarcity.for_request("R007")
    assert "H1" not in own_points and "H1" not in own_reasons, "a request's own need is no cost to itself"
    assert "H3" in own_points


def test_new_scarcity_rows_only_when_the_prices_change(database: Database) -> None:
    load(database, siblings_and_one())
    first = run(database)
    run(database, batch.BatchParameters(time_limit_s=6))
    with database.read_transaction() as session:
        assert Repositories(session).batch_runs.latest_scarcity_run_id() == first.run_id
    assert counts(database)["scarcity"] == len(first.answer.scarcity)

    deregister(database, "H3")  # R2 has no home any more: H3 is no longer its only home
    third = run(database)
    assert third.new_scarcity
    with database.read_transaction() as session:
        repos = Repositories(session)
        assert repos.batch_runs.latest_scarcity_run_id() == third.run_id
        assert "H3" not in repos.batch_runs.scarcity(third.run_id or 0)
        assert repos.batch_runs.scarcity(first.run_id or 0) == first.answer.scarcity, "older runs keep theirs"


def test_a_failed_run_leaves_the_last_successful_scarcity_in_force(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(database, siblings_and_one())
    good = run(database)
    deregister(database, "H3")

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(batch, "solve_batch", broken)
    with pytest.raises(RuntimeError):
        run(database)
    with database.read_transaction() as session:
        repos = Repositories(session)
        assert repos.batch_runs.latest_scarcity_run_id() == good.run_id
        assert repos.batch_runs.latest_successful() is not None
        assert repos.batch_runs.page(status="failed").total == 1
