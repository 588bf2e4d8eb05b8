"""Every criterion's vectorised points over many households equal its points one household at a time:
on the same table, on a table of that household alone, and on a cut of the table (as the batch scores
them), over random snapshots, weights and scarcity prices. Its reasons name children by name, and
scoring logs nothing about them."""

from __future__ import annotations

import itertools
import logging
import re
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constraints.base import Part, Parts
from domain.snapshot import Snapshot
from domain.tables import build_household_table
from matching.index import SnapshotIndex
from scoring.base import Pairs, ScoringContext
from scoring.registry import CRITERIA
from scoring.weights import DEFAULT_WEIGHTS
from tests.builders import child, current_child, household, request, snapshot
from tests.strategies import snapshots

#: Weights the per-household criteria read, overridden at random (``cost_step_gbp`` divides: at least 1).
CRITERION_WEIGHTS = (
    "distance",
    "near_home_bonus",
    "near_home_km",
    "in_house",
    "cost_ceiling_gbp",
    "cost_step_gbp",
    "would_benefit",
    "language",
    "religion",
    "preference_met",
    "preference_missed",
    "continuity",
    "fit_no_other_children",
    "fit_per_current_child",
)

PROPERTY_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: A random snapshot, weights overridden at random, scarcity prices for some households, and draws to come.
SCORED_SNAPSHOTS = given(
    snapshots(),
    st.dictionaries(st.sampled_from(CRITERION_WEIGHTS), st.integers(1, 400), max_size=4),
    st.dictionaries(st.sampled_from([f"H{i}" for i in range(8)]), st.integers(0, 300), max_size=4),
    st.data(),
)


def _parts(index: SnapshotIndex) -> list[Part]:
    """Every part of every request: the whole group and each smaller combination of its children."""
    return [
        index.part(r, list(combo))
        for r in index.snapshot.requests
        for size in range(len(r.children), 0, -1)
        for combo in itertools.combinations(r.children, size)
    ]


@PROPERTY_SETTINGS
@SCORED_SNAPSHOTS
def test_vectorised_points_equal_points_one_household_at_a_time(
    snap: Snapshot, overrides: dict[str, int], prices: dict[str, int], data: st.DataObject
) -> None:
    index = SnapshotIndex.build(snap)
    table = index.table
    ctx = ScoringContext(
        MappingProxyType({**DEFAULT_WEIGHTS, **overrides}), prices, {h: f"wanted by {h}" for h in prices}
    )
    everyone = np.arange(len(table), dtype=np.int64)
    cut = np.asarray(
        data.draw(st.lists(st.sampled_from(everyone.tolist()), unique=True).map(sorted), label="cut"), dtype=np.int64
    )
    sub = table.subset(cut)
    for part in _parts(index):
        for criterion in CRITERIA:
            many = criterion.points(part, table, everyone, ctx)
            assert many.dtype == np.int64 and many.shape == everyone.shape
            for i, home in enumerate(table.households):
                alone = build_household_table([home])
                expected = int(many[i])
                assert int(criterion.points(part, table, everyone[i : i + 1], ctx)[0]) == expected, criterion.id
                assert int(criterion.points(part, alone, np.zeros(1, dtype=np.int64), ctx)[0]) == expected, criterion.id
                if expected:
                    text = criterion.reason(part, home, expected, ctx)
                    assert text and "None" not in text, (criterion.id, text)
                    for c in part.children:
                        assert not re.search(rf"\b{c.id}\b", text), (criterion.id, text)
            assert criterion.points(part, sub, np.arange(len(cut), dtype=np.int64), ctx).tolist() == (
                many[cut].tolist()
            ), criterion.id
            reversed_order = everyone[::-1].copy()
            assert criterion.points(part, table, reversed_order, ctx).tolist() == many[::-1].tolist(), criterion.id


def test_scoring_logs_nothing_about_the_children(caplog: pytest.LogCaptureFixture) -> None:
    """Children's names may appear in answers, never in logs (DESIGN.md habits)."""
    amira = child(
        "C1",
        name="Amira",
        language="pl",
        religion="muslim",
        needs={"must": [], "would_benefit": ["asd"]},
        previous_households=["H1"],
    )
    home = household(
        "H1",
        languages=["pl"],
        religion="muslim",
        approval={"skills": ["asd"]},
        current_children=[current_child("K1")],
        preferences={"age_min": 12},
    )
    index = SnapshotIndex.build(snapshot([home], [amira], [request("R1", ["C1"])]))
    part = index.part(index.request("R1"), ["C1"])
    ctx = ScoringContext(index.weights, {"H1": 10}, {"H1": "wanted by R9"})
    everyone = np.arange(1, dtype=np.int64)
    with caplog.at_level(logging.DEBUG):
        texts = [
            c.reason(part, h, int(c.points(part, index.table, everyone, ctx)[0]), ctx)
            for c in CRITERIA
            for h in index.table.households
        ]
    assert sum("Amira" in t for t in texts) >= 6  # the answers do name her...
    assert not [r for r in caplog.records if "Amira" in r.getMessage()]  # ...the logs never do


@PROPERTY_SETTINGS
@SCORED_SNAPSHOTS
def test_points_of_many_parts_at_once_equal_each_part_scored_alone(
    snap: Snapshot, overrides: dict[str, int], prices: dict[str, int], data: st.DataObject
) -> None:
    """The batch scores every legal pair of every part in one call per criterion (``Pairs``): each part's
    points, whatever households it has and whichever parts come before it, are its points scored alone."""
    index = SnapshotIndex.build(snap)
    table = index.table
    ctx = ScoringContext(MappingProxyType({**DEFAULT_WEIGHTS, **overrides}), prices, {})
    parts = _parts(index)
    homes = [
        np.asarray(data.draw(st.lists(st.integers(0, len(table) - 1), max_size=len(table) + 2)), dtype=np.int64)
        for _ in parts
    ]
    pairs = Pairs(
        Parts(tuple(parts)),
        np.repeat(np.arange(len(parts), dtype=np.int64), [h.size for h in homes]),
        np.concatenate(homes) if homes else np.zeros(0, dtype=np.int64),
    )
    for criterion in CRITERIA:
        together = criterion.over_pairs(pairs, table, ctx).tolist()
        alone = [p for part, idx in zip(parts, homes, strict=True) for p in criterion.points(part, table, idx, ctx)]
        assert together == alone, criterion.id
