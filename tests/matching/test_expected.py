"""Expected demand in the nightly batch: which recent requests are copied, that a copy never takes a home
from a real child nor appears in an answer, and the case it is for (the sibling home kept for the groups
that keep being referred)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from ortools.sat.python import cp_model

from domain.snapshot import Snapshot
from matching.batch import BatchAnswer, BatchSettings, solve_batch
from matching.expected import EXPECTED_PREFIX, expected_demand
from matching.index import SnapshotIndex
from matching.validate import check_proposals
from tests.builders import AS_OF, child, household, request, snapshot, with_weights
from tests.strategies import snapshots

EXACT = BatchSettings(time_limit_s=20, top_k=None)
ANTICIPATING = BatchSettings(time_limit_s=20, top_k=None, expected_demand=True)
TODAY = dt.date.fromisoformat(AS_OF)


def _days_ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def _history_snapshot(received: dict[str, str | None], status: str = "placed") -> Snapshot:
    kids = [child(f"C{r}") for r in received]
    reqs = [request(r, [f"C{r}"], received_on=day, status=status) for r, day in received.items()]
    return snapshot([household("H1")], kids, reqs)


def test_a_request_received_on_the_window_s_first_day_is_copied() -> None:
    found = expected_demand(_history_snapshot({"R1": _days_ago(56)}), 56)
    assert [r.id for r in found.requests] == ["expected R1"]


def test_a_request_received_the_day_before_the_window_or_today_is_not_copied() -> None:
    found = expected_demand(_history_snapshot({"R1": _days_ago(57), "R2": AS_OF, "R3": None}), 56)
    assert found.requests == ()


def test_a_withdrawn_request_was_no_need_for_a_home_and_is_not_copied() -> None:
    assert expected_demand(_history_snapshot({"R1": _days_ago(3)}, status="withdrawn"), 56).requests == ()
    assert len(expected_demand(_history_snapshot({"R1": _days_ago(3)}, status="closed"), 56)) == 1


def test_a_copy_is_waiting_with_its_lead_time_from_today_and_new_ids_for_its_children_and_group() -> None:
    kids = [child("C1", sibling_group="G1"), child("C2", sibling_group="G1", gender="male")]
    needed = (TODAY - dt.timedelta(days=10)).isoformat()  # received 20 days ago, needed 10 days later
    reqs = [
        request(
            "R1",
            ["C1", "C2"],
            received_on=_days_ago(20),
            needed_by=needed,
            status="placed",
            allow_relaxations=["max_distance"],
            urgency="planned",
        )
    ]
    found = expected_demand(snapshot([household("H1")], kids, reqs), 56)
    (copy,) = found.requests
    assert copy.id == f"{EXPECTED_PREFIX}R1" == "expected R1"
    assert copy.status == "waiting" and copy.allow_relaxations == [] and copy.urgency == "planned"
    assert copy.needed_by == TODAY + dt.timedelta(days=10) and copy.received_on == TODAY
    assert copy.children == ["expected R1 C1", "expected R1 C2"]
    assert [c.id for c in found.children] == copy.children
    assert {c.sibling_group for c in found.children} == {"expected R1 G1"}
    assert [c.gender for c in found.children] == ["female", "male"]


def test_a_window_of_zero_days_copies_nothing() -> None:
    assert expected_demand(_history_snapshot({"R1": _days_ago(1)}), 0).requests == ()


def sibling_home_case(history: int) -> Snapshot:
    """One waiting child; the only sibling-approved home is the nearer one; ``history`` groups of three were
    referred in the last weeks (and placed outside: their requests are closed). The look-ahead's price of
    sibling room (``matching.sibling_room``, tested on its own) is off, so that the copies alone decide."""
    sibling_home = household("H1", approval={"max_sibling_group": 3}, bedrooms_free=3)
    single_home = household("H2", approval={"max_sibling_group": 1}, location={"lat": 52.70, "lon": -1.14})
    kids = [child("C1")]
    reqs = [request("R1", ["C1"], received_on=AS_OF)]
    for g in range(history):
        ids = [f"G{g}C{i}" for i in range(3)]
        kids += [child(c, sibling_group=f"G{g}") for c in ids]
        reqs.append(request(f"P{g}", ids, received_on=_days_ago(7 * (g + 1)), status="closed"))
    return with_weights(snapshot([sibling_home, single_home], kids, reqs), sibling_room_kept=0)


def _homes_of(answer: BatchAnswer) -> dict[str, set[str]]:
    return {m.request_id: {p.household_id for p in m.placements} for m in answer.matches}


def _homes(snap: Snapshot, settings: BatchSettings) -> dict[str, set[str]]:
    return _homes_of(solve_batch(snap, settings))


def test_with_sibling_groups_referred_lately_the_single_child_leaves_the_sibling_home_free() -> None:
    snap = sibling_home_case(history=2)
    assert _homes(snap, EXACT) == {"R1": {"H1"}}  # the waiting list alone: the nearer home
    assert _homes(snap, ANTICIPATING) == {"R1": {"H2"}}


def test_without_recent_groups_expected_demand_changes_nothing() -> None:
    snap = sibling_home_case(history=0)
    assert _homes(snap, ANTICIPATING) == _homes(snap, EXACT) == {"R1": {"H1"}}


def test_the_copies_are_counted_but_never_proposed_nor_reported_unplaced() -> None:
    snap = sibling_home_case(history=2)
    answer = solve_batch(snap, ANTICIPATING)
    assert answer.expected_requests == 2 and answer.to_json()["expected_requests"] == 2
    assert [m.request_id for m in answer.matches] == ["R1"] and answer.unplaced == ()
    assert answer.children_waiting == 1 and answer.children_placed == 1
    assert solve_batch(snap, EXACT).expected_requests == 0


def _with_history(snap: Snapshot) -> Snapshot:
    """Every request received yesterday: each waiting request is then also expected demand."""
    yesterday = snap.as_of - dt.timedelta(days=1)
    requests = [r.model_copy(update={"received_on": yesterday}) for r in snap.requests]
    return snap.model_copy(update={"requests": requests})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=6, max_requests=3))
def test_expected_demand_never_places_fewer_real_children_nor_proposes_a_copy(snap: Snapshot) -> None:
    # The copies alone: the price of sibling room may break a tie between requests of equal weight another way.
    snap = with_weights(_with_history(snap), sibling_room_kept=0)
    index = SnapshotIndex.build(snap)
    plain, anticipating = solve_batch(index, EXACT), solve_batch(index, ANTICIPATING)
    assert anticipating.expected_requests == sum(r.status != "withdrawn" for r in snap.requests)
    assert check_proposals(index, [m.proposal() for m in anticipating.matches]) == []
    listed = [m.request_id for m in anticipating.matches] + [r for r, _ in anticipating.unplaced]
    assert sorted(listed) == sorted(r.id for r in snap.requests if r.status == "waiting")
    # Copies weigh nothing at the first level: proven optimal both ways, the first levels are equal, and
    # every request placed without copies is placed with them (none swapped for another of equal weight).
    assert plain.status == anticipating.status == "optimal"
    assert anticipating.levels[0].objective == plain.levels[0].objective
    assert {m.request_id for m in anticipating.matches} == {m.request_id for m in plain.matches}
    # The greedy baseline reported is the real requests' own (the copies queue after them).
    assert anticipating.greedy.chosen == plain.greedy.chosen
    assert anticipating.greedy.soft == plain.greedy.soft


def test_a_solve_with_copies_that_finds_nothing_in_time_keeps_the_waiting_list_s_own_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The waiting list is solved alone first; its plan stands unless the solve with the copies finds a
    strictly better one, so even a solve stopped with no answer never costs a waiting child a home."""
    snap = sibling_home_case(history=2)
    real_solve = cp_model.CpSolver.solve
    calls: list[int] = []

    def first_only(self: cp_model.CpSolver, model: cp_model.CpModel, *args: object) -> cp_model.CpSolverStatus:
        calls.append(len(model.proto.variables))
        return real_solve(self, model) if len(calls) == 1 else cp_model.UNKNOWN

    monkeypatch.setattr(cp_model.CpSolver, "solve", first_only)
    answer = solve_batch(snap, ANTICIPATING)
    assert len(calls) == 2 and calls[1] > calls[0], "the waiting list alone first, then with the copies"
    assert _homes_of(answer) == {"R1": {"H1"}} and answer.status == "feasible"
    assert answer.children_placed == 1 and answer.expected_requests == 2
