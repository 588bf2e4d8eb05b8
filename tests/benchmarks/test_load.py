"""The load benchmark: its report arithmetic (unit tests, in the default run) and a smoke run of the
whole thing on the county tier (marked ``benchmark``: deselected by default; no timings asserted)."""

from __future__ import annotations

import pytest

from benchmarks.load import Budget, Tally, percentile, run, summarise
from tests.store.databases import require_postgres


def test_percentiles_interpolate_like_numpy_and_none_for_nothing() -> None:
    assert percentile([], 50) is None
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(v) for v in range(101)], 95) == 95.0


def test_summary_counts_conflicts_apart_from_errors_in_endpoint_order() -> None:
    tally = Tally()
    for ms in (10.0, 20.0, 30.0):
        tally.ok("rank", ms)
    tally.ok("accept", 5.0)
    tally.conflict("accept")
    tally.conflict("accept")
    tally.error("accept", "http_500")
    tally.error("read_child", "ReadTimeout")
    summary = summarise(tally)
    assert list(summary) == ["rank", "read_child", "accept"]
    assert summary["rank"] == {
        "calls": 3,
        "ok": 3,
        "p50_ms": 20.0,
        "p95_ms": 29.0,
        "conflicts_409": 0,
        "errors": 0,
        "errors_by_kind": {},
    }
    assert summary["accept"]["calls"] == 4 and summary["accept"]["conflicts_409"] == 2
    assert summary["accept"]["errors_by_kind"] == {"http_500": 1}
    assert summary["read_child"]["ok"] == 0 and summary["read_child"]["p95_ms"] is None
    assert tally.calls == 8


def test_budget_stops_after_its_limit() -> None:
    budget = Budget(2)
    assert [budget.take() for _ in range(4)] == [True, True, False, False]
    assert all(Budget(None).take() for _ in range(100))


@pytest.mark.benchmark
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_smoke_county_tier(backend: str) -> None:
    if backend == "postgresql":
        require_postgres()
    report = run(
        backend=backend,
        database=None,
        postgres_admin_url="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        tier="county",
        snapshot_file=None,
        clients=5,
        seconds=5.0,
        max_requests=300,
        accept_share=0.3,
        top=3,
        batch_time_limit_s=2.0,
        workers=1,
        seed=7,
    )
    assert report["errors"] == 0, report["endpoints"]
    assert report["invariant_violations"] == []
    assert report["calls"] <= 300 + 2 + 200  # the budget bounds the duty users; the manager polls apart
    assert {"rank", "read_request", "batch_start"} <= set(report["endpoints"])
    assert report["batch"]["status"] in {"optimal", "feasible", "failed"}
    assert report["server_peak_rss_mib"] is not None and report["server_peak_rss_mib"] > 0
