"""Candidate filtering: every hard rule over every household for one part, as a rules x households matrix."""

from __future__ import annotations

import numpy as np

from constraints.base import Home, Part
from constraints.registry import RULES
from domain.snapshot import Household
from domain.tables import BoolArray, HouseholdTable


def rule_matrix(part: Part, table: HouseholdTable) -> BoolArray:
    """``result[r, h]`` is True when household ``h`` breaks rule ``RULES[r]`` for this part."""
    if len(table) == 0:
        return np.zeros((len(RULES), 0), dtype=bool)
    return np.stack([rule.violations(part, table) for rule in RULES])


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


def reasons_for(part: Part, household: Household, failing: BoolArray) -> list[tuple[str, str]]:
    """The reasons for the rules ``failing`` marks (one column of ``rule_matrix``), in registry order."""
    home = Home.as_is(household)
    found = []
    for r in np.flatnonzero(failing):
        rule = RULES[int(r)]
        reason = rule.check(part, home)
        if reason is None:  # The two checks must agree; the property tests hold them to it.
            raise AssertionError(f"rule {rule.id}: vectorised and scalar checks disagree on {household.id}")
        found.append((rule.id, reason))
    return found
