"""Siblings kept together: points for each sibling who lives with the rest (children minus homes used)."""

from __future__ import annotations

from collections.abc import Mapping


def points(children: int, households_used: int, weights: Mapping[str, int]) -> int:
    return weights["siblings_together"] * (children - households_used)


def reason(children: int, households_used: int) -> str:
    if households_used == 1:
        return "keeps both siblings together" if children == 2 else f"keeps all {children} siblings together"
    return f"splits the {children} siblings across {households_used} homes"
