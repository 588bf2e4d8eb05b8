"""Per-request ranking at county, region and national scale.

Reports p50/p95 of one ``rank_request`` call (top 5, every exclusion explained) over the waiting
requests, with the load and scarcity-estimate time reported apart, and the time to turn the answer into
the CLI's JSON shape (grouping every exclusion per household) apart as well; candidate counts; how often CP-SAT
proved its answer optimal; and, measured in the same run, the rank-1 score against the duty team's
"whoever is free" baseline (the eligible household first in the list), the product's case in one ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from benchmarks.tiers import TIERS, load_tier
from matching.candidates import rule_matrix
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.scarcity import ScarcityEstimate, estimate_scarcity, scarcity_for_request
from scoring import siblings_together
from scoring.base import ScoringContext
from scoring.registry import CRITERIA


def _first_free_score(index: SnapshotIndex, request_id: str, estimate: ScarcityEstimate) -> int | None:
    """Score of the first eligible household in list order: how a duty team picks "whoever is free"."""
    request = index.request(request_id)
    whole = index.part(request, request.children)
    legal = np.flatnonzero(~rule_matrix(whole, index.table).any(axis=0))
    if legal.size == 0:
        return None
    first = legal[:1]
    points, reasons = scarcity_for_request(index, estimate, request.id, first)
    ctx = ScoringContext(index.weights, points, reasons)
    score = sum(int(c.points(whole, index.table, first, ctx)[0]) for c in CRITERIA)
    return score + siblings_together.points(whole.size, 1, index.weights)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def run(tier: str, requests: int | None, snapshot_file: str | None, top: int) -> dict[str, object]:
    started = time.perf_counter()
    snapshot = load_tier(tier, snapshot_file)
    index = SnapshotIndex.build(snapshot, tier)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    estimate = estimate_scarcity(index)
    scarcity_s = time.perf_counter() - started

    waiting = [r.id for r in snapshot.requests if r.status == "waiting"]
    if requests is not None:
        waiting = waiting[:requests]
    times_ms: list[float] = []
    json_ms: list[float] = []
    candidates: list[int] = []
    proven = 0
    ratios: list[float] = []
    for request_id in waiting:
        t0 = time.perf_counter()
        answer = rank_request(index, request_id, top=top, estimate=estimate)
        times_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        answer.to_json()
        json_ms.append((time.perf_counter() - t0) * 1000)
        candidates.append(len(snapshot.households) - len(answer.excluded))
        proven += answer.status in ("optimal", "infeasible")
        baseline = _first_free_score(index, request_id, estimate)
        if answer.options and baseline is not None and answer.options[0].score > 0:
            ratios.append(baseline / answer.options[0].score)
        print(f"\r{tier}: ranked {len(times_ms)}/{len(waiting)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {
        "tier": tier,
        "requests": len(waiting),
        "households": len(snapshot.households),
        "top": top,
        "load_s": round(load_s, 3),
        "scarcity_estimate_s": round(scarcity_s, 3),
        "p50_ms": round(_percentile(times_ms, 50), 2),
        "p95_ms": round(_percentile(times_ms, 95), 2),
        "max_ms": round(max(times_ms), 2) if times_ms else None,
        "to_json_p95_ms": round(_percentile(json_ms, 95), 2),
        "candidates_median": int(statistics.median(candidates)) if candidates else 0,
        "candidates_max": max(candidates) if candidates else 0,
        "no_legal_home": sum(1 for c in candidates if c == 0),
        "proven_optimal_share": round(proven / len(waiting), 4) if waiting else None,
        "first_free_vs_rank1_score_mean": round(statistics.fmean(ratios), 4) if ratios else None,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks rank", description=__doc__)
    parser.add_argument("--tier", choices=TIERS, default="county")
    parser.add_argument("--requests", type=int, default=None, help="Rank only the first N waiting requests.")
    parser.add_argument("--snapshot", default=None, help="Use this snapshot file instead of the tier's.")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    report = run(args.tier, args.requests, args.snapshot, args.top)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>32}: {value}")
    return 0
