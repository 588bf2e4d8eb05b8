"""Every per-household soft criterion, in the order a duty worker reads them. Option-level criteria
(siblings kept together, relaxations) are in ``scoring.siblings_together`` and the rank itself."""

from __future__ import annotations

from scoring import (
    continuity,
    cost,
    distance,
    household_fit,
    language,
    pets,
    preferences,
    religion,
    scarcity,
    would_benefit,
)
from scoring.base import Criterion

CRITERIA: tuple[Criterion, ...] = (
    distance.CRITERION,
    cost.CRITERION,
    would_benefit.CRITERION,
    language.CRITERION,
    religion.CRITERION,
    pets.CRITERION,
    preferences.CRITERION,
    continuity.CRITERION,
    household_fit.CRITERION,
    scarcity.CRITERION,
)
