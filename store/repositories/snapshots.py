"""Whole snapshots: assemble one from the tables (for the matching and export), or import one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from domain.errors import InputError
from domain.load import check_references
from domain.snapshot import Policy, Snapshot
from store.convert import child_to_domain, household_to_domain, request_to_domain
from store.db import REVISION_KEY, mark_snapshot_changed
from store.models import ChildRow, PolicyRow, RequestRow, StoreMeta
from store.repositories.base import Repository
from store.repositories.children import ChildRepository
from store.repositories.households import HouseholdRepository, household_query
from store.repositories.requests import RequestRepository

POLICY_ID = 1


class SnapshotRepository(Repository):
    """All SQL about whole snapshots, the policy row and the revision counter."""

    def revision(self) -> int:
        """The number of committed transactions that changed snapshot data (see ``store.db``)."""
        return self.session.scalar(select(StoreMeta.value).where(StoreMeta.key == REVISION_KEY)) or 0

    def policy(self) -> Policy:
        row = self.session.get(PolicyRow, POLICY_ID)
        if row is None:
            return Policy()
        return Policy(max_distance_km=row.max_distance_km, weights=dict(row.weights))

    def set_policy(self, policy: Policy) -> None:
        row = self.session.get(PolicyRow, POLICY_ID)
        if row is None:
            row = PolicyRow(id=POLICY_ID)
            self.session.add(row)
        row.max_distance_km = policy.max_distance_km
        row.weights = dict(policy.weights)
        mark_snapshot_changed(self.session)

    def load(self, as_of: dt.date) -> Snapshot:
        """Everything one solve sees, as of ``as_of``: every household, child and request on record."""
        households = [household_to_domain(r) for r in self.session.scalars(household_query().order_by("id"))]
        children = [child_to_domain(r) for r in self.session.scalars(select(ChildRow).order_by(ChildRow.id))]
        requests = [
            request_to_domain(r)
            for r in self.session.scalars(
                select(RequestRow).options(selectinload(RequestRow.children)).order_by(RequestRow.id)
            )
        ]
        return Snapshot(as_of=as_of, policy=self.policy(), households=households, children=children, requests=requests)

    def is_empty(self) -> bool:
        """True when there are no households, children or requests yet (a fresh database)."""
        for model in (ChildRow, RequestRow):
            if self.session.scalar(select(model.id).limit(1)) is not None:
                return False
        return self.session.scalar(household_query().limit(1)) is None

    def import_snapshot(self, snapshot: Snapshot, actor: str, source: str = "import") -> dict[str, int]:
        """Create or replace every record of ``snapshot``; the caller's transaction makes it all-or-nothing.

        The snapshot must be valid on its own (``domain.load.check_references``), and records already on
        record and not in the snapshot stay, so the merged data must be valid too (no child waiting in
        two requests); else ``InputError``, raised before anything is written where it can be.
        """
        problems = check_references(snapshot, source)
        if problems:
            raise InputError(problems)
        self.set_policy(snapshot.policy)
        HouseholdRepository(self.session).put_many(snapshot.households, actor)
        children = ChildRepository(self.session)
        children.preload([c.id for c in snapshot.children])
        for child in snapshot.children:
            children.put(child, flush=False)
        requests = RequestRepository(self.session)
        requests.preload([r.id for r in snapshot.requests])
        for request in snapshot.requests:
            requests.put(request, flush=False)
        self.session.flush()
        merged = self.load(snapshot.as_of)
        problems = check_references(merged, source)
        if problems:
            raise InputError(problems)
        return {
            "households": len(snapshot.households),
            "children": len(snapshot.children),
            "requests": len(snapshot.requests),
        }
