"""Nightly batch runs: claiming the one running slot, progress, figures, failure, and household scarcity.

A batch run is a ``match_runs`` row of kind ``batch``. It is claimed as ``running`` (a partial unique
index lets one run at a time, whichever process starts it), reports its stage as it goes, and ends as
``optimal``, ``feasible`` or ``failed``. Its scarcity prices (points and reason per household) are kept
in ``batch_scarcity`` under the run that computed them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from store.db import REVISION_KEY
from store.errors import Conflict
from store.models import BatchScarcityRow, MatchRunRow, RequestRow, StoreMeta, utcnow
from store.repositories.base import Page, Repository, core_table

BATCH = "batch"
RUNNING = "running"
FAILED = "failed"
#: Statuses of a run that finished with proposals (a legal plan, proven best or not).
SUCCESSFUL = ("optimal", "feasible")
#: Longest error message kept on a failed run.
ERROR_LENGTH = 2000


_META, _RUNS = core_table(StoreMeta), core_table(MatchRunRow)


def _newest_batch_run(status: str) -> ColumnElement[int]:
    """The id of the newest batch run with ``status`` (0: none). The kind and status are written into the
    SQL, not bound: a bound status makes SQLite plan the statement afresh on every call (the partial
    index on running runs might apply), and with both known ``max(id)`` is read off the end of the
    (kind, status) index."""
    newest = (
        select(func.max(_RUNS.c.id))
        .where(_RUNS.c.kind == literal_column(f"'{BATCH}'"), _RUNS.c.status == literal_column(f"'{status}'"))
        .scalar_subquery()
    )
    return func.coalesce(newest, literal_column("0"))


def _newest_successful_batch_run() -> ColumnElement[int]:
    """The id of the newest successful batch run (0: none): the greatest of the newest of each status."""
    newest = [_newest_batch_run(status) for status in SUCCESSFUL]
    latest = newest[0]
    for other in newest[1:]:
        latest = case((other > latest, other), else_=latest)
    return latest


#: The revision and the standing scarcity run, built once: ranking runs it on every call. Core tables, not
#: the mapped classes (an ORM select costs the session's ORM bookkeeping every time), and no IN list over
#: the statuses nor a sort of the runs (SQLite sets up a sorter for that: 30 us of a 35 us statement).
_REVISION_AND_SCARCITY_RUN = select(
    select(_META.c.value).where(_META.c.key == REVISION_KEY).scalar_subquery(),
    select(_RUNS.c.scarcity_run_id).where(_RUNS.c.id == _newest_successful_batch_run()).scalar_subquery(),
)


class BatchRunning(Conflict):
    """Another batch run holds the running slot."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        super().__init__(f"batch run {run_id} is still running; wait for it to finish", code="batch_running")


class BatchRunRepository(Repository):
    """All SQL about batch runs and the scarcity they store."""

    def claim(self, *, parameters: dict[str, Any], actor: str, revision: int, started_at: dt.datetime) -> int:
        """Record a new run as ``running``; ``BatchRunning`` when another one already is.

        The partial unique index decides between two processes starting at once; the savepoint keeps the
        caller's transaction usable after the loser's insert fails.
        """
        running = self.running()
        if running is not None:
            raise BatchRunning(running.id)
        try:
            with self.session.begin_nested():
                run_id: int | None = self.session.scalar(
                    insert(core_table(MatchRunRow))
                    .values(
                        kind=BATCH,
                        request_id=None,
                        status=RUNNING,
                        revision=revision,
                        duration_ms=0,
                        created_by=actor,
                        created_at=started_at,
                        started_at=started_at,
                        parameters=parameters,
                        stage="starting",
                        progress=0.0,
                    )
                    .returning(core_table(MatchRunRow).c.id)
                )
        except IntegrityError:
            running = self.running()
            raise BatchRunning(running.id if running is not None else 0) from None
        assert run_id is not None
        return run_id

    def running(self) -> MatchRunRow | None:
        """The batch run holding the running slot, if any."""
        return self.session.scalar(select(MatchRunRow).where(MatchRunRow.kind == BATCH, MatchRunRow.status == RUNNING))

    def abandon_stale(self, now: dt.datetime, grace_s: float) -> list[int]:
        """Fail running runs past their time limit plus ``grace_s``: the process running them has stopped."""
        abandoned = []
        for row in self.session.scalars(
            select(MatchRunRow).where(MatchRunRow.kind == BATCH, MatchRunRow.status == RUNNING)
        ):
            limit = float((row.parameters or {}).get("time_limit_s", 0.0))
            started = row.started_at or row.created_at
            if now > started + dt.timedelta(seconds=limit + grace_s):
                message = "abandoned: the process running it stopped before it finished"
                self.fail(row.id, message, now)
                abandoned.append(row.id)
        return abandoned

    def set_progress(self, run_id: int, stage: str, progress: float) -> None:
        self.session.execute(
            update(MatchRunRow)
            .where(MatchRunRow.id == run_id, MatchRunRow.status == RUNNING)
            .values(stage=stage[:64], progress=progress)
            .execution_options(synchronize_session=False)
        )

    def finish(self, run_id: int, **values: Any) -> None:
        """Record a run's result (status, figures, counts); only a running run can finish."""
        result = self.session.execute(
            update(MatchRunRow)
            .where(MatchRunRow.id == run_id, MatchRunRow.status == RUNNING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            raise Conflict(f"batch run {run_id} is no longer running (it was stopped or abandoned)", "run_id")

    def fail(self, run_id: int, error: str, finished_at: dt.datetime | None = None) -> bool:
        """Mark a running run failed; False when it had already ended."""
        finished = finished_at or utcnow()
        result = self.session.execute(
            update(MatchRunRow)
            .where(MatchRunRow.id == run_id, MatchRunRow.status == RUNNING)
            .values(status=FAILED, error=error[:ERROR_LENGTH], finished_at=finished)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def get(self, run_id: int) -> MatchRunRow | None:
        return self.session.scalar(select(MatchRunRow).where(MatchRunRow.id == run_id, MatchRunRow.kind == BATCH))

    def page(self, *, status: str | None = None, limit: int = 50, offset: int = 0) -> Page[MatchRunRow]:
        """Batch runs, newest first."""
        query = select(MatchRunRow).where(MatchRunRow.kind == BATCH)
        if status is not None:
            query = query.where(MatchRunRow.status == status)
        rows, total = self._page(query, [MatchRunRow.id.desc()], limit, offset)
        return Page(rows, total)

    def latest_successful(self, before: int | None = None) -> MatchRunRow | None:
        """The newest run that finished with proposals (optionally, older than run ``before``)."""
        query = select(MatchRunRow).where(MatchRunRow.kind == BATCH, MatchRunRow.status.in_(SUCCESSFUL))
        if before is not None:
            query = query.where(MatchRunRow.id < before)
        return self.session.scalar(query.order_by(MatchRunRow.id.desc()).limit(1))

    def latest_scarcity_run_id(self) -> int | None:
        """The run whose scarcity stands: the one named by the newest successful run (None: no run yet).

        One indexed lookup: ranking asks it on every call, to key its cache on the scarcity in force.
        """
        return self.session.scalar(
            select(MatchRunRow.scarcity_run_id)
            .where(MatchRunRow.kind == BATCH, MatchRunRow.status.in_(SUCCESSFUL))
            .order_by(MatchRunRow.id.desc())
            .limit(1)
        )

    def revision_and_scarcity_run_id(self) -> tuple[int, int | None]:
        """The snapshot revision and ``latest_scarcity_run_id`` in one round trip (ranking asks both on every call)."""
        row = self.session.execute(_REVISION_AND_SCARCITY_RUN).one()
        return int(row[0] or 0), row[1]

    def scarcity(self, run_id: int) -> dict[str, tuple[int, str]]:
        """Household id -> (points, reason) as run ``run_id`` stored them."""
        rows = self.session.execute(
            select(BatchScarcityRow.household_id, BatchScarcityRow.points, BatchScarcityRow.reason)
            .where(BatchScarcityRow.match_run_id == run_id)
            .order_by(BatchScarcityRow.household_id)
        )
        return {household_id: (points, reason) for household_id, points, reason in rows}

    def add_scarcity(self, run_id: int, scarcity: Mapping[str, tuple[int, str]]) -> None:
        if not scarcity:
            return
        rows = [
            {"match_run_id": run_id, "household_id": household_id, "points": int(points), "reason": reason}
            for household_id, (points, reason) in sorted(scarcity.items())
        ]
        self.session.execute(insert(core_table(BatchScarcityRow)), rows)

    def count_scarcity(self, run_id: int) -> int:
        return (
            self.session.scalar(
                select(func.count()).select_from(BatchScarcityRow).where(BatchScarcityRow.match_run_id == run_id)
            )
            or 0
        )

    def lock_requests(self, request_ids: Iterable[str]) -> None:
        """Lock requests in id order, as accepting a recommendation does (after its households).

        ``FOR NO KEY UPDATE`` (PostgreSQL): a decision on one of these requests waits for the batch's
        transaction, or the batch waits for the decision and then sees the revision it bumped.
        """
        ids = sorted(set(request_ids))
        if ids:
            self.session.execute(
                select(RequestRow.id)
                .where(RequestRow.id.in_(ids))
                .order_by(RequestRow.id)
                .with_for_update(key_share=True)
            ).all()

    def revision_for_update(self) -> int:
        """The snapshot revision, locked until the transaction ends: no snapshot change commits meanwhile."""
        value = self.session.scalar(select(StoreMeta.value).where(StoreMeta.key == REVISION_KEY).with_for_update())
        return value or 0
