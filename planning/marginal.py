"""Marginal value of one more household of each carer type, and a budgeted recruitment plan.

Paired runs with common random numbers: replication r of "the scenario" and of "the scenario plus one
household of type T" see the same children, the same carers leaving and the same holds, so their
difference is the household's effect and little else. Each value comes with its 10-90% band over the
paired differences and a standard error.

The plan is greedy on value per pound: each type's value per extra household is measured at +1 and at
+``PLAN_STEP`` households (so a type that saturates stops being chosen), then households are bought one
at a time, best value per cost first, until the budget is spent. Greedy is optimal for such concave,
separable values; the plan is then checked with one more paired run of the whole plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planning.montecarlo import RunResult, run_replications
from planning.scenario import RECRUITMENT_COST_GBP
from planning.simulate import SimulationInput

#: Households added to measure diminishing returns (second point of each type's value curve).
PLAN_STEP = 4
Progress = Callable[[str, int, int], None]


def _stats(values: NDArray[np.float64]) -> dict[str, float]:
    n = max(1, values.size)
    return {
        "mean": round(float(values.mean()), 2),
        "p10": round(float(np.quantile(values, 0.1)), 2),
        "p90": round(float(np.quantile(values, 0.9)), 2),
        "stderr": round(float(values.std(ddof=1) / np.sqrt(n)) if values.size > 1 else 0.0, 2),
    }


@dataclass(frozen=True)
class MarginalValue:
    carer_type: str
    added: int
    saving_per_year: NDArray[np.float64]  # per replication, £ a year
    local_per_year: NDArray[np.float64]  # more children placed within the local distance, a year
    in_house_children: NDArray[np.float64]  # more children with in-house carers on average

    def to_json(self) -> dict[str, Any]:
        return {
            "carer_type": self.carer_type,
            "households_added": self.added,
            "saving_gbp_per_year": _stats(self.saving_per_year / self.added),
            "more_children_local_per_year": _stats(self.local_per_year / self.added),
            "more_children_in_house": _stats(self.in_house_children / self.added),
        }


def paired(base: RunResult, plus: RunResult, carer_type: str, added: int) -> MarginalValue:
    """The paired differences of two runs over the same replications."""
    if base.replications != plus.replications:
        raise ValueError("paired runs need the same replications")
    return MarginalValue(
        carer_type=carer_type,
        added=added,
        saving_per_year=base.per_year("step_cost_gbp") - plus.per_year("step_cost_gbp"),
        local_per_year=plus.per_year("local_placements") - base.per_year("local_placements"),
        in_house_children=(plus.series("in_house").mean(axis=1) - base.series("in_house").mean(axis=1)),
    )


def marginal_values(
    inp: SimulationInput,
    base: RunResult,
    carer_types: Sequence[str],
    client: Any | None = None,
    progress: Progress | None = None,
    step: int = PLAN_STEP,
) -> dict[str, tuple[MarginalValue, MarginalValue | None]]:
    """For each type: the value of +1 household and (for planning) of +``step`` households."""
    report = progress or (lambda _label, _done, _total: None)
    reps = base.replications
    out: dict[str, tuple[MarginalValue, MarginalValue | None]] = {}
    for carer_type in carer_types:

        def tick(done: int, total: int, label: str = f"+1 {carer_type}") -> None:
            report(label, done, total)

        one = run_replications(inp, reps, client, extra={carer_type: 1}, progress=tick)
        more: MarginalValue | None = None
        if step > 1:

            def tick_more(done: int, total: int, label: str = f"+{step} {carer_type}") -> None:
                report(label, done, total)

            many = run_replications(inp, reps, client, extra={carer_type: step}, progress=tick_more)
            more = paired(base, many, carer_type, step)
        out[carer_type] = (paired(base, one, carer_type, 1), more)
    return out


def recruitment_plan(
    values: Mapping[str, tuple[MarginalValue, MarginalValue | None]],
    costs: Mapping[str, float],
    budget: float,
) -> dict[str, int]:
    """Households to add by type within ``budget`` (a year), greedy on saving per pound of recruitment.

    The saving of the k-th extra household of a type is the +1 value for the first, then the average
    extra saving between +1 and +``step`` (never more than the first), then that again.
    """
    plan: dict[str, int] = dict.fromkeys(values, 0)
    left = budget

    def next_value(carer_type: str) -> float:
        one, more = values[carer_type]
        first = float(one.saving_per_year.mean())
        if plan[carer_type] == 0 or more is None:
            return first
        later = (float(more.saving_per_year.mean()) - first) / max(1, more.added - 1)
        return min(first, later)

    while True:
        options = []
        for carer_type in sorted(values):
            cost = costs.get(carer_type, RECRUITMENT_COST_GBP)
            value = next_value(carer_type)
            if cost <= left and value > 0 and cost > 0:
                options.append((value / cost, carer_type, cost))
        if not options:
            return {k: v for k, v in plan.items() if v}
        _, best, cost = max(options)
        plan[best] += 1
        left -= cost


def predicted_saving(
    values: Mapping[str, tuple[MarginalValue, MarginalValue | None]], plan: Mapping[str, int]
) -> float:
    """The plan's yearly saving as the greedy valued it."""
    total = 0.0
    for carer_type, count in plan.items():
        one, more = values[carer_type]
        first = float(one.saving_per_year.mean())
        later = (
            first if more is None else min(first, (float(more.saving_per_year.mean()) - first) / max(1, more.added - 1))
        )
        total += first + later * (count - 1) if count else 0.0
    return total
