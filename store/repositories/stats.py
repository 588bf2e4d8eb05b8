"""Aggregate counts for planners: no child-level record ever leaves this module."""

from __future__ import annotations

from sqlalchemy import func, select

from store.models import CurrentChildRow, HouseholdRow, RequestRow
from store.repositories.base import Repository


class StatsRepository(Repository):
    """All SQL behind the planners' aggregate figures."""

    def _counts(self, column: object, *where: object) -> dict[str, int]:
        query = select(column, func.count()).group_by(column)  # type: ignore[call-overload]
        for condition in where:
            query = query.where(condition)
        return {str(key): int(count) for key, count in self.session.execute(query)}

    def summary(self) -> dict[str, object]:
        """Households by status, provider and carer type; requests by status, and waiting ones by kind."""
        return {
            "households_by_status": self._counts(HouseholdRow.status),
            "households_by_provider": self._counts(HouseholdRow.provider),
            "households_by_carer_type": self._counts(HouseholdRow.carer_type),
            "requests_by_status": self._counts(RequestRow.status),
            "waiting_requests_by_kind": self._counts(RequestRow.kind, RequestRow.status == "waiting"),
            "waiting_requests_by_urgency": self._counts(RequestRow.urgency, RequestRow.status == "waiting"),
            "bedrooms_free": int(
                self.session.scalar(select(func.coalesce(func.sum(HouseholdRow.bedrooms_free), 0))) or 0
            ),
            "children_in_households": int(self.session.scalar(select(func.count()).select_from(CurrentChildRow)) or 0),
        }
