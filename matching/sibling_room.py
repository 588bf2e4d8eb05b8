"""Room for sibling groups: the look-ahead batch keeps a home's room for siblings when a child fits elsewhere.

Sibling groups are the scarce demand: few homes can take three or four children together, and tonight's
waiting list cannot say which group is referred next week. A duty manager places a single child in a home
approved for one child, not in the empty home approved for a sibling group of three, when both suit the
child about as well. The nightly batch with expected demand on (``BatchSettings.expected_demand``) does the
same by pricing the room each candidate match uses:

* a household's *group room* is the largest sibling group it could still take: its terms of approval
  (``max_sibling_group``, ``max_children`` less the children there) and its free bedrooms (two children a
  room where sharing is allowed);
* a match that lowers a household's group room from ``a`` to ``b`` loses the room for groups of
  ``max(2, b + 1)`` to ``a`` children, and each size ``k`` costs ``sibling_room_kept`` points times
  ``N_2 / N_k``, where ``N_k`` is the number of households available tonight with group room at least ``k``:
  room for four siblings is worth more than room for a pair by as much as it is rarer.

The price is part of the batch's soft level only. It never outweighs a child placed (the first level), so
it never leaves a child waiting; it moves a child to a home that suits them a little less when that keeps a
rare home free for siblings. It reads terms of approval and bedrooms only: the hard rules still decide what
is legal, and a household whose room the price misjudges is still judged by every rule.
"""

from __future__ import annotations

import numpy as np

from domain.tables import FloatArray, HouseholdTable, IntArray

#: Groups larger than this are priced as this size (DESIGN.md's requests hold at most 12 children).
LARGEST_GROUP = 12


def group_room(table: HouseholdTable, positions: IntArray, children: IntArray | int, rooms: IntArray | int) -> IntArray:
    """The largest sibling group each household at table ``positions`` could still take after ``children``
    more children move into ``rooms`` more of its bedrooms; 0 when it could take none."""
    beds = table.bedrooms_free[positions] - rooms
    by_beds = np.where(table.shared_bedroom_allowed[positions], 2 * beds, beds)
    places = table.max_children[positions] - table.n_current[positions] - children
    room: IntArray = np.clip(
        np.minimum(np.minimum(table.max_sibling_group[positions], places), by_beds), 0, LARGEST_GROUP
    )
    return room


def room_values(table: HouseholdTable, weight: int) -> FloatArray:
    """``values[k]``: the points of a household's room for groups of 2 to ``k`` (0 for ``k`` < 2), from how
    many households available tonight have room for each size."""
    available = np.flatnonzero(table.available_status & ~table.on_hold)
    room = group_room(table, available, 0, 0)
    with_room = np.asarray([(room >= k).sum() for k in range(LARGEST_GROUP + 1)], dtype=np.float64)
    rarity = np.where(with_room > 0, with_room[2] / np.maximum(with_room, 1.0), 0.0)
    rarity[:2] = 0.0
    values: FloatArray = weight * np.cumsum(rarity)
    return values


def sibling_room_cost(
    table: HouseholdTable, household: IntArray, size: IntArray, rooms: IntArray, weight: int
) -> IntArray:
    """Points each candidate match loses for the sibling-group room it uses: ``size`` children of one
    request moving into ``rooms`` bedrooms of the household at table position ``household``."""
    if weight == 0 or len(household) == 0:
        return np.zeros(len(household), dtype=np.int64)
    values = room_values(table, weight)
    before = group_room(table, household, 0, 0)
    after = group_room(table, household, size, rooms)  # never above ``before``: more children, fewer rooms
    cost: IntArray = np.rint(values[before] - values[after]).astype(np.int64)
    return cost
