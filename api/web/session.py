"""Signing in to the web pages: a session cookie holding the API's own access token, role guards, CSRF.

The cookie carries the same signed JWT that ``POST /auth/token`` hands out, so a page call is
authenticated by the very function the API uses (``api.deps.current_principal``): the user's role is
read on every call and a disabled user is out at once. Forms carry a CSRF token derived from the
session (an HMAC of it under the service's key); the sign-in form, which has no session yet, uses a
double-submit cookie instead. Cookies are ``HttpOnly`` and ``SameSite=Lax``, scoped to the pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.auth import ROLES
from api.deps import AGGREGATE, CASEWORK, HOUSEHOLD_READERS, Principal, Services, ServicesDep, current_principal
from api.errors import ApiError

#: Where the pages live (the web app is mounted here).
PREFIX = "/ui"
SESSION_COOKIE = "pm_session"
LOGIN_COOKIE = "pm_login"
FLASH_COOKIE = "pm_flash"
CSRF_FIELD = "csrf_token"
#: Form posts that change nothing a CSRF attack could abuse are none: every POST is checked.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid session: the caller is sent to the sign-in page (or told 401 when it asked for JSON)."""

    def __init__(self, notice: str = "") -> None:
        self.notice = notice
        super().__init__(notice or "sign in")


class PageForbidden(Exception):
    """A signed-in user whose role may not see the page."""

    def __init__(self, role: str, allowed: frozenset[str]) -> None:
        self.role = role
        self.allowed = allowed
        super().__init__(f"role {role} may not see this page")


class PageError(Exception):
    """An error shown as a page: status, a title, what happened and where to go back to."""

    def __init__(
        self, status: int, title: str, message: str, back: str | None = None, back_label: str | None = None
    ) -> None:
        self.status = status
        self.title = title
        self.message = message
        self.back = back
        self.back_label = back_label
        super().__init__(message)


def csrf_for(services: Services, session_token: str) -> str:
    """The CSRF token of a session: an HMAC of the session token under the service's key."""
    key = services.settings.jwt_secret.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def safe_next(target: str | None) -> str:
    """A post-sign-in destination that stays on the pages (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def login_url(request: Request, notice: str = "") -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"{PREFIX}/login?next={quote(target, safe='')}" if request.method in SAFE_METHODS else f"{PREFIX}/login"
    if notice:
        url += ("&" if "?" in url else "?") + "expired=1"
    return url


async def _csrf_ok(request: Request, expected: str) -> bool:
    """Whether a form post carries the session's CSRF token (field or ``X-CSRF-Token`` header)."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()  # FastAPI parsed it already; Starlette returns the cached form
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return same(given, expected)


class PageGuard:
    """Lets a page call through for the listed roles; checks the CSRF token of every form post.

    Anonymous or expired: ``LoginRequired``. Wrong role: ``PageForbidden`` (a 403 page naming the
    roles that may see it). The principal and the CSRF token are left on ``request.state`` for the
    templates.
    """

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, request: Request, services: ServicesDep) -> Principal:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise LoginRequired()
        try:
            principal = await run_in_threadpool(current_principal, services, token, None)
        except ApiError:
            raise LoginRequired("Your session has ended: please sign in again.") from None
        request.state.principal = principal
        request.state.csrf = csrf_for(services, token)
        if principal.role not in self.roles:
            raise PageForbidden(principal.role, self.roles)
        if request.method not in SAFE_METHODS and not await _csrf_ok(request, request.state.csrf):
            raise PageError(
                403,
                "This form has expired",
                "The form was not sent from a page of this service, or your session changed since it was "
                "loaded. Go back, reload the page and try again.",
            )
        return principal


#: Pages for the duty team's casework (requests, ranking, decisions): duty workers and managers.
CaseworkPage = Annotated[Principal, Depends(PageGuard(*CASEWORK))]
#: Household records: duty workers, managers and admins.
HouseholdPage = Annotated[Principal, Depends(PageGuard(*HOUSEHOLD_READERS))]
#: Holds and the nightly batch: managers.
ManagerPage = Annotated[Principal, Depends(PageGuard("manager"))]
#: Aggregate figures and simulations (never a child's record): planners, managers and admins.
PlanningPage = Annotated[Principal, Depends(PageGuard(*AGGREGATE))]
#: Anyone signed in (the home page and signing out).
AnyonePage = Annotated[Principal, Depends(PageGuard(*ROLES))]
