"""Every 4xx names the field and the problem, in one shape: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``.

That is FastAPI's own validation shape, used for every other error too (401, 403, 404, 409, 422), so a
client needs one parser. Snapshot problems add ``problems``: ``[{source, record, field, message}]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from domain.errors import InputError
from store.errors import Conflict, NotFound

log = structlog.get_logger("placematch.api")

Loc = list[str | int]

#: The path parameter naming each kind of record, so "not found" points at the right field.
PATH_PARAMETER = {
    "household": "household_id",
    "hold on household": "household_id",
    "child": "child_id",
    "current child": "child_id",
    "request": "request_id",
    "recommendation": "recommendation_id",
    "user": "username",
    "api key": "key_id",
}


class ErrorItem(BaseModel):
    loc: Loc = Field(description="Where the problem is: `body`, `path`, `query` or `header`, then the field.")
    msg: str = Field(description="What is wrong, in words.")
    type: str = Field(description="A short machine-readable code, e.g. `not_found`, `conflict`, `forbidden`.")


class ProblemItem(BaseModel):
    source: str
    record: str
    field: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: list[ErrorItem]
    problems: list[ProblemItem] | None = Field(default=None, description="Snapshot problems, record by record.")


class ApiError(Exception):
    """An error with its HTTP status and the field it is about."""

    def __init__(
        self, status: int, loc: Sequence[str | int], msg: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.loc: Loc = list(loc)
        self.msg = msg
        self.code = code
        self.headers = headers
        super().__init__(msg)


def unauthorized(msg: str = "sign in: send a bearer token or an X-API-Key header") -> ApiError:
    return ApiError(401, ["header", "Authorization"], msg, "unauthorized", {"WWW-Authenticate": "Bearer"})


def forbidden(msg: str) -> ApiError:
    return ApiError(403, ["header", "Authorization"], msg, "forbidden")


def body_error(field: str | Sequence[str | int], msg: str, status: int = 422, code: str = "value_error") -> ApiError:
    path = [field] if isinstance(field, str) else list(field)
    return ApiError(status, ["body", *path], msg, code)


def error_response(
    status: int, items: list[ErrorItem], problems: list[ProblemItem] | None = None, **kw: Any
) -> JSONResponse:
    body = ErrorBody(detail=items, problems=problems).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, **kw)


#: Documented error responses, for the OpenAPI schema (and schemathesis's checks against it).
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "Malformed request",
        401: "Not signed in",
        403: "Role not allowed",
        404: "Unknown id",
        409: "Conflicts with the current state",
        413: "Request body too large",
        422: "Invalid input",
        429: "Too many failed sign-ins: wait for Retry-After seconds",
    }
    return {status: {"model": ErrorBody, "description": words[status]} for status in statuses}


def _methods_for(request: Request) -> list[str]:
    """The methods some route of the app answers at the request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    async def on_api_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(
            error.status, [ErrorItem(loc=error.loc, msg=error.msg, type=error.code)], headers=error.headers
        )

    async def on_not_found(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, NotFound)
        parameter = PATH_PARAMETER.get(error.kind, "id")
        where: Loc = ["path", parameter] if parameter in request.path_params else ["body", parameter]
        return error_response(404, [ErrorItem(loc=where, msg=str(error), type="not_found")])

    async def on_conflict(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Conflict)
        field = error.field or "id"
        where: Loc = ["path", field] if field in request.path_params else ["body", field]
        return error_response(409, [ErrorItem(loc=where, msg=error.message, type=error.code)])

    async def on_input_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, InputError)
        problems = [ProblemItem(**p.as_dict()) for p in error.problems]
        items = [
            ErrorItem(loc=["body", *(part for part in (p.record, p.field) if part)], msg=p.message, type="value_error")
            for p in error.problems
        ]
        return error_response(422, items, problems)

    async def on_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        items = [
            ErrorItem(loc=[p if isinstance(p, int) else str(p) for p in e["loc"]], msg=e["msg"], type=e["type"])
            for e in error.errors()
        ]
        return error_response(422, items)

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        headers = getattr(error, "headers", None)
        if error.status_code == 400:  # a body FastAPI could not parse (bad multipart, bad encoding): the body's fault
            item = ErrorItem(
                loc=["body"], msg=f"{request.method} {request.url.path}: {error.detail}", type="value_error"
            )
            return error_response(422, [item])
        if error.status_code == 405:  # every method the path answers, not only those of the first route matched
            headers = {**(headers or {}), "Allow": ", ".join(_methods_for(request))}
        loc: Loc = ["path"] if error.status_code in (404, 405) else []
        item = ErrorItem(loc=loc, msg=str(error.detail), type="http_error")
        return error_response(error.status_code, [item], headers=headers)

    async def on_integrity(_: Request, error: Exception) -> JSONResponse:
        log.warning("integrity_conflict", error=type(getattr(error, "orig", error)).__name__)
        item = ErrorItem(loc=["body"], msg="conflicts with another change to the same records; retry", type="conflict")
        return error_response(409, [item])

    async def on_data_error(_: Request, error: Exception) -> JSONResponse:
        item = ErrorItem(loc=["body"], msg="a value cannot be stored (out of range or not text)", type="value_error")
        return error_response(422, [item])

    async def on_connection_lost(error: DBAPIError) -> JSONResponse:
        # The connection dropped before the call's transaction committed, so none of its writes stay.
        log.warning("database_connection_lost", error=type(error.orig).__name__)
        msg = "the database connection was lost mid-call: its changes were rolled back; check, then retry"
        item = ErrorItem(loc=[], msg=msg, type="unavailable")
        return error_response(503, [item], headers={"Retry-After": "1"})

    async def on_dbapi(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DBAPIError)
        if error.connection_invalidated:
            return await on_connection_lost(error)
        raise error

    async def on_operational(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, OperationalError)
        if error.connection_invalidated:
            return await on_connection_lost(error)
        code = getattr(getattr(error, "orig", None), "sqlstate", None)
        if code in {"40001", "40P01"}:  # serialization failure, deadlock: the loser may simply retry
            item = ErrorItem(loc=[], msg="a concurrent change got there first; retry", type="conflict")
            return error_response(409, [item])
        raise error

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(Conflict, on_conflict)
    app.add_exception_handler(InputError, on_input_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(OperationalError, on_operational)
    app.add_exception_handler(DBAPIError, on_dbapi)
