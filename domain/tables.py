"""Households as columns of numpy arrays, built once per snapshot, for vectorised rule checks.

Each hard rule looks at one placement request across every household at once; these arrays are what
it reads. Everything about the children already in a household that a rule needs is pre-aggregated
here (youngest age, oldest child with a sexual-harm risk...), so no rule loops over households.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from domain.snapshot import CurrentChild, Household
from domain.vocab import AVAILABLE_STATUSES, GENDERS, PLACEMENT_KINDS, RISKS, SKILLS, mask_of

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Codes for "no id" and "an id no household mentions" (never equal to a real code).
NO_CODE = -1
UNKNOWN_CODE = -2

#: Stand-ins for "no such child" in min/max aggregates over current children.
NO_AGE_HIGH = 1_000
NO_AGE_LOW = -1


def folded(text: str) -> str:
    """Free text as compared: "Muslim" and " muslim" are one religion, "EN" and "en" one language."""
    return text.strip().casefold()


def _index_by_child(households: list[Household], ids_of: Callable[[Household], Iterable[str]]) -> dict[str, IntArray]:
    """Map a child id to the positions of the households whose list (``ids_of(h)``) names it."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, household in enumerate(households):
        for child_id in ids_of(household):
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

    def __len__(self) -> int:
        return len(self.households)

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


def build_household_table(households: list[Household]) -> HouseholdTable:
    """Build the column arrays for ``households``."""
    hh = households

    def ints(values: list[int]) -> IntArray:
        return np.asarray(values, dtype=np.int64)

    def bools(values: list[bool]) -> BoolArray:
        return np.asarray(values, dtype=bool)

    def current_ages(household: Household, condition: Callable[[CurrentChild], bool]) -> list[int]:
        return [c.age for c in household.current_children if condition(c)]

    codes: dict[str, int] = {}

    def code(value: str | None) -> int:
        return NO_CODE if value is None else codes.setdefault(value, len(codes))

    lat_rad = np.radians(np.asarray([h.location.lat for h in hh], dtype=np.float64))
    lon_rad = np.radians(np.asarray([h.location.lon for h in hh], dtype=np.float64))
    return HouseholdTable(
        households=tuple(hh),
        codes=codes,
        id_position={h.id: i for i, h in enumerate(hh)},
        available_status=bools([h.status in AVAILABLE_STATUSES for h in hh]),
        on_hold=bools([h.status == "on_hold" or h.hold is not None for h in hh]),
        reserved_for=ints([code(h.hold.reserved_for_request if h.hold is not None else None) for h in hh]),
        kinds_mask=ints([mask_of(PLACEMENT_KINDS, h.approval.placement_kinds) for h in hh]),
        age_min=ints([h.approval.age_min for h in hh]),
        age_max=ints([h.approval.age_max for h in hh]),
        genders_mask=ints([mask_of(GENDERS, h.approval.genders) for h in hh]),
        max_children=ints([h.approval.max_children for h in hh]),
        max_sibling_group=ints([h.approval.max_sibling_group for h in hh]),
        connected=bools([h.carer_type == "connected" for h in hh]),
        manages_mask=ints([mask_of(RISKS, h.approval.manages_risks) for h in hh]),
        capabilities_mask=ints([mask_of(SKILLS, capabilities(h)) for h in hh]),
        exemption_max=ints([h.approval.exemption.max_children if h.approval.exemption else 0 for h in hh]),
        exemption_expires=ints([h.approval.exemption.expires.toordinal() if h.approval.exemption else 0 for h in hh]),
        lat_rad=lat_rad,
        lon_rad=lon_rad,
        unit_xyz=np.stack(
            [np.cos(lat_rad) * np.cos(lon_rad), np.cos(lat_rad) * np.sin(lon_rad), np.sin(lat_rad)], axis=-1
        ).reshape(-1, 3),
        bedrooms_free=ints([h.bedrooms_free for h in hh]),
        shared_bedroom_allowed=bools([h.shared_bedroom_allowed for h in hh]),
        smoking=bools([h.smoking for h in hh]),
        has_pets=bools([bool(h.pets) for h in hh]),
        ifa=bools([h.provider == "ifa" for h in hh]),
        weekly_cost=np.asarray([h.weekly_cost_gbp for h in hh], dtype=np.float64),
        n_current=ints([len(h.current_children) for h in hh]),
        current_one_group=ints([code(_one_group(h)) for h in hh]),
        current_min_age=ints([min(current_ages(h, lambda c: True), default=NO_AGE_HIGH) for h in hh]),
        current_max_age=ints([max(current_ages(h, lambda c: True), default=NO_AGE_LOW) for h in hh]),
        current_max_sexual_harm_age=ints(
            [max(current_ages(h, lambda c: "sexual_harm" in c.risks_to_others), default=NO_AGE_LOW) for h in hh]
        ),
        current_has_solo=bools([any(c.living_companions == "solo" for c in h.current_children) for h in hh]),
        current_max_only_older_age=ints(
            [max(current_ages(h, lambda c: c.living_companions == "only_older"), default=NO_AGE_LOW) for h in hh]
        ),
        current_min_only_younger_age=ints(
            [min(current_ages(h, lambda c: c.living_companions == "only_younger"), default=NO_AGE_HIGH) for h in hh]
        ),
        named_children_index=_index_by_child(hh, lambda h: set(h.approval.named_children)),
        do_not_place_index=_index_by_child(hh, lambda h: set(h.do_not_place)),
        exemption_index=_index_by_child(
            hh, lambda h: set(h.approval.exemption.named_children) if h.approval.exemption else set()
        ),
        language_index=_index_by_child(hh, lambda h: {folded(x) for x in h.languages}),
        religion=np.asarray([None if h.religion is None else folded(h.religion) for h in hh], dtype=object),
        has_preferences=bools([h.preferences is not None for h in hh]),
        preferred_age_min=ints(
            [h.preferences.age_min if h.preferences and h.preferences.age_min is not None else NO_AGE_LOW for h in hh]
        ),
        preferred_age_max=ints(
            [h.preferences.age_max if h.preferences and h.preferences.age_max is not None else NO_AGE_HIGH for h in hh]
        ),
        preferred_genders_mask=ints([mask_of(GENDERS, h.preferences.genders) if h.preferences else 0 for h in hh]),
    )


def capabilities(household: Household) -> set[str]:
    """What a household can meet of a child's must-have needs (DESIGN.md precise reading 12)."""
    found: set[str] = set(household.approval.skills)
    if household.wheelchair_accessible:
        found.add("wheelchair_access")
    return found
