"""Signing in: tokens, API keys, refusals."""

from __future__ import annotations

import datetime as dt

import jwt

from tests.api.conftest import Api


def test_token_then_bearer_call(api: Api) -> None:
    token = api.token("duty")
    response = api.client.get("/requests", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0}


def test_wrong_password_is_401_naming_the_field(api: Api) -> None:
    response = api.client.post("/auth/token", data={"username": "duty", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    unknown = api.client.post("/auth/token", data={"username": "ghost", "password": "nope"})
    assert unknown.status_code == 401


def test_missing_form_fields_are_422(api: Api) -> None:
    response = api.client.post("/auth/token", data={"username": "duty"})
    assert response.status_code == 422
    assert ["body", "password"] in [d["loc"] for d in response.json()["detail"]]


def test_forged_and_expired_tokens_are_refused(api: Api) -> None:
    forged = jwt.encode(
        {"sub": "admin", "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)},
        "another-secret-another-secret-another",
    )
    assert api.client.get("/requests", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = jwt.encode(
        {"sub": "duty", "exp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)},
        "test-secret-test-secret-test-secret",
    )
    response = api.client.get("/requests", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_disabled_user_and_role_change_apply_at_once(api: Api) -> None:
    duty = api.headers("duty")
    assert api.client.get("/requests", headers=duty).status_code == 200
    assert api.patch("admin", "/users/duty", json={"role": "planner"}).status_code == 200
    assert api.client.get("/requests", headers=duty).status_code == 403
    assert api.patch("admin", "/users/duty", json={"active": False}).status_code == 200
    assert api.client.get("/requests", headers=duty).status_code == 401


def test_api_key_for_automation_and_revocation(api: Api) -> None:
    assert (
        api.post("admin", "/users", json={"username": "batch", "password": "x" * 12, "role": "manager"}).status_code
        == 201
    )
    created = api.post("admin", "/users/batch/api-keys", json={"name": "nightly batch"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert api.client.get("/audit", headers={"X-API-Key": key}).status_code == 200
    assert api.client.get("/audit", headers={"X-API-Key": key + "x"}).status_code == 401
    assert api.client.get("/audit", headers={"X-API-Key": "garbage"}).status_code == 401
    listed = api.get("admin", "/users/batch/api-keys").json()
    assert [k["name"] for k in listed] == ["nightly batch"] and "key" not in listed[0]
    assert api.delete("admin", f"/api-keys/{created.json()['id']}").status_code == 200
    assert api.client.get("/audit", headers={"X-API-Key": key}).status_code == 401


def test_health_and_docs_are_public(api: Api) -> None:
    health = api.client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert api.client.get("/openapi.json").status_code == 200
    assert api.client.get("/docs").status_code == 200
