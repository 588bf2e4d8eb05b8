"""Test databases on both backends: a SQLite file, or a PostgreSQL database made for this run and dropped after.

PostgreSQL is at ``PLACEMATCH_TEST_POSTGRES_URL`` (default: the local server's ``test`` database, used
only to create and drop uniquely named databases, so parallel runs never collide). Where it is
missing, tests skip, except in CI (``CI=true``), where a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.engine import make_url

from store.db import REVISION_KEY, Database
from store.models import Base, StoreMeta
from store.scratch import scratch_postgres_database

POSTGRES_ADMIN_URL = os.environ.get("PLACEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_problem() -> str | None:
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except Exception as error:  # any failure to connect means "no PostgreSQL here"
        return f"{type(error).__name__}: {error}".splitlines()[0]
    finally:
        engine.dispose()


_PROBLEM: list[str | None] = []


def require_postgres() -> None:
    """Skip (or, in CI, fail) the calling test when PostgreSQL cannot be reached."""
    if not _PROBLEM:
        _PROBLEM.append(_postgres_problem())
    problem = _PROBLEM[0]
    if problem is None:
        return
    message = f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is not reachable: {problem}"
    if in_ci():
        pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
    pytest.skip(message)


@contextmanager
def new_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a brand-new empty database on ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'placematch-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    require_postgres()
    with scratch_postgres_database(POSTGRES_ADMIN_URL, "placematch_test") as url:
        yield url


def empty_tables(database: Database) -> None:
    """Delete every row (children before parents) and reset the revision: a clean slate for one test."""
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != StoreMeta.__tablename__:
                session.execute(delete(table))
        session.execute(update(StoreMeta).where(StoreMeta.key == REVISION_KEY).values(value=0))
    database.dispose()
