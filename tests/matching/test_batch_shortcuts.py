"""The batch's shortcuts for speed change nothing it answers: the pre-filter skipped on small tables, the
relaxed-rule names, the objective written in bulk, and unplaced requests left unexplained on request."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from ortools.sat.python import cp_model

from constraints.registry import RULES
from domain.snapshot import Snapshot
from matching import batch, candidates
from matching.batch import BatchSettings, build_candidates, solve_batch
from matching.index import SnapshotIndex
from tests.strategies import snapshots


def _columns(cands: batch.Candidates) -> tuple[object, ...]:
    return (
        [(p.request.id, sorted(p.ids)) for p in cands.parts],
        cands.part_of.tolist(),
        cands.household.tolist(),
        cands.score.tolist(),
        cands.relaxed,
        cands.rooms.tolist(),
        cands.exempt.tolist(),
        cands.legal_pairs,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=12, max_requests=4))
def test_candidates_are_the_same_with_and_without_the_pre_filter(snap: Snapshot) -> None:
    index = SnapshotIndex.build(snap)
    with mock.patch.object(candidates, "SMALL_TABLE", 0), mock.patch.object(candidates, "SUBSET_WORTH_IT", 2.0):
        filtered, _ = build_candidates(index, 3, {})  # every part checked on the cut table
    with mock.patch.object(candidates, "SMALL_TABLE", 10**9):
        whole, _ = build_candidates(index, 3, {})  # every part checked on the whole table
    assert _columns(filtered) == _columns(whole)
    for r in range(len(whole.request_ids)):  # candidates grouped by request once, as a search would find them
        assert whole.members(r).tolist() == np.flatnonzero(whole.request == r).tolist()


def test_relaxed_rule_names_are_the_rules_broken_in_registry_order() -> None:
    rng = np.random.default_rng(7)
    for density in (0.0, 0.05, 0.3, 0.9):
        fails = rng.random((len(RULES), 40)) < density
        expected = [tuple(RULES[k].id for k in range(len(RULES)) if fails[k, j]) for j in range(fails.shape[1])]
        assert batch._relaxed_rules(fails) == expected
    assert batch._relaxed_rules(np.zeros((len(RULES), 0), dtype=bool)) == []


def test_the_objective_written_in_bulk_is_the_one_ortools_writes() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        coeffs = rng.integers(-50, 50, size=30).tolist()
        protos = []
        for write in (cp_model.CpModel.maximize, batch._maximize):
            model = batch._Model()
            x = [model.new_bool_var("") for _ in range(30)]
            expr = (cp_model.LinearExpr.weighted_sum(x[:20], coeffs[:20]) * 7 + x[25] * 3 + 11) * 5 - sum(x[18:])
            write(model, expr)
            protos.append(str(model.proto))
        assert "objective" in protos[0]
        assert protos[0] == protos[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=8, max_requests=4))
def test_unplaced_left_unexplained_changes_no_match(snap: Snapshot) -> None:
    index = SnapshotIndex.build(snap)
    told = solve_batch(index, BatchSettings(time_limit_s=20, workers=1, scarcity=False))
    quiet = solve_batch(index, BatchSettings(time_limit_s=20, workers=1, scarcity=False, explain_unplaced=False))
    assert [m.to_json() for m in quiet.matches] == [m.to_json() for m in told.matches]
    assert (quiet.status, quiet.objective) == (told.status, told.objective)
    assert [r for r, _ in quiet.unplaced] == [r for r, _ in told.unplaced]
    assert all(why == "" for _, why in quiet.unplaced)
    assert all(why for _, why in told.unplaced)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=8, max_requests=3))
def test_the_index_keeps_each_parts_rule_matrix_and_serves_only_its_own_requests(snap: Snapshot) -> None:
    index = SnapshotIndex.build(snap)
    for request in snap.requests:
        part = index.part(request, request.children)
        kept = index.rule_matrix(part)
        assert np.array_equal(kept, candidates.rule_matrix(part, index.table))
        assert index.rule_matrix(index.part(request, request.children)) is kept
        assert not kept.flags.writeable
        later = request.model_copy(update={"needed_by": request.needed_by + dt.timedelta(days=9 * 365)})
        moved = index.part(later, later.children)  # not the snapshot's own request: worked out afresh
        assert np.array_equal(index.rule_matrix(moved), candidates.rule_matrix(moved, index.table))
