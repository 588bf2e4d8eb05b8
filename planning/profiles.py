"""Who the simulated children are: needs, risks, companions and pets drawn for their age and route into
care, so that the real hard rules have real work (a teenager with a risk no nearby carer manages goes
to an agency or a children's home, as in life).

Chances are the fixture generator's (``fixtures/generate.py``, shaped on [000], [001] and [004]); the
residential-route adjustments are assumed: children whom the council's history places in residential
care carry the risks and companion limits that make family placements hard.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from domain.snapshot import Child, Location, Needs

__all__ = ["Needs", "child", "date_of_birth", "scatter"]

TEEN_FROM = 11
SCHOOL_AGE = 5
#: Risks to self of teenagers by gender (female, male) (fixture generator TEEN_RISKS_TO_SELF).
TEEN_RISKS_TO_SELF: dict[str, tuple[float, float]] = {
    "cse": (0.14, 0.05),
    "missing": (0.18, 0.18),
    "self_harm": (0.16, 0.10),
    "cce": (0.04, 0.12),
    "substance_misuse": (0.07, 0.09),
    "eating_disorder": (0.04, 0.01),
}
#: Risks to others of teenagers and younger children (fixture generator).
TEEN_RISKS_TO_OTHERS: dict[str, float] = {
    "physical_harm": 0.06,
    "criminal_exploitation": 0.04,
    "fire_setting": 0.01,
    "sexual_harm": 0.015,
    "animal_harm": 0.01,
}
CHILD_RISKS_TO_OTHERS: dict[str, float] = {"physical_harm": 0.03, "animal_harm": 0.01}
#: Children whose route is residential care: these risks are far more common (assumed, [004]: children
#: in residential care "could be placed with skilled foster carers were such carers available").
RESIDENTIAL_RISKS_TO_OTHERS: dict[str, float] = {"physical_harm": 0.45, "criminal_exploitation": 0.25}
RESIDENTIAL_RISKS_TO_SELF: dict[str, float] = {"self_harm": 0.35, "missing": 0.45, "cse": 0.2, "cce": 0.2}
RESIDENTIAL_SOLO = 0.3
RESIDENTIAL_MUST_THERAPEUTIC = 0.35
#: Disabled children and their must-have need (fixture generator P_DISABLED, DISABILITY_NEEDS).
P_DISABLED = 0.07
DISABILITY_NEEDS: tuple[tuple[str, float], ...] = (
    ("wheelchair_access", 0.3),
    ("complex_health", 0.35),
    ("bsl", 0.15),
    ("makaton", 0.2),
)
#: Companion limits and pets (fixture generator CHILD_COMPANIONS_*, CHILD_PETS).
TEEN_COMPANIONS: tuple[tuple[str, float], ...] = (
    ("any", 0.92),
    ("solo", 0.03),
    ("only_younger", 0.03),
    ("only_older", 0.02),
)
YOUNG_COMPANIONS: tuple[tuple[str, float], ...] = (("any", 0.96), ("only_older", 0.03), ("solo", 0.01))
CHILD_PETS: tuple[tuple[str, float], ...] = (("ok", 0.92), ("none", 0.05), ("must", 0.03))
TEEN_WOULD_BENEFIT: dict[str, float] = {"teenagers": 0.3, "mental_health": 0.08}


def _weighted(rng: np.random.Generator, options: tuple[tuple[str, float], ...]) -> str:
    target = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        target -= weight
        if target < 0:
            return value
    return options[-1][0]


def _each(rng: np.random.Generator, chances: dict[str, float]) -> list[str]:
    draws = rng.random(len(chances))
    return [key for (key, p), u in zip(chances.items(), draws, strict=True) if u < p]


def date_of_birth(rng: np.random.Generator, age: int, on: dt.date) -> dt.date:
    """A birthday giving whole-year ``age`` on ``on`` (uniform over the possible days)."""
    latest = _years_before(on, age)
    earliest = _years_before(on, age + 1) + dt.timedelta(days=1)
    return latest - dt.timedelta(days=int(rng.integers(0, max(1, (latest - earliest).days + 1))))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def child(
    rng: np.random.Generator,
    child_id: str,
    age: int,
    on: dt.date,
    female: bool,
    location: Location,
    group: str | None,
    residential: bool,
) -> Child:
    """One child coming into care (or moving on) on ``on``, drawn for its age and route."""
    gender = "female" if female else "male"
    teen = age >= TEEN_FROM
    must: list[str] = []
    benefit: list[str] = []
    communication: list[str] = []
    to_self: list[str] = []
    to_others: list[str] = []
    companions = _weighted(rng, TEEN_COMPANIONS if teen else YOUNG_COMPANIONS)
    if teen:
        column = 0 if female else 1
        to_self = [risk for risk, p in TEEN_RISKS_TO_SELF.items() if rng.random() < p[column]]
        to_others = _each(rng, TEEN_RISKS_TO_OTHERS)
        benefit += _each(rng, TEEN_WOULD_BENEFIT)
    elif age >= SCHOOL_AGE:
        to_others = _each(rng, CHILD_RISKS_TO_OTHERS)
    if residential and age >= SCHOOL_AGE:
        to_others = sorted({*to_others, *_each(rng, RESIDENTIAL_RISKS_TO_OTHERS)})
        to_self = sorted({*to_self, *_each(rng, RESIDENTIAL_RISKS_TO_SELF)})
        if rng.random() < RESIDENTIAL_SOLO:
            companions = "solo"
        if rng.random() < RESIDENTIAL_MUST_THERAPEUTIC:
            must.append("therapeutic")
        benefit.append("therapeutic")
    if rng.random() < P_DISABLED:
        need = _weighted(rng, DISABILITY_NEEDS)
        (communication if need in ("bsl", "makaton") else must).append(need)
    if group is not None:
        # Brothers and sisters placed together can live together (as the fixture generator does).
        companions = "any"
        to_others = [r for r in to_others if r != "sexual_harm"]
    # Validated: pydantic-core checks these dicts faster than ``model_construct`` copies them in Python.
    needs: dict[str, Any] = {"must": sorted(set(must)), "would_benefit": sorted(set(benefit))}
    fields: dict[str, Any] = {
        "id": child_id,
        "name": None,
        "date_of_birth": date_of_birth(rng, age, on),
        "gender": gender,
        "needs": Needs.model_validate(needs),
        "communication": communication,
        "language": None,
        "religion": None,
        "cultural_needs": [],
        "risks_to_others": sorted(set(to_others)),
        "risks_to_self": sorted(set(to_self)),
        "living_companions": companions,
        "pets": _weighted(rng, CHILD_PETS),
        "location": location,
        "sibling_group": group,
        "previous_households": [],
    }
    return Child.model_validate(fields)


KM_PER_DEGREE_LAT = 111.2


def scatter(rng: np.random.Generator, lat: float, lon: float, spread_km: float) -> Location:
    """A point scattered (normal, ``spread_km``) around a centre, rounded to about 100 m."""
    d_lat, d_lon = rng.standard_normal(2) * spread_km
    return Location.model_validate(
        {
            "lat": round(lat + float(d_lat) / KM_PER_DEGREE_LAT, 3),
            "lon": round(lon + float(d_lon) / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat))), 3),
            "postcode_district": None,
        }
    )
