"""The managers' outcomes report: what happened after the system recommended, and whom it serves well.

Pure: it takes decision and placement facts (``domain.outcomes``; the store reads them) and a period,
and returns one JSON-ready dict. Sections:

- ``decisions``: acceptance rate by rank, decline reasons;
- ``not_rank_one``: how often the chosen option was not rank 1, and on which criteria it differed;
- ``unplanned_endings``: endings in the period, unplanned ones by reason and by criterion values
  (distance band, in-house or IFA, siblings together or split, skills matched);
- ``stability``: children with 3 or more placements in the period against the national figure, moves
  per child per year;
- ``breakdowns``: placements started in the period, their distance, in-house share, siblings kept
  together and days waiting, by age band, disability, ethnicity and sibling group size;
- ``weight_review``: which weights the duty team's choices disagree with (``planning.weight_review``).

Small counts can identify a child: every count below ``SMALL_COUNT`` is the string ``"<5"``, and so is
every rate or mean computed from fewer than ``SMALL_COUNT`` records (or a numerator below it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.outcomes import DECLINE_REASONS, DISRUPTION_REASONS, DecisionFacts, PlacementFacts
from planning.demand import AGE_BAND_LABELS, age_band
from planning.weight_review import weight_review

#: Counts below this are suppressed (shown as ``SUPPRESSED``), and so are rates and means built on them.
SMALL_COUNT = 5
SUPPRESSED = "<5"
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class NationalFigure:
    """A published figure the report compares against, with where it comes from."""

    rate: float
    label: str
    source: str


#: England: share of looked-after children with 3 or more placements in the last 12 months.
NATIONAL_THREE_PLUS_MOVES = NationalFigure(
    rate=0.10,
    label="England, national average (March 2022, latest data)",
    source=(
        "Rotherham in-house fostering plan 2023-28, section 7 'Placement stability', table 'Looked After "
        "Children Placement Stability': '%LAC who have experienced 3+ placements within the last 12 months', "
        "national average 10% (DfE figures as quoted by the council; /work/shared/seeds/004_f997a99ff8e3c9a4.txt)"
    ),
)
#: Placements in a period at which a child counts as unstable (the national measure's three or more).
UNSTABLE_PLACEMENTS = 3
DAYS_PER_YEAR = 365.25
#: Distance bands (km, upper bound exclusive): very local, within 10 miles, within 20 miles, further.
DISTANCE_BANDS_KM: tuple[tuple[float, str], ...] = (
    (5.0, "under 5 km"),
    (16.09, "5 km to 10 miles"),
    (32.19, "10 to 20 miles"),
    (math.inf, "20 miles or more"),
)
#: Ranks shown one by one; later ranks are pooled.
RANKS_SHOWN = 5


# --- suppression -------------------------------------------------------------------------------------


def count(n: int) -> int | str:
    """A count as published: ``"<5"`` below ``SMALL_COUNT``."""
    return n if n >= SMALL_COUNT else SUPPRESSED


def rate(numerator: int, denominator: int, digits: int = 3) -> float | str | None:
    """A share, suppressed when either count is small (the numerator would be recoverable); None on 0/0."""
    if denominator == 0:
        return None
    if numerator < SMALL_COUNT or denominator < SMALL_COUNT:
        return SUPPRESSED
    return round(numerator / denominator, digits)


def mean(values: Sequence[float], digits: int = 1) -> float | str | None:
    """A mean of at least ``SMALL_COUNT`` values; ``"<5"`` for fewer, None for none."""
    if not values:
        return None
    if len(values) < SMALL_COUNT:
        return SUPPRESSED
    return round(sum(values) / len(values), digits)


# --- sections -----------------------------------------------------------------------------------------


def rank_label(rank: int) -> str:
    return str(rank) if rank <= RANKS_SHOWN else f"{RANKS_SHOWN + 1}+"


def decisions_section(decisions: Sequence[DecisionFacts]) -> dict[str, Any]:
    """Acceptance rate by the rank of the option decided on, and why options were declined."""
    decided: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    for d in decisions:
        label = rank_label(d.option.rank)
        decided[label] += 1
        accepted[label] += d.outcome == "accepted"
    labels = sorted(decided, key=lambda label: int(label.rstrip("+")))
    reasons = Counter(d.reason_code or "other" for d in decisions if d.outcome == "declined")
    n_accepted = sum(accepted.values())
    return {
        "decided": count(len(decisions)),
        "accepted": count(n_accepted),
        "declined": count(len(decisions) - n_accepted),
        "by_rank": [
            {
                "rank": label,
                "decided": count(decided[label]),
                "accepted": count(accepted[label]),
                "declined": count(decided[label] - accepted[label]),
                "acceptance_rate": rate(accepted[label], decided[label]),
            }
            for label in labels
        ],
        "decline_reasons": {code: count(reasons.get(code, 0)) for code in DECLINE_REASONS},
    }


def not_rank_one_section(decisions: Sequence[DecisionFacts]) -> dict[str, Any]:
    """How often an accepted option was not rank 1, and where its points differed from rank 1's."""
    accepts = [d for d in decisions if d.outcome == "accepted"]
    other = [d for d in accepts if d.option.rank != 1]
    by_rank = Counter(rank_label(d.option.rank) for d in other)
    differences: defaultdict[str, list[int]] = defaultdict(list)
    for d in other:
        if d.top is None:
            continue
        for criterion in sorted(set(d.option.criteria) | set(d.top.criteria)):
            diff = d.option.criteria.get(criterion, 0) - d.top.criteria.get(criterion, 0)
            if diff:
                differences[criterion].append(diff)
    criteria = [
        {
            "criterion": criterion,
            "differed": count(len(diffs)),
            "chosen_higher": count(sum(x > 0 for x in diffs)),
            "chosen_lower": count(sum(x < 0 for x in diffs)),
            "mean_points_difference": mean([float(x) for x in diffs]),
        }
        for criterion, diffs in sorted(differences.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
    return {
        "accepted": count(len(accepts)),
        "not_rank_one": count(len(other)),
        "share": rate(len(other), len(accepts)),
        "by_chosen_rank": {label: count(n) for label, n in sorted(by_rank.items())},
        "criteria": criteria,
    }


def distance_band(km: float | None) -> str:
    if km is None:
        return NOT_RECORDED
    for upper, label in DISTANCE_BANDS_KM:
        if km < upper:
            return label
    return DISTANCE_BANDS_KM[-1][1]


def _yes_no(value: bool | None, yes: str = "yes", no: str = "no", unknown: str = NOT_RECORDED) -> str:
    return unknown if value is None else yes if value else no


#: The criterion values unplanned endings are broken down by: name -> (value of a placement, order).
ENDING_DIMENSIONS: dict[str, tuple[Callable[[PlacementFacts], str], tuple[str, ...]]] = {
    "distance_band": (
        lambda p: distance_band(p.distance_km),
        (*(label for _, label in DISTANCE_BANDS_KM), NOT_RECORDED),
    ),
    "provider": (lambda p: p.provider or NOT_RECORDED, ("in_house", "ifa", "kinship", "residential", "other")),
    "siblings": (lambda p: p.siblings or NOT_RECORDED, ("together", "split", "single")),
    "skills_matched": (
        lambda p: _yes_no(p.skills_matched, unknown="no skills needed or not recorded"),
        ("yes", "no", "no skills needed or not recorded"),
    ),
}


def _ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    present = set(values)
    return [v for v in order if v in present] + sorted(present - set(order))


def unplanned_endings_section(placements: Sequence[PlacementFacts], start: dt.date, end: dt.date) -> dict[str, Any]:
    """Placements that ended in the period: how many unplanned, why, and by the match's criterion values."""
    ended = [p for p in placements if p.ended_on is not None and start <= p.ended_on <= end]
    unplanned = [p for p in ended if p.ending == "unplanned"]
    reasons = Counter(p.disruption_reason or "other" for p in unplanned)
    by: dict[str, list[dict[str, Any]]] = {}
    for name, (value_of, order) in ENDING_DIMENSIONS.items():
        total = Counter(value_of(p) for p in ended)
        bad = Counter(value_of(p) for p in unplanned)
        by[name] = [
            {
                "value": value,
                "ended": count(total[value]),
                "unplanned": count(bad[value]),
                "unplanned_rate": rate(bad[value], total[value]),
            }
            for value in _ordered(total, order)
        ]
    return {
        "ended": count(len(ended)),
        "unplanned": count(len(unplanned)),
        "unplanned_rate": rate(len(unplanned), len(ended)),
        "by_reason": {code: count(reasons.get(code, 0)) for code in DISRUPTION_REASONS},
        "by": by,
    }


def stability_section(placements: Sequence[PlacementFacts], start: dt.date, end: dt.date) -> dict[str, Any]:
    """Children with a placement in the period; those with 3+ placements in it against the national
    figure (a 12-month measure); moves (a placement starting after an earlier one) per child per year."""
    by_child: defaultdict[str, list[PlacementFacts]] = defaultdict(list)
    for p in placements:
        if p.started_on <= end and (p.ended_on is None or p.ended_on >= start):
            by_child[p.child_id].append(p)
    children = len(by_child)
    unstable = sum(len(items) >= UNSTABLE_PLACEMENTS for items in by_child.values())
    moves = 0
    for items in by_child.values():
        ordered = sorted(items, key=lambda p: p.started_on)
        moves += sum(1 for p in ordered[1:] if start <= p.started_on <= end)
    years = ((end - start).days + 1) / DAYS_PER_YEAR
    per_child_year = round(moves / children / years, 3) if children >= SMALL_COUNT and years > 0 else None
    three_plus = rate(unstable, children)
    national = NATIONAL_THREE_PLUS_MOVES
    return {
        "children": count(children),
        "three_or_more_placements": count(unstable),
        "three_or_more_rate": three_plus,
        "national_rate": national.rate,
        "national_label": national.label,
        "national_source": national.source,
        "compared_with_national": (
            None
            if not isinstance(three_plus, float)
            else "above"
            if three_plus > national.rate
            else "below"
            if three_plus < national.rate
            else "equal"
        ),
        "moves": count(moves),
        "moves_per_child_per_year": per_child_year if children >= SMALL_COUNT else (SUPPRESSED if children else None),
        "period_years": round(years, 2),
        "note": "The national figure is over 12 months; over a shorter or longer period the rates are not alike.",
    }


def sibling_size_label(size: int | None) -> str:
    if size is None:
        return NOT_RECORDED
    return str(size) if size < 4 else "4+"


#: The characteristics placements are broken down by: name -> (value of a placement, order).
CHILD_DIMENSIONS: dict[str, tuple[Callable[[PlacementFacts], str], tuple[str, ...]]] = {
    "age_band": (
        lambda p: NOT_RECORDED if p.age_at_start is None else age_band(p.age_at_start),
        (*AGE_BAND_LABELS, NOT_RECORDED),
    ),
    "disability": (lambda p: _yes_no(p.disabled), ("yes", "no", NOT_RECORDED)),
    "ethnicity": (lambda p: p.ethnicity or NOT_RECORDED, (NOT_RECORDED,)),
    "sibling_group_size": (lambda p: sibling_size_label(p.sibling_group_size), ("1", "2", "3", "4+", NOT_RECORDED)),
}


def _figures(group: Sequence[PlacementFacts]) -> dict[str, Any]:
    providers = [p for p in group if p.provider is not None]
    groups = [p for p in group if p.siblings in ("together", "split")]
    return {
        "placements": count(len(group)),
        "mean_distance_km": mean([p.distance_km for p in group if p.distance_km is not None]),
        "in_house_rate": rate(sum(p.provider == "in_house" for p in providers), len(providers)),
        "siblings_together_rate": rate(sum(p.siblings == "together" for p in groups), len(groups)),
        "mean_days_waiting": mean([float(p.days_waiting) for p in group if p.days_waiting is not None]),
    }


def breakdowns_section(placements: Sequence[PlacementFacts], start: dt.date, end: dt.date) -> dict[str, Any]:
    """Placements started in the period and how they went, by the child's characteristics at the start."""
    started = [p for p in placements if start <= p.started_on <= end]
    result: dict[str, Any] = {"all": _figures(started)}
    for name, (value_of, order) in CHILD_DIMENSIONS.items():
        groups: defaultdict[str, list[PlacementFacts]] = defaultdict(list)
        for p in started:
            groups[value_of(p)].append(p)
        result[name] = [{"value": value, **_figures(groups[value])} for value in _ordered(groups, order)]
    return result


def outcomes_report(
    decisions: Sequence[DecisionFacts],
    placements: Sequence[PlacementFacts],
    start: dt.date,
    end: dt.date,
    weights: Mapping[str, int],
) -> dict[str, Any]:
    """The whole report for ``[start, end]`` as one JSON-ready dict (see the module's docstring).

    ``decisions`` are those taken in the period; ``placements`` every placement under way in it (the
    store's ``facts``); ``weights`` the weights in force, shown beside the review (never changed here).
    """
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "days": (end - start).days + 1},
        "suppression": f"counts below {SMALL_COUNT}, and rates or means built on them, are shown as {SUPPRESSED!r}",
        "decisions": decisions_section(decisions),
        "not_rank_one": not_rank_one_section(decisions),
        "unplanned_endings": unplanned_endings_section(placements, start, end),
        "stability": stability_section(placements, start, end),
        "breakdowns": breakdowns_section(placements, start, end),
        "weight_review": weight_review(decisions, weights),
    }
