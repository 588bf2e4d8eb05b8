"""The nightly batch from the database: solve every waiting request at once and keep the proposals.

A batch proposes; it never places a child. Each match becomes an open recommendation (a duty worker
accepts it like any ranked option); the previous batch's open proposals are withdrawn as superseded,
and passed to the solver as hints so that a stable plan stays stable. Requests stay ``waiting``.
"""

from __future__ import annotations

from typing import Any

import structlog

from api.audit import record
from api.deps import Principal
from matching.batch import BatchAnswer, BatchSettings, solve_batch
from matching.index import SnapshotIndex
from store.repositories import Repositories
from store.repositories.recommendations import WITHDRAWN

log = structlog.get_logger("placematch.api")

BATCH = "batch"


def previous_proposals(repos: Repositories) -> dict[str, list[tuple[str, str]]]:
    """The standing batch proposals, request id -> placements, to hint the next solve."""
    return {
        row.request_id: [(p.child_id, p.household_id) for p in row.placements]
        for row in repos.recommendations.open_from_runs_of_kind(BATCH)
    }


def _relaxation(rule_id: str, household_id: str, role: str) -> dict[str, str]:
    return {
        "id": rule_id,
        "household_id": household_id,
        "role": role,
        "reason": f"{rule_id} set aside for household {household_id}; needs sign-off by the {role.replace('_', ' ')}",
    }


def store_proposals(repos: Repositories, answer: BatchAnswer, revision: int, principal: Principal) -> dict[str, Any]:
    """Record the run and its matches as recommendations; returns the batch JSON with their ids."""
    superseded = repos.recommendations.open_from_runs_of_kind(BATCH)
    run_id = repos.recommendations.add_run(
        kind=BATCH,
        request_id=None,
        status=answer.status,
        revision=revision,
        duration_ms=round(sum(answer.timings.values()) * 1000),
        actor=principal.username,
    )
    for row in superseded:
        repos.recommendations.close(row.id, WITHDRAWN, f"superseded by batch run {run_id}")
    body = answer.to_json()
    for match, out in zip(answer.matches, body["matches"], strict=True):
        option = {
            "rank": 1,
            "score": match.score,
            "placements": [p.to_json() for p in match.placements],
            "criteria": [],
            "relaxations": [_relaxation(*r) for r in match.relaxations],
        }
        (recommendation_id,) = repos.recommendations.add_options(run_id, match.request_id, [option])
        out["recommendation_id"] = recommendation_id
    body["match_run_id"] = run_id
    record(
        repos,
        principal,
        "batch.run",
        "match_run",
        str(run_id),
        detail={"matches": len(answer.matches), "unplaced": len(answer.unplaced), "superseded": len(superseded)},
    )
    log.info("batch", match_run_id=run_id, status=answer.status, matches=len(answer.matches))
    return body


def run(
    repos: Repositories, index: SnapshotIndex, revision: int, principal: Principal, time_limit_s: float, store: bool
) -> dict[str, Any]:
    """Solve the batch on ``index``; store the proposals unless ``store`` is False (a dry run)."""
    settings = BatchSettings(time_limit_s=time_limit_s, previous=previous_proposals(repos))
    answer = solve_batch(index, settings)
    if not store:
        return answer.to_json()
    return store_proposals(repos, answer, revision, principal)
