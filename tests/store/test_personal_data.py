"""The retention purge and the outcomes data (issue 10's placements), on SQLite and PostgreSQL.

A placement keeps its request and its child while it runs and until the cut-off passes its last day; a
purged request takes its placements with it, and a purged child the rest of theirs (SSDA903 history).
Every date here is set from the cut-off, so no answer depends on the day the tests run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from store.db import Database
from store.models import ChildRow, PlacementRow, RequestRow
from store.repositories import Repositories
from store.repositories.personal_data import PersonalDataRepository, PurgeCounts
from tests import builders
from tests.faults.consistency import row_counts
from tests.faults.inject import drop_connection

#: After every row's last change: rows are written now, so everything is older than this.
CUTOFF = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
DAY = CUTOFF.date()


def _placement(ref: str, child_id: str, request_id: str | None, ended_on: dt.date | None) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "household_id": "H1" if request_id else None,
        "request_id": request_id,
        "source": "service" if request_id else "ssda903",
        "source_ref": ref,
        "started_on": DAY - dt.timedelta(days=400),
        "ended_on": ended_on,
        "ending": None if ended_on is None else "unplanned",
        "disruption_reason": None if ended_on is None else "carer_circumstances",
        "end_note": None if ended_on is None else "carer moved away",
        "ethnicity": "WBRI",
    }


#: (placement ref, child, request, last day): what each case keeps or loses is in ``test_...`` below.
PLACEMENTS = [
    ("P1", "C1", "R1", DAY - dt.timedelta(days=1)),  # R1's own, ended the day before the cut-off: goes
    ("P1h", "C1", None, DAY - dt.timedelta(days=300)),  # C1's history: goes with C1
    ("P2", "C2", "R2", None),  # running: keeps R2 and C2
    ("P3", "C3", "R3", DAY),  # ended on the cut-off's day: keeps R3 and C3
    ("P4h", "C4", None, None),  # C4's history, running: keeps C4 (R4 goes)
    ("P5h", "C5", None, DAY - dt.timedelta(days=1)),  # ended before: goes with C5 (and R5)
    ("P6h", "C6", None, DAY),  # ended on the cut-off's day: keeps C6 (R6 goes)
]


@pytest.fixture
def outcomes(database: Database) -> Database:
    """R1-R3 placed (their children moved on), R4-R6 withdrawn or closed; C7 waits in R7; placements."""
    snapshot = builders.snapshot(
        [builders.household("H1")],
        [builders.child(f"C{n}") for n in range(1, 8)],
        [
            *(builders.request(f"R{n}", [f"C{n}"], status="placed") for n in (1, 2, 3)),
            builders.request("R4", ["C4"], status="withdrawn"),
            builders.request("R5", ["C5"], status="withdrawn"),
            builders.request("R6", ["C6"], status="closed"),
            builders.request("R7", ["C7"]),
        ],
    )
    with database.transaction() as session:
        repos = Repositories(session)
        repos.snapshots.import_snapshot(snapshot, actor="test")
        repos.placements.add_many([_placement(*case) for case in PLACEMENTS])
    return database


def _state(database: Database) -> tuple[list[str], list[str], list[str | None]]:
    with database.read_transaction() as session:
        return (
            list(session.scalars(select(RequestRow.id).order_by(RequestRow.id))),
            list(session.scalars(select(ChildRow.id).order_by(ChildRow.id))),
            list(session.scalars(select(PlacementRow.source_ref).order_by(PlacementRow.source_ref))),
        )


def test_placements_keep_their_request_and_child_until_the_cutoff_passes_their_last_day(outcomes: Database) -> None:
    expected = PurgeCounts(requests=4, children=2, placement_history=3)
    with outcomes.read_transaction() as session:
        assert PersonalDataRepository(session).purge(CUTOFF, dry_run=True) == expected
    assert _state(outcomes)[2] == sorted(ref for ref, *_ in PLACEMENTS)  # a dry run deletes nothing

    with outcomes.transaction() as session:
        assert PersonalDataRepository(session).purge(CUTOFF) == expected
    requests, children, placements = _state(outcomes)
    assert requests == ["R2", "R3", "R7"]  # R2 runs, R3 ended on the cut-off's day, R7 waits
    assert children == ["C2", "C3", "C4", "C6", "C7"]  # C4 and C6 kept by their own history
    assert placements == ["P2", "P3", "P4h", "P6h"]

    with outcomes.transaction() as session:  # the same cut-off again: nothing more to do
        assert PersonalDataRepository(session).purge(CUTOFF) == PurgeCounts()


def test_an_earlier_cutoff_keeps_more(outcomes: Database) -> None:
    earlier = CUTOFF - dt.timedelta(days=301)  # P1h ended the day before; everything else after it
    with outcomes.transaction() as session:
        counts = PersonalDataRepository(session).purge(earlier)
    assert counts.placement_history == 0 and counts.children == 0
    assert _state(outcomes)[2] == sorted(ref for ref, *_ in PLACEMENTS)


def test_a_purge_with_placements_is_all_or_nothing(outcomes: Database) -> None:
    before = row_counts(outcomes)
    last_delete = "^DELETE FROM children"  # after the placements'
    with (
        drop_connection(outcomes.engine, last_delete) as fault,
        pytest.raises(DBAPIError),
        outcomes.transaction() as session,
    ):
        PersonalDataRepository(session).purge(CUTOFF)
    assert fault.fired
    assert row_counts(outcomes) == before


def test_subject_access_lists_every_placement_of_the_child_with_how_it_ended(outcomes: Database) -> None:
    with outcomes.read_transaction() as session:
        export = PersonalDataRepository(session).subject_access("C1")
    placements = export["placement_history"]
    assert [p["source_ref"] for p in placements] == ["P1", "P1h"]  # both start 400 days before; by id
    first = placements[0]
    assert first["started_on"] == (DAY - dt.timedelta(days=400)).isoformat()
    assert first["ended_on"] == (DAY - dt.timedelta(days=1)).isoformat()
    assert (first["ending"], first["disruption_reason"], first["end_note"]) == (
        "unplanned",
        "carer_circumstances",
        "carer moved away",
    )
    assert first["ethnicity"] == "WBRI" and first["request_id"] == "R1" and first["household_id"] == "H1"
