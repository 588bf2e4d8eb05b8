"""Snapshot import (all or nothing) and export (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.audit import record
from api.deps import Principal, ReposDep, ServicesDep, allow
from api.errors import error_responses
from api.schemas import ImportSummary
from domain.snapshot import Snapshot
from matching.index import SnapshotIndex

router = APIRouter(prefix="/snapshots", tags=["snapshots"], responses=error_responses(401, 403, 422))
Admin = Annotated[Principal, allow("admin")]


@router.post("/import", response_model=ImportSummary)
def import_snapshot(user: Admin, services: ServicesDep, repos: ReposDep, snapshot: Snapshot) -> ImportSummary:
    """Create or replace every household, child and request of a snapshot, and its policy.

    All or nothing: any problem (a request naming an unknown child, a child waiting twice, an unknown
    rule id...) is a 422 naming the record and field, and nothing is changed.
    """
    counts = repos.snapshots.import_snapshot(snapshot, actor=user.username, source="body")
    SnapshotIndex.build(services.snapshots.current(repos.session, services.today()).snapshot, "body")
    record(repos, user, "snapshot.import", "snapshot", None, detail=counts)
    return ImportSummary(**counts)


@router.get("/export", response_model=Snapshot)
def export_snapshot(user: Admin, services: ServicesDep, repos: ReposDep) -> Snapshot:
    """Everything on record as one snapshot (the format of ``placematch rank --snapshot``)."""
    snapshot = services.snapshots.current(repos.session, services.today()).snapshot
    record(repos, user, "snapshot.export", "snapshot", None, detail={"children": len(snapshot.children)})
    return snapshot
