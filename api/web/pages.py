"""The web pages as one app mounted at ``/ui`` beside the JSON API: signing in and out, the home page
for each role, the static files, and errors shown as pages.

The pages are a sub-application rather than routes of the API so that they stay out of the API's
OpenAPI schema (and its schemathesis run) and out of its route-by-route role test, which expects
bearer tokens and JSON errors; ``tests/browser/test_pages.py`` walks every page route the same way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from api.deps import Services, ServicesDep, current_principal
from api.errors import ApiError
from api.login import TooManyAttempts, client_address, sign_in
from api.web import duty, households, planner, reports
from api.web.render import STATIC, render
from api.web.session import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    AnyonePage,
    LoginRequired,
    PageError,
    PageForbidden,
    login_url,
    new_login_nonce,
    safe_next,
    same,
)
from domain.errors import InputError
from store.errors import Conflict, NotFound

router = APIRouter()

#: Each role's first page.
HOME = {
    "duty": f"{PREFIX}/requests",
    "manager": f"{PREFIX}/requests",
    "planner": f"{PREFIX}/planning",
    "admin": f"{PREFIX}/households",
}
# Security headers (CSP, framing, caching) are set for the pages and the API alike, in ``api.security``.


def _signed_in(request: Request, services: Services) -> str | None:
    """The role of a valid session, if any (the sign-in page sends signed-in users on)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return current_principal(services, token, None).role
    except ApiError:
        return None


def _login_page(request: Request, next_url: str, problem: str | None = None, status_code: int = 200) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or new_login_nonce()
    notice = "Your session has ended: please sign in again." if request.query_params.get("expired") else None
    if request.query_params.get("signed_out"):
        notice = "You have signed out."
    response = render(
        request,
        "login.html",
        {"next": next_url, "login_nonce": nonce, "problem": problem, "login_notice": notice},
        status_code,
    )
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path=PREFIX, httponly=True, samesite="lax")
    return response


@router.get("/login")
def login_form(request: Request, services: ServicesDep, next: str = "") -> Response:
    role = _signed_in(request, services)
    if role is not None:
        return RedirectResponse(safe_next(next) if next else HOME[role], status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    """Check the password the way ``POST /auth/token`` does (the same function, with the same limit on
    failed attempts) and set the session."""
    if not same(csrf_token, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, safe_next(next), "The sign-in form had expired: please try again.", 403)
    if not username or not password:
        return _login_page(request, safe_next(next), "Enter your username and password.", 422)
    try:
        token = await run_in_threadpool(sign_in, services, username, password, client_address(request))
    except TooManyAttempts as error:
        wait = f"Too many failed sign-ins: please wait {error.retry_after} seconds and try again."
        page = _login_page(request, safe_next(next), wait, 429)
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except ApiError:
        return _login_page(request, safe_next(next), "Wrong username or password.", 401)
    role = current_principal(services, token.access_token, None).role
    response = RedirectResponse(safe_next(next) if next else HOME.get(role, f"{PREFIX}/"), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token.access_token,
        max_age=token.expires_in,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(user: AnyonePage) -> Response:
    response = RedirectResponse(f"{PREFIX}/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/")
def home(user: AnyonePage) -> Response:
    return RedirectResponse(HOME.get(user.role, f"{PREFIX}/login"), status_code=303)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.url.path.endswith("/progress")


def _error_page(
    request: Request, status: int, title: str, message: str, back: str | None = None, back_label: str | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    context = {"title": title, "message": message, "back": back, "back_label": back_label}
    return render(request, "error.html", context, status)


def install_handlers(app: FastAPI) -> None:
    """Errors as pages: sign-in for anonymous calls, 403 pages naming the roles, the service's messages."""

    async def on_login_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, LoginRequired)
        if _wants_json(request):
            return JSONResponse({"detail": "sign in"}, status_code=401)
        return RedirectResponse(login_url(request, error.notice), status_code=303)

    async def on_forbidden(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageForbidden)
        allowed = ", ".join(sorted(error.allowed))
        message = f"Your role ({error.role}) may not see this page. It is for: {allowed}."
        if error.role == "planner":
            message += " Planners see aggregate figures only, never a child's record."
        return _error_page(request, 403, "Not allowed", message, HOME.get(error.role), "Go to your pages")

    async def on_page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        return _error_page(request, error.status, error.title, error.message, error.back, error.back_label)

    async def on_api_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError)
        titles = {403: "Not allowed", 404: "Not found", 409: "Refused: this conflicts with the current state"}
        return _error_page(request, error.status, titles.get(error.status, "Not done"), error.msg)

    async def on_not_found(request: Request, error: Exception) -> Response:
        return _error_page(request, 404, "Not found", str(error))

    async def on_conflict(request: Request, error: Exception) -> Response:
        assert isinstance(error, Conflict)
        return _error_page(request, 409, "Refused: this conflicts with the current state", error.message)

    async def on_input_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, InputError)
        return _error_page(request, 422, "Not done", "; ".join(str(p) for p in error.problems))

    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        fields = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in error.errors())
        return _error_page(request, 422, "Please check the form", fields)

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        message = "There is no page here." if error.status_code == 404 else str(error.detail)
        return _error_page(request, error.status_code, "Not found" if error.status_code == 404 else "Error", message)

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(PageForbidden, on_forbidden)
    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(Conflict, on_conflict)
    app.add_exception_handler(InputError, on_input_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def create_web_app(services: Services) -> FastAPI:
    """The pages as an app of their own, sharing the API's services (settings, database, caches)."""
    web = FastAPI(title="placematch pages", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.services = services
    for module in (duty, households, planner, reports):
        web.include_router(module.router, include_in_schema=False)
    web.include_router(router, include_in_schema=False)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_handlers(web)

    return web


async def _to_pages(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


def install(app: FastAPI) -> None:
    """Mount the pages at ``/ui`` on the API app, and send a visit to ``/`` there."""
    services: Services = app.state.services
    app.mount(PREFIX, create_web_app(services), name="pages")
    app.router.routes.append(Route("/", _to_pages, methods=["GET"], include_in_schema=False))
