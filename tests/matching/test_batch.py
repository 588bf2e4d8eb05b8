"""The nightly batch: legal proposals, the exhaustive-search optimum on small instances, and the case
that motivates it (the only sibling-approved home is not given to whoever asked first)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings

from domain.snapshot import Snapshot
from matching.batch import BatchSettings, _plan_candidates, best_soft, build_candidates, soft_value, solve_batch
from matching.index import SnapshotIndex
from matching.validate import Proposal, check_proposals
from tests.builders import child, household, request, snapshot
from tests.strategies import snapshots

EXACT = BatchSettings(time_limit_s=20, top_k=None)


def _options(index: SnapshotIndex, cands_request: int, cands: object) -> list[tuple[int, ...]]:
    """Every way to place one request from the unpruned candidates: whole, or a split over distinct homes."""
    from matching.batch import Candidates

    assert isinstance(cands, Candidates)
    mine = [c for c in range(len(cands)) if cands.request[c] == cands_request]
    children = set(index.request(cands.request_ids[cands_request]).children)
    found: list[tuple[int, ...]] = [()]
    for n in range(1, len(children) + 1):
        for combo in itertools.combinations(mine, n):
            covered = [cands.parts[cands.part_of[c]].ids for c in combo]
            homes = [int(cands.household[c]) for c in combo]
            if sum(len(ids) for ids in covered) != len(children) or set().union(*covered) != children:
                continue
            if len(set(homes)) == len(homes):
                found.append(combo)
    return found


def _exhaustive(snap: Snapshot) -> tuple[int, int, int]:
    """The lexicographic optimum (placement, soft, -relaxations) by trying every combination."""
    index = SnapshotIndex.build(snap)
    cands, _ = build_candidates(index, None, {})
    per_request = [_options(index, r, cands) for r in range(len(cands.request_ids))]
    best = (0, 0, 0)
    for combo in itertools.product(*per_request):
        chosen = [c for option in combo for c in option]
        proposals = []
        for r, option in enumerate(combo):
            if option:
                placements = tuple(
                    (child_id, index.table.households[int(cands.household[c])].id)
                    for c in option
                    for child_id in cands.parts[cands.part_of[c]].ids
                )
                relaxed = frozenset(rule for c in option for rule in cands.relaxed[c])
                proposals.append(Proposal(cands.request_ids[r], placements, relaxed))
        if check_proposals(index, proposals):
            continue
        placed = sum(int(cands.request_weight[r]) for r, option in enumerate(combo) if option)
        value = (placed, soft_value(index, cands, chosen), -sum(len(cands.relaxed[c]) for c in chosen))
        best = max(best, value)
    return best


def _levels(answer_levels: Sequence[object]) -> tuple[int, int, int]:
    values = {level.name: level.objective for level in answer_levels}  # type: ignore[attr-defined]
    return values["children placed"], values["soft score"], -values.get("relaxations", 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=4, max_requests=3))
def test_batch_reaches_the_exhaustive_optimum_on_small_instances(snap: Snapshot) -> None:
    answer = solve_batch(snap, EXACT)
    assert answer.status == "optimal"
    assert answer.gap == 0.0 and all(level.bound == level.objective for level in answer.levels)
    assert _levels(answer.levels) == _exhaustive(snap)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=6, max_requests=2))
def test_no_way_of_placing_a_request_scores_above_its_soft_bound(snap: Snapshot) -> None:
    # The lexicographic multiplier is built from these bounds: one placement above its bound could let a
    # soft gain outweigh a child placed.
    index = SnapshotIndex.build(snap)
    cands, _ = build_candidates(index, None, {})
    for r in range(len(cands.request_ids)):
        mine = cands.members(r)
        if mine.size == 0:
            continue
        bound = best_soft(index.weights, cands, mine, int(cands.request_size[r]))
        for option in _options(index, r, cands)[1:]:
            assert soft_value(index, cands, list(option)) <= bound


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=8, max_requests=4))
def test_every_batch_proposal_is_legal_and_every_request_is_accounted_for(snap: Snapshot) -> None:
    index = SnapshotIndex.build(snap)
    answer = solve_batch(index, BatchSettings(time_limit_s=20))
    proposals = [
        Proposal(
            m.request_id,
            tuple((p.child_id, p.household_id) for p in m.placements),
            frozenset(r for r, _, _ in m.relaxations),
        )
        for m in answer.matches
    ]
    assert check_proposals(index, proposals) == []
    listed = [m.request_id for m in answer.matches] + [r for r, _ in answer.unplaced]
    assert sorted(listed) == sorted(r.id for r in snap.requests if r.status == "waiting")
    # Level 1 weighs children by urgency and priority: a proven optimum may place fewer children than greedy
    # (two priority-3 children rather than a priority-1 pair and one more), never less weight.
    assert answer.levels[0].objective >= answer.greedy.placement_value or answer.status != "optimal"


def test_the_only_sibling_home_goes_to_the_siblings_not_to_whoever_asked_first() -> None:
    near = {"lat": 52.6369, "lon": -1.1398}
    sibling_home = household("H1", approval={"max_sibling_group": 4, "max_children": 4}, bedrooms_free=4, location=near)
    single_home = household(
        "H2", approval={"max_sibling_group": 1}, bedrooms_free=1, location={"lat": 52.75, "lon": -1.14}
    )
    kids = [child("C1")] + [child(f"S{i}", sibling_group="G") for i in range(4)]
    reqs = [request("R1", ["C1"], urgency="today"), request("R2", [f"S{i}" for i in range(4)], urgency="planned")]
    snap = snapshot([sibling_home, single_home], kids, reqs)
    answer = solve_batch(snap, EXACT)
    homes = {m.request_id: {p.household_id for p in m.placements} for m in answer.matches}
    assert homes == {"R1": {"H2"}, "R2": {"H1"}}
    assert answer.greedy.children_placed == 1  # the urgent single child takes the nearer, sibling home
    assert answer.children_placed == 5


def test_unplaced_requests_say_why() -> None:
    snap = snapshot([household("H1", bedrooms_free=0)], [child("C1")], [request("R1")])
    answer = solve_batch(snap, EXACT)
    assert answer.matches == ()
    assert answer.unplaced[0][0] == "R1"
    assert "bedrooms (1 of 1)" in answer.unplaced[0][1]


def test_batch_json_has_the_contract_fields() -> None:
    snap = snapshot([household("H1")], [child("C1")], [request("R1")])
    payload = solve_batch(snap, EXACT).to_json()
    assert {"status", "objective", "bound", "gap", "matches", "unplaced"} <= set(payload)
    assert payload["matches"] == [
        {"request_id": "R1", "placements": [{"child_id": "C1", "household_id": "H1"}], "relaxations": []}
    ]


def test_batch_prices_scarce_homes_and_ranking_shows_why() -> None:
    from matching.rank import rank_request

    near = {"lat": 52.6369, "lon": -1.1398}
    sibling_home = household("H1", approval={"max_sibling_group": 4, "max_children": 4}, bedrooms_free=4, location=near)
    single_home = household("H2", bedrooms_free=1, location={"lat": 52.70, "lon": -1.14})
    kids = [child("C1")] + [child(f"S{i}", sibling_group="G") for i in range(4)]
    reqs = [request("R1", ["C1"], urgency="today"), request("R2", [f"S{i}" for i in range(4)])]
    snap = snapshot([sibling_home, single_home], kids, reqs)
    prices = solve_batch(snap, EXACT).scarcity
    assert prices["H1"][1] == "the only home that can take request R2 (4 siblings together)"
    assert prices["H1"][0] == 300
    points = {h: p for h, (p, _) in prices.items()}
    reasons = {h: why for h, (_, why) in prices.items()}
    answer = rank_request(snap, "R1", scarcity=points, scarcity_reasons=reasons)
    assert answer.options[0].households == ("H2",)
    h1 = next(o for o in answer.options if o.households == ("H1",))
    assert any(c.id == "scarcity" and c.points == -300 and "R2 (4 siblings together)" in c.reason for c in h1.criteria)


def _homes(answer: object) -> dict[str, set[str]]:
    from matching.batch import BatchAnswer

    assert isinstance(answer, BatchAnswer)
    return {m.request_id: {p.household_id for p in m.placements} for m in answer.matches}


def test_a_rerun_keeps_the_previous_plan_among_plans_of_equal_value() -> None:
    """Two identical homes: either plan is optimal. Given the previous run's plan, the batch proposes it
    again (whichever tie the solver or the warm start would have picked), so standing proposals stand."""
    twins = [household("H1"), household("H2")]
    snap = snapshot(twins, [child("C1")], [request("R1", ["C1"])])
    first = _homes(solve_batch(snap, EXACT))["R1"]
    (other,) = {"H1", "H2"} - first
    again = solve_batch(snap, BatchSettings(time_limit_s=20, top_k=None, previous={"R1": [("C1", other)]}))
    assert again.status == "optimal"
    assert _homes(again) == {"R1": {other}}


def test_a_previous_plan_that_no_longer_fits_together_is_not_kept() -> None:
    """Both requests were proposed to H1 when it had two bedrooms; now it has one. Each proposal alone is
    still legal, so both stay candidates, but together they are not: the answer is a legal plan."""
    homes = [household("H1", bedrooms_free=1), household("H2", location={"lat": 52.70, "lon": -1.14})]
    snap = snapshot(homes, [child("C1"), child("C2")], [request("R1", ["C1"]), request("R2", ["C2"])])
    previous = {"R1": [("C1", "H1")], "R2": [("C2", "H1")]}
    answer = solve_batch(snap, BatchSettings(time_limit_s=20, top_k=None, previous=previous))
    assert answer.status == "optimal" and answer.children_placed == 2
    index = SnapshotIndex.build(snap)
    assert check_proposals(index, [m.proposal() for m in answer.matches]) == []
    assert sorted(h for hs in _homes(answer).values() for h in hs) == ["H1", "H2"]


def test_a_previous_split_is_read_back_as_exactly_its_parts() -> None:
    """Each household of a previous match maps to the one candidate with exactly the children placed there,
    never also to the whole group or the other child's part in the same household (a plan placing a child
    twice)."""
    homes = [household("H1", bedrooms_free=3), household("H2", bedrooms_free=3)]
    kids = [child("A", sibling_group="G"), child("B", sibling_group="G")]
    snap = snapshot(homes, kids, [request("R1", ["A", "B"], siblings="may_split")])
    index = SnapshotIndex.build(snap)
    cands, _ = build_candidates(index, None, {})
    chosen = _plan_candidates(index, cands, {"R1": [("A", "H1"), ("B", "H2")]})
    found = {(index.table.households[int(cands.household[c])].id, cands.parts[cands.part_of[c]].ids) for c in chosen}
    assert found == {("H1", frozenset({"A"})), ("H2", frozenset({"B"}))}
    assert len(cands) == 6  # whole group and each child, in each home: four of them are not the plan
    in_h2 = [c for c in chosen if index.table.households[int(cands.household[c])].id == "H2"]
    assert _plan_candidates(index, cands, {"R1": [("A", "H9"), ("B", "H2")]}) == in_h2  # H9 is not on record
