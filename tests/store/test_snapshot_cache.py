"""The snapshot cache catches up on just the records a revision changed, and reads once for many threads.

Given a cached snapshot and a change committed through any repository (or straight through the ORM),
the next snapshot equals a full load from the tables, without reading every household again; given a
revision with no record of what it changed, it reads everything again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.snapshot import Child, CurrentChild, Household, Snapshot
from store.cache import SnapshotCache
from store.db import REVISION_KEY, Database
from store.models import HouseholdRow, SnapshotChangeRow, StoreMeta
from store.repositories import Repositories
from store.repositories.snapshots import SnapshotRepository
from tests import builders
from tests.store.samples import rich_snapshot

AS_OF = dt.date(2026, 11, 23)


class Reads:
    """Counts whole-snapshot loads and catch-ups made through ``SnapshotRepository``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loads = self.catch_ups = 0
        load, catch_up = SnapshotRepository.load, SnapshotRepository.catch_up

        def counted_load(repository: SnapshotRepository, as_of: dt.date) -> Snapshot:
            self.loads += 1
            return load(repository, as_of)

        def counted_catch_up(repository: SnapshotRepository, *args: Any) -> Snapshot:
            self.catch_ups += 1
            return catch_up(repository, *args)

        monkeypatch.setattr(SnapshotRepository, "load", counted_load)
        monkeypatch.setattr(SnapshotRepository, "catch_up", counted_catch_up)


def _import(database: Database) -> None:
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(rich_snapshot(), actor="admin")


def _cached(database: Database, cache: SnapshotCache) -> Snapshot:
    with database.read_transaction() as session:
        return cache.current(session, AS_OF).snapshot


def _full(database: Database) -> Snapshot:
    with database.read_transaction() as session:
        return Repositories(session).snapshots.load(AS_OF)


def _new_household(repos: Repositories) -> None:
    repos.households.put(Household.model_validate(builders.household("H0", bedrooms_free=1)), actor="admin")


def _changed_child(repos: Repositories) -> None:
    child = repos.children.get("C1")
    repos.children.put(child.model_copy(update={"gender": "other"}))


def _new_child(repos: Repositories) -> None:
    repos.children.put(Child.model_validate(builders.child("C77", date_of_birth="2015-01-01")))


CHANGES: dict[str, Callable[[Repositories], object]] = {
    "current child added": lambda r: r.households.add_current_child("H1", CurrentChild(child_id="K9", age=4)),
    "hold placed": lambda r: r.households.place_hold(
        "H1", reason="investigation", starts_on=None, until=None, reserved_for_request=None, actor="manager"
    ),
    "approval changed": lambda r: r.households.set_approval(
        "H1", r.households.get("H1").approval.model_copy(update={"age_max": 9})
    ),
    "request closed": lambda r: r.requests.set_status("R1", "withdrawn"),
    "child changed": _changed_child,
    "household added": _new_household,
    "child added": _new_child,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_after_a_change_the_cache_catches_up_to_what_a_full_load_gives(
    database: Database, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    _import(database)
    cache = SnapshotCache()
    before = _cached(database, cache)
    reads = Reads(monkeypatch)
    with database.transaction() as session:
        CHANGES[change](Repositories(session))
    after = _cached(database, cache)
    assert (reads.loads, reads.catch_ups) == (0, 1)
    assert after != before
    assert after == _full(database)


def test_a_household_deleted_leaves_the_cached_snapshot(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _import(database)
    with database.transaction() as session:
        _new_household(Repositories(session))
    cache = SnapshotCache()
    assert "H0" in {h.id for h in _cached(database, cache).households}
    reads = Reads(monkeypatch)
    with database.transaction() as session:
        Repositories(session).households.delete("H0")
    after = _cached(database, cache)
    assert reads.catch_ups == 1
    assert "H0" not in {h.id for h in after.households}
    assert after == _full(database)


def test_a_change_made_straight_through_the_orm_is_recorded_too(database: Database) -> None:
    _import(database)
    with database.transaction() as session:
        row = session.get(HouseholdRow, "H3")
        assert row is not None
        row.bedrooms_free = 0
    with database.read_transaction() as session:
        revision = SnapshotRepository(session).revision()
        recorded = session.execute(
            select(SnapshotChangeRow.kind, SnapshotChangeRow.entity_id).where(SnapshotChangeRow.revision == revision)
        ).all()
    assert [tuple(r) for r in recorded] == [("household", "H3")]


def test_a_revision_with_no_record_of_its_changes_reads_everything_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(database)
    cache = SnapshotCache()
    _cached(database, cache)
    reads = Reads(monkeypatch)
    with database.transaction() as session:
        session.execute(update(StoreMeta).where(StoreMeta.key == REVISION_KEY).values(value=StoreMeta.value + 1))
    _cached(database, cache)
    assert (reads.loads, reads.catch_ups) == (1, 0)


def test_an_import_records_everything_changed(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _import(database)
    cache = SnapshotCache()
    _cached(database, cache)
    _import(database)
    reads = Reads(monkeypatch)
    assert _cached(database, cache) == _full(database)
    assert (reads.loads, reads.catch_ups) == (2, 0)  # the cache's reload, and _full's


def test_many_threads_after_a_change_read_the_changes_once(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _import(database)
    cache = SnapshotCache()
    _cached(database, cache)
    with database.transaction() as session:
        CHANGES["current child added"](Repositories(session))
    reads = Reads(monkeypatch)
    start = threading.Barrier(8)
    seen: list[Snapshot] = []

    def rank_like_a_duty_worker() -> None:
        start.wait()
        seen.append(_cached(database, cache))

    threads = [threading.Thread(target=rank_like_a_duty_worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (reads.loads, reads.catch_ups) == (0, 1)
    assert len(seen) == 8 and all(s is seen[0] for s in seen)


def test_changes_older_than_those_kept_are_pruned(database: Database) -> None:
    _import(database)
    with database.transaction() as session:
        _record_many(session)
    with database.read_transaction() as session:
        oldest = session.scalar(select(SnapshotChangeRow.revision).order_by(SnapshotChangeRow.revision).limit(1))
        revision = SnapshotRepository(session).revision()
    assert oldest is not None and oldest > revision - 1000


def _record_many(session: Session) -> None:
    """Pretend a thousand revisions went by, then commit one more change."""
    session.execute(update(StoreMeta).where(StoreMeta.key == REVISION_KEY).values(value=StoreMeta.value + 1000))
    Repositories(session).requests.set_status("R1", "withdrawn")


def test_a_transaction_sees_its_own_changes_and_others_commits(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(database)
    cache = SnapshotCache()
    _cached(database, cache)
    with database.transaction() as session:
        CHANGES["request closed"](Repositories(session))  # another worker's commit the cache has not seen
    reads = Reads(monkeypatch)
    with database.transaction() as session:
        CHANGES["current child added"](Repositories(session))
        inside = cache.current(session, AS_OF)
        assert inside.revision == -1
        assert (reads.loads, reads.catch_ups) == (0, 1)
        assert inside.snapshot == Repositories(session).snapshots.load(AS_OF)
    assert {r.id: r.status for r in inside.snapshot.requests}["R1"] == "withdrawn"
    assert "K9" in {c.child_id for c in inside.snapshot.households[0].current_children}


def test_an_accept_like_transaction_naming_a_household_twice_records_just_its_records(database: Database) -> None:
    _import(database)
    with database.transaction() as session:
        repos = Repositories(session)
        repos.households.add_current_child("H1", CurrentChild(child_id="K9", age=4))
        repos.households.remove_current_child("H1", "K9")  # H1 named again: still one household, not "all"
        repos.requests.set_status("R1", "withdrawn")
    with database.read_transaction() as session:
        revision = SnapshotRepository(session).revision()
        recorded = session.execute(
            select(SnapshotChangeRow.kind, SnapshotChangeRow.entity_id).where(SnapshotChangeRow.revision == revision)
        ).all()
    assert sorted(tuple(r) for r in recorded) == [("household", "H1"), ("request", "R1")]
