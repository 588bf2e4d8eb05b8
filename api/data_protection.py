"""Data protection: purge closed records past the retention period, and subject access for one child.

Both are used by the API (``api.routers.data_protection``) and the CLI (``api.cli_data``), and both
leave an audit event in the same transaction: a purge says how many records of each kind went (counts
only: no ids, no names), a subject access says whose record was exported and how many rows it held.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.deps import Principal
from store.models import utcnow
from store.repositories import Repositories
from store.repositories.personal_data import PersonalDataRepository, PurgeCounts


@dataclass(frozen=True)
class PurgeReport:
    """What a purge deleted (or, dry run, would delete), and the cut-off it used."""

    older_than_days: int
    cutoff: dt.datetime
    dry_run: bool
    counts: PurgeCounts

    def to_json(self) -> dict[str, Any]:
        return {
            "older_than_days": self.older_than_days,
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "deleted" if not self.dry_run else "would_delete": self.counts.as_dict(),
        }


def purge(
    repos: Repositories, principal: Principal, older_than_days: int, *, dry_run: bool, now: dt.datetime | None = None
) -> PurgeReport:
    """Delete closed records last changed more than ``older_than_days`` ago, all or nothing (the caller's
    transaction), with an audit event of the counts; a dry run counts, writes nothing and is not audited."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    counts = PersonalDataRepository(repos.session).purge(cutoff, dry_run=dry_run)
    report = PurgeReport(older_than_days, cutoff, dry_run, counts)
    if not dry_run:
        repos.audit.add(
            actor=principal.username,
            role=principal.role,
            action="retention.purge",
            subject_type="retention",
            subject_id=None,
            detail={"older_than_days": older_than_days, "cutoff": cutoff.isoformat(), **counts.as_dict()},
        )
    return report


def subject_access(repos: Repositories, principal: Principal, child_id: str) -> dict[str, Any]:
    """Everything held about one child (``NotFound`` when there is no such child), audited."""
    export = PersonalDataRepository(repos.session).subject_access(child_id)
    sizes = {key: len(value) for key, value in export.items() if isinstance(value, list)}
    repos.audit.add(
        actor=principal.username,
        role=principal.role,
        action="child.subject_access",
        subject_type="child",
        subject_id=child_id,
        detail=sizes,
    )
    export["exported_at"] = utcnow().isoformat()
    export["exported_by"] = principal.username
    return export
