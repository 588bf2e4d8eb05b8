"""One replication of the sufficiency simulation: children arrive, are matched by the live service's batch
(``matching.batch.solve_batch``, the same hard rules and objective) on a snapshot built from the
simulated state, live with their carers for sampled durations and leave or move on; households are
recruited, put on hold and lost.

Each step (a week or a month): placements end (a child leaves care or needs another home), carers
resign (their children need new homes), holds start and end, new carers are approved, children arrive;
then one batch runs over every waiting request. Requests still unmatched when the next batch would come
after their waiting allowance go to an agency (IFA) placement on the open market or to residential care,
as the child's route into care says. The snapshot handed to the batch leaves out only households no
request can use under non-relaxable rules (no free bedroom; connected carers none of whose named
children are waiting), so the batch answers exactly as it would with them.

Random numbers (common random numbers across scenarios): arrivals and each child's own uniforms (its
durations, moves and distances) come from the ``arrivals`` stream; each household has its own stream for
resignation and holds, keyed by its id; recruitment has one stream per carer type; the carer-loss rate
of the replication comes from the ``parameters`` stream. Two scenarios with the same demand see the same
children, whatever their supply.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import NDArray

from constraints.registry import RULES
from domain.ages import age_on
from domain.geo import haversine_km
from domain.load import load_snapshot
from domain.snapshot import Approval, Child, CurrentChild, Hold, Household, Location, Request, Snapshot
from domain.vocab import CARER_TYPES, SKILLS
from matching.batch import BatchSettings, solve_batch
from matching.index import SnapshotIndex
from matching.validate import Breach, check_proposals
from planning import profiles
from planning.demand import (
    AGE_BAND_LABELS,
    DAYS_PER_YEAR,
    LEAVING_AGE,
    CurveArrays,
    DemandModel,
    age_band,
    parameter_model,
)
from planning.scenario import Scenario, Town

# --- what is measured ----------------------------------------------------------------------------------

#: Per-step measures, in column order of ``ReplicationResult.metrics``. Stocks are at the step's end;
#: flows are counts within the step.
METRICS: tuple[str, ...] = (
    "in_house",  # children with the council's own (non-connected) carers
    "kinship",  # children with connected (family and friends) carers
    "ifa",  # children with agency carers: the snapshot's IFA households and open-market placements
    "ifa_pool",  # of which with the snapshot's IFA households (matched by the batch)
    "residential",
    "other",  # with parents, independent living, adoption placements...: not matched
    "waiting",  # waiting for a home at the step's end
    "arrivals",  # children coming into care in the step
    "matched_in_house",  # children placed by matching with in-house carers in the step
    "matched_kinship",
    "matched_ifa_pool",
    "to_ifa",  # children sent to the open agency market after their waiting allowance
    "to_residential",
    "sibling_groups_resolved",  # sibling groups (2+ children) placed anywhere in the step
    "sibling_groups_together",  # of which by matching, all in one household
    "local_placements",  # children placed within the local distance
    "distance_sum_km",  # total distance from home of the children placed in the step
    "placements",  # children placed in the step (matched or not)
    "utilisation",  # in-house children / approved places of in-house households
    "households_in_house",  # in-house, non-connected households (active or on hold)
    "households_on_hold",
    "weekly_cost_gbp",  # cost of a week at the step's end
    "step_cost_gbp",  # cost of the step (its end-of-step weekly cost times its weeks)
    "moves",  # children needing another home in the step (placement ended or carer resigned)
    "leavers",  # children leaving care in the step
    "recruits",
    "resignations",
)
M = {name: i for i, name in enumerate(METRICS)}
#: Carer types a shortfall is counted against (the type whose home the child would have needed).
SHORTFALL_TYPES: tuple[str, ...] = (*(t for t in CARER_TYPES if t != "connected"), "connected")
#: Rules that say "no room" rather than "not approved for this child": a household breaking only these
#: would have taken the child had it had a place free.
CAPACITY_RULES = frozenset({"household_available", "approved_places", "usual_fostering_limit", "bedrooms"})
CAPACITY_ROWS = np.asarray([rule.id in CAPACITY_RULES for rule in RULES], dtype=bool)

#: Kinds and urgency of new requests (assumed; [000]: emergency availability is a pressure point).
EMERGENCY_SHARE = 0.3
WITHIN_5_DAYS_SHARE = 0.25
PLANNED_DAYS = (7, 42)
MOVE_NOTICE_DAYS = 14
#: Share of sibling requests whose brothers and sisters may be placed apart (fixture generator).
MAY_SPLIT_SHARE = 0.10
#: Ages of remanded children (fixture generator REMAND_FROM) and of children old enough to move on.
REMAND_FROM = 12
#: A child this close to 18 leaves care at the end of a placement rather than moving (assumed).
NO_MOVE_AFTER_AGE = 17.5
#: Years between brothers and sisters entering together (fixture generator SIBLING_GAP_YEARS).
SIBLING_GAP_YEARS = (1, 3)
#: Emergencies may go outside terms of approval on age and distance with sign-off (fixture generator).
EMERGENCY_RELAXATIONS = ("age_range", "max_distance")
EMERGENCY_RELAXATIONS_SHARE = 0.25
#: Connected carers live near the child ([001]); a fifth are short of a bedroom ([001] overcrowding).
CONNECTED_SPREAD_KM = 6.0
CONNECTED_SHORT_OF_ROOMS = 0.2
CONNECTED_WEEKLY_GBP = 350.0  # fixture generator's connected cost range 300-420, midpoint (assumed)
#: Needs a connected household can be approved to meet (skills; BSL and Makaton count as both).
SKILL_SET: frozenset[str] = frozenset(SKILLS)
#: Recruits live near the carers they resemble (assumed scatter, km).
RECRUIT_SPREAD_KM = 3.0
#: Spread (log scale) of distances of open-market and residential placements (assumed).
EXTERNAL_DISTANCE_SIGMA = 0.8
#: Uniform numbers drawn per child at arrival for its successive placements.
CHILD_DRAWS = 8
#: The leading carer type among the homes that were full is where a shortfall is counted.
FULL_HOMES_LABEL = "full"

STREAM_ARRIVALS, STREAM_INITIAL, STREAM_PARAMETERS, STREAM_RECRUITMENT, STREAM_HOUSEHOLD, STREAM_EXTRA, STREAM_CHILD = (
    range(1, 8)
)


# --- inputs prepared once per run -------------------------------------------------------------------------


ROUTES: tuple[str, ...] = ("in_house", "ifa", "kinship", "residential", "other")


def _cdf(weights: Sequence[float]) -> NDArray[np.float64] | None:
    """Cumulative shares of ``weights`` (None when they are all zero)."""
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    return None if total <= 0 else np.cumsum(w) / total


def poisson_quantile(u: float, mean: float) -> int:
    """The smallest ``k`` with P(X <= k) >= ``u`` for X ~ Poisson(``mean``): the inverse transform, so that one
    uniform gives a count that grows with the mean (common random numbers across recruitment scenarios).

    Summed term by term in log space (no underflow for large means). scipy's ``poisson.ppf`` gives the same
    counts (tested for ``u`` up to 1 - 1e-9; beyond, rounding in either sum decides a far-tail count), but
    importing ``scipy.stats`` costs each Dask worker 0.7 s and each call 0.2 ms.
    """
    if mean <= 0:
        return 0
    k, log_term = 0, -mean
    cdf = math.exp(log_term)
    while cdf < u:
        k += 1
        log_term += math.log(mean / k)
        term = math.exp(log_term)
        if k > mean and cdf + term == cdf:  # past the mass: rounding left the sum a hair under u
            break
        cdf += term
    return k


def choice_cdf(weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """The cumulative shares ``rng.choice(len(weights), p=weights / weights.sum())`` searches, worked out as it
    does: ``cdf.searchsorted(rng.random(), side="right")`` then draws the very same index from the same
    uniform, without ``choice``'s checks of ``p`` on every call (a test holds the two equal)."""
    cdf: NDArray[np.float64] = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return cdf


def _pick(cdf: NDArray[np.float64] | None, u: float) -> int:
    """The index a uniform ``u`` falls on in a cumulative distribution (inverse transform)."""
    if cdf is None:
        return 0
    return min(int(np.searchsorted(cdf, u, side="right")), cdf.size - 1)


@dataclass(frozen=True)
class ArrivalTables:
    """The demand model's discrete distributions as cumulative arrays, built once."""

    sizes: NDArray[np.int64]
    size_cdf: NDArray[np.float64] | None
    bands: NDArray[np.float64]
    band_cdf: NDArray[np.float64] | None
    route_cdf: dict[str, NDArray[np.float64] | None]
    town_cdf: NDArray[np.float64] | None

    @classmethod
    def of(cls, demand: DemandModel, towns: Sequence[Town]) -> ArrivalTables:
        sizes = sorted(demand.group_sizes.items(), key=lambda kv: int(kv[0]))
        bands = np.asarray([demand.entries_per_year.get(b, 0.0) for b in AGE_BAND_LABELS], dtype=np.float64)
        return cls(
            sizes=np.asarray([int(k) for k, _ in sizes], dtype=np.int64),
            size_cdf=_cdf([v for _, v in sizes]),
            bands=bands if bands.sum() > 0 else np.zeros(0),
            band_cdf=_cdf(bands.tolist()),
            route_cdf={b: _cdf([demand.entry_mix.get(b, {}).get(r, 0.0) for r in ROUTES]) for b in AGE_BAND_LABELS},
            town_cdf=_cdf([t.weight for t in towns]),
        )


@dataclass(frozen=True)
class SimulationInput:
    """Everything a replication needs, built once and shipped to every worker."""

    scenario: Scenario
    snapshot: Snapshot
    demand: DemandModel
    towns: tuple[Town, ...]
    templates: Mapping[str, tuple[Household, ...]]
    start: dt.date
    boundaries: tuple[int, ...]  # day offsets of step ends; step k runs (boundaries[k-1], boundaries[k]]
    arrival_tables: ArrivalTables = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arrival_tables", ArrivalTables.of(self.demand, self.towns))

    @property
    def steps(self) -> int:
        return len(self.boundaries) - 1

    def step_dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=d) for d in self.boundaries[1:]]


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31][month - 1]  # fmt: skip
    return dt.date(year, month, min(day.day, last))


def step_boundaries(start: dt.date, horizon_months: int, time_step: str) -> tuple[int, ...]:
    """Day offsets of step ends (0 first): calendar months, or weeks up to the horizon's last day."""
    end = (_add_months(start, horizon_months) - start).days
    if time_step == "month":
        return tuple((_add_months(start, k) - start).days for k in range(horizon_months + 1))
    return tuple(range(0, end + 1, 7))


def towns_from_households(households: Sequence[Household]) -> tuple[Town, ...]:
    """Where children come from when a scenario names no towns: the postcode districts of the in-house
    carers, each weighted by its households, scattered as widely as they are."""
    by_district: dict[str, list[Location]] = {}
    for h in households:
        if h.provider == "in_house" and h.location.postcode_district:
            by_district.setdefault(h.location.postcode_district, []).append(h.location)
    towns = []
    for district, places in sorted(by_district.items()):
        lat = float(np.mean([p.lat for p in places]))
        lon = float(np.mean([p.lon for p in places]))
        spread = max(1.0, float(np.std([p.lat for p in places])) * profiles.KM_PER_DEGREE_LAT)
        towns.append(Town(name=district, lat=lat, lon=lon, weight=len(places), spread_km=min(spread, 20.0)))
    if not towns:
        located = [h.location for h in households] or [Location(lat=52.63, lon=-1.13)]
        towns.append(
            Town(
                name="centre",
                lat=float(np.mean([p.lat for p in located])),
                lon=float(np.mean([p.lon for p in located])),
                weight=1.0,
                spread_km=5.0,
            )
        )
    return tuple(towns)


def _rooms(children: int, shared: bool) -> int:
    """Bedrooms a group of children takes (DESIGN.md reading 6: two to a room where sharing is allowed)."""
    return (children + 1) // 2 if shared else children


def _template(household: Household) -> Household:
    """A current household as the pattern of a recruit: same approval and home, nobody placed yet."""
    used = sum(_rooms(n, household.shared_bedroom_allowed) for n in _group_sizes(household.current_children).values())
    return household.model_copy(
        update={
            "status": "active",
            "hold": None,
            "current_children": [],
            "do_not_place": [],
            "bedrooms_free": max(1, household.bedrooms_free + used),
        }
    )


def _group_sizes(current: Sequence[CurrentChild]) -> dict[str, int]:
    sizes: Counter[str] = Counter()
    for c in current:
        sizes[c.sibling_group or f"solo:{c.child_id}"] += 1
    return dict(sizes)


#: Approvals for a carer type with no household in the snapshot to copy (assumed, after the fixture
#: generator's carer profiles and [000]'s descriptions of each type).
DEFAULT_APPROVALS: dict[str, dict[str, Any]] = {
    "mainstream": {"placement_kinds": ["short_term", "long_term"], "age_min": 0, "age_max": 18, "max_children": 2,
                   "max_sibling_group": 2},
    "specialist": {"placement_kinds": ["short_term", "long_term", "step_down", "remand"], "age_min": 10,
                   "age_max": 18, "max_children": 1, "max_sibling_group": 1,
                   "manages_risks": ["self_harm", "cse", "cce", "missing", "physical_harm", "criminal_exploitation"],
                   "skills": ["therapeutic", "step_down", "teenagers"]},
    "parent_and_child": {"placement_kinds": ["short_term", "parent_and_child"], "age_min": 0, "age_max": 18,
                         "max_children": 1, "max_sibling_group": 1, "skills": ["parent_and_child"]},
    "pathway": {"placement_kinds": ["short_term", "long_term", "staying_put"], "age_min": 15, "age_max": 21,
                "max_children": 2, "max_sibling_group": 1, "skills": ["teenagers"]},
    "supported_lodgings": {"placement_kinds": ["short_term", "long_term", "staying_put"], "age_min": 16,
                           "age_max": 21, "max_children": 1, "max_sibling_group": 1},
    "short_break": {"placement_kinds": ["short_break"], "age_min": 5, "age_max": 18, "max_children": 1,
                    "max_sibling_group": 1, "skills": ["asd", "learning_disability"]},
}  # fmt: skip


def default_template(carer_type: str, towns: Sequence[Town], weekly_cost: float) -> Household:
    """A plain household of ``carer_type`` at the first town, for types the snapshot has none of."""
    approval = Approval.model_validate(DEFAULT_APPROVALS[carer_type])
    town = towns[0]
    return Household.model_validate(
        {
            "id": f"T{carer_type}",
            "provider": "in_house",
            "weekly_cost_gbp": weekly_cost,
            "carer_type": carer_type,
            "status": "active",
            "approval": approval,
            "location": Location(lat=town.lat, lon=town.lon),
            "bedrooms_free": approval.max_children,
            "shared_bedroom_allowed": True,
        }
    )


def prepare(
    scenario: Scenario, fit_903: Callable[[Path], DemandModel] | None = None, demand: DemandModel | None = None
) -> SimulationInput:
    """Load the snapshot and the demand model and build what every replication shares.

    ``fit_903`` reads an SSDA903 folder (``interop.ssda903``; planning does not import interop); a
    ready ``demand`` model may be passed instead (the backtest fits its own).
    """
    snapshot = load_snapshot(scenario.path(scenario.supply.snapshot))
    if demand is None:
        demand = load_demand(scenario, fit_903)
    start = scenario.simulation.start or snapshot.as_of
    households = [h for h in snapshot.households if h.status in ("active", "on_hold")]
    towns = tuple(scenario.demand.towns) or towns_from_households(households)
    templates: dict[str, tuple[Household, ...]] = {}
    for carer_type in CARER_TYPES:
        if carer_type == "connected":
            continue
        mine = tuple(_template(h) for h in households if h.provider == "in_house" and h.carer_type == carer_type)
        templates[carer_type] = mine or (default_template(carer_type, towns, scenario.costs.in_house_weekly_gbp),)
    boundaries = step_boundaries(start, scenario.simulation.horizon_months, scenario.simulation.time_step)
    return SimulationInput(scenario, snapshot, demand, towns, templates, start, boundaries)


def load_demand(scenario: Scenario, fit_903: Callable[[Path], DemandModel] | None) -> DemandModel:
    """The scenario's demand model: fitted from SSDA903 files, read from a model file, or from parameters."""
    from planning.demand import read_model

    settings = scenario.demand
    if settings.ssda903_dir is not None:
        if fit_903 is None:
            raise ValueError("an SSDA903 folder needs a reader (interop.ssda903)")
        model = fit_903(scenario.path(settings.ssda903_dir))
    elif settings.model is not None:
        model = read_model(scenario.path(settings.model))
    else:
        assert settings.entries_per_year is not None  # the scenario's validator guarantees one source
        model = parameter_model(settings.entries_per_year, settings.mean_duration_days)
    if settings.growth_per_year is not None:
        model = model.model_copy(update={"growth_per_year": settings.growth_per_year})
    return model


# --- the simulated world ---------------------------------------------------------------------------------


@dataclass(eq=False)
class SimChild:
    """A child in the simulation, with its own uniforms for every later draw (common random numbers)."""

    id: str
    child: Child
    route: str  # "foster", "residential", "kinship" or "other": where the history says it goes
    u: NDArray[np.float64]  # CHILD_DRAWS x 3: duration, move, distance per placement
    placements: int = 0
    end_day: int = 0
    category: str = ""  # where it lives now: in_house, kinship, ifa, ifa_pool, residential, other, waiting
    household: str | None = None
    group: str | None = None
    #: The child as its household's current child, kept while its age and group are those it was made with.
    as_current: CurrentChild | None = None

    def draw(self, column: int) -> float:
        return float(self.u[min(self.placements, CHILD_DRAWS - 1), column])

    def current(self, age: int) -> CurrentChild:
        """This child as a current child of its household, aged ``age`` (built again only when it changed)."""
        made = self.as_current
        if made is None or made.age != age or made.sibling_group != self.group:
            made = CurrentChild.model_validate(
                {
                    "child_id": self.id,
                    "age": age,
                    "gender": self.child.gender,
                    "sibling_group": self.group,
                    "risks_to_others": list(self.child.risks_to_others),
                    "living_companions": self.child.living_companions,
                }
            )
            self.as_current = made
        return made


@dataclass(eq=False)
class SimHousehold:
    base: Household  # approval and home; current children and free rooms are computed from the state
    kind: str  # in_house, connected or ifa
    rooms_total: int
    rng: np.random.Generator | None = None
    groups: dict[str, list[SimChild]] = field(default_factory=dict)
    status: str = "active"
    hold: Hold | None = None
    hold_until: float = math.inf
    next_hold: float = math.inf
    resign_day: float = math.inf
    #: Bumped whenever ``groups`` change, so that an unchanged household's view is reused without rebuilding.
    changes: int = 0
    cached: Household | None = None
    cached_key: tuple[Any, ...] = ()
    #: ``(status, hold, changes)`` when ``cached`` was last found current, and the days it stays current for: from
    #: that day until a child's next birthday (the only other thing its key reads).
    cached_token: tuple[str, Hold | None, int] = ("", None, -1)
    cached_from: dt.date = dt.date.min
    cached_until: dt.date = dt.date.min
    #: ``(changes, day)``: the earliest day a placement here ends, as of that count of changes (a child's end
    #: day is set when it is placed, so it moves only with ``groups``).
    first_end_at: tuple[int, float] = (-1, math.inf)

    def children(self) -> int:
        return sum(len(g) for g in self.groups.values())

    def first_end(self) -> float:
        """The earliest day a placement in this household ends (infinity when nobody is placed)."""
        if self.first_end_at[0] != self.changes:
            ends = (c.end_day for g in self.groups.values() for c in g)
            self.first_end_at = (self.changes, min(ends, default=math.inf))
        return self.first_end_at[1]

    def rooms_used(self) -> int:
        shared = self.base.shared_bedroom_allowed
        return sum(_rooms(len(g), shared) for g in self.groups.values())

    def free_rooms(self) -> int:
        return max(0, self.rooms_total - self.rooms_used())

    def weekly_cost(self) -> float:
        return float(self.base.weekly_cost_gbp)


@dataclass(eq=False)
class WaitingRequest:
    request: Request
    children: list[SimChild]
    arrived: int
    route: str  # "ifa" or "residential": where the child goes if nothing is matched in time
    connected: str | None = None  # the connected household approved for these children, if any


@dataclass
class ReplicationResult:
    """What one replication measured: ``metrics[step, METRICS]`` and shortfall by step, age band, type."""

    replication: int
    metrics: NDArray[np.float64]
    shortfall: NDArray[np.float64]  # steps x age bands x SHORTFALL_TYPES
    batch_status: dict[str, int]
    attrition_rate: float
    seconds: float
    batch_seconds: float
    cpu_seconds: float = 0.0  # CPU time of the replication (unlike wall time, not inflated by a busy machine)
    batch_timings: dict[str, float] = field(default_factory=dict)  # solve_batch's own phases, summed


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _allowance(scenario: Scenario, urgency: str) -> int:
    waiting = scenario.policy.waiting_days
    return {"today": waiting.today, "within_5_days": waiting.within_5_days}.get(urgency, waiting.planned)


class Replication:
    """The state of one replication and the step that advances it."""

    def __init__(
        self,
        inp: SimulationInput,
        replication: int,
        extra: Mapping[str, int] | None = None,
        validate: bool = False,
        extra_recruitment: Mapping[str, float] | None = None,
    ) -> None:
        self.inp = inp
        self.scenario = inp.scenario
        self.rep = replication
        self.validate = validate
        seed = inp.scenario.simulation.seed
        self.seed = seed
        self.arrivals = np.random.default_rng([seed, replication, STREAM_ARRIVALS])
        parameters = np.random.default_rng([seed, replication, STREAM_PARAMETERS])
        supply = inp.scenario.supply
        if supply.attrition_high > supply.attrition_low:
            self.attrition = float(
                parameters.triangular(supply.attrition_low, supply.attrition_per_year, supply.attrition_high)
            )
        else:
            self.attrition = supply.attrition_per_year
        self.recruit_rngs = {
            t: np.random.default_rng([seed, replication, STREAM_RECRUITMENT, i]) for i, t in enumerate(CARER_TYPES)
        }
        self.extra_recruitment = dict(extra_recruitment or {})
        self.households: dict[str, SimHousehold] = {}
        self.waiting: list[WaitingRequest] = []
        self.external: list[SimChild] = []  # open-market IFA, residential and other placements
        self.next_child = 0
        self.next_request = 0
        self.recruited: Counter[str] = Counter()
        self.in_system = 0  # children currently looked after (conservation check)
        self.entered = 0
        self.left = 0
        self.batch_status: Counter[str] = Counter()
        self.batch_seconds = 0.0
        self.batch_timings: defaultdict[str, float] = defaultdict(float)
        #: The last step's index: the next one reuses the table rows of households that did not change.
        self.last_index: SnapshotIndex | None = None
        self.breaches: list[Breach] = []
        self.step_metrics = np.zeros(len(METRICS))
        self.step_shortfall = np.zeros((len(AGE_BAND_LABELS), len(SHORTFALL_TYPES)))
        self.today = 0
        self.curves: dict[tuple[str, str], CurveArrays] = {}
        self._initial_state(extra or {})

    # --- set-up ------------------------------------------------------------------------------------

    def _household_rng(self, household_id: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.rep, STREAM_HOUSEHOLD, _stable(household_id)])

    def _supply_clock(self, sim: SimHousehold, from_day: float, on_hold_now: bool) -> None:
        """Draw when an in-house household resigns and when its first hold starts (its own stream)."""
        if sim.kind != "in_house" or sim.rng is None:
            return
        rate = -math.log(max(1e-9, 1.0 - self.attrition)) / DAYS_PER_YEAR if self.attrition > 0 else 0.0
        sim.resign_day = from_day + (sim.rng.exponential(1.0 / rate) if rate > 0 else math.inf)
        share, hold_days = self.scenario.supply.hold_share, self.scenario.supply.hold_days
        active_days = hold_days * (1.0 - share) / share if share > 0 else math.inf
        if on_hold_now:
            sim.hold_until = from_day + sim.rng.exponential(hold_days)
        elif share > 0:
            sim.next_hold = from_day + sim.rng.exponential(active_days)

    def _initial_state(self, extra: Mapping[str, int]) -> None:
        inp = self.inp
        durations = np.random.default_rng([self.seed, self.rep, STREAM_INITIAL])
        snapshot = inp.snapshot
        use_ifa = self.scenario.supply.ifa_households
        for h in snapshot.households:
            if h.status not in ("active", "on_hold") or (h.provider == "ifa" and not use_ifa):
                continue
            kind = "ifa" if h.provider == "ifa" else ("connected" if h.carer_type == "connected" else "in_house")
            sizes = _group_sizes(h.current_children)
            used = sum(_rooms(n, h.shared_bedroom_allowed) for n in sizes.values())
            sim = SimHousehold(
                base=h.model_copy(update={"current_children": [], "hold": None, "status": "active"}),
                kind=kind,
                rooms_total=h.bedrooms_free + used,
                rng=self._household_rng(h.id) if kind == "in_house" else None,
            )
            held = h.status == "on_hold" or h.hold is not None
            if held:
                sim.status, sim.hold = "on_hold", h.hold or Hold(reason="on hold")
            self._supply_clock(sim, 0.0, held)
            if held and h.hold is not None and h.hold.until is not None:
                sim.hold_until = float(max(1, (h.hold.until - inp.start).days))
            # Children already there: each keeps its recorded age; its remaining time is a share of a
            # fresh duration (an approximation of the residual life, drawn from the initial stream).
            category = {"in_house": "in_house", "connected": "kinship", "ifa": "ifa"}[kind]
            for c in h.current_children:
                key = c.sibling_group or f"solo:{c.child_id}"
                child = self._child_from_current(c, h.location, durations)
                child.category = "ifa_pool" if kind == "ifa" else category
                child.household = h.id
                child.group = c.sibling_group
                child.end_day = self._cap_at_18(child, _residual(self._curve(category, age_band(c.age)), durations))
                sim.groups.setdefault(key, []).append(child)
                self.in_system += 1
                self.entered += 1
            self.households[h.id] = sim
        # Children already in agency, residential and other care (the 903's last 31 March stock).
        self._initial_external(durations)
        # Requests waiting in the snapshot are the first batch's waiting list.
        children = {c.id: c for c in snapshot.children}
        for r in snapshot.requests:
            if r.status != "waiting":
                continue
            kids = [self._wrap(children[c], "foster") for c in r.children]
            route = "residential" if r.kind in ("step_down", "remand") else "ifa"
            arrived = -max(0, (inp.start - (r.received_on or inp.start)).days)
            self.waiting.append(WaitingRequest(r, kids, arrived, route))
            for k in kids:
                k.category = "waiting"
            self.in_system += len(kids)
            self.entered += len(kids)
        for carer_type, count in sorted(extra.items()):
            rng = np.random.default_rng([self.seed, self.rep, STREAM_EXTRA, CARER_TYPES.index(carer_type)])
            for number in range(1, count + 1):
                self._recruit(carer_type, rng, 0, f"X{carer_type[:3]}{number:03d}")

    def _child_from_current(self, c: CurrentChild, where: Location, rng: np.random.Generator) -> SimChild:
        """A child already placed, as a simulated child (birthday drawn to match its recorded age)."""
        fields: dict[str, Any] = {
            "id": c.child_id,
            "name": None,
            "date_of_birth": profiles.date_of_birth(rng, c.age, self.inp.start),
            "gender": c.gender or "other",
            "needs": profiles.Needs.model_validate({"must": [], "would_benefit": []}),
            "communication": [],
            "language": None,
            "religion": None,
            "cultural_needs": [],
            "risks_to_others": list(c.risks_to_others),
            "risks_to_self": [],
            "living_companions": c.living_companions,
            "pets": "ok",
            "location": where,
            "sibling_group": c.sibling_group,
            "previous_households": [],
        }
        child = Child.model_validate(fields)  # validated: faster in pydantic-core than model_construct
        return self._wrap(child, "foster", rng)

    def _wrap(self, child: Child, route: str, rng: np.random.Generator | None = None) -> SimChild:
        source = rng if rng is not None else self.arrivals
        return SimChild(id=child.id, child=child, route=route, u=source.random((CHILD_DRAWS, 3)))

    def _initial_external(self, rng: np.random.Generator) -> None:
        observed = self.inp.demand.latest_observation()
        if observed is None or not self.scenario.demand.initial_stock:
            return
        pool = sum(1 for h in self.households.values() if h.kind == "ifa" for g in h.groups.values() for _ in g)
        targets = {
            "ifa": max(0, observed.stock.get("ifa", 0) - pool),
            "residential": observed.stock.get("residential", 0),
            "other": observed.stock.get("other", 0),
        }
        for category, count in targets.items():
            bands = observed.stock_by_band.get(category) or {}
            weights = np.asarray([bands.get(b, 0) for b in AGE_BAND_LABELS], dtype=float)
            if weights.sum() == 0:
                weights = np.ones(len(AGE_BAND_LABELS))
            cdf = choice_cdf(weights)
            for _ in range(count):
                band = AGE_BAND_LABELS[int(cdf.searchsorted(rng.random(), side="right"))]
                age = self._age_in(band, rng)
                child = profiles.child(
                    rng, self._child_id(), age, self.inp.start, rng.random() < self.inp.demand.female_share,
                    self._place(rng), None, category == "residential",
                )  # fmt: skip
                sim = self._wrap(child, "residential" if category == "residential" else "foster", rng)
                sim.category = category
                sim.end_day = self._cap_at_18(sim, _residual(self._curve(category, band), rng))
                self.external.append(sim)
                self.in_system += 1
                self.entered += 1

    # --- small helpers -------------------------------------------------------------------------------

    def _child_id(self) -> str:
        self.next_child += 1
        return f"S{self.next_child:06d}"

    def _request_id(self) -> str:
        self.next_request += 1
        return f"Q{self.next_request:06d}"

    def _curve(self, category: str, band: str) -> CurveArrays:
        """The demand model's duration curve for ``category`` and ``band``, as arrays made once."""
        found = self.curves.get((category, band))
        if found is None:
            found = self.curves[(category, band)] = self.inp.demand.curve(category, band).arrays()
        return found

    def _date(self, day: float) -> dt.date:
        return self.inp.start + dt.timedelta(days=int(day))

    def _age(self, child: SimChild, day: float) -> int:
        return age_on(child.child.date_of_birth, self._date(day))

    def _cap_at_18(self, child: SimChild, days: int, from_day: int = 0) -> int:
        born = child.child.date_of_birth
        try:
            eighteen = born.replace(year=born.year + LEAVING_AGE)
        except ValueError:
            eighteen = born.replace(year=born.year + LEAVING_AGE, day=28)
        last = (eighteen - self.inp.start).days
        return max(from_day + 1, min(from_day + days, last))

    @staticmethod
    def _age_in(band: str, rng: np.random.Generator) -> int:
        low, _, high = band.partition("-")
        return int(rng.integers(int(low), int(high or low) + 1))

    def _place(self, rng: np.random.Generator) -> Location:
        towns = self.inp.towns
        town = towns[_pick(self.inp.arrival_tables.town_cdf, rng.random())]
        return profiles.scatter(rng, town.lat, town.lon, town.spread_km)

    # --- supply ----------------------------------------------------------------------------------------

    def _recruit(self, carer_type: str, rng: np.random.Generator, day: int, household_id: str) -> None:
        """Approve a new household like a current one of ``carer_type`` (approval mix as the scenario asks)."""
        pool = self.inp.templates[carer_type]
        wanted = self.scenario.recruitment_for(carer_type)
        draws = rng.random(4)
        if wanted is not None and wanted.sibling_approved_share is not None:
            siblings = draws[0] < wanted.sibling_approved_share
            pool = tuple(t for t in pool if (t.approval.max_sibling_group >= 2) == siblings) or pool
        if wanted is not None and wanted.teen_approved_share is not None:
            teens = draws[1] < wanted.teen_approved_share
            pool = tuple(t for t in pool if (t.approval.age_max >= 13) == teens) or pool
        template = pool[min(int(draws[2] * len(pool)), len(pool) - 1)]
        where = profiles.scatter(rng, template.location.lat, template.location.lon, RECRUIT_SPREAD_KM)
        base = template.model_copy(
            update={"id": household_id, "location": where.model_copy(update={"postcode_district": None})}
        )
        sim = SimHousehold(
            base=base, kind="in_house", rooms_total=base.bedrooms_free, rng=self._household_rng(household_id)
        )
        self._supply_clock(sim, float(day), False)
        self.households[household_id] = sim

    def _recruitment(self, t0: int, t1: int) -> None:
        years = (t1 - t0) / DAYS_PER_YEAR
        for plan in self.scenario.recruitment:
            rng = self.recruit_rngs[plan.carer_type]
            u = rng.random()
            extra = self.extra_recruitment.get(plan.carer_type, 0.0)
            count = poisson_quantile(u, (plan.per_year + extra) * years)
            for _ in range(count):
                self.recruited[plan.carer_type] += 1
                day = int(t0 + 1 + rng.random() * (t1 - t0 - 1))
                self._recruit(plan.carer_type, rng, day, f"N{plan.carer_type[:3]}{self.recruited[plan.carer_type]:04d}")
                self.step_metrics[M["recruits"]] += 1

    def _holds_and_resignations(self, t1: int) -> None:
        share, hold_days = self.scenario.supply.hold_share, self.scenario.supply.hold_days
        active_days = hold_days * (1.0 - share) / share if share > 0 else math.inf
        for hid in sorted(self.households):
            sim = self.households[hid]
            if sim.kind != "in_house" or sim.rng is None:
                continue
            if sim.resign_day <= t1:
                self._resign(hid, int(sim.resign_day))
                continue
            while sim.status == "on_hold" and sim.hold_until <= t1:
                sim.status, sim.hold = "active", None
                sim.next_hold = sim.hold_until + (sim.rng.exponential(active_days) if share > 0 else math.inf)
                sim.hold_until = math.inf
                if sim.next_hold <= t1:
                    sim.status, sim.hold = "on_hold", Hold(reason="carer break")
                    sim.hold_until = sim.next_hold + sim.rng.exponential(hold_days)
            if sim.status == "active" and sim.next_hold <= t1:
                sim.status, sim.hold = "on_hold", Hold(reason="carer break")
                sim.hold_until = sim.next_hold + sim.rng.exponential(hold_days)

    def _resign(self, hid: str, day: int) -> None:
        """A household leaves fostering: its children need new homes (a planned move within days)."""
        sim = self.households.pop(hid)
        self.step_metrics[M["resignations"]] += 1
        for group in sim.groups.values():
            for child in group:
                child.household = None
            self._new_request(list(group), max(day, self.today), "long_term", "within_5_days", "ifa", notice=0)

    # --- demand ------------------------------------------------------------------------------------------

    def _arrivals(self, t0: int, t1: int) -> None:
        demand = self.inp.demand
        rng = self.arrivals
        days = t1 - t0
        middle = self._date(t0 + days / 2)
        rate = demand.total_entries_per_year() * self.scenario.demand.scale
        rate *= (1.0 + demand.growth_per_year) ** ((t0 + days / 2) / DAYS_PER_YEAR)
        rate *= demand.month_factors[middle.month - 1]
        groups = rate * days / DAYS_PER_YEAR / max(1.0, demand.mean_group_size())
        tables = self.inp.arrival_tables
        if tables.bands.size == 0:
            return
        for _ in range(int(rng.poisson(groups))):
            u = rng.random(4)
            day = int(t0 + 1 + min(int(u[0] * days), days - 1))
            size = int(tables.sizes[_pick(tables.size_cdf, u[1])])
            band = AGE_BAND_LABELS[_pick(tables.band_cdf, u[2])]
            cdf = tables.route_cdf[band]
            route = ROUTES[_pick(cdf, u[3])] if cdf is not None else "in_house"
            eldest = self._age_in(band, rng)
            size = max(1, min(size, eldest + 1))
            where = self._place(rng)
            group = f"G{self.next_child + 1:06d}" if size > 1 else None
            ages = [eldest]
            for _k in range(size - 1):
                ages.append(max(0, ages[-1] - int(rng.integers(SIBLING_GAP_YEARS[0], SIBLING_GAP_YEARS[1] + 1))))
            kids = []
            for age in ages:
                child = profiles.child(
                    rng, self._child_id(), age, self._date(day), rng.random() < demand.female_share, where, group,
                    route == "residential",
                )  # fmt: skip
                kids.append(self._wrap(child, "residential" if route == "residential" else route))
            self.in_system += len(kids)
            self.entered += len(kids)
            self.step_metrics[M["arrivals"]] += len(kids)
            if route == "other":
                for k in kids:
                    self._external(k, "other", day)
                continue
            kind, urgency = self._kind(rng, ages[0], route)
            request = self._new_request(kids, day, kind, urgency, "residential" if route == "residential" else "ifa")
            if route == "kinship":
                self._connected_for(request, rng)

    def _kind(self, rng: np.random.Generator, eldest: int, route: str) -> tuple[str, str]:
        demand = self.inp.demand
        u = rng.random(3)
        if eldest >= REMAND_FROM and u[0] < demand.remand_share:
            return "remand", "today"
        if eldest >= 12 and u[1] < demand.parent_and_child_share:
            return "parent_and_child", "within_5_days"
        if route != "kinship" and u[2] < EMERGENCY_SHARE:
            return "emergency", "today"
        return "short_term", "within_5_days" if u[2] < EMERGENCY_SHARE + WITHIN_5_DAYS_SHARE else "planned"

    def _new_request(
        self, kids: list[SimChild], day: int, kind: str, urgency: str, route: str, notice: int | None = None
    ) -> WaitingRequest:
        # Arrivals draw from the arrivals stream in arrival order; a child moving on draws from a stream of
        # its own (its id and placement count), so that moves happening at other times in another scenario
        # do not shift every later arrival (common random numbers).
        moving = notice is not None
        if not moving:
            rng = self.arrivals
        else:
            rng = np.random.default_rng([self.seed, self.rep, STREAM_CHILD, _stable(kids[0].id), kids[0].placements])
        u = rng.random(5)
        if notice is None:
            if urgency == "today":
                notice = 0
            elif urgency == "within_5_days":
                notice = int(1 + 4 * u[0])
            else:
                notice = int(PLANNED_DAYS[0] + u[0] * (PLANNED_DAYS[1] - PLANNED_DAYS[0]))
        today = kind in ("emergency", "remand")
        request_id = f"M{kids[0].id[1:]}x{kids[0].placements}" if moving else self._request_id()
        fields: dict[str, Any] = {
            "id": request_id,
            "children": [k.id for k in kids],
            "kind": kind,
            "needed_by": self._date(day + notice),
            "urgency": urgency,
            "priority": 5 if today else 3,
            "siblings": "may_split" if len(kids) > 1 and u[1] < MAY_SPLIT_SHARE else "together",
            "max_distance_km": None,
            "in_house_only": bool(u[2] < self.scenario.policy.in_house_only_share),
            "allow_relaxations": list(EMERGENCY_RELAXATIONS) if today and u[3] < EMERGENCY_RELAXATIONS_SHARE else [],
            "status": "waiting",
            "received_on": self._date(day),
        }
        request = Request.model_validate(fields)  # validated: faster in pydantic-core than model_construct
        for k in kids:
            k.category, k.household = "waiting", None
        waiting = WaitingRequest(request, kids, day, route)
        self.waiting.append(waiting)
        return waiting

    def _connected_for(self, waiting: WaitingRequest, rng: np.random.Generator) -> None:
        """A family-and-friends household approved for these children only ([003]: named children)."""
        kids = waiting.children
        where = kids[0].child.location or self._place(rng)
        home = profiles.scatter(rng, where.lat, where.lon, CONNECTED_SPREAD_KM)
        rooms = len(kids) - (1 if len(kids) > 1 and rng.random() < CONNECTED_SHORT_OF_ROOMS else 0)
        hid = f"K{waiting.request.id[1:]}"
        named = [k.id for k in kids]
        # Approved for these children as they are: their kind of placement, the risks they carry, their needs.
        kinds = sorted({"emergency", "short_term", "long_term", waiting.request.kind})
        risks = sorted({r for k in kids for r in (*k.child.risks_to_self, *k.child.risks_to_others)})
        skills = sorted({n for k in kids for n in (*k.child.needs.must, *k.child.communication) if n in SKILL_SET})
        terms: dict[str, Any] = {
            "placement_kinds": kinds,
            "age_min": 0,
            "age_max": 18,
            "max_children": len(kids),
            "genders": [],
            "max_sibling_group": len(kids),
            "named_children": named,
            "manages_risks": risks,
            "skills": skills,
            "exemption": None,
        }
        base = Household.model_validate(
            {"id": hid, "provider": "in_house", "weekly_cost_gbp": CONNECTED_WEEKLY_GBP, "carer_type": "connected",
             "status": "active", "hold": None, "approval": terms, "location": home, "bedrooms_free": rooms,
             "shared_bedroom_allowed": False, "smoking": False, "pets": [], "wheelchair_accessible": False,
             "languages": [], "religion": None, "current_children": [], "do_not_place": [], "preferences": None}
        )  # fmt: skip
        self.households[hid] = SimHousehold(base=base, kind="connected", rooms_total=rooms)
        waiting.connected = hid

    # --- placements ending ------------------------------------------------------------------------------

    def _departures(self, t1: int) -> None:
        """Placements ending by ``t1``: each child leaves care or, by its own uniform, needs another home."""
        ending: list[tuple[int, str, SimChild]] = []
        affected: list[SimHousehold] = []
        for hid in sorted(self.households):
            sim = self.households[hid]
            if sim.first_end() > t1:
                continue  # nobody leaves this household in this step
            found = len(ending)
            for group in sim.groups.values():
                ending += [(c.end_day, c.id, c) for c in group if c.end_day <= t1]
            if len(ending) > found:
                affected.append(sim)
        ending += [(c.end_day, c.id, c) for c in self.external if c.end_day <= t1]
        ending.sort(key=lambda item: (item[0], item[1]))
        gone = {c.id for _, _, c in ending}
        for sim in affected:  # only households a child leaves change
            for key in list(sim.groups):
                sim.groups[key] = [c for c in sim.groups[key] if c.id not in gone]
                if not sim.groups[key]:
                    del sim.groups[key]
            sim.changes += 1
        for hid in list(self.households):
            sim = self.households[hid]
            if sim.kind == "connected" and not sim.groups and not self._named_waiting(sim):
                del self.households[hid]
        self.external = [c for c in self.external if c.id not in gone]
        for day, _, child in ending:
            previous = child.category
            band = age_band(self._age(child, day))
            p_move = self.inp.demand.move_probability.get(_demand_category(previous), {}).get(band, 0.0)
            old_enough = (self._date(day) - child.child.date_of_birth).days / DAYS_PER_YEAR >= NO_MOVE_AFTER_AGE
            if previous != "other" and not old_enough and child.draw(1) < p_move:
                self.step_metrics[M["moves"]] += 1
                kind = "step_down" if previous == "residential" else "long_term"
                route = "residential" if child.route == "residential" else "ifa"
                self._new_request([child], max(day, self.today), kind, "planned", route, notice=MOVE_NOTICE_DAYS)
            else:
                self.in_system -= 1
                self.left += 1
                child.category = "left"
                self.step_metrics[M["leavers"]] += 1

    def _named_waiting(self, sim: SimHousehold) -> bool:
        named = set(sim.base.approval.named_children)
        return any(c.id in named for w in self.waiting for c in w.children)

    # --- the batch ----------------------------------------------------------------------------------------

    def snapshot(self, day: int) -> Snapshot:
        """The simulated state as the live service would see it on ``day``: every household (full ones too, so
        that a shortfall can be traced to homes approved for the child but full), except connected carers
        none of whose named children are waiting (the non-relaxable named_child_only rule excludes them
        for every request, so the batch answers exactly as it would with them)."""
        as_of = self._date(day)
        waiting_ids = {c.id for w in self.waiting for c in w.children}
        households = []
        for hid in sorted(self.households):
            sim = self.households[hid]
            if sim.kind == "connected" and not waiting_ids.intersection(sim.base.approval.named_children):
                continue  # named_child_only (not relaxable) excludes it for every waiting child
            households.append(self._household_view(sim, as_of))
        waiting = sorted(self.waiting, key=lambda w: w.request.id)  # the same order in every scenario
        children = [c.child for w in waiting for c in w.children]
        requests = [w.request for w in waiting]
        return Snapshot.model_construct(
            as_of=as_of, policy=self.inp.snapshot.policy, households=households, children=children, requests=requests
        )

    def _household_view(self, sim: SimHousehold, as_of: dt.date) -> Household:
        token = (sim.status, sim.hold, sim.changes)
        if sim.cached is not None and sim.cached_token == token and sim.cached_from <= as_of < sim.cached_until:
            # Same status, same children, no birthday since: the key below would be the cached one.
            if self.validate and _view_key(sim, as_of)[0] != sim.cached_key:
                raise AssertionError(f"household {sim.base.id}: a changed household kept its old view")
            return sim.cached
        key, current = _view_key(sim, as_of)
        sim.cached_token, sim.cached_from = token, as_of
        birthdays = (_next_birthday(c.child.date_of_birth, as_of) for _, _, c in current)
        sim.cached_until = min(birthdays, default=dt.date.max)
        if sim.cached is not None and sim.cached_key == key:
            return sim.cached
        children = [c.current(a) for _, a, c in current]
        view = sim.base.model_copy(
            update={
                "current_children": children,
                "bedrooms_free": key[2],  # free rooms, as the key has them
                "status": sim.status,
                "hold": sim.hold,
            }
        )
        sim.cached, sim.cached_key = view, key
        return view

    def _batch(self, t1: int) -> tuple[SnapshotIndex | None, set[str]]:
        """Run the live batch over every waiting request; move the matched children in."""
        if not self.waiting:
            return None, set()
        # A request still waiting is needed now: its children's ages are taken on this batch's day (this
        # also keeps every child born by every other request's needed-by date).
        today = self._date(t1)
        for w in self.waiting:
            if w.request.needed_by < today:
                w.request = w.request.model_copy(update={"needed_by": today})
        snapshot = self.snapshot(t1)
        if self.validate:
            Snapshot.model_validate(snapshot.model_dump())  # every simulated record is a valid snapshot record
        index = SnapshotIndex.build(snapshot, f"replication {self.rep}", self.last_index)
        self.last_index = index
        policy = self.scenario.policy
        started = time.perf_counter()
        answer = solve_batch(
            index, BatchSettings(time_limit_s=policy.batch_time_limit_s, top_k=policy.top_k, workers=1,
                                 lp_bound_max_pairs=0, scarcity=False, explain_unplaced=False),
        )  # fmt: skip
        self.batch_seconds += time.perf_counter() - started
        for key, value in answer.timings.items():
            self.batch_timings[key] += value
        self.batch_status[answer.status] += 1
        if self.validate:
            self.breaches += check_proposals(index, [m.proposal() for m in answer.matches])
            self._check_capacity_after(index, answer.matches)
        by_id = {w.request.id: w for w in self.waiting}
        matched: set[str] = set()
        for match in answer.matches:
            waiting = by_id[match.request_id]
            kids = {c.id: c for c in waiting.children}
            homes: dict[str, list[SimChild]] = {}
            for p in match.placements:
                homes.setdefault(p.household_id, []).append(kids[p.child_id])
            for hid, group in homes.items():
                self._place_in(hid, group, t1, waiting.request.id)
            if len(waiting.children) > 1:
                self.step_metrics[M["sibling_groups_resolved"]] += 1
                self.step_metrics[M["sibling_groups_together"]] += len(homes) == 1
            matched.add(match.request_id)
            if waiting.connected is not None and waiting.connected not in homes:
                self.households.pop(waiting.connected, None)
        self.waiting = [w for w in self.waiting if w.request.id not in matched]
        for sim in self.households.values():
            if sim.hold is not None and sim.hold.reserved_for_request in matched:
                sim.status, sim.hold, sim.hold_until = "active", None, math.inf
        return index, matched

    def _check_capacity_after(self, index: SnapshotIndex, matches: Sequence[Any]) -> None:
        """Invariant: no household ends up over its bedrooms or its approved (or exempted) number."""
        taken: Counter[str] = Counter()
        for match in matches:
            homes = Counter(p.household_id for p in match.placements)
            for hid, n in homes.items():
                shared = index.household(hid).shared_bedroom_allowed
                taken[hid] += _rooms(n, shared)
        for hid, rooms in taken.items():
            if rooms > index.household(hid).bedrooms_free:
                self.breaches.append(
                    Breach("", hid, "capacity", f"{rooms} rooms taken, {index.household(hid).bedrooms_free} free")
                )

    def _place_in(self, hid: str, group: list[SimChild], day: int, request_id: str) -> None:
        sim = self.households[hid]
        category = {"in_house": "in_house", "connected": "kinship", "ifa": "ifa_pool"}[sim.kind]
        home = sim.base.location
        key = f"{request_id}:{hid}"
        for child in group:
            band = age_band(self._age(child, day))
            curve = self._curve(_demand_category(category), band)
            days = int(curve.sample_one(child.draw(0)))
            child.end_day = self._cap_at_18(child, days, day)
            child.category, child.household = category, hid
            child.group = child.child.sibling_group
            where = child.child.location
            distance = haversine_km(where.lat, where.lon, home.lat, home.lon) if where is not None else 0.0
            self._count_placement(distance)
            child.placements += 1
            metric = {"in_house": "matched_in_house", "kinship": "matched_kinship", "ifa_pool": "matched_ifa_pool"}
            self.step_metrics[M[metric[category]]] += 1
        sim.groups[key] = group
        sim.changes += 1

    def _count_placement(self, distance_km: float) -> None:
        self.step_metrics[M["placements"]] += 1
        self.step_metrics[M["distance_sum_km"]] += distance_km
        self.step_metrics[M["local_placements"]] += distance_km <= self.scenario.policy.local_km

    def _external(self, child: SimChild, category: str, day: int) -> None:
        """A placement found outside matching: open-market IFA, residential, or other (not fostering)."""
        band = age_band(self._age(child, day))
        days = int(self._curve(category, band).sample_one(child.draw(0)))
        child.end_day = self._cap_at_18(child, days, day)
        child.category, child.household = category, None
        self.external.append(child)
        if category != "other":
            policy = self.scenario.policy
            median = policy.residential_median_km if category == "residential" else policy.external_ifa_median_km
            z = NormalDist().inv_cdf(min(max(child.draw(2), 1e-9), 1 - 1e-9))
            self._count_placement(median * math.exp(EXTERNAL_DISTANCE_SIGMA * z))
            self.step_metrics[M["to_residential" if category == "residential" else "to_ifa"]] += 1
        child.placements += 1

    def _fallback(self, t1: int, step_days: int, index: SnapshotIndex | None) -> None:
        """Requests that cannot wait for the next batch go to the open market or residential care."""
        keep: list[WaitingRequest] = []
        failed: list[WaitingRequest] = []
        for w in self.waiting:
            if t1 + step_days - w.arrived > _allowance(self.scenario, w.request.urgency):
                failed.append(w)
            else:
                keep.append(w)
        if failed:
            self._count_shortfall(failed, index)
        for w in failed:
            if w.connected is not None:
                self.households.pop(w.connected, None)
            for child in w.children:
                self._external(child, w.route, t1)
            if len(w.children) > 1:
                self.step_metrics[M["sibling_groups_resolved"]] += 1
        self.waiting = keep
        for sim in self.households.values():
            if sim.hold is not None and sim.hold.reserved_for_request in {w.request.id for w in failed}:
                sim.status, sim.hold, sim.hold_until = "active", None, math.inf

    def _count_shortfall(self, failed: Sequence[WaitingRequest], index: SnapshotIndex | None) -> None:
        """Count each child sent outside by age band and by the carer type it needed: the commonest type
        among in-house homes approved for it but full or on hold, else the type its request calls for."""
        table = index.table if index is not None else None
        # In-house (the only other provider is IFA) and not connected, from the table's columns.
        in_house = ~table.ifa & ~table.connected if table is not None else None
        for w in failed:
            needed = _needed_type(w)
            if table is not None and index is not None and in_house is not None and w.request.id in index.requests:
                part = index.part(w.request, w.request.children)
                fails = index.rule_matrix(part)  # the batch worked it out for this request already
                approved = ~(fails[~CAPACITY_ROWS]).any(axis=0) & in_house
                types = Counter(table.households[int(i)].carer_type for i in np.flatnonzero(approved))
                if types:
                    needed = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            for child in w.children:
                band = AGE_BAND_LABELS.index(age_band(self._age(child, self.today)))
                self.step_shortfall[band, SHORTFALL_TYPES.index(needed)] += 1

    # --- measuring --------------------------------------------------------------------------------------

    def _measure(self, step_days: int) -> None:
        m = self.step_metrics
        costs = self.scenario.costs
        weekly = 0.0
        places = 0
        # Counts summed as Python ints and added once (exact either way); the cost summed in the same order.
        in_house = homes = on_hold = kinship = pool = 0
        own_costs = costs.use_household_costs
        for sim in self.households.values():
            n = sum(len(g) for g in sim.groups.values())
            kind = sim.kind
            if kind == "in_house":
                in_house += n
                homes += 1
                on_hold += sim.status == "on_hold"
                places += sim.base.approval.max_children
                weekly += n * (sim.weekly_cost() if own_costs else costs.in_house_weekly_gbp)
            elif kind == "connected":
                kinship += n
                weekly += n * (sim.weekly_cost() if own_costs else costs.in_house_weekly_gbp)
            else:
                pool += n
                weekly += n * (sim.weekly_cost() if own_costs else costs.ifa_weekly_gbp)
        m[M["in_house"]] += in_house
        m[M["households_in_house"]] += homes
        m[M["households_on_hold"]] += on_hold
        m[M["kinship"]] += kinship
        m[M["ifa_pool"]] += pool
        m[M["ifa"]] += pool
        for child in self.external:
            if child.category == "ifa":
                m[M["ifa"]] += 1
                weekly += costs.ifa_weekly_gbp
            elif child.category == "residential":
                m[M["residential"]] += 1
                weekly += costs.residential_weekly_gbp
            else:
                m[M["other"]] += 1
        waiting = sum(len(w.children) for w in self.waiting)
        m[M["waiting"]] = waiting
        weekly += waiting * costs.ifa_weekly_gbp  # a child waiting lives in a temporary (agency) placement
        m[M["utilisation"]] = m[M["in_house"]] / places if places else 0.0
        m[M["weekly_cost_gbp"]] = weekly
        m[M["step_cost_gbp"]] = weekly * step_days / 7.0

    def check_conservation(self) -> None:
        """Invariant: every child who came into care is counted exactly once until it leaves."""
        placed = sum(len(g) for s in self.households.values() for g in s.groups.values())
        waiting = sum(len(w.children) for w in self.waiting)
        counted = placed + waiting + len(self.external)
        ids = [c.id for s in self.households.values() for g in s.groups.values() for c in g]
        ids += [c.id for w in self.waiting for c in w.children] + [c.id for c in self.external]
        if counted != self.in_system or self.entered - self.left != self.in_system or len(set(ids)) != len(ids):
            raise AssertionError(
                f"children not conserved: {counted} counted, {self.in_system} in care, "
                f"{self.entered} entered - {self.left} left, {len(ids) - len(set(ids))} counted twice"
            )

    # --- the loop ------------------------------------------------------------------------------------------

    def run(self) -> ReplicationResult:
        started = time.perf_counter()
        cpu = time.process_time()
        inp = self.inp
        metrics = np.zeros((inp.steps, len(METRICS)))
        shortfall = np.zeros((inp.steps, len(AGE_BAND_LABELS), len(SHORTFALL_TYPES)))
        for k in range(inp.steps):
            t0, t1 = inp.boundaries[k], inp.boundaries[k + 1]
            self.today = t1
            self.step_metrics = np.zeros(len(METRICS))
            self.step_shortfall = np.zeros_like(self.step_shortfall)
            self._departures(t1)
            self._holds_and_resignations(t1)
            self._recruitment(t0, t1)
            self._arrivals(t0, t1)
            index, _ = self._batch(t1)
            self._fallback(t1, t1 - t0, index)
            self._measure(t1 - t0)
            if self.validate:
                self.check_conservation()
            metrics[k] = self.step_metrics
            shortfall[k] = self.step_shortfall
        return ReplicationResult(
            replication=self.rep,
            metrics=metrics,
            shortfall=shortfall,
            batch_status=dict(self.batch_status),
            attrition_rate=self.attrition,
            seconds=time.perf_counter() - started,
            batch_seconds=self.batch_seconds,
            cpu_seconds=time.process_time() - cpu,
            batch_timings=dict(self.batch_timings),
        )


#: Candidate durations drawn to pick one in proportion to its length (length-biased resampling).
RESIDUAL_CANDIDATES = 16


def _residual(curve: CurveArrays, rng: np.random.Generator) -> int:
    """Days left in a placement already under way on the first day.

    Children in placement on a given day are a length-biased sample (long placements are more often under
    way), and the time left is a uniform share of such a placement: pick one of several durations in
    proportion to its length, then a uniform point in it.
    """
    candidates = curve.sample(rng.random(RESIDUAL_CANDIDATES))
    cumulative = np.cumsum(candidates) / candidates.sum()
    chosen = candidates[min(int(np.searchsorted(cumulative, rng.random())), RESIDUAL_CANDIDATES - 1)]
    return max(1, int(chosen * rng.random()))


def _view_key(sim: SimHousehold, as_of: dt.date) -> tuple[tuple[Any, ...], list[tuple[str, int, SimChild]]]:
    """What a household's view on ``as_of`` is made of: its status and hold (a carer break straight after a
    hold reserved for a request must not keep the reservation), free rooms and children's ids and ages."""
    current = [(c.id, age_on(c.child.date_of_birth, as_of), c) for g in sim.groups.values() for c in g]
    return (sim.status, sim.hold, sim.free_rooms(), tuple((i, a) for i, a, _ in current)), current


def _next_birthday(born: dt.date, day: dt.date) -> dt.date:
    """The first day after ``day`` on which ``age_on(born, ...)`` is one more (born 29 February: 1 March in a
    common year, as ``age_on`` has it)."""
    for year in (day.year, day.year + 1):
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = dt.date(year, 3, 1)
        if birthday > day:
            return birthday
    raise AssertionError("a birthday comes within a year")  # pragma: no cover


def _demand_category(category: str) -> str:
    """The demand model's category of a simulated one (the IFA pool is agency care)."""
    return "ifa" if category == "ifa_pool" else category


def _needed_type(w: WaitingRequest) -> str:
    """The carer type a request calls for when no in-house household is even approved for it."""
    kind = w.request.kind
    if kind == "parent_and_child":
        return "parent_and_child"
    if kind == "short_break":
        return "short_break"
    if kind in ("step_down", "remand") or w.route == "residential":
        return "specialist"
    if w.connected is not None:
        return "connected"
    eldest = max(age_on(c.child.date_of_birth, w.request.needed_by) for c in w.children)
    return "pathway" if eldest >= 16 and len(w.children) == 1 else "mainstream"


def run_replication(
    inp: SimulationInput,
    replication: int,
    extra: Mapping[str, int] | None = None,
    validate: bool = False,
    extra_recruitment: Mapping[str, float] | None = None,
) -> ReplicationResult:
    """One replication, from its seed alone: the same answer on any worker, in any order."""
    return Replication(inp, replication, extra, validate, extra_recruitment).run()
