"""Outcomes wiring (issue 10): the report from the store's facts, and SSDA903 history into placements.

Routers, pages and the CLI call these; the computation itself is pure (``planning.outcomes``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from interop.ssda903_history import HistoryPlacement
from planning.outcomes import outcomes_report
from scoring.weights import weights_for
from store.models import utcnow
from store.repositories import Repositories

#: The report's default period: the twelve months up to today (the national stability measure's span).
DEFAULT_DAYS = 365


def default_period(today: dt.date, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period asked for, defaulting to the year up to ``today`` (or up to ``end``)."""
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def build_report(repos: Repositories, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The outcomes report for ``[start, end]`` from what the store holds (weights: the policy in force)."""
    decisions = repos.recommendations.decision_facts(start, end)
    placements = repos.placements.facts(start, end)
    weights = weights_for(repos.snapshots.policy(), "policy")
    return outcomes_report(decisions, placements, start, end, weights)


def import_history(repos: Repositories, history: Sequence[HistoryPlacement]) -> tuple[int, int]:
    """Store the placements not stored yet (by ``source_ref``); returns (added, already there)."""
    known = repos.placements.known_refs(h.source_ref for h in history)
    now = utcnow()
    rows = [{**asdict(h), "source": "ssda903", "created_at": now} for h in history if h.source_ref not in known]
    repos.placements.add_many(rows)
    return len(rows), len(history) - len(rows)
