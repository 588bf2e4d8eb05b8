"""The nightly batch: one CP-SAT optimisation over every waiting request. It proposes; it never places.

Model (DESIGN.md reading 15; issue "Nightly batch"):

* a candidate is one part of one request (the whole group, or for ``may_split`` one sub-group) in one
  household where that part passes every hard rule on its own (or breaks only rules the request may
  relax); ``x[c]`` says the candidate is chosen, ``y[r]`` that request ``r`` is placed, all or nothing;
* per household, linear constraints keep the final state legal: children within the approved number
  (or an exemption's, when it names every part placed), the usual limit of three (a part that exceeds
  it alone, as one sibling group or under exemption, must be alone), bedrooms summed over the parts;
  "not both" constraints for two parts whose children clash (sexual harm, living companions), computed
  exactly with each request's own needed-by ages, vectorised over pairs;
* objective in strict order: (1) children placed, weighted by urgency and priority; (2) the soft score
  (the same criteria as ranking, plus siblings kept together); (3) fewest relaxations; solved as one
  exactly lexicographic objective (``_solve_lexicographic``).

Candidates are pruned to the ``top_k`` best per part (plus the greedy warm start's and the previous
run's choices); an LP relaxation of the unpruned first level, solved before the model when it takes at
most ``LP_SHARE_MAX`` of the limit, bounds what pruning could lose.
Every proposal is checked by the solver-free validator before it is returned.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model, cp_model_helper
from ortools.util.python import sorted_interval_list

from constraints.base import Part, Parts, exemption_applies_mask, rooms_needed
from constraints.registry import RULES
from constraints.usual_fostering_limit import USUAL_LIMIT
from domain.snapshot import Request, Snapshot
from matching.answers import Placement
from matching.candidates import SMALL_TABLE, near_positions, relaxable_matrix, rule_matrix, within_reach
from matching.expected import NO_EXPECTED_DEMAND, ExpectedDemand, expected_demand, with_expected
from matching.index import SnapshotIndex
from matching.rank import _parts
from matching.sibling_room import sibling_room_cost
from matching.validate import Proposal, check_proposals
from scoring import siblings_together
from scoring.base import Pairs, ScoringContext
from scoring.registry import CRITERIA

BatchStatus = Literal["optimal", "feasible", "infeasible"]
Progress = Callable[[str, float], None]
IntArray = NDArray[np.int64]

URGENCY_ORDER = {"today": 0, "within_5_days": 1, "planned": 2}
#: Share of the time limit (at most AFTER_SOLVE_MAX_S seconds) kept for the work after the solve.
AFTER_SOLVE_SHARE = 0.05
AFTER_SOLVE_MAX_S = 5.0
#: Above this many waiting requests, more candidates per part are kept (SOLVER-NOTES: K=20 lost children
#: nationally, K=40 did not).
LARGE_WAITING_LIST = 1500
#: Living-companion codes for the pair-clash arrays.
_ANY, _SOLO, _ONLY_OLDER, _ONLY_YOUNGER = 0, 1, 2, 3
_LC_CODE = {"any": _ANY, "solo": _SOLO, "only_older": _ONLY_OLDER, "only_younger": _ONLY_YOUNGER}
_BIG_AGE = 1_000


@dataclass(frozen=True)
class BatchSettings:
    """How hard to try. Defaults suit a region on this 2-core machine (see SOLVER-NOTES.md)."""

    time_limit_s: float = 10.0
    #: Candidates kept per part; None picks by size (SOLVER-NOTES: 20 for a region, about 40 for England).
    top_k: int | None = None
    workers: int = 2
    #: Bound the loss from pruning with an LP of the unpruned first level when it has at most this many pairs
    #: (England's 2.1 million legal pairs: 18-26 s and 2.9 GB peak with HiGHS on this machine). It runs before
    #: the solve when it should take at most ``LP_SHARE_MAX`` of the limit; otherwise no pruning bound is reported.
    lp_bound_max_pairs: int = 3_000_000
    #: Price every household for ranking (the LP's duals), stored with the run as its scarcity.
    scarcity: bool = True
    #: The previous run's matches: request id -> placements, kept in the pruned set and used as hints.
    previous: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    #: Say why each unplaced request is unplaced (the simulation, which never reads why, leaves it empty:
    #: the reasons re-run rules over the households near each such request).
    explain_unplaced: bool = True
    #: Look ahead, as the nightly run does: solve the waiting list together with the children likely to come
    #: next (``matching.expected``) and keep room for sibling groups (``matching.sibling_room``). Off, the
    #: answer is the waiting list's own optimum (a one-off solve, the simulation).
    expected_demand: bool = False


@dataclass(frozen=True)
class Level:
    name: str
    status: str
    objective: int
    bound: int
    seconds: float
    #: False when no bound is known for this level (a level above it is not proven yet).
    proven: bool = True

    @property
    def gap(self) -> float:
        return abs(self.bound - self.objective) / max(1, abs(self.objective)) if self.proven else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": round(self.gap, 6) if self.proven else None,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Match:
    request_id: str
    placements: tuple[Placement, ...]
    relaxations: tuple[tuple[str, str, str], ...]
    score: int

    def proposal(self) -> Proposal:
        """The match as the validator takes it."""
        return Proposal(
            self.request_id,
            tuple((p.child_id, p.household_id) for p in self.placements),
            frozenset(rule for rule, _, _ in self.relaxations),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "placements": [p.to_json() for p in self.placements],
            "relaxations": [{"id": r, "household_id": h, "role": role} for r, h, role in self.relaxations],
        }


@dataclass(frozen=True)
class BatchAnswer:
    status: BatchStatus
    objective: int
    bound: int
    matches: tuple[Match, ...]
    unplaced: tuple[tuple[str, str], ...]
    levels: tuple[Level, ...]
    children_placed: int
    children_waiting: int
    pruning_bound: int | None
    greedy: GreedyResult
    timings: dict[str, float]
    candidates: int
    legal_pairs: int
    #: Household id -> (scarcity points for ranking, the sentence behind them).
    scarcity: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Copies of recent requests solved with the waiting list (``BatchSettings.expected_demand``); their
    #: discounted points are in the soft level, the objective and the bound, and in nothing else.
    expected_requests: int = 0

    @property
    def gap(self) -> float:
        """The relative gap of the first level not proven optimal (0.0 when all are)."""
        for level in self.levels:
            if level.bound != level.objective or not level.proven:
                return level.gap
        return 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": round(self.gap, 6),
            "matches": [m.to_json() for m in self.matches],
            "unplaced": [{"request_id": r, "reason": why} for r, why in self.unplaced],
            "levels": [level.to_json() for level in self.levels],
            "children_placed": self.children_placed,
            "children_waiting": self.children_waiting,
            "pruning_bound": self.pruning_bound,
            "expected_requests": self.expected_requests,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass(eq=False)
class Candidates:
    """Every candidate as parallel arrays (built once, vectorised everywhere after)."""

    parts: list[Part]
    part_request: IntArray
    request_ids: list[str]
    request_weight: IntArray
    request_size: IntArray
    request_split: NDArray[np.bool_]
    part_of: IntArray
    household: IntArray
    score: IntArray
    relaxed: list[tuple[str, ...]]
    size: IntArray
    rooms: IntArray
    exempt: NDArray[np.bool_]
    legal_pairs: int
    #: The request (index into ``request_ids``) of each candidate.
    request: IntArray = field(init=False)

    def __post_init__(self) -> None:
        self.request = self.part_request[self.part_of] if len(self.part_of) else np.zeros(0, dtype=np.int64)

    @cached_property
    def _members(self) -> list[IntArray]:
        order = np.argsort(self.request, kind="stable")
        ends = np.cumsum(np.bincount(self.request, minlength=len(self.request_ids)))
        return np.split(order, ends[:-1]) if len(self.request_ids) else []

    def members(self, r: int) -> IntArray:
        """The candidates of request ``r``, increasing (``np.flatnonzero(request == r)``, grouped once)."""
        return self._members[r]

    def __len__(self) -> int:
        return len(self.household)


@dataclass(frozen=True)
class GreedyResult:
    chosen: tuple[int, ...]
    children_placed: int
    placement_value: int
    soft: int


def request_weight(request: Request, weights: Mapping[str, int]) -> int:
    """First-level value of placing the request: per child, placed_child x urgency factor x priority."""
    urgency = weights[f"urgency_{request.urgency}"]
    return weights["placed_child"] * urgency * request.priority * len(request.children)


#: One bit per rule, to turn a column of broken rules into one integer (the registry has far fewer than 63).
_RULE_BITS = np.left_shift(np.int64(1), np.arange(len(RULES), dtype=np.int64))


def _relaxed_rules(fails: NDArray[np.bool_]) -> list[tuple[str, ...]]:
    """Per column of a rules x households matrix, the ids of the rules broken (to be relaxed)."""
    if not fails.any():  # the usual case: nothing relaxed, no pattern to name
        return [()] * fails.shape[1]
    codes = _RULE_BITS @ fails.astype(np.int64)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    names = [tuple(RULES[k].id for k in np.flatnonzero(fails[:, j])) for j in first.tolist()]
    return [names[j] for j in inverse.ravel().tolist()]


class _Legal(NamedTuple):
    """A part with the households it may go to (``positions`` in the table), the rules each breaks (to be
    relaxed) and whether an exemption applies there. Only these are kept between the two passes: never a
    part's whole rule matrix or cut table (3,000 of them at national scale)."""

    part: Part
    positions: IntArray
    fails: NDArray[np.bool_]
    exempt: NDArray[np.bool_]


def build_candidates(
    index: SnapshotIndex,
    top_k: int | None,
    keep_extra: Mapping[str, Sequence[tuple[str, str]]],
    keep_full: bool = False,
) -> tuple[Candidates, FullPairs | None]:
    """Legal (or allowed-relaxed) part x household pairs, scored; the ``top_k`` best per part kept.

    With ``keep_full`` every legal pair is also kept, as much as the pruning bound's LP needs.
    """
    table = index.table
    ctx = ScoringContext(index.weights)
    parts: list[Part] = []
    part_request: list[int] = []
    cols: dict[str, list[Any]] = defaultdict(list)
    full: dict[str, list[Any]] = defaultdict(list)
    coverage: list[list[list[NDArray[np.int64]]]] = []
    n_full = legal_pairs = 0
    waiting = [r for r in index.snapshot.requests if r.status == "waiting"]
    parts_of = [_parts(index, request, index.part(request, request.children)) for request in waiting]
    if len(table) < SMALL_TABLE:  # no table this small is cut for a part: every part's rules at once
        index.prefetch_rule_matrices([part for some in parts_of for part in some])
    # First the legal households of every part, then the points of every legal pair in one call per criterion.
    legal: list[list[_Legal]] = [[] for _ in waiting]
    for r in range(len(waiting)):
        for part in parts_of[r]:
            near = near_positions(part, table)
            sub = table if near is None else table.subset(near)
            fails = index.rule_matrix(part) if near is None else rule_matrix(part, sub)
            # Most requests may relax nothing: then every breach blocks, with no relaxable mask to build.
            blocking = fails & ~relaxable_matrix(part, sub) if part.request.allow_relaxations else fails
            usable = np.flatnonzero(~blocking.any(axis=0))
            if usable.size:
                positions = usable if near is None else near[usable]
                exempt = exemption_applies_mask(part, sub)[usable]
                legal[r].append(_Legal(part, positions, fails[:, usable], exempt))
    scored = [found for some in legal for found in some]
    sizes = [found.positions.size for found in scored]
    scoring = Pairs(
        Parts(tuple(found.part for found in scored)),
        np.repeat(np.arange(len(scored), dtype=np.int64), sizes),
        np.concatenate([found.positions for found in scored]) if scored else np.zeros(0, dtype=np.int64),
    )
    every_points = np.asarray(sum(criterion.over_pairs(scoring, table, ctx) for criterion in CRITERIA), dtype=np.int64)
    scored_before = 0  # pairs of the parts before this one, in ``every_points``
    for r, request in enumerate(waiting):
        wanted = [table.position[h] for _, h in keep_extra.get(request.id, ()) if h in table.position]
        covering: list[list[NDArray[np.int64]]] = [[] for _ in request.children]
        coverage.append(covering)
        for part, positions, usable_fails, exempt in legal[r]:
            legal_pairs += positions.size
            points = every_points[scored_before : scored_before + positions.size]
            scored_before += positions.size
            n_relaxed = usable_fails.sum(axis=0).astype(np.int64)
            relaxed = _relaxed_rules(usable_fails)
            rooms = np.where(
                table.shared_bedroom_allowed[positions], rooms_needed(part, True), rooms_needed(part, False)
            ).astype(np.int64)
            if keep_full:
                span = np.arange(n_full, n_full + positions.size)
                n_full += positions.size
                full["household"].append(positions)
                full["size"].append(np.full(positions.size, part.size))
                full["rooms"].append(rooms)
                full["relaxes_count"].append(usable_fails[COUNT_RULE_ROWS].any(axis=0))
                for k, child in enumerate(request.children):
                    if child in part.ids:
                        covering[k].append(span)
            order = np.lexsort((positions, -(points - index.weights["relaxation"] * n_relaxed)))
            if top_k is not None and order.size > top_k:
                kept = order[:top_k]
                # Sorted, as np.unique sorts (``kept`` holds no repeats); the extras only when there are any.
                extra = np.flatnonzero(np.isin(positions, wanted)) if wanted else None
                order = np.sort(kept) if extra is None else np.unique(np.concatenate([kept, extra]))
            p = len(parts)
            parts.append(part)
            part_request.append(r)
            cols["part_of"].append(np.full(order.size, p))
            cols["household"].append(positions[order])
            cols["score"].append(points[order])
            cols["relaxed"] += [relaxed[i] for i in order.tolist()]
            cols["size"].append(np.full(order.size, part.size))
            cols["rooms"].append(rooms[order])
            cols["exempt"].append(exempt[order])

    def joined(key: str, dtype: Any, source: dict[str, list[Any]]) -> Any:
        return np.concatenate(source[key]).astype(dtype) if source[key] else np.zeros(0, dtype=dtype)

    weights = np.asarray([request_weight(r, index.weights) for r in waiting], dtype=np.int64)
    cands = Candidates(
        parts=parts,
        part_request=np.asarray(part_request, dtype=np.int64),
        request_ids=[r.id for r in waiting],
        request_weight=weights,
        request_size=np.asarray([len(r.children) for r in waiting], dtype=np.int64),
        request_split=np.asarray([r.siblings == "may_split" and len(r.children) > 1 for r in waiting], dtype=bool),
        part_of=joined("part_of", np.int64, cols),
        household=joined("household", np.int64, cols),
        score=joined("score", np.int64, cols),
        relaxed=list(cols["relaxed"]),
        size=joined("size", np.int64, cols),
        rooms=joined("rooms", np.int64, cols),
        exempt=joined("exempt", bool, cols),
        legal_pairs=legal_pairs,
    )
    if not keep_full:
        return cands, None
    pairs = FullPairs(
        household=joined("household", np.int64, full),
        size=joined("size", np.int64, full),
        rooms=joined("rooms", np.int64, full),
        relaxes_count=joined("relaxes_count", bool, full),
        request_weight=weights,
        coverage=[
            [np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64) for spans in covering]
            for covering in coverage
        ],
    )
    return cands, pairs


# --- pairwise clashes between parts of different requests in one household -------------------------


@dataclass(frozen=True, eq=False)
class _PartChildren:
    """Children of every part as padded arrays: birth dates, sexual-harm flag, living-companion code."""

    valid: NDArray[np.bool_]
    dob: IntArray  # (year, month, day) packed as year*10000 + month*100 + day
    sexual_harm: NDArray[np.bool_]
    companions: IntArray
    needed_by: IntArray  # packed like dob
    sensitive: NDArray[np.bool_]


def _pack(day: Any) -> int:
    return int(day.year * 10000 + day.month * 100 + day.day)


def _part_children(parts: Sequence[Part]) -> _PartChildren:
    width = max((p.size for p in parts), default=1)
    shape = (len(parts), width)
    valid = np.zeros(shape, dtype=bool)
    dob = np.zeros(shape, dtype=np.int64)
    harm = np.zeros(shape, dtype=bool)
    lc = np.zeros(shape, dtype=np.int64)
    for p, part in enumerate(parts):
        for k, c in enumerate(part.children):
            valid[p, k] = True
            dob[p, k] = _pack(c.child.date_of_birth)
            harm[p, k] = "sexual_harm" in c.child.risks_to_others
            lc[p, k] = _LC_CODE[c.child.living_companions]
    needed = np.asarray([_pack(p.needed_by) for p in parts], dtype=np.int64)
    sensitive = (harm | (lc != _ANY)).any(axis=1)
    return _PartChildren(valid, dob, harm, lc, needed, sensitive)


def _ages(dob: IntArray, on: IntArray) -> IntArray:
    """Whole-year ages of packed birth dates ``dob`` (P x W) on packed dates ``on`` (P,)."""
    on = on[:, None]
    result: IntArray = on // 10000 - dob // 10000 - ((on % 10000) < (dob % 10000))
    return result


def _clash_on(kids: _PartChildren, new: IntArray, other: IntArray, day: IntArray) -> NDArray[np.bool_]:
    """Does placing part ``new`` where part ``other``'s children live break sexual harm or companions?"""
    # The other part's children are "current children" to the checked one: not yet born counts as newborn,
    # as in the validator.
    a, b = _ages(kids.dob[new], day), np.maximum(_ages(kids.dob[other], day), 0)
    va, vb = kids.valid[new], kids.valid[other]
    min_a, max_a = np.where(va, a, _BIG_AGE).min(1), np.where(va, a, -1).max(1)
    min_b, max_b = np.where(vb, b, _BIG_AGE).min(1), np.where(vb, b, -1).max(1)
    result = np.zeros(len(new), dtype=bool)
    for ages, valid, harm, lc, min_o, max_o in (
        (a, va, kids.sexual_harm[new], kids.companions[new], min_b, max_b),
        (b, vb, kids.sexual_harm[other], kids.companions[other], min_a, max_a),
    ):
        result |= np.where(valid & harm, ages, -1).max(1) > min_o
        result |= (valid & (lc == _SOLO)).any(1)
        result |= np.where(valid & (lc == _ONLY_OLDER), ages, -1).max(1) >= min_o
        result |= np.where(valid & (lc == _ONLY_YOUNGER), ages, _BIG_AGE).min(1) <= max_o
    return result


def clashing_pairs(cands: Candidates) -> NDArray[np.int64]:
    """Pairs of candidates (i, j) in one household, of different requests, whose children clash."""
    kids = _part_children(cands.parts)
    sensitive = kids.sensitive[cands.part_of]
    order = np.argsort(cands.household, kind="stable")
    _, starts, counts = np.unique(cands.household[order], return_index=True, return_counts=True)
    firsts: list[NDArray[np.int64]] = []
    seconds: list[NDArray[np.int64]] = []
    requests = cands.request
    for start, count in zip(starts.tolist(), counts.tolist(), strict=True):
        if count < 2:
            continue
        members = order[start : start + count]
        if not sensitive[members].any():
            continue
        i, j = np.triu_indices(count, k=1)
        a, b = members[i], members[j]
        keep = (requests[a] != requests[b]) & (sensitive[a] | sensitive[b])
        firsts.append(a[keep])
        seconds.append(b[keep])
    if not firsts:
        return np.zeros((0, 2), dtype=np.int64)
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    pa, pb = cands.part_of[a], cands.part_of[b]
    clash = _clash_on(kids, pa, pb, kids.needed_by[pa]) | _clash_on(kids, pb, pa, kids.needed_by[pb])
    return np.stack([a[clash], b[clash]], axis=1)


# --- household capacity, shared by the model and the greedy --------------------------------------

#: A candidate relaxing one of these must be the only one in its household (the count is set aside for it).
COUNT_RULES = frozenset({"approved_places", "usual_fostering_limit"})
COUNT_RULE_ROWS = [i for i, rule in enumerate(RULES) if rule.id in COUNT_RULES]


@dataclass(frozen=True, eq=False)
class Capacity:
    """Per household position: children already there, approved number, exemption number, bedrooms."""

    current: IntArray
    approved: IntArray
    exemption: IntArray
    bedrooms: IntArray

    @classmethod
    def of(cls, index: SnapshotIndex) -> Capacity:
        t = index.table
        return cls(t.n_current, t.max_children, t.exemption_max, t.bedrooms_free)


def must_be_alone(cands: Candidates, cap: Capacity) -> NDArray[np.bool_]:
    """Candidates legal only on their own: above the usual limit alone (one sibling group or exemption),
    or relaxing a count rule."""
    exceeding = cap.current[cands.household] + cands.size > USUAL_LIMIT
    relaxing = np.asarray([bool(COUNT_RULES.intersection(r)) for r in cands.relaxed], dtype=bool)
    result: NDArray[np.bool_] = exceeding | relaxing
    return result


def fits(cap: Capacity, h: int, parts: Sequence[tuple[int, int, bool, bool]]) -> bool:
    """Whether parts ((size, rooms, exempt, alone), each legal alone) may all live in household ``h``.

    The same conditions as the model's household constraints, one household at a time.
    """
    if sum(rooms for _, rooms, _, _ in parts) > cap.bedrooms[h]:
        return False
    if len(parts) == 1:
        return True
    if any(alone for _, _, _, alone in parts):
        return False
    total = int(cap.current[h]) + sum(size for size, _, _, _ in parts)
    if total > min(int(cap.exemption[h]) if exempt else int(cap.approved[h]) for _, _, exempt, _ in parts):
        return False
    return all(exempt for _, _, exempt, _ in parts) or total <= USUAL_LIMIT


# --- greedy -------------------------------------------------------------------------------------


class HomeLoads:
    """Candidates placed so far, household by household, each admitted only while its household still
    passes every rule with all of them (children, bedrooms, must-be-alone, clashes)."""

    def __init__(self, index: SnapshotIndex, cands: Candidates, clash: set[tuple[int, int]]) -> None:
        self.cands, self.clash = cands, clash
        self.cap = Capacity.of(index)
        self.alone = must_be_alone(cands, self.cap)
        self.placed_at: defaultdict[int, list[int]] = defaultdict(list)

    def try_add(self, c: int) -> bool:
        """Place candidate ``c`` if its household can take it on top of what it has; say whether it did."""
        cands, alone = self.cands, self.alone
        here = self.placed_at[int(cands.household[c])]
        if any((min(c, o), max(c, o)) in self.clash for o in here):
            return False
        ids = [*here, c]
        if not fits(
            self.cap,
            int(cands.household[c]),
            [(int(cands.size[i]), int(cands.rooms[i]), bool(cands.exempt[i]), bool(alone[i])) for i in ids],
        ):
            return False
        here.append(c)
        return True


def discount_expected(cands: Candidates, weights: Mapping[str, int], first_expected: int) -> Candidates:
    """The candidates with the requests from ``first_expected`` on (copies: ``matching.expected``) weighing
    nothing at the first level and their points at ``expected_single_percent`` or ``expected_group_percent``."""
    n = len(cands.request_ids)
    if first_expected >= n:
        return cands
    copy = np.arange(n) >= first_expected
    percent = np.where(cands.request_size > 1, weights["expected_group_percent"], weights["expected_single_percent"])
    of_copy = copy[cands.request]
    score = np.where(of_copy, cands.score * percent[cands.request] // 100, cands.score)
    return replace(cands, score=score, request_weight=np.where(copy, 0, cands.request_weight))


def jointly_legal(index: SnapshotIndex, cands: Candidates, clash: set[tuple[int, int]], plan: Sequence[int]) -> bool:
    """Whether the candidates of ``plan``, each legal on its own, can all be placed together."""
    homes = HomeLoads(index, cands, clash)
    return all(homes.try_add(c) for c in plan)


def greedy(index: SnapshotIndex, cands: Candidates, clash: set[tuple[int, int]]) -> GreedyResult:
    """The duty team's way, automated: by urgency then waiting time, each takes its best legal option left."""
    waiting = [index.request(r) for r in cands.request_ids]
    as_of = index.snapshot.as_of

    def queue_key(r: int) -> tuple[int, int, str]:
        request = waiting[r]
        return (URGENCY_ORDER[request.urgency], (request.received_on or as_of).toordinal(), request.id)

    ranking = cands.score - index.weights["relaxation"] * np.asarray([len(r) for r in cands.relaxed], dtype=np.int64)
    by_request: defaultdict[int, list[int]] = defaultdict(list)
    for c in np.lexsort((np.arange(len(cands)), -ranking)).tolist():
        by_request[int(cands.request[c])].append(c)
    homes = HomeLoads(index, cands, clash)
    placed_at, try_add = homes.placed_at, homes.try_add

    chosen: list[int] = []
    for r in sorted(range(len(waiting)), key=queue_key):
        mine = by_request.get(r, [])
        taken = next((c for c in mine if cands.size[c] == cands.request_size[r] and try_add(c)), None)
        if taken is not None:
            chosen.append(taken)
            continue
        if not cands.request_split[r]:
            continue
        # A split: each child in turn takes its best single-child option in a home this request does not use.
        parts_taken: list[int] = []
        for child in waiting[r].children:
            used = {int(cands.household[c]) for c in parts_taken}
            got = next(
                (
                    c
                    for c in mine
                    if cands.size[c] == 1
                    and child in cands.parts[cands.part_of[c]].ids
                    and int(cands.household[c]) not in used
                    and try_add(c)
                ),
                None,
            )
            if got is None:
                break
            parts_taken.append(got)
        if len(parts_taken) == len(waiting[r].children):
            chosen.extend(parts_taken)
        else:
            for c in parts_taken:
                placed_at[int(cands.household[c])].remove(c)
    placed = sorted({int(cands.request[c]) for c in chosen})
    return GreedyResult(
        chosen=tuple(sorted(chosen)),
        children_placed=int(cands.request_size[placed].sum()),
        placement_value=placement_value(cands, chosen),
        soft=soft_value(index, cands, chosen),
    )


def placement_value(cands: Candidates, chosen: Sequence[int]) -> int:
    """The first-level objective of a set of chosen candidates (weighted children placed)."""
    placed = sorted({int(cands.request[c]) for c in chosen})
    return int(cands.request_weight[placed].sum())


def soft_value(index: SnapshotIndex, cands: Candidates, chosen: Sequence[int]) -> int:
    """The second-level objective of a set of chosen candidates (criteria plus siblings kept together)."""
    parts_of: defaultdict[int, int] = defaultdict(int)
    for c in chosen:
        parts_of[int(cands.request[c])] += 1
    total = int(cands.score[list(chosen)].sum()) if chosen else 0
    return total + sum(
        siblings_together.points(int(cands.request_size[r]), n, index.weights) for r, n in parts_of.items()
    )


def together_terms(weights: Mapping[str, int], cands: Candidates) -> tuple[IntArray, IntArray]:
    """``siblings_together.points`` as linear terms: (per candidate chosen, per request placed).

    A request placed in ``k`` parts scores ``size * per_extra - k * per_extra``, which is
    ``siblings_together.points(size, k)``: each part chosen costs its group ``per_extra_home``.
    """
    per_extra = np.asarray(
        [siblings_together.per_extra_home(int(n), weights) for n in cands.request_size.tolist()], dtype=np.int64
    )
    return per_extra[cands.request], per_extra * cands.request_size


# --- the CP-SAT model ---------------------------------------------------------------------------


#: The domain of a 0-1 variable, made once.
_BOOL = sorted_interval_list.Domain(0, 1)


def _bool_vars(model: cp_model.CpModel, n: int) -> list[cp_model.IntVar]:
    """``n`` new 0-1 variables, as ``new_bool_var("")`` makes them (the same proto) at half its cost."""
    return [cp_model.IntVar(model.proto).with_domain(_BOOL) for _ in range(n)]


class _Model(cp_model.CpModel):
    """A CpModel without the camelCase aliases of every method that ``CpModel.__init__`` sets on each new
    model (a walk over ``dir``: about 0.7 ms, a twentieth of a county batch; nothing here calls them)."""

    def _add_pre_pep8_methods(self) -> None:
        pass


def _maximize(model: cp_model.CpModel, objective: cp_model.LinearExpr) -> None:
    """``model.maximize(objective)`` for an integer objective, its terms written to the proto in bulk (ortools
    appends them one Python call at a time: about 0.8 ms a county batch). The same proto either way."""
    flat = cp_model_helper.FlatIntExpr(objective)
    model.clear_objective()  # type: ignore[no-untyped-call]  # ortools ships this untyped
    proto = model.proto.objective
    proto.vars.extend([var.index for var in flat.vars])
    proto.scaling_factor = -1.0
    proto.offset = -flat.offset
    proto.coeffs.extend([-c for c in flat.coeffs])


@dataclass(eq=False)
class BatchModel:
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    y: list[cp_model.IntVar]
    placement: cp_model.LinearExpr
    soft: cp_model.LinearExpr
    relaxations: cp_model.LinearExpr


def build_model(index: SnapshotIndex, cands: Candidates, clash: NDArray[np.int64]) -> BatchModel:
    """Variables, request coverage, household capacity, clashes, and the three objective levels."""
    model = _Model()
    n = len(cands)
    x = _bool_vars(model, n)
    y = _bool_vars(model, len(cands.request_ids))
    # Plain lists: indexing numpy arrays one element at a time in the loops below costs more than the loops.
    rooms, sizes, exempt_of = cands.rooms.tolist(), cands.size.tolist(), cands.exempt.tolist()
    requests = cands.request
    by_request: defaultdict[int, list[int]] = defaultdict(list)
    for c, r in enumerate(requests.tolist()):
        by_request[r].append(c)
    for r, var in enumerate(y):
        mine = by_request.get(r, [])
        if not mine:
            model.add(var == 0)
            continue
        if not cands.request_split[r]:
            model.add(cp_model.LinearExpr.sum([x[c] for c in mine]) == var)
            continue
        request = index.request(cands.request_ids[r])
        for child in request.children:
            covering = [x[c] for c in mine if child in cands.parts[cands.part_of[c]].ids]
            model.add(cp_model.LinearExpr.sum(covering) == var)
        per_home: defaultdict[int, list[int]] = defaultdict(list)
        for c in mine:
            per_home[int(cands.household[c])].append(c)
        for members in per_home.values():
            if len(members) > 1:
                model.add_at_most_one(x[c] for c in members)

    cap = Capacity.of(index)
    alone = must_be_alone(cands, cap).tolist()
    order = np.argsort(cands.household, kind="stable")
    homes, starts, counts = np.unique(cands.household[order], return_index=True, return_counts=True)
    for h, start, count in zip(homes.tolist(), starts.tolist(), counts.tolist(), strict=True):
        if count < 2:
            continue
        members = order[start : start + count].tolist()
        bedrooms = int(cap.bedrooms[h])
        if sum(rooms[c] for c in members) > bedrooms:
            model.add(
                cp_model.LinearExpr.weighted_sum([x[c] for c in members], [rooms[c] for c in members]) <= bedrooms
            )
        for c in members:
            if alone[c]:
                others = [x[o] for o in members if o != c]
                model.add(cp_model.LinearExpr.sum(others) + len(others) * x[c] <= len(others))
        shared = [c for c in members if not alone[c]]
        if len(shared) < 2:
            continue
        current, approved, exemption = int(cap.current[h]), int(cap.approved[h]), int(cap.exemption[h])
        exempt = [c for c in shared if exempt_of[c]]
        if not exempt and current + sum(sizes[c] for c in shared) <= min(approved, USUAL_LIMIT):
            continue  # all of them together fit: no constraint (and no expression built for none)
        total = cp_model.LinearExpr.weighted_sum([x[c] for c in shared], [sizes[c] for c in shared])
        if not exempt:
            model.add(total <= min(approved, USUAL_LIMIT) - current)
            continue
        # Some parts are named by an exemption: its number applies only while every part placed is named.
        every_exempt = model.new_bool_var("")
        for c in shared:
            if not exempt_of[c]:
                model.add_implication(x[c], every_exempt.Not())
        model.add(total <= approved - current + max(0, exemption - approved) * every_exempt)
        model.add(total <= USUAL_LIMIT - current + max(0, exemption - USUAL_LIMIT) * every_exempt)
        if exemption < approved:
            any_exempt = model.new_bool_var("")
            for c in exempt:
                model.add_implication(x[c], any_exempt)
            model.add(total <= exemption - current + (approved - exemption) * (1 - any_exempt))
    for a, b in clash.tolist():
        model.add_at_most_one([x[a], x[b]])

    per_part, per_request = together_terms(index.weights, cands)
    placement = cp_model.LinearExpr.weighted_sum(y, cands.request_weight.tolist())
    soft = cp_model.LinearExpr.weighted_sum(x, (cands.score - per_part).tolist()) + cp_model.LinearExpr.weighted_sum(
        y, per_request.tolist()
    )
    relaxations = cp_model.LinearExpr.weighted_sum(x, [len(r) for r in cands.relaxed])
    return BatchModel(model, x, y, placement, soft, relaxations)


def _hint(bm: BatchModel, cands: Candidates, chosen: Sequence[int]) -> None:
    """Write a full hint in bulk (one proto call, not one Python call per variable)."""
    picked = np.zeros(len(cands), dtype=np.int64)
    picked[list(chosen)] = 1
    placed = np.zeros(len(cands.request_ids), dtype=np.int64)
    placed[cands.request[list(chosen)]] = 1
    hint = bm.model.proto.solution_hint
    bm.model.clear_hints()  # type: ignore[no-untyped-call]  # ortools ships this untyped
    hint.vars.extend([v.index for v in bm.x] + [v.index for v in bm.y])
    hint.values.extend(picked.tolist() + placed.tolist())


#: Below this many candidates, with one worker, CP-SAT's presolve costs more than it saves. Measured on the
#: 108 batches of three county simulation replications (150 to 500 candidates, one worker): presolve off
#: halves the solve time (0.44 s to 0.22 s in all) and every one is still proven optimal with the same
#: objective. Region and England (tens of thousands of candidates and more) keep it, and so does a
#: batch on several workers (the service's), where this was not measured. (Which optimum among ties
#: comes back can differ between runs on several workers; a rerun keeps the previous plan unless it
#: finds a better one, see ``_solve_lexicographic``.)
PRESOLVE_MIN_CANDIDATES = 2_000


def _solver(settings: BatchSettings, seconds: float, candidates: int) -> cp_model.CpSolver:
    """Parameters measured in SOLVER-NOTES.md: the LP bound is what closes the gap on this problem."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.1, seconds)
    p.cp_model_presolve = candidates >= PRESOLVE_MIN_CANDIDATES or settings.workers > 1
    p.num_workers = settings.workers
    p.linearization_level = 2
    p.cp_model_probing_level = 0
    p.symmetry_level = 0
    p.subsolvers.append("max_lp")
    p.random_seed = 0
    return solver


def soft_extremes(weights: Mapping[str, int], cands: Candidates) -> tuple[int, int]:
    """Bounds on the soft level over all choices: (lowest, highest)."""
    high = low = 0
    for r in range(len(cands.request_ids)):
        mine = cands.members(r)
        if mine.size:
            high += best_soft(weights, cands, mine, int(cands.request_size[r]))
            low += min(0, int(cands.score[mine].min()) * int(cands.request_size[r]))
    return low, high


def best_soft(weights: Mapping[str, int], cands: Candidates, mine: IntArray, size: int) -> int:
    """An upper bound on one request's soft level, over every way of placing it with candidates ``mine``.

    Each part scores at most the best points per child of any candidate times its size, so the parts of
    any placement score at most that times the request's size; the siblings' points are highest whole.
    The tighter this is, the smaller the lexicographic multiplier and the easier the solve (measured: a
    bound of size times the best part's score left the region tier unproven at its time limit).
    """
    per_child_ceiling = -((-cands.score[mine] * size) // cands.size[mine])  # ceil(score * size / part size)
    return max(0, int(per_child_ceiling.max())) + siblings_together.points(size, 1, weights)


def placement_multiplier(weights: Mapping[str, int], low: int, high: int) -> int:
    """A multiplier that makes ``placement * m + soft`` exactly lexicographic, for soft scores in ``[low, high]``.

    Placement values are multiples of ``placed_child``; one such step times ``m`` outweighs every
    possible difference in the soft score, so one solve of the combined objective proved optimal is the
    lexicographic optimum (measured: much faster here than two solves, one per level).
    """
    return (high - low) // max(1, weights["placed_child"]) + 1


def _relaxations_high(cands: Candidates) -> int:
    """An upper bound on the relaxations any choice can use (each request at most its worst, per child)."""
    high = 0
    for r in range(len(cands.request_ids)):
        mine = cands.members(r)
        if mine.size:
            high += max(len(cands.relaxed[c]) for c in mine.tolist()) * int(cands.request_size[r])
    return high


def _solve_lexicographic(
    index: SnapshotIndex,
    bm: BatchModel,
    cands: Candidates,
    settings: BatchSettings,
    start: Sequence[int],
    kept: Sequence[int],
    deadline: float,
    progress: Progress,
) -> tuple[list[int], list[Level], int, int, str]:
    """All three levels as one exactly lexicographic objective ``(placement * m + soft) * r - relaxations``.

    ``m`` makes a step of placement outweigh any soft difference; ``r`` (one more than the most
    relaxations possible) makes a unit of soft outweigh any difference in relaxations. Proved optimal, it
    is the lexicographic optimum; measured on the region tier it solves as fast as the first two levels
    alone and far faster than a separate third solve. ``start`` is the solver's hint; ``kept``, a legal plan
    (the previous run's or the warm start), is the answer unless the solver finds a better one. Returns
    choice, levels, objective, bound, status.
    """
    low, high = soft_extremes(index.weights, cands)
    multiplier = placement_multiplier(index.weights, low, high)
    relax_high = _relaxations_high(cands)
    scale = relax_high + 1
    _hint(bm, cands, start)
    _maximize(bm.model, (bm.placement * multiplier + bm.soft) * scale - bm.relaxations)
    progress("solving: children placed, then soft score, then fewest relaxations", 0.4)
    solver = _solver(settings, deadline - time.perf_counter(), len(cands))
    t0 = time.perf_counter()
    status = solver.solve(bm.model)
    seconds = time.perf_counter() - t0

    def value(choice: Sequence[int]) -> tuple[int, int, int, int]:
        p, s = placement_value(cands, choice), soft_value(index, cands, choice)
        x = sum(len(cands.relaxed[c]) for c in choice)
        return (p * multiplier + s) * scale - x, p, s, x

    chosen = list(kept)
    # Without a solution from CP-SAT there is no proof: the trivial bound (everything placed at its best).
    bound = (int(cands.request_weight.sum()) * multiplier + high) * scale
    proven = False
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = [c for c in range(len(cands)) if solver.boolean_value(bm.x[c])]
        bound = round(solver.best_objective_bound)
        # ``kept`` (the previous run's plan, else the warm start) stands unless the solver found better: a
        # rerun on unchanged data then proposes the same plan, not another of equal value (several workers
        # race to one of the ties), and a solver stopped early never returns less than the warm start.
        chosen = found if value(found)[0] > value(chosen)[0] else chosen
        proven = status == cp_model.OPTIMAL
    objective, placement, soft, relaxed = value(chosen)
    if bound <= objective:  # the bound proves what we hold is the lexicographic optimum
        proven, bound = True, objective
    state = "optimal" if proven else "feasible"
    # The combined bound splits exactly, level by level; placement values are multiples of placed_child.
    step = max(1, index.weights["placed_child"])
    first_two = (bound + relax_high) // scale
    placement_bound = max(placement, (first_two - low) // multiplier // step * step)
    soft_known = placement_bound == placement
    soft_bound = max(soft, first_two - placement * multiplier) if soft_known else soft
    relax_known = soft_known and soft_bound == soft
    relax_floor = min(relaxed, max(0, (placement * multiplier + soft) * scale - bound)) if relax_known else 0
    levels = [
        Level(
            "children placed", "optimal" if placement_bound == placement else state, placement, placement_bound, seconds
        ),
        Level(
            "soft score",
            "optimal" if soft_known and soft_bound == soft else state,
            soft,
            soft_bound,
            seconds,
            soft_known,
        ),
        Level(
            "relaxations",
            "optimal" if relax_known and relax_floor == relaxed else state,
            relaxed,
            relax_floor,
            seconds,
            relax_known,
        ),
    ]
    return chosen, levels, objective, bound, state


def _tighten_with_lp(levels: list[Level], lp_bound: int) -> list[Level]:
    """The LP over every legal pair also bounds the first level of the pruned model: use it when tighter."""
    first = levels[0]
    if lp_bound >= first.bound:
        return levels
    bound = max(first.objective, lp_bound)
    return [replace(first, bound=bound, status="optimal" if bound == first.objective else first.status), *levels[1:]]


@dataclass(frozen=True, eq=False)
class FirstLevelLp:
    """The LP relaxation of level 1 (weighted children placed) and what each household's capacity is worth."""

    value: int
    homes: IntArray
    #: Value the LP loses, at least, if the household is taken (convexity: the first-order estimate from the
    #: duals of its bedroom and children constraints is a lower bound on the loss).
    loss: NDArray[np.float64]


#: Seconds the pruning bound's LP takes per million pairs, setting it up included (measured on this 2-core
#: machine: England's 2.07 million pairs in 20-26 s, a region's 0.25 million in 1.5 s).
LP_SECONDS_PER_MILLION_PAIRS = 13.0
#: The pruning bound's LP is run only when it should take at most this share of the time limit.
LP_SHARE_MAX = 0.4


def _lp_seconds(pairs: FullPairs) -> float:
    return LP_SECONDS_PER_MILLION_PAIRS * len(pairs.household) / 1e6


def first_level_lp(index: SnapshotIndex, pairs: FullPairs, time_limit_s: float | None = None) -> FirstLevelLp | None:
    """Solve the LP relaxation of level 1 over ``pairs`` with HiGHS: coverage, bedrooms, children.

    None when HiGHS does not finish (within ``time_limit_s``, when given): then there is no bound.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n_pairs, n_req = len(pairs.household), len(pairs.request_weight)
    if n_pairs == 0:
        return FirstLevelLp(0, np.zeros(0, dtype=np.int64), np.zeros(0))
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    # Coverage: for every request and each of its children, the pairs covering that child sum to y_r.
    row = 0
    for r, children_rows in enumerate(pairs.coverage):
        for members in children_rows:
            rows += [np.full(len(members), row), np.array([row])]
            cols += [members, np.array([n_pairs + r])]
            vals += [np.ones(len(members)), np.array([-1.0])]
            row += 1
    eq = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n_pairs + n_req))
    cap = Capacity.of(index)
    homes, home_row = np.unique(pairs.household, return_inverse=True)
    counted = ~pairs.relaxes_count
    ub_rows = np.concatenate([home_row, len(homes) + home_row[counted]])
    ub_cols = np.concatenate([np.arange(n_pairs), np.flatnonzero(counted)])
    ub_vals = np.concatenate([pairs.rooms, pairs.size[counted]]).astype(np.float64)
    ub = coo_matrix((ub_vals, (ub_rows, ub_cols)), shape=(2 * len(homes), n_pairs + n_req))
    room_cap = cap.bedrooms[homes].astype(np.float64)
    child_cap = np.maximum(np.maximum(cap.approved[homes], cap.exemption[homes]) - cap.current[homes], 0).astype(
        np.float64
    )
    objective = np.concatenate([np.zeros(n_pairs), -pairs.request_weight.astype(np.float64)])
    result = linprog(
        objective,
        A_ub=ub.tocsr(),
        b_ub=np.concatenate([room_cap, child_cap]),
        A_eq=eq.tocsr(),
        b_eq=np.zeros(row),
        bounds=(0, 1),
        method="highs",
        options={} if time_limit_s is None else {"time_limit": max(0.1, time_limit_s)},
    )
    if result.status != 0:
        return None
    marginals = np.asarray(result.ineqlin.marginals, dtype=np.float64)
    loss = -(marginals[: len(homes)] * room_cap + marginals[len(homes) :] * child_cap)
    return FirstLevelLp(int(np.floor(-result.fun + 1e-6)), homes, np.maximum(loss, 0.0))


def pruned_pairs(cands: Candidates) -> FullPairs:
    """The kept candidates in the shape the LP takes."""
    coverage: list[list[IntArray]] = []
    for r in range(len(cands.request_ids)):
        mine = cands.members(r)
        children = sorted({child for c in mine.tolist() for child in cands.parts[cands.part_of[c]].ids})
        coverage.append(
            [
                np.asarray([c for c in mine.tolist() if child in cands.parts[cands.part_of[c]].ids], dtype=np.int64)
                for child in children
            ]
        )
    relaxes = np.asarray([bool(COUNT_RULES.intersection(r)) for r in cands.relaxed], dtype=bool)
    return FullPairs(cands.household, cands.size, cands.rooms, relaxes, cands.request_weight, coverage)


def scarcity_from_lp(index: SnapshotIndex, cands: Candidates, lp: FirstLevelLp) -> dict[str, tuple[int, str]]:
    """Per household: scarcity points for ranking and the sentence behind them.

    One "standard child" (placed within 5 days, priority 3) of loss earns the full ``scarcity`` weight.
    """
    w = index.weights
    unit = w["placed_child"] * w["urgency_within_5_days"] * 3
    only_for: defaultdict[int, list[str]] = defaultdict(list)
    # A request with one possible home is lost with it: that is a loss the duals alone may not show.
    lost_alone: defaultdict[int, float] = defaultdict(float)
    for r in range(len(cands.request_ids)):
        homes = set(cands.household[cands.members(r)].tolist())
        if len(homes) == 1:
            size = int(cands.request_size[r])
            group = f" ({size} siblings together)" if size > 1 else ""
            home = homes.pop()
            only_for[home].append(f"{cands.request_ids[r]}{group}")
            lost_alone[home] += float(cands.request_weight[r])
    result: dict[str, tuple[int, str]] = {}
    for position, dual_loss in zip(lp.homes.tolist(), lp.loss.tolist(), strict=True):
        loss = max(dual_loss, lost_alone.get(position, 0.0))
        if loss <= 0 and position not in only_for:
            continue
        points = min(w["scarcity"], round(w["scarcity"] * loss / unit))
        household = index.table.households[position].id
        if position in only_for:
            reason = f"the only home that can take request {', '.join(only_for[position])}"
        else:
            reason = (
                f"the waiting list loses about {loss / unit:.1f} children's placements if it is taken (nightly batch)"
            )
        result[household] = (points, reason)
    return result


@dataclass(eq=False)
class FullPairs:
    """Every legal pair before pruning, kept only as much as the LP bound needs."""

    household: IntArray
    size: IntArray
    rooms: IntArray
    relaxes_count: NDArray[np.bool_]
    request_weight: IntArray
    coverage: list[list[IntArray]]


class ValidationFailure(RuntimeError):
    """The validator rejected a batch answer: a bug, never proposed to the duty team."""


def _unplaced_reason(index: SnapshotIndex, cands: Candidates, r: int, chosen: Sequence[int]) -> str:
    request = index.request(cands.request_ids[r])
    mine = cands.members(r)
    size = len(request.children)
    group = "this child" if size == 1 else f"these {size} children together"
    if mine.size == 0:
        whole = index.part(request, request.children)
        sub = index.table.subset(np.flatnonzero(within_reach(whole, index.table)))
        if len(sub) == 0:
            return f"no household within {whole.distance_limit_km:g} km of home"
        counts = rule_matrix(whole, sub).sum(axis=1)
        top = np.argsort(-counts, kind="stable")[:2]
        common = ", ".join(f"{RULES[int(k)].id} ({int(counts[k])} of {len(sub)})" for k in top if counts[k])
        return f"no household can take {group} under the hard rules; most often broken nearby: {common}"
    homes = set(cands.household[mine].tolist())
    takers = sorted({cands.request_ids[int(cands.request[c])] for c in chosen if int(cands.household[c]) in homes})
    if takers:
        shown = ", ".join(takers[:3]) + (f" and {len(takers) - 3} more" if len(takers) > 3 else "")
        return (
            f"its {len(homes)} possible households are proposed for requests placing more weighted children ({shown})"
        )
    return f"its {len(homes)} possible households cannot take it beside the other proposals"


#: Share of the time limit the waiting list alone gets first when expected demand is on (see ``solve_batch``).
WAITING_LIST_SHARE = 0.5


def solve_batch(
    snapshot: Snapshot | SnapshotIndex,
    settings: BatchSettings | None = None,
    progress: Progress | None = None,
) -> BatchAnswer:
    """Optimise every waiting request at once and return proposals (never placements).

    With expected demand the waiting list is solved first, alone, in ``WAITING_LIST_SHARE`` of the time;
    its plan is then the floor of the solve with the copies: kept unless a strictly better plan is found,
    and every plan allowed places each request the floor places (perhaps in another home). So the copies
    never cost a waiting child a home, not even when the larger model is stopped by the time limit.
    """
    settings = settings or BatchSettings()
    report: Progress = progress or (lambda _stage, _done: None)
    started = time.perf_counter()
    real = snapshot if isinstance(snapshot, SnapshotIndex) else SnapshotIndex.build(snapshot)
    expected = (
        expected_demand(real.snapshot, real.weights["expected_window_days"])
        if settings.expected_demand
        else NO_EXPECTED_DEMAND
    )
    if not expected:
        return _solve(real, settings, NO_EXPECTED_DEMAND, None, report, started)
    # The floor is the waiting list alone (no copies), with the same look-ahead price of sibling room.
    alone = replace(settings, time_limit_s=settings.time_limit_s * WAITING_LIST_SHARE)
    floor = _solve(real, alone, NO_EXPECTED_DEMAND, None, lambda stage, done: report(stage, done / 2), started)
    return _solve(real, settings, expected, floor, lambda stage, done: report(stage, 0.5 + done / 2), started)


def _solve(
    real: SnapshotIndex,
    settings: BatchSettings,
    expected: ExpectedDemand,
    floor: BatchAnswer | None,
    report: Progress,
    started: float,
) -> BatchAnswer:
    """``solve_batch`` on the waiting list, with the ``expected`` copies after it; ``floor``, the waiting
    list's own answer, is kept unless the solver finds a strictly better plan."""
    # Leave time after the solve for pricing households and validating, inside the limit.
    deadline = started + settings.time_limit_s - min(AFTER_SOLVE_MAX_S, AFTER_SOLVE_SHARE * settings.time_limit_s)
    timings: dict[str, float] = {}

    report("building candidates", 0.0)
    t0 = time.perf_counter()
    waiting = sum(1 for r in real.snapshot.requests if r.status == "waiting")
    top_k = settings.top_k if settings.top_k is not None else (20 if waiting <= LARGE_WAITING_LIST else 40)
    # The copies join the waiting list after the real requests: theirs are the last request indices, and the
    # real requests' candidates are the very ones of the waiting list alone.
    index = with_expected(real, expected)
    # The pruning bound's LP weighs every request at the first level: not computed with copies among them.
    keep_full = settings.lp_bound_max_pairs > 0 and not expected
    cands, full = build_candidates(index, top_k, settings.previous, keep_full=keep_full)
    first_expected = len(cands.request_ids) - len(expected)
    cands = discount_expected(cands, index.weights, first_expected)
    if settings.expected_demand:  # the look-ahead also keeps room for sibling groups (matching.sibling_room)
        room = sibling_room_cost(
            index.table, cands.household, cands.size, cands.rooms, index.weights["sibling_room_kept"]
        )
        cands = replace(cands, score=cands.score - room)
    pairs = clashing_pairs(cands)
    clash = {(min(a, b), max(a, b)) for a, b in pairs.tolist()}
    timings["candidates_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # With a floor the greedy baseline is the waiting list's own (the floor's), and the floor is the start.
    warm = greedy(index, cands, clash) if floor is None else floor.greedy
    # The previous run's matches, where they are still candidates, are a hint (and kept if still legal).
    if floor is None:
        previous = _plan_candidates(index, cands, settings.previous) or None
    else:
        previous = _plan_of(index, cands, floor)
    timings["greedy_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    bm = build_model(index, cands, pairs)
    if floor is not None:
        # Every request the waiting list's own plan places stays placed: the copies may move a waiting child
        # to another home, never leave one without (nor swap one child for another of equal weight).
        placed = {m.request_id for m in floor.matches}
        for r, request_id in enumerate(cands.request_ids[:first_expected]):
            if request_id in placed:
                bm.model.add(bm.y[r] == 1)
    timings["model_s"] = time.perf_counter() - t0

    # The pruning bound first, when its LP takes at most a share of the limit: it does not depend on the
    # solve, and this way the solve gets whatever time is left instead of the LP being squeezed out.
    bound_value: int | None = None
    lp: FirstLevelLp | None = None
    if (
        full is not None
        and 0 < len(full.household) <= settings.lp_bound_max_pairs
        and _lp_seconds(full) <= LP_SHARE_MAX * settings.time_limit_s
    ):
        t0 = time.perf_counter()
        report("bounding what pruning could lose", 0.3)
        lp = first_level_lp(index, full, LP_SHARE_MAX * settings.time_limit_s)
        bound_value = lp.value if lp is not None else None
        timings["pruning_bound_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    start = previous if previous is not None else list(warm.chosen)
    # The previous plan may no longer fit together (a household changed): then it is only a hint. The
    # floor always fits: it is the waiting list's own answer, on the same data.
    kept = previous if previous is not None and jointly_legal(index, cands, clash, previous) else list(warm.chosen)
    chosen, levels, objective, bound, state = _solve_lexicographic(
        index, bm, cands, settings, start, kept, deadline, report
    )
    timings["solve_s"] = time.perf_counter() - t0
    if bound_value is not None:
        levels = _tighten_with_lp(levels, bound_value)
        state = "optimal" if all(level.status == "optimal" for level in levels) else "feasible"

    if floor is not None:
        scarcity = floor.scarcity  # what the waiting list itself loses when a household is taken
    elif settings.scarcity:
        t0 = time.perf_counter()
        lp = lp if lp is not None else first_level_lp(index, pruned_pairs(cands))
        scarcity = scarcity_from_lp(index, cands, lp) if lp is not None else {}
        timings["scarcity_s"] = time.perf_counter() - t0
    else:
        scarcity = {}

    t0 = time.perf_counter()
    answer = _answer(
        index,
        cands,
        [c for c in chosen if int(cands.request[c]) < first_expected],
        levels,
        warm,
        bound_value if floor is None else floor.pruning_bound,
        timings,
        objective,
        bound,
        state,
        settings.explain_unplaced,
        first_expected,
    )
    answer = replace(answer, scarcity=scarcity, expected_requests=len(expected))
    breaches = check_proposals(real, [m.proposal() for m in answer.matches])
    if breaches:
        raise ValidationFailure("; ".join(str(b) for b in breaches[:5]))
    timings["validate_s"] = time.perf_counter() - t0
    if floor is not None:
        timings["waiting_list_alone_s"] = floor.timings["total_s"]
    timings["total_s"] = time.perf_counter() - started
    report("done", 1.0)
    return answer


def _plan_of(index: SnapshotIndex, cands: Candidates, answer: BatchAnswer) -> list[int]:
    """The candidates of ``answer``'s matches (all of them: the answer was solved on these requests)."""
    plan = {m.request_id: [(p.child_id, p.household_id) for p in m.placements] for m in answer.matches}
    chosen = _plan_candidates(index, cands, plan)
    if len(chosen) != sum(len({h for _, h in placements}) for placements in plan.values()):
        raise AssertionError("the waiting list's plan is not among the candidates of the same requests")
    return chosen


def still_holding(answer: BatchAnswer, index: SnapshotIndex) -> BatchAnswer:
    """The answer on newer data (duty workers accepted, a household changed, while the batch ran): the
    matches that still pass every rule together on ``index``, the others moved to ``unplaced`` with why.

    The solve's objective, bound and levels still describe the plan as solved; ``children_placed``
    counts what is kept.
    """
    waiting = {r.id for r in index.snapshot.requests if r.status == "waiting"}
    kept = [m for m in answer.matches if m.request_id in waiting]
    dropped = [
        (m.request_id, "data changed while the batch ran: the request is no longer waiting")
        for m in answer.matches
        if m.request_id not in waiting
    ]
    while breaches := check_proposals(index, [m.proposal() for m in kept]):
        # Drop every request named in a breach; what is left is checked again together.
        why: dict[str, str] = {}
        for b in breaches:
            why.setdefault(
                b.request_id, f"data changed while the batch ran: {b.household_id or 'placement'}: {b.rule_id}"
            )
        dropped += sorted(why.items())
        kept = [m for m in kept if m.request_id not in why]
    if not dropped:
        return answer
    return replace(
        answer,
        matches=tuple(kept),
        unplaced=tuple(sorted([*answer.unplaced, *dropped])),
        children_placed=sum(len(m.placements) for m in kept),  # one placement per child
    )


def _plan_candidates(
    index: SnapshotIndex, cands: Candidates, plan: Mapping[str, Sequence[tuple[str, str]]]
) -> list[int]:
    """The candidates that make ``plan`` (request id -> (child id, household id) pairs): for each request and
    household, the one candidate with exactly the children placed there. Pairs that are no longer
    candidates (a household gone, or pruned away) are left out."""
    wanted: set[tuple[str, int, frozenset[str]]] = set()
    for request_id, placements in plan.items():
        homes: defaultdict[str, set[str]] = defaultdict(set)
        for child_id, household_id in placements:
            homes[household_id].add(child_id)
        for household_id, children in homes.items():
            position = index.table.position.get(household_id)
            if position is not None:
                wanted.add((request_id, position, frozenset(children)))
    return [
        c
        for c in range(len(cands))
        if (cands.request_ids[int(cands.request[c])], int(cands.household[c]), cands.parts[cands.part_of[c]].ids)
        in wanted
    ]


def _answer(
    index: SnapshotIndex,
    cands: Candidates,
    chosen: Sequence[int],
    levels: Sequence[Level],
    warm: GreedyResult,
    bound_value: int | None,
    timings: dict[str, float],
    objective: int,
    bound: int,
    state: str,
    explain_unplaced: bool = True,
    reported: int | None = None,
) -> BatchAnswer:
    """The answer for the requests before ``reported`` (every one when None; the others are copies)."""
    households = index.table.households
    real = range(len(cands.request_ids) if reported is None else reported)
    by_request: defaultdict[int, list[int]] = defaultdict(list)
    for c in chosen:
        by_request[int(cands.request[c])].append(c)
    matches = []
    for r, mine in sorted(by_request.items(), key=lambda item: cands.request_ids[item[0]]):
        request = index.request(cands.request_ids[r])
        home_of = {
            child: households[int(cands.household[c])].id for c in mine for child in cands.parts[cands.part_of[c]].ids
        }
        relaxations = tuple(
            (rule, households[int(cands.household[c])].id, next(x.relaxable_by or "" for x in RULES if x.id == rule))
            for c in mine
            for rule in cands.relaxed[c]
        )
        matches.append(
            Match(
                request.id,
                tuple(Placement(child, home_of[child]) for child in request.children),
                relaxations,
                soft_value(index, cands, mine),
            )
        )
    placed = set(by_request)
    unplaced = tuple(
        (cands.request_ids[r], _unplaced_reason(index, cands, r, chosen) if explain_unplaced else "")
        for r in real
        if r not in placed
    )
    status: BatchStatus = "optimal" if state == "optimal" else "feasible"
    return BatchAnswer(
        status=status,
        objective=objective,
        bound=bound,
        matches=tuple(matches),
        unplaced=unplaced,
        levels=tuple(levels),
        children_placed=int(cands.request_size[sorted(placed)].sum()) if placed else 0,
        children_waiting=int(cands.request_size[: len(real)].sum()),
        pruning_bound=bound_value,
        greedy=warm,
        timings=timings,
        candidates=len(cands),
        legal_pairs=cands.legal_pairs,
    )
