"""Every route of the app refuses an anonymous call (401) and every role it does not allow (403).

The test walks ``app.routes`` rather than a list kept by hand, so a new route without a role guard
fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api.auth import ROLES
from api.deps import Guard
from tests.api.conftest import Api

#: Routes anyone may call: signing in and the health check (/docs and /openapi.json are not APIRoutes).
PUBLIC = {("POST", "/auth/token"), ("GET", "/health")}
#: The only routes planners may reach: aggregate figures and what-if simulations.
AGGREGATE_PATHS = {
    "/stats",
    "/planning/runs",
    "/planning/runs/{run_id}",
    "/planning/runs/{run_id}/plots/{name}.{fmt}",
}


def _guards(dependant: Dependant) -> Iterator[Guard]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, Guard):
            yield sub.call
        yield from _guards(sub)


def _routes(app: FastAPI) -> list[tuple[str, str, frozenset[str] | None]]:
    """(method, full path, roles allowed or None when unguarded) for every API route of ``app.routes``.

    Included routers appear in ``app.routes`` as one entry each; ``iter_route_contexts`` unfolds them.
    """
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        guards = list(_guards(route.dependant))
        roles = frozenset.intersection(*(g.roles for g in guards)) if guards else None
        for method in sorted(context.methods or ()):
            found.append((method, str(context.path), roles))
    return found


def _url(path: str) -> str:
    return re.sub(
        r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("key_id") or "recommendation" in m.group(1) else "X1", path
    )


def test_every_route_but_the_public_ones_has_a_role_guard(app: FastAPI) -> None:
    routes = _routes(app)
    assert len(routes) > 25
    unguarded = {(method, path) for method, path, roles in routes if roles is None}
    assert unguarded == PUBLIC
    for method, path, roles in routes:
        if roles is not None:
            assert roles and roles < set(ROLES), f"{method} {path} must leave some role out"


def test_planners_never_reach_child_level_records(app: FastAPI) -> None:
    for method, path, roles in _routes(app):
        if roles is not None and "planner" in roles:
            assert path in AGGREGATE_PATHS, f"{method} {path} lets planners in"


def test_every_route_refuses_anonymous_and_wrong_roles(app: FastAPI, api: Api) -> None:
    checked = 0
    for method, path, roles in _routes(app):
        if roles is None:
            continue
        url = _url(path)
        body: dict[str, Any] = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
        anonymous = api.call(method, None, url, **body)
        assert anonymous.status_code == 401, f"{method} {path}: anonymous got {anonymous.status_code}"
        assert anonymous.json()["detail"][0]["loc"] == ["header", "Authorization"]
        for role in sorted(set(ROLES) - roles):
            response = api.call(method, role, url, **body)
            assert response.status_code == 403, f"{method} {path} as {role}: {response.status_code}"
            assert role in response.json()["detail"][0]["msg"]
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic abc"])
def test_garbage_credentials_are_401(api: Api, header: str) -> None:
    assert api.client.get("/requests", headers={"Authorization": header}).status_code == 401
