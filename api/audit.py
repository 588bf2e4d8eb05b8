"""Audit events: every read of a child's record and every decision, with who, what, when and why.

The event goes into the database in the caller's transaction (so a decision and its audit event
commit together) and into the structured log without its reason (free text stays out of logs).
"""

from __future__ import annotations

from typing import Any

import structlog

from api.deps import Principal
from store.repositories import Repositories

log = structlog.get_logger("placematch.audit")


def record(
    repos: Repositories,
    principal: Principal,
    action: str,
    subject_type: str,
    subject_id: str | None,
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit event; ``detail`` holds ids and counts only, never names or free text."""
    event_id = repos.audit.add(
        actor=principal.username,
        role=principal.role,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason,
        detail=detail,
    )
    log.info(
        "audit",
        audit_id=event_id,
        actor=principal.username,
        role=principal.role,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        with_reason=reason is not None,
    )
