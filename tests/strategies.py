"""Hypothesis strategies: random but valid snapshots that hit the hard rules' edges often."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from domain.load import parse_snapshot
from domain.snapshot import Snapshot
from domain.vocab import GENDERS, PLACEMENT_KINDS, RISKS, RISKS_TO_OTHERS, RISKS_TO_SELF, SKILLS

AS_OF = dt.date(2026, 11, 23)
#: Around Leicester; 0.5 degrees of latitude is about 55 km, so distance limits are crossed often.
LAT, LON = 52.63, -1.13


def _subset(values: tuple[str, ...], max_size: int = 2) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), max_size=max_size, unique=True)


@st.composite
def households(draw: st.DrawFn, index: int, child_ids: list[str], request_ids: list[str]) -> dict[str, Any]:
    age_min = draw(st.integers(0, 12))
    status = draw(st.sampled_from(["active", "active", "active", "on_hold", "deregistered"]))
    has_hold = draw(st.booleans()) if status != "deregistered" else False
    current = draw(st.lists(current_children(), max_size=3))
    current = [dict(c, child_id=f"K{index}{i}") for i, c in enumerate(current)]
    exemption = None
    if draw(st.integers(0, 3)) == 0:
        exemption = {
            "max_children": draw(st.integers(3, 5)),
            "named_children": draw(st.lists(st.sampled_from(child_ids), max_size=3, unique=True)),
            "expires": (AS_OF + dt.timedelta(days=draw(st.integers(-2, 4)))).isoformat(),
        }
    drawn: dict[str, Any] = {
        "id": f"H{index}",
        "provider": draw(st.sampled_from(["in_house", "in_house", "ifa"])),
        "weekly_cost_gbp": draw(st.integers(300, 1100)),
        "carer_type": draw(st.sampled_from(["mainstream", "mainstream", "connected", "specialist"])),
        "status": status,
        "hold": {
            "reason": "carer break",
            "until": None,
            "reserved_for_request": draw(st.sampled_from([None, *request_ids])),
        }
        if has_hold
        else None,
        "approval": {
            "placement_kinds": draw(st.lists(st.sampled_from(PLACEMENT_KINDS), min_size=1, max_size=4, unique=True)),
            "age_min": age_min,
            "age_max": draw(st.integers(age_min, 18)),
            "max_children": draw(st.integers(1, 4)),
            "genders": _one_or_none(draw),
            "max_sibling_group": draw(st.integers(1, 4)),
            "named_children": draw(st.lists(st.sampled_from(child_ids), max_size=2, unique=True)),
            "manages_risks": draw(_subset(RISKS, 4)),
            "skills": draw(_subset(SKILLS, 3)),
            "exemption": exemption,
        },
        "location": {"lat": LAT + draw(st.floats(-0.8, 0.8)), "lon": LON + draw(st.floats(-0.8, 0.8))},
        "bedrooms_free": draw(st.integers(0, 4)),
        "shared_bedroom_allowed": draw(st.booleans()),
        "smoking": draw(st.integers(0, 4)) == 0,
        "pets": draw(st.sampled_from([[], [], ["dog"], ["cat", "dog"]])),
        "wheelchair_accessible": draw(st.integers(0, 4)) == 0,
        "languages": draw(st.sampled_from([["en"], ["en", "pa"], ["pl"]])),
        "religion": draw(st.sampled_from([None, "muslim", "christian"])),
        "current_children": current,
        "do_not_place": draw(st.lists(st.sampled_from(child_ids), max_size=1)),
        "preferences": draw(st.sampled_from([None, {"age_min": 5, "age_max": 12, "genders": []}])),
    }
    if draw(st.booleans()):
        # A broadly approved home: drawn at random, every household above breaks some rule for almost every
        # child, and the rank and the batch would be tested on empty answers. Broad terms of approval keep
        # the edges that remain (bedrooms, current children, distance, holds, lists naming children) in play.
        drawn["carer_type"] = "mainstream"
        drawn["smoking"] = False
        drawn["approval"] = {
            **drawn["approval"],
            "placement_kinds": list(PLACEMENT_KINDS),
            "age_min": 0,
            "age_max": 18,
            "genders": [],
            "max_children": draw(st.integers(2, 4)),
            "max_sibling_group": draw(st.integers(2, 4)),
            "manages_risks": list(RISKS),
            "skills": list(SKILLS),
        }
        drawn["bedrooms_free"] = draw(st.integers(1, 4))
        drawn["status"], drawn["hold"] = "active", None
        drawn["current_children"] = current[:1]
        drawn["location"] = {"lat": LAT + draw(st.floats(-0.2, 0.2)), "lon": LON + draw(st.floats(-0.2, 0.2))}
    return drawn


def _one_or_none(draw: st.DrawFn) -> list[str]:
    return draw(st.sampled_from([[], [], [GENDERS[0]], [GENDERS[1]]]))


@st.composite
def current_children(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "child_id": "K",
        "age": draw(st.integers(0, 17)),
        "gender": draw(st.sampled_from(GENDERS)),
        "sibling_group": draw(st.sampled_from([None, "G1", "G2"])),
        "risks_to_others": draw(st.sampled_from([[], [], [], ["sexual_harm"], ["physical_harm"]])),
        "living_companions": draw(st.sampled_from(["any", "any", "any", "solo", "only_older", "only_younger"])),
    }


@st.composite
def children(draw: st.DrawFn, child_id: str, group: str) -> dict[str, Any]:
    age_days = draw(st.integers(0, 18 * 365 + 300))
    return {
        "id": child_id,
        "name": f"Name{child_id}",
        "date_of_birth": (AS_OF - dt.timedelta(days=age_days)).isoformat(),
        "gender": draw(st.sampled_from(GENDERS)),
        "needs": {"must": draw(_subset(SKILLS, 1)), "would_benefit": draw(_subset(SKILLS, 2))},
        "communication": draw(st.sampled_from([[], [], ["bsl"], ["esol"]])),
        "language": draw(st.sampled_from([None, "en", "pa"])),
        "religion": draw(st.sampled_from([None, "muslim"])),
        "cultural_needs": [],
        "risks_to_others": draw(
            st.sampled_from([[], [], [], ["sexual_harm"], ["animal_harm"], list(RISKS_TO_OTHERS[:2])])
        ),
        "risks_to_self": draw(st.sampled_from([[], [], list(RISKS_TO_SELF[:1]), ["cse", "missing"]])),
        "living_companions": draw(st.sampled_from(["any", "any", "any", "solo", "only_older", "only_younger"])),
        "pets": draw(st.sampled_from(["ok", "ok", "none", "must"])),
        "location": draw(
            st.sampled_from(
                [None, {"lat": LAT, "lon": LON}, {"lat": LAT + 0.5, "lon": LON}, {"lat": LAT, "lon": LON + 0.9}]
            )
        ),
        "sibling_group": draw(st.sampled_from([None, group, "G1"])),
        "previous_households": draw(st.sampled_from([[], ["H0"], ["H1"]])),
    }


@st.composite
def snapshots(draw: st.DrawFn, max_households: int = 8, max_requests: int = 3) -> Snapshot:
    """A valid random snapshot: a few households, a few waiting requests of one to four children."""
    n_requests = draw(st.integers(1, max_requests))
    sizes = [draw(st.integers(1, 4)) for _ in range(n_requests)]
    request_ids = [f"R{i}" for i in range(n_requests)]
    child_ids = [f"C{r}{k}" for r, size in enumerate(sizes) for k in range(size)]
    kids = [draw(children(f"C{r}{k}", f"S{r}")) for r, size in enumerate(sizes) for k in range(size)]
    settled = {r for r in range(n_requests) if draw(st.booleans())}
    for kid in kids:
        if int(kid["id"][1:-1]) in settled:
            # Siblings who can live together and with others: drawn at random, almost every group of two or
            # more clashes within itself (living companions, sexual harm) and no home can take it.
            kid.update(risks_to_others=[], living_companions="any")
    homes = [draw(households(i, child_ids, request_ids)) for i in range(draw(st.integers(1, max_households)))]
    requests = [
        {
            "id": request_ids[r],
            "children": [f"C{r}{k}" for k in range(size)],
            "kind": draw(st.sampled_from(["emergency", "short_term", "long_term"])),
            "needed_by": (AS_OF + dt.timedelta(days=draw(st.integers(0, 3)))).isoformat(),
            "urgency": draw(st.sampled_from(["today", "within_5_days", "planned"])),
            "priority": draw(st.integers(1, 5)),
            "siblings": draw(st.sampled_from(["together", "may_split"])),
            "max_distance_km": draw(st.sampled_from([None, None, 30.0, 60.0])),
            "in_house_only": draw(st.integers(0, 5)) == 0,
            "allow_relaxations": draw(
                st.sampled_from([[], [], ["age_range", "max_distance"], ["household_available", "approved_places"]])
            ),
            "status": "waiting",
        }
        for r, size in enumerate(sizes)
    ]
    raw = {
        "as_of": AS_OF.isoformat(),
        "policy": {"max_distance_km": draw(st.sampled_from([50, 80]))},
        "households": homes,
        "children": kids,
        "requests": requests,
    }
    return parse_snapshot(raw, "hypothesis")
