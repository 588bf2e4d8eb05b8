"""API fixtures: the app on a migrated database (SQLite and PostgreSQL), users of every role, a client.

Argon2 runs at its lowest cost here so that signing in stays fast; the service's defaults are in
``api.settings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.auth import ROLES, PasswordHashing
from api.settings import Settings
from domain.snapshot import Snapshot
from store import migrate
from store.db import Database
from store.repositories import Repositories
from tests.store.databases import BACKENDS, empty_tables, new_database
from tests.store.samples import rich_snapshot

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 11, 23)


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        jwt_secret="test-secret-test-secret-test-secret",
        today=TODAY,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_json=True,
    )


@pytest.fixture(scope="session", params=BACKENDS)
def api_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("api-db")
    with new_database(request.param, folder) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def database(api_url: str) -> Iterator[Database]:
    database = Database(api_url)
    empty_tables(database)
    yield database
    database.dispose()


@pytest.fixture
def app(api_url: str, database: Database) -> FastAPI:
    app = create_app(settings_for(api_url), database)
    hashing = PasswordHashing(1, 64)
    with database.transaction() as session:
        repos = Repositories(session)
        for role in ROLES:
            repos.users.create(role, hashing.hash(PASSWORD), role)
    return app


class Api:
    """A test client that signs in as each role once and sends calls as any of them."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._headers: dict[str, dict[str, str]] = {}

    def token(self, username: str, password: str = PASSWORD) -> str:
        response = self.client.post("/auth/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def headers(self, role: str | None) -> dict[str, str]:
        if role is None:
            return {}
        if role not in self._headers:
            self._headers[role] = {"Authorization": f"Bearer {self.token(role)}"}
        return self._headers[role]

    def call(self, method: str, role: str | None, url: str, **kwargs: Any) -> Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        response: Response = self.client.request(method, url, headers=headers, **kwargs)
        return response

    def get(self, role: str | None, url: str, **kwargs: Any) -> Response:
        return self.call("GET", role, url, **kwargs)

    def post(self, role: str | None, url: str, **kwargs: Any) -> Response:
        return self.call("POST", role, url, **kwargs)

    def put(self, role: str | None, url: str, **kwargs: Any) -> Response:
        return self.call("PUT", role, url, **kwargs)

    def patch(self, role: str | None, url: str, **kwargs: Any) -> Response:
        return self.call("PATCH", role, url, **kwargs)

    def delete(self, role: str | None, url: str, **kwargs: Any) -> Response:
        return self.call("DELETE", role, url, **kwargs)

    def load(self, snapshot: Snapshot) -> None:
        """Import a snapshot as admin."""
        response = self.post("admin", "/snapshots/import", json=snapshot.model_dump(mode="json"))
        assert response.status_code == 200, response.text


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client)


@pytest.fixture
def loaded(api: Api) -> Api:
    """The API with ``tests.store.samples.rich_snapshot`` imported."""
    api.load(rich_snapshot())
    return api
