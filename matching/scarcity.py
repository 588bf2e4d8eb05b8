"""A fast scarcity estimate, used when no nightly batch has priced the households yet.

Each waiting request spreads one unit of need evenly over the households that could take its whole
group; a household's demand is the need it carries for the *other* waiting requests. A home that is the
only one for a request carries that request's whole unit. Points are capped at the ``scarcity`` weight.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.candidates import rule_matrix
from matching.index import SnapshotIndex


@dataclass(frozen=True, eq=False)
class ScarcityEstimate:
    """Demand per household position over every waiting request, and who depends on it alone."""

    demand: NDArray[np.float64]
    share: dict[str, tuple[NDArray[np.int64], float]]
    needing: dict[int, list[str]]
    only_home_for: dict[int, list[str]]


def estimate_scarcity(index: SnapshotIndex) -> ScarcityEstimate:
    """One pass of the hard rules over every waiting request (vectorised over households)."""
    demand = np.zeros(len(index.table), dtype=np.float64)
    share: dict[str, tuple[NDArray[np.int64], float]] = {}
    needing: defaultdict[int, list[str]] = defaultdict(list)
    only: defaultdict[int, list[str]] = defaultdict(list)
    for request in index.snapshot.requests:
        if request.status != "waiting":
            continue
        legal = np.flatnonzero(~rule_matrix(index.part(request, request.children), index.table).any(axis=0))
        if legal.size == 0:
            continue
        unit = 1.0 / legal.size
        demand[legal] += unit
        share[request.id] = (legal, unit)
        if legal.size == 1:
            only[int(legal[0])].append(request.id)
        if legal.size <= 3:
            for position in legal:
                needing[int(position)].append(request.id)
    return ScarcityEstimate(demand, share, dict(needing), dict(only))


def scarcity_for_request(
    index: SnapshotIndex, estimate: ScarcityEstimate, request_id: str, positions: NDArray[np.int64]
) -> tuple[dict[str, int], dict[str, str]]:
    """Points and reasons for ``positions``, leaving out ``request_id``'s own need."""
    demand = estimate.demand[positions].copy()
    own = estimate.share.get(request_id)
    if own is not None:
        demand -= np.isin(positions, own[0]) * own[1]
    cap = index.weights["scarcity"]
    points: dict[str, int] = {}
    reasons: dict[str, str] = {}
    for position, value in zip(positions.tolist(), demand.tolist(), strict=True):
        if value <= 1e-9:
            continue
        household_id = index.table.households[position].id
        points[household_id] = min(cap, round(cap * value))
        others_only = [r for r in estimate.only_home_for.get(position, []) if r != request_id]
        others_few = [r for r in estimate.needing.get(position, []) if r != request_id]
        if others_only:
            reasons[household_id] = f"the only home that can take request {', '.join(others_only)}"
        elif others_few:
            reasons[household_id] = f"one of 3 or fewer homes for request {', '.join(others_few)}"
        else:
            reasons[household_id] = "other waiting children could also be placed here"
    return points, reasons
