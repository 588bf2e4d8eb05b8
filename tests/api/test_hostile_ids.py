"""SQL-injection and path-traversal strings in every id in a path, every free-text query filter and the
free-text and id fields of bodies (issue 9).

Each hostile string is sent to every route of the API (walked from ``app.routes``, so a new route is
covered without editing this file) and to the pages, as a role the route allows. Every answer must be
a 4xx naming the field, must leak nothing (no SQL error, no stack trace, no password hash, no child's
name, no file's contents), and the database must be exactly as it was. Text that is data (a reason) is
stored verbatim and read back unchanged: it is a value, never SQL.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from tests.api.conftest import PASSWORD, Api
from tests.api.test_roles import _routes
from tests.store.samples import CHILD_NAMES, rich_snapshot

HOSTILE = {
    "sql_or": "' OR '1'='1",
    "sql_comment": "R1' OR 1=1 --",
    "sql_drop": "R1'; DROP TABLE households; --",
    "sql_dquote": '" OR ""="',
    "sql_union": "1 UNION SELECT username, password_hash FROM users",
    "sql_like": "%",
    "sql_underscore": "_",
    "sql_sleep": "1' AND pg_sleep(5) --",
    "traversal": "../../../etc/passwd",
    "traversal_windows": "..\\..\\..\\windows\\win.ini",
    "traversal_absolute": "/etc/passwd",
    "traversal_doubled": "....//....//etc/passwd",
    "traversal_encoded": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "nul": "R1\x00",
    "markup": "<script>alert(1)</script>",
    "template": "${jndi:ldap://127.0.0.1/a}{{7*7}}",
    "long": "R" * 5000,
}
#: A valid value for each path parameter, so that only the one under test is hostile.
VALID = {
    "household_id": "H1",
    "child_id": "C1",
    "request_id": "R1",
    "recommendation_id": "1",
    "username": "duty",
    "key_id": "1",
    "run_id": "1",
    "postcode": "LE1 1AA",
    "name": "fan_chart",
    "fmt": "png",
}
#: Bodies that would pass, so that a refusal is the hostile path's doing.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/recommendations/{recommendation_id}/accept"): {"reason": "matched at the duty meeting"},
    ("POST", "/recommendations/{recommendation_id}/decline"): {"reason": "too far from school"},
    ("POST", "/households/{household_id}/hold"): {"reason": "investigation"},
    ("POST", "/users/{username}/api-keys"): {"name": "nightly"},
    ("PATCH", "/users/{username}"): {"active": True},
}
ROLE_ORDER = ("duty", "manager", "admin", "planner")
#: What must never appear in an answer to a hostile call.
LEAKS = re.compile(
    r"Traceback|sqlite3\.|psycopg|sqlalchemy|syntax error|password_hash|\$argon2|root:x:0:0|\[extensions\]|"
    + "|".join(CHILD_NAMES),
    re.IGNORECASE,
)


def _state(api: Api) -> list[Any]:
    """Everything a hostile call could change: every record, the users, their keys, the recommendations."""
    return [
        api.get("admin", "/snapshots/export").json(),
        api.get("admin", "/users").json(),
        [api.get("admin", f"/users/{u}/api-keys").json() for u in ("duty", "manager", "planner", "admin")],
        api.get("manager", "/recommendations", params={"limit": 500}).json(),
        api.get("duty", "/households/H2/hold").json(),
    ]


ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _assert_refused(response: Any, where: str, hostile: str, field: str | None = None, answered: bool = False) -> None:
    """A 4xx naming ``field`` (unless the hostile value is a well-formed id: then any 4xx will do, a 404
    or the body's own fault), leaking nothing. ``answered``: a page that reports the problem inline."""
    if not (answered and response.status_code == 200):
        assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if ID.fullmatch(hostile):
        field = None
    text = response.text.replace(hostile, "")
    assert not LEAKS.search(text), f"{where} leaks: {LEAKS.search(text)} in {text[:300]}"
    if response.headers.get("content-type", "").startswith("application/json"):
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail and all(item["msg"] for item in detail), where
        if field is not None:
            named = [item["loc"] for item in detail]
            assert any(field in loc or loc == ["path"] for loc in named), f"{where}: {named} does not name {field}"


@pytest.fixture
def ranked(loaded: Api) -> Api:
    """The rich snapshot with open recommendations for R1."""
    assert loaded.post("duty", "/requests/R1/rank").status_code == 200
    return loaded


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_ids_in_every_path_are_refused_and_change_nothing(app: FastAPI, ranked: Api, hostile: str) -> None:
    before = _state(ranked)
    called = 0
    for method, path, roles in _routes(app):
        names = re.findall(r"\{(\w+)\}", path)
        role = next(r for r in ROLE_ORDER if roles is None or r in roles)
        for name in names:
            url = path
            for other in names:
                value = quote(hostile, safe="") if other == name else VALID[other]
                url = url.replace("{" + other + "}", value)
            body = BODIES.get((method, path), {}) if method in {"POST", "PUT", "PATCH"} else None
            response = ranked.call(method, role, url, json=body) if body is not None else ranked.call(method, role, url)
            _assert_refused(response, f"{method} {path} [{name}]", hostile, name)
            called += 1
    assert called > 35
    assert _state(ranked) == before


#: Free-text query filters of the list routes, and what a valid value returns.
FILTERS = (
    ("duty", "/households", "status"),
    ("duty", "/households", "provider"),
    ("duty", "/households", "carer_type"),
    ("duty", "/children", "sibling_group"),
    ("duty", "/requests", "status"),
    ("duty", "/requests", "kind"),
    ("duty", "/requests", "urgency"),
    ("duty", "/recommendations", "request_id"),
    ("duty", "/recommendations", "status"),
    ("manager", "/audit", "actor"),
    ("manager", "/audit", "action"),
    ("manager", "/audit", "subject_id"),
    ("admin", "/users", "role"),
    ("manager", "/batch/runs", "status"),
)


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_query_filters_match_nothing_or_are_refused(ranked: Api, hostile: str) -> None:
    before = _state(ranked)
    for role, path, parameter in FILTERS:
        response = ranked.get(role, path, params={parameter: hostile})
        where = f"GET {path}?{parameter}"
        if response.status_code == 200:  # a value that is a possible id: it matches no record, all of them never
            assert response.json()["items"] == [], f"{where}={hostile!r} returned records"
            assert response.json()["total"] == 0
        else:
            _assert_refused(response, where, hostile, parameter)
    assert _state(ranked) == before


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_ids_and_names_in_bodies_are_refused(ranked: Api, hostile: str) -> None:
    before = _state(ranked)
    snapshot = rich_snapshot().model_dump(mode="json")
    cases = [
        ("duty", "/requests", {**snapshot["requests"][0], "id": hostile}, "id"),
        ("duty", "/requests", {**snapshot["requests"][0], "id": "R77", "children": [hostile]}, None),
        ("duty", "/children", {**snapshot["children"][0], "id": hostile}, "id"),
        ("admin", "/households", {**snapshot["households"][0], "id": hostile}, "id"),
        ("admin", "/users", {"username": hostile, "password": PASSWORD, "role": "duty"}, "username"),
        ("admin", "/users/duty/api-keys", {"name": hostile}, "name"),
    ]
    for role, path, body, field in cases:
        response = ranked.post(role, path, json=body)
        if response.status_code in (200, 201):  # only a harmless value may pass, and then only as that value
            assert re.fullmatch(r"[A-Za-z0-9_.:@ -]+", hostile), f"POST {path} took {hostile!r}"
            continue
        _assert_refused(response, f"POST {path}", hostile, field)
    if re.fullmatch(r"[A-Za-z0-9_.:@ -]+", hostile) is None:
        assert _state(ranked) == before


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_free_text_is_stored_verbatim_as_data(ranked: Api, hostile: str) -> None:
    placed = ranked.post("manager", "/households/H1/hold", json={"reason": hostile})
    if "\x00" in hostile or len(hostile) > 2000:  # no database stores NUL in text; a reason is 2,000 at most
        _assert_refused(placed, "POST /households/H1/hold", hostile, "reason")
        return
    assert placed.status_code == 201, placed.text
    assert ranked.get("duty", "/households/H1/hold").json()["reason"] == hostile
    assert ranked.get("admin", "/users").json()["total"] == 4  # the users table is whole
    assert len(ranked.get("duty", "/households").json()["items"]) == len(rich_snapshot().households)


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_ids_in_page_paths_are_refused(app: FastAPI, ranked: Api, hostile: str) -> None:
    client = ranked.client
    form = client.get("/ui/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce is not None
    data = {"username": "manager", "password": PASSWORD, "csrf_token": nonce.group(1)}
    assert client.post("/ui/login", data=data, follow_redirects=False).status_code == 303
    value = quote(hostile, safe="")
    answered = client.get(f"/ui/requests/R1/why-not?household_id={value}")  # the form's answer, inline
    _assert_refused(answered, "GET /ui/requests/R1/why-not", hostile, answered=True)
    if answered.status_code == 200:
        assert 'class="banner banner--error"' in answered.text, answered.text[-800:]
    for url in (
        f"/ui/requests/{value}",
        f"/ui/households/{value}",
        f"/ui/static/{value}",
        f"/ui/static/..%2F..%2F{value}",
        "/ui/static/..%2F..%2Fsettings.py",
        "/ui/static/../../settings.py",
    ):
        response = client.get(url, follow_redirects=False)
        _assert_refused(response, f"GET {url}", hostile)
        assert "SecretStr" not in response.text and "jwt_secret" not in response.text
