"""Placements (one child with one household) and how they ended; the facts the outcomes report reads.

A placement is made when a recommendation is accepted (one row per child) or imported from SSDA903
history; it is ended once, with a date, planned or unplanned, and an unplanned ending's reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, or_, select

from domain.outcomes import PlacementFacts
from store.errors import Conflict, NotFound
from store.models import PlacementRow
from store.repositories.base import Page, Repository, core_table


def placement_facts(row: PlacementRow) -> PlacementFacts:
    """A row as the pure report reads it."""
    return PlacementFacts(
        placement_id=row.id,
        child_id=row.child_id,
        started_on=row.started_on,
        source=row.source,
        provider=row.provider,
        planned_end_on=row.planned_end_on,
        ended_on=row.ended_on,
        ending=row.ending,
        disruption_reason=row.disruption_reason,
        distance_km=row.distance_km,
        siblings=row.siblings,
        skills_matched=row.skills_matched,
        age_at_start=row.age_at_start,
        disabled=row.disabled,
        ethnicity=row.ethnicity,
        sibling_group_size=row.sibling_group_size,
        days_waiting=row.days_waiting,
        criteria=dict(row.criteria or {}),
    )


class PlacementRepository(Repository):
    """All SQL about placements."""

    def add_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert placements (column -> value dicts); returns their ids in the same order."""
        if not rows:
            return []
        table = core_table(PlacementRow)
        return list(self.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))

    def known_refs(self, refs: Iterable[str]) -> set[str]:
        """Which of these source references are already stored (a re-import skips them)."""
        wanted = sorted(set(refs))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                r
                for r in self.session.scalars(select(PlacementRow.source_ref).where(PlacementRow.source_ref.in_(chunk)))
                if r is not None
            )
        return found

    def row(self, placement_id: int) -> PlacementRow:
        row = self.session.get(PlacementRow, placement_id)
        if row is None:
            raise NotFound("placement", placement_id)
        return row

    def lock(self, placement_id: int) -> PlacementRow:
        """The placement, locked against a concurrent ending (and re-read)."""
        row = self.session.scalar(
            select(PlacementRow)
            .where(PlacementRow.id == placement_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise NotFound("placement", placement_id)
        return row

    def page(
        self,
        *,
        child_id: str | None = None,
        household_id: str | None = None,
        request_id: str | None = None,
        open_only: bool | None = None,
        started_from: dt.date | None = None,
        started_to: dt.date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[PlacementRow]:
        query = select(PlacementRow)
        if child_id is not None:
            query = query.where(PlacementRow.child_id == child_id)
        if household_id is not None:
            query = query.where(PlacementRow.household_id == household_id)
        if request_id is not None:
            query = query.where(PlacementRow.request_id == request_id)
        if open_only is True:
            query = query.where(PlacementRow.ended_on.is_(None))
        elif open_only is False:
            query = query.where(PlacementRow.ended_on.is_not(None))
        if started_from is not None:
            query = query.where(PlacementRow.started_on >= started_from)
        if started_to is not None:
            query = query.where(PlacementRow.started_on <= started_to)
        rows, total = self._page(query, [PlacementRow.started_on.desc(), PlacementRow.id.desc()], limit, offset)
        return Page(rows, total)

    def end(
        self,
        placement_id: int,
        *,
        ended_on: dt.date,
        ending: str,
        disruption_reason: str | None,
        note: str | None,
        actor: str,
    ) -> PlacementRow:
        """End an open placement once; Conflict when it has already ended or would end before it started."""
        row = self.lock(placement_id)
        if row.ended_on is not None:
            raise Conflict(f"placement {placement_id} already ended on {row.ended_on}", "ended_on", "already_ended")
        if ended_on < row.started_on:
            raise Conflict(
                f"placement {placement_id} started on {row.started_on}; it cannot end on {ended_on}",
                "ended_on",
                "ends_before_start",
            )
        row.ended_on = ended_on
        row.ending = ending
        row.disruption_reason = disruption_reason
        row.end_note = note
        row.ended_by = actor
        self.session.flush()
        return row

    def set_planned_end(self, placement_id: int, planned_end_on: dt.date | None) -> PlacementRow:
        row = self.lock(placement_id)
        if planned_end_on is not None and planned_end_on < row.started_on:
            raise Conflict(
                f"placement {placement_id} started on {row.started_on}; its planned end cannot be {planned_end_on}",
                "planned_end_on",
                "ends_before_start",
            )
        row.planned_end_on = planned_end_on
        self.session.flush()
        return row

    def facts(self, start: dt.date, end: dt.date) -> list[PlacementFacts]:
        """Every placement under way at some time in ``[start, end]`` (started by ``end``, not ended before
        ``start``), as report facts, in child then start order."""
        query = (
            select(PlacementRow)
            .where(PlacementRow.started_on <= end)
            .where(or_(PlacementRow.ended_on.is_(None), PlacementRow.ended_on >= start))
            .order_by(PlacementRow.child_id, PlacementRow.started_on, PlacementRow.id)
        )
        return [placement_facts(row) for row in self.session.scalars(query)]
