"""The audit trail, for managers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Limit, Offset, Principal, ReposDep, allow
from api.errors import error_responses
from api.schemas import AuditEventOut, ListPage
from domain.jsontypes import IsoDateTime

router = APIRouter(prefix="/audit", tags=["audit"], responses=error_responses(401, 403, 422))


@router.get("", response_model=ListPage[AuditEventOut])
def list_audit_events(
    user: Annotated[Principal, allow("manager")],
    repos: ReposDep,
    limit: Limit = 50,
    offset: Offset = 0,
    actor: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")] = None,
    subject_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
    since: IsoDateTime | None = None,
) -> ListPage[AuditEventOut]:
    """Audit events, newest first: who read or decided what, when and why."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    page = repos.audit.page(actor=actor, action=action, subject_id=subject_id, since=since, limit=limit, offset=offset)
    items = [
        AuditEventOut(
            id=e.id,
            at=e.at,
            actor=e.actor,
            role=e.role,
            action=e.action,
            subject_type=e.subject_type,
            subject_id=e.subject_id,
            reason=e.reason,
            detail=e.detail,
        )
        for e in page.items
    ]
    return ListPage[AuditEventOut](items=items, total=page.total)
