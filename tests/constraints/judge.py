"""Run one hard rule both ways (vectorised and scalar) on a one-household snapshot and insist they agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constraints.base import Home, distance_limit_km, make_part
from constraints.registry import RULES_BY_ID
from domain.tables import build_household_table
from tests import builders


@dataclass(frozen=True)
class Verdict:
    broken: bool
    reason: str | None


def judge(
    rule_id: str,
    household: dict[str, Any] | None = None,
    children: list[dict[str, Any]] | None = None,
    request: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
) -> Verdict:
    """The rule's verdict on placing the request's children (all together) in the household."""
    kids = children or [builders.child()]
    req = request or builders.request(children=[k["id"] for k in kids])
    snap = builders.snapshot([household or builders.household()], kids, [req], policy)
    the_request = snap.requests[0]
    part = make_part(
        {c.id: c for c in snap.children}, the_request, the_request.children, distance_limit_km(the_request, snap)
    )
    rule = RULES_BY_ID[rule_id]
    table = build_household_table(list(snap.households))
    vector = bool(rule.violations(part, table)[0])
    reason = rule.check(part, Home.as_is(snap.households[0]))
    assert vector == (reason is not None), f"{rule_id}: vectorised says {vector}, scalar says {reason!r}"
    return Verdict(vector, reason)
