"""Room for sibling groups (``matching.sibling_room``): a household's group room, the points a match loses for
the room it uses, and the look-ahead batch keeping the sibling home free when a single child fits elsewhere
about as well, but not at any distance."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings

from domain.snapshot import Snapshot
from domain.tables import HouseholdTable, build_household_table
from matching.batch import BatchSettings, solve_batch
from matching.index import SnapshotIndex
from matching.sibling_room import group_room, room_values, sibling_room_cost
from matching.validate import check_proposals
from tests.builders import child, current_child, household, request, snapshot, with_weights
from tests.strategies import snapshots

PLAIN = BatchSettings(time_limit_s=20, top_k=None)
LOOKING_AHEAD = BatchSettings(time_limit_s=20, top_k=None, expected_demand=True)
WEIGHT = 30


def _table(*households: dict[str, Any]) -> HouseholdTable:
    return build_household_table(list(snapshot(list(households), [], []).households))


def _all(table: HouseholdTable) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.arange(len(table), dtype=np.int64)


def test_group_room_is_the_least_of_sibling_approval_places_left_and_bedrooms() -> None:
    table = _table(
        household("H1", approval={"max_sibling_group": 3}, bedrooms_free=3),
        household("H2", approval={"max_sibling_group": 4, "max_children": 3}, bedrooms_free=4),
        household("H3", approval={"max_sibling_group": 3}, bedrooms_free=2),
        household(
            "H4", approval={"max_sibling_group": 4, "max_children": 4}, bedrooms_free=2, shared_bedroom_allowed=True
        ),
        household("H5", approval={"max_sibling_group": 3}, bedrooms_free=2, current_children=[current_child("K1")]),
        household("H6", approval={"max_sibling_group": 1}, bedrooms_free=3),
    )
    assert group_room(table, _all(table), 0, 0).tolist() == [3, 3, 2, 4, 2, 1]
    # One child in one bedroom: a place and a room fewer (two in a shared room still leave H4 room for two).
    assert group_room(table, _all(table), 1, 1).tolist() == [2, 2, 1, 2, 1, 1]
    # More children than places left: no room, never below zero.
    assert group_room(table, _all(table), 4, 4).tolist() == [0, 0, 0, 0, 0, 0]


def test_room_for_a_size_is_worth_as_much_more_than_room_for_a_pair_as_it_is_rarer() -> None:
    # Group room 1, 2, 2 and 3: three homes have room for a pair, one for three (three times rarer).
    table = _table(
        household("H1", approval={"max_sibling_group": 1}),
        household("H2", bedrooms_free=2),
        household("H3", bedrooms_free=2),
        household("H4", bedrooms_free=3),
    )
    values = room_values(table, WEIGHT)
    assert values[:4].tolist() == [0, 0, WEIGHT, WEIGHT + 3 * WEIGHT]
    assert values[12] == values[3]  # no home has room for four: nothing more to lose
    where = np.asarray([0, 1, 3, 3, 3], dtype=np.int64)
    size = np.asarray([1, 1, 1, 2, 3], dtype=np.int64)
    rooms = size.copy()
    # A single child: nothing in the home for one, the pair's room in a home for two, the room for three (but
    # not for two) in the home for three; a pair or three there use all its room.
    assert sibling_room_cost(table, where, size, rooms, WEIGHT).tolist() == [0, 30, 90, 120, 120]
    assert sibling_room_cost(table, where, size, rooms, 0).tolist() == [0, 0, 0, 0, 0]


def test_homes_on_hold_or_not_available_are_not_tonight_s_room() -> None:
    open_home = household("H1", bedrooms_free=3)
    held = household("H2", bedrooms_free=3, status="on_hold")
    alone = room_values(_table(open_home), WEIGHT)
    assert room_values(_table(open_home, held), WEIGHT).tolist() == alone.tolist()
    assert room_values(_table(open_home, household("H3", bedrooms_free=3)), WEIGHT)[3] == 2 * WEIGHT


def single_child_case(single_home_lat: float) -> Snapshot:
    """One waiting child; the nearer home is approved for three siblings, the other for one child."""
    sibling_home = household("H1", approval={"max_sibling_group": 3}, bedrooms_free=3)
    single_home = household(
        "H2", approval={"max_sibling_group": 1}, bedrooms_free=1, location={"lat": single_home_lat, "lon": -1.1398}
    )
    return snapshot([sibling_home, single_home], [child("C1")], [request("R1", ["C1"])])


def _homes(snap: Snapshot, settings: BatchSettings) -> list[str]:
    answer = solve_batch(snap, settings)
    assert answer.status == "optimal" and answer.unplaced == ()
    return [p.household_id for m in answer.matches for p in m.placements]


def test_looking_ahead_a_single_child_takes_the_home_for_one_a_few_km_further() -> None:
    snap = single_child_case(single_home_lat=52.70)  # 7 km further: 17 points of distance, the room is 30
    assert _homes(snap, PLAIN) == ["H1"]
    assert _homes(snap, LOOKING_AHEAD) == ["H2"]
    assert _homes(with_weights(snap, sibling_room_kept=0), LOOKING_AHEAD) == ["H1"]


def test_looking_ahead_never_sends_a_child_far_to_keep_the_room() -> None:
    snap = single_child_case(single_home_lat=52.95)  # 35 km further: past the near-home bonus
    assert _homes(snap, LOOKING_AHEAD) == ["H1"]


def test_the_room_never_costs_a_child_a_home() -> None:
    # The home for three is the only one that can take the single child: the child goes there, price or not.
    snap = snapshot(
        [household("H1", approval={"max_sibling_group": 3}, bedrooms_free=3)], [child("C1")], [request("R1")]
    )
    assert _homes(snap, LOOKING_AHEAD) == ["H1"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(max_households=6, max_requests=3))
def test_the_price_of_room_never_places_fewer_children_nor_breaks_a_rule(snap: Snapshot) -> None:
    index = SnapshotIndex.build(snap)
    plain, looking_ahead = solve_batch(index, PLAIN), solve_batch(index, LOOKING_AHEAD)
    assert plain.status == looking_ahead.status == "optimal"
    # The first level (children placed, weighted by urgency and priority) is the waiting list's own optimum.
    assert looking_ahead.levels[0].objective == plain.levels[0].objective
    assert check_proposals(index, [m.proposal() for m in looking_ahead.matches]) == []
