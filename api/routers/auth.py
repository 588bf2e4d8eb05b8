"""Sign in: the OAuth2 password flow gives a bearer token (JWT)."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Form

from api.auth import issue_token
from api.deps import ServicesDep
from api.errors import ApiError, error_responses
from api.schemas import TokenOut
from store.repositories.users import UserRepository

router = APIRouter(prefix="/auth", tags=["auth"])
log = structlog.get_logger("placematch.api")


@router.post("/token", response_model=TokenOut, responses=error_responses(401, 422))
def token(
    services: ServicesDep,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenOut:
    """Exchange a username and password for an access token (``Authorization: Bearer <token>``)."""
    with services.database.read_transaction() as session:
        user = UserRepository(session).by_username(username)
    if not services.hashing.verify(user.password_hash if user else None, password) or user is None or not user.active:
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
