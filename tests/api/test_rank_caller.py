"""Ranking checks its caller in the call's own transaction (``api.deps.Caller``), with the same answers as
every other route: the key or token against the database as it is now, the role, the active flag; a
refused call stores nothing and writes no audit event."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.testclient import TestClient
from sqlalchemy import update

from api import ranking
from api.deps import BlockingWork, Principal
from store.db import Database
from store.models import StoreMeta
from store.repositories import Repositories
from tests import builders
from tests.api.conftest import Api


def _snapshot() -> Any:
    return builders.snapshot(
        [builders.household("H1"), builders.household("H2", weekly_cost_gbp=450)],
        [builders.child("C1", name="Amira")],
        [builders.request("R1", ["C1"])],
    )


def _rank(api: Api, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    response = api.client.post("/requests/R1/rank", headers=headers)
    return response.status_code, response.json()


def _rank_events(api: Api) -> int:
    page = api.get("manager", "/audit", params={"action": "request.rank", "subject_id": "R1"}).json()
    return int(page["total"])


def _ids(answer: dict[str, Any]) -> list[int]:
    return [int(o["recommendation_id"]) for o in answer["options"]]


def _stored(api: Api) -> int:
    return int(api.get("manager", "/recommendations", params={"request_id": "R1"}).json()["total"])


def test_api_key_revocation_role_change_and_deactivation_apply_to_the_next_rank(api: Api) -> None:
    api.load(_snapshot())
    made = api.post("admin", "/users", json={"username": "robot", "password": "x" * 12, "role": "duty"})
    assert made.status_code == 201
    created = api.post("admin", "/users/robot/api-keys", json={"name": "duty robot"}).json()
    key = {"X-API-Key": created["key"]}

    status, answer = _rank(api, key)
    assert status == 200 and answer["options"], answer
    assert _rank_events(api) == 1
    stored = _stored(api)
    assert stored == len(answer["options"])

    status, answer = _rank(api, {"X-API-Key": created["key"] + "x"})
    assert (status, answer["detail"][0]["loc"]) == (401, ["header", "X-API-Key"])
    status, answer = _rank(api, {"X-API-Key": "garbage"})
    assert (status, answer["detail"][0]["msg"]) == (401, "malformed API key")

    assert api.patch("admin", "/users/robot", json={"role": "planner"}).status_code == 200
    status, answer = _rank(api, key)
    assert status == 403 and "planner" in answer["detail"][0]["msg"]
    assert api.patch("admin", "/users/robot", json={"role": "manager"}).status_code == 200
    assert _rank(api, key)[0] == 200
    assert api.patch("admin", "/users/robot", json={"active": False}).status_code == 200
    assert _rank(api, key)[0] == 401
    assert api.patch("admin", "/users/robot", json={"active": True}).status_code == 200
    assert api.delete("admin", f"/api-keys/{created['id']}").status_code == 200
    assert _rank(api, key)[0] == 401

    # Two calls were let through; every refused one wrote nothing.
    assert _rank_events(api) == 2
    assert _stored(api) == stored


def test_bearer_tokens_rank_and_a_disabled_users_token_does_not(api: Api) -> None:
    api.load(_snapshot())
    duty = api.headers("duty")
    assert _rank(api, duty)[0] == 200
    assert api.patch("admin", "/users/duty", json={"active": False}).status_code == 200
    status, answer = _rank(api, duty)
    assert (status, answer["detail"][0]["msg"]) == (401, "the token's user is unknown or disabled")
    assert _rank_events(api) == 1


def test_a_rank_that_fails_after_the_check_writes_nothing(api: Api) -> None:
    api.load(_snapshot())
    response = api.post("duty", "/requests/R9/rank")
    assert response.status_code == 404
    assert api.get("manager", "/audit", params={"action": "request.rank"}).json()["total"] == 0


def test_a_rank_waits_for_another_writer_in_a_worker_thread_while_the_service_answers(
    app: FastAPI, api: Api, database: Database
) -> None:
    """On SQLite a kept answer is served on the event loop over a connection that never waits for the
    write lock; while another writer holds it, the rank is done in a worker thread instead (it waits
    there), and the service goes on answering meanwhile."""
    api.load(_snapshot())
    first = _ids(api.post("duty", "/requests/R1/rank").json())
    api.headers("duty")
    assert api.client.get("/openapi.json").status_code == 200  # built once now, so later it is only served
    holding, released = threading.Event(), threading.Event()

    def writer() -> None:
        with database.transaction() as session:
            session.execute(update(StoreMeta).where(StoreMeta.key == "no such key").values(value=0))
            holding.set()
            released.wait(60)

    answers: list[dict[str, Any]] = []
    served: list[int] = []
    holder = threading.Thread(target=writer)
    ranking = threading.Thread(target=lambda: answers.append(api.post("duty", "/requests/R1/rank").json()))
    other = threading.Thread(target=lambda: served.append(api.client.get("/openapi.json").status_code))
    holder.start()
    try:
        assert holding.wait(30)
        ranking.start()
        time.sleep(0.3)
        # A call that needs no database, only the event loop: it is answered while the rank still waits.
        # (Bounded, and the lock released whatever happens, so a stuck loop fails the test, never hangs it.)
        other.start()
        other.join(10)
        assert served == [200], "the event loop is stuck behind the writer"
        waited = ranking.is_alive()
    finally:
        released.set()
        holder.join(30)
        ranking.join(60)
        other.join(30)
    assert _ids(answers[0]) == first
    if database.is_sqlite:
        assert waited, "the rank waited for the write lock (in a worker thread)"
    assert _rank_events(api) == 2


def test_on_the_event_loop_a_rank_that_would_compute_stops_before_writing(app: FastAPI, api: Api) -> None:
    """``ranking.rank(compute=False)`` answers only from what is kept: anything slow is left to a worker."""
    api.load(_snapshot())
    services = app.state.services
    principal = Principal("duty", "duty", "token")
    with services.database.transaction() as session:
        with pytest.raises(BlockingWork):
            ranking.rank(services, Repositories(session), principal, "R1", 5, compute=False)
        session.rollback()
    assert _rank_events(api) == 0 and _stored(api) == 0
    kept = _ids(api.post("duty", "/requests/R1/rank").json())
    with services.database.transaction() as session:
        again = ranking.rank(services, Repositories(session), principal, "R1", 5, compute=False)
    assert [o["recommendation_id"] for o in again.answer["options"]] == kept
    with services.database.transaction() as session, pytest.raises(BlockingWork):
        ranking.rank(services, Repositories(session), principal, "R1", 2, compute=False)


def test_a_kept_rank_is_answered_on_the_event_loop_without_a_worker_thread(
    app: FastAPI, api: Api, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's hottest call holds no worker thread once its answer is kept: on SQLite it runs on a
    connection that never waits, on PostgreSQL on the loop's asynchronous connections."""
    handed: list[object] = []

    async def counting(func: Any, *args: Any) -> Any:
        handed.append(func)
        return await run_in_threadpool(func, *args)

    api.load(_snapshot())
    api.headers("duty")  # signed in before counting
    monkeypatch.setattr("api.deps.run_in_threadpool", counting)
    first = _ids(api.post("duty", "/requests/R1/rank").json())
    assert len(handed) == 1, "the first rank builds the index and solves: in a worker thread"
    again = _ids(api.post("duty", "/requests/R1/rank").json())
    assert again == first and len(handed) == 1, "a kept answer was handed to a worker thread"
    assert _rank_events(api) == 2


def test_the_event_loops_connections_close_with_the_app(app: FastAPI, database: Database) -> None:
    """A PostgreSQL connection made on an event loop cannot be used on another: when the app stops, the
    loop's engine is disposed (its connections closed), and the next loop gets its own."""
    for _ in range(2):
        with TestClient(app) as client:
            api = Api(client)
            api.load(_snapshot())
            assert api.post("duty", "/requests/R1/rank").status_code == 200
            assert api.post("duty", "/requests/R1/rank").status_code == 200
            assert len(database._loop_engines) == (0 if database.is_sqlite else 1)
        assert not database._loop_engines
