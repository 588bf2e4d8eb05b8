"""Households as columns of numpy arrays, built once per snapshot, for vectorised rule checks.

Each hard rule looks at one placement request across every household at once; these arrays are what
it reads. Everything about the children already in a household that a rule needs is pre-aggregated
here (youngest age, oldest child with a sexual-harm risk...), so no rule loops over households.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from domain.geo import haversine_km_many, unit_vector
from domain.snapshot import CurrentChild, Household
from domain.vocab import AVAILABLE_STATUSES, GENDERS, PLACEMENT_KINDS, RISKS, SKILLS, mask_of

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Codes for "no id" and "an id no household mentions" (never equal to a real code).
NO_CODE = -1
UNKNOWN_CODE = -2

#: Distances a table keeps from the points it was asked about, in floats (32 MB): the service keeps a
#: table per revision, and over England each point costs 44,000 of them.
KM_FROM_KEPT_MAX = 4_000_000

#: Stand-ins for "no such child" in min/max aggregates over current children.
NO_AGE_HIGH = 1_000
NO_AGE_LOW = -1


def folded(text: str) -> str:
    """Free text as compared: "Muslim" and " muslim" are one religion, "EN" and "en" one language."""
    return text.strip().casefold()


def _index_by_child(named: Iterable[frozenset[str]]) -> dict[str, IntArray]:
    """Map a child id to the positions of the households whose list (one set per household) names it."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, ids in enumerate(named):
        for child_id in ids:
            positions[child_id].append(position)
    return {child_id: np.asarray(found, dtype=np.int64) for child_id, found in positions.items()}


@dataclass(frozen=True, eq=False)
class HouseholdTable:
    """Column arrays over a fixed list of households (position i is ``households[i]``)."""

    households: tuple[Household, ...]
    available_status: BoolArray
    on_hold: BoolArray
    #: Code (see ``code_of``) of the request a hold is kept for; NO_CODE when none.
    reserved_for: IntArray
    kinds_mask: IntArray
    age_min: IntArray
    age_max: IntArray
    genders_mask: IntArray
    max_children: IntArray
    max_sibling_group: IntArray
    connected: BoolArray
    manages_mask: IntArray
    capabilities_mask: IntArray
    exemption_max: IntArray
    exemption_expires: IntArray
    lat_rad: FloatArray
    lon_rad: FloatArray
    #: Unit vectors of the locations, for a dot-product distance pre-filter.
    unit_xyz: FloatArray
    bedrooms_free: IntArray
    shared_bedroom_allowed: BoolArray
    smoking: BoolArray
    has_pets: BoolArray
    ifa: BoolArray
    weekly_cost: FloatArray
    n_current: IntArray
    #: Code of the sibling group every current child shares; NO_CODE when none (or no current child).
    current_one_group: IntArray
    current_min_age: IntArray
    current_max_age: IntArray
    current_max_sexual_harm_age: IntArray
    current_has_solo: BoolArray
    current_max_only_older_age: IntArray
    current_min_only_younger_age: IntArray
    named_children_index: dict[str, IntArray]
    do_not_place_index: dict[str, IntArray]
    exemption_index: dict[str, IntArray]
    language_index: dict[str, IntArray]
    religion: NDArray[np.object_]
    has_preferences: BoolArray
    preferred_age_min: IntArray
    preferred_age_max: IntArray
    preferred_genders_mask: IntArray
    #: Request and sibling-group ids as integer codes, so that comparisons over households are fast.
    codes: dict[str, int]
    #: Household id -> position in the full table, shared by every table cut from it.
    id_position: dict[str, int]
    #: Positions of these households in the full table this one was cut from (None: this is the full table).
    #: Always increasing, so that ``positions_of`` can search it.
    base_positions: IntArray | None = None
    #: Each household's row of values, kept so that the next table can reuse it (a cut table keeps none).
    rows: tuple[_Row, ...] = ()
    #: Distances from a point (degrees) to every household, worked out once per point: the distance rule's
    #: reasons need them for most households of a large table at once, and siblings (and the parts of a
    #: split) share a home. The rule's check and the score need fewer (see their modules).
    _km_from: dict[tuple[float, float], FloatArray] = field(default_factory=dict, init=False, repr=False)

    def __len__(self) -> int:
        return len(self.households)

    def km_from(self, lat: float, lon: float) -> FloatArray:
        """Great-circle km from (``lat``, ``lon``) in degrees to each household; read-only, it is shared."""
        found = self._km_from.get((lat, lon))
        if found is None:
            found = haversine_km_many(lat, lon, self.lat_rad, self.lon_rad)
            found.flags.writeable = False
            if len(self._km_from) * len(self) >= KM_FROM_KEPT_MAX:  # a long-lived table: start again
                self._km_from.clear()
            self._km_from[(lat, lon)] = found
        return found

    @cached_property
    def position(self) -> dict[str, int]:
        """Position of each household id (built on first use: cut tables rarely need it)."""
        return {h.id: i for i, h in enumerate(self.households)}

    @cached_property
    def ids(self) -> NDArray[np.str_]:
        """Household ids as an array, to pick many at once."""
        return np.asarray([h.id for h in self.households])

    @cached_property
    def _objects(self) -> NDArray[np.object_]:
        return np.fromiter(self.households, dtype=object, count=len(self.households))

    def code_of(self, value: str | None) -> int:
        """The integer code of a request or sibling-group id (UNKNOWN_CODE if no household mentions it)."""
        return NO_CODE if value is None else self.codes.get(value, UNKNOWN_CODE)

    def positions_of(self, household_ids: Iterable[str]) -> IntArray:
        """Positions in this table of the given household ids (ids not in it are left out)."""
        full = np.asarray([self.id_position[h] for h in household_ids if h in self.id_position], dtype=np.int64)
        if self.base_positions is None or full.size == 0:
            return full
        local = np.searchsorted(self.base_positions, full)
        local = local[local < len(self.base_positions)]
        result: IntArray = local[np.isin(self.base_positions[local], full)]
        return result

    def names(self, child_index: dict[str, IntArray], child_id: str) -> BoolArray:
        """True where the household's list behind ``child_index`` names ``child_id``."""
        found = child_index.get(child_id)
        if self.base_positions is not None:
            if found is None:
                return np.zeros(len(self.households), dtype=bool)
            return np.isin(self.base_positions, found)
        result = np.zeros(len(self.households), dtype=bool)
        if found is not None:
            result[found] = True
        return result

    def subset(self, positions: IntArray) -> HouseholdTable:
        """The households at ``positions`` only, as a table of their own (indexes stay shared)."""
        changes: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.ndarray):
                changes[item.name] = value[positions]
        changes["households"] = tuple(self._objects[positions])
        changes["rows"] = ()
        base = self.base_positions
        changes["base_positions"] = positions if base is None else base[positions]
        return replace(self, **changes)  # type: ignore[arg-type]  # each value matches its field's type


def _one_group(household: Household) -> str | None:
    """The sibling group all current children share, or None (empty household, mixed or null groups)."""
    groups = {child.sibling_group for child in household.current_children}
    if len(groups) == 1:
        (group,) = groups
        return group
    return None


class _Row(NamedTuple):
    """One household's values for every column (ids as text: codes are given per table)."""

    available_status: bool
    on_hold: bool
    reserved_for: str | None
    kinds_mask: int
    age_min: int
    age_max: int
    genders_mask: int
    max_children: int
    max_sibling_group: int
    connected: bool
    manages_mask: int
    capabilities_mask: int
    exemption_max: int
    exemption_expires: int
    lat: float
    lon: float
    bedrooms_free: int
    shared_bedroom_allowed: bool
    smoking: bool
    has_pets: bool
    ifa: bool
    weekly_cost: float
    n_current: int
    one_group: str | None
    current_min_age: int
    current_max_age: int
    current_max_sexual_harm_age: int
    current_has_solo: bool
    current_max_only_older_age: int
    current_min_only_younger_age: int
    named_children: frozenset[str]
    do_not_place: frozenset[str]
    exemption_children: frozenset[str]
    languages: frozenset[str]
    religion: str | None
    has_preferences: bool
    preferred_age_min: int
    preferred_age_max: int
    preferred_genders_mask: int


#: The current-children fields of a household with none: current_min_age ... current_min_only_younger_age.
_NO_CURRENT = (NO_AGE_HIGH, NO_AGE_LOW, NO_AGE_LOW, False, NO_AGE_LOW, NO_AGE_HIGH)
_NO_IDS: frozenset[str] = frozenset()


def _current_fields(current: list[CurrentChild]) -> tuple[int, int, int, bool, int, int]:
    """What the rules need of the children already there (see the ``current_*`` columns)."""
    if not current:
        return _NO_CURRENT
    ages = [c.age for c in current]
    return (
        min(ages),
        max(ages),
        max((c.age for c in current if "sexual_harm" in c.risks_to_others), default=NO_AGE_LOW),
        any(c.living_companions == "solo" for c in current),
        max((c.age for c in current if c.living_companions == "only_older"), default=NO_AGE_LOW),
        min((c.age for c in current if c.living_companions == "only_younger"), default=NO_AGE_HIGH),
    )


def _row(h: Household) -> _Row:
    # Positional, in _Row's field order: keyword construction costs as much again (the simulation builds
    # thousands of rows per replication).
    approval, exemption, preferences, hold = h.approval, h.approval.exemption, h.preferences, h.hold
    return _Row._make(
        (
            h.status in AVAILABLE_STATUSES,
            h.status == "on_hold" or hold is not None,
            hold.reserved_for_request if hold is not None else None,
            mask_of(PLACEMENT_KINDS, approval.placement_kinds),
            approval.age_min,
            approval.age_max,
            mask_of(GENDERS, approval.genders),
            approval.max_children,
            approval.max_sibling_group,
            h.carer_type == "connected",
            mask_of(RISKS, approval.manages_risks),
            mask_of(SKILLS, capabilities(h)),
            exemption.max_children if exemption else 0,
            exemption.expires.toordinal() if exemption else 0,
            h.location.lat,
            h.location.lon,
            h.bedrooms_free,
            h.shared_bedroom_allowed,
            h.smoking,
            bool(h.pets),
            h.provider == "ifa",
            h.weekly_cost_gbp,
            len(h.current_children),
            _one_group(h),
            *_current_fields(h.current_children),
            frozenset(approval.named_children) if approval.named_children else _NO_IDS,
            frozenset(h.do_not_place) if h.do_not_place else _NO_IDS,
            frozenset(exemption.named_children) if exemption else _NO_IDS,
            frozenset(folded(x) for x in h.languages),
            None if h.religion is None else folded(h.religion),
            preferences is not None,
            preferences.age_min if preferences and preferences.age_min is not None else NO_AGE_LOW,
            preferences.age_max if preferences and preferences.age_max is not None else NO_AGE_HIGH,
            mask_of(GENDERS, preferences.genders) if preferences else 0,
        )
    )


def _rows(households: list[Household], previous: HouseholdTable | None) -> tuple[_Row, ...]:
    """Each household's row, taken from ``previous`` for the very same household objects (households are
    immutable snapshot records: one that changed is a new object)."""
    if previous is None or not previous.rows:
        return tuple(_row(h) for h in households)
    known = {id(h): row for h, row in zip(previous.households, previous.rows, strict=True)}
    return tuple(known.get(id(h)) or _row(h) for h in households)


def build_household_table(households: list[Household], previous: HouseholdTable | None = None) -> HouseholdTable:
    """Build the column arrays for ``households``; rows of households also in ``previous`` (the same
    objects) are reused rather than worked out again (the simulation builds a table every step, and few
    households change between two steps)."""
    rows = _rows(households, previous)
    # The rows transposed: each of ``_Row``'s fields, as a tuple over the households.
    cols: Any = _Row._make(zip(*rows, strict=True)) if rows else _Row._make([()] * len(_Row._fields))

    def ints(values: tuple[int, ...]) -> IntArray:
        return np.asarray(values, dtype=np.int64)

    def bools(values: tuple[bool, ...]) -> BoolArray:
        return np.asarray(values, dtype=bool)

    codes: dict[str, int] = {}

    def coded(values: tuple[str | None, ...]) -> IntArray:
        return ints(tuple(NO_CODE if v is None else codes.setdefault(v, len(codes)) for v in values))

    lat, lon = np.asarray(cols.lat, dtype=np.float64), np.asarray(cols.lon, dtype=np.float64)
    lat_rad, lon_rad = np.radians(lat), np.radians(lon)
    return HouseholdTable(
        households=tuple(households),
        rows=rows,
        codes=codes,
        id_position={h.id: i for i, h in enumerate(households)},
        available_status=bools(cols.available_status),
        on_hold=bools(cols.on_hold),
        reserved_for=coded(cols.reserved_for),
        kinds_mask=ints(cols.kinds_mask),
        age_min=ints(cols.age_min),
        age_max=ints(cols.age_max),
        genders_mask=ints(cols.genders_mask),
        max_children=ints(cols.max_children),
        max_sibling_group=ints(cols.max_sibling_group),
        connected=bools(cols.connected),
        manages_mask=ints(cols.manages_mask),
        capabilities_mask=ints(cols.capabilities_mask),
        exemption_max=ints(cols.exemption_max),
        exemption_expires=ints(cols.exemption_expires),
        lat_rad=lat_rad,
        lon_rad=lon_rad,
        unit_xyz=unit_vector(lat, lon).reshape(-1, 3),
        bedrooms_free=ints(cols.bedrooms_free),
        shared_bedroom_allowed=bools(cols.shared_bedroom_allowed),
        smoking=bools(cols.smoking),
        has_pets=bools(cols.has_pets),
        ifa=bools(cols.ifa),
        weekly_cost=np.asarray(cols.weekly_cost, dtype=np.float64),
        n_current=ints(cols.n_current),
        current_one_group=coded(cols.one_group),
        current_min_age=ints(cols.current_min_age),
        current_max_age=ints(cols.current_max_age),
        current_max_sexual_harm_age=ints(cols.current_max_sexual_harm_age),
        current_has_solo=bools(cols.current_has_solo),
        current_max_only_older_age=ints(cols.current_max_only_older_age),
        current_min_only_younger_age=ints(cols.current_min_only_younger_age),
        named_children_index=_index_by_child(cols.named_children),
        do_not_place_index=_index_by_child(cols.do_not_place),
        exemption_index=_index_by_child(cols.exemption_children),
        language_index=_index_by_child(cols.languages),
        religion=np.asarray(cols.religion, dtype=object),
        has_preferences=bools(cols.has_preferences),
        preferred_age_min=ints(cols.preferred_age_min),
        preferred_age_max=ints(cols.preferred_age_max),
        preferred_genders_mask=ints(cols.preferred_genders_mask),
    )


def capabilities(household: Household) -> set[str]:
    """What a household can meet of a child's must-have needs (DESIGN.md precise reading 12)."""
    found: set[str] = set(household.approval.skills)
    if household.wheelchair_accessible:
        found.add("wheelchair_access")
    return found
