"""The database connection dropped in the middle of an accept, an import and a batch write.

Each fault is real (see ``tests.faults.inject``): on PostgreSQL the connection's server process is
killed, on SQLite the connection is closed under the statement. Each call must end with a clean error
(HTTP 503 naming no data, a failed batch run, CLI exit 1 with one line), nothing of it written, a store
passing every invariant, and a retry that succeeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api import batch, cli_interop
from api.cli_service import CLI_PRINCIPAL
from domain.snapshot import Snapshot
from interop.postcodes import read_postcodes
from store.db import Database
from store.repositories import Repositories
from store.repositories.postcodes import PostcodeRepository
from tests import builders
from tests.api.conftest import TODAY, Api
from tests.faults.consistency import assert_consistent, row_counts
from tests.faults.inject import drop_connection
from tests.store.samples import rich_snapshot

INTEROP = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def _two_requests() -> Snapshot:
    """Two single-child requests; H1 has one bed (only one of them can go there), H2 is an IFA home."""
    return builders.snapshot(
        [
            builders.household("H1", bedrooms_free=1),
            builders.household("H2", provider="ifa", weekly_cost_gbp=800),
        ],
        [builders.child("C1"), builders.child("C2", gender="male", date_of_birth="2017-03-02")],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )


def _option_in(api: Api, request_id: str, household_id: str) -> int:
    response = api.post("duty", f"/requests/{request_id}/rank", params={"top": 5})
    assert response.status_code == 200, response.text
    for option in response.json()["options"]:
        if {p["household_id"] for p in option["placements"]} == {household_id}:
            return int(option["recommendation_id"])
    raise AssertionError(f"no option for {request_id} in {household_id}")


def _assert_connection_lost(body: dict[str, Any]) -> None:
    (item,) = body["detail"]
    assert item["type"] == "unavailable" and "connection was lost" in item["msg"]


# The accept's statements in order: lock, place the children (current_children, bedrooms), close the
# request and the option, the decision, withdrawals, the audit event; then the commit.
ACCEPT_FAULTS = [
    pytest.param("^INSERT INTO current_children", False, id="placing-children"),
    pytest.param("^INSERT INTO decisions", False, id="writing-decision"),
    pytest.param("^INSERT INTO audit_events", False, id="writing-audit"),
    pytest.param(None, True, id="at-commit"),
]


@pytest.mark.parametrize(("statement", "at_commit"), ACCEPT_FAULTS)
def test_connection_dropped_mid_accept(api: Api, database: Database, statement: str | None, at_commit: bool) -> None:
    api.load(_two_requests())
    chosen = _option_in(api, "R1", "H1")
    rival = _option_in(api, "R2", "H1")
    before = row_counts(database)

    with drop_connection(database.engine, statement, at_commit=at_commit) as fault:
        response = api.post("duty", f"/recommendations/{chosen}/accept", json={"reason": "near school"})
    assert fault.fired, "the fault never struck"
    assert response.status_code == 503, response.text
    _assert_connection_lost(response.json())
    assert row_counts(database) == before
    assert api.get("duty", "/requests/R1").json()["status"] == "waiting"
    assert api.get("duty", f"/recommendations/{chosen}").json()["status"] == "open"
    assert api.get("duty", "/households/H1").json()["current_children"] == []
    assert_consistent(database)

    retried = api.post("duty", f"/recommendations/{chosen}/accept", json={"reason": "near school"})
    assert retried.status_code == 200, retried.text
    assert rival in retried.json()["withdrawn"]
    assert api.get("duty", "/requests/R1").json()["status"] == "placed"
    assert_consistent(database)


@pytest.mark.parametrize(
    ("statement", "at_commit"),
    [pytest.param("^INSERT INTO children", False, id="writing-children"), pytest.param(None, True, id="at-commit")],
)
def test_connection_dropped_mid_snapshot_import(
    api: Api, database: Database, statement: str | None, at_commit: bool
) -> None:
    api.load(_two_requests())
    exported = api.get("admin", "/snapshots/export").json()
    before = row_counts(database)

    with drop_connection(database.engine, statement, at_commit=at_commit) as fault:
        response = api.post("admin", "/snapshots/import", json=rich_snapshot().model_dump(mode="json"))
    assert fault.fired
    assert response.status_code == 503, response.text
    _assert_connection_lost(response.json())
    assert row_counts(database) == before
    assert api.get("admin", "/snapshots/export").json() == exported
    assert_consistent(database)

    retried = api.post("admin", "/snapshots/import", json=rich_snapshot().model_dump(mode="json"))
    assert retried.status_code == 200, retried.text
    assert_consistent(database)


def _cli() -> typer.Typer:
    app = typer.Typer()
    cli_interop.register(app)
    return app


def test_connection_dropped_mid_import_households(database: Database) -> None:
    with database.transaction() as session:
        PostcodeRepository(session).put_many(read_postcodes(INTEROP / "postcodes-onspd.csv"))
    url = database.url.render_as_string(hide_password=False)
    sheet = str(INTEROP / "households.csv")
    before = row_counts(database)

    with drop_connection(Engine, "^INSERT INTO approvals") as fault:  # the engine the command makes
        result = CliRunner().invoke(_cli(), ["import-households", sheet, "--database", url])
    assert fault.fired
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr  # (psycopg may add a warning line of its own on PostgreSQL)
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"placematch: error: {sheet}: the database failed") and "nothing was written" in line
    assert row_counts(database) == before
    assert_consistent(database)

    retried = CliRunner().invoke(_cli(), ["import-households", sheet, "--database", url])
    assert retried.exit_code == 0, retried.output
    with database.read_transaction() as session:
        assert Repositories(session).households.page().total == 8
    assert_consistent(database)


def _load(database: Database, snapshot: Snapshot) -> None:
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(snapshot, actor="test")


# The batch's store transaction: recommendations, then the run's figures, then its audit event.
BATCH_FAULTS = ["^INSERT INTO recommendations", "^UPDATE match_runs SET status", "^INSERT INTO audit_events"]


@pytest.mark.parametrize("statement", BATCH_FAULTS)
def test_connection_dropped_mid_batch_write(database: Database, statement: str) -> None:
    _load(database, _two_requests())
    parameters = batch.BatchParameters(time_limit_s=5.0)
    before = row_counts(database)
    run_id = batch.claim(database, parameters, CLI_PRINCIPAL)

    with drop_connection(database.engine, statement) as fault, pytest.raises(DBAPIError) as raised:
        batch.execute(database, run_id, parameters, CLI_PRINCIPAL, TODAY)
    assert fault.fired
    assert raised.value.connection_invalidated
    with database.read_transaction() as session:
        run = Repositories(session).batch_runs.get(run_id)
        assert run is not None
        assert run.status == "failed" and run.error is not None and type(raised.value).__name__ in run.error
        assert run.proposals_added is None
    after = row_counts(database)
    assert after["match_runs"] == before["match_runs"] + 1  # the failed run, recorded as failed
    assert {k: v for k, v in after.items() if k != "match_runs"} == {
        k: v for k, v in before.items() if k != "match_runs"
    }
    assert_consistent(database)

    again = batch.claim(database, parameters, CLI_PRINCIPAL)
    result = batch.execute(database, again, parameters, CLI_PRINCIPAL, TODAY)
    assert result.body["proposals"]["added"] == len(result.answer.matches) > 0
    assert_consistent(database)


def test_connection_dropped_mid_batch_in_the_api_is_a_clean_503(api: Api, database: Database) -> None:
    api.load(_two_requests())
    before = row_counts(database)
    with drop_connection(database.engine, "^INSERT INTO recommendations") as fault:
        response = api.post("manager", "/batch", json={"time_limit_s": 5})
    assert fault.fired
    assert response.status_code == 503, response.text
    _assert_connection_lost(response.json())
    runs = api.get("manager", "/batch/runs").json()["items"]
    assert [r["status"] for r in runs] == ["failed"]
    assert row_counts(database)["recommendations"] == before["recommendations"]
    assert_consistent(database)
    assert api.post("manager", "/batch", json={"time_limit_s": 5}).status_code == 200
    assert_consistent(database)
