"""Children's records. Personal data: the API audits every read."""

from __future__ import annotations

from sqlalchemy import exists, select

from domain.snapshot import Child
from store.convert import child_to_domain, set_child
from store.db import mark_snapshot_changed
from store.errors import Conflict, NotFound
from store.models import ChildRow, RequestChildRow
from store.repositories.base import Page, Repository


class ChildRepository(Repository):
    """All SQL about children."""

    def row(self, child_id: str) -> ChildRow:
        row = self.session.get(ChildRow, child_id)
        if row is None:
            raise NotFound("child", child_id)
        return row

    def get(self, child_id: str) -> Child:
        return child_to_domain(self.row(child_id))

    def existing(self, child_ids: list[str]) -> set[str]:
        """Which of these ids are children on record."""
        if not child_ids:
            return set()
        return set(self.session.scalars(select(ChildRow.id).where(ChildRow.id.in_(child_ids))))

    def page(self, *, sibling_group: str | None = None, limit: int = 50, offset: int = 0) -> Page[Child]:
        query = select(ChildRow)
        if sibling_group is not None:
            query = query.where(ChildRow.sibling_group == sibling_group)
        rows, total = self._page(query, [ChildRow.id], limit, offset)
        return Page([child_to_domain(r) for r in rows], total)

    def create(self, child: Child) -> Child:
        if self.session.get(ChildRow, child.id) is not None:
            raise Conflict(f"child {child.id} already exists", field="id")
        return self.put(child)

    def preload(self, child_ids: list[str]) -> None:
        """Load these children into the session at once, so that ``put`` finds them without a query each."""
        for start in range(0, len(child_ids), 500):
            self.session.scalars(select(ChildRow).where(ChildRow.id.in_(child_ids[start : start + 500]))).all()

    def put(self, child: Child, *, flush: bool = True) -> Child:
        """Create or replace a child's record."""
        row = self.session.get(ChildRow, child.id)
        if row is None:
            row = ChildRow(id=child.id)
            self.session.add(row)
        set_child(row, child)
        mark_snapshot_changed(self.session, children=[child.id])
        if flush:
            self.session.flush()
        return child_to_domain(row)

    def delete(self, child_id: str) -> None:
        """Delete a child named in no placement request (requests keep their history)."""
        row = self.row(child_id)
        if self.session.scalar(select(exists().where(RequestChildRow.child_id == child_id))):
            raise Conflict(f"child {child_id} is named in a placement request", field="child_id")
        self.session.delete(row)
        mark_snapshot_changed(self.session, children=[child_id])
        self.session.flush()
