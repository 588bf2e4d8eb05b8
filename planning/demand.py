"""The demand model: how many children come into care, when, how old, in which groups, where they live
and for how long, fitted from SSDA903 history (``interop/ssda903.py``) or written by hand in a scenario.

The model is plain data (pydantic, saved as JSON), so an import can be checked, kept and compared.
Durations are Kaplan-Meier survival curves (open episodes count as censored, not as ended), sampled by
inverse transform so that one uniform number per child gives its duration under any scenario (common
random numbers).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import InputError, Problem

#: Age bands of the DfE's "Children looked after in England" statistics (under 1, 1-4, 5-9, 10-15, 16+).
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 0), (1, 4), (5, 9), (10, 15), (16, 17))
AGE_BAND_LABELS: tuple[str, ...] = ("0", "1-4", "5-9", "10-15", "16-17")
#: Where a child lives while looked after, as the simulation counts it (SSDA903 PLACE and PLACE_PROVIDER
#: mapped in ``interop/ssda903.py``): the council's own foster carers, agency (IFA) carers, family and
#: friends (kinship, connected) carers, residential care, and everything else (with parents, adoption,
#: independent living...).
Category = Literal["in_house", "ifa", "kinship", "residential", "other"]
CATEGORIES: tuple[str, ...] = ("in_house", "ifa", "kinship", "residential", "other")
#: Oldest age in care: a child leaves care at 18 (Children Act 1989 s.105).
LEAVING_AGE = 18
DAYS_PER_YEAR = 365.25


def age_band(age: int) -> str:
    """The label of the DfE age band holding ``age`` (ages above 17 count as 16-17)."""
    for (low, high), label in zip(AGE_BANDS, AGE_BAND_LABELS, strict=True):
        if low <= age <= high:
            return label
    return AGE_BAND_LABELS[-1]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DurationCurve(Strict):
    """A Kaplan-Meier survival curve of placement durations in days, with an exponential tail."""

    days: list[float] = Field(description="Distinct event times in days, increasing.")
    survival: list[float] = Field(description="Share still in placement just after each event time.")
    tail_rate_per_day: float = Field(gt=0, description="Hazard beyond the last event (events / exposure).")
    spells: int = Field(ge=0, description="Spells the curve was fitted on (ended and open).")
    ended: int = Field(ge=0, description="Spells that ended (the others are censored).")

    def sample(self, u: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """Durations (days) for uniforms ``u`` in (0, 1): the first time survival falls to ``u`` or below."""
        return self.arrays().sample(u)

    def arrays(self) -> CurveArrays:
        """The curve as arrays, to sample many times without converting its lists each time."""
        return CurveArrays(
            np.asarray(self.survival, dtype=np.float64), np.asarray(self.days, dtype=np.float64), self.tail_rate_per_day
        )

    def mean_days(self) -> float:
        """Mean duration under the curve and its tail (area under the survival function)."""
        days = [0.0, *self.days]
        surv = [1.0, *self.survival]
        area = sum((days[i + 1] - days[i]) * surv[i] for i in range(len(self.days)))
        return area + surv[-1] / self.tail_rate_per_day


@dataclass(frozen=True, eq=False)
class CurveArrays:
    """A ``DurationCurve``'s points as arrays (a simulation samples each curve thousands of times)."""

    survival: NDArray[np.float64]
    days: NDArray[np.float64]
    tail_rate_per_day: float
    #: ``-survival``, worked out once (``searchsorted`` needs it rising).
    _falling_array: NDArray[np.float64] = field(init=False, repr=False)
    #: ``-survival`` and ``days`` as lists, for one draw at a time without numpy's per-call cost.
    _falling: list[float] = field(init=False, repr=False)
    _days: list[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_falling_array", -self.survival)
        object.__setattr__(self, "_falling", self._falling_array.tolist())
        object.__setattr__(self, "_days", self.days.tolist())

    def sample_one(self, u: float) -> float:
        """``sample(u)[0]``, the same number, for one uniform: inside the data a search of the same sorted
        values (``bisect_left`` is ``searchsorted(side="left")``); beyond it, ``sample`` itself."""
        index = bisect.bisect_left(self._falling, -u)
        if index < len(self._falling):
            return max(self._days[index], 1.0)
        return float(self.sample(u)[0])

    def sample(self, u: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """Durations (days) for uniforms ``u`` in (0, 1): the first time survival falls to ``u`` or below."""
        us = np.atleast_1d(np.asarray(u, dtype=np.float64))
        surv, days = self.survival, self.days
        out = np.empty_like(us)
        if surv.size == 0:
            return -np.log(np.maximum(us, 1e-12)) / self.tail_rate_per_day
        # survival is non-increasing: find the first index where survival <= u.
        index = np.searchsorted(self._falling_array, -us, side="left")
        inside = index < surv.size
        if inside.all():  # the usual case: every draw within the data, no tail to work out
            result: NDArray[np.float64] = np.maximum(days[index], 1.0)
            return result
        out[inside] = days[np.minimum(index[inside], surv.size - 1)]
        last_s = max(float(surv[-1]), 1e-12)
        beyond = ~inside
        # Beyond the data, survival decays exponentially from the last value.
        out[beyond] = days[-1] + np.log(last_s / np.maximum(us[beyond], 1e-12)) / self.tail_rate_per_day
        return np.maximum(out, 1.0)


def kaplan_meier(
    durations: Sequence[float],
    ended: Sequence[bool],
    fallback_mean_days: float,
    entered: Sequence[float] | None = None,
) -> DurationCurve:
    """Fit a survival curve to spells of ``durations`` days, ``ended`` False for still-open (censored) ones.

    ``entered`` gives, for spells already under way when observation began (left-truncated), how many
    days old they were then: such a spell is at risk only after that age (Kaplan-Meier with delayed
    entry), so long stays seen part-way count without biasing the curve.
    """
    d = np.asarray(durations, dtype=np.float64)
    e = np.asarray(ended, dtype=bool)
    start = np.zeros_like(d) if entered is None else np.asarray(entered, dtype=np.float64)
    if d.size == 0 or not e.any():
        return DurationCurve(
            days=[], survival=[], tail_rate_per_day=1.0 / fallback_mean_days, spells=int(d.size), ended=0
        )
    times = np.unique(d[e])
    order = np.sort(d)
    starts = np.sort(start)
    # At risk at t: spells entered before t and lasting at least t.
    at_risk = (d.size - np.searchsorted(order, times, side="left")) - (
        d.size - np.searchsorted(starts, times, side="left")
    )
    event_times, counts = np.unique(d[e], return_counts=True)
    events = counts[np.searchsorted(event_times, times)].astype(np.float64)
    survival = np.cumprod(1.0 - events / np.maximum(at_risk, events))
    rate = float(e.sum() / max(float((d - start).sum()), 1.0))
    return DurationCurve(
        days=[float(t) for t in times],
        survival=[round(float(v), 6) for v in survival],
        tail_rate_per_day=rate,
        spells=int(d.size),
        ended=int(e.sum()),
    )


class YearObservation(Strict):
    """What the return says about one collection year (1 April to 31 March)."""

    entries: int = Field(ge=0, description="Children who started to be looked after in the year.")
    leavers: int = Field(ge=0, description="Children who ceased to be looked after in the year.")
    stock: dict[str, int] = Field(description="Children looked after on 31 March, by category.")
    stock_by_band: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Children looked after on 31 March, by category then age band."
    )

    @property
    def in_care(self) -> int:
        return sum(self.stock.values())


class DemandModel(Strict):
    """Everything the simulation samples children from. Rates are per year; shares sum to 1."""

    source: str = Field(description="Where the model came from (a directory, a file, or 'parameters').")
    years: list[int] = Field(description="Collection years fitted (the year ending 31 March).")
    entries_per_year: dict[str, float] = Field(description="Children entering care per year, by age band.")
    growth_per_year: float = Field(
        default=0.0, ge=-0.5, le=1.0, description="Fitted yearly growth of entries (0.02 = 2% a year)."
    )
    month_factors: list[float] = Field(
        default_factory=lambda: [1.0] * 12,
        min_length=12,
        max_length=12,
        description="Seasonality of entries, January first; mean 1.",
    )
    group_sizes: dict[str, float] = Field(
        default_factory=lambda: {"1": 1.0},
        description="Share of entry groups (children entering together from one home) by number of children.",
    )
    entry_mix: dict[str, dict[str, float]] = Field(
        description="First placement of children entering care: age band -> category -> share."
    )
    durations: dict[str, dict[str, DurationCurve]] = Field(
        description="Placement durations: category -> age band at the start -> survival curve."
    )
    move_probability: dict[str, dict[str, float]] = Field(
        description="Chance a placement ends in another placement rather than leaving care: category -> band."
    )
    female_share: float = Field(default=0.47, ge=0, le=1, description="Share of girls among entries.")
    parent_and_child_share: float = Field(
        default=0.0, ge=0, le=1, description="Share of entries who are mothers themselves (header MOTHER = 1)."
    )
    remand_share: float = Field(default=0.0, ge=0, le=1, description="Share of entries on remand (LS J1-J3).")
    short_break_children_per_year: float = Field(
        default=0.0, ge=0, description="Children starting agreed short breaks (LS V3/V4); not simulated."
    )
    observed: dict[str, YearObservation] = Field(
        default_factory=dict, description="Per collection year: entries, leavers and the 31 March stock."
    )

    def total_entries_per_year(self) -> float:
        return float(sum(self.entries_per_year.values()))

    def mean_group_size(self) -> float:
        total = sum(self.group_sizes.values())
        return sum(int(k) * v for k, v in self.group_sizes.items()) / total if total else 1.0

    def curve(self, category: str, band: str) -> DurationCurve:
        """The duration curve of ``category`` and ``band``, falling back to the category's pooled bands."""
        by_band = self.durations.get(category) or self.durations.get("in_house") or {}
        found = by_band.get(band)
        # A curve written from parameters has no spells at all and stands as it is.
        if found is not None and (found.ended > 0 or found.spells == 0):
            return found
        for other in by_band.values():
            if other.ended > 0:
                return other
        return DurationCurve(days=[], survival=[], tail_rate_per_day=1.0 / DEFAULT_MEAN_DAYS, spells=0, ended=0)

    def latest_observation(self) -> YearObservation | None:
        if not self.observed:
            return None
        return self.observed[max(self.observed, key=int)]


#: Mean placement length used when a category has no data at all (about a year; assumed).
DEFAULT_MEAN_DAYS = 365.0


def parameter_model(
    entries_per_year: float,
    mean_duration_days: float = DEFAULT_MEAN_DAYS,
    growth_per_year: float = 0.0,
    entry_mix: dict[str, float] | None = None,
    age_shares: dict[str, float] | None = None,
    move_probability: float = 0.3,
    group_sizes: dict[str, float] | None = None,
) -> DemandModel:
    """A demand model written from a few numbers, for councils without their SSDA903 files to hand."""
    ages = age_shares or DEFAULT_AGE_SHARES
    total = sum(ages.values())
    mix = entry_mix or DEFAULT_ENTRY_MIX
    curve = DurationCurve(days=[], survival=[], tail_rate_per_day=1.0 / mean_duration_days, spells=0, ended=0)
    return DemandModel(
        source="parameters",
        years=[],
        entries_per_year={band: entries_per_year * ages.get(band, 0.0) / total for band in AGE_BAND_LABELS},
        growth_per_year=growth_per_year,
        group_sizes=group_sizes or DEFAULT_GROUP_SIZES,
        entry_mix={band: dict(mix) for band in AGE_BAND_LABELS},
        durations={c: {band: curve for band in AGE_BAND_LABELS} for c in CATEGORIES},
        move_probability={c: dict.fromkeys(AGE_BAND_LABELS, move_probability) for c in CATEGORIES},
    )


#: Ages of children starting to be looked after, by DfE age band, used only when a council gives no SSDA903
#: files (assumed: shaped like the national pattern, babies and teenagers most often; [001]: "teenagers
#: being the busiest area of referrals").
DEFAULT_AGE_SHARES: dict[str, float] = {"0": 0.18, "1-4": 0.14, "5-9": 0.17, "10-15": 0.35, "16-17": 0.16}
#: First placements when no SSDA903 files are given: [002] Leicester City: 65% of fostered children with
#: in-house carers; [003] Leicestershire: connected carers about 30% of fostering households; the
#: residential and other shares are assumed.
DEFAULT_ENTRY_MIX: dict[str, float] = {
    "in_house": 0.40,
    "ifa": 0.20,
    "kinship": 0.18,
    "residential": 0.10,
    "other": 0.12,
}
#: Entry groups by size ([003]: of 5 sibling groups placed, 4 were of 2 and 1 of 3; fixture generator's
#: GROUP_SIZES for the rest), used only without SSDA903 files.
DEFAULT_GROUP_SIZES: dict[str, float] = {"1": 0.78, "2": 0.15, "3": 0.05, "4": 0.02}


def yearly_factor(growth_per_year: float, days_from_start: float) -> float:
    """Entries grow (or shrink) geometrically at ``growth_per_year``."""
    return math.pow(1.0 + growth_per_year, days_from_start / DAYS_PER_YEAR)


def collection_year(day: dt.date) -> int:
    """The SSDA903 collection year holding ``day`` (the year of the 31 March that ends it)."""
    return day.year + 1 if day.month >= 4 else day.year


def write_model(model: DemandModel, path: str | Path) -> None:
    """Write the model as JSON atomically: a temporary file in the same folder, then a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model.model_dump(mode="json"), indent=1) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_model(path: str | Path) -> DemandModel:
    """Read a demand model JSON written by ``write_model``; bad content is an ``InputError``."""
    source = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError.one(source, "", "", f"cannot read the file: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise InputError.one(source, f"line {error.lineno}", "", f"not valid JSON: {error.msg}") from None
    try:
        return DemandModel.model_validate(raw)
    except ValidationError as error:
        raise InputError(
            [Problem(source, "demand model", ".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()]
        ) from None
