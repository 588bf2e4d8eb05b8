"""Dynamic replay: a year of placement requests arriving day by day, matched three ways, against hindsight.

``python -m benchmarks replay [--tier region] [--days 365] [--seed 7] [--requests N] [--audit] [--json]``

**The year.** ``generate_snapshot(tier, seed)`` gives the households (their foster children on day 0 are
the initial state) and the waiting requests, which become the year's arrivals: each gets a seeded
arrival day spread uniformly over ``--days`` (so ``--days 30`` with every request is a much heavier
load than the year), ``needed_by`` = arrival + an offset by urgency, and ``received_on`` = arrival.
Dates of birth are kept, so children's ages move with the date. Every placement lasts a seeded number of
days drawn by kind (``STAY_DAYS``: weeks for short-term, years for long-term); then its children leave,
their bedrooms are free again and they leave ``current_children``. Children already placed on day 0
leave after a seeded remaining stay (per sibling group). Holds reserved for a named request are
released on day 0 (that request now arrives on some later day); every other hold, and every
deregistration, lasts the whole year. Relaxations are switched off (they need a named person's
sign-off, which a replay cannot give), so every policy plays by the same hard rules.

**A day.** Departures leave, the day's arrivals join the waiting list, the policy acts, then every
request that has waited ``ALLOWANCE_DAYS`` days leaves the list as "placed outside" (IFA or residential).
Each policy sees the day's state as a ``Snapshot`` (``model_copy`` of the households that changed) and
places only what ``check_proposals`` accepts on that snapshot at that moment:

* **duty team**: each waiting request, in arrival order (the day's arrivals after those still waiting),
  takes rank 1 of ``rank_request`` on the state as it is after the requests before it;
* **greedy nightly**: at night, the batch module's greedy baseline (urgency, then waiting time, each
  request takes its best legal option left) over every legal candidate, unpruned;
* **optimised nightly, waiting list only**: at night, ``solve_batch`` with a short time limit over the
  waiting list; its matches become placements;
* **optimised nightly**: the same batch as the README schedules it, with expected demand
  (``matching.expected``): it sees the requests of the last ``expected_window_days`` as the service's
  database holds them (placed, closed when placed outside, or waiting) and solves the waiting list
  together with copies of them, which never take a home from a real child and are never placed; and
  it prices the sibling-group room each match uses (``matching.sibling_room``).

**The objective**, the same for every policy and for hindsight, is the batch's lexicographic idea made
exact with one multiplier: level 1 is children placed weighted by urgency and priority
(``request_weight``); level 2 is the soft score of each placement (the ranking criteria, scored on the
household as approved, i.e. without the children living there on the day, since "fit with children
already there" and scarcity change from day to day; plus the siblings-kept-together points) minus
``WAIT_POINTS_PER_CHILD_DAY`` per child per day waited, times the urgency factor. The objective is
``level1 * M + level2`` with ``M`` larger than any possible difference of level 2.

**Hindsight** knows every arrival and stay in advance and solves one CP-SAT model over the year. Each
request chooses whether it is placed, a start day ``S`` within its allowance (``[arrival, arrival +
ALLOWANCE_DAYS]``, not after the last day) and one household per part (the whole group, or for
``may_split`` each sub-group), among candidates legal on the household as approved: the ``HINDSIGHT_TOP_K``
best per part plus every (request, household) any online policy used, so each policy's answer is a
point of the model and hindsight is never below it. Each chosen part is an optional interval
``[S, S + stay)`` in its household; per household two ``add_cumulative``: children (capacity
``min(approved, 3)``; a group legal only alone, above that, fills it) and bedrooms (free rooms on day 0
plus the rooms of the children then living there), with the day-0 children as fixed intervals until they
leave. Sexual-harm and living-companion clashes are ``add_no_overlap`` between two parts whose windows can
overlap (ages on needed-by dates, as in the batch), and ``S >= departure`` of any day-0 child a part
clashes with. The hint is the best online answer. If not proven optimal in its time limit, the solver's
bound is reported and the percentages use the bound (an upper bound on hindsight).

**Checks.** Every online answer is fed to the hindsight model with its variables fixed: it must be a
solution (reported as ``online_answers_are_solutions``). ``--audit`` replays each answer, hindsight's too,
day by day from the record and checks every batch of placements with ``check_proposals`` on the state of
that moment, and that every request and child is accounted for. A hindsight schedule that passes is one
that could have been carried out, not only a bound.

**Columns.** Children placed in-house (provider ``in_house``; "placed" counts IFA households of the pool
too), sibling groups placed whole in one household, mean km from each child's home to its household,
mean days waiting per request, the objective, and as % of hindsight: level 1, level 2 and the objective.

Simplifications, and which way each leans:

* an exemption from the usual limit raises the children capacity of its household for every part, not
  only for the children it names (a few dozen households in a region): hindsight more generous;
* clashes between two children placed during the year use ages on the checked request's needed-by
  date, while the daily snapshots age current children on the day: they disagree only when a birthday
  falls in between (at most six weeks), and only for the ~5% of children with such a risk or rule:
  either way, and checked (every online answer must be a solution of the model);
* hindsight candidates are pruned (``HINDSIGHT_TOP_K`` plus every pair a policy used), and its bound
  is the bound of that pruned model: hindsight less generous than with every legal pair;
* children leave at the end of their stay and do not come back; nobody is moved between households;
  no online policy keeps a child waiting to hold a home back (hindsight may, that is foresight); the
  optimised nightly with expected demand only chooses, among the plans that place as many waiting
  children tonight (weighted by urgency and priority), one that leaves free the homes the children
  likely to come next need most, and the rare room for sibling groups.

A request still waiting when the replay ends counts as not placed; its days waiting are those it spent
on the list. Days waiting of a request placed outside are ``ALLOWANCE_DAYS + 1`` (the days it was on the
list), the same for hindsight.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from constraints.base import Home, Part
from constraints.registry import RULES_BY_ID
from constraints.usual_fostering_limit import USUAL_LIMIT
from domain.ages import age_on
from domain.geo import haversine_km
from domain.snapshot import Child, CurrentChild, Household, Request, Snapshot
from fixtures.generate import generate_snapshot
from matching.batch import (
    BatchSettings,
    Candidates,
    build_candidates,
    clashing_pairs,
    greedy,
    request_weight,
    soft_extremes,
    solve_batch,
    together_terms,
)
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.scarcity import ScarcityEstimate, estimate_scarcity
from matching.validate import Proposal, check_proposals
from scoring import siblings_together
from scoring.base import ScoringContext
from scoring.registry import CRITERIA
from scoring.weights import weights_for

#: One year, in days.
YEAR_DAYS = 365
#: The tier and seed replayed by default (the benchmark tiers' seed, benchmarks/tiers.py).
DEFAULT_TIER = "region"
DEFAULT_SEED = 7
#: Days a request may wait for a home in the pool; after the last one it is placed outside (IFA or
#: residential). The same rule for every policy and for hindsight (the brief's 14 days).
ALLOWANCE_DAYS = 14
#: ``needed_by`` = arrival day + this offset (assumed): the same day, within five days, four weeks ahead.
NEEDED_BY_OFFSET_DAYS: Mapping[str, int] = {"today": 0, "within_5_days": 5, "planned": 28}
#: How long a placement lasts, by kind: an inclusive range of days drawn uniformly (assumed).
STAY_DAYS: Mapping[str, tuple[int, int]] = {
    "emergency": (3, 28),  # days to weeks, then a planned move elsewhere
    "remand": (7, 90),  # until the court's next decision
    "short_break": (2, 7),  # a break of days (one stay of a short-break plan)
    "short_term": (28, 182),  # weeks to six months
    "parent_and_child": (84, 182),  # a 12-week assessment, sometimes extended
    "step_down": (182, 730),  # out of residential care, often for years
    "long_term": (730, 3650),  # to adulthood: beyond the year
    "staying_put": (365, 1095),  # after 18, up to 21
}
#: Remaining stay of each sibling group (or single child) already placed on day 0, in days (assumed:
#: about half leave within the year).
INITIAL_STAY_DAYS = (1, 730)
#: Level 2 of the objective: points lost per child per day waited, times the urgency factor (assumed: a
#: planned child's day of waiting weighs like 4 km of distance at the distance criterion's 2.5 points/km).
WAIT_POINTS_PER_CHILD_DAY = 10
#: The replay's own random stream (mixed with the seed), apart from the generator's.
REPLAY_STREAM = 365
#: The duty team takes rank 1, so one option is asked for.
DUTY_TOP = 1
#: Optimised nightly: seconds for one night's batch and candidates kept per part (nightly lists are short).
NIGHTLY_TIME_LIMIT_S = 2.0
NIGHTLY_TOP_K = 40
#: Hindsight: candidates kept per part (besides every pair a policy used), seconds and CP-SAT workers.
HINDSIGHT_TOP_K = 30
HINDSIGHT_TIME_LIMIT_S = 300.0
HINDSIGHT_WORKERS = 2
#: Progress on stderr every this many simulated days.
PROGRESS_EVERY_DAYS = 30
#: The online policies, in the order they are run and reported.
POLICIES = ("duty team", "greedy nightly", "optimised nightly, waiting list only", "optimised nightly")
HINDSIGHT = "hindsight"

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The default progress sink: nothing."""


def rooms_for(children: int, shared_bedroom_allowed: bool) -> int:
    """Rooms a group of ``children`` uses: ``constraints.base.rooms_needed``'s rule (reading 6)."""
    return (children + 1) // 2 if shared_bedroom_allowed else children


# --- the year -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """One request of the year: as the replay writes it (dates, no relaxations), its day and its stay."""

    request: Request
    day: int
    stay_days: int

    @property
    def last_day(self) -> int:
        """The last day the request may be placed in the pool."""
        return self.day + ALLOWANCE_DAYS


@dataclass(frozen=True)
class Stay:
    """Children living in one household from some day until ``leaves_on`` (they are gone that day)."""

    household_id: str
    children: tuple[CurrentChild, ...]
    rooms: int
    leaves_on: int
    request_id: str | None  # None for the children already placed on day 0


@dataclass(frozen=True, eq=False)
class Year:
    """Everything the replay knows: the day-0 households, the arrivals, when day-0 children leave."""

    tier: str
    seed: int
    start: dt.date
    days: int
    base: Snapshot  # the source snapshot with no households, children or requests (policy, weights)
    households: tuple[Household, ...]
    arrivals: tuple[Arrival, ...]
    initial: tuple[Stay, ...]
    children: Mapping[str, Child]

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    @cached_property
    def arrival_of(self) -> dict[str, Arrival]:
        return {a.request.id: a for a in self.arrivals}

    @cached_property
    def approved_as_is(self) -> SnapshotIndex:
        """Every household as approved (no foster child, every foster bedroom free), every request of the
        year waiting: what hindsight's candidates and every placement's soft score are computed on."""
        rooms: defaultdict[str, int] = defaultdict(int)
        for stay in self.initial:
            rooms[stay.household_id] += stay.rooms
        households = [
            h.model_copy(update={"current_children": [], "bedrooms_free": h.bedrooms_free + rooms[h.id]})
            for h in self.households
        ]
        snapshot = self.base.model_copy(
            update={
                "households": households,
                "children": [self.children[c] for a in self.arrivals for c in a.request.children],
                "requests": [a.request for a in self.arrivals],
            }
        )
        return SnapshotIndex.build(snapshot, "replay year")


def _day0_households(source: Snapshot) -> list[Household]:
    """The source households with holds reserved for a named request released (it arrives later now)."""
    return [
        h.model_copy(update={"status": "active", "hold": None})
        if h.hold is not None and h.hold.reserved_for_request is not None
        else h
        for h in source.households
    ]


def _initial_stays(households: Sequence[Household], rng: np.random.Generator) -> list[Stay]:
    """Day-0 children per household and sibling group (a child without a group alone), each leaving after
    a seeded remaining stay."""
    stays: list[Stay] = []
    for h in households:
        groups: dict[str, list[CurrentChild]] = {}
        for child in h.current_children:
            groups.setdefault(child.sibling_group or f"child:{child.child_id}", []).append(child)
        for members in groups.values():
            leaves_on = int(rng.integers(INITIAL_STAY_DAYS[0], INITIAL_STAY_DAYS[1] + 1))
            rooms = rooms_for(len(members), h.shared_bedroom_allowed)
            stays.append(Stay(h.id, tuple(members), rooms, leaves_on, None))
    return stays


def build_year(tier: str, seed: int, days: int = YEAR_DAYS, requests: int | None = None) -> Year:
    """The seeded year: ``tier``'s households and (a seeded sample of ``requests`` of) its requests."""
    source = generate_snapshot(tier, seed)
    rng = np.random.default_rng([seed, REPLAY_STREAM])
    pool = list(source.requests)
    order = rng.permutation(len(pool))
    if requests is not None:
        order = order[: max(0, requests)]
    arrival_days = rng.integers(0, days, size=len(order))
    kinds = [pool[i].kind for i in order.tolist()]
    lows = np.asarray([STAY_DAYS[k][0] for k in kinds], dtype=np.int64)
    highs = np.asarray([STAY_DAYS[k][1] for k in kinds], dtype=np.int64)
    stays = rng.integers(lows, highs + 1) if len(order) else np.zeros(0, dtype=np.int64)
    start = source.as_of
    arrivals = []
    for i in sorted(range(len(order)), key=lambda k: (int(arrival_days[k]), k)):
        original = pool[int(order[i])]
        day = int(arrival_days[i])
        request = original.model_copy(
            update={
                "needed_by": start + dt.timedelta(days=day + NEEDED_BY_OFFSET_DAYS[original.urgency]),
                "received_on": start + dt.timedelta(days=day),
                "allow_relaxations": [],
                "status": "waiting",
            }
        )
        arrivals.append(Arrival(request, day, int(stays[i])))
    households = _day0_households(source)
    children = {c.id: c for c in source.children}
    return Year(
        tier=tier,
        seed=seed,
        start=start,
        days=days,
        base=source.model_copy(update={"households": [], "children": [], "requests": []}),
        households=tuple(households),
        arrivals=tuple(arrivals),
        initial=tuple(_initial_stays(households, rng)),
        children={c: children[c] for a in arrivals for c in a.request.children},
    )


# --- the day-by-day state -----------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """One request placed: on which day, where each child went, and which proposals were made together
    (one rank, or one night's batch: they were checked together)."""

    request_id: str
    day: int
    placements: tuple[tuple[str, str], ...]
    batch: int


@dataclass(frozen=True)
class Outcome:
    """What one policy did over the year."""

    policy: str
    placed: tuple[Placed, ...]
    outside: Mapping[str, int]  # request id -> the day it left the list
    waiting_at_end: tuple[str, ...]
    rejected: int  # proposals refused by the validator (none are expected)
    seconds: float


class State:
    """The households and the waiting list on one day, as every policy sees it (through ``index``)."""

    def __init__(self, year: Year) -> None:
        self.year = year
        self.households: dict[str, Household] = {h.id: h for h in year.households}
        self.leaving: defaultdict[int, list[Stay]] = defaultdict(list)
        for stay in year.initial:
            self.leaving[stay.leaves_on].append(stay)
        self.arriving: defaultdict[int, list[Arrival]] = defaultdict(list)
        for arrival in year.arrivals:
            self.arriving[arrival.day].append(arrival)
        self.waiting: dict[str, Arrival] = {}
        #: Children placed during the replay and still there: child id -> (household id, recorded age).
        self.placed_children: dict[str, tuple[str, int]] = {}
        self.placed: list[Placed] = []
        self.outside: dict[str, int] = {}
        self.rejected = 0
        self.day = -1
        self._batches = 0
        self._index: SnapshotIndex | None = None
        self._estimate: ScarcityEstimate | None = None

    # day boundaries

    def begin(self, day: int) -> None:
        """Morning: departures leave, placed children have their birthdays, the day's arrivals wait."""
        self.day = day
        for stay in self.leaving.pop(day, []):
            self._leave(stay)
        self._age_placed_children()
        for arrival in self.arriving.pop(day, []):
            self.waiting[arrival.request.id] = arrival
        self._changed()

    def end(self, day: int) -> None:
        """Evening: requests at the end of their allowance leave the list, placed outside."""
        for request_id, arrival in list(self.waiting.items()):
            if day >= arrival.last_day:
                del self.waiting[request_id]
                self.outside[request_id] = day

    # what policies read

    def snapshot(self) -> Snapshot:
        waiting = list(self.waiting.values())
        return self.year.base.model_copy(
            update={
                "as_of": self.year.date(self.day),
                "households": list(self.households.values()),
                "children": [self.year.children[c] for a in waiting for c in a.request.children],
                "requests": [a.request for a in waiting],
            }
        )

    def with_history(self) -> Snapshot:
        """Today's snapshot and, as the service's database holds them, the requests that arrived in the
        expected-demand window and left the list (placed, or closed when placed outside)."""
        snapshot = self.snapshot()
        window = weights_for(self.year.base.policy)["expected_window_days"]
        placed = {p.request_id for p in self.placed}
        gone = [
            a for a in self.year.arrivals if self.day - window <= a.day < self.day and a.request.id not in self.waiting
        ]
        left = [a.request.model_copy(update={"status": "placed" if a.request.id in placed else "closed"}) for a in gone]
        return snapshot.model_copy(
            update={
                "children": [*snapshot.children, *(self.year.children[c] for a in gone for c in a.request.children)],
                "requests": [*snapshot.requests, *left],
            }
        )

    def index(self) -> SnapshotIndex:
        if self._index is None:
            self._index = SnapshotIndex.build(self.snapshot(), f"replay day {self.day}")
        return self._index

    def estimate(self) -> ScarcityEstimate:
        if self._estimate is None:
            self._estimate = estimate_scarcity(self.index())
        return self._estimate

    # changes

    def place(self, proposals: Sequence[Proposal]) -> int:
        """Place, together, every proposal ``check_proposals`` accepts on today's state (dropping a request
        whose proposal breaches a rule and checking the rest again); returns how many were placed."""
        todo = list(proposals)
        while todo:
            breaches = check_proposals(self.index(), todo)
            if not breaches:
                break
            bad = {b.request_id for b in breaches}
            self.rejected += sum(p.request_id in bad for p in todo)
            todo = [p for p in todo if p.request_id not in bad]
        self.apply(todo)
        return len(todo)

    def apply(self, proposals: Sequence[Proposal]) -> None:
        """Move the children in, unchecked (``place`` checks; the audit checks on its own)."""
        if not proposals:
            return
        batch = self._batches
        self._batches += 1
        today = self.year.date(self.day)
        for proposal in proposals:
            arrival = self.waiting.pop(proposal.request_id)
            homes: dict[str, list[str]] = {}
            for child_id, household_id in proposal.placements:
                homes.setdefault(household_id, []).append(child_id)
            for household_id, child_ids in homes.items():
                household = self.households[household_id]
                kids = tuple(_as_current(self.year.children[c], today) for c in child_ids)
                rooms = rooms_for(len(kids), household.shared_bedroom_allowed)
                self.households[household_id] = household.model_copy(
                    update={
                        "current_children": [*household.current_children, *kids],
                        "bedrooms_free": household.bedrooms_free - rooms,
                    }
                )
                stay = Stay(household_id, kids, rooms, self.day + arrival.stay_days, proposal.request_id)
                self.leaving[stay.leaves_on].append(stay)
                self.placed_children.update({k.child_id: (household_id, k.age) for k in kids})
            self.placed.append(Placed(proposal.request_id, self.day, tuple(proposal.placements), batch))
        self._changed()

    def _leave(self, stay: Stay) -> None:
        household = self.households[stay.household_id]
        gone = {c.child_id for c in stay.children}
        self.households[stay.household_id] = household.model_copy(
            update={
                "current_children": [c for c in household.current_children if c.child_id not in gone],
                "bedrooms_free": household.bedrooms_free + stay.rooms,
            }
        )
        for child_id in gone:
            self.placed_children.pop(child_id, None)

    def _age_placed_children(self) -> None:
        """Children placed during the replay are aged on the day (day-0 children keep their recorded age)."""
        today = self.year.date(self.day)
        older: defaultdict[str, dict[str, int]] = defaultdict(dict)
        for child_id, (household_id, age) in self.placed_children.items():
            now = age_on(self.year.children[child_id].date_of_birth, today)
            if now != age:
                older[household_id][child_id] = now
        for household_id, ages in older.items():
            household = self.households[household_id]
            kids = [
                c.model_copy(update={"age": ages[c.child_id]}) if c.child_id in ages else c
                for c in household.current_children
            ]
            self.households[household_id] = household.model_copy(update={"current_children": kids})
            for child_id, age in ages.items():
                self.placed_children[child_id] = (household_id, age)

    def _changed(self) -> None:
        self._index = None
        self._estimate = None

    def outcome(self, policy: str, seconds: float) -> Outcome:
        return Outcome(policy, tuple(self.placed), dict(self.outside), tuple(self.waiting), self.rejected, seconds)


def _as_current(child: Child, today: dt.date) -> CurrentChild:
    """A child placed today, as the household's current child from now on."""
    return CurrentChild(
        child_id=child.id,
        age=age_on(child.date_of_birth, today),
        gender=child.gender,
        sibling_group=child.sibling_group,
        risks_to_others=list(child.risks_to_others),
        living_companions=child.living_companions,
    )


# --- the policies -------------------------------------------------------------------------------

Policy = Callable[[State], None]


def duty_team(state: State) -> None:
    """Each waiting request in arrival order takes rank 1 of the per-request ranking, there and then."""
    for request_id in list(state.waiting):
        answer = rank_request(state.index(), request_id, top=DUTY_TOP, estimate=state.estimate())
        if not answer.options:
            continue
        option = answer.options[0]
        placements = tuple((p.child_id, p.household_id) for p in option.placements)
        state.place([Proposal(request_id, placements, frozenset(r.id for r in option.relaxations))])


def _proposals(index: SnapshotIndex, cands: Candidates, chosen: Sequence[int]) -> list[Proposal]:
    """Chosen candidates as one proposal per request, children in the request's order."""
    homes: defaultdict[str, dict[str, str]] = defaultdict(dict)
    for c in chosen:
        request_id = cands.request_ids[int(cands.request[c])]
        household_id = index.table.households[int(cands.household[c])].id
        for child_id in cands.parts[int(cands.part_of[c])].ids:
            homes[request_id][child_id] = household_id
    return [
        Proposal(r, tuple((c, home_of[c]) for c in index.request(r).children)) for r, home_of in sorted(homes.items())
    ]


def greedy_nightly(state: State) -> None:
    """At night, the batch's greedy baseline over every legal candidate of the waiting list."""
    if not state.waiting:
        return
    index = state.index()
    cands, _ = build_candidates(index, None, {})
    clash = {(min(a, b), max(a, b)) for a, b in clashing_pairs(cands).tolist()}
    state.place(_proposals(index, cands, greedy(index, cands, clash).chosen))


def optimised_nightly(
    time_limit_s: float = NIGHTLY_TIME_LIMIT_S, top_k: int = NIGHTLY_TOP_K, expected_demand: bool = True
) -> Policy:
    """At night, the nightly batch (``solve_batch``) with a short time limit; its matches are placed.

    With ``expected_demand`` (the README's nightly run), the batch also sees the requests of the last weeks
    (placed, sent outside or still waiting) and solves the waiting list together with copies of them.
    """
    settings = BatchSettings(
        time_limit_s=time_limit_s, top_k=top_k, lp_bound_max_pairs=0, scarcity=False, expected_demand=expected_demand
    )

    def policy(state: State) -> None:
        if not state.waiting:
            return
        index = state.index()
        if expected_demand:  # the history adds requests and children only: the day's table rows are lent
            index = SnapshotIndex.build(state.with_history(), "replay night", index)
        answer = solve_batch(index, settings)
        state.place(
            [
                Proposal(
                    m.request_id,
                    tuple((p.child_id, p.household_id) for p in m.placements),
                    frozenset(rule for rule, _, _ in m.relaxations),
                )
                for m in answer.matches
            ]
        )

    return policy


def run_policy(year: Year, name: str, policy: Policy, progress: Progress = _quiet) -> Outcome:
    """Replay the year under ``policy``: morning, the policy, evening, day after day."""
    started = time.perf_counter()
    state = State(year)
    for day in range(year.days):
        state.begin(day)
        policy(state)
        state.end(day)
        if (day + 1) % PROGRESS_EVERY_DAYS == 0 or day + 1 == year.days:
            children = sum(len(year.arrival_of[p.request_id].request.children) for p in state.placed)
            progress(
                f"{name}: day {day + 1}/{year.days}, {len(state.placed)} requests ({children} children) placed, "
                f"{len(state.outside)} outside, {len(state.waiting)} waiting, {time.perf_counter() - started:.0f} s"
            )
    return state.outcome(name, time.perf_counter() - started)


def online_policies(nightly_time_limit_s: float = NIGHTLY_TIME_LIMIT_S) -> dict[str, Policy]:
    return {
        "duty team": duty_team,
        "greedy nightly": greedy_nightly,
        "optimised nightly, waiting list only": optimised_nightly(nightly_time_limit_s, expected_demand=False),
        "optimised nightly": optimised_nightly(nightly_time_limit_s),
    }


# --- the audit: every placement legal when made, every child accounted for ------------------------


def audit(year: Year, outcome: Outcome) -> list[str]:
    """Problems with ``outcome``, found independently of the policy: each request placed, sent outside or
    still waiting exactly once, within its window; each batch of placements accepted by
    ``check_proposals`` on the state of that moment (replayed from the record); children conserved."""
    problems: list[str] = []
    seen: defaultdict[str, int] = defaultdict(int)
    for request_id in [p.request_id for p in outcome.placed] + [*outcome.outside, *outcome.waiting_at_end]:
        seen[request_id] += 1
    for arrival in year.arrivals:
        if seen.pop(arrival.request.id, 0) != 1:
            problems.append(f"{arrival.request.id} is not accounted for exactly once")
    problems += [f"{r} was never an arrival" for r in seen]
    for placed in outcome.placed:
        arrival = year.arrival_of[placed.request_id]
        if not arrival.day <= placed.day <= min(arrival.last_day, year.days - 1):
            problems.append(f"{placed.request_id} placed on day {placed.day}, outside its window")
        if sorted(c for c, _ in placed.placements) != sorted(arrival.request.children):
            problems.append(f"{placed.request_id}: its children are not each placed once")
    for request_id, day in outcome.outside.items():
        if day != year.arrival_of[request_id].last_day:
            problems.append(f"{request_id} left on day {day}, not at the end of its allowance")

    state = State(year)
    batches: defaultdict[int, list[Placed]] = defaultdict(list)
    for placed in outcome.placed:
        batches[placed.batch].append(placed)
    by_day: defaultdict[int, list[list[Placed]]] = defaultdict(list)
    for batch in sorted(batches):
        by_day[batches[batch][0].day].append(batches[batch])
    for day in range(year.days):
        state.begin(day)
        for batch_placed in by_day.get(day, []):
            proposals = [Proposal(p.request_id, p.placements) for p in batch_placed]
            if any(p.request_id not in state.waiting for p in proposals):
                problems.append(f"day {day}: a request placed while not waiting")
                continue
            breaches = check_proposals(state.index(), proposals)
            problems += [f"day {day}: {b}" for b in breaches]
            state.apply(proposals)
        state.end(day)
    if dict(state.outside) != dict(outcome.outside):
        problems.append("the requests placed outside differ from the replayed allowance rule")
    expected = sum(len(s.children) for s in year.initial if s.leaves_on >= year.days) + sum(
        len(p.placements) for p in outcome.placed if p.day + year.arrival_of[p.request_id].stay_days >= year.days
    )
    living = sum(len(h.current_children) for h in state.households.values())
    if living != expected:
        problems.append(f"{living} foster children live in the households at the end, {expected} expected")
    return problems


# --- the objective and the columns ----------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """The report's columns for one policy, and the objective's two levels."""

    policy: str
    requests: int
    children: int
    children_placed: int
    children_in_house: int
    sibling_groups: int
    groups_together: int
    #: Siblings living apart from the rest of their group: households used minus one, over every group.
    siblings_separated: int
    mean_distance_km: float
    mean_days_waiting: float
    placement_level: int
    soft_level: int
    objective: int
    seconds: float
    rejected: int

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "requests": self.requests,
            "children": self.children,
            "children_placed": self.children_placed,
            "children_placed_in_house": self.children_in_house,
            "sibling_groups": self.sibling_groups,
            "sibling_groups_kept_together": self.groups_together,
            "siblings_separated": self.siblings_separated,
            "mean_distance_km": round(self.mean_distance_km, 2),
            "mean_days_waiting": round(self.mean_days_waiting, 3),
            "placement_level": self.placement_level,
            "soft_level": self.soft_level,
            "objective": self.objective,
            "seconds": round(self.seconds, 1),
            "rejected_by_validator": self.rejected,
        }


def wait_penalty(request: Request, weights: Mapping[str, int]) -> int:
    """Level-2 points lost per day the request waits."""
    return WAIT_POINTS_PER_CHILD_DAY * weights[f"urgency_{request.urgency}"] * len(request.children)


@dataclass(eq=False)
class Scorer:
    """The one objective every policy is judged by, on the households as approved (see the docstring)."""

    year: Year
    multiplier: int

    @cached_property
    def index(self) -> SnapshotIndex:
        return self.year.approved_as_is

    @cached_property
    def context(self) -> ScoringContext:
        return ScoringContext(self.index.weights)

    def part_score(self, request: Request, child_ids: Sequence[str], household_id: str) -> int:
        """The ranking criteria's points for these children of ``request`` in the household as approved."""
        part = self.index.part(request, [c for c in request.children if c in set(child_ids)])
        where = np.asarray([self.index.table.position[household_id]], dtype=np.int64)
        return sum(int(criterion.points(part, self.index.table, where, self.context)[0]) for criterion in CRITERIA)

    def request_value(self, arrival: Arrival, day: int, placements: Sequence[tuple[str, str]]) -> tuple[int, int]:
        """(level 1, level 2) of placing the request on ``day`` with these placements."""
        weights = self.index.weights
        request = arrival.request
        homes: dict[str, list[str]] = {}
        for child_id, household_id in placements:
            homes.setdefault(household_id, []).append(child_id)
        soft = sum(self.part_score(request, kids, h) for h, kids in homes.items())
        soft += siblings_together.points(len(request.children), len(homes), weights)
        soft -= wait_penalty(request, weights) * (day - arrival.day)
        return request_weight(request, weights), soft

    def evaluate(self, outcome: Outcome) -> Metrics:
        year = self.year
        households = {h.id: h for h in year.households}
        placement = soft = placed = in_house = together = separated = 0
        distances: list[float] = []
        waited: list[int] = []
        for p in outcome.placed:
            arrival = year.arrival_of[p.request_id]
            level1, level2 = self.request_value(arrival, p.day, p.placements)
            placement += level1
            soft += level2
            placed += len(p.placements)
            waited.append(p.day - arrival.day)
            homes = {h for _, h in p.placements}
            together += len(p.placements) > 1 and len(homes) == 1
            separated += len(homes) - 1
            for child_id, household_id in p.placements:
                household = households[household_id]
                in_house += household.provider == "in_house"
                where = year.children[child_id].location
                if where is not None:
                    distances.append(haversine_km(where.lat, where.lon, household.location.lat, household.location.lon))
        placed_ids = {p.request_id for p in outcome.placed}
        waited += [min(ALLOWANCE_DAYS + 1, year.days - a.day) for a in year.arrivals if a.request.id not in placed_ids]
        return Metrics(
            policy=outcome.policy,
            requests=len(year.arrivals),
            children=sum(len(a.request.children) for a in year.arrivals),
            children_placed=placed,
            children_in_house=in_house,
            sibling_groups=sum(len(a.request.children) > 1 for a in year.arrivals),
            groups_together=together,
            siblings_separated=separated,
            mean_distance_km=float(np.mean(distances)) if distances else 0.0,
            mean_days_waiting=float(np.mean(waited)) if waited else 0.0,
            placement_level=placement,
            soft_level=soft,
            objective=placement * self.multiplier + soft,
            seconds=outcome.seconds,
            rejected=outcome.rejected,
        )


def level2_range(year: Year, cands: Candidates) -> tuple[int, int]:
    """(lowest, highest) level 2 over every choice the hindsight model (and so every policy) can make."""
    weights = year.approved_as_is.weights
    # The batch's soft level, less the most any request with a candidate can lose by waiting.
    low, high = soft_extremes(weights, cands)
    for r, request_id in enumerate(cands.request_ids):
        if cands.members(r).size:
            low -= wait_penalty(year.arrival_of[request_id].request, weights) * ALLOWANCE_DAYS
    return low, high


def objective_multiplier(year: Year, cands: Candidates) -> int:
    """``M`` such that ``level1 * M + level2`` is exactly lexicographic: one step of level 1 (a multiple of
    ``placed_child``) outweighs the whole range of level 2."""
    low, high = level2_range(year, cands)
    return (high - low) // max(1, year.approved_as_is.weights["placed_child"]) + 1


def level1_bound(year: Year, cands: Candidates, multiplier: int, bound: int) -> int:
    """The level 1 that a bound on the combined objective allows (exact, since ``M`` outweighs level 2)."""
    step = year.approved_as_is.weights["placed_child"]
    low, _ = level2_range(year, cands)
    return (bound - low) // multiplier // step * step


# --- hindsight ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HindsightResult:
    status: str
    objective: int
    bound: int
    outcome: Outcome
    build_s: float
    solve_s: float
    candidates: int


@dataclass(eq=False)
class HindsightModel:
    """The whole year as one CP-SAT model (see the module docstring)."""

    year: Year
    cands: Candidates
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    y: list[cp_model.IntVar]
    start: list[cp_model.IntVar]
    wait: list[cp_model.IntVar]
    multiplier: int
    build_s: float
    #: (request index, children of the part, household position) -> candidate.
    lookup: dict[tuple[int, frozenset[str], int], int] = field(default_factory=dict)

    def values(self, outcome: Outcome) -> dict[int, int] | None:
        """The outcome as a full assignment (variable index -> value), or None if it is not a point of the
        model's variables (a placement with no candidate)."""
        row = {request_id: r for r, request_id in enumerate(self.cands.request_ids)}
        position = self.year.approved_as_is.table.position
        picked = np.zeros(len(self.cands), dtype=np.int64)
        placed = np.zeros(len(self.y), dtype=np.int64)
        day = [self.year.arrival_of[r].day for r in self.cands.request_ids]
        for p in outcome.placed:
            r = row[p.request_id]
            homes: dict[str, set[str]] = {}
            for child_id, household_id in p.placements:
                homes.setdefault(household_id, set()).add(child_id)
            for household_id, kids in homes.items():
                c = self.lookup.get((r, frozenset(kids), position[household_id]))
                if c is None:
                    return None
                picked[c] = 1
            placed[r] = 1
            day[r] = p.day
        first = [self.year.arrival_of[r].day for r in self.cands.request_ids]
        result = {v.index: int(picked[c]) for c, v in enumerate(self.x)}
        result.update({v.index: int(placed[r]) for r, v in enumerate(self.y)})
        result.update({v.index: day[r] for r, v in enumerate(self.start)})
        result.update({v.index: (day[r] - first[r]) * int(placed[r]) for r, v in enumerate(self.wait)})
        return result

    def hint(self, outcome: Outcome) -> bool:
        """Write the outcome as the solution hint; False if it is not a point of the model's variables."""
        values = self.values(outcome)
        self.model.clear_hints()  # type: ignore[no-untyped-call]  # ortools ships this untyped
        if values is None:
            return False
        hint = self.model.proto.solution_hint
        hint.vars.extend(list(values))
        hint.values.extend(list(values.values()))
        return True

    def accepts(self, outcome: Outcome, time_limit_s: float = 30.0) -> bool:
        """Whether the outcome satisfies every constraint of the model (the hint, fixed, solved)."""
        if not self.hint(outcome):
            return False
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.max_time_in_seconds = time_limit_s
        solver.parameters.num_workers = 1
        status = solver.solve(self.model)
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)

    def outcome_of(self, solver: cp_model.CpSolver, seconds: float) -> Outcome:
        """The solver's solution as a replay outcome (each request placed on its start day)."""
        households = self.year.approved_as_is.table.households
        homes: defaultdict[int, dict[str, str]] = defaultdict(dict)
        for c in range(len(self.cands)):
            if solver.boolean_value(self.x[c]):
                for child_id in self.cands.parts[int(self.cands.part_of[c])].ids:
                    homes[int(self.cands.request[c])][child_id] = households[int(self.cands.household[c])].id
        placed = []
        for r, home_of in sorted(homes.items()):
            request_id = self.cands.request_ids[r]
            children = self.year.arrival_of[request_id].request.children
            placed.append(Placed(request_id, solver.value(self.start[r]), tuple((c, home_of[c]) for c in children), r))
        placed.sort(key=lambda p: (p.day, p.batch))
        unplaced = [a for a in self.year.arrivals if a.request.id not in {p.request_id for p in placed}]
        outside = {a.request.id: a.last_day for a in unplaced if a.last_day < self.year.days}
        waiting = tuple(a.request.id for a in unplaced if a.last_day >= self.year.days)
        return Outcome(HINDSIGHT, tuple(placed), outside, waiting, 0, seconds)


def _day0_clash_release(year: Year, cands: Candidates) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Per candidate, the first day it may start given day-0 children it clashes with (sexual harm,
    living companions): the day the last of them leaves (0 when none)."""
    index = year.approved_as_is
    release = np.zeros(len(cands), dtype=np.int64)
    stays_at: defaultdict[int, list[Stay]] = defaultdict(list)
    for stay in year.initial:
        stays_at[index.table.position[stay.household_id]].append(stay)
    rules = (RULES_BY_ID["risk_to_others"], RULES_BY_ID["living_companions"])

    def sensitive_child(c: CurrentChild) -> bool:
        return "sexual_harm" in c.risks_to_others or c.living_companions != "any"

    def sensitive_part(part: Part) -> bool:
        return any(
            "sexual_harm" in k.child.risks_to_others or k.child.living_companions != "any" for k in part.children
        )

    for c in range(len(cands)):
        stays = stays_at.get(int(cands.household[c]))
        if not stays:
            continue
        part = cands.parts[int(cands.part_of[c])]
        if not sensitive_part(part) and not any(sensitive_child(k) for s in stays for k in s.children):
            continue
        household = index.table.households[int(cands.household[c])]
        for stay in stays:
            home = Home(household, stay.children)
            if any(rule.check(part, home) is not None for rule in rules):
                release[c] = max(int(release[c]), stay.leaves_on)
    return release


def _initial_demands(stays: Sequence[Stay], capacity: int) -> list[int]:
    """Children demands of the day-0 stays of one household such that, on every day, they add up to the
    effective occupancy min(capacity, children there): assigned from the last to leave."""
    demands = [0] * len(stays)
    left = capacity
    for i in sorted(range(len(stays)), key=lambda k: -stays[k].leaves_on):
        demands[i] = min(len(stays[i].children), left)
        left -= demands[i]
    return demands


def build_hindsight(
    year: Year, extra: Mapping[str, Sequence[tuple[str, str]]], top_k: int = HINDSIGHT_TOP_K
) -> HindsightModel:
    """The year's model: candidates (top-K plus ``extra``), starts, intervals, capacities, clashes, objective."""
    started = time.perf_counter()
    index = year.approved_as_is
    weights = index.weights
    cands, _ = build_candidates(index, top_k, extra)
    model = cp_model.CpModel()
    arrivals = [year.arrival_of[r] for r in cands.request_ids]
    last = [min(a.last_day, year.days - 1) for a in arrivals]
    x = [model.new_bool_var("") for _ in range(len(cands))]
    y = [model.new_bool_var("") for _ in arrivals]
    start = [model.new_int_var(a.day, last[r], "") for r, a in enumerate(arrivals)]
    wait = [model.new_int_var(0, last[r] - a.day, "") for r, a in enumerate(arrivals)]
    by_request: defaultdict[int, list[int]] = defaultdict(list)
    for c, r in enumerate(cands.request.tolist()):
        by_request[r].append(c)
    for r, arrival in enumerate(arrivals):
        mine = by_request.get(r, [])
        model.add(wait[r] == start[r] - arrival.day).only_enforce_if(y[r])
        model.add(wait[r] == 0).only_enforce_if(y[r].Not())
        if not mine:
            model.add(y[r] == 0)
        elif not cands.request_split[r]:
            model.add(sum(x[c] for c in mine) == y[r])
        else:
            for child in arrival.request.children:
                model.add(sum(x[c] for c in mine if child in cands.parts[int(cands.part_of[c])].ids) == y[r])
            per_home: defaultdict[int, list[int]] = defaultdict(list)
            for c in mine:
                per_home[int(cands.household[c])].append(c)
            for members in per_home.values():
                if len(members) > 1:
                    model.add_at_most_one(x[c] for c in members)
    interval = [
        model.new_optional_fixed_size_interval_var(
            start[int(cands.request[c])], arrivals[int(cands.request[c])].stay_days, x[c], ""
        )
        for c in range(len(cands))
    ]

    # Household capacity over time: children and bedrooms.
    table = index.table
    stays_at: defaultdict[int, list[Stay]] = defaultdict(list)
    for stay in year.initial:
        stays_at[table.position[stay.household_id]].append(stay)
    order = np.argsort(cands.household, kind="stable")
    homes, starts, counts = np.unique(cands.household[order], return_index=True, return_counts=True)
    for h, first, count in zip(homes.tolist(), starts.tolist(), counts.tolist(), strict=True):
        members = order[first : first + count].tolist()
        capacity = min(int(table.max_children[h]), USUAL_LIMIT)
        if bool(cands.exempt[members].any()):
            capacity = max(capacity, int(table.exemption_max[h]))  # a relaxation: see the docstring
        earliest = min(arrivals[int(cands.request[c])].day for c in members)
        stays = [s for s in stays_at.get(h, []) if s.leaves_on > earliest]
        fixed = [model.new_fixed_size_interval_var(0, s.leaves_on, "") for s in stays]
        kids = [min(int(cands.size[c]), capacity) for c in members] + _initial_demands(stays, capacity)
        if sum(kids) > capacity:
            model.add_cumulative([interval[c] for c in members] + fixed, kids, capacity)
        rooms = [int(cands.rooms[c]) for c in members] + [s.rooms for s in stays]
        if sum(rooms) > int(table.bedrooms_free[h]):
            model.add_cumulative([interval[c] for c in members] + fixed, rooms, int(table.bedrooms_free[h]))

    # Clashes between two parts sharing a household at the same time, and with day-0 children.
    for a, b in clashing_pairs(cands).tolist():
        ra, rb = arrivals[int(cands.request[a])], arrivals[int(cands.request[b])]
        if ra.day < rb.last_day + rb.stay_days and rb.day < ra.last_day + ra.stay_days:
            model.add_no_overlap([interval[a], interval[b]])
    release = _day0_clash_release(year, cands)
    for c in np.flatnonzero(release).tolist():
        r = int(cands.request[c])
        if int(release[c]) > last[r]:
            model.add(x[c] == 0)
        elif int(release[c]) > arrivals[r].day:
            model.add(start[r] >= int(release[c])).only_enforce_if(x[c])

    multiplier = objective_multiplier(year, cands)
    per_part, per_request = together_terms(weights, cands)
    placement = cp_model.LinearExpr.weighted_sum(y, [request_weight(a.request, weights) for a in arrivals])
    soft = (
        cp_model.LinearExpr.weighted_sum(x, (cands.score - per_part).tolist())
        + cp_model.LinearExpr.weighted_sum(y, per_request.tolist())
        - cp_model.LinearExpr.weighted_sum(wait, [wait_penalty(a.request, weights) for a in arrivals])
    )
    model.maximize(placement * multiplier + soft)
    lookup = {
        (int(cands.request[c]), cands.parts[int(cands.part_of[c])].ids, int(cands.household[c])): c
        for c in range(len(cands))
    }
    return HindsightModel(year, cands, model, x, y, start, wait, multiplier, time.perf_counter() - started, lookup)


def solve_hindsight(
    hm: HindsightModel,
    hint: Outcome | None,
    time_limit_s: float = HINDSIGHT_TIME_LIMIT_S,
    progress: Progress = _quiet,
) -> HindsightResult:
    """Solve the year's model from the hint (a policy's answer) when given.

    Parameters: defaults plus the ``max_lp`` subsolver (measured on a 60-day region slice: the best
    incumbent and bound of the sets tried). Not ``cp_model_probing_level=0``: on this model CP-SAT 9.15
    then answered INFEASIBLE without a hint, and OPTIMAL below a known solution with one.
    """
    known = -1
    if hint is not None and hm.accepts(hint):
        known = Scorer(hm.year, hm.multiplier).evaluate(hint).objective
    if hint is not None:
        hm.hint(hint)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = time_limit_s
    p.num_workers = HINDSIGHT_WORKERS
    p.subsolvers.append("max_lp")
    p.random_seed = 0
    progress(f"hindsight: {len(hm.cands)} candidates, solving for up to {time_limit_s:.0f} s")
    t0 = time.perf_counter()
    status = solver.solve(hm.model)
    seconds = time.perf_counter() - t0
    hm.model.clear_hints()  # type: ignore[no-untyped-call]
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"hindsight model: {solver.status_name(status)}, yet placing nobody is a solution")
    objective = round(solver.objective_value)
    bound = round(solver.best_objective_bound)
    if bound < known or (status == cp_model.OPTIMAL and objective < known):
        raise RuntimeError(f"hindsight: the solver's bound {bound} is below a known solution's {known}")
    if objective < known:  # stopped early without reaching the hint: keep the better known answer
        assert hint is not None
        outcome, objective = dataclasses.replace(hint, policy=HINDSIGHT, seconds=seconds), known
    else:
        outcome = hm.outcome_of(solver, seconds)
    state = "optimal" if status == cp_model.OPTIMAL else "feasible"
    progress(f"hindsight: {state}, objective {objective}, bound {bound}, {seconds:.0f} s")
    return HindsightResult(state, objective, bound, outcome, hm.build_s, seconds, len(hm.cands))


# --- the report -----------------------------------------------------------------------------------


def used_pairs(outcomes: Sequence[Outcome]) -> dict[str, list[tuple[str, str]]]:
    """Every (child, household) any policy used, per request: kept among hindsight's candidates."""
    extra: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for outcome in outcomes:
        for p in outcome.placed:
            extra[p.request_id] += [pair for pair in p.placements if pair not in extra[p.request_id]]
    return dict(extra)


def run(
    tier: str = DEFAULT_TIER,
    seed: int = DEFAULT_SEED,
    days: int = YEAR_DAYS,
    requests: int | None = None,
    nightly_time_limit_s: float = NIGHTLY_TIME_LIMIT_S,
    hindsight_time_limit_s: float = HINDSIGHT_TIME_LIMIT_S,
    hindsight_top_k: int = HINDSIGHT_TOP_K,
    progress: Progress = _quiet,
    check: bool = False,
) -> dict[str, Any]:
    """The whole benchmark: build the year, replay each policy, solve hindsight, compare. With ``check``,
    every answer (hindsight's too) is audited: replayed day by day through ``check_proposals``."""
    started = time.perf_counter()
    year = build_year(tier, seed, days, requests)
    progress(f"{tier} seed {seed}: {len(year.households)} households, {len(year.arrivals)} requests over {days} days")
    outcomes = [
        run_policy(year, name, policy, progress) for name, policy in online_policies(nightly_time_limit_s).items()
    ]
    hm = build_hindsight(year, used_pairs(outcomes), hindsight_top_k)
    progress(f"hindsight model built in {hm.build_s:.1f} s")
    scorer = Scorer(year, hm.multiplier)
    rows = [scorer.evaluate(o) for o in outcomes]
    # Every online answer must be a solution of the hindsight model (it is a relaxation of the rules).
    feasible = {o.policy: hm.accepts(o) for o in outcomes}
    best = max(range(len(rows)), key=lambda i: (feasible[outcomes[i].policy], rows[i].objective))
    hindsight = solve_hindsight(hm, outcomes[best], hindsight_time_limit_s, progress)
    hind_row = scorer.evaluate(hindsight.outcome)
    reference = hindsight.bound if hindsight.status != "optimal" else hindsight.objective
    placement_reference = level1_bound(year, hm.cands, hm.multiplier, reference)

    def pct(value: int, of: int) -> float | None:
        return round(100.0 * value / of, 3) if of > 0 else None

    policies = []
    for row in [*rows, hind_row]:
        entry = row.to_json()
        entry["objective_pct_of_hindsight"] = pct(row.objective, reference)
        entry["placement_level_pct_of_hindsight"] = pct(row.placement_level, placement_reference)
        entry["soft_level_pct_of_hindsight"] = pct(row.soft_level, hind_row.soft_level)
        policies.append(entry)
    optimised, greedy_row = rows[POLICIES.index("optimised nightly")], rows[POLICIES.index("greedy nightly")]

    def versus(ours: float, theirs: float, higher_is_better: bool = True) -> str:
        better, worse = (ours > theirs, ours < theirs) if higher_is_better else (ours < theirs, ours > theirs)
        return "ahead" if better else "behind" if worse else "level"

    ahead = {
        "children_placed_in_house": versus(optimised.children_in_house, greedy_row.children_in_house),
        "sibling_groups_kept_together": versus(optimised.groups_together, greedy_row.groups_together),
        "siblings_separated": versus(optimised.siblings_separated, greedy_row.siblings_separated, False),
        "mean_distance_km": versus(optimised.mean_distance_km, greedy_row.mean_distance_km, False),
        "mean_days_waiting": versus(optimised.mean_days_waiting, greedy_row.mean_days_waiting, False),
        "objective": versus(optimised.objective, greedy_row.objective),
    }
    audits: dict[str, list[str]] = {}
    if check:
        for outcome in [*outcomes, hindsight.outcome]:
            t0 = time.perf_counter()
            audits[outcome.policy] = audit(year, outcome)
            progress(
                f"audit {outcome.policy}: {len(audits[outcome.policy])} problems, {time.perf_counter() - t0:.0f} s"
            )
    return {
        "tier": tier,
        "seed": seed,
        "days": days,
        "households": len(year.households),
        "requests": len(year.arrivals),
        "children": sum(len(a.request.children) for a in year.arrivals),
        "allowance_days": ALLOWANCE_DAYS,
        "nightly_time_limit_s": nightly_time_limit_s,
        "multiplier": hm.multiplier,
        "policies": policies,
        "hindsight": {
            "status": hindsight.status,
            "objective": hindsight.objective,
            "bound": hindsight.bound,
            "gap": round((hindsight.bound - hindsight.objective) / max(1, abs(hindsight.objective)), 8),
            "percentages_against": "objective" if hindsight.status == "optimal" else "bound",
            "candidates": hindsight.candidates,
            "top_k": hindsight_top_k,
            "build_s": round(hindsight.build_s, 1),
            "solve_s": round(hindsight.solve_s, 1),
            "evaluated_objective_matches_solver": hind_row.objective == hindsight.objective,
            "hint": outcomes[best].policy,
            "online_answers_are_solutions": feasible,
        },
        "targets": {
            "optimised_at_least_98pct_of_hindsight": (pct(optimised.objective, reference) or 0.0) >= 98.0,
            "optimised_ahead_of_greedy_on_every_column": all(v == "ahead" for v in ahead.values()),
            "optimised_versus_greedy": ahead,
        },
        "audit": {policy: {"problems": len(found), "first": found[:3]} for policy, found in audits.items()},
        "total_s": round(time.perf_counter() - started, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def format_table(report: Mapping[str, Any]) -> str:
    """The report as a table a person reads."""
    head = (
        f"{'policy':<36} {'in-house':>8} {'placed':>7} {'groups':>9} {'apart':>5} {'km':>6} {'wait d':>7} "
        f"{'objective':>13} {'level 1 %':>9} {'level 2 %':>9} {'objective %':>11} {'time s':>7}"
    )
    lines = [
        f"dynamic replay: {report['tier']} seed {report['seed']}, {report['households']} households, "
        f"{report['requests']} requests ({report['children']} children) over {report['days']} days, "
        f"allowance {report['allowance_days']} days",
        head,
        "-" * len(head),
    ]
    for row in report["policies"]:
        groups = f"{row['sibling_groups_kept_together']}/{row['sibling_groups']}"
        level = row["placement_level_pct_of_hindsight"]
        soft = row["soft_level_pct_of_hindsight"]
        objective = row["objective_pct_of_hindsight"]
        lines.append(
            f"{row['policy']:<36} {row['children_placed_in_house']:>8} {row['children_placed']:>7} {groups:>9} "
            f"{row['siblings_separated']:>5} "
            f"{row['mean_distance_km']:>6.1f} {row['mean_days_waiting']:>7.2f} {row['objective']:>13} "
            f"{'-' if level is None else f'{level:.2f}':>9} {'-' if soft is None else f'{soft:.2f}':>9} "
            f"{'-' if objective is None else f'{objective:.4f}':>11} "
            f"{row['seconds']:>7.1f}"
        )
    h = report["hindsight"]
    lines += [
        "",
        f"hindsight: {h['status']}, objective {h['objective']}, bound {h['bound']}, gap {h['gap']:.2e}; "
        f"percentages against its {h['percentages_against']}; {h['candidates']} candidates (top {h['top_k']} per "
        f"part plus every pair a policy used), built in {h['build_s']} s, solved in {h['solve_s']} s",
        f"targets: optimised >= 98% of hindsight: {report['targets']['optimised_at_least_98pct_of_hindsight']}; "
        f"ahead of greedy on every column: {report['targets']['optimised_ahead_of_greedy_on_every_column']} ("
        + ", ".join(f"{k} {v}" for k, v in report["targets"]["optimised_versus_greedy"].items())
        + ")",
        *[
            f"audit {policy}: {found['problems']} problems {found['first'] or ''}"
            for policy, found in report["audit"].items()
        ],
        f"total {report['total_s']} s, peak memory {report['peak_rss_gb']} GB",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks replay", description=__doc__.split("\n")[0])
    parser.add_argument("--tier", choices=("county", "region", "national"), default=DEFAULT_TIER)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--days", type=int, default=YEAR_DAYS, help="Days the arrivals are spread over.")
    parser.add_argument("--requests", type=int, default=None, help="Replay a seeded sample of N requests.")
    parser.add_argument("--nightly-time-limit", type=float, default=NIGHTLY_TIME_LIMIT_S)
    parser.add_argument("--hindsight-time-limit", type=float, default=HINDSIGHT_TIME_LIMIT_S)
    parser.add_argument("--hindsight-top-k", type=int, default=HINDSIGHT_TOP_K)
    parser.add_argument(
        "--audit", action="store_true", help="Replay every answer (hindsight's too) through check_proposals."
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    report = run(
        args.tier,
        args.seed,
        args.days,
        args.requests,
        args.nightly_time_limit,
        args.hindsight_time_limit,
        args.hindsight_top_k,
        progress,
        args.audit,
    )
    print(json.dumps(report) if args.json else format_table(report))
    return 0
