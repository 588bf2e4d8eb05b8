"""Data protection: subject access for one child (managers, admins) and the retention purge (admins)."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query

from api import data_protection
from api.deps import IdPath, Principal, ReposDep, ServicesDep, allow
from api.errors import error_responses

log = structlog.get_logger("placematch.audit")

router = APIRouter(tags=["data protection"], responses=error_responses(401, 403, 422))
SubjectAccess = Annotated[Principal, allow("manager", "admin")]
Admin = Annotated[Principal, allow("admin")]


@router.get("/children/{child_id}/subject-access", responses=error_responses(404))
def subject_access(user: SubjectAccess, repos: ReposDep, child_id: IdPath) -> dict[str, Any]:
    """Everything held about one child (a subject access request): the record, the requests naming the
    child, options and decisions, where the child lives, households naming the child, holds, placement
    history and the audit events about all of these. The export itself is an audit event."""
    export = data_protection.subject_access(repos, user, child_id)
    log.info("subject_access", actor=user.username, role=user.role, child_id=child_id)
    return export


@router.post("/admin/purge")
def purge(
    user: Admin,
    services: ServicesDep,
    repos: ReposDep,
    older_than_days: Annotated[
        int | None,
        Query(
            ge=0, le=36500, description="Days since a closed request's last change (default: the retention setting)."
        ),
    ] = None,
    dry_run: Annotated[bool, Query(description="Count what would go; delete nothing.")] = False,
) -> dict[str, Any]:
    """Delete closed placement requests past the retention period with their options, decisions and rank
    runs, and children no request names any more; all or nothing, with an audit event of the counts."""
    days = services.settings.retention_days if older_than_days is None else older_than_days
    report = data_protection.purge(repos, user, days, dry_run=dry_run)
    log.info("purge", actor=user.username, dry_run=dry_run, older_than_days=days, **report.counts.as_dict())
    return report.to_json()
