"""Siblings kept together: for each household fewer than one per child, ``siblings_together`` points per
child of the group. A group of ``n`` children in ``k`` homes scores ``n * (n - k) * siblings_together``.

Each household a group is spread over costs every child of the group, not one: a split moves all of
them, and the gain it buys is summed over all of them too. Priced per child, keeping a group together
outweighs what the whole group could gain apart on every other criterion (see ``scoring.weights``).
"""

from __future__ import annotations

from collections.abc import Mapping


def per_extra_home(children: int, weights: Mapping[str, int]) -> int:
    """Points a group of ``children`` loses for each household it uses beyond the first."""
    return weights["siblings_together"] * children


def points(children: int, households_used: int, weights: Mapping[str, int]) -> int:
    return per_extra_home(children, weights) * (children - households_used)


def reason(children: int, households_used: int) -> str:
    if households_used == 1:
        return "keeps both siblings together" if children == 2 else f"keeps all {children} siblings together"
    return f"splits the {children} siblings across {households_used} homes"
