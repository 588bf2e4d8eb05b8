"""The audit trail: who read or decided what, when and why. Rows are only ever added."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select

from store.models import AuditEventRow
from store.repositories.base import Page, Repository, core_table

#: Built once: every read of a child's record adds an event.
_ADD = insert(core_table(AuditEventRow)).returning(core_table(AuditEventRow).c.id)


class AuditRepository(Repository):
    """All SQL about audit events."""

    def add(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        subject_type: str,
        subject_id: str | None,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Add one event; returns its id."""
        values = {
            "actor": actor,
            "role": role,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "reason": reason,
            "detail": detail or {},
        }
        event_id: int | None = self.session.scalar(_ADD, values)
        assert event_id is not None
        return event_id

    def page(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        subject_id: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEventRow]:
        query = select(AuditEventRow)
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        if subject_id is not None:
            query = query.where(AuditEventRow.subject_id == subject_id)
        if since is not None:
            query = query.where(AuditEventRow.at >= since)
        rows, total = self._page(query, [AuditEventRow.id.desc()], limit, offset)
        return Page(rows, total)
