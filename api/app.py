"""The FastAPI application: ``create_app(settings)`` wires settings, database, routers and error handling.

The app does not migrate the database; ``placematch serve`` (or ``placematch db upgrade``) does that
before it starts serving.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.auth import PasswordHashing
from api.deps import Services
from api.logs import configure_logging
from api.routers import (
    audit,
    auth,
    batch,
    children,
    health,
    households,
    recommendations,
    requests,
    snapshots,
    stats,
    users,
)
from api.security import HardenedHttp
from api.settings import Settings
from store.db import Database

log = structlog.get_logger("placematch.http")

#: Every router, in the order the API docs list them.
ROUTERS = (health, auth, households, children, requests, recommendations, batch, audit, users, snapshots, stats)

DESCRIPTION = """Placement matching for children's fostering in England: the duty team's service.

Sign in at `POST /auth/token` (OAuth2 password flow) and send `Authorization: Bearer <token>`, or send
an `X-API-Key` header. Roles: `duty` (requests, ranking, decisions), `manager` (also holds, relaxations,
audit), `planner` (aggregate figures only), `admin` (users, households, snapshots). Every error names
the field and the problem: `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`.
"""


class AccessLog:
    """One structured log line per call: method, route template, status, milliseconds. Never bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            log.info(
                "http",
                method=scope["method"],
                route=getattr(route, "path", None) or "unmatched",
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )


def freeze_start_up_objects() -> None:
    """Move every object alive now (modules, the app, its caches) out of the garbage collector's passes.

    They live as long as the process, yet each full pass walked all of them: about 200,000 objects, a
    60-70 ms pause every couple of seconds under load, which every call in flight waited out (the service's
    p95). Collected first, so no garbage is frozen; objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """A ready app for ``settings`` (from the environment when omitted), on ``database`` if given."""
    settings = settings or Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    owned = database is None
    db = database or Database(settings.database_url)
    services = Services(
        settings=settings,
        database=db,
        hashing=PasswordHashing(settings.argon2_time_cost, settings.argon2_memory_kib),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.freeze_at_start:
            freeze_start_up_objects()
        log.info("service_start", database=db.url.get_backend_name())
        yield
        await db.dispose_loop_sessions()
        if owned:
            db.dispose()

    app = FastAPI(
        title="placematch",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)
    for module in (
        health,
        auth,
        households,
        children,
        requests,
        recommendations,
        batch,
        audit,
        users,
        snapshots,
        stats,
    ):
        app.include_router(module.router)
    app.include_router(__import__("api.routers.interop", fromlist=["router"]).router)  # issue 8
    app.include_router(__import__("api.routers.planning", fromlist=["router"]).router)  # issue 6
    app.include_router(__import__("api.routers.data_protection", fromlist=["router"]).router)  # issue 9
    app.include_router(__import__("api.routers.placements", fromlist=["router"]).router)  # issue 10
    app.include_router(__import__("api.routers.reports", fromlist=["router"]).router)  # issue 10
    __import__("api.web", fromlist=["install"]).install(app)  # web pages at /ui, with their static files (issue 7)
    app.add_middleware(HardenedHttp, settings=settings)  # body limits and security headers (issue 9)
    app.add_middleware(AccessLog)
    return app


def app_from_environment() -> FastAPI:
    """The app with settings from the environment: the factory each ``serve --workers`` process calls."""
    return create_app(Settings())
