"""Planners' simulation runs, shared by the web pages (``api/web/planner.py``) and the JSON API
(``api/routers/planning.py``): one at a time, in a background thread, with progress the callers poll,
and results kept in memory (the most recent few) with their charts.

The simulation itself is ``planning`` (the same ``prepare`` and ``run_replications`` as ``placematch
simulate``); the households and waiting list it starts from are the service's current records. Runs go
through one worker thread so that a planner's what-if never takes both cores from the duty team, and
so that matplotlib (not thread-safe) draws one chart at a time. Replications run in this process (no
Dask cluster): the service is for small, quick scenarios; big ones belong to the CLI.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import queue
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from api.audit import record
from api.deps import Principal, Services
from domain.errors import InputError
from domain.snapshot import Snapshot
from planning.scenario import Scenario, parse_scenario
from store.repositories import Repositories

log = structlog.get_logger("placematch.simulations")

#: Charts drawn for every finished run, in the order the results page shows them, with their alt text.
CHARTS = {
    "fan_chart": "Where children live over time: in-house, kinship, agency and residential care, "
    "mean and 10–90% band. The figures table above gives the same numbers at the end of the horizon.",
    "cost": "Weekly cost of placements over time, and cost a year with its 10–90% band.",
    "shortfall": "Children placed outside matching a year, by age band and the carer type they needed.",
}
#: Finished runs kept per process; older ones (and their charts) are dropped.
KEEP = 12
#: The largest run the pages start (one worker thread serves every planner): bigger ones go to the CLI.
MAX_REPLICATIONS = 200
MAX_HORIZON_MONTHS = 120
#: Where the scenario's supply snapshot path points before the run writes the real one.
PLACEHOLDER_SNAPSHOT = "current-records.json"


def ssda903_sample() -> Path | None:
    """The bundled synthetic SSDA903 returns (``fixtures/ssda903``), if installed alongside the code."""
    spec = importlib.util.find_spec("fixtures")
    for folder in list(spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / "ssda903"
        if (path / "header_2024.csv").is_file() or any(path.glob("header_*.csv")):
            return path
    return None


def _table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise InputError.one("scenario", f"[{name}]", name, "must be a table of keys")
    return dict(value)


def check_scenario(raw: dict[str, Any]) -> Scenario:
    """Validate a scenario (``InputError`` naming the section and key); the supply snapshot is ours, and
    runs stay small enough for the pages (``MAX_REPLICATIONS``, ``MAX_HORIZON_MONTHS``)."""
    supply = _table(raw, "supply")
    if "snapshot" in supply:
        raise InputError.one("scenario", "[supply]", "supply.snapshot", "set by the service: its current records")
    demand = _table(raw, "demand")
    if "model" in demand:
        raise InputError.one("scenario", "[demand]", "demand.model", "files are not read from uploads")
    if "ssda903_dir" in demand and demand["ssda903_dir"] != "bundled sample":
        raise InputError.one(
            "scenario", "[demand]", "demand.ssda903_dir", 'only "bundled sample" (the synthetic returns) is available'
        )
    if "ssda903_dir" in demand:
        sample = ssda903_sample()
        if sample is None:
            raise InputError.one("scenario", "[demand]", "demand.ssda903_dir", "the bundled sample is not installed")
        demand["ssda903_dir"] = str(sample)
    if "marginal" in raw:
        raise InputError.one("scenario", "[marginal]", "marginal", "not run from the web pages: use the CLI")
    checked = {**raw, "demand": demand, "supply": {**supply, "snapshot": PLACEHOLDER_SNAPSHOT}}
    scenario = parse_scenario(checked, "scenario", Path("."))
    if scenario.simulation.replications > MAX_REPLICATIONS:
        raise InputError.one(
            "scenario", "[simulation]", "simulation.replications", f"at most {MAX_REPLICATIONS} here: use the CLI"
        )
    if scenario.simulation.horizon_months > MAX_HORIZON_MONTHS:
        raise InputError.one(
            "scenario", "[simulation]", "simulation.horizon_months", f"at most {MAX_HORIZON_MONTHS} here: use the CLI"
        )
    return scenario


@dataclass
class SimulationRun:
    """One run: what was asked, how far it got, and (when done) its summary, result and charts."""

    id: int
    scenario: Scenario
    owner: str
    folder: Path
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    status: str = "queued"  # queued, running, done, failed
    stage: str = "waiting for an earlier run to finish"
    done: int = 0
    total: int = 0
    error: str | None = None
    #: Whether ``error`` is about the scenario (safe to show anyone) rather than an unexpected failure.
    scenario_error: bool = False
    finished: dt.datetime | None = None
    summary: dict[str, Any] | None = None
    result: Any = None  # planning.montecarlo.RunResult once done
    charts: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def progress(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "error": self.error,
        }


Job = tuple[Callable[..., Any], tuple[Any, ...], "Future[Any]"]


def _serve(jobs: queue.SimpleQueue[Job]) -> None:
    """The simulation thread: one job at a time, forever (a daemon: it never holds the process up)."""
    while True:
        job, args, future = jobs.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(job(*args))
        except BaseException as error:  # handed to whoever waits on the future
            future.set_exception(error)


class RunsBusy(Exception):
    """Too many runs are queued or running to take another (see ``SimulationRuns.submit``)."""

    def __init__(self, pending: int) -> None:
        self.pending = pending
        super().__init__(f"{pending} simulation runs are queued or running: try again when one has finished")


class SimulationRuns:
    """The runs of this process: a queue served by one worker thread, and the last ``KEEP`` runs."""

    def __init__(self, keep: int = KEEP) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[int, SimulationRun] = OrderedDict()
        self._ids = itertools.count(1)
        self._keep = keep
        self._root = Path(tempfile.mkdtemp(prefix="placematch-simulations-"))
        weakref.finalize(self, shutil.rmtree, self._root, True)
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(self._jobs,), name="simulation", daemon=True).start()

    def _submit(self, job: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((job, args, future))
        return future

    def submit(
        self, scenario: Scenario, snapshot: Snapshot, owner: str, max_pending: int | None = None
    ) -> SimulationRun:
        """Queue a run; with ``max_pending``, refuse (``RunsBusy``) while that many are queued or running."""
        with self._lock:
            pending = sum(1 for r in self._runs.values() if r.status in ("queued", "running"))
            if max_pending is not None and pending >= max_pending:
                raise RunsBusy(pending)
            run_id = next(self._ids)
            folder = self._root / f"run-{run_id}"
            folder.mkdir(parents=True)
            run = SimulationRun(run_id, scenario, owner, folder, total=scenario.simulation.replications)
            self._runs[run_id] = run
            while len(self._runs) > self._keep:
                _, old = self._runs.popitem(last=False)
                shutil.rmtree(old.folder, ignore_errors=True)
        self._submit(self._work, run, snapshot)
        log.info("simulation_queued", run=run_id, replications=run.total, owner=owner)
        return run

    def get(self, run_id: int) -> SimulationRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[SimulationRun]:
        with self._lock:
            return list(reversed(self._runs.values()))

    def call(self, job: Any, *args: Any) -> Any:
        """Run ``job`` on the simulation thread (after any queued run) and wait for its answer."""
        return self._submit(job, *args).result()

    def _work(self, run: SimulationRun, snapshot: Snapshot) -> None:
        run.status, run.stage = "running", "preparing: reading the households and the demand"
        from api.cli_planning import fit_903
        from planning import plots
        from planning.montecarlo import run_replications
        from planning.simulate import prepare

        try:
            # The households and waiting list as they are now, in a private folder for the moment
            # ``prepare`` reads them; nothing of a child's record stays on disk after that.
            with tempfile.TemporaryDirectory(prefix="placematch-snapshot-") as private:
                path = Path(private) / "snapshot.json"
                path.write_text(snapshot.model_dump_json(), encoding="utf-8")
                supply = run.scenario.supply.model_copy(update={"snapshot": path})
                scenario = run.scenario.model_copy(update={"supply": supply})
                inp = prepare(scenario, fit_903)

            def report(done: int, total: int) -> None:
                run.done, run.total = done, total

            run.stage = "simulating"
            result = run_replications(inp, scenario.simulation.replications, None, progress=report)
            run.summary = result.summary()
            run.result = result
            run.stage = "drawing the charts"
            for name, draw in (("fan_chart", plots.fan_chart), ("cost", plots.cost_chart)):
                draw(result, run.folder)
                run.charts.append(name)
            plots.shortfall_chart(result, run.folder)
            run.charts.append("shortfall")
            run.status, run.stage = "done", "done"
        except InputError as error:
            run.status, run.error = "failed", "; ".join(str(p) for p in error.problems)
            run.scenario_error = True
        except Exception as error:  # a failed run is reported on its page; the service carries on
            log.exception("simulation_failed", run=run.id)
            run.status, run.error = "failed", f"{type(error).__name__}: {error}"
        finally:
            run.finished = dt.datetime.now(dt.UTC)
            log.info("simulation_finished", run=run.id, status=run.status)


_REGISTRY_LOCK = threading.Lock()


def simulation_runs(services: Services) -> SimulationRuns:
    """This process's simulation runs (made on first use), the same for the web pages and the API."""
    with _REGISTRY_LOCK:
        runs = services.extras.get("simulations")
        if not isinstance(runs, SimulationRuns):
            runs = SimulationRuns()
            services.extras["simulations"] = runs
        return runs


def start_run(
    services: Services, repos: Repositories, user: Principal, scenario: Scenario, max_pending: int | None = None
) -> SimulationRun:
    """Queue a run on the service's current households and waiting list (an aggregate audit event)."""
    snapshot = services.snapshots.current(repos.session, services.today()).snapshot
    run = simulation_runs(services).submit(scenario, snapshot, user.username, max_pending)
    record(
        repos,
        user,
        "simulation.run",
        "simulation",
        str(run.id),
        detail={"households": len(snapshot.households), "replications": scenario.simulation.replications},
    )
    return run
