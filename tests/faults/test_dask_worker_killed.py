"""A Dask worker process killed (SIGKILL) in the middle of a Monte Carlo run.

The scheduler notices the lost worker, its nanny starts a new one, and the chunks that were running on it
are run again (Dask's ``allowed-failures`` retry). Replications depend only on their seed, so the run
completes with exactly the numbers of a clean in-process run. The simulation touches no database.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import numpy as np

from planning.montecarlo import CHUNK, dask_client, run_replications
from planning.simulate import SimulationInput
from tests.planning.conftest import month_input, tiny_input  # noqa: F401  (fixtures, re-exported)

#: Enough chunks that some are still running on both workers when the first one comes back.
REPLICATIONS = 6 * CHUNK


def test_worker_killed_mid_run_is_retried_and_results_match_a_clean_run(month_input: SimulationInput) -> None:  # noqa: F811
    reference = run_replications(month_input, REPLICATIONS)
    killed: list[tuple[str, list[Any]]] = []
    with dask_client(None, 2) as client:

        def kill_a_busy_worker(done: int, total: int) -> None:
            if killed or done >= total:
                return
            busy = {worker: keys for worker, keys in client.processing().items() if keys}
            assert busy, "no chunk was running when the first came back: nothing to kill"
            victim = sorted(busy)[0]
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            killed.append((victim, list(busy[victim])))

        result = run_replications(month_input, REPLICATIONS, client=client, progress=kill_a_busy_worker)
        assert len(client.scheduler_info()["workers"]) >= 1
    assert killed and killed[0][1], "the fault never struck"
    assert result.replications == list(range(REPLICATIONS))
    assert np.array_equal(result.metrics, reference.metrics)
    assert np.array_equal(result.shortfall, reference.shortfall)
    assert result.attrition_rates == reference.attrition_rates
    assert result.batch_status == reference.batch_status
