"""The web pages over plain HTTP (no browser): every page route refuses an anonymous call and every role
it does not allow, forms need their CSRF token, planners never reach a child's record, a decision needs
a reason, and reading a child's record from a page is an audit event as it is through the API.

The pages are mounted at ``/ui`` as an app of their own, outside the API's route-by-route role test
(``tests/api/test_roles.py``): this file walks their routes the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import ROLES, PasswordHashing
from api.settings import Settings
from api.web.session import PREFIX, PageGuard
from domain.snapshot import Household, Snapshot
from store import migrate
from store.db import Database
from store.repositories import Repositories
from tests import builders
from tests.store.samples import CHILD_NAMES, rich_snapshot

PASSWORD = "pages-test-password"
#: Page routes anyone may call (signing in) or any signed-in user (home, signing out).
PUBLIC = {("GET", "/login"), ("POST", "/login")}


def snapshot_with_a_home() -> Snapshot:
    """The store tests' rich snapshot, plus a household that can take request R1 (as the API tests add)."""
    snapshot = rich_snapshot()
    home = Household.model_validate(builders.household("H4", wheelchair_accessible=True, approval={"skills": ["bsl"]}))
    return snapshot.model_copy(update={"households": [*snapshot.households, home]})


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    url = f"sqlite:///{tmp_path / 'pages.sqlite'}"
    migrate.upgrade(url)
    database = Database(url)
    settings = Settings(
        database_url=url,
        jwt_secret="pages-test-secret-pages-test-secret",
        today=dt.date(2026, 11, 23),
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )
    hashing = PasswordHashing(1, 64)
    with database.transaction() as session:
        repos = Repositories(session)
        for role in ROLES:
            repos.users.create(role, hashing.hash(PASSWORD), role)
        repos.snapshots.import_snapshot(snapshot_with_a_home(), actor="test", source="test")
    yield create_app(settings, database)
    database.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form; returns the CSRF token the pages put in their forms."""
    form = client.get(f"{PREFIX}/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce is not None
    response = client.post(
        f"{PREFIX}/login", data={"username": username, "password": PASSWORD, "csrf_token": nonce.group(1)}
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text
    return token.group(1)


def page_routes(app: FastAPI) -> list[tuple[str, str, frozenset[str] | None]]:
    """(method, path inside /ui, roles allowed or None) for every route of the pages app."""
    mount = next(r for r in app.routes if getattr(r, "path", None) == PREFIX)
    web: FastAPI = mount.app  # type: ignore[attr-defined]
    found = []
    for context in iter_route_contexts(web.routes):  # included routers unfold into their routes
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        guards = [d.call for d in route.dependant.dependencies if isinstance(d.call, PageGuard)]
        roles = guards[0].roles if guards else None
        for method in sorted(context.methods or ()):
            found.append((method, str(context.path), roles))
    return found


def _url(path: str) -> str:
    return PREFIX + re.sub(r"\{(\w+)\}", lambda m: "1" if "run" in m.group(1) or m.group(1) in "ab" else "X1", path)


def test_every_page_but_sign_in_has_a_role_guard_and_planners_reach_aggregates_only(app: FastAPI) -> None:
    routes = page_routes(app)
    assert len(routes) > 15
    assert {(m, p) for m, p, roles in routes if roles is None} == PUBLIC
    for method, path, roles in routes:
        if roles is not None and "planner" in roles and roles != frozenset(ROLES):
            assert path.startswith("/planning"), f"{method} {path} lets planners in"
        if path.startswith("/planning"):
            assert roles is not None and "duty" not in roles, f"{method} {path}: planning pages are aggregates"


def test_every_page_refuses_anonymous_calls_and_wrong_roles(app: FastAPI, client: TestClient) -> None:
    tokens = {role: "" for role in ROLES}
    checked = 0
    for method, path, roles in page_routes(app):
        if roles is None:
            continue
        url = _url(path.replace("{outcome}", "accept").replace("{chart}", "fan_chart"))
        client.cookies.clear()
        anonymous = client.request(method, url, data={} if method == "POST" else None)
        if path.endswith("/progress"):
            assert anonymous.status_code == 401, f"{method} {path}"
        else:
            assert anonymous.status_code == 303, f"{method} {path}: {anonymous.status_code}"
            assert anonymous.headers["location"].startswith(f"{PREFIX}/login")
        for role in sorted(frozenset(ROLES) - roles):
            client.cookies.clear()
            tokens[role] = sign_in(client, role)
            response = client.request(method, url, data={"csrf_token": tokens[role]} if method == "POST" else None)
            assert response.status_code == 403, f"{method} {path} as {role}: {response.status_code}"
            assert f"Your role ({role}) may not see this page" in response.text or path.endswith("/progress")
            checked += 1
    assert checked > 20


def test_forms_need_the_sessions_csrf_token(client: TestClient) -> None:
    token = sign_in(client, "duty")
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post(f"{PREFIX}/requests/R1/rank", data=data)
        assert refused.status_code == 403
        assert "This form has expired" in refused.text
    assert client.post(f"{PREFIX}/requests/R1/rank", data={"csrf_token": token}).status_code == 200
    client.cookies.clear()
    form = client.get(f"{PREFIX}/login")
    refused = client.post(f"{PREFIX}/login", data={"username": "duty", "password": PASSWORD, "csrf_token": "x"})
    assert form.status_code == 200 and refused.status_code == 403


def test_wrong_password_and_sign_out(client: TestClient) -> None:
    form = client.get(f"{PREFIX}/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce is not None
    wrong = client.post(f"{PREFIX}/login", data={"username": "duty", "password": "nope", "csrf_token": nonce.group(1)})
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    token = sign_in(client, "duty")
    out = client.post(f"{PREFIX}/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == f"{PREFIX}/login?signed_out=1"
    assert client.get(f"{PREFIX}/requests").status_code == 303


def test_reading_a_request_page_audits_each_childs_record(app: FastAPI, client: TestClient) -> None:
    sign_in(client, "duty")
    page = client.get(f"{PREFIX}/requests/R1")
    assert page.status_code == 200
    services = app.state.services
    with services.database.transaction() as session:
        events = Repositories(session).audit.page(action="child.read", limit=50, offset=0).items
    request = rich_snapshot().requests[0]
    assert sorted(str(e.subject_id) for e in events if e.actor == "duty") == sorted(request.children)


def test_a_decision_without_a_reason_changes_nothing(client: TestClient) -> None:
    token = sign_in(client, "duty")
    ranked = client.post(f"{PREFIX}/requests/R1/rank", data={"csrf_token": token})
    recommendation = re.search(r"/recommendations/(\d+)/accept", ranked.text)
    assert recommendation is not None
    url = f"{PREFIX}/recommendations/{recommendation.group(1)}/accept"
    refused = client.post(url, data={"csrf_token": token, "reason": "   "})
    assert refused.status_code == 422 and "a reason is required" in refused.text
    assert 'id="request-status">waiting' in client.get(f"{PREFIX}/requests/R1").text
    declined = client.post(url.replace("/accept", "/decline"), data={"csrf_token": token, "reason": "too far"})
    assert declined.status_code == 303
    assert "still waiting" in client.get(declined.headers["location"]).text
    ranked = client.post(f"{PREFIX}/requests/R1/rank", data={"csrf_token": token})
    recommendation = re.search(r"/recommendations/(\d+)/accept", ranked.text)
    assert recommendation is not None
    url = f"{PREFIX}/recommendations/{recommendation.group(1)}/accept"
    accepted = client.post(url, data={"csrf_token": token, "reason": "near school"})
    assert accepted.status_code == 303
    assert 'id="request-status">placed' in client.get(f"{PREFIX}/requests/R1").text
    again = client.post(url, data={"csrf_token": token, "reason": "near school"})
    assert again.status_code == 409 and "Nothing was changed" in again.text


def test_the_planning_page_shows_no_child_record(client: TestClient) -> None:
    sign_in(client, "planner")
    page = client.get(f"{PREFIX}/planning")
    assert page.status_code == 200
    for name in CHILD_NAMES:
        assert name not in page.text
    assert client.get(f"{PREFIX}/requests/R1").status_code == 403


def test_an_uploaded_scenario_runs_to_its_charts_and_a_bad_one_is_explained(client: TestClient) -> None:
    token = sign_in(client, "planner")
    bad = 'name = "x"\n[demand]\nmodel = "/etc/passwd"\n'
    refused = client.post(
        f"{PREFIX}/planning/upload", data={"csrf_token": token}, files={"scenario_file": ("bad.toml", bad.encode())}
    )
    assert refused.status_code == 422 and "demand.model" in refused.text
    scenario = (
        'name = "uploaded"\n[simulation]\nhorizon_months = 1\nreplications = 1\n'
        "[demand]\nentries_per_year = 40\n[policy]\nbatch_time_limit_s = 0.5\n"
    )
    started = client.post(
        f"{PREFIX}/planning/upload", data={"csrf_token": token}, files={"scenario_file": ("s.toml", scenario.encode())}
    )
    assert started.status_code == 303, started.text
    run_url = started.headers["location"]
    deadline = time.monotonic() + 90
    while (state := client.get(f"{run_url}/progress").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state["status"] == "done", state
    results = client.get(run_url)
    assert "Key figures of run" in results.text
    chart = client.get(f"{run_url}/charts/fan_chart.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"


def test_every_form_post_refuses_a_missing_or_forged_csrf_token_and_changes_nothing(
    app: FastAPI, client: TestClient
) -> None:
    """Walks every POST route of the pages (so a new form is covered): without the session's CSRF token,
    or with a forged one, or with another user's, each is refused with 403 and the database is as it was."""
    checked = []
    other = sign_in(client, "planner")  # a real token, but of another session
    for method, path, roles in page_routes(app):
        if method != "POST" or roles is None:
            continue
        role = next(r for r in ("duty", "manager", "planner", "admin") if r in roles)
        client.cookies.clear()
        token = sign_in(client, role)
        before = client.get("/snapshots/export", headers={"Authorization": f"Bearer {_bearer(client, 'admin')}"})
        url = _url(path.replace("{outcome}", "decline"))
        for forged in ({}, {"csrf_token": "forged"}, {"csrf_token": other}, {"csrf_token": token[:-1]}):
            response = client.post(url, data={**forged, "reason": "csrf probe", "time_limit_s": "1"})
            assert response.status_code == 403, f"POST {path} with {forged}: {response.status_code}"
            assert "This form has expired" in response.text
        after = client.get("/snapshots/export", headers={"Authorization": f"Bearer {_bearer(client, 'admin')}"})
        assert after.json() == before.json(), f"POST {path} changed the records"
        home = client.get(f"{PREFIX}/")  # still signed in: signing out needs the token too
        assert home.status_code == 303 and not home.headers["location"].startswith(f"{PREFIX}/login")
        checked.append(path)
    assert {"/logout", "/batch", "/requests/{request_id}/rank", "/planning/upload"} <= set(checked), checked


def _bearer(client: TestClient, username: str) -> str:
    response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_a_manager_runs_the_batch_from_the_page_with_or_without_expected_demand(client: TestClient) -> None:
    token = sign_in(client, "manager")
    page = client.get(f"{PREFIX}/requests")
    assert '<label for="expected_demand">' in page.text and 'name="expected_demand" type="checkbox"' in page.text
    for ticked in (False, True):
        form = {"csrf_token": token, "time_limit_s": "2", **({"expected_demand": "true"} if ticked else {})}
        response = client.post(f"{PREFIX}/batch", data=form)
        assert response.status_code == 303, response.text
        assert "The batch" in client.get(response.headers["location"]).text
    headers = {"Authorization": f"Bearer {_bearer(client, 'manager')}"}
    runs = client.get("/batch/runs", headers=headers).json()["items"]
    assert [run["parameters"]["expected_demand"] for run in runs] == [True, False]  # newest first
