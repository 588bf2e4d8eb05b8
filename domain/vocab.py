"""The fixed vocabularies of DESIGN.md. Files and the API accept exactly these lower-case ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

Gender = Literal["female", "male", "other"]
PlacementKind = Literal[
    "emergency",
    "short_term",
    "long_term",
    "short_break",
    "parent_and_child",
    "remand",
    "step_down",
    "staying_put",
]
CarerType = Literal[
    "mainstream",
    "short_break",
    "parent_and_child",
    "specialist",
    "pathway",
    "supported_lodgings",
    "connected",
]
Provider = Literal["in_house", "ifa"]
RiskToSelf = Literal["self_harm", "cse", "cce", "substance_misuse", "eating_disorder", "missing"]
RiskToOthers = Literal["physical_harm", "sexual_harm", "fire_setting", "animal_harm", "criminal_exploitation"]
Risk = Literal[
    "self_harm",
    "cse",
    "cce",
    "substance_misuse",
    "eating_disorder",
    "missing",
    "physical_harm",
    "sexual_harm",
    "fire_setting",
    "animal_harm",
    "criminal_exploitation",
]
Skill = Literal[
    "asd",
    "learning_disability",
    "physical_disability",
    "complex_health",
    "mental_health",
    "therapeutic",
    "teenagers",
    "parent_and_child",
    "step_down",
    "bsl",
    "makaton",
    "wheelchair_access",
]
Communication = Literal["bsl", "makaton", "esol", "other"]
LivingCompanions = Literal["any", "solo", "only_older", "only_younger"]
ChildPets = Literal["ok", "none", "must"]
Urgency = Literal["today", "within_5_days", "planned"]
SiblingMode = Literal["together", "may_split"]
RequestStatus = Literal["waiting", "proposed", "placed", "closed", "withdrawn"]

GENDERS: tuple[str, ...] = get_args(Gender)
PLACEMENT_KINDS: tuple[str, ...] = get_args(PlacementKind)
CARER_TYPES: tuple[str, ...] = get_args(CarerType)
RISKS: tuple[str, ...] = get_args(Risk)
RISKS_TO_SELF: tuple[str, ...] = get_args(RiskToSelf)
RISKS_TO_OTHERS: tuple[str, ...] = get_args(RiskToOthers)
SKILLS: tuple[str, ...] = get_args(Skill)
URGENCIES: tuple[str, ...] = get_args(Urgency)

#: Household statuses that can take a child at all; any other status (``deregistered``...) cannot.
AVAILABLE_STATUSES: frozenset[str] = frozenset({"active", "on_hold"})

#: Communication needs that are must-have needs (DESIGN.md precise reading 12).
MUST_COMMUNICATION: frozenset[str] = frozenset({"bsl", "makaton"})


def bit_of(vocabulary: tuple[str, ...], value: str) -> int:
    """The bit standing for ``value`` in a bitmask over ``vocabulary``."""
    return 1 << vocabulary.index(value)


def mask_of(vocabulary: tuple[str, ...], values: Iterable[str]) -> int:
    """A bitmask over ``vocabulary`` with the bits of ``values`` set."""
    mask = 0
    for value in values:
        mask |= 1 << vocabulary.index(value)
    return mask
