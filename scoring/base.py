"""What a soft criterion is: integer points for a part in many households at once, and a sentence.

Points are vectorised over candidate pairs of parts and households (the batch scores millions of pairs,
every part of a small batch in one call); the sentence is written only for the options a duty worker will
read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from constraints.base import NewChild, Part, Parts
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray


@dataclass(frozen=True)
class ScoringContext:
    """What criteria need beyond the part and the households: weights and scarcity estimates."""

    weights: Mapping[str, int]
    #: Points to subtract per household id for taking a home other waiting children need.
    scarcity_points: Mapping[str, int] = field(default_factory=dict)
    #: Why, per household id, in words ("the only home approved for 4 siblings (R007)").
    scarcity_reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Pairs:
    """Candidate pairs of many parts at once: pair ``n`` places ``parts.items[part_of[n]]`` in household
    ``idx[n]`` of the table. A criterion scores every pair of a batch in one call (see ``Parts``); values
    that differ per child are worked out per *child pair* (each child of the pair's part in its household,
    in part order) and summed per pair."""

    parts: Parts
    part_of: IntArray
    idx: IntArray

    @classmethod
    def of_one(cls, part: Part, idx: IntArray) -> Pairs:
        return cls(Parts((part,)), np.zeros(len(idx), dtype=np.int64), idx)

    def __len__(self) -> int:
        return len(self.idx)

    @cached_property
    def sizes(self) -> IntArray:
        """Children placed by each pair."""
        result: IntArray = self.parts.sizes[:, 0][self.part_of]
        return result

    @cached_property
    def _starts(self) -> IntArray:
        """The first child pair of each pair."""
        starts: IntArray = np.cumsum(self.sizes) - self.sizes
        return starts

    @cached_property
    def child_row(self) -> IntArray:
        """The child row (of ``parts.children``) of each child pair."""
        if self.parts.one_child_each:
            return self.part_of
        first = np.repeat(self.parts.first_rows[self.part_of], self.sizes)
        rows: IntArray = first + np.arange(int(self.sizes.sum())) - np.repeat(self._starts, self.sizes)
        return rows

    @cached_property
    def child_idx(self) -> IntArray:
        """The household of each child pair."""
        return self.idx if self.parts.one_child_each else np.repeat(self.idx, self.sizes)

    def zeros(self) -> IntArray:
        """Points of nothing for every child pair."""
        return np.zeros(len(self.child_row), dtype=np.int64)

    def per_pair(self, child_points: IntArray) -> IntArray:
        """Points per child pair summed per pair."""
        if self.parts.one_child_each or len(self.idx) == 0:
            return child_points
        result: IntArray = np.add.reduceat(child_points, self._starts)
        return result

    def by_child(self, wanted: Callable[[NewChild], bool]) -> Iterator[tuple[Part, NewChild, IntArray]]:
        """Each child (with its part) for whom ``wanted`` holds, and the positions of its child pairs."""
        parts = self.parts
        rows = [k for k, child in enumerate(parts.children) if wanted(child)]
        if not rows:
            return
        if len(rows) == 1:
            k = rows[0]
            yield parts.items[int(parts.child_part[k])], parts.children[k], np.flatnonzero(self.child_row == k)
            return
        order, sorted_rows = self._by_child_row
        bounds = np.searchsorted(sorted_rows, [rows, [k + 1 for k in rows]])
        for k, start, end in zip(rows, bounds[0].tolist(), bounds[1].tolist(), strict=True):
            yield parts.items[int(parts.child_part[k])], parts.children[k], order[start:end]

    @cached_property
    def _by_child_row(self) -> tuple[IntArray, IntArray]:
        """Child pairs ordered by child row, and the rows in that order: sorted once for every criterion
        (millions of pairs at national scale)."""
        order: IntArray = np.argsort(self.child_row, kind="stable")
        return order, self.child_row[order]


PairPoints = Callable[[Pairs, HouseholdTable, ScoringContext], IntArray]
Reason = Callable[[Part, Household, int, ScoringContext], str]


@dataclass(frozen=True)
class Criterion:
    """One soft criterion: id, title, vectorised points and the reason sentence for one household."""

    id: str
    title: str
    #: Points of every pair: ``result[n]`` for the part and household of pair ``n``.
    over_pairs: PairPoints
    reason: Reason

    def points(self, part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
        """Points of ``part`` in each household at ``idx``."""
        return self.over_pairs(Pairs.of_one(part, idx), table, ctx)


def as_points(values: NDArray[np.float64] | NDArray[np.int64]) -> IntArray:
    """Round to whole points (criteria are integers so the solver's objective is exact)."""
    return np.rint(values).astype(np.int64)
