"""Monte Carlo over replications, on ``dask.distributed`` (a LocalCluster by default, or a scheduler's
address), and the summaries planners read: mean and 10-90% band per step, yearly cost, shortfall.

A replication depends only on its seed, so results are identical whatever the number of workers or the
order they finish in: replications are collected by index before anything is summed.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planning.demand import AGE_BAND_LABELS
from planning.simulate import METRICS, SHORTFALL_TYPES, ReplicationResult, SimulationInput, run_replication

Progress = Callable[[int, int], None]
#: Replications sent to a worker in one task: enough to hide Dask's per-task overhead (a few ms, against
#: about half a second per county replication), few enough that both workers stay busy to the end (a
#: worker left idle while the other finishes its last task waits up to a task's length).
CHUNK = 2
#: Allocations between two young-generation collections while a worker runs replications (Python's default
#: is 700). Measured on the county: the cyclic collector took 3.7% of a replication's CPU at the default and
#: 0.2% at this (with the set-up's objects frozen), for no more than a few MB more held between collections.
GC_YOUNG_THRESHOLD = 10_000
#: Quantiles of the band reported around every mean.
LOW_Q, HIGH_Q = 0.10, 0.90


_gc_lock = threading.Lock()
_gc_users = 0
_gc_before: tuple[int, int, int] = (700, 10, 10)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often, and not over the objects already there (the input, the
    modules), while a Dask worker runs replications; as it was once the last chunk in the process ends (a
    worker of a shared cluster may run several at once). A replication makes many short-lived objects and
    few cycles."""
    global _gc_users, _gc_before
    with _gc_lock:
        if _gc_users == 0:
            _gc_before = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(GC_YOUNG_THRESHOLD, *_gc_before[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_before)
                gc.unfreeze()


def _run_chunk(
    inp: SimulationInput,
    replications: Sequence[int],
    extra: Mapping[str, int] | None,
    extra_recruitment: Mapping[str, float] | None,
) -> list[ReplicationResult]:
    with _fewer_collections():
        return [run_replication(inp, r, extra, False, extra_recruitment) for r in replications]


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client``: to the scheduler at ``scheduler`` (``tcp://host:8786``), or to a
    LocalCluster of ``workers`` single-threaded processes that is closed afterwards."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)  # type: ignore[no-untyped-call]  # distributed ships untyped
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    with warnings.catch_warnings():
        # Another cluster on this machine may hold the scheduler's default HTTP port: a free one is used.
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()


def run_replications(
    inp: SimulationInput,
    replications: int | Sequence[int],
    client: Any | None = None,
    extra: Mapping[str, int] | None = None,
    progress: Progress | None = None,
    extra_recruitment: Mapping[str, float] | None = None,
) -> RunResult:
    """Run replications ``0..n-1`` (or the given indices) in-process, or on ``client``'s workers."""
    indices = list(range(replications)) if isinstance(replications, int) else list(replications)
    report = progress or (lambda _done, _total: None)
    results: list[ReplicationResult] = []
    if client is None:
        for i, r in enumerate(indices):
            results.append(run_replication(inp, r, extra, False, extra_recruitment))
            report(i + 1, len(indices))
    else:
        from distributed import as_completed

        shared = client.scatter(inp, broadcast=True, hash=False)  # a fresh key: never one being released
        chunks = [indices[i : i + CHUNK] for i in range(0, len(indices), CHUNK)]
        futures = [client.submit(_run_chunk, shared, chunk, extra, extra_recruitment, pure=False) for chunk in chunks]
        done = 0
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            part = future.result()
            results += part
            done += len(part)
            report(done, len(indices))
    results.sort(key=lambda result: result.replication)
    return RunResult.of(inp, results)


@dataclass
class RunResult:
    """Every replication's measures, stacked: ``metrics[rep, step, metric]``, ``shortfall[rep, step, band, type]``."""

    name: str
    dates: list[str]
    step_days: list[int]
    replications: list[int]
    metrics: NDArray[np.float64]
    shortfall: NDArray[np.float64]
    batch_status: dict[str, int]
    attrition_rates: list[float]
    seconds: float
    batch_seconds: float = 0.0
    cpu_seconds: float = 0.0
    batch_timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, inp: SimulationInput, results: Sequence[ReplicationResult]) -> RunResult:
        status: Counter[str] = Counter()
        for r in results:
            status.update(r.batch_status)
        return cls(
            name=inp.scenario.name,
            dates=[d.isoformat() for d in inp.step_dates()],
            step_days=[inp.boundaries[k + 1] - inp.boundaries[k] for k in range(inp.steps)],
            replications=[r.replication for r in results],
            metrics=np.stack([r.metrics for r in results]),
            shortfall=np.stack([r.shortfall for r in results]),
            batch_status=dict(status),
            attrition_rates=[r.attrition_rate for r in results],
            seconds=float(sum(r.seconds for r in results)),
            batch_seconds=float(sum(r.batch_seconds for r in results)),
            cpu_seconds=float(sum(r.cpu_seconds for r in results)),
            batch_timings=_sum_timings(results),
        )

    def subset(self, replications: Sequence[int]) -> RunResult:
        """The same run restricted to some replications (paired comparisons reuse a base run)."""
        rows = [self.replications.index(r) for r in replications]
        return RunResult(
            name=self.name,
            dates=self.dates,
            step_days=self.step_days,
            replications=list(replications),
            metrics=self.metrics[rows],
            shortfall=self.shortfall[rows],
            batch_status=self.batch_status,
            attrition_rates=[self.attrition_rates[i] for i in rows],
            seconds=self.seconds,
            batch_seconds=self.batch_seconds,
            cpu_seconds=self.cpu_seconds,
        )

    def series(self, name: str) -> NDArray[np.float64]:
        """``[rep, step]`` of one measure; ``mean_distance_km`` is derived (distance / placements)."""
        if name == "mean_distance_km":
            placed = self.metrics[:, :, METRICS.index("placements")]
            total = self.metrics[:, :, METRICS.index("distance_sum_km")]
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(placed > 0, total / np.maximum(placed, 1), np.nan)
        return self.metrics[:, :, METRICS.index(name)]

    def yearly(self, name: str) -> NDArray[np.float64]:
        """``[rep, year]``: a flow summed over each year of steps (a last part-year is scaled to a year)."""
        values = self.series(name)
        days = np.asarray(self.step_days, dtype=float)
        ends = np.cumsum(days)
        year_of = np.floor((ends - 1) / 365.25).astype(int)
        years = int(year_of.max()) + 1 if len(ends) else 0
        out = np.zeros((values.shape[0], years))
        for y in range(years):
            mask = year_of == y
            covered = days[mask].sum()
            out[:, y] = values[:, mask].sum(axis=1) * (365.25 / covered if covered < 300 else 1.0)
        return out

    def per_year(self, name: str) -> NDArray[np.float64]:
        """``[rep]``: a flow's yearly average over the whole horizon."""
        total_days = float(sum(self.step_days))
        return np.asarray(self.series(name).sum(axis=1) * 365.25 / total_days, dtype=np.float64)

    def summary(self) -> dict[str, Any]:
        """Mean and 10-90% band of every measure per step, yearly figures, shortfall tables (JSON-ready)."""
        per_step: dict[str, dict[str, list[float | None]]] = {}
        for name in (*METRICS, "mean_distance_km"):
            per_step[name] = band(self.series(name))
        yearly_cost = self.yearly("step_cost_gbp")
        shortfall_total = self.shortfall.sum(axis=1)  # rep x band x type
        total_days = float(sum(self.step_days))
        per_year_factor = 365.25 / total_days
        return {
            "scenario": self.name,
            "replications": len(self.replications),
            "dates": self.dates,
            "per_step": per_step,
            "yearly_cost_gbp": {f"year {y + 1}": _stats(yearly_cost[:, y]) for y in range(yearly_cost.shape[1])},
            "totals_per_year": {
                name: _stats(self.per_year(name))
                for name in (
                    "arrivals",
                    "matched_in_house",
                    "matched_kinship",
                    "matched_ifa_pool",
                    "to_ifa",
                    "to_residential",
                    "local_placements",
                    "placements",
                    "moves",
                    "recruits",
                    "resignations",
                    "step_cost_gbp",
                )
            },
            "end_of_horizon": {
                name: _stats(self.series(name)[:, -1])
                for name in (
                    "in_house",
                    "kinship",
                    "ifa",
                    "residential",
                    "other",
                    "waiting",
                    "households_in_house",
                    "utilisation",
                    "weekly_cost_gbp",
                )
            },
            "sibling_groups_together_share": _stats(
                _ratio(self.series("sibling_groups_together").sum(1), self.series("sibling_groups_resolved").sum(1))
            ),
            "local_share": _stats(_ratio(self.series("local_placements").sum(1), self.series("placements").sum(1))),
            "mean_distance_km": _stats(_ratio(self.series("distance_sum_km").sum(1), self.series("placements").sum(1))),
            "shortfall_per_year": {
                "age_bands": list(AGE_BAND_LABELS),
                "carer_types": list(SHORTFALL_TYPES),
                "mean": np.round(shortfall_total.mean(axis=0) * per_year_factor, 3).tolist(),
                "p10": np.round(np.quantile(shortfall_total, LOW_Q, axis=0) * per_year_factor, 3).tolist(),
                "p90": np.round(np.quantile(shortfall_total, HIGH_Q, axis=0) * per_year_factor, 3).tolist(),
            },
            "batch_status": self.batch_status,
            "attrition_rate": _stats(np.asarray(self.attrition_rates)),
            "simulation_seconds": round(self.seconds, 2),
            "batch_seconds": round(self.batch_seconds, 2),
            **self.extra,
        }


def _sum_timings(results: Sequence[ReplicationResult]) -> dict[str, float]:
    total: dict[str, float] = {}
    for r in results:
        for key, value in r.batch_timings.items():
            total[key] = total.get(key, 0.0) + value
    return total


def _ratio(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.maximum(b, 1e-12), np.nan)


def _stats(values: NDArray[np.float64]) -> dict[str, float | None]:
    """Mean, 10% and 90% quantiles of a sample (None when empty)."""
    clean = values[~np.isnan(values)] if values.size else values
    if clean.size == 0:
        return {"mean": None, "p10": None, "p90": None}
    return {
        "mean": round(float(clean.mean()), 4),
        "p10": round(float(np.quantile(clean, LOW_Q)), 4),
        "p90": round(float(np.quantile(clean, HIGH_Q)), 4),
    }


def band(values: NDArray[np.float64]) -> dict[str, list[float | None]]:
    """Per step (``values[rep, step]``): mean, 10% and 90% quantiles."""
    out: dict[str, list[float | None]] = {"mean": [], "p10": [], "p90": []}
    for k in range(values.shape[1]):
        stats = _stats(values[:, k])
        for key in out:
            out[key].append(stats[key])
    return out
