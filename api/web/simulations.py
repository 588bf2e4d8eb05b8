"""Planners' simulation runs for the web pages: the run registry and runner are shared with the JSON API
and live in ``api/simulations.py`` (re-exported here); comparing two finished runs is the pages' own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from api.simulations import (
    CHARTS,
    KEEP,
    MAX_HORIZON_MONTHS,
    MAX_REPLICATIONS,
    PLACEHOLDER_SNAPSHOT,
    RunsBusy,
    SimulationRun,
    SimulationRuns,
    check_scenario,
    ssda903_sample,
)

__all__ = [
    "CHARTS",
    "COMPARISON_CHART",
    "KEEP",
    "MAX_HORIZON_MONTHS",
    "MAX_REPLICATIONS",
    "PLACEHOLDER_SNAPSHOT",
    "RunsBusy",
    "SimulationRun",
    "SimulationRuns",
    "check_scenario",
    "comparable",
    "comparison",
    "ssda903_sample",
]

COMPARISON_CHART = "comparison"


def comparable(a: SimulationRun, b: SimulationRun) -> str | None:
    """Why two runs cannot be paired replication by replication (None when they can)."""
    sa, sb = a.scenario.simulation, b.scenario.simulation
    if (sa.seed, sa.replications) != (sb.seed, sb.replications):
        return "the runs have different seeds or numbers of replications, so they are compared side by side only"
    if (sa.horizon_months, sa.time_step, sa.start) != (sb.horizon_months, sb.time_step, sb.start):
        return "the runs cover different periods, so they are compared side by side only"
    return None


def comparison(a: SimulationRun, b: SimulationRun, folder: Path) -> dict[str, Any]:
    """Paired differences (when the runs share seed and replications) and the side-by-side chart."""
    from planning import plots
    from planning.marginal import paired

    if not (folder / f"{COMPARISON_CHART}.png").is_file():
        second = b.result if b.name != a.name else dataclasses.replace(b.result, name=f"{b.name} (B)")
        plots.comparison_chart(a.result, second, folder)
    why_not_paired = comparable(a, b)
    if why_not_paired is not None:
        return {"paired": None, "note": why_not_paired}
    difference = paired(a.result, b.result, "B - A", 1).to_json()
    return {"paired": difference, "note": None}
