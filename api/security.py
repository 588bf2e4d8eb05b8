"""Hostile input at the door: request body limits (413), JSON nesting limits (422) and the security
headers of every response, as one small ASGI middleware (issue 9; SECURITY.md says why each is there).

The body is read here, up to its limit, before any route sees it: a body announced too large
(``Content-Length``) is refused before a byte is read, one that streams past the limit is refused as
soon as it does, and a JSON body nested deeper than ``max_json_depth`` is refused before a parser
recurses into it. The checked body is then replayed to the app unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from itertools import accumulate

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

#: Paths whose bodies are whole files (a snapshot, a referral, a spreadsheet, a scenario): the larger limit.
UPLOAD_PATHS = ("/snapshots/import", "/interop/", "/ui/planning/upload")
#: The pages vendor their scripts and styles under ``/ui/static``: no inline script or style anywhere.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
#: JSON answers run no script and load nothing.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
#: FastAPI's interactive docs load Swagger UI / ReDoc from a CDN and start them with an inline script;
#: they hold no personal data (the schema only), so they alone get a looser policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A JSON string (escapes included), removed before counting brackets so that "[[[" in a text is text.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_SIGNED = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (0 for a scalar), without parsing it.

    Strings are removed first; the brackets left are counted +1/-1 and the running total's maximum
    is the depth. Linear in the body and done in C but for the final sum, so a 64 MiB body is fine.
    """
    if body.count(b"[") + body.count(b"{") <= 1:
        return int(body.count(b"[") + body.count(b"{"))
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    steps = memoryview(brackets.translate(_SIGNED)).cast("b")
    return max(accumulate(steps), default=0)


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    if path.startswith(UPLOAD_PATHS):
        return settings.max_upload_bytes
    return settings.max_body_bytes


def security_headers(settings: Settings, path: str) -> list[tuple[str, str]]:
    """The headers every response to ``path`` carries, unless the route set its own."""
    if path.startswith("/ui"):
        csp = PAGE_CSP
    elif path.startswith(DOCS_PATHS):
        csp = DOCS_CSP
    else:
        csp = API_CSP
    headers = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if not path.startswith("/ui/static/"):
        # Answers carry children's records: no browser or proxy keeps a copy. Static files may be cached.
        headers.append(("Cache-Control", "no-store"))
    if settings.hsts_seconds:
        headers.append(("Strict-Transport-Security", f"max-age={settings.hsts_seconds}; includeSubDomains"))
    return headers


def _error(status: int, scope: Scope, msg: str, code: str) -> tuple[Message, Message]:
    """An error answer in the service's one shape, naming the endpoint and the field (the body)."""
    endpoint = f"{scope['method']} {scope['path']}"
    body = {"detail": [{"loc": ["body"], "msg": f"{endpoint}: {msg}", "type": code}]}
    payload = json.dumps(body).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
    }
    return start, {"type": "http.response.body", "body": payload}


def _is_json(headers: Headers) -> bool:
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class HardenedHttp:
    """Body size and JSON depth limits on the way in, security headers on the way out."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = security_headers(self.settings, path)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, sending)
            return
        headers = Headers(scope=scope)
        limit = body_limit(self.settings, path)
        too_large = f"the body is larger than {limit} bytes, the most this endpoint accepts"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, sending, 413, too_large, "too_large")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, sending, 413, too_large, "too_large")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(headers):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                msg = f"the body is not UTF-8 text, as JSON must be (byte {error.start})"
                await self._refuse(scope, sending, 422, msg, "json_invalid")
                return
            depth = json_depth(body)
            if depth > self.settings.max_json_depth:
                msg = f"JSON nested {depth} deep; at most {self.settings.max_json_depth} levels are accepted"
                await self._refuse(scope, sending, 422, msg, "too_deep")
                return
        await self.app(scope, _replay(body, receive), sending)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, msg: str, code: str) -> None:
        for message in _error(status, scope, msg, code):
            await send(message)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving the checked body once, then whatever the client sends next (a disconnect)."""
    pending: Iterable[Message] = iter([{"type": "http.request", "body": body, "more_body": False}])

    async def replay() -> Message:
        for message in pending:
            return message
        return await receive()

    return replay
