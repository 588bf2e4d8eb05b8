"""``python -m benchmarks simulate``: the planners' simulation on the county fixture, a 3-year horizon in
monthly steps, 200 replications on a Dask LocalCluster, with the live batch inside every step.

Reports, from one run: wall time of the 200 replications on 2 workers (target 60 s on this 2-core
machine) and the cluster's start-up apart; worker scaling (the same replications on 1 and on 2 workers:
speed-up and whether the numbers are identical); where a replication's time goes (the batch's own
phases, as ``solve_batch`` times them, and the simulation around it), and CPU seconds per replication
with the 200-replication time they imply on two idle cores (machines here are shared: wall times move
with other people's load, CPU time much less).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from api.cli_planning import fit_903, prepare_again
from planning.montecarlo import RunResult, dask_client, run_replications
from planning.scenario import load_scenario
from planning.simulate import SimulationInput, prepare

SCENARIO = Path(__file__).resolve().parents[1] / "fixtures" / "scenario-example.toml"
TARGET_S = 60.0


def _input(replications: int, horizon_months: int) -> SimulationInput:
    scenario = load_scenario(SCENARIO)
    simulation = scenario.simulation.model_copy(
        update={"replications": replications, "horizon_months": horizon_months, "time_step": "month"}
    )
    scenario = scenario.model_copy(update={"simulation": simulation, "name": "county, 3 years, monthly"})
    return prepare_again(prepare(scenario, fit_903), scenario)


def _timed(inp: SimulationInput, replications: int, workers: int) -> tuple[RunResult, float, float]:
    """Run on a fresh LocalCluster; (result, seconds for the replications, seconds to start the cluster)."""
    started = time.perf_counter()
    with dask_client(None, workers) as client:
        ready = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(f"\r{workers} worker(s): {done}/{total} replications", end="", file=sys.stderr, flush=True)

        result = run_replications(inp, replications, client, progress=progress)
        finished = time.perf_counter()
    print(file=sys.stderr)
    return result, finished - ready, ready - started


def run(replications: int, scaling_replications: int, horizon_months: int) -> dict[str, Any]:
    inp = _input(replications, horizon_months)
    full, full_s, start_s = _timed(inp, replications, 2)
    scaling = min(scaling_replications, replications)
    one, one_s, _ = _timed(inp, scaling, 1)
    two = full.subset(list(range(scaling)))
    two_s = full_s * scaling / replications
    per_rep_cpu = full.seconds / replications
    timings = {k: round(v / replications, 4) for k, v in sorted(full.batch_timings.items())}
    batch_share = full.batch_seconds / full.seconds if full.seconds else 0.0
    summary = full.summary()
    return {
        "scenario": str(SCENARIO),
        "horizon_months": horizon_months,
        "steps": inp.steps,
        "households": len(inp.snapshot.households),
        "replications": replications,
        "wall_s_2_workers": round(full_s, 1),
        "cluster_start_s": round(start_s, 1),
        "target_s": TARGET_S,
        "meets_target": full_s <= TARGET_S,
        "scaling_replications": scaling,
        "wall_s_1_worker": round(one_s, 1),
        "wall_s_2_workers_same_replications": round(two_s, 1),
        "speed_up_2_vs_1": round(one_s / two_s, 2) if two_s else None,
        "identical_1_vs_2_workers": bool(
            np.array_equal(one.metrics, two.metrics) and np.array_equal(one.shortfall, two.shortfall)
        ),
        "wall_s_per_replication_in_worker": round(per_rep_cpu, 3),
        "cpu_s_per_replication": round(full.cpu_seconds / replications, 3),
        "projected_wall_s_200_on_2_idle_cores": round(200 * full.cpu_seconds / replications / 2 + start_s, 1),
        "machine_load_1min": round(os.getloadavg()[0], 2),
        "batch_share_of_replication": round(batch_share, 3),
        "batch_phases_s_per_replication": timings,
        "batches_per_replication": round(sum(full.batch_status.values()) / replications, 1),
        "batch_status": full.batch_status,
        "children_waiting_per_batch": round(
            float(summary["totals_per_year"]["arrivals"]["mean"] or 0) * horizon_months / 12 / max(1, inp.steps), 1
        ),
        "end_of_horizon": {k: summary["end_of_horizon"][k]["mean"] for k in ("in_house", "ifa", "residential")},
        "cost_gbp_per_year": summary["totals_per_year"]["step_cost_gbp"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks simulate", description=__doc__)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--scaling-replications", type=int, default=40, help="Replications timed on 1 worker.")
    parser.add_argument("--horizon-months", type=int, default=36)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.replications, args.scaling_replications, args.horizon_months)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>36}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
