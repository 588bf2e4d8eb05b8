"""The nightly batch through the service: background runs, proposals as recommendations, scarcity in ranking.

On SQLite and PostgreSQL (the ``api`` fixtures); small snapshots that solve in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from api import batch, cli, cli_service
from matching.batch import solve_batch
from store.db import Database
from store.models import BatchScarcityRow, MatchRunRow, RecommendationRow
from store.repositories import Repositories
from tests import builders
from tests.api.conftest import Api
from tests.api.test_roles import _routes
from tests.matching.test_expected import sibling_home_case
from tests.store.test_batch_runs import ONLY_HOME_OF_R007, siblings_and_one

BATCH_ROUTES = {("POST", "/batch/runs"), ("GET", "/batch/runs"), ("GET", "/batch/runs/{run_id}"), ("POST", "/batch")}


def _waiting_pair() -> Any:
    return builders.snapshot(
        [builders.household("H1", bedrooms_free=1), builders.household("H2", provider="ifa", weekly_cost_gbp=800)],
        [builders.child("C1"), builders.child("C2", gender="male")],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )


def _url(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def _count(database: Database, model: Any, **where: Any) -> int:
    with database.read_transaction() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query) or 0


def _runner(app: FastAPI) -> batch.BatchRunner:
    return batch.batch_runner(app.state.services)


def _finished(api: Api, app: FastAPI, run_id: int) -> dict[str, Any]:
    assert _runner(app).wait(600), "the background run did not finish"  # a hang guard, not a time limit
    response = api.get("manager", f"/batch/runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class Held:
    """``entered`` is set when a background solve starts (its earlier stages written); it then waits for
    ``release``. The waits are hang guards only: no step depends on how fast the machine is."""

    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    """Background solves wait until the test releases them, so a run can be seen while it runs."""
    events = Held()
    real = solve_batch

    def waiting(*args: Any, **kwargs: Any) -> Any:
        events.entered.set()
        assert events.release.wait(600), "the test never released the solve"
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "solve_batch", waiting)
    yield events
    events.release.set()


def test_the_route_walk_covers_the_batch_routes(app: FastAPI) -> None:
    roles = {(method, path): allowed for method, path, allowed in _routes(app)}
    assert set(roles) >= BATCH_ROUTES
    assert roles[("POST", "/batch/runs")] == roles[("POST", "/batch")] == frozenset({"manager"})
    assert roles[("GET", "/batch/runs/{run_id}")] == frozenset({"duty", "manager"})


def test_starting_a_run_needs_a_manager(api: Api) -> None:
    assert api.post(None, "/batch/runs", json={}).status_code == 401
    for role in ("duty", "planner", "admin"):
        assert api.post(role, "/batch/runs", json={}).status_code == 403
    assert api.get(None, "/batch/runs").status_code == 401
    assert api.get("planner", "/batch/runs/1").status_code == 403


def test_background_run_lifecycle(api: Api, app: FastAPI, database: Database, held: Held) -> None:
    api.load(_waiting_pair())
    started = api.post("manager", "/batch/runs", json={"time_limit_s": 5, "workers": 1})
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "running" and run["created_by"] == "manager" and run["finished_at"] is None
    assert started.headers["location"] == f"/batch/runs/{run['id']}"
    assert run["parameters"]["time_limit_s"] == 5 and run["parameters"]["workers"] == 1

    again = api.post("manager", "/batch/runs", json={"time_limit_s": 5})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "batch_running"
    assert api.post("manager", "/batch", json={"time_limit_s": 5}).status_code == 409
    showing = api.get("duty", f"/batch/runs/{run['id']}").json()
    assert showing["status"] == "running" and showing["stage"] in {"starting", "reading the snapshot"}
    assert held.entered.wait(600), "the background run never reached the solve"  # the thread wrote the stage
    showing = api.get("duty", f"/batch/runs/{run['id']}").json()
    assert showing["status"] == "running" and showing["stage"] == "reading the snapshot" and showing["progress"] == 0

    held.release.set()
    done = _finished(api, app, run["id"])
    assert done["status"] == "optimal" and done["stage"] == "stored" and done["progress"] == 1.0
    assert (done["children_placed"], done["children_waiting"]) == (2, 2)
    assert done["gap"] == 0.0 and done["objective"] == done["bound"] and done["timings"]["total_s"] > 0
    assert len(done["snapshot_hash"]) == 64 and done["proposals_added"] == 2 and done["changed"] is True
    assert done["finished_at"] >= done["started_at"]

    listed = api.get("manager", "/batch/runs").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == run["id"]
    assert api.get("manager", "/batch/runs?status=failed").json() == {"items": [], "total": 0}
    assert api.get("manager", "/batch/runs/999999").status_code == 404

    proposals = api.get("duty", "/recommendations?status=open").json()
    assert proposals["total"] == 2
    assert api.get("duty", "/requests/R1").json()["status"] == "waiting", "a proposal is not a placement"

    second = api.post("manager", "/batch/runs", json={"time_limit_s": 5, "workers": 1})
    assert second.status_code == 202, "the slot is free once a run has finished"
    repeat = _finished(api, app, second.json()["id"])
    assert repeat["repeats_run_id"] == run["id"] and repeat["changed"] is False
    assert api.get("duty", "/recommendations").json()["total"] == 2, "the re-run duplicated nothing"


def test_a_failing_background_run_is_shown_failed(api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    api.load(_waiting_pair())

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(batch, "solve_batch", broken)
    run_id = api.post("manager", "/batch/runs", json={"time_limit_s": 5}).json()["id"]
    failed = _finished(api, app, run_id)
    assert failed["status"] == "failed" and failed["error"] == "RuntimeError: solver crashed"
    assert api.get("duty", "/recommendations").json()["total"] == 0
    monkeypatch.undo()
    assert api.post("manager", "/batch/runs", json={"time_limit_s": 5}).status_code == 202


def test_batch_proposes_and_a_proposal_can_be_accepted(api: Api) -> None:
    api.load(_waiting_pair())
    first = api.post("manager", "/batch", json={"time_limit_s": 5})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] in {"optimal", "feasible"} and len(body["matches"]) == 2
    households = sorted(p["household_id"] for m in body["matches"] for p in m["placements"])
    assert households == ["H1", "H2"], "one bed each: the batch must not give both children H1"
    assert api.get("manager", f"/batch/runs/{body['match_run_id']}").json()["status"] == body["status"]

    second = api.post("manager", "/batch", json={"time_limit_s": 5}).json()
    assert {m["recommendation_id"] for m in second["matches"]} == {m["recommendation_id"] for m in body["matches"]}
    assert second["proposals"] == {"added": 0, "kept": 2, "withdrawn": 0}

    proposal = next(m for m in second["matches"] if m["request_id"] == "R1")
    accepted = api.post("duty", f"/recommendations/{proposal['recommendation_id']}/accept", json={"reason": "batch"})
    assert accepted.status_code == 200, accepted.text

    third = api.post("manager", "/batch", json={"time_limit_s": 5}).json()
    assert [m["request_id"] for m in third["matches"]] == ["R2"], "R1 is placed: no longer in the batch"
    assert third["proposals"]["kept"] == 1


def test_dry_run_stores_nothing(api: Api, database: Database) -> None:
    api.load(_waiting_pair())
    dry = api.post("manager", "/batch", json={"time_limit_s": 5, "dry_run": True}).json()
    assert dry["match_run_id"] is None and all(m["recommendation_id"] is None for m in dry["matches"])
    assert api.get("duty", "/recommendations").json()["total"] == 0
    assert _count(database, MatchRunRow) == 0 and api.get("manager", "/batch/runs").json()["total"] == 0
    assert api.post("manager", "/batch", json={"time_limit_s": 0}).status_code == 422


def test_a_batch_with_expected_demand_keeps_the_sibling_home_for_the_groups_referred_lately(api: Api) -> None:
    api.load(sibling_home_case(history=2))

    def homes(body: dict[str, Any]) -> dict[str, list[str]]:
        return {m["request_id"]: [p["household_id"] for p in m["placements"]] for m in body["matches"]}

    plain = api.post("manager", "/batch", json={"time_limit_s": 5, "dry_run": True})
    assert plain.status_code == 200, plain.text
    assert homes(plain.json()) == {"R1": ["H1"]} and plain.json()["expected_requests"] == 0
    body = api.post("manager", "/batch", json={"time_limit_s": 5, "expected_demand": True}).json()
    assert homes(body) == {"R1": ["H2"]} and body["unplaced"] == [] and body["expected_requests"] == 2
    run = api.get("manager", f"/batch/runs/{body['match_run_id']}").json()
    assert run["parameters"]["expected_demand"] is True
    assert api.post("manager", "/batch/runs", json={"expected_demand": "sometimes"}).status_code == 422


def _scarcity_criteria(answer: dict[str, Any], household_id: str) -> list[dict[str, Any]]:
    option = next(o for o in answer["options"] if o["placements"][0]["household_id"] == household_id)
    return [c for c in option["criteria"] if c["id"] == "scarcity"]


def test_ranking_uses_the_latest_batch_scarcity(api: Api, app: FastAPI) -> None:
    api.load(siblings_and_one())
    before = api.post("duty", "/requests/R1/rank?top=3").json()
    (estimate,) = _scarcity_criteria(before, "H1")
    assert "siblings together" not in estimate["reason"], "before any batch: the fast estimate"

    run_id = api.post("manager", "/batch/runs", json={"time_limit_s": 5}).json()["id"]
    assert _finished(api, app, run_id)["status"] == "optimal"
    after = api.post("duty", "/requests/R1/rank?top=3").json()
    (priced,) = _scarcity_criteria(after, "H1")
    assert priced == {"id": "scarcity", "points": -300, "reason": ONLY_HOME_OF_R007}
    assert not _scarcity_criteria(after, "H2")

    own = api.post("duty", "/requests/R007/rank").json()
    assert not _scarcity_criteria(own, "H1"), "R007's own need is no cost to R007"


def test_the_rank_cache_follows_new_scarcity(api: Api, app: FastAPI, database: Database) -> None:
    api.load(siblings_and_one())
    run_id = api.post("manager", "/batch/runs", json={"time_limit_s": 5}).json()["id"]
    _finished(api, app, run_id)
    first = api.post("duty", "/requests/R1/rank?top=3").json()
    assert _scarcity_criteria(first, "H1")[0]["reason"] == ONLY_HOME_OF_R007

    # Another process (the nightly CLI) stores a run with other prices: the next rank must use them.
    with database.transaction() as session:
        repos = Repositories(session)
        other = repos.batch_runs.claim(parameters={"time_limit_s": 1.0}, actor="cli", revision=0, started_at=_now())
        repos.batch_runs.add_scarcity(other, {"H1": (17, "priced by another process")})
        repos.batch_runs.finish(other, status="optimal", scarcity_run_id=other)
    second = api.post("duty", "/requests/R1/rank?top=3").json()
    assert _scarcity_criteria(second, "H1") == [
        {"id": "scarcity", "points": -17, "reason": "priced by another process"}
    ]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_cli_batch_stores_its_run_idempotently(api: Api, database: Database) -> None:
    api.load(siblings_and_one())
    url = _url(database)
    runner = CliRunner()

    dry = runner.invoke(cli.app, ["batch", "--database", url, "--time-limit", "5", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert _count(database, MatchRunRow) == 0 and _count(database, RecommendationRow) == 0

    first = runner.invoke(cli.app, ["batch", "--database", url, "--time-limit", "5", "--json"])
    assert first.exit_code == 0, first.output
    recommendations, scarcity = _count(database, RecommendationRow), _count(database, BatchScarcityRow)
    assert recommendations == 3 and scarcity > 0
    second = runner.invoke(cli.app, ["batch", "--database", url, "--time-limit", "5", "--json"])
    assert second.exit_code == 0, second.output
    assert _count(database, RecommendationRow) == recommendations
    assert _count(database, RecommendationRow, status="open") == recommendations
    assert _count(database, BatchScarcityRow) == scarcity
    runs = api.get("manager", "/batch/runs").json()["items"]
    assert [r["created_by"] for r in runs] == ["cli", "cli"] and runs[0]["repeats_run_id"] == runs[1]["id"]

    ranked = runner.invoke(cli.app, ["rank", "--database", url, "--request", "R1", "--top", "3", "--json"])
    assert ranked.exit_code == 0, ranked.output
    assert ONLY_HOME_OF_R007 in ranked.stdout, "the CLI's rank from the database uses the batch's scarcity"


def test_cli_batch_refuses_while_a_run_is_going(api: Api, database: Database) -> None:
    api.load(_waiting_pair())
    with database.transaction() as session:
        Repositories(session).batch_runs.claim(
            parameters={"time_limit_s": 60.0}, actor="x", revision=0, started_at=_now()
        )
    result = CliRunner().invoke(cli.app, ["batch", "--database", _url(database), "--time-limit", "5"])
    assert result.exit_code == 1 and "still running" in result.output


def test_cli_service_run_batch_stores_proposals(api: Api, database: Database) -> None:
    api.load(_waiting_pair())
    index, answer = cli_service.run_batch(_url(database), 5)
    assert {m.request_id for m in answer.matches} == {"R1", "R2"} and index.snapshot.requests
    with database.transaction() as session:
        rows = Repositories(session).recommendations.page(status="open").items
    assert sorted(r.request_id for r in rows) == ["R1", "R2"]
