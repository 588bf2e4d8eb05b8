"""Repositories: every SQL statement of the service, behind methods that speak ``domain`` types."""

from __future__ import annotations

from sqlalchemy.orm import Session

from store.repositories.audit import AuditRepository
from store.repositories.base import MAX_PAGE, Page
from store.repositories.batch_runs import BatchRunRepository
from store.repositories.children import ChildRepository
from store.repositories.households import HouseholdRepository
from store.repositories.placements import PlacementRepository
from store.repositories.recommendations import RecommendationRepository
from store.repositories.requests import OPEN_STATUSES, RequestRepository
from store.repositories.snapshots import SnapshotRepository
from store.repositories.stats import StatsRepository
from store.repositories.users import UserRepository

__all__ = ["MAX_PAGE", "OPEN_STATUSES", "Page", "Repositories"]


class Repositories:
    """Every repository, working in one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.households = HouseholdRepository(session)
        self.children = ChildRepository(session)
        self.requests = RequestRepository(session)
        self.snapshots = SnapshotRepository(session)
        self.recommendations = RecommendationRepository(session)
        self.batch_runs = BatchRunRepository(session)
        self.users = UserRepository(session)
        self.audit = AuditRepository(session)
        self.stats = StatsRepository(session)
        self.placements = PlacementRepository(session)
