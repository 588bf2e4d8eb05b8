"""Children who must live alone, only with older or only with younger children (DESIGN.md reading 9).

Judged on every pair that includes a new child, both ways, siblings of the same request included. A
clash that already exists between two children already there is not blamed on the placement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from constraints.base import Home, NewChild, Part, Parts, Rule, listing, unique_where
from domain.tables import BoolArray, HouseholdTable


def _siblings(others: list[NewChild], ages: bool = True) -> str:
    """``sibling Ben (9)`` or ``siblings Ben (9) and Cal (7)``."""
    names = [f"{o.label} ({o.age})" if ages else o.label for o in others]
    return f"{'sibling' if len(names) == 1 else 'siblings'} {listing(names)}"


def _are(items: list[NewChild] | list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def _within_part(part: Part) -> list[str]:
    """Clashes between the children of the part itself (the same for every household)."""
    clashes = []
    for child in part.children:
        others = [o for o in part.children if o is not child]
        need = child.child.living_companions
        if need == "solo" and others:
            clashes.append(f"{child.label} must live alone; {_siblings(others, ages=False)} would be placed too")
        elif need == "only_older" and (not_older := [o for o in others if o.age <= child.age]):
            clashes.append(
                f"{child.label} ({child.age}) must live only with older children; "
                f"{_siblings(not_older)} {_are(not_older)} not older"
            )
        elif need == "only_younger" and (not_younger := [o for o in others if o.age >= child.age]):
            clashes.append(
                f"{child.label} ({child.age}) must live only with younger children; "
                f"{_siblings(not_younger)} {_are(not_younger)} not younger"
            )
    return clashes


def violations(parts: Parts, table: HouseholdTable) -> BoolArray:
    ages = parts.ages
    rows = (ages <= table.current_max_only_older_age) | (ages >= table.current_min_only_younger_age)
    clashes: dict[str, Callable[[], BoolArray]] = {
        "solo": lambda: table.n_current > 0,
        "only_older": lambda: table.current_min_age <= ages,
        "only_younger": lambda: table.current_max_age >= ages,
    }
    companions = [c.child.living_companions for c in parts.children]
    for need, clash in clashes.items():
        wanted = np.asarray([companion == need for companion in companions], dtype=bool)[:, None]
        if wanted.any():  # most children may live with anyone: no matrix for a need nobody has
            rows |= wanted & clash()
    within = parts.per_part(lambda p: bool(_within_part(p)), bool)
    result: BoolArray = within | table.current_has_solo | parts.any_child(rows)
    return result


def _with_current(part: Part, home: Home) -> Iterator[str]:
    for child in part.children:
        need = child.child.living_companions
        ages = sorted(k.age for k in home.current)
        if need == "solo" and ages:
            there = "1 other foster child is" if len(ages) == 1 else f"{len(ages)} other foster children are"
            yield f"{child.label} must live alone; {there} there"
        elif need == "only_older" and ages and ages[0] <= child.age:
            yield f"{child.label} ({child.age}) must live only with older children; a child of {ages[0]} is there"
        elif need == "only_younger" and ages and ages[-1] >= child.age:
            yield f"{child.label} ({child.age}) must live only with younger children; a child of {ages[-1]} is there"
    for k in home.current:
        if k.living_companions == "solo":
            yield f"a child already there ({k.age}) must live alone"
        elif k.living_companions == "only_older" and (not_older := [c.label for c in part.children if c.age <= k.age]):
            yield (
                f"a child already there ({k.age}) must live only with older children; "
                f"{listing(not_older)} {_are(not_older)} not older"
            )
        elif k.living_companions == "only_younger" and (
            not_younger := [c.label for c in part.children if c.age >= k.age]
        ):
            yield (
                f"a child already there ({k.age}) must live only with younger children; "
                f"{listing(not_younger)} {_are(not_younger)} not younger"
            )


def check(part: Part, home: Home) -> str | None:
    clashes = _within_part(part) + list(_with_current(part, home))
    return "; ".join(clashes) if clashes else None


RULE = Rule(
    id="living_companions",
    title="Living companions",
    legal_basis="Care Planning, Placement and Case Review (England) Regulations 2010, reg. 9 and the "
    "child's placement plan (who the child may live with)",
    reason_template="{child} must live alone | only with older children | only with younger children",
    over_parts=violations,
    check=check,
    # With no child already there, only the clashes inside the part remain: the same for every household.
    reason_key=lambda part, table: unique_where(table, np.zeros(len(table), dtype=np.int64), table.n_current > 0),
)
