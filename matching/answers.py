"""What matching returns: ranked options, exclusions, relaxations, in the CLI contract's JSON shape."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, NamedTuple

Status = Literal["optimal", "feasible", "infeasible"]


@dataclass(frozen=True)
class Placement:
    child_id: str
    household_id: str

    def to_json(self) -> dict[str, str]:
        return {"child_id": self.child_id, "household_id": self.household_id}


@dataclass(frozen=True)
class CriterionScore:
    id: str
    points: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "points": self.points, "reason": self.reason}


@dataclass(frozen=True)
class Relaxation:
    """A hard rule set aside for this option: which, why, and the role that must sign it off."""

    id: str
    household_id: str
    reason: str
    role: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "household_id": self.household_id, "reason": self.reason, "role": self.role}


@dataclass(frozen=True)
class Option:
    rank: int
    score: int
    placements: tuple[Placement, ...]
    criteria: tuple[CriterionScore, ...]
    relaxations: tuple[Relaxation, ...]

    @property
    def households(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.household_id for p in self.placements))

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": self.score,
            "placements": [p.to_json() for p in self.placements],
            "criteria": [c.to_json() for c in self.criteria],
            "relaxations": [r.to_json() for r in self.relaxations],
        }


class RuleBreach(NamedTuple):
    """One rule a household breaks, with the sentence a duty worker reads (a tuple: there are many)."""

    id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


class Exclusion(NamedTuple):
    """A household that cannot take the request, with every rule it breaks."""

    household_id: str
    rules: tuple[RuleBreach, ...]

    def to_json(self) -> dict[str, Any]:
        return {"household_id": self.household_id, "rules": [r.to_json() for r in self.rules]}


@dataclass(frozen=True, eq=False)
class Breaches:
    """Every excluded household with every rule it breaks, kept by rule as computed (vectorised):
    ``by_rule[rule_id] = (household ids, reasons)``, rules in registry order.

    A region has thousands of excluded households each breaking several rules; grouping them per
    household is left to whoever reads them (``RankAnswer.excluded`` or the JSON).
    """

    by_rule: dict[str, tuple[list[str], list[str]]]

    @cached_property
    def per_household(self) -> dict[str, list[tuple[str, str]]]:
        """Household id -> [(rule id, reason)] in registry order; households in id order."""
        grouped: dict[str, list[tuple[str, str]]] = {}
        for rule, (households, reasons) in self.by_rule.items():
            for household, reason in zip(households, reasons, strict=True):
                grouped.setdefault(household, []).append((rule, reason))
        return dict(sorted(grouped.items()))


@dataclass(frozen=True)
class RankAnswer:
    """A rank: the options, and every excluded household with every rule it breaks."""

    request_id: str
    status: Status
    options: tuple[Option, ...]
    breaches: Breaches

    @cached_property
    def excluded(self) -> tuple[Exclusion, ...]:
        return tuple(
            Exclusion(household, tuple(RuleBreach(rule, reason) for rule, reason in rules))
            for household, rules in self.breaches.per_household.items()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "status": self.status,
            "options": [o.to_json() for o in self.options],
            "excluded": [
                {"household_id": household, "rules": [{"id": rule, "reason": reason} for rule, reason in rules]}
                for household, rules in self.breaches.per_household.items()
            ],
        }
