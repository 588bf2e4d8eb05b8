"""What a soft criterion is: integer points for a part in many households at once, and a sentence.

Points are vectorised over candidate households (the batch scores millions of pairs); the sentence is
written only for the options a duty worker will read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from constraints.base import Part
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


Points = Callable[[Part, HouseholdTable, IntArray, ScoringContext], IntArray]
Reason = Callable[[Part, Household, int, ScoringContext], str]


@dataclass(frozen=True)
class Criterion:
    """One soft criterion: id, title, vectorised points and the reason sentence for one household."""

    id: str
    title: str
    points: Points
    reason: Reason


def zeros(idx: IntArray) -> IntArray:
    return np.zeros(len(idx), dtype=np.int64)


def as_points(values: NDArray[np.float64] | NDArray[np.int64]) -> IntArray:
    """Round to whole points (criteria are integers so the solver's objective is exact)."""
    return np.rint(values).astype(np.int64)
