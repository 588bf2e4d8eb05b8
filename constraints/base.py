"""What every hard rule is made of, and the placement it judges.

A hard rule judges a *part*: the children of one placement request going to one household together
(the whole sibling group, or one part of a split). It has two checks that must always agree:

* ``violations(parts, table)``: vectorised over every household and over any number of parts at once
  (numpy, a parts x households matrix), used to filter candidates; ``Rule.violations(part, table)`` asks
  it about one part;
* ``check(part, household, current)``: scalar, for one household with an explicit list of the children
  already there (in a batch, other requests' children are added to it), used by ``matching/validate.py``
  and to write the reason a duty worker reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from domain.ages import age_on, short_date
from domain.snapshot import Child, CurrentChild, Household, Request, Snapshot
from domain.tables import BoolArray, HouseholdTable, IntArray

#: Distance limit when neither the request nor the policy sets one (DESIGN.md precise reading 10).
DEFAULT_MAX_DISTANCE_KM = 80.0

#: Roles that may authorise a relaxation, with the words the duty team reads.
ROLE_LABELS: dict[str, str] = {
    "team_manager": "team manager",
    "nominated_officer": "nominated officer",
    "fostering_service_manager": "fostering service manager",
}


@dataclass(frozen=True)
class NewChild:
    """A child of the request being placed, with the age the rules use."""

    child: Child
    age: int

    @property
    def id(self) -> str:
        return self.child.id

    @property
    def label(self) -> str:
        """How reasons name the child: the given name if recorded, else the id."""
        return self.child.name or self.child.id


@dataclass(frozen=True, eq=False)
class Part:
    """Children of one request that would live in one household together."""

    request: Request
    children: tuple[NewChild, ...]
    distance_limit_km: float

    @property
    def size(self) -> int:
        return len(self.children)

    @property
    def needed_by(self) -> dt.date:
        return self.request.needed_by

    @property
    def on(self) -> str:
        """The needed-by date as reasons say it."""
        return short_date(self.request.needed_by)

    @cached_property
    def ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.children)

    @property
    def is_emergency(self) -> bool:
        """Emergency placements may go outside terms of approval with sign-off (Fostering Regs 2011 r.24)."""
        return self.request.kind == "emergency" or self.request.urgency == "today"


def distance_limit_km(request: Request, snapshot: Snapshot) -> float:
    """The request's limit when set (even above the policy's), else the policy's, else 80 km."""
    if request.max_distance_km is not None:
        return request.max_distance_km
    if snapshot.policy.max_distance_km is not None:
        return snapshot.policy.max_distance_km
    return DEFAULT_MAX_DISTANCE_KM


def make_part(snapshot_children: dict[str, Child], request: Request, child_ids: Sequence[str], limit_km: float) -> Part:
    """A part of ``request`` made of ``child_ids``, ages taken on ``needed_by``."""
    return Part(
        request=request,
        children=tuple(
            NewChild(snapshot_children[c], age_on(snapshot_children[c].date_of_birth, request.needed_by))
            for c in child_ids
        ),
        distance_limit_km=limit_km,
    )


@dataclass(frozen=True)
class Home:
    """One household as a scalar check sees it: the children already there and rooms already taken.

    In a rank these are the household's own current children. In a batch, the children of other
    requests placed in the same household are added as current children (their age taken on the
    checked request's needed-by date) and their rooms are counted in ``rooms_taken``.
    """

    household: Household
    current: tuple[CurrentChild, ...]
    rooms_taken: int = 0

    @classmethod
    def as_is(cls, household: Household) -> Home:
        return cls(household, tuple(household.current_children))


Violations = Callable[["Parts", HouseholdTable], BoolArray]
Check = Callable[[Part, Home], str | None]
RelaxableWhere = Callable[[Part, HouseholdTable], BoolArray]
RelaxableOne = Callable[[Part, Household], bool]
#: Per household, a number that determines the rule's reason text for this part (households with equal
#: keys get the same sentence, so it is written once). Only for reasons that read no other field.
ReasonKey = Callable[[Part, HouseholdTable], IntArray]
#: Reasons for many failing households at once (for rules whose sentence differs per household).
ExplainMany = Callable[[Part, HouseholdTable, IntArray], list[str]]


@dataclass(frozen=True)
class Rule:
    """One hard rule: identity, legal basis, who may relax it, and its two checks."""

    id: str
    title: str
    legal_basis: str
    reason_template: str
    #: The vectorised check over several parts: ``result[p, h]`` is True when household ``h`` breaks the rule
    #: for ``parts.items[p]``.
    over_parts: Violations
    check: Check
    relaxable_by: str | None = None
    relaxation: str | None = None
    emergency_only: bool = False
    relaxable_where: RelaxableWhere | None = field(default=None)
    relaxable_one: RelaxableOne | None = field(default=None)
    reason_key: ReasonKey | None = field(default=None)
    explain_many: ExplainMany | None = field(default=None)

    def violations(self, part: Part, table: HouseholdTable) -> BoolArray:
        """True where the household breaks this rule for ``part`` (the vectorised check on one part)."""
        result: BoolArray = self.over_parts(Parts((part,)), table)[0]
        return result

    def reasons(self, part: Part, table: HouseholdTable, positions: IntArray) -> list[str]:
        """The reason text for each household at ``positions`` (all of which break this rule).

        Equal to ``check`` household by household (the property tests hold it to that), only faster:
        a sentence shared by many households is written once.
        """
        if self.explain_many is not None:
            return self.explain_many(part, table, positions)
        if self.reason_key is not None and len(positions) > 1:
            _, first, inverse = np.unique(
                self.reason_key(part, table)[positions], return_index=True, return_inverse=True
            )
            texts = [self._reason(part, table.households[int(positions[i])]) for i in first.tolist()]
            return [texts[j] for j in inverse.ravel().tolist()]
        return [self._reason(part, table.households[int(p)]) for p in positions.tolist()]

    def _reason(self, part: Part, household: Household) -> str:
        reason = self.check(part, Home.as_is(household))
        if reason is None:
            raise AssertionError(f"rule {self.id}: vectorised and scalar checks disagree on {household.id}")
        return reason

    def could_relax(self, part: Part, household: Household | None = None) -> bool:
        """Whether a breach could be relaxed for this request at all, if the request asked for it."""
        if self.relaxable_by is None or (self.emergency_only and not part.is_emergency):
            return False
        return household is None or self.relaxable_one is None or self.relaxable_one(part, household)

    def may_relax(self, part: Part) -> bool:
        """Whether this request enables relaxing this rule and the rule allows it for this request."""
        return self.id in part.request.allow_relaxations and self.could_relax(part)

    def why_not_relaxable(self, part: Part) -> str:
        """A sentence saying why this rule cannot be relaxed for this request (empty if it can)."""
        if self.relaxable_by is None:
            return "this rule is never relaxed"
        if self.emergency_only and not part.is_emergency:
            return "only an emergency placement may go outside terms of approval"
        if self.id not in part.request.allow_relaxations:
            return "the request does not allow relaxing it"
        return ""

    def relaxable_mask(self, part: Part, table: HouseholdTable) -> BoolArray:
        """Households whose violation of this rule could be relaxed for this request."""
        if not self.may_relax(part):
            return np.zeros(len(table), dtype=bool)
        if self.relaxable_where is None:
            return np.ones(len(table), dtype=bool)
        return self.relaxable_where(part, table)

    def relaxable_for(self, part: Part, household: Household) -> bool:
        """Scalar twin of ``relaxable_mask``."""
        if not self.may_relax(part):
            return False
        return self.relaxable_one is None or self.relaxable_one(part, household)


@dataclass(frozen=True, eq=False)
class Parts:
    """Several parts judged at once: a rule answers for all of them over every household in one parts x
    households matrix, so its numpy calls are made once for the lot rather than once per part (the
    simulation judges about 23 parts against 200 households at each step, where a call costs more than its
    arithmetic). Values of the parts are columns ``(P, 1)``, of their children ``(C, 1)``, so that they
    broadcast against the table's arrays ``(H,)``."""

    items: tuple[Part, ...]

    def __post_init__(self) -> None:
        if any(part.size == 0 for part in self.items):
            raise ValueError("a part places at least one child")

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def children(self) -> tuple[NewChild, ...]:
        """Every part's children, part after part: the rows of the per-child matrices."""
        return tuple(child for part in self.items for child in part.children)

    @property
    def one_child_each(self) -> bool:
        """Whether every part is one child: then child rows are part rows."""
        return len(self.children) == len(self.items)

    @cached_property
    def first_rows(self) -> IntArray:
        """The first child row of each part, ``(P,)``."""
        sizes = self.sizes[:, 0]
        starts: IntArray = np.cumsum(sizes) - sizes
        return starts

    @cached_property
    def child_part(self) -> IntArray:
        """The part of each child row, ``(C,)``."""
        return np.repeat(np.arange(len(self.items), dtype=np.int64), self.sizes[:, 0])

    def per_part(self, value: Callable[[Part], int], dtype: type = np.int64) -> NDArray[Any]:
        """A ``(P, 1)`` column of ``value`` for each part."""
        return np.fromiter((value(p) for p in self.items), dtype=dtype, count=len(self.items))[:, None]

    def per_child(self, value: Callable[[NewChild], int], dtype: type = np.int64) -> NDArray[Any]:
        """A ``(C, 1)`` column of ``value`` for each child of each part."""
        return np.fromiter((value(c) for c in self.children), dtype=dtype, count=len(self.children))[:, None]

    @cached_property
    def ages(self) -> IntArray:
        """Each child's age on its request's needed-by date, ``(C, 1)``."""
        return self.per_child(lambda c: c.age)

    @cached_property
    def sizes(self) -> IntArray:
        """Children in each part, ``(P, 1)``."""
        return self.per_part(lambda p: p.size)

    @cached_property
    def lat(self) -> NDArray[np.float64]:
        """Each child's latitude in degrees, ``(C,)``; NaN for a child with no location (it passes the distance
        rule and scores no distance points)."""
        return np.asarray([np.nan if c.child.location is None else c.child.location.lat for c in self.children])

    @cached_property
    def lon(self) -> NDArray[np.float64]:
        """Each child's longitude in degrees, ``(C,)``; NaN for a child with no location."""
        return np.asarray([np.nan if c.child.location is None else c.child.location.lon for c in self.children])

    @cached_property
    def limits_km(self) -> NDArray[np.float64]:
        """Each child's distance limit (its request's), ``(C,)``."""
        limits = np.asarray([p.distance_limit_km for p in self.items], dtype=np.float64)
        result: NDArray[np.float64] = limits[self.child_part]
        return result

    def any_child(self, rows: BoolArray) -> BoolArray:
        """Child rows ``(C, H)`` to part rows ``(P, H)``: True where it is True for a child of the part."""
        if self.one_child_each:
            return rows
        # The k-th child of every part that has one, a row at a time: parts are small, while ``reduceat``
        # along the rows walks a wide matrix column by column (a hundred times slower at 44,000 households).
        sizes, first = self.sizes[:, 0], self.first_rows
        result: BoolArray = rows[first]
        for k in range(1, int(sizes.max())):
            longer = np.flatnonzero(sizes > k)
            result[longer] |= rows[first[longer] + k]
        return result

    def named_by(self, table: HouseholdTable, child_index: dict[str, IntArray]) -> BoolArray:
        """``(C, H)``: True where the household's list behind ``child_index`` names the child."""
        rows = np.zeros((len(self.children), len(table)), dtype=bool)
        for k, child in enumerate(self.children):
            if child.id in child_index:  # most children are on no household's list: no array work for them
                rows[k] = table.names(child_index, child.id)
        return rows

    def unmet(self, offered: IntArray, wanted: Callable[[NewChild], int]) -> BoolArray:
        """``(P, H)``: True where a child of the part wants a bit (``wanted``, a mask) that ``offered`` lacks."""
        bits = self.per_child(wanted)
        if not bits.any():  # nobody wants anything, as for most children: no matrix to build
            return np.zeros((len(self.items), len(offered)), dtype=bool)
        return self.any_child((bits & ~offered) != 0)


def words(value: str) -> str:
    """A vocabulary id as words: ``short_term`` -> ``short term``, ``cse`` -> ``CSE``."""
    upper = {"cse": "CSE", "cce": "CCE", "bsl": "BSL", "asd": "ASD", "ifa": "IFA", "makaton": "Makaton"}
    return upper.get(value, value.replace("_", " "))


def listing(values: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(values)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def unique_where(table: HouseholdTable, shared: IntArray, unique: BoolArray) -> IntArray:
    """A reason key: ``shared`` where the sentence depends only on it, a key of its own where ``unique``."""
    own = -1 - np.arange(len(table), dtype=np.int64)
    result: IntArray = np.where(unique, own, shared)
    return result


def children_key(part: Part, table: HouseholdTable, child_index: dict[str, IntArray]) -> IntArray:
    """A bitmask per household of which children of the part its list behind ``child_index`` names."""
    key = np.zeros(len(table), dtype=np.int64)
    for bit, child in enumerate(part.children):
        key |= table.names(child_index, child.id).astype(np.int64) << bit
    return key


def exemption_applies_mask(part: Part, table: HouseholdTable) -> BoolArray:
    """Where an exemption is in force on needed-by and names every child of the part (reading 3)."""
    if any(child.id not in table.exemption_index for child in part.children):
        return np.zeros(len(table), dtype=bool)  # a child no exemption names: the usual case, three calls a part
    result: BoolArray = table.exemption_expires >= part.needed_by.toordinal()
    for child in part.children:
        result &= table.names(table.exemption_index, child.id)
    return result


def exemption_applies_rows(parts: Parts, table: HouseholdTable) -> BoolArray:
    """``exemption_applies_mask`` of every part, ``(P, H)``."""
    result = np.zeros((len(parts), len(table)), dtype=bool)
    for p, part in enumerate(parts.items):
        if all(child.id in table.exemption_index for child in part.children):  # rare: an exemption names them
            result[p] = exemption_applies_mask(part, table)
    return result


def exemption_applies(part: Part, household: Household) -> bool:
    """Scalar twin of ``exemption_applies_mask``."""
    exemption = household.approval.exemption
    return exemption is not None and exemption.expires >= part.needed_by and part.ids <= set(exemption.named_children)


def part_groups(part: Part) -> set[str]:
    """The sibling group ids the part's children carry (they count as one group whatever these are)."""
    return {c.child.sibling_group for c in part.children if c.child.sibling_group is not None}


def rooms_needed(part: Part, shared_bedroom_allowed: bool) -> int:
    """One room per child, or half that rounded up where siblings may share (reading 6)."""
    return (part.size + 1) // 2 if shared_bedroom_allowed else part.size
