"""Structured logs (structlog) on stderr that never carry a child's personal data.

Log events name records by id only. As a second line of defence, fields that could hold names, dates
of birth, free-text reasons or secrets are replaced before anything is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

#: Event fields never written, whatever a caller passes.
REDACTED_FIELDS = frozenset(
    {"name", "names", "date_of_birth", "dob", "reason", "reasons", "note", "notes", "password", "token", "api_key"}
)


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace fields that may hold personal data or secrets."""
    for key in REDACTED_FIELDS.intersection(event):
        event[key] = "[redacted]"
    return event


class NoExceptionText(logging.Filter):
    """Keep an exception's type in the log but not its message or traceback text, which may quote data
    (a validation error quotes the value it refused). The audit trail and the database keep the detail."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} [{record.exc_info[0].__name__}]"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(*, json: bool = True, level: str = "INFO") -> None:
    """Route structlog through the standard library to stderr, one JSON object (or key=value line) per event."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"])
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, NoExceptionText) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(NoExceptionText())
    root = logging.getLogger("placematch")
    root.setLevel(level.upper())
    if not any(getattr(h, "_placematch", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(NoExceptionText())
        handler._placematch = True  # type: ignore[attr-defined]
        root.addHandler(handler)
