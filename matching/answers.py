"""What matching returns: ranked options, exclusions, relaxations, in the CLI contract's JSON shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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


@dataclass(frozen=True)
class RuleBreach:
    id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Exclusion:
    household_id: str
    rules: tuple[RuleBreach, ...]

    def to_json(self) -> dict[str, Any]:
        return {"household_id": self.household_id, "rules": [r.to_json() for r in self.rules]}


@dataclass(frozen=True)
class RankAnswer:
    request_id: str
    status: Status
    options: tuple[Option, ...]
    excluded: tuple[Exclusion, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "status": self.status,
            "options": [o.to_json() for o in self.options],
            "excluded": [e.to_json() for e in self.excluded],
        }
