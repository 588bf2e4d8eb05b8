"""Signing in, shared by ``POST /auth/token`` and the sign-in page, with a limit on failed attempts.

Failed sign-ins are counted per username and per client address in a moving window (the ``limits``
library, in memory): past either limit every attempt is refused with 429 and ``Retry-After``, a right
password included, until the window has moved on. Successful sign-ins are not counted, so a busy
office behind one address is not locked out by its own users. The counters are per process: with
``serve --workers N`` an attacker gets up to N times the limit (SECURITY.md).
"""

from __future__ import annotations

import math
import threading
import time

import structlog
from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.auth import issue_token
from api.deps import Services
from api.errors import ApiError
from api.schemas import TokenOut
from api.settings import Settings
from store.repositories.users import UserRepository

log = structlog.get_logger("placematch.api")


class TooManyAttempts(ApiError):
    """429: too many failed sign-ins for this username or from this address; ``retry_after`` in seconds."""

    def __init__(self, field: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            429,
            ["body", field],
            f"POST /auth/token: too many failed sign-ins for this {'username' if field == 'username' else 'address'};"
            f" try again in {retry_after} s",
            "rate_limited",
            {"Retry-After": str(retry_after)},
        )


class LoginLimiter:
    """Moving-window counts of failed sign-ins, per username and per client address (this process)."""

    def __init__(self, per_username: str = "10 per 15 minutes", per_address: str = "100 per 15 minutes") -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_username: RateLimitItem = parse(per_username)
        self._per_address: RateLimitItem = parse(per_address)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimiter:
        return cls(settings.login_limit_per_username, settings.login_limit_per_address)

    def _keys(self, username: str, address: str) -> list[tuple[str, RateLimitItem, str]]:
        return [
            ("username", self._per_username, username.casefold()),
            ("address", self._per_address, address),
        ]

    def check(self, username: str, address: str) -> None:
        """Raise ``TooManyAttempts`` when either count is spent."""
        for field, item, key in self._keys(username, address):
            if not self._limiter.test(item, "login", field, key):
                reset = self._limiter.get_window_stats(item, "login", field, key).reset_time
                raise TooManyAttempts(field, max(1, math.ceil(reset - time.time())))

    def failed(self, username: str, address: str) -> None:
        """Count one failed sign-in against both the username and the address."""
        with self._lock:
            for field, item, key in self._keys(username, address):
                self._limiter.hit(item, "login", field, key)


def sign_in(services: Services, username: str, password: str, address: str) -> TokenOut:
    """An access token for a right username and password of an active user; 401 otherwise, 429 when
    the username or the address has failed too often. Runs in a worker thread (argon2 is slow)."""
    limiter = login_limiter(services)
    limiter.check(username, address)
    with services.database.read_transaction() as session:
        user = UserRepository(session).by_username(username)
    if not services.hashing.verify(user.password_hash if user else None, password) or user is None or not user.active:
        limiter.failed(username, address)
        log.info("sign_in_refused", username=username)
        raise ApiError(401, ["body", "password"], "wrong username or password", "unauthorized")
    settings = services.settings
    access_token, expires_in = issue_token(
        user.username,
        user.role,
        secret=settings.jwt_secret.get_secret_value(),
        algorithm=settings.jwt_algorithm,
        minutes=settings.token_minutes,
    )
    log.info("signed_in", username=user.username, role=user.role)
    return TokenOut(access_token=access_token, expires_in=expires_in)


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy, run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


def login_limiter(services: Services) -> LoginLimiter:
    """The app's limiter, made from its settings on first use (one per app, shared by API and pages)."""
    limiter = services.extras.get("login_limiter")
    if not isinstance(limiter, LoginLimiter):
        with _CREATE:
            limiter = services.extras.get("login_limiter")
            if not isinstance(limiter, LoginLimiter):
                limiter = LoginLimiter.from_settings(services.settings)
                services.extras["login_limiter"] = limiter
    return limiter


_CREATE = threading.Lock()
