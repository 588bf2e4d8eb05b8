"""Replications on dask.distributed give the same numbers with 1 or 2 workers as in-process."""

from __future__ import annotations

import gc

import numpy as np

from planning.montecarlo import GC_YOUNG_THRESHOLD, _fewer_collections, dask_client, run_replications
from planning.simulate import SimulationInput


def test_one_and_two_workers_give_identical_results(month_input: SimulationInput) -> None:
    one_month = month_input  # one batch per replication: the cluster's start-up is most of the time
    reference = run_replications(one_month, 5)
    with dask_client(None, 1) as client:
        for workers in (1, 2):
            if workers == 2:
                client.cluster.scale(2)  # the same LocalCluster, one more worker process
                client.wait_for_workers(2)
            assert len(client.scheduler_info()["workers"]) == workers
            seen: list[int] = []

            def record(done: int, _total: int, seen: list[int] = seen) -> None:
                seen.append(done)

            result = run_replications(one_month, 5, client=client, progress=record)
            assert result.replications == [0, 1, 2, 3, 4]
            assert np.array_equal(result.metrics, reference.metrics)
            assert np.array_equal(result.shortfall, reference.shortfall)
            assert result.attrition_rates == reference.attrition_rates
            assert seen[-1] == 5
    assert reference.summary()["replications"] == 5


def test_a_worker_collects_garbage_less_often_while_it_runs_replications_and_as_before_after() -> None:
    before = gc.get_threshold()
    with _fewer_collections():
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0
        with _fewer_collections():  # two chunks at once on one worker: the first to end changes nothing
            pass
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
