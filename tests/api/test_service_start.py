"""What the service does as it starts: ``placematch serve`` freezes its start-up objects out of the garbage
collector's full passes (they live as long as the process; walking them was the service's p95)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import cli_service
from api.app import create_app
from store.db import Database
from tests.api.conftest import settings_for


def test_an_app_set_to_freeze_freezes_its_start_up_objects(api_url: str, database: Database) -> None:
    settings = settings_for(api_url).model_copy(update={"freeze_at_start": True})
    gc.unfreeze()
    try:
        with TestClient(create_app(settings, database)) as client:
            assert gc.get_freeze_count() > 10_000, "the modules and the app were not frozen"
            assert client.get("/health").status_code == 200
    finally:
        gc.unfreeze()  # the test process is not a service: let its objects be collected again
    with TestClient(create_app(settings_for(api_url), database)):
        assert gc.get_freeze_count() == 0, "an app not set to freeze froze objects"


def test_serve_runs_an_app_set_to_freeze(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    cli_service.serve(database=f"sqlite:///{tmp_path / 'serve.sqlite'}")
    (app,) = served
    assert isinstance(app, FastAPI)
    assert app.state.services.settings.freeze_at_start
