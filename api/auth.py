"""Passwords (argon2), access tokens (JWT) and API keys: pure functions, no database access.

API keys look like ``pm_<prefix>_<secret>``: the prefix finds the key's row, the secret is checked
against a SHA-256 hash. A key is 192 random bits, so a fast hash is enough (unlike passwords).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Role = Literal["duty", "manager", "planner", "admin"]
ROLES: tuple[str, ...] = get_args(Role)

API_KEY_MARK = "pm"


class PasswordHashing:
    """Argon2id hashing with the configured cost."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches; with no hash, spends the same time and says no."""
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    expires: dt.datetime


class InvalidToken(Exception):
    """A bearer token that is malformed, forged or expired."""


def issue_token(username: str, role: str, *, secret: str, algorithm: str, minutes: int) -> tuple[str, int]:
    """A signed access token for a user, and its lifetime in seconds."""
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": username, "role": role, "iat": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=algorithm), minutes * 60


def utc_now() -> dt.datetime:
    """The wall clock, in UTC: the service's clock unless a test puts its own in ``Services.clock``."""
    return dt.datetime.now(dt.UTC)


def read_token(token: str, *, secret: str, algorithm: str, now: dt.datetime | None = None) -> TokenClaims:
    """The claims of a valid token; ``InvalidToken`` otherwise.

    The signature, algorithm and required claims are PyJWT's checks; the expiry is judged here, against
    ``now`` (the wall clock when omitted), so that the service's clock decides and tests can move it:
    a token is expired from its ``exp`` on, as in PyJWT.
    """
    try:
        claims = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["sub", "exp"], "verify_exp": False}
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    expires = claims["exp"]
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise InvalidToken("Expiration Time claim (exp) must be a number.")
    if expires <= (now or utc_now()).timestamp():
        raise InvalidToken("Signature has expired")
    try:
        expiry = dt.datetime.fromtimestamp(expires, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken("Expiration Time claim (exp) is out of range.") from None
    return TokenClaims(username=str(claims["sub"]), role=str(claims.get("role", "")), expires=expiry)


@dataclass(frozen=True)
class NewApiKey:
    """A key as shown once to the admin who made it, with what the store keeps of it."""

    key: str
    prefix: str
    key_hash: str


def hash_api_key_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return NewApiKey(key=f"{API_KEY_MARK}_{prefix}_{secret}", prefix=prefix, key_hash=hash_api_key_secret(secret))


def split_api_key(key: str) -> tuple[str, str] | None:
    """The (prefix, secret) of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_MARK or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def api_key_matches(secret: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key_secret(secret), key_hash)
