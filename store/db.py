"""Engines and transactions for the two databases we support: embedded SQLite and PostgreSQL.

SQLite: every transaction starts with ``BEGIN IMMEDIATE`` so that writers queue on the database lock
(busy timeout) instead of failing half-way when a read turns into a write; WAL lets readers go on
meanwhile (``read_transaction`` starts a plain deferred ``BEGIN``); foreign keys are switched on for
every connection.
PostgreSQL: READ COMMITTED with explicit row locks where two writers could collide (see
``store.repositories.recommendations``).

Every transaction that changes snapshot data (households, children, requests, policy) bumps the
``revision`` counter just before it commits, so readers can cache the snapshot per revision, and records
which households, children and requests it changed (``snapshot_changes``), so a reader holding an older
revision reloads only those. The ids come from the ORM's unit of work (every new, changed or deleted row
of a snapshot table, mapped to its household, child or request) and from ``mark_snapshot_changed``,
which statements outside the unit of work (bulk updates and deletes) must call; a mark without ids
means "everything changed".
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from store.models import (
    ApprovalRow,
    ChildRow,
    CurrentChildRow,
    DoNotPlaceRow,
    ExemptionRow,
    HoldRow,
    HouseholdRow,
    PolicyRow,
    RequestChildRow,
    RequestRow,
    SnapshotChangeRow,
    StoreMeta,
)

#: Seconds a SQLite writer waits for the database lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0

#: Key of the ``store_meta`` row counting changes to snapshot data.
REVISION_KEY = "revision"

_CHANGED = "placematch_snapshot_changed"

#: Revisions whose changes are kept; a reader further behind than this reloads the whole snapshot.
CHANGES_KEPT = 1000
#: Ids one transaction records at most; past this (a whole import) it records "everything changed".
CHANGED_IDS_MAX = 500

#: Execution option marking an engine whose transactions only read (SQLite: a plain deferred BEGIN).
READ_ONLY_OPTION = "placematch_read_only"


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL; a bare ``postgresql://`` means the psycopg 3 driver we ship."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    return normalise_url(url).get_backend_name() == "sqlite"


def is_sqlite_busy(error: OperationalError) -> bool:
    """Whether SQLite refused a statement because another connection holds a lock it needs."""
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlite_errorname", "")
    return code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(orig)


def _prepare_sqlite_file(url: URL) -> None:
    """Create the folder of a SQLite file database, so a first run needs no setup."""
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str | URL, *, sqlite_busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S, **kwargs: Any) -> Engine:
    """An engine configured for our transaction rules on SQLite (a writer waits up to ``sqlite_busy_timeout_s``
    for the write lock) or PostgreSQL."""
    parsed = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)  # error messages must never carry a child's data into logs
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        engine = create_engine(
            parsed, connect_args={"timeout": sqlite_busy_timeout_s, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see the module docstring)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(parsed, **_postgres_engine_kwargs(kwargs))


def _postgres_engine_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A PostgreSQL engine's pool, the same for its threads' engine and its event loops' engines."""
    return {"hide_parameters": True, "pool_size": 10, "max_overflow": 20, "pool_pre_ping": True, **kwargs}


@dataclass
class SnapshotChanges:
    """What one or more transactions changed in the snapshot: ids by kind, or everything."""

    everything: bool = False
    households: set[str] = field(default_factory=set)
    children: set[str] = field(default_factory=set)
    requests: set[str] = field(default_factory=set)

    def add(self, kind: str, entity_id: str | None) -> None:
        if kind == "all" or entity_id is None:
            self.everything = True
        else:
            {"household": self.households, "child": self.children, "request": self.requests}[kind].add(entity_id)

    def merged(self, other: SnapshotChanges) -> SnapshotChanges:
        return SnapshotChanges(
            self.everything or other.everything,
            self.households | other.households,
            self.children | other.children,
            self.requests | other.requests,
        )

    def rows(self) -> list[tuple[str, str | None]]:
        """(kind, id) per change; one ("all", None) when everything changed or the ids are too many."""
        ids = [
            *(("household", i) for i in sorted(self.households)),
            *(("child", i) for i in sorted(self.children)),
            *(("request", i) for i in sorted(self.requests)),
        ]
        return [("all", None)] if self.everything or not ids or len(ids) > CHANGED_IDS_MAX else list(ids)


def _changes(session: Session) -> SnapshotChanges:
    changes = session.info.get(_CHANGED)
    if not isinstance(changes, SnapshotChanges):
        changes = session.info[_CHANGED] = SnapshotChanges()
    return changes


def mark_snapshot_changed(
    session: Session, *, households: Iterable[str] = (), children: Iterable[str] = (), requests: Iterable[str] = ()
) -> None:
    """Note that this transaction changes snapshot data: these records, or (given no ids) everything.

    The revision is bumped and the changes recorded when it commits.
    """
    changes = _changes(session)
    named = [list(households), list(children), list(requests)]
    changes.households.update(named[0])
    changes.children.update(named[1])
    changes.requests.update(named[2])
    if not any(named):
        changes.everything = True


def snapshot_changed(session: Session) -> bool:
    """Whether this transaction has changed snapshot data that it has not committed yet."""
    return _CHANGED in session.info


def pending_changes(session: Session) -> SnapshotChanges:
    """What this transaction has changed so far and not committed (flushed first, so nothing is missed)."""
    session.flush()
    return _changes(session)


#: Snapshot tables and how a row names the record it belongs to.
_OWNERS: dict[type[Any], tuple[str, str]] = {
    HouseholdRow: ("household", "id"),
    ApprovalRow: ("household", "household_id"),
    ExemptionRow: ("household", "household_id"),
    HoldRow: ("household", "household_id"),
    CurrentChildRow: ("household", "household_id"),
    DoNotPlaceRow: ("household", "household_id"),
    ChildRow: ("child", "id"),
    RequestRow: ("request", "id"),
    RequestChildRow: ("request", "request_id"),
    PolicyRow: ("all", "id"),
}


def _track_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Record every snapshot record the unit of work is about to insert, change or delete."""
    for row in [*session.new, *session.dirty, *session.deleted]:
        owner = _OWNERS.get(type(row))
        if owner is None or (row in session.dirty and not session.is_modified(row)):
            continue
        kind, attribute = owner
        entity_id = getattr(row, attribute, None)
        if kind == "all":
            _changes(session).everything = True
        elif entity_id is not None:
            _changes(session).add(kind, str(entity_id))
        # A new row without its owner's id yet was added through the owner's collection, which marks
        # the owner itself as changed.


def _bump_revision(session: Session) -> None:
    """Bump the revision and record what changed, last of all, so its row lock is the last a writer takes."""
    session.flush()  # the commit's own flush comes after this hook: record what it would write first
    changes = session.info.pop(_CHANGED, None)
    if not isinstance(changes, SnapshotChanges):
        return
    session.execute(update(StoreMeta).where(StoreMeta.key == REVISION_KEY).values(value=StoreMeta.value + 1))
    revision = session.scalar(select(StoreMeta.value).where(StoreMeta.key == REVISION_KEY))
    if revision is None:  # no counter row (a database not made by our migrations): nothing to record against
        return
    rows = [{"revision": revision, "kind": kind, "entity_id": entity_id} for kind, entity_id in changes.rows()]
    session.execute(insert(SnapshotChangeRow), rows)
    session.execute(delete(SnapshotChangeRow).where(SnapshotChangeRow.revision <= revision - CHANGES_KEPT))


def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


class TrackedSession(Session):
    """A session that writes: it records what it changed and bumps the revision as it commits."""


event.listen(TrackedSession, "before_flush", _track_flush)
event.listen(TrackedSession, "before_commit", _bump_revision)
event.listen(TrackedSession, "after_rollback", _forget_changes)


def _tracked_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=TrackedSession, expire_on_commit=False)


class Database:
    """One database: its engine and a factory of ORM sessions that follow our transaction rules."""

    def __init__(self, url: str | URL, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = _tracked_sessions(self.engine)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        #: SQLite only: sessions whose connections never wait for the write lock (``database is locked`` at
        #: once instead), for work done on the event loop, which must not stall behind another writer.
        self.nowait_engine: Engine | None = None
        self.nowait_sessions: sessionmaker[Session] | None = None
        if self.is_sqlite and self.url.database not in (None, "", ":memory:") and "memory" not in str(self.url):
            self.nowait_engine = make_engine(self.url, sqlite_busy_timeout_s=0, **engine_kwargs)
            self.nowait_sessions = _tracked_sessions(self.nowait_engine)
        self._engine_kwargs = engine_kwargs
        self._loop_engines: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[AsyncEngine, async_sessionmaker[AsyncSession]]
        ] = weakref.WeakKeyDictionary()

    def loop_sessions(self) -> async_sessionmaker[AsyncSession] | None:
        """PostgreSQL only: sessions for work done on the running event loop (None on SQLite).

        Their connections are psycopg's asynchronous ones: a statement waits on the loop, where a worker
        thread's would wait holding a thread and then queue for the GIL; ``AsyncSession.run_sync`` runs the
        same synchronous code (repositories, ``TrackedSession``) on them. A connection belongs to the loop
        it was made on, so each loop has its own engine; ``dispose_loop_sessions`` closes it.
        """
        if self.is_sqlite:
            return None
        loop = asyncio.get_running_loop()
        found = self._loop_engines.get(loop)
        if found is None:
            engine = create_async_engine(self.url, **_postgres_engine_kwargs(self._engine_kwargs))
            sessions = async_sessionmaker(engine, sync_session_class=TrackedSession, expire_on_commit=False)
            found = self._loop_engines[loop] = (engine, sessions)
        return found[1]

    async def dispose_loop_sessions(self) -> None:
        """Close the running loop's connections (when the app stops: they cannot outlive their loop)."""
        found = self._loop_engines.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it takes no write lock, so it never queues behind writers.

        Writing in it is a mistake the database may refuse (SQLite: busy); use ``transaction`` to write.
        """
        with self.read_sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.nowait_engine is not None:
            self.nowait_engine.dispose()
