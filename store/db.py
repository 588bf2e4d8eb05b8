"""Engines and transactions for the two databases we support: embedded SQLite and PostgreSQL.

SQLite: every transaction starts with ``BEGIN IMMEDIATE`` so that writers queue on the database lock
(busy timeout) instead of failing half-way when a read turns into a write; WAL lets readers go on
meanwhile (``read_transaction`` starts a plain deferred ``BEGIN``); foreign keys are switched on for
every connection.
PostgreSQL: READ COMMITTED with explicit row locks where two writers could collide (see
``store.repositories.recommendations``).

Every transaction that changes snapshot data (households, children, requests, policy) bumps the
``revision`` counter just before it commits, so readers can cache the snapshot per revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from store.models import StoreMeta

#: Seconds a SQLite writer waits for the database lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0

#: Key of the ``store_meta`` row counting changes to snapshot data.
REVISION_KEY = "revision"

_CHANGED = "placematch_snapshot_changed"

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


def _prepare_sqlite_file(url: URL) -> None:
    """Create the folder of a SQLite file database, so a first run needs no setup."""
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine configured for our transaction rules on SQLite or PostgreSQL."""
    parsed = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)  # error messages must never carry a child's data into logs
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}, **kwargs
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
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def mark_snapshot_changed(session: Session) -> None:
    """Note that this transaction changes snapshot data; the revision is bumped when it commits."""
    session.info[_CHANGED] = True


def snapshot_changed(session: Session) -> bool:
    """Whether this transaction has changed snapshot data that it has not committed yet."""
    return bool(session.info.get(_CHANGED))


def _bump_revision(session: Session) -> None:
    """Bump the revision last of all, so that its row lock is the last one a writer takes."""
    if session.info.pop(_CHANGED, False):
        session.execute(update(StoreMeta).where(StoreMeta.key == REVISION_KEY).values(value=StoreMeta.value + 1))


def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


class Database:
    """One database: its engine and a factory of ORM sessions that follow our transaction rules."""

    def __init__(self, url: str | URL, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "before_commit", _bump_revision)
        event.listen(self.sessions, "after_rollback", _forget_changes)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

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
