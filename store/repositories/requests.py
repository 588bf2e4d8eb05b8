"""Placement requests: one child or one sibling group needing a home."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from domain.snapshot import Request
from store.convert import request_to_domain, set_request
from store.db import mark_snapshot_changed
from store.errors import Conflict, NotFound
from store.models import RequestChildRow, RequestRow
from store.repositories.base import Page, Repository, core_table

#: Statuses of a request still looking for a home.
OPEN_STATUSES = ("waiting", "proposed")

#: Built once: every rank runs it. PostgreSQL: FOR NO KEY UPDATE, so two ranks (or a rank and a decision)
#: of one request take turns, while inserts referring to the request (KEY SHARE) are not blocked.
#: Core, not the mapped class: ranking locks its request on every call, and an ORM select costs the
#: session's ORM bookkeeping each time.
_REQUESTS = core_table(RequestRow)
_LOCK = select(_REQUESTS.c.status).where(_REQUESTS.c.id == bindparam("request_id")).with_for_update(key_share=True)


class RequestRepository(Repository):
    """All SQL about placement requests."""

    def row(self, request_id: str) -> RequestRow:
        row = self.session.scalar(
            select(RequestRow).options(selectinload(RequestRow.children)).where(RequestRow.id == request_id)
        )
        if row is None:
            raise NotFound("request", request_id)
        return row

    def exists(self, request_id: str) -> bool:
        return self.session.get(RequestRow, request_id) is not None

    def get(self, request_id: str) -> Request:
        return request_to_domain(self.row(request_id))

    def page(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        urgency: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Request]:
        query = select(RequestRow).options(selectinload(RequestRow.children))
        if status is not None:
            query = query.where(RequestRow.status == status)
        if kind is not None:
            query = query.where(RequestRow.kind == kind)
        if urgency is not None:
            query = query.where(RequestRow.urgency == urgency)
        rows, total = self._page(query, [RequestRow.id], limit, offset)
        return Page([request_to_domain(r) for r in rows], total)

    def open_requests_of(self, child_ids: list[str], *, excluding: str | None = None) -> dict[str, str]:
        """For each of these children already in an open request, that request's id."""
        if not child_ids:
            return {}
        query = (
            select(RequestChildRow.child_id, RequestRow.id)
            .join(RequestRow, RequestRow.id == RequestChildRow.request_id)
            .where(RequestChildRow.child_id.in_(child_ids), RequestRow.status.in_(OPEN_STATUSES))
        )
        if excluding is not None:
            query = query.where(RequestRow.id != excluding)
        return {child_id: request_id for child_id, request_id in self.session.execute(query)}

    def create(self, request: Request) -> Request:
        if self.session.get(RequestRow, request.id) is not None:
            raise Conflict(f"request {request.id} already exists", field="id")
        return self.put(request)

    def preload(self, request_ids: list[str]) -> None:
        """Load these requests (with their children) at once, so that ``put`` finds them without a query each."""
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start : start + 500]
            query = select(RequestRow).options(selectinload(RequestRow.children)).where(RequestRow.id.in_(chunk))
            self.session.scalars(query).all()

    def put(self, request: Request, *, flush: bool = True) -> Request:
        """Create or replace a request (its children must be on record)."""
        row = self.session.get(RequestRow, request.id, options=[selectinload(RequestRow.children)])
        if row is None:
            row = RequestRow(id=request.id)
            row.children = []
            self.session.add(row)
        set_request(row, request)
        mark_snapshot_changed(self.session, requests=[request.id])
        if flush:
            self.session.flush()
        return request_to_domain(row)

    def set_status(self, request_id: str, status: str) -> None:
        row = self.row(request_id)
        row.status = status
        mark_snapshot_changed(self.session, requests=[request_id])
        self.session.flush()

    def lock(self, request_id: str) -> str:
        """Lock a request against concurrent decisions; returns its status as it is now."""
        status: str | None = self.session.scalar(_LOCK, {"request_id": request_id})
        if status is None:
            raise NotFound("request", request_id)
        return status
