"""The nightly batch against the duty team's greedy way, at region or national scale.

Reports, from one run: status, objective, best bound and gap; children placed by the batch and by the
greedy baseline (urgency, then waiting time, each request takes its best legal home left) and their
ratio; the LP bound over every legal pair (what pruning could have lost on the first level); times for
each phase and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from benchmarks.tiers import load_tier
from matching.batch import BatchSettings, solve_batch
from matching.index import SnapshotIndex

DEFAULT_LIMIT_S = {"county": 10.0, "region": 10.0, "national": 120.0}


def run(tier: str, time_limit: float | None, top_k: int | None, snapshot_file: str | None) -> dict[str, object]:
    started = time.perf_counter()
    snapshot = load_tier(tier, snapshot_file)
    index = SnapshotIndex.build(snapshot, tier)
    load_s = time.perf_counter() - started
    limit = time_limit if time_limit is not None else DEFAULT_LIMIT_S[tier]

    def progress(stage: str, done: float) -> None:
        print(f"\r{tier}: {stage:<45} {done:4.0%}", end="", file=sys.stderr, flush=True)

    answer = solve_batch(index, BatchSettings(time_limit_s=limit, top_k=top_k), progress=progress)
    print(file=sys.stderr)
    t = answer.timings
    answer_s = t["total_s"]  # the pruning bound's LP runs before the solve, inside the time limit
    placement = next(level for level in answer.levels if level.name == "children placed")
    soft = next(level for level in answer.levels if level.name == "soft score")
    return {
        "tier": tier,
        "requests": sum(1 for r in snapshot.requests if r.status == "waiting"),
        "households": len(snapshot.households),
        "children_waiting": answer.children_waiting,
        "status": answer.status,
        "objective": answer.objective,
        "bound": answer.bound,
        "gap": round(answer.gap, 6),
        "placement_level": placement.objective,
        "placement_bound": placement.bound,
        "soft_level": soft.objective,
        "children_placed": answer.children_placed,
        "greedy_children_placed": answer.greedy.children_placed,
        "greedy_placement_level": answer.greedy.placement_value,
        "greedy_soft_level": answer.greedy.soft,
        "children_vs_greedy": round(answer.children_placed / max(1, answer.greedy.children_placed), 4),
        "greedy_vs_optimum_placement": round(answer.greedy.placement_value / max(1, placement.objective), 4),
        "pruning_bound": answer.pruning_bound,
        "placement_vs_pruning_bound": round(placement.objective / answer.pruning_bound, 6)
        if answer.pruning_bound
        else None,
        "legal_pairs": answer.legal_pairs,
        "candidates_kept": answer.candidates,
        "time_limit_s": limit,
        "load_s": round(load_s, 2),
        "answer_s": round(answer_s, 2),
        **{k: round(v, 2) for k, v in t.items()},
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks batch", description=__doc__)
    parser.add_argument("--tier", choices=("county", "region", "national"), default="region")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--snapshot", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.tier, args.time_limit, args.top_k, args.snapshot)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>30}: {value}")
    return 0
