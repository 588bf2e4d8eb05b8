"""Hostile input at the door (issue 9): body and JSON-depth limits, security headers, the sign-in rate
limit on the API and the sign-in page, and access tokens that expire and are re-checked every call."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import InvalidToken, issue_token, read_token
from api.deps import Services
from api.security import json_depth
from store.db import Database
from tests.api.conftest import PASSWORD, Api, settings_for
from tests.store.samples import rich_snapshot

SECRET = "test-secret-test-secret-test-secret"


@pytest.fixture
def strict(app: FastAPI, api_url: str, database: Database) -> Iterator[Api]:
    """The fixture app's database and users, with small limits: 2 KiB bodies (64 KiB for uploads), JSON
    8 deep, 3 failed sign-ins per username and 5 per address in a minute, and HSTS on."""
    hardened = create_app(
        settings_for(api_url).model_copy(
            update={
                "max_body_bytes": 2048,
                "max_upload_bytes": 65536,
                "max_json_depth": 8,
                "login_limit_per_username": "3 per minute",
                "login_limit_per_address": "5 per minute",
                "hsts_seconds": 31536000,
            }
        ),
        database,
    )
    with TestClient(hardened, follow_redirects=False) as client:
        yield Api(client)


def _detail(response: Any) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body["detail"], list) and body["detail"], body
    item: dict[str, Any] = body["detail"][0]
    return item


# --- bodies -----------------------------------------------------------------------------------------


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth(b"42") == 0
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[[{{{{", "b": "\\"[[["}') == 1
    assert json_depth(b"[" * 500 + b"]" * 500) == 500


def test_a_body_announced_too_large_is_413_naming_the_endpoint_and_changes_nothing(strict: Api) -> None:
    before = strict.get("duty", "/requests").json()
    body = {"id": "R9", "children": ["C1"], "kind": "emergency", "padding": "x" * 4000}
    response = strict.post("duty", "/requests", json=body)
    assert response.status_code == 413
    item = _detail(response)
    assert item["loc"] == ["body"] and item["type"] == "too_large"
    assert item["msg"].startswith("POST /requests: ") and "2048 bytes" in item["msg"]
    assert strict.get("duty", "/requests").json() == before


def test_a_streamed_body_past_the_limit_is_413(strict: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    response = strict.post("duty", "/requests", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and _detail(response)["type"] == "too_large"


def test_uploads_have_their_own_larger_limit(strict: Api) -> None:
    snapshot = rich_snapshot().model_dump(mode="json")
    size = len(json.dumps(snapshot))
    assert 2048 < size < 65536
    assert strict.post("admin", "/snapshots/import", json=snapshot).status_code == 200
    huge = {**snapshot, "padding": "x" * 70000}
    assert strict.post("admin", "/snapshots/import", json=huge).status_code == 413


def test_deeply_nested_json_is_422_before_any_parser_recurses(strict: Api) -> None:
    deep = '{"reason": ' + "[" * 500 + "]" * 500 + "}"
    response = strict.post(
        "duty", "/recommendations/1/decline", content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    item = _detail(response)
    assert item["type"] == "too_deep" and "501 deep" in item["msg"] and "/recommendations/1/decline" in item["msg"]
    # Nesting within the limit reaches the route, which judges the body itself.
    shallow = '{"reason": ' + "[" * 3 + "]" * 3 + "}"
    ok = strict.post(
        "duty", "/recommendations/1/decline", content=shallow, headers={"Content-Type": "application/json"}
    )
    assert ok.status_code in (404, 422) and _detail(ok)["type"] != "too_deep"


def test_deep_json_on_the_default_limits_is_refused_too(api: Api) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = api.post("admin", "/snapshots/import", content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and _detail(response)["type"] == "too_deep"


# --- headers ----------------------------------------------------------------------------------------


def test_api_answers_carry_the_security_headers_and_no_store(strict: Api) -> None:
    strict.load(rich_snapshot())
    for response in (
        strict.get("duty", "/children/C1"),
        strict.get("duty", "/children/NOPE"),
        strict.get(None, "/requests"),
        strict.post("duty", "/requests", content=b"x" * 5000),
    ):
        headers = response.headers
        assert headers["content-security-policy"].startswith("default-src 'none'"), response.status_code
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_hsts_is_off_unless_configured(api: Api) -> None:
    assert "strict-transport-security" not in api.client.get("/health").headers


def test_pages_have_a_csp_without_unsafe_inline_and_static_files_may_be_cached(strict: Api) -> None:
    page = strict.client.get("/ui/login")
    csp = page.headers["content-security-policy"]
    assert page.status_code == 200 and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script would need 'unsafe-inline'"
    assert not re.search(r"\sstyle=|<style", page.text), "an inline style would need 'unsafe-inline'"
    script = strict.client.get("/ui/static/app.js")
    assert script.status_code == 200 and "no-store" not in script.headers.get("cache-control", "")
    assert script.headers["x-content-type-options"] == "nosniff"


# --- sign-in rate limit -----------------------------------------------------------------------------


def _sign_in(api: Api, username: str, password: str) -> Any:
    return api.client.post("/auth/token", data={"username": username, "password": password})


def test_failed_sign_ins_per_username_are_limited_with_429_and_retry_after(strict: Api) -> None:
    assert _sign_in(strict, "duty", PASSWORD).status_code == 200  # successes are not counted
    for _ in range(3):
        assert _sign_in(strict, "duty", "wrong").status_code == 401
    limited = _sign_in(strict, "duty", PASSWORD)  # the right password too, until the window moves on
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    item = _detail(limited)
    assert item["loc"] == ["body", "username"] and item["type"] == "rate_limited" and "/auth/token" in item["msg"]
    assert _sign_in(strict, "DUTY", "wrong").status_code == 429  # the count is per username, any case
    assert _sign_in(strict, "manager", PASSWORD).status_code == 200  # other users are not locked out


def test_failed_sign_ins_per_address_are_limited(strict: Api) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5"):  # five usernames, one wrong password each
        assert _sign_in(strict, name, "wrong").status_code == 401
    limited = _sign_in(strict, "planner", PASSWORD)
    assert limited.status_code == 429 and _detail(limited)["loc"] == ["body", "address"]
    assert int(limited.headers["retry-after"]) >= 1


def test_the_sign_in_page_shares_the_limit(strict: Api) -> None:
    client = strict.client
    form = client.get("/ui/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce is not None
    data = {"username": "duty", "password": "wrong", "csrf_token": nonce.group(1)}
    assert [client.post("/ui/login", data=data).status_code for _ in range(3)] == [401, 401, 401]
    limited = client.post("/ui/login", data={**data, "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins" in limited.text and "pm_session" not in limited.headers.get("set-cookie", "")
    assert _sign_in(strict, "duty", PASSWORD).status_code == 429  # the API's limit is the same count


# --- tokens -----------------------------------------------------------------------------------------


def test_a_token_past_its_exp_is_refused_by_the_api_and_the_pages(api: Api) -> None:
    token, lifetime = issue_token("duty", "duty", secret=SECRET, algorithm="HS256", minutes=1)
    assert lifetime == 60
    assert api.client.get("/requests", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    past = jwt.encode({**claims, "exp": int(time.time()) - 1}, SECRET)
    refused = api.client.get("/requests", headers={"Authorization": f"Bearer {past}"})
    assert refused.status_code == 401 and "expired" in _detail(refused)["msg"]
    api.client.cookies.set("pm_session", past, path="/ui")
    page = api.client.get("/ui/requests", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")


def test_a_token_that_expires_while_in_use_stops_working(app: FastAPI, api: Api) -> None:
    """The same token, accepted by the API and the pages, is refused by both from its ``exp`` second on:
    expiry is judged at every call, and nothing remembers a token once accepted. The test moves the
    service's clock (``Services.clock``) rather than waiting for it."""
    services: Services = app.state.services
    issued = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expires = issued + dt.timedelta(minutes=5)
    token = jwt.encode({"sub": "duty", "role": "duty", "iat": issued, "exp": expires}, SECRET)
    headers = {"Authorization": f"Bearer {token}"}
    api.client.cookies.set("pm_session", token, path="/ui")

    services.clock = lambda: expires - dt.timedelta(seconds=1)
    assert api.client.get("/requests", headers=headers).status_code == 200
    assert api.client.get("/ui/requests", follow_redirects=False).status_code == 200

    services.clock = lambda: expires
    refused = api.client.get("/requests", headers=headers)
    assert refused.status_code == 401 and "expired" in _detail(refused)["msg"]
    page = api.client.get("/ui/requests", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")

    services.clock = lambda: expires - dt.timedelta(seconds=1)  # the clock decides, not a memory of refusal
    assert api.client.get("/requests", headers=headers).status_code == 200


def test_expiry_is_judged_at_the_given_time_from_the_exp_second_on() -> None:
    token, lifetime = issue_token("duty", "duty", secret=SECRET, algorithm="HS256", minutes=1)
    expires = dt.datetime.fromtimestamp(jwt.decode(token, SECRET, algorithms=["HS256"])["exp"], dt.UTC)
    assert lifetime == 60
    just_before = read_token(token, secret=SECRET, algorithm="HS256", now=expires - dt.timedelta(microseconds=1))
    assert (just_before.username, just_before.role, just_before.expires) == ("duty", "duty", expires)
    for now in (expires, expires + dt.timedelta(days=365)):
        with pytest.raises(InvalidToken, match="expired"):
            read_token(token, secret=SECRET, algorithm="HS256", now=now)
    fractional = jwt.encode({"sub": "duty", "exp": expires.timestamp() + 0.5}, SECRET)  # RFC 7519 allows it
    assert read_token(fractional, secret=SECRET, algorithm="HS256", now=expires).username == "duty"
    for exp in ("9999999999", True, 10**30, float("inf"), float("nan")):
        odd = jwt.encode({"sub": "duty", "exp": exp}, SECRET)
        with pytest.raises(InvalidToken):
            read_token(odd, secret=SECRET, algorithm="HS256", now=expires)


def test_tokens_without_exp_or_with_alg_none_are_refused(api: Api) -> None:
    no_exp = jwt.encode({"sub": "admin", "role": "admin"}, SECRET)
    unsigned = jwt.encode({"sub": "admin", "exp": int(time.time()) + 600}, key=None, algorithm="none")
    for token in (no_exp, unsigned, "", "a.b.c"):
        assert api.client.get("/users", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_role_is_read_from_the_database_on_every_call_not_from_the_token(api: Api) -> None:
    # A token claiming admin for a duty worker is worth a duty worker's rights.
    claims_admin = jwt.encode({"sub": "duty", "role": "admin", "exp": int(time.time()) + 600}, SECRET)
    assert api.client.get("/users", headers={"Authorization": f"Bearer {claims_admin}"}).status_code == 403
    # A token issued before the user was made a planner, then disabled.
    manager = {"Authorization": f"Bearer {api.token('manager')}"}
    assert api.client.get("/audit", headers=manager).status_code == 200
    assert api.patch("admin", "/users/manager", json={"role": "planner"}).status_code == 200
    assert api.client.get("/audit", headers=manager).status_code == 403
    assert api.client.get("/stats", headers=manager).status_code == 200
    assert api.patch("admin", "/users/manager", json={"active": False}).status_code == 200
    assert api.client.get("/stats", headers=manager).status_code == 401
