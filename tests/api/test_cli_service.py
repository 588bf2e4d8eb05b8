"""The service commands: ``db upgrade|current|downgrade``, ``users add|api-key``, and the database read by
``placematch rank`` without ``--snapshot``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api import cli_service
from domain.errors import InputError
from store import migrate
from store.db import Database
from store.repositories import Repositories
from tests import builders

runner = CliRunner()


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    cli_service.register(app)
    return app


def test_db_commands_and_users(cli: typer.Typer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with pytest.raises(InputError) as raised:
        cli_service.snapshot_from_database(url)
    assert "placematch db upgrade" in str(raised.value)

    assert runner.invoke(cli, ["db", "upgrade", "--database", url]).exit_code == 0
    current = runner.invoke(cli, ["db", "current", "--database", url])
    assert current.exit_code == 0 and current.stdout.strip() == migrate.head()
    assert cli_service.snapshot_from_database(url).households == []

    added = runner.invoke(cli, ["users", "add", "batch", "--role", "manager", "--database", url], input="s3cret-pass\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(cli, ["users", "add", "batch", "--role", "manager", "--password", "x" * 9, "--database", url])
    assert again.exit_code == 2
    bad_role = runner.invoke(cli, ["users", "add", "x", "--role", "king", "--password", "x" * 9, "--database", url])
    assert bad_role.exit_code == 2
    key = runner.invoke(cli, ["users", "api-key", "batch", "--name", "nightly", "--database", url])
    assert key.exit_code == 0 and key.stdout.startswith("pm_")
    assert runner.invoke(cli, ["users", "api-key", "ghost", "--database", url]).exit_code == 2

    assert runner.invoke(cli, ["db", "downgrade", "base", "--database", url]).exit_code == 0
    assert runner.invoke(cli, ["db", "current", "--database", url]).stdout.strip() == ""


def test_cli_batch_on_the_database_keeps_stdout_for_the_json(tmp_path: Path) -> None:
    """``placematch batch --database ... --json``: proposals stored, stdout one JSON object, logs on stderr."""
    url = f"sqlite:///{tmp_path / 'batch.sqlite'}"
    migrate.upgrade(url)
    database = Database(url)
    small = builders.snapshot([builders.household("H1")], [builders.child("C1")], [builders.request("R1")])
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(small, actor="test")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLACEMATCH_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "batch", "--database", url, "--time-limit", "2", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["matches"][0]["request_id"] == "R1"
    assert "stored 1 proposals" in result.stderr
    with database.transaction() as session:
        assert len(Repositories(session).recommendations.open_from_runs_of_kind("batch")) == 1
    database.dispose()
