"""Small snapshot builders for tests: a valid record with sensible defaults, overridden per test.

Tests state only what matters to them: ``household(bedrooms_free=1)``, ``child(date_of_birth=...)``.
"""

from __future__ import annotations

import copy
from typing import Any

from domain.load import parse_snapshot
from domain.snapshot import Snapshot

AS_OF = "2026-11-23"
NEEDED_BY = "2026-11-24"


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def household(id: str = "H1", **overrides: Any) -> dict[str, Any]:
    """An active in-house mainstream household in Leicester that can take almost anyone."""
    base: dict[str, Any] = {
        "id": id,
        "provider": "in_house",
        "weekly_cost_gbp": 420,
        "carer_type": "mainstream",
        "status": "active",
        "hold": None,
        "approval": {
            "placement_kinds": ["emergency", "short_term", "long_term"],
            "age_min": 0,
            "age_max": 18,
            "max_children": 3,
            "genders": [],
            "max_sibling_group": 3,
            "named_children": [],
            "manages_risks": [],
            "skills": [],
            "exemption": None,
        },
        "location": {"lat": 52.6369, "lon": -1.1398, "postcode_district": "LE1"},
        "bedrooms_free": 3,
        "shared_bedroom_allowed": False,
        "smoking": False,
        "pets": [],
        "wheelchair_accessible": False,
        "languages": ["en"],
        "religion": None,
        "current_children": [],
        "do_not_place": [],
        "preferences": None,
    }
    return _merge(base, overrides)


def child(id: str = "C1", **overrides: Any) -> dict[str, Any]:
    """A ten-year-old girl living in Leicester with no special needs or risks."""
    base: dict[str, Any] = {
        "id": id,
        "name": f"Child {id}",
        "date_of_birth": "2016-06-01",
        "gender": "female",
        "needs": {"must": [], "would_benefit": []},
        "communication": [],
        "language": "en",
        "religion": None,
        "cultural_needs": [],
        "risks_to_others": [],
        "risks_to_self": [],
        "living_companions": "any",
        "pets": "ok",
        "location": {"lat": 52.6369, "lon": -1.1398},
        "sibling_group": None,
        "previous_households": [],
    }
    return _merge(base, overrides)


def current_child(child_id: str = "K1", **overrides: Any) -> dict[str, Any]:
    """A foster child already living in a household."""
    base: dict[str, Any] = {
        "child_id": child_id,
        "age": 9,
        "gender": "male",
        "sibling_group": None,
        "risks_to_others": [],
        "living_companions": "any",
    }
    return _merge(base, overrides)


def request(id: str = "R1", children: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """A waiting short-term request for C1, needed tomorrow."""
    base: dict[str, Any] = {
        "id": id,
        "children": children or ["C1"],
        "kind": "short_term",
        "needed_by": NEEDED_BY,
        "urgency": "within_5_days",
        "priority": 3,
        "siblings": "together",
        "max_distance_km": None,
        "in_house_only": False,
        "allow_relaxations": [],
        "status": "waiting",
    }
    return _merge(base, overrides)


def snapshot(
    households: list[dict[str, Any]],
    children: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    policy: dict[str, Any] | None = None,
) -> Snapshot:
    raw = {
        "as_of": AS_OF,
        "policy": {"max_distance_km": 80} if policy is None else policy,
        "households": households,
        "children": children,
        "requests": requests,
    }
    return parse_snapshot(raw, "test")


def with_weights(snap: Snapshot, **weights: int) -> Snapshot:
    """``snap`` with its policy's weight overrides replaced by ``weights``."""
    return snap.model_copy(update={"policy": snap.policy.model_copy(update={"weights": weights})})
