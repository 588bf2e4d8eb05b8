"""The assertion every fault test ends with: the store passes every invariant of ``store.invariants``."""

from __future__ import annotations

from sqlalchemy import func, select

from store.db import Database
from store.invariants import check_invariants
from store.models import Base
from tests.api.conftest import TODAY


def assert_consistent(database: Database) -> None:
    """Fail with every breach found, one per line."""
    with database.read_transaction() as session:
        violations = check_invariants(session, TODAY)
    assert violations == [], "\n".join(str(v) for v in violations)


def row_counts(database: Database) -> dict[str, int]:
    """Rows per table: equal before and after a failed call means it wrote nothing."""
    with database.read_transaction() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
