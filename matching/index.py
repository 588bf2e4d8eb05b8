"""A snapshot prepared for matching: lookups by id, the household table and the weights, built once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constraints.base import Part, Parts, distance_limit_km, make_part
from constraints.registry import RULES, RULES_BY_ID
from domain.errors import InputError, Problem
from domain.snapshot import Child, Household, Request, Snapshot
from domain.tables import BoolArray, HouseholdTable, build_household_table
from matching.candidates import rule_matrices, rule_matrix
from scoring.weights import weights_for

#: Rule x part x household cells worked out in one ``rule_matrices`` call when prefetching (4 MB of booleans).
PREFETCH_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class SnapshotIndex:
    """Everything matching needs from one snapshot, built once and shared by every request."""

    snapshot: Snapshot
    source: str
    table: HouseholdTable
    children: Mapping[str, Child]
    requests: Mapping[str, Request]
    weights: Mapping[str, int]
    #: Rule matrices over the whole table, by request id and children (see ``rule_matrix``).
    _rules: dict[tuple[str, tuple[str, ...]], BoolArray] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def build(
        cls, snapshot: Snapshot, source: str = "snapshot", previous: SnapshotIndex | None = None
    ) -> SnapshotIndex:
        """Index ``snapshot``; raises ``InputError`` for what the loader cannot know (rule ids, weights).

        ``previous``, an index of an earlier state, lends the table rows of households that are the very
        same objects in both (the simulation indexes every step, and few households change in one).
        """
        problems = [
            Problem(source, f"request {r.id}", "allow_relaxations", f"unknown rule id {rule_id!r}")
            for r in snapshot.requests
            for rule_id in r.allow_relaxations
            if rule_id not in RULES_BY_ID
        ]
        if problems:
            raise InputError(problems)
        return cls(
            snapshot=snapshot,
            source=source,
            table=build_household_table(list(snapshot.households), previous.table if previous else None),
            children={c.id: c for c in snapshot.children},
            requests={r.id: r for r in snapshot.requests},
            weights=weights_for(snapshot.policy, source),
        )

    def request(self, request_id: str) -> Request:
        found = self.requests.get(request_id)
        if found is None:
            raise InputError.one(self.source, f"request {request_id}", "request", "no such request in the snapshot")
        return found

    def household(self, household_id: str) -> Household:
        position = self.table.position.get(household_id)
        if position is None:
            raise InputError.one(
                self.source, f"household {household_id}", "household", "no such household in the snapshot"
            )
        return self.table.households[position]

    def rule_matrix(self, part: Part) -> BoolArray:
        """``rule_matrix(part, self.table)``, worked out once per part of one of this snapshot's own requests
        (the batch and the simulation's shortfall both ask for it). Read-only: it is shared."""
        key = self._rules_key(part)
        if key is None:
            return rule_matrix(part, self.table)
        found = self._rules.get(key)
        if found is None:
            found = rule_matrix(part, self.table)
            found.flags.writeable = False
            self._rules[key] = found
        return found

    def _rules_key(self, part: Part) -> tuple[str, tuple[str, ...]] | None:
        """Where ``rule_matrix`` keeps a part's matrix; None for a part of another request with that id (not
        kept: its matrix may differ)."""
        if self.requests.get(part.request.id) is not part.request:
            return None
        return (part.request.id, tuple(c.id for c in part.children))

    def prefetch_rule_matrices(self, parts: Sequence[Part]) -> None:
        """Work out ``rule_matrix`` for many of this snapshot's parts in a few calls over all of them at once
        (``rule_matrices``), for ``rule_matrix`` to find: one call per rule instead of one per rule and part."""
        todo: dict[tuple[str, tuple[str, ...]], Part] = {}
        for part in parts:
            key = self._rules_key(part)
            if key is not None and key not in self._rules:
                todo.setdefault(key, part)
        keys = list(todo)
        chunk = max(1, PREFETCH_CELLS // (len(RULES) * max(1, len(self.table))))
        for start in range(0, len(keys), chunk):
            some = keys[start : start + chunk]
            found = rule_matrices(Parts(tuple(todo[key] for key in some)), self.table)
            found.flags.writeable = False
            for p, key in enumerate(some):
                self._rules[key] = found[p]

    def part(self, request: Request, child_ids: Sequence[str]) -> Part:
        """The children ``child_ids`` of ``request`` as one part, ages on its needed-by date."""
        # ``build`` makes ``children`` a dict: no copy per part (parts are made for every request and proposal).
        children = self.children if isinstance(self.children, dict) else dict(self.children)
        return make_part(children, request, child_ids, distance_limit_km(request, self.snapshot))
