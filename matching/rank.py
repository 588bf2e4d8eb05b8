"""Per-request ranking: hard rules filter households with numpy, CP-SAT chooses among the options.

An option places every child of the request. For a ``together`` request it is one household. For a
``may_split`` request it is a set partition of the children into parts, each part in its own household
and each part passing every hard rule on its own (DESIGN.md reading 14); splitting costs the
``siblings_together`` points of every child of the group for each household more.

The k best options come from re-solving with a no-good cut on each option found. Only the best
``top + children - 1`` households per part are given to the solver: an option using a worse household
for some part can be improved by swapping in an unused better one, so it cannot be among the k best
(ties aside). One worker and a fixed seed keep the answer identical for the same input.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from constraints.base import Home, Part
from constraints.registry import RULES
from domain.snapshot import Request, Snapshot
from matching.answers import (
    Breaches,
    CriterionScore,
    Option,
    Placement,
    RankAnswer,
    Relaxation,
    Status,
)
from matching.candidates import relaxable_matrix, rule_matrix
from matching.index import SnapshotIndex
from matching.scarcity import ScarcityEstimate, estimate_scarcity, scarcity_for_request
from matching.validate import Proposal, check_proposals
from scoring import siblings_together
from scoring.base import ScoringContext
from scoring.registry import CRITERIA

#: Largest sibling group whose splits are enumerated part by part (2^8 - 1 = 255 parts).
MAX_SPLIT_GROUP = 8
#: Seconds CP-SAT may spend on one solve of the top-k loop; ranks here solve in milliseconds.
SOLVE_SECONDS = 10.0


class ValidationFailure(RuntimeError):
    """The validator rejected a solver answer: a bug, never shown to a duty worker as a recommendation."""


@dataclass(frozen=True)
class Choice:
    """One part of the request in one household, with its score and any relaxations it needs."""

    part: Part
    position: int
    points: tuple[int, ...]
    relaxed: tuple[str, ...]
    score: int


def _parts(index: SnapshotIndex, request: Request, whole: Part) -> list[Part]:
    """The whole group, plus every proper sub-group when the siblings may be split."""
    if request.siblings != "may_split" or whole.size == 1:
        return [whole]
    if whole.size > MAX_SPLIT_GROUP:
        # Beyond this only the whole group and single children are offered: 2^n parts would not be read.
        return [whole] + [index.part(request, [c]) for c in request.children]
    return [
        index.part(request, list(combo))
        for size in range(whole.size, 0, -1)
        for combo in itertools.combinations(request.children, size)
    ]


def _choices(
    index: SnapshotIndex, part: Part, fails: NDArray[np.bool_], ctx: ScoringContext, keep: int
) -> list[Choice]:
    """The ``keep`` best households for ``part``: legal, or breaking only rules this request may relax."""
    relaxable = relaxable_matrix(part, index.table)
    unrelaxable = (fails & ~relaxable).any(axis=0)
    positions = np.flatnonzero(~unrelaxable)
    if positions.size == 0:
        return []
    points = np.stack([criterion.points(part, index.table, positions, ctx) for criterion in CRITERIA])
    n_relaxed = fails[:, positions].sum(axis=0)
    scores = points.sum(axis=0) - index.weights["relaxation"] * n_relaxed
    order = np.lexsort((positions, -scores))[:keep]
    return [
        Choice(
            part=part,
            position=int(positions[i]),
            points=tuple(int(p) for p in points[:, i]),
            relaxed=tuple(RULES[int(r)].id for r in np.flatnonzero(fails[:, positions[i]])),
            score=int(scores[i]),
        )
        for i in order
    ]


def _solve_top_k(
    choices: list[Choice], whole: Part, weights: Mapping[str, int], top: int
) -> tuple[list[list[int]], bool]:
    """The k best set partitions of the children over ``choices``; True when every solve was proven optimal."""
    model = cp_model.CpModel()
    z = [model.new_bool_var(f"part{i}_h{c.position}") for i, c in enumerate(choices)]
    for child in whole.children:
        model.add_exactly_one(z[i] for i, c in enumerate(choices) if child.id in c.part.ids)
    by_household: dict[int, list[int]] = {}
    for i, c in enumerate(choices):
        by_household.setdefault(c.position, []).append(i)
    for members in by_household.values():
        if len(members) > 1:
            model.add_at_most_one(z[i] for i in members)
    per_extra = siblings_together.per_extra_home(whole.size, weights) if whole.size > 1 else 0
    model.maximize(cp_model.LinearExpr.weighted_sum(z, [c.score - per_extra for c in choices]) + per_extra * whole.size)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = SOLVE_SECONDS
    found: list[list[int]] = []
    proven = True
    while len(found) < top:
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        proven &= status == cp_model.OPTIMAL
        chosen = [i for i in range(len(choices)) if solver.boolean_value(z[i])]
        found.append(chosen)
        model.add(sum(z[i] for i in chosen) <= len(chosen) - 1)
    return found, proven


def _option(rank: int, chosen: Sequence[Choice], whole: Part, index: SnapshotIndex, ctx: ScoringContext) -> Option:
    households = index.table.households
    split = len(chosen) > 1
    criteria: list[CriterionScore] = []
    relaxations: list[Relaxation] = []
    for choice in chosen:
        household = households[choice.position]
        prefix = f"{household.id}: " if split else ""
        for criterion, pts in zip(CRITERIA, choice.points, strict=True):
            if pts:
                criteria.append(
                    CriterionScore(criterion.id, pts, prefix + criterion.reason(choice.part, household, pts, ctx))
                )
        home = Home.as_is(household)
        for rule_id in choice.relaxed:
            rule = next(r for r in RULES if r.id == rule_id)
            why = rule.check(choice.part, home) or ""
            role = rule.relaxable_by or ""
            relaxations.append(Relaxation(rule_id, household.id, f"{why}; needs {rule.relaxation}", role))
            criteria.append(
                CriterionScore(
                    "relaxation", -index.weights["relaxation"], f"{prefix}sets aside {rule_id}: needs sign-off"
                )
            )
    if whole.size > 1:
        together = siblings_together.points(whole.size, len(chosen), index.weights)
        criteria.append(
            CriterionScore("siblings_together", together, siblings_together.reason(whole.size, len(chosen)))
        )
    home_of = {c.id: households[choice.position].id for choice in chosen for c in choice.part.children}
    placements = tuple(Placement(c.id, home_of[c.id]) for c in whole.children)
    return Option(rank, sum(c.points for c in criteria), placements, tuple(criteria), tuple(relaxations))


def _exclusions(index: SnapshotIndex, whole: Part, fails: NDArray[np.bool_]) -> Breaches:
    """Every household breaking a rule for the whole group, with every rule it breaks, in registry order."""
    ids = index.table.ids
    by_rule: dict[str, tuple[list[str], list[str]]] = {}
    for r, rule in enumerate(RULES):
        positions = np.flatnonzero(fails[r])
        if positions.size:
            by_rule[rule.id] = (ids[positions].tolist(), rule.reasons(whole, index.table, positions))
    return Breaches(by_rule)


def rank_request(
    snapshot: Snapshot | SnapshotIndex,
    request_id: str,
    top: int = 5,
    scarcity: Mapping[str, int] | None = None,
    *,
    scarcity_reasons: Mapping[str, str] | None = None,
    estimate: ScarcityEstimate | None = None,
) -> RankAnswer:
    """Rank households for one request: the ``top`` best options, and every excluded household with why.

    ``scarcity`` gives points per household id from the last batch; without it a fast estimate over the
    waiting list is used (pass ``estimate`` to reuse one across requests).
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    index = snapshot if isinstance(snapshot, SnapshotIndex) else SnapshotIndex.build(snapshot)
    request = index.request(request_id)
    whole = index.part(request, request.children)
    whole_fails = rule_matrix(whole, index.table)

    parts = _parts(index, request, whole)
    fails_by_part = [whole_fails if part is whole else rule_matrix(part, index.table) for part in parts]
    usable = np.zeros(len(index.table), dtype=bool)
    for part, fails in zip(parts, fails_by_part, strict=True):
        usable |= ~(fails & ~relaxable_matrix(part, index.table)).any(axis=0)

    if scarcity is None:
        estimate = estimate or estimate_scarcity(index)
        scarcity, scarcity_reasons = scarcity_for_request(index, estimate, request.id, np.flatnonzero(usable))
    ctx = ScoringContext(index.weights, scarcity, scarcity_reasons or {})

    keep = top + whole.size - 1
    choices = [
        c for part, fails in zip(parts, fails_by_part, strict=True) for c in _choices(index, part, fails, ctx, keep)
    ]
    solutions, proven = _solve_top_k(choices, whole, index.weights, top) if choices else ([], True)

    options = [_option(0, [choices[i] for i in chosen], whole, index, ctx) for chosen in solutions]
    options.sort(key=lambda o: (-o.score, [p.household_id for p in o.placements]))
    ranked = tuple(
        Option(rank, o.score, o.placements, o.criteria, o.relaxations) for rank, o in enumerate(options, start=1)
    )
    for option in ranked:
        relaxed = frozenset(r.id for r in option.relaxations)
        proposal = Proposal(request.id, tuple((p.child_id, p.household_id) for p in option.placements), relaxed)
        breaches = check_proposals(index, [proposal])
        if breaches:
            raise ValidationFailure("; ".join(str(b) for b in breaches))
    status: Status = "infeasible" if not ranked else ("optimal" if proven else "feasible")
    return RankAnswer(request.id, status, ranked, _exclusions(index, whole, whole_fails))
