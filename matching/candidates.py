"""Candidate filtering: every hard rule over every household for one part, as a rules x households matrix."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from constraints.base import Home, Part, Parts
from constraints.registry import RULES
from domain.geo import DOT_PRODUCT_SLACK_KM, cos_of_km, unit_vector
from domain.tables import BoolArray, HouseholdTable


def rule_matrix(part: Part, table: HouseholdTable) -> BoolArray:
    """``result[r, h]`` is True when household ``h`` breaks rule ``RULES[r]`` for this part."""
    result: BoolArray = rule_matrices(Parts((part,)), table)[0]
    return result


def rule_matrices(parts: Parts, table: HouseholdTable) -> BoolArray:
    """``result[p, r, h]`` is ``rule_matrix(parts.items[p], table)[r, h]``: many parts at once (see ``Parts``)."""
    if len(table) == 0 or len(parts) == 0:
        return np.zeros((len(parts), len(RULES), len(table)), dtype=bool)
    return np.stack([rule.over_parts(parts, table) for rule in RULES], axis=1)


def relaxable_matrix(part: Part, table: HouseholdTable) -> BoolArray:
    """``result[r, h]`` is True when a breach of ``RULES[r]`` by ``h`` may be relaxed for this request."""
    if len(table) == 0:
        return np.zeros((len(RULES), 0), dtype=bool)
    return np.stack([rule.relaxable_mask(part, table) for rule in RULES])


def broken_rules(part: Part, home: Home) -> list[tuple[str, str]]:
    """Scalar path: every rule ``home`` breaks for this part, as (rule id, reason), in registry order."""
    found = []
    for rule in RULES:
        reason = rule.check(part, home)
        if reason is not None:
            found.append((rule.id, reason))
    return found


#: Share of households below which the pre-filter cuts a smaller table to check.
SUBSET_WORTH_IT = 0.3
#: Below this many households the pre-filter is not run: checking every rule over the whole table costs less
#: than the filter and the cut (measured on the county fixture's simulation, about 190 households).
SMALL_TABLE = 1000
#: Rules cheap enough to run over every household before cutting the table (simple array comparisons).
CHEAP_RULES = frozenset(
    {"household_available", "placement_kind", "age_range", "approved_places", "sibling_approval", "bedrooms"}
)


def within_reach(part: Part, table: HouseholdTable) -> BoolArray:
    """Households that may be within the distance limit of every located child (a dot product of unit
    vectors, with a little slack; the exact haversine rule still runs on the survivors)."""
    keep = np.ones(len(table), dtype=bool)
    if "max_distance" in part.request.allow_relaxations:
        return keep
    threshold = cos_of_km(part.distance_limit_km + DOT_PRODUCT_SLACK_KM)
    for where in (c.child.location for c in part.children):
        if where is not None:
            keep &= table.unit_xyz @ unit_vector(where.lat, where.lon) >= threshold
    return keep


def near_positions(part: Part, table: HouseholdTable) -> NDArray[np.int64] | None:
    """Households that may be usable for the part: within reach and passing the cheap rules this request
    cannot relax. None when too many survive for a smaller table to be worth cutting.

    Only a pre-filter: every rule still runs, exactly, on the households it keeps.
    """
    if len(table) < SMALL_TABLE:
        return None
    keep = within_reach(part, table)
    alone = Parts((part,))
    for rule in RULES:
        if rule.id in CHEAP_RULES and not rule.may_relax(part):
            keep &= ~rule.over_parts(alone, table)[0]
    found = np.flatnonzero(keep)
    # Cutting a table costs about as much as checking it: only worth it when most households drop out.
    return found if found.size < len(table) * SUBSET_WORTH_IT else None
