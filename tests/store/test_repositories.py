"""Repositories on both databases: snapshots in and out unchanged, invariants held by the database itself,
paging, holds, revisions and the snapshot cache."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from domain.errors import InputError
from domain.load import load_snapshot
from domain.snapshot import CurrentChild
from store.cache import SnapshotCache
from store.db import Database
from store.errors import Conflict, NotFound
from store.models import ApprovalRow, HoldRow
from store.repositories import Repositories
from tests import builders
from tests.store.samples import rich_snapshot

AS_OF = dt.date(2026, 11, 23)


def _import(database: Database) -> None:
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(rich_snapshot(), actor="admin")


def test_snapshot_round_trip_is_lossless(database: Database) -> None:
    original = rich_snapshot()
    _import(database)
    with database.transaction() as session:
        exported = Repositories(session).snapshots.load(original.as_of)
    assert exported == original


def test_import_again_replaces_records_and_keeps_history_of_holds(database: Database) -> None:
    _import(database)
    changed = rich_snapshot().model_copy(
        update={"households": [h.model_copy(update={"hold": None}) for h in rich_snapshot().households]}
    )
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(changed, actor="admin")
    with database.transaction() as session:
        repos = Repositories(session)
        assert repos.snapshots.load(AS_OF).households == changed.households
        released = session.query(HoldRow).filter(HoldRow.household_id == "H2").one()
        assert released.released_at is not None and released.released_by == "admin"


def test_import_that_would_leave_a_child_waiting_twice_changes_nothing(database: Database) -> None:
    _import(database)
    chloe = builders.child("C3", name="Chloe", date_of_birth="2012-07-14")
    clash = builders.snapshot(
        [], [builders.child("C9"), chloe], [builders.request("R9", ["C9"]), builders.request("R7", ["C3"])]
    )
    with pytest.raises(InputError) as raised, database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(clash, actor="admin")
    assert [p.record for p in raised.value.problems] == ["request R7"]
    assert "already waiting in request R2" in raised.value.problems[0].message
    with database.transaction() as session:
        repos = Repositories(session)
        assert repos.children.existing(["C9"]) == set()
        assert {r.id for r in repos.requests.page().items} == {"R1", "R2", "R3"}


def test_import_of_an_inconsistent_snapshot_writes_nothing(database: Database) -> None:
    broken = rich_snapshot().model_copy(update={"children": []})
    with pytest.raises(InputError), database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(broken, actor="admin")
    with database.transaction() as session:
        assert Repositories(session).snapshots.is_empty()


def test_database_refuses_approval_ages_out_of_order(database: Database) -> None:
    _import(database)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.get_one(ApprovalRow, "H1").age_min = 15
        session.get_one(ApprovalRow, "H1").age_max = 6


def test_database_refuses_hold_ending_before_it_starts(database: Database) -> None:
    _import(database)
    with pytest.raises(IntegrityError), database.transaction() as session:
        Repositories(session).households.place_hold(
            "H1",
            reason="investigation",
            starts_on=dt.date(2026, 12, 1),
            until=dt.date(2026, 11, 30),
            reserved_for_request=None,
            actor="manager",
        )


def test_one_hold_in_force_per_household(database: Database) -> None:
    _import(database)
    with pytest.raises(Conflict), database.transaction() as session:
        Repositories(session).households.place_hold(
            "H2", reason="again", starts_on=None, until=None, reserved_for_request=None, actor="manager"
        )
    with database.transaction() as session:
        repos = Repositories(session)
        repos.households.release_hold("H2", actor="manager")
        repos.households.place_hold(
            "H2", reason="again", starts_on=AS_OF, until=None, reserved_for_request="R1", actor="manager"
        )
    with database.transaction() as session:
        hold = Repositories(session).households.get("H2").hold
        assert hold is not None and hold.reserved_for_request == "R1"


def test_request_naming_an_unknown_child_is_refused_by_the_database(database: Database) -> None:
    _import(database)
    with pytest.raises(IntegrityError), database.transaction() as session:
        Repositories(session).requests.create(
            builders.snapshot([], [builders.child("C1")], [builders.request("R5", ["C1"])])
            .requests[0]
            .model_copy(update={"children": ["NOPE"]})
        )


def test_child_in_a_request_cannot_be_deleted(database: Database) -> None:
    _import(database)
    with pytest.raises(Conflict), database.transaction() as session:
        Repositories(session).children.delete("C1")


def test_missing_records_are_not_found(database: Database) -> None:
    with database.transaction() as session:
        repos = Repositories(session)
        for call in (
            lambda: repos.households.get("H404"),
            lambda: repos.children.get("C404"),
            lambda: repos.requests.get("R404"),
            lambda: repos.recommendations.row(404),
            lambda: repos.users.get("nobody"),
        ):
            with pytest.raises(NotFound):
                call()


def test_paging_and_filters(database: Database) -> None:
    _import(database)
    with database.transaction() as session:
        repos = Repositories(session)
        page = repos.households.page(limit=2, offset=0)
        assert [h.id for h in page.items] == ["H1", "H2"] and page.total == 3
        assert [h.id for h in repos.households.page(limit=2, offset=2).items] == ["H3"]
        assert [h.id for h in repos.households.page(provider="ifa").items] == ["H2"]
        waiting = repos.requests.page(status="waiting")
        assert [r.id for r in waiting.items] == ["R1", "R2"] and waiting.total == 2
        assert repos.children.page(sibling_group="G1").total == 2


def test_revision_moves_only_when_snapshot_data_is_committed(database: Database) -> None:
    with database.transaction() as session:
        start = Repositories(session).snapshots.revision()
    _import(database)
    with database.transaction() as session:
        repos = Repositories(session)
        after_import = repos.snapshots.revision()
        repos.audit.add(actor="duty", role="duty", action="child.read", subject_type="child", subject_id="C1")
    assert after_import == start + 1
    with database.transaction() as session:
        assert Repositories(session).snapshots.revision() == after_import
    with pytest.raises(RuntimeError), database.transaction() as session:
        Repositories(session).households.add_current_child("H1", CurrentChild(child_id="K9", age=4))
        raise RuntimeError("roll back")
    with database.transaction() as session:
        assert Repositories(session).snapshots.revision() == after_import
        assert Repositories(session).households.get("H1").current_children == []


def test_snapshot_cache_reuses_until_a_change_commits(database: Database) -> None:
    _import(database)
    cache = SnapshotCache()
    with database.transaction() as session:
        first = cache.current(session, AS_OF)
        assert cache.current(session, AS_OF).snapshot is first.snapshot
    with database.transaction() as session:
        Repositories(session).households.add_current_child("H1", CurrentChild(child_id="K9", age=4))
        inside = cache.current(session, AS_OF)
        assert [c.child_id for c in inside.snapshot.households[0].current_children] == ["K9"]
    with database.transaction() as session:
        second = cache.current(session, AS_OF)
    assert second.revision == first.revision + 1
    assert [c.child_id for c in second.snapshot.households[0].current_children] == ["K9"]


def test_place_children_uses_bedrooms_and_never_goes_below_zero(database: Database) -> None:
    _import(database)
    with database.transaction() as session:
        repos = Repositories(session)
        repos.households.lock(["H1"])
        repos.households.place_children("H1", [CurrentChild(child_id="C1", age=11)], 1, AS_OF)
        assert repos.households.get("H1").bedrooms_free == 1
        with pytest.raises(Conflict):
            repos.households.place_children("H1", [CurrentChild(child_id="C2", age=8)], 2, AS_OF)


def test_demo_county_round_trip(database: Database) -> None:
    """The committed demo county goes in and comes out unchanged (every household, child and request)."""
    county = load_snapshot(Path(__file__).resolve().parents[2] / "fixtures" / "demo-county.json")
    with database.transaction() as session:
        counts = Repositories(session).snapshots.import_snapshot(county, actor="admin")
    assert counts["households"] == len(county.households) > 100
    with database.transaction() as session:
        assert Repositories(session).snapshots.load(county.as_of) == county
