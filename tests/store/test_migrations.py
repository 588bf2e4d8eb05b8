"""The migrations build exactly the schema of ``store.models``, and undo it, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store import migrate
from store.db import make_engine
from store.models import Base
from tests.store.databases import BACKENDS, new_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_matches_models_and_downgrade_removes_everything(backend: str, tmp_path: Path) -> None:
    with new_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            assert migrate.current(engine) is None

            migrate.upgrade(engine)
            assert migrate.current(engine) == migrate.head()
            tables = set(inspect(engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
            with engine.connect() as connection:
                differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == [], "models and migrations disagree; write a migration"

            migrate.downgrade(engine, "base")
            assert migrate.current(engine) is None
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

            migrate.upgrade(engine)
            assert migrate.current(engine) == migrate.head()
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_twice_is_harmless(backend: str, tmp_path: Path) -> None:
    with new_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        migrate.upgrade(url)
        assert migrate.current(url) == migrate.head()
