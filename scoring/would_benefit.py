"""Skills the child would benefit from (not must-haves): points for each one the household offers."""

from __future__ import annotations

import numpy as np

from constraints.base import NewChild, Part, listing, words
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray, capabilities
from domain.vocab import SKILLS, mask_of
from scoring.base import Criterion, Pairs, ScoringContext


def _needs(child: NewChild) -> list[str]:
    """The child's would-benefit needs, each once (a need listed twice in a plan is still one need)."""
    return list(dict.fromkeys(child.child.needs.would_benefit))


def points(pairs: Pairs, table: HouseholdTable, ctx: ScoringContext) -> IntArray:
    # Each need met scores once: the bits a household's skills share with the child's needs, counted.
    needs = pairs.parts.per_child(lambda c: mask_of(SKILLS, _needs(c)))[:, 0]
    if not needs.any():
        return np.zeros(len(pairs), dtype=np.int64)
    met = np.bitwise_count(table.capabilities_mask[pairs.child_idx] & needs[pairs.child_row]).astype(np.int64)
    return pairs.per_pair(met * ctx.weights["would_benefit"])


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    offered = capabilities(household)
    met = [
        f"{listing([words(n) for n in _needs(c) if n in offered])} for {c.label}"
        for c in part.children
        if set(c.child.needs.would_benefit) & offered
    ]
    return f"offers {'; '.join(met)}"


CRITERION = Criterion(id="would_benefit", title="Skills the child would benefit from", over_pairs=points, reason=reason)
