"""A per-process cache of the current snapshot, keyed by the store's revision counter.

Ranking reads the whole snapshot for every call; rebuilding it from the tables each time would cost
more than the ranking. A transaction that changes snapshot data bumps the revision as it commits
(``store.db``), so a cached snapshot is reused only while the revision it was built at is current.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from domain.snapshot import Snapshot
from store.db import pending_changes, snapshot_changed
from store.repositories.snapshots import SnapshotRepository


@dataclass(frozen=True)
class CachedSnapshot:
    snapshot: Snapshot
    revision: int


class SnapshotCache:
    """The latest snapshot this process built, valid while the revision has not moved.

    When the revision has moved, one thread brings the snapshot up to date while the others wait for it
    (fifty duty workers ranking just after an accept would otherwise each read every household again),
    reading again only the records the new revisions changed (``snapshot_changes``), or everything when
    those are not on record.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._entry: tuple[int, dt.date, Snapshot] | None = None

    def current(self, session: Session, as_of: dt.date) -> CachedSnapshot:
        """The snapshot as committed now (or as this session sees it, if it has changed data itself).

        The revision is read before and after loading: when it moved meanwhile, the rows may mix two
        states, so the result is used once but not cached.
        """
        repository = SnapshotRepository(session)
        if snapshot_changed(session):
            return CachedSnapshot(self._as_this_transaction_sees_it(repository, session, as_of), -1)
        revision = repository.revision()
        found = self._fresh(revision, as_of)
        if found is not None:
            return found
        with self._building:
            found = self._fresh(revision, as_of)  # another thread may have built it while this one waited
            if found is not None:
                return found
            snapshot = self._build(repository, revision, as_of)
            if repository.revision() == revision:
                with self._lock:
                    if self._entry is None or self._entry[0] <= revision:
                        self._entry = (revision, as_of, snapshot)
        return CachedSnapshot(snapshot, revision)

    def _fresh(self, revision: int, as_of: dt.date) -> CachedSnapshot | None:
        entry = self._entry
        if entry is not None and entry[0] >= revision and entry[1] == as_of:
            return CachedSnapshot(entry[2], entry[0])
        return None

    def _build(self, repository: SnapshotRepository, revision: int, as_of: dt.date) -> Snapshot:
        entry = self._entry
        if entry is not None and entry[1] == as_of:
            return repository.updated(entry[2], entry[0], revision, as_of)
        return repository.load(as_of)

    def _as_this_transaction_sees_it(
        self, repository: SnapshotRepository, session: Session, as_of: dt.date
    ) -> Snapshot:
        """The snapshot with this transaction's own uncommitted changes (an accept checking what else still
        holds): the cached one caught up on them and on whatever others committed since, where that is known."""
        own = pending_changes(session)
        entry = self._entry
        if entry is None or entry[1] != as_of:
            return repository.load(as_of)
        return repository.updated(entry[2], entry[0], repository.revision(), as_of, also=own)

    def clear(self) -> None:
        with self._lock:
            self._entry = None
