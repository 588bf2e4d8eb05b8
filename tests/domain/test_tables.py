"""The household table: built afresh or with rows lent by an earlier table, it is the same table."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.geo import haversine_km
from domain.snapshot import CurrentChild, Household, Snapshot
from domain.tables import KM_FROM_KEPT_MAX, HouseholdTable, build_household_table
from tests.builders import current_child, household
from tests.strategies import snapshots


def _household(id: str, **overrides: Any) -> Household:
    return Household.model_validate(household(id, **overrides))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def assert_same_table(a: HouseholdTable, b: HouseholdTable) -> None:
    for item in fields(HouseholdTable):
        if item.name == "_km_from":
            continue
        assert _same(getattr(a, item.name), getattr(b, item.name)), item.name


@settings(max_examples=30, deadline=None)
@given(first=snapshots(), second=snapshots(), data=st.data())
def test_a_table_built_with_an_earlier_one_equals_one_built_afresh(
    first: Snapshot, second: Snapshot, data: st.DataObject
) -> None:
    earlier = build_household_table(list(first.households))
    # Some households kept (the very same objects, in any order), some new, as between two simulation steps.
    kept = data.draw(st.permutations(list(first.households)))[: data.draw(st.integers(0, len(first.households)))]
    new = [h.model_copy(update={"id": f"N{h.id}"}) for h in second.households]
    households = data.draw(st.permutations([*kept, *new]))
    assert_same_table(build_household_table(households, earlier), build_household_table(households))


def test_a_changed_household_is_a_new_object_and_gets_a_new_row() -> None:
    before = _household("H1", bedrooms_free=2)
    now_there = [CurrentChild.model_validate(current_child("C9", age=7))]
    after = before.model_copy(update={"bedrooms_free": 1, "current_children": now_there})
    earlier = build_household_table([before])
    table = build_household_table([after], earlier)
    assert table.bedrooms_free.tolist() == [1]
    assert table.n_current.tolist() == [1]
    assert table.current_min_age.tolist() == [7]


def test_a_cut_table_lends_no_rows() -> None:
    table = build_household_table([_household("H1"), _household("H2")])
    assert len(table.rows) == 2
    assert table.subset(np.array([1])).rows == ()


def test_distances_are_the_haversine_of_each_household_and_kept_within_bounds() -> None:
    homes = [_household("H1"), _household("H2", location={"lat": 52.0, "lon": -1.0, "postcode_district": "LE1"})]
    table = build_household_table(homes)
    km = table.km_from(52.6, -1.1)
    assert km.tolist() == [haversine_km(52.6, -1.1, h.location.lat, h.location.lon) for h in homes]
    assert table.km_from(52.6, -1.1) is km  # worked out once per point
    assert not km.flags.writeable
    for i in range(KM_FROM_KEPT_MAX // len(table) + 10):
        table.km_from(50.0 + i * 1e-6, 0.0)
    assert len(table._km_from) * len(table) <= KM_FROM_KEPT_MAX
