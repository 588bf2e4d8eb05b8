"""Households: their record, terms of approval, holds, current children and do-not-place list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from domain.snapshot import Approval, CurrentChild, Household
from store.convert import (
    current_child_row,
    hold_in_force,
    household_to_domain,
    set_approval,
    set_current_children,
    set_household_record,
)
from store.db import mark_snapshot_changed
from store.errors import Conflict, NotFound
from store.models import CurrentChildRow, HoldRow, HouseholdRow, RecommendationPlacementRow, utcnow
from store.repositories.base import Page, Repository

#: Ids per ``IN (...)`` list when loading many records at once.
_CHUNK = 500


def household_query() -> Select[HouseholdRow]:
    """Households with everything a snapshot needs, loaded in a few batched queries."""
    return select(HouseholdRow).options(
        selectinload(HouseholdRow.approval),
        selectinload(HouseholdRow.exemption),
        selectinload(HouseholdRow.holds),
        selectinload(HouseholdRow.current_children),
        selectinload(HouseholdRow.do_not_place),
    )


class HouseholdRepository(Repository):
    """All SQL about households."""

    def row(self, household_id: str) -> HouseholdRow:
        row = self.session.scalar(household_query().where(HouseholdRow.id == household_id))
        if row is None:
            raise NotFound("household", household_id)
        return row

    def get(self, household_id: str) -> Household:
        return household_to_domain(self.row(household_id))

    def exists(self, household_id: str) -> bool:
        return bool(self.session.scalar(select(exists().where(HouseholdRow.id == household_id))))

    def page(
        self,
        *,
        status: str | None = None,
        provider: str | None = None,
        carer_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Household]:
        query = household_query()
        if status is not None:
            query = query.where(HouseholdRow.status == status)
        if provider is not None:
            query = query.where(HouseholdRow.provider == provider)
        if carer_type is not None:
            query = query.where(HouseholdRow.carer_type == carer_type)
        rows, total = self._page(query, [HouseholdRow.id], limit, offset)
        return Page([household_to_domain(r) for r in rows], total)

    def create(self, household: Household, actor: str) -> Household:
        """Add a new household with its hold and current children; an id already used is a conflict."""
        if self.exists(household.id):
            raise Conflict(f"household {household.id} already exists", field="id")
        return self.put(household, actor)

    def put(self, household: Household, actor: str, *, record_only: bool = False) -> Household:
        """Create or replace a household. ``record_only`` keeps its hold and current children as they are."""
        row = self.session.scalar(household_query().where(HouseholdRow.id == household.id))
        row = self._write(row, household, actor, record_only=record_only)
        self.session.flush()
        return household_to_domain(row)

    def put_many(self, households: Sequence[Household], actor: str) -> None:
        """Create or replace many households (a snapshot import), loading the existing ones in a few queries."""
        existing: dict[str, HouseholdRow] = {}
        ids = [h.id for h in households]
        for start in range(0, len(ids), _CHUNK):
            query = household_query().where(HouseholdRow.id.in_(ids[start : start + _CHUNK]))
            existing.update((row.id, row) for row in self.session.scalars(query))
        for household in households:
            self._write(existing.get(household.id), household, actor, record_only=False)
        self.session.flush()

    def _write(self, row: HouseholdRow | None, household: Household, actor: str, *, record_only: bool) -> HouseholdRow:
        if row is None:
            row = HouseholdRow(id=household.id)
            self.session.add(row)
            row.holds = []
            row.current_children = []
            row.do_not_place = []
            row.exemption = None
        set_household_record(row, household)
        if not record_only:
            self._set_hold(row, household, actor)
            set_current_children(row, list(household.current_children))
        mark_snapshot_changed(self.session, households=[household.id])
        return row

    def _set_hold(self, row: HouseholdRow, household: Household, actor: str) -> None:
        """Make the hold in force match the snapshot's, releasing a different one."""
        wanted = household.hold
        current = hold_in_force(row)
        if current is not None and wanted is not None:
            same = (current.reason, current.until, current.reserved_for_request) == (
                wanted.reason,
                wanted.until,
                wanted.reserved_for_request,
            )
            if same:
                return
        if current is not None:
            current.released_at = utcnow()
            current.released_by = actor
            self.session.flush()
        if wanted is not None:
            row.holds.append(
                HoldRow(
                    household_id=row.id,
                    reason=wanted.reason,
                    until=wanted.until,
                    reserved_for_request=wanted.reserved_for_request,
                    created_by=actor,
                )
            )

    def delete(self, household_id: str) -> None:
        """Delete a household never named in a recommendation; one that was is deregistered instead."""
        row = self.row(household_id)
        used = self.session.scalar(select(exists().where(RecommendationPlacementRow.household_id == household_id)))
        if used:
            raise Conflict(
                f"household {household_id} is named in recommendations; set its status to deregistered instead",
                field="household_id",
            )
        self.session.delete(row)
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()

    def set_approval(self, household_id: str, approval: Approval) -> Household:
        row = self.row(household_id)
        set_approval(row, approval)
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()
        return household_to_domain(row)

    def hold(self, household_id: str) -> HoldRow | None:
        """The hold in force on a household, if any."""
        return hold_in_force(self.row(household_id))

    def place_hold(
        self,
        household_id: str,
        *,
        reason: str,
        starts_on: dt.date | None,
        until: dt.date | None,
        reserved_for_request: str | None,
        actor: str,
    ) -> HoldRow:
        """Put a household on hold; one already held must be released first."""
        row = self.row(household_id)
        if hold_in_force(row) is not None:
            raise Conflict(f"household {household_id} is already on hold; release that hold first", "household_id")
        hold = HoldRow(
            household_id=household_id,
            reason=reason,
            starts_on=starts_on,
            until=until,
            reserved_for_request=reserved_for_request,
            created_by=actor,
        )
        row.holds.append(hold)
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()
        return hold

    def release_hold(self, household_id: str, actor: str) -> HoldRow:
        row = self.row(household_id)
        hold = hold_in_force(row)
        if hold is None:
            raise NotFound("hold on household", household_id)
        hold.released_at = utcnow()
        hold.released_by = actor
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()
        return hold

    def release_holds_reserved_for(self, request_id: str, actor: str) -> list[str]:
        """Release every hold kept for a request (it has been placed); returns the households freed."""
        holds = self.session.scalars(
            select(HoldRow).where(HoldRow.reserved_for_request == request_id, HoldRow.released_at.is_(None))
        ).all()
        for hold in holds:
            hold.released_at = utcnow()
            hold.released_by = actor
        if holds:
            mark_snapshot_changed(self.session, households=[h.household_id for h in holds])
        return [h.household_id for h in holds]

    def add_current_child(self, household_id: str, child: CurrentChild, placed_on: dt.date | None = None) -> None:
        row = self.row(household_id)
        if any(c.child_id == child.child_id for c in row.current_children):
            raise Conflict(f"child {child.child_id} already lives in household {household_id}", "child_id")
        position = max((c.position for c in row.current_children), default=-1) + 1
        item = current_child_row(household_id, child, position)
        item.placed_on = placed_on
        row.current_children.append(item)
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()

    def remove_current_child(self, household_id: str, child_id: str) -> None:
        row = self.row(household_id)
        kept = [c for c in row.current_children if c.child_id != child_id]
        if len(kept) == len(row.current_children):
            raise NotFound("current child", child_id)
        row.current_children = kept
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()

    def households_of_child(self, child_id: str) -> list[str]:
        """Households where a child is recorded as a current child."""
        return list(
            self.session.scalars(select(CurrentChildRow.household_id).where(CurrentChildRow.child_id == child_id))
        )

    def lock(self, household_ids: Iterable[str]) -> None:
        """Lock households against concurrent placements, in id order so that two lockers never deadlock.

        ``FOR NO KEY UPDATE`` (PostgreSQL) blocks other placements into the same household but not the
        foreign-key checks of new recommendations; SQLite has already serialised the whole transaction.
        """
        ids = sorted(set(household_ids))
        if not ids:
            return
        self.session.execute(
            select(HouseholdRow.id)
            .where(HouseholdRow.id.in_(ids))
            .order_by(HouseholdRow.id)
            .with_for_update(key_share=True)
        ).all()

    def place_children(
        self, household_id: str, children: list[CurrentChild], bedrooms_used: int, placed_on: dt.date
    ) -> None:
        """Move children in: they become current children and use ``bedrooms_used`` free bedrooms."""
        row = self.row(household_id)
        if row.bedrooms_free < bedrooms_used:
            raise Conflict(f"household {household_id} has {row.bedrooms_free} bedrooms free", "household_id")
        position = max((c.position for c in row.current_children), default=-1) + 1
        for offset, child in enumerate(children):
            item = current_child_row(household_id, child, position + offset)
            item.placed_on = placed_on
            row.current_children.append(item)
        row.bedrooms_free -= bedrooms_used
        mark_snapshot_changed(self.session, households=[household_id])
        self.session.flush()
