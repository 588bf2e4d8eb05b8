"""Weight review: where the duty team's choices disagree with the weights of ``scoring/weights.py``.

Every decision reveals a preference between two options of one request:

- an accepted option that was not rank 1 was preferred to the rank-1 option of the same run;
- an accepted option was preferred to every option of the same request declined in the period.

A pair disagrees with the weights when the rejected option scored higher. For each criterion, over the
disagreeing pairs, the review counts how often the preferred option had more points on it and how often
fewer: a criterion on which the team's choices consistently have more points (e.g. ``distance``: they
pick nearer homes than the weights prefer) is one the team weighs more than the table does; fewer, less.
A two-sided sign test says how unlikely that split would be by chance.

It only reports: the weights change when a manager edits the policy (``policy.weights``), never here.
Counts below 5 are ``"<5"``, as in the rest of the outcomes report.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.outcomes import DecisionFacts, OptionFacts

SMALL_COUNT = 5
SUPPRESSED = "<5"
#: A sign test p-value below this is reported as a consistent disagreement.
CONSISTENT_P = 0.05

#: The direction of a criterion's lean, by the sign of (more - fewer).
LEANS = {1: "team weighs it more", 0: "no lean", -1: "team weighs it less"}
#: The weights (``scoring.weights``) behind each criterion's points.
CRITERION_WEIGHTS: dict[str, tuple[str, ...]] = {
    "distance": ("distance", "near_home_bonus"),
    "weekly_cost": ("in_house", "cost_ceiling_gbp", "cost_step_gbp"),
    "siblings_together": ("siblings_together",),
    "would_benefit": ("would_benefit",),
    "language": ("language",),
    "religion": ("religion",),
    "preferences": ("preference_met", "preference_missed"),
    "continuity": ("continuity",),
    "household_fit": ("fit_no_other_children", "fit_per_current_child"),
    "scarcity": ("scarcity",),
}
POLICY_NOTE = (
    "This review only reports. The weights change only when a manager edits the council's policy "
    "(policy.weights); nothing here changes them."
)


@dataclass(frozen=True)
class Pair:
    """One revealed preference: the duty team chose ``preferred`` over ``rejected`` for one request."""

    kind: str
    request_id: str
    preferred: OptionFacts
    rejected: OptionFacts

    @property
    def disagrees(self) -> bool:
        """The weights scored the rejected option higher."""
        return self.rejected.score > self.preferred.score


def pairs_from(decisions: Sequence[DecisionFacts]) -> list[Pair]:
    """Every revealed preference in the decisions (see the module docstring)."""
    pairs: list[Pair] = []
    accepted = {d.request_id: d for d in decisions if d.outcome == "accepted"}
    for d in decisions:
        if d.outcome == "accepted":
            if d.top is not None and d.top.recommendation_id != d.option.recommendation_id:
                pairs.append(Pair("chosen_over_rank_1", d.request_id, d.option, d.top))
        elif d.request_id in accepted:
            chosen = accepted[d.request_id].option
            if chosen.recommendation_id != d.option.recommendation_id:
                pairs.append(Pair("accepted_over_declined", d.request_id, chosen, d.option))
    return pairs


def sign_test(higher: int, lower: int) -> float | None:
    """Two-sided exact binomial (p = 1/2) p-value of ``higher`` against ``lower``; None without data."""
    n = higher + lower
    if n == 0:
        return None
    k = min(higher, lower)
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return round(min(1.0, 2.0 * tail), 4)


def _count(n: int) -> int | str:
    return n if n >= SMALL_COUNT else SUPPRESSED


def weight_review(decisions: Sequence[DecisionFacts], weights: Mapping[str, int]) -> dict[str, Any]:
    """Criteria ordered by how strongly the team's choices disagree with the weights, with the data."""
    pairs = pairs_from(decisions)
    disagreeing = [p for p in pairs if p.disagrees]
    diffs: defaultdict[str, list[int]] = defaultdict(list)
    for pair in disagreeing:
        for criterion in sorted(set(pair.preferred.criteria) | set(pair.rejected.criteria)):
            diffs[criterion].append(
                pair.preferred.criteria.get(criterion, 0) - pair.rejected.criteria.get(criterion, 0)
            )
    rows: list[dict[str, Any]] = []
    for criterion, values in diffs.items():
        higher = sum(v > 0 for v in values)
        lower = sum(v < 0 for v in values)
        shown = higher + lower >= SMALL_COUNT
        p_value = sign_test(higher, lower) if shown else None
        direction = LEANS[(higher > lower) - (higher < lower)]
        consistent = p_value is not None and p_value < CONSISTENT_P
        rows.append(
            {
                "criterion": criterion,
                "weights": {name: weights[name] for name in CRITERION_WEIGHTS.get(criterion, ()) if name in weights},
                "pairs_differing": _count(higher + lower),
                "preferred_had_more": _count(higher),
                "preferred_had_fewer": _count(lower),
                "mean_points_difference": round(sum(values) / len(values), 1) if shown else SUPPRESSED,
                "direction": direction if shown else SUPPRESSED,
                "sign_test_p": p_value,
                "consistent": consistent,
                "_strength": abs(higher - lower) if shown else -1,
            }
        )
    rows.sort(key=lambda r: (-int(r["_strength"]), r["criterion"]))
    for row in rows:
        del row["_strength"]
    gaps = [p.rejected.score - p.preferred.score for p in disagreeing]
    summary = [
        f"{r['criterion']}: the team's choices had more points in {r['preferred_had_more']} and fewer in "
        f"{r['preferred_had_fewer']} of the pairs where the weights preferred the other option "
        f"({r['direction']}; mean {r['mean_points_difference']:+} points; sign test p = {r['sign_test_p']})"
        for r in rows
        if r["consistent"]
    ]
    return {
        "pairs": _count(len(pairs)),
        "chosen_over_rank_1": _count(sum(p.kind == "chosen_over_rank_1" for p in pairs)),
        "accepted_over_declined": _count(sum(p.kind == "accepted_over_declined" for p in pairs)),
        "disagreeing_pairs": _count(len(disagreeing)),
        "mean_score_gap": round(sum(gaps) / len(gaps), 1)
        if len(gaps) >= SMALL_COUNT
        else (SUPPRESSED if gaps else None),
        "criteria": rows,
        "consistent_disagreements": summary,
        "note": POLICY_NOTE,
    }
