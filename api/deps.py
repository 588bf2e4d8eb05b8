"""Typed dependencies: the database session (one transaction per call), repositories, the caller, roles.

Roles (issue 4): ``duty`` works requests, ranking and decisions; ``manager`` does all that plus holds,
relaxation sign-off and the audit trail; ``planner`` sees aggregate figures only, never a child's
record; ``admin`` manages users, households and snapshot import/export. Each route names the roles it
allows with ``allow(...)``; a test walks every route to prove the guard is there and works.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.auth import InvalidToken, PasswordHashing, api_key_matches, read_token, split_api_key, utc_now
from api.errors import ApiError, body_error, forbidden, unauthorized
from api.settings import Settings
from store.cache import SnapshotCache
from store.db import Database, is_sqlite_busy
from store.repositories import MAX_PAGE, Repositories
from store.repositories.users import UserRepository

#: Roles allowed to read and work on child-level casework.
CASEWORK = ("duty", "manager")
#: Roles that may read household records.
HOUSEHOLD_READERS = ("duty", "manager", "admin")
#: Roles that may see aggregate figures.
AGGREGATE = ("planner", "manager", "admin")

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"

#: Calls holding a database session at once, per process (PostgreSQL; SQLite: one, since its writers
#: take turns anyway and queueing here is fair where SQLite's busy-wait is not). Each sync dependency
#: and endpoint takes a worker thread (anyio's pool has 40); calls beyond these limits wait without a
#: thread, so a call holding a lock (a row lock, SQLite's write lock) always finds a thread to finish
#: on. Both limits together stay below 40 and within the engine's pool (SQLite 5+10, PostgreSQL 10+20).
DB_CONCURRENCY = 8
AUTH_CONCURRENCY = 4
_HEX = re.compile(r"^[0-9a-f]{1,32}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass
class Services:
    """What the app shares between calls: settings, the database, caches and the password hasher."""

    settings: Settings
    database: Database
    hashing: PasswordHashing
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)
    #: What time it is for access tokens' expiry (a test moves it instead of waiting).
    clock: Callable[[], dt.datetime] = utc_now
    extras: dict[str, Any] = field(default_factory=dict)
    _slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def today(self) -> dt.date:
        return self.settings.current_date()

    def session_slots(self) -> anyio.Semaphore:
        """Admission to a database session, first come first served (see ``DB_CONCURRENCY``).

        One semaphore per event loop (a test client may run several), like FastAPI's own limits.
        """
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = anyio.Semaphore(1 if self.database.is_sqlite else DB_CONCURRENCY)
            self._slots[loop] = slots
        return slots


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[Session]:
    """One transaction per call, committed before the response is sent (rolled back on any error).

    Opening a session does no I/O (the connection is taken at the first query), so it happens on the
    event loop; the commit or rollback runs in a worker thread.
    """
    async with services.session_slots():
        session = services.database.sessions()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_rollback_and_close, session)
            raise
        if session.in_transaction():
            await run_in_threadpool(_commit_and_close, session)
        else:
            session.close()  # the work committed itself (see ``ranking.rank``): nothing left to do, no I/O


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_repositories(session: SessionDep) -> Repositories:
    return Repositories(session)


ReposDep = Annotated[Repositories, Depends(get_repositories)]


@dataclass(frozen=True)
class Principal:
    """The caller: a user signed in with a token, or automation with an API key."""

    username: str
    role: str
    via: str


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key for automation.")


@dataclass(frozen=True)
class Credentials:
    """What a call presents to sign in, as sent and not yet checked: a bearer token or an API key."""

    token: str | None
    api_key: str | None


def _well_formed_key(api_key: str) -> tuple[str, str]:
    parts = split_api_key(api_key)
    if parts is None or not _HEX.match(parts[0]):
        raise ApiError(401, ["header", "X-API-Key"], "malformed API key", "unauthorized")
    return parts


def authenticate(services: Services, users: UserRepository, credentials: Credentials) -> Principal:
    """Who is calling, as the database says now (role and active flag included); 401 when nobody valid is."""
    token, api_key = credentials.token, credentials.api_key
    if api_key:
        prefix, secret = _well_formed_key(api_key)
        holder = users.api_key_holder(prefix)
        if holder is None or not api_key_matches(secret, holder.key_hash) or not holder.active:
            raise ApiError(401, ["header", "X-API-Key"], "unknown or revoked API key", "unauthorized")
        return Principal(holder.username, holder.role, "api_key")
    if not token:
        raise unauthorized()
    settings = services.settings
    try:
        claims = read_token(
            token,
            secret=settings.jwt_secret.get_secret_value(),
            algorithm=settings.jwt_algorithm,
            now=services.clock(),
        )
    except InvalidToken:
        raise unauthorized("invalid or expired token: sign in again") from None
    user = users.by_username(claims.username) if _USERNAME.match(claims.username) else None
    if user is None or not user.active:
        raise unauthorized("the token's user is unknown or disabled")
    return Principal(user.username, user.role, "token")


def current_principal(
    services: ServicesDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Who is calling; 401 when nobody valid is. The user's role is read now, so a change applies at once.

    The lookup is a short read-only transaction of its own, so a refused call never takes a write lock.
    """
    if not api_key and not token:
        raise unauthorized()
    if api_key:
        _well_formed_key(api_key)  # refused before any database work
    with services.database.read_transaction() as session:
        return authenticate(services, UserRepository(session), Credentials(token, api_key))


PrincipalDep = Annotated[Principal, Depends(current_principal, max_concurrency=AUTH_CONCURRENCY)]


def _find_nul(value: Any, path: list[str | int]) -> list[str | int] | None:
    """Where a NUL character hides in decoded JSON (databases cannot store it in text)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return [*path, key]
            found = _find_nul(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, [*path, index])
            if found is not None:
                return found
    return None


def check_role(principal: Principal, roles: frozenset[str]) -> None:
    """403 unless the caller's role is one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise forbidden(f"role {principal.role} may not do this; allowed: {allowed}")


async def _refuse_nul_body(request: Request) -> None:
    """422 naming the field when a JSON body carries a NUL character: no database stores them and nobody
    means to send them."""
    if request.method in {"POST", "PUT", "PATCH"}:
        body = await request.body()
        if b"\\u0000" in body:
            try:
                where = _find_nul(json.loads(body), [])
            except ValueError:
                where = None
            if where is not None:
                raise body_error(where, "text must not contain NUL characters")


class Guard:
    """A dependency that admits only the listed roles; every route but the public ones has one."""

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)


class RoleGuard(Guard):
    """Lets a call through only for the listed roles (403 otherwise, 401 when not signed in).

    After the role check it also refuses JSON bodies carrying NUL characters, naming the field.
    """

    async def __call__(self, request: Request, principal: PrincipalDep) -> Principal:
        check_role(principal, self.roles)
        await _refuse_nul_body(request)
        return principal


def allow(*roles: str) -> Any:
    """A dependency admitting only these roles; use as ``user: Annotated[Principal, allow("duty")]``."""
    return Depends(RoleGuard(*roles))


T = TypeVar("T")


class BlockingWork(Exception):
    """Raised by work running on the event loop when it would have to do something slow (build an index,
    solve, load prices) before writing anything: ``Caller.run`` does it again in a worker thread."""


class Caller:
    """A call's credentials and the roles its route admits, to be checked in the call's own transaction.

    ``run`` is the only way to the database from here, and it checks first: the credentials against the
    database as it is now (401) and the role (403), in the transaction the work then goes on in. One
    transaction per call, not two: on SQLite it holds the write lock from its first statement, so a
    refused call holds it for that one lookup.
    """

    def __init__(self, services: Services, credentials: Credentials, roles: frozenset[str]) -> None:
        self.services = services
        self._credentials = credentials
        self._roles = roles

    async def run(self, work: Callable[[Principal, Repositories, bool], T]) -> T:
        """``work(principal, repos, on_loop)`` as the checked caller in one transaction: committed when it
        returns (unless it committed itself), rolled back if anything raises.

        It first runs on the event loop itself, when the answer it needs is kept (else the work raises
        ``BlockingWork``: building an index or solving is for a worker thread, where it is then done again):
        - SQLite: on a connection that never waits for the write lock. The database's work is a few hundred
          microseconds and takes turns anyway (one session at a time, ``session_slots``), and handing it to
          a worker thread cost more than the work (the two threads pass the GIL back and forth at every
          SQLite call: about a quarter of the service's CPU on its hottest call). When another writer
          holds the lock it is rolled back and done again in a worker thread.
        - PostgreSQL: on the loop's asynchronous connections (``Database.loop_sessions``), where each
          statement waits without holding a thread. Measured with 50 clients ranking (``python -m
          benchmarks api --postgres ...``): 524 calls/s and p95 106 ms in worker threads, 686 calls/s
          and p95 94 ms on the loop.
        """
        async with self.services.session_slots():
            database = self.services.database
            quick = database.nowait_sessions
            if quick is not None:
                try:
                    return self._run(quick(), work, True)
                except BlockingWork:
                    pass
                except OperationalError as error:
                    if not is_sqlite_busy(error):
                        raise
            elif (on_loop := database.loop_sessions()) is not None:
                try:
                    async with on_loop() as session:
                        return await session.run_sync(self._run, work, True)
                except BlockingWork:
                    pass
            return await run_in_threadpool(lambda: self._run(database.sessions(), work, False))

    def _run(self, session: Session, work: Callable[[Principal, Repositories, bool], T], on_loop: bool) -> T:
        # Ended as ``get_session`` ends a route's session.
        try:
            repos = Repositories(session)
            principal = authenticate(self.services, repos.users, self._credentials)
            check_role(principal, self._roles)
            result = work(principal, repos, on_loop)
        except BaseException:
            _rollback_and_close(session)
            raise
        if session.in_transaction():
            _commit_and_close(session)
        else:
            session.close()  # the work committed itself
        return result


class CallerGuard(Guard):
    """``RoleGuard`` for a route that does all its work in ``Caller.run``: anonymous calls are refused here
    (401), and the credentials and role are checked by ``run``, in the call's own transaction. So a call
    with bad parameters is refused for them (422) before its credentials are looked up."""

    async def __call__(
        self,
        request: Request,
        token: Annotated[str | None, Depends(oauth2_scheme)],
        api_key: Annotated[str | None, Depends(api_key_scheme)],
    ) -> Caller:
        if not api_key and not token:
            raise unauthorized()
        if api_key:
            _well_formed_key(api_key)
        await _refuse_nul_body(request)
        services: Services = request.app.state.services
        return Caller(services, Credentials(token, api_key), self.roles)


def allow_caller(*roles: str) -> Any:
    """Like ``allow``, for a route that does its work through ``Caller.run``:
    ``caller: Annotated[Caller, allow_caller("duty")]``."""
    return Depends(CallerGuard(*roles))


IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="A record id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Most records in one page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Records to skip before the page starts.")]
