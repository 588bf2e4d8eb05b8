"""Whole snapshots: assemble one from the tables (for the matching and export), or import one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from domain.errors import InputError
from domain.load import check_references
from domain.snapshot import Child, Household, Policy, Request, Snapshot
from store.convert import child_to_domain, household_to_domain, request_to_domain
from store.db import REVISION_KEY, SnapshotChanges, mark_snapshot_changed
from store.models import ChildRow, HouseholdRow, PolicyRow, RequestRow, SnapshotChangeRow, StoreMeta
from store.repositories.base import Repository
from store.repositories.children import ChildRepository
from store.repositories.households import HouseholdRepository, household_query
from store.repositories.requests import RequestRepository

POLICY_ID = 1


Record = TypeVar("Record", Household, Child, Request)


def _by_id(record: Household | Child | Request) -> str:
    return record.id


def _requests_query() -> Select[RequestRow]:
    return select(RequestRow).options(selectinload(RequestRow.children))


def _replaced(records: list[Record], changed: set[str], read: Callable[[list[str]], Iterable[Record]]) -> list[Record]:
    """``records`` with those whose id is in ``changed`` read again (in chunks), gone if no longer there."""
    kept = {r.id: r for r in records if r.id not in changed}
    ids = sorted(changed)
    for start in range(0, len(ids), 500):
        kept.update((r.id, r) for r in read(ids[start : start + 500]))
    return [kept[k] for k in sorted(kept)]


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
        """Everything one solve sees, as of ``as_of``: every household, child and request on record.

        Records are in id order as Python sorts strings, not as the database collates them, so both
        databases (and ``catch_up``) give the same order, and so the same rankings.
        """
        households = [household_to_domain(r) for r in self.session.scalars(household_query())]
        children = [child_to_domain(r) for r in self.session.scalars(select(ChildRow))]
        requests = [request_to_domain(r) for r in self.session.scalars(_requests_query())]
        return Snapshot(
            as_of=as_of,
            policy=self.policy(),
            households=sorted(households, key=_by_id),
            children=sorted(children, key=_by_id),
            requests=sorted(requests, key=_by_id),
        )

    def changes_since(self, revision: int, upto: int) -> SnapshotChanges | None:
        """What the revisions after ``revision`` up to ``upto`` changed; None when a reload of everything is
        needed (one of them changed everything, or is not on record: too old, or bumped by hand)."""
        rows = self.session.execute(
            select(SnapshotChangeRow.revision, SnapshotChangeRow.kind, SnapshotChangeRow.entity_id).where(
                SnapshotChangeRow.revision > revision, SnapshotChangeRow.revision <= upto
            )
        ).all()
        if {row.revision for row in rows} != set(range(revision + 1, upto + 1)):
            return None
        changes = SnapshotChanges()
        for row in rows:
            changes.add(row.kind, row.entity_id)
        return None if changes.everything else changes

    def updated(
        self, snapshot: Snapshot, revision: int, upto: int, as_of: dt.date, also: SnapshotChanges | None = None
    ) -> Snapshot:
        """``snapshot``, as it stood at ``revision``, brought to ``upto`` (and to the records in ``also``, a
        transaction's own uncommitted changes): only the records changed read again where the changes are
        on record, else everything loaded again."""
        changes = (
            SnapshotChanges() if revision == upto else self.changes_since(revision, upto) if revision < upto else None
        )
        if changes is not None and also is not None:
            changes = changes.merged(also)
        if changes is None or changes.everything:
            return self.load(as_of)
        return self.catch_up(snapshot, changes, as_of)

    def catch_up(self, snapshot: Snapshot, changes: SnapshotChanges, as_of: dt.date) -> Snapshot:
        """``snapshot`` with the changed records read again (and deleted ones gone), as ``load`` would give."""
        households = _replaced(
            snapshot.households,
            changes.households,
            lambda ids: map(
                household_to_domain, self.session.scalars(household_query().where(HouseholdRow.id.in_(ids)))
            ),
        )
        children = _replaced(
            snapshot.children,
            changes.children,
            lambda ids: map(child_to_domain, self.session.scalars(select(ChildRow).where(ChildRow.id.in_(ids)))),
        )
        requests = _replaced(
            snapshot.requests,
            changes.requests,
            lambda ids: map(request_to_domain, self.session.scalars(_requests_query().where(RequestRow.id.in_(ids)))),
        )
        # The records were validated one by one as they were read; the whole needs no second validation.
        return snapshot.model_copy(
            update={"as_of": as_of, "households": households, "children": children, "requests": requests}
        )

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
