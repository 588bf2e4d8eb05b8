"""Skills the child would benefit from (not must-haves): points for each one the household offers."""

from __future__ import annotations

from constraints.base import NewChild, Part, listing, words
from domain.snapshot import Household
from domain.tables import HouseholdTable, IntArray, capabilities
from domain.vocab import SKILLS, bit_of
from scoring.base import Criterion, ScoringContext, zeros


def _needs(child: NewChild) -> list[str]:
    """The child's would-benefit needs, each once (a need listed twice in a plan is still one need)."""
    return list(dict.fromkeys(child.child.needs.would_benefit))


def points(part: Part, table: HouseholdTable, idx: IntArray, ctx: ScoringContext) -> IntArray:
    total = zeros(idx)
    for child in part.children:
        for need in _needs(child):
            total += ((table.capabilities_mask[idx] & bit_of(SKILLS, need)) != 0) * ctx.weights["would_benefit"]
    return total


def reason(part: Part, household: Household, pts: int, ctx: ScoringContext) -> str:
    offered = capabilities(household)
    met = [
        f"{listing([words(n) for n in _needs(c) if n in offered])} for {c.label}"
        for c in part.children
        if set(c.child.needs.would_benefit) & offered
    ]
    return f"offers {'; '.join(met)}"


CRITERION = Criterion(id="would_benefit", title="Skills the child would benefit from", points=points, reason=reason)
