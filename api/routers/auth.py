"""Sign in: the OAuth2 password flow gives a bearer token (JWT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from api.deps import ServicesDep
from api.errors import error_responses
from api.login import client_address, sign_in
from api.schemas import TokenOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, responses=error_responses(401, 422, 429))
def token(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenOut:
    """Exchange a username and password for an access token (``Authorization: Bearer <token>``).

    Too many failed attempts for one username or from one address: 429 with ``Retry-After``."""
    return sign_in(services, username, password, client_address(request))
