"""Store fixtures: one migrated database per backend for the session, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store import migrate
from store.db import Database
from tests.store.databases import BACKENDS, empty_tables, new_database


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("store-db")
    with new_database(request.param, folder) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def database(migrated_url: str) -> Iterator[Database]:
    database = Database(migrated_url)
    empty_tables(database)
    yield database
    database.dispose()
