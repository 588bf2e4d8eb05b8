"""The nightly batch from the database: solve every waiting request at once and keep the proposals.

A batch proposes; it never places a child. Each match becomes an open recommendation (a duty worker
accepts it like any ranked option) and requests stay ``waiting``. Every way of running it against the
database (``POST /batch/runs`` in the background, ``POST /batch`` in the call, ``placematch batch``
without ``--snapshot``) goes through ``execute``:

1. **claim**: a ``match_runs`` row of kind ``batch`` is written as ``running`` (with who, when and the
   parameters) in a transaction of its own; a partial unique index lets one run at a time, whichever
   process starts it (the API answers 409). A ``running`` row left by a process that stopped is failed
   as abandoned once its time limit plus ``ABANDONED_AFTER_S`` has passed.
2. **prepare**: one read of the snapshot, its revision and the standing proposals (hints for the solver,
   so that a stable plan stays stable); the snapshot hash is the sha256 of its canonical JSON.
3. **solve**: ``matching.batch.solve_batch``; each new stage is written to the run row (``GET`` shows it).
4. **store**, in ONE transaction: lock the households and requests involved (in the order accepting a
   recommendation takes them); if the snapshot revision has moved since step 2 (duty workers accepted
   or changed households while the solver ran), keep only the proposals that still pass every rule
   together on the data as it is now (the others are listed as unplaced, "data changed while the batch
   ran: ..."); replace the standing proposals that differ, store the scarcity prices, record the
   figures and an audit event. Any failure rolls all of it back, then the
   run is marked ``failed`` (with the error) in a transaction of its own: a run stopped or failing
   halfway leaves no partial writes.

**Idempotent.** Proposals are compared request by request: a standing open proposal with the same
placements and relaxations is kept as it is (same recommendation id); only proposals that differ are
withdrawn ("superseded by batch run N") and replaced, and standing proposals for requests no longer
matched are withdrawn. Scarcity rows are written only when the prices differ from those in force
(``scarcity_run_id`` otherwise names the earlier run whose prices stand). And when the data and the
parameters are those of the previous successful run (same snapshot hash and parameters) and the new
plan is no better, the standing proposals are left exactly as they are, even if the solver picked
another plan of equal value. So a second run on the same data writes no recommendation, withdraws
none and adds no scarcity rows: it records only that it was re-run, as its own ``match_runs`` row
(``repeats_run_id`` = the run whose result still stands; proposals added 0, withdrawn 0) and one
``batch.run`` audit event.

**Nightly.** Schedule the CLI, which runs exactly this path and exits non-zero when the run fails::

    # crontab: 02:30 every night (README, "Running the batch every night")
    30 2 * * *  cd /srv/placematch && DATABASE_URL=postgresql+psycopg://placematch@db/placematch \\
                .venv/bin/placematch batch --time-limit 120 --json >> /var/log/placematch/batch.log 2>&1

or a systemd timer (``OnCalendar=*-*-* 02:30``, ``Persistent=true``) starting a oneshot service with
the same command; or call ``POST /batch/runs`` with a manager's API key (``X-API-Key``). A run that is
stopped (killed, Ctrl-C) leaves the standing proposals as they were and can simply be run again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from api.audit import record
from api.deps import Principal, Services
from api.ranking import matching_cache
from domain.snapshot import Snapshot
from matching.batch import BatchAnswer, BatchSettings, Match, solve_batch, still_holding
from matching.index import SnapshotIndex
from store.db import Database
from store.models import MatchRunRow, RecommendationRow, utcnow
from store.repositories import Repositories
from store.repositories.batch_runs import BATCH, BatchRunning, BatchRunRepository
from store.repositories.recommendations import WITHDRAWN

__all__ = [
    "BATCH",
    "BatchParameters",
    "BatchRunner",
    "BatchRunning",
    "RunResult",
    "batch_runner",
    "claim",
    "dry_run",
    "execute",
    "previous_proposals",
    "run_json",
    "snapshot_hash",
]

log = structlog.get_logger("placematch.api")

#: Seconds past its time limit after which a ``running`` run is taken as abandoned (its process stopped).
#: Generous: model building and the LP bound run outside the solver's time limit on large tiers.
ABANDONED_AFTER_S = 600.0
#: Tries at reading a snapshot whose revision does not move while it is read (PostgreSQL reads committed).
READ_TRIES = 3
#: Extra seconds the app waits, at shutdown, for a background run beyond its time limit.
SHUTDOWN_GRACE_S = 30.0

_DEFAULTS = BatchSettings()


@dataclass(frozen=True)
class BatchParameters:
    """What a run is asked to do; stored with the run and compared to tell a re-run on the same terms."""

    time_limit_s: float = _DEFAULTS.time_limit_s
    top_k: int | None = _DEFAULTS.top_k
    workers: int = _DEFAULTS.workers
    expected_demand: bool = _DEFAULTS.expected_demand

    def settings(self, previous: dict[str, list[tuple[str, str]]] | None = None) -> BatchSettings:
        return BatchSettings(
            time_limit_s=self.time_limit_s,
            top_k=self.top_k,
            workers=self.workers,
            previous=previous or {},
            expected_demand=self.expected_demand,
        )

    def to_json(self) -> dict[str, Any]:
        """Every setting the solver runs with (the defaults spelled out), so a change of default shows."""
        settings = self.settings()
        return {
            "time_limit_s": float(settings.time_limit_s),
            "top_k": settings.top_k,
            "workers": settings.workers,
            "lp_bound_max_pairs": settings.lp_bound_max_pairs,
            "scarcity": settings.scarcity,
            "expected_demand": settings.expected_demand,
        }


@dataclass(frozen=True)
class PreparedRun:
    """What one solve sees: the snapshot index, its revision and hash, and the standing proposals."""

    index: SnapshotIndex
    revision: int
    snapshot_hash: str
    previous: dict[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class RunResult:
    """A finished run: its id (None for a dry run), what it solved, the answer and the stored JSON."""

    run_id: int | None
    index: SnapshotIndex
    answer: BatchAnswer
    body: dict[str, Any]
    new_scarcity: bool = False


def snapshot_hash(snapshot: Snapshot) -> str:
    """sha256 of the snapshot's canonical JSON (sorted keys, no spaces): equal exactly when the data is."""
    canonical = json.dumps(
        snapshot.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def previous_proposals(repos: Repositories) -> dict[str, list[tuple[str, str]]]:
    """The standing batch proposals, request id -> placements, to hint the next solve."""
    return {
        row.request_id: [(p.child_id, p.household_id) for p in row.placements]
        for row in repos.recommendations.open_from_runs_of_kind(BATCH)
    }


def _relaxation(rule_id: str, household_id: str, role: str) -> dict[str, str]:
    return {
        "id": rule_id,
        "household_id": household_id,
        "role": role,
        "reason": f"{rule_id} set aside for household {household_id}; needs sign-off by the {role.replace('_', ' ')}",
    }


def _option(match: Match) -> dict[str, Any]:
    return {
        "rank": 1,
        "score": match.score,
        "placements": [p.to_json() for p in match.placements],
        "criteria": [],
        "relaxations": [_relaxation(*r) for r in match.relaxations],
    }


def _proposal_key(placements: Iterable[tuple[str, str]], relaxations: Iterable[tuple[str, str]]) -> tuple[Any, ...]:
    """What makes two proposals the same: where each child goes, and which rules are set aside where."""
    return (tuple(sorted(placements)), tuple(sorted(relaxations)))


def _match_key(match: Match) -> tuple[Any, ...]:
    return _proposal_key(
        ((p.child_id, p.household_id) for p in match.placements), ((r, h) for r, h, _ in match.relaxations)
    )


def _row_key(row: RecommendationRow) -> tuple[Any, ...]:
    relaxations = ((str(r["id"]), str(r.get("household_id", ""))) for r in row.option.get("relaxations", []))
    return _proposal_key(((p.child_id, p.household_id) for p in row.placements), relaxations)


def _plan_value(levels: Sequence[dict[str, Any]]) -> tuple[int, int, int]:
    """A plan's lexicographic value from its levels: children placed, soft score, fewest relaxations."""
    by_name = {str(level["name"]): int(level["objective"]) for level in levels}
    return (by_name.get("children placed", 0), by_name.get("soft score", 0), -by_name.get("relaxations", 0))


# --- the steps of a run -------------------------------------------------------------------------------------


def claim(database: Database, parameters: BatchParameters, principal: Principal) -> int:
    """Write the run as ``running`` and return its id; ``BatchRunning`` when another run is going."""
    now = utcnow()
    with database.transaction() as session:
        repos = Repositories(session)
        for run_id in repos.batch_runs.abandon_stale(now, ABANDONED_AFTER_S):
            log.warning("batch_abandoned", match_run_id=run_id)
        return repos.batch_runs.claim(
            parameters=parameters.to_json(),
            actor=principal.username,
            revision=repos.snapshots.revision(),
            started_at=now,
        )


def prepare(database: Database, as_of: dt.date) -> PreparedRun:
    """Read the snapshot, its revision and the standing proposals, retrying while the revision moves."""
    for _ in range(READ_TRIES):
        with database.read_transaction() as session:
            repos = Repositories(session)
            before = repos.snapshots.revision()
            snapshot = repos.snapshots.load(as_of)
            previous = previous_proposals(repos)
            after = repos.snapshots.revision()
        if before == after:
            break
    index = SnapshotIndex.build(snapshot, "database")
    return PreparedRun(index, after, snapshot_hash(snapshot), previous)


def _store(
    repos: Repositories,
    run_id: int,
    prepared: PreparedRun,
    parameters: BatchParameters,
    answer: BatchAnswer,
    principal: Principal,
) -> tuple[BatchAnswer, dict[str, Any], bool]:
    """Write the run's outcome (see the module docstring); returns the answer as stored (without what
    no longer holds), the batch JSON and whether the scarcity prices changed. Call inside one
    transaction: it either all commits or none of it does."""
    first_look = repos.recommendations.open_from_runs_of_kind(BATCH)
    households = {p.household_id for m in answer.matches for p in m.placements}
    households |= {p.household_id for row in first_look for p in row.placements}
    requests = {m.request_id for m in answer.matches} | {row.request_id for row in first_look}
    repos.households.lock(households)
    repos.batch_runs.lock_requests(requests)
    revision = repos.batch_runs.revision_for_update()
    if revision != prepared.revision:
        # Duty workers went on working while the batch ran: keep only what still holds on the data as it
        # is now, read under the locks taken above (a proposal is a recommendation, re-checked on accept).
        snapshot = prepared.index.snapshot
        now = repos.snapshots.updated(snapshot, prepared.revision, revision, snapshot.as_of)
        answer = still_holding(answer, SnapshotIndex.build(now, "database"))
    standing = repos.recommendations.open_from_runs_of_kind(BATCH)
    params = parameters.to_json()
    levels = [level.to_json() for level in answer.levels]
    previous = repos.batch_runs.latest_successful(before=run_id)
    repeats = (
        previous is not None
        and previous.snapshot_hash == prepared.snapshot_hash
        and previous.parameters == params
        and previous.levels is not None
        and _plan_value(levels) <= _plan_value(previous.levels)
    )

    body = answer.to_json()
    by_request: dict[str, list[RecommendationRow]] = {}
    for row in standing:
        by_request.setdefault(row.request_id, []).append(row)
    added = kept = withdrawn = 0
    superseded = f"superseded by batch run {run_id}"
    for match, out in zip(answer.matches, body["matches"], strict=True):
        rows = by_request.pop(match.request_id, [])
        same = next((row for row in rows if _row_key(row) == _match_key(match)), None)
        if repeats:
            out["recommendation_id"] = same.id if same is not None else None
            kept += len(rows)
            continue
        for row in rows:
            if row is not same and repos.recommendations.close(row.id, WITHDRAWN, superseded):
                withdrawn += 1
        if same is not None:
            out["recommendation_id"] = same.id
            kept += 1
        else:
            (out["recommendation_id"],) = repos.recommendations.add_options(run_id, match.request_id, [_option(match)])
            added += 1
    for rows in by_request.values():  # requests the new plan leaves unmatched
        for row in rows:
            if repeats:
                kept += 1
            elif repos.recommendations.close(row.id, WITHDRAWN, f"{superseded}: no longer proposed"):
                withdrawn += 1

    in_force = repos.batch_runs.latest_scarcity_run_id()
    if in_force is not None and repos.batch_runs.scarcity(in_force) == answer.scarcity:
        scarcity_run_id = in_force
    else:
        repos.batch_runs.add_scarcity(run_id, answer.scarcity)
        scarcity_run_id = run_id
    repeats_run_id = previous.id if repeats and previous is not None else None

    repos.batch_runs.finish(
        run_id,
        status=answer.status,
        revision=prepared.revision,
        snapshot_hash=prepared.snapshot_hash,
        objective=answer.objective,
        bound=answer.bound,
        gap=answer.gap,
        children_placed=answer.children_placed,
        children_waiting=answer.children_waiting,
        levels=levels,
        timings=body["timings"],
        duration_ms=round(answer.timings.get("total_s", sum(answer.timings.values())) * 1000),
        finished_at=utcnow(),
        stage="stored",
        progress=1.0,
        proposals_added=added,
        proposals_kept=kept,
        proposals_withdrawn=withdrawn,
        scarcity_run_id=scarcity_run_id,
        repeats_run_id=repeats_run_id,
    )
    counts = {"added": added, "kept": kept, "withdrawn": withdrawn}
    record(
        repos,
        principal,
        "batch.run",
        "match_run",
        str(run_id),
        detail={
            "matches": len(answer.matches),
            "unplaced": len(answer.unplaced),
            **counts,
            "repeats_run_id": repeats_run_id,
            "scarcity_run_id": scarcity_run_id,
        },
    )
    log.info("batch", match_run_id=run_id, status=answer.status, matches=len(answer.matches), **counts)
    body.update(
        match_run_id=run_id,
        snapshot_hash=prepared.snapshot_hash,
        proposals=counts,
        repeats_run_id=repeats_run_id,
        scarcity_run_id=scarcity_run_id,
    )
    return answer, body, scarcity_run_id == run_id


class _ProgressWriter:
    """Forwards the solver's progress and writes each new stage to the run row (a short transaction)."""

    def __init__(self, database: Database, run_id: int, forward: Callable[[str, float], None] | None = None) -> None:
        self.database = database
        self.run_id = run_id
        self.forward = forward
        self.stage: str | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        if self.forward is not None:
            self.forward(stage, fraction)
        if stage == self.stage:
            return
        self.stage = stage
        try:
            with self.database.transaction() as session:
                BatchRunRepository(session).set_progress(self.run_id, stage, fraction)
        except Exception as error:  # progress is informative: never fail a run for it
            log.warning("batch_progress_not_written", match_run_id=self.run_id, error=type(error).__name__)


def _failure(error: BaseException) -> str:
    if isinstance(error, BatchRunning):
        return str(error)
    if isinstance(error, KeyboardInterrupt | SystemExit):
        return f"stopped ({type(error).__name__})"
    return f"{type(error).__name__}: {error}"


def execute(
    database: Database,
    run_id: int,
    parameters: BatchParameters,
    principal: Principal,
    as_of: dt.date,
    progress: Callable[[str, float], None] | None = None,
) -> RunResult:
    """Prepare, solve and store a claimed run. On any failure (or interruption) nothing of the outcome is
    written, the run is marked ``failed`` with the error, and the exception goes on to the caller."""
    try:
        writer = _ProgressWriter(database, run_id, progress)
        writer("reading the snapshot", 0.0)
        prepared = prepare(database, as_of)
        answer = solve_batch(prepared.index, parameters.settings(prepared.previous), progress=writer)
        with database.transaction() as session:
            answer, body, new_scarcity = _store(Repositories(session), run_id, prepared, parameters, answer, principal)
    except BaseException as error:
        try:
            with database.transaction() as session:
                BatchRunRepository(session).fail(run_id, _failure(error))
        except Exception as second:
            log.error("batch_failure_not_recorded", match_run_id=run_id, error=type(second).__name__)
        log.warning("batch_failed", match_run_id=run_id, error=type(error).__name__)
        raise
    return RunResult(run_id, prepared.index, answer, body, new_scarcity)


def dry_run(
    database: Database,
    parameters: BatchParameters,
    as_of: dt.date,
    progress: Callable[[str, float], None] | None = None,
) -> RunResult:
    """Solve as a run would (with the standing proposals as hints) and store nothing at all."""
    prepared = prepare(database, as_of)
    answer = solve_batch(prepared.index, parameters.settings(prepared.previous), progress=progress)
    body = answer.to_json()
    for out in body["matches"]:
        out["recommendation_id"] = None
    body.update(match_run_id=None, snapshot_hash=prepared.snapshot_hash)
    return RunResult(None, prepared.index, answer, body)


# --- the service's runner -------------------------------------------------------------------------------------


class BatchRunner:
    """Runs batch runs for the API: in a background thread (``start``) or in the caller's (``run_now``).

    One at a time per process (a run still going here answers ``BatchRunning`` at once) and across
    processes (the database's running slot, see ``claim``).
    """

    def __init__(
        self,
        database: Database,
        today: Callable[[], dt.date],
        on_new_scarcity: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        self.today = today
        self.on_new_scarcity = on_new_scarcity
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._run_id: int | None = None
        self._time_limit_s = 0.0

    def _check_idle(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._run_id is not None:
            raise BatchRunning(self._run_id)

    def start(self, parameters: BatchParameters, principal: Principal) -> int:
        """Claim a run and solve it in a background thread; returns the run id at once."""
        with self._lock:
            self._check_idle()
            run_id = claim(self.database, parameters, principal)
            thread = threading.Thread(
                target=self._work, args=(run_id, parameters, principal), name=f"placematch-batch-{run_id}", daemon=True
            )
            self._thread, self._run_id, self._time_limit_s = thread, run_id, parameters.time_limit_s
            thread.start()
        return run_id

    def run_now(self, parameters: BatchParameters, principal: Principal) -> RunResult:
        """Claim a run and solve it in this thread (``POST /batch``)."""
        with self._lock:
            self._check_idle()
            run_id = claim(self.database, parameters, principal)
        return self._finished(execute(self.database, run_id, parameters, principal, self.today()))

    def _finished(self, result: RunResult) -> RunResult:
        if result.new_scarcity and self.on_new_scarcity is not None:
            self.on_new_scarcity()
        return result

    def _work(self, run_id: int, parameters: BatchParameters, principal: Principal) -> None:
        with contextlib.suppress(Exception):  # ``execute`` has recorded and logged the failure on the run
            self._finished(execute(self.database, run_id, parameters, principal, self.today()))

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background run, if any; True when none is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def shutdown_wait(self) -> bool:
        """At shutdown: give a background run its time limit (plus a grace) to finish storing."""
        return self.wait(self._time_limit_s + SHUTDOWN_GRACE_S)


def batch_runner(services: Services) -> BatchRunner:
    """The process's runner; a run that stores new scarcity prices drops the kept rank answers."""
    runner = services.extras.get("batch_runner")
    if not isinstance(runner, BatchRunner):
        runner = BatchRunner(
            services.database, services.today, on_new_scarcity=lambda: matching_cache(services).forget_answers()
        )
        services.extras["batch_runner"] = runner
    return runner


def run_json(row: MatchRunRow) -> dict[str, Any]:
    """A batch run as the API shows it."""
    changed = None
    if row.proposals_added is not None:
        changed = bool(row.proposals_added or row.proposals_withdrawn or row.scarcity_run_id == row.id)
    return {
        "id": row.id,
        "status": row.status,
        "stage": row.stage,
        "progress": row.progress,
        "created_by": row.created_by,
        "started_at": row.started_at or row.created_at,
        "finished_at": row.finished_at,
        "parameters": row.parameters or {},
        "snapshot_hash": row.snapshot_hash,
        "revision": row.revision,
        "objective": row.objective,
        "bound": row.bound,
        "gap": row.gap,
        "children_placed": row.children_placed,
        "children_waiting": row.children_waiting,
        "levels": row.levels,
        "timings": row.timings,
        "proposals_added": row.proposals_added,
        "proposals_kept": row.proposals_kept,
        "proposals_withdrawn": row.proposals_withdrawn,
        "scarcity_run_id": row.scarcity_run_id,
        "repeats_run_id": row.repeats_run_id,
        "changed": changed,
        "error": row.error,
    }
