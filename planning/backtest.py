"""Backtest: project one collection year with a demand model fitted only on the years before it, and set
the projection beside what the return says happened, so a council can see how far to trust the model.

SSDA903 holds no carer data, so the backtest tests the demand side (entries, their ages and first
placements, durations, moves): children start from the 31 March stock of the year before, leave or move
as the fitted model says, and go where children of their age went in the fitted years. The matching
half of the simulation cannot be replayed from the return and is not part of the backtest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planning.demand import AGE_BAND_LABELS, CATEGORIES, DAYS_PER_YEAR, DemandModel, YearObservation

#: Replications of the projection (each a full year of children, cheap: no matching).
BACKTEST_REPLICATIONS = 200
#: Length-biased candidates for the time left in a placement under way on 31 March.
RESIDUAL_CANDIDATES = 16
MEASURES = ("in_care", "foster", "in_house", "ifa", "kinship", "residential", "other", "entries")


class _Pools:
    """Durations drawn in bulk per category and band (sampling the curve one value at a time is slow)."""

    SIZE = 4096

    def __init__(self, model: DemandModel, rng: np.random.Generator) -> None:
        self.pools = {
            (c, b): model.curve(c, b).sample(rng.random(self.SIZE)) for c in CATEGORIES for b in AGE_BAND_LABELS
        }
        self.rng = rng

    def draw(self, category: str, band: str, n: int | None = None) -> np.ndarray:
        pool = self.pools[(category, band)]
        return pool[self.rng.integers(0, pool.size, size=n or 1)]


def _residual(pools: _Pools, category: str, band: str, rng: np.random.Generator) -> float:
    candidates = pools.draw(category, band, RESIDUAL_CANDIDATES)
    chosen = candidates[min(int(np.searchsorted(np.cumsum(candidates) / candidates.sum(), rng.random())),
                            RESIDUAL_CANDIDATES - 1)]  # fmt: skip
    return float(chosen * rng.random())


def _route(model: DemandModel, band: str, rng: np.random.Generator) -> str:
    mix = model.entry_mix.get(band) or {}
    weights = np.asarray([mix.get(c, 0.0) for c in CATEGORIES], dtype=float)
    if weights.sum() <= 0:
        return "in_house"
    return CATEGORIES[int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(), side="right"))]


def _band_index(age: float) -> int:
    for i, label in enumerate(AGE_BAND_LABELS):
        low, _, high = label.partition("-")
        if age < int(high or low) + 1:
            return i
    return len(AGE_BAND_LABELS) - 1


def project_year(model: DemandModel, start: YearObservation, replications: int, seed: int) -> dict[str, np.ndarray]:
    """Simulated 31 March stock by category a year after ``start`` and the entries in between."""
    out = {m: np.zeros(replications) for m in MEASURES}
    for r in range(replications):
        rng = np.random.default_rng([seed, r, 903])
        pools = _Pools(model, rng)
        # (age on the start day, category, day its placement ends) of every child looked after in the year.
        children: list[tuple[float, str, float]] = []
        for category in CATEGORIES:
            for band, count in (start.stock_by_band.get(category) or {}).items():
                low, _, high = band.partition("-")
                for _ in range(count):
                    age = rng.uniform(int(low), int(high or low) + 1)
                    children.append((age, category, _residual(pools, category, band, rng)))
        # Entries in the year, with their first placement (growth applied from the fitted years' middle).
        entries = 0
        growth = (1.0 + model.growth_per_year) ** ((len(model.years) + 1) / 2)
        for band in AGE_BAND_LABELS:
            n = int(rng.poisson(model.entries_per_year.get(band, 0.0) * growth))
            entries += n
            low, _, high = band.partition("-")
            for _ in range(n):
                day = rng.uniform(0, DAYS_PER_YEAR)
                age = rng.uniform(int(low), int(high or low) + 1)
                category = _route(model, band, rng)
                ends = day + float(pools.draw(category, band)[0])
                children.append((age - day / DAYS_PER_YEAR, category, ends))
        # Follow each child to the year's end: placements end, some move on, the others leave care.
        stock = dict.fromkeys(CATEGORIES, 0)
        for age0, first, first_end in children:
            category, ends = first, first_end
            adult = (18.0 - age0) * DAYS_PER_YEAR  # the day the child turns 18
            while True:
                if adult <= min(ends, DAYS_PER_YEAR):
                    break  # leaves care at 18
                if ends >= DAYS_PER_YEAR:
                    stock[category] += 1
                    break
                band = AGE_BAND_LABELS[_band_index(age0 + ends / DAYS_PER_YEAR)]
                if rng.random() >= model.move_probability.get(category, {}).get(band, 0.0):
                    break
                category = _route(model, band, rng)
                ends += float(pools.draw(category, band)[0])
        for category in CATEGORIES:
            out[category][r] = stock[category]
        out["in_care"][r] = sum(stock.values())
        out["foster"][r] = stock["in_house"] + stock["ifa"] + stock["kinship"]
        out["entries"][r] = entries
    return out


def backtest(
    model: DemandModel, start: YearObservation, actual: YearObservation, year: int, replications: int, seed: int
) -> dict[str, Any]:
    """Projection (mean and 10-90% band) against the return's figures for ``year``, measure by measure."""
    projected = project_year(model, start, replications, seed)
    observed = {
        **{c: actual.stock.get(c, 0) for c in CATEGORIES},
        "in_care": actual.in_care,
        "foster": actual.stock.get("in_house", 0) + actual.stock.get("ifa", 0) + actual.stock.get("kinship", 0),
        "entries": actual.entries,
    }
    rows = []
    for measure in MEASURES:
        values = projected[measure]
        mean = float(values.mean())
        low, high = float(np.quantile(values, 0.1)), float(np.quantile(values, 0.9))
        seen = observed[measure]
        rows.append(
            {
                "measure": measure,
                "projected": round(mean, 1),
                "p10": round(low, 1),
                "p90": round(high, 1),
                "actual": seen,
                "error_pct": round(100.0 * (mean - seen) / seen, 1) if seen else None,
                "within_band": bool(low <= seen <= high),
            }
        )
    return {
        "year": year,
        "fitted_years": model.years,
        "start": f"31 March {year - 1}",
        "end": f"31 March {year}",
        "replications": replications,
        "note": "demand side only: SSDA903 holds no carer data, so placements follow the fitted mix, not matching",
        "rows": rows,
    }
