"""Ranking checks its caller in the call's own transaction (``api.deps.Caller``), with the same answers as
every other route: the key or token against the database as it is now, the role, the active flag; a
refused call stores nothing and writes no audit event."""

from __future__ import annotations

from typing import Any

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
