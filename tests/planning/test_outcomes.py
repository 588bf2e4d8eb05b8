"""The outcomes report and the weight review, on hand-made facts: given these decisions and placements,
these figures, with every count under 5 (and every rate built on one) shown as "<5"."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from domain.outcomes import DecisionFacts, OptionFacts, PlacementFacts
from planning.outcome_plots import save_outcome_plots
from planning.outcomes import (
    NATIONAL_THREE_PLUS_MOVES,
    SUPPRESSED,
    count,
    distance_band,
    mean,
    outcomes_report,
    rate,
)
from planning.weight_review import pairs_from, sign_test, weight_review
from scoring.weights import DEFAULT_WEIGHTS

START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def _option(rec: int, rank: int, score: float, **criteria: int) -> OptionFacts:
    return OptionFacts(recommendation_id=rec, rank=rank, score=score, households=(f"H{rec}",), criteria=criteria)


def _accept(n: int, chosen: OptionFacts, top: OptionFacts | None, request: str | None = None) -> DecisionFacts:
    return DecisionFacts(n, request or f"R{n}", dt.date(2026, 3, 1), "accepted", None, chosen, top)


def _decline(n: int, option: OptionFacts, code: str, request: str) -> DecisionFacts:
    return DecisionFacts(n, request, dt.date(2026, 3, 1), "declined", code, option)


def _placement(n: int, child: str, start: dt.date, **kw: object) -> PlacementFacts:
    return PlacementFacts(placement_id=n, child_id=child, started_on=start, source="service", **kw)  # type: ignore[arg-type]


def test_suppression_of_counts_rates_and_means() -> None:
    assert [count(n) for n in (0, 4, 5, 12)] == [SUPPRESSED, SUPPRESSED, 5, 12]
    assert rate(4, 100) == SUPPRESSED and rate(10, 4) == SUPPRESSED and rate(0, 0) is None
    assert rate(5, 20) == 0.25
    assert mean([1.0, 2.0, 3.0, 4.0]) == SUPPRESSED and mean([]) is None and mean([2.0] * 5) == 2.0


def test_distance_bands() -> None:
    assert [distance_band(km) for km in (None, 0.0, 4.99, 5.0, 20.0, 40.0)] == [
        "not recorded",
        "under 5 km",
        "under 5 km",
        "5 km to 10 miles",
        "10 to 20 miles",
        "20 miles or more",
    ]


def _decisions() -> list[DecisionFacts]:
    """Six accepts at rank 2 chosen for distance over a cheaper rank 1, four at rank 1; three declines."""
    decisions: list[DecisionFacts] = []
    for n in range(6):
        top = _option(100 + n, 1, 900, distance=100, weekly_cost=300)
        chosen = _option(200 + n, 2, 850, distance=180, weekly_cost=170)
        decisions.append(_accept(n, chosen, top))
    for n in range(6, 10):
        top = _option(100 + n, 1, 900, distance=100)
        decisions.append(_accept(n, top, top))
    for n, code in zip(range(10, 13), ("distance_school", "carer_declined", "distance_school"), strict=True):
        decisions.append(_decline(n, _option(300 + n, 1, 950, distance=50), code, f"R{n - 10}"))
    return decisions


def test_decisions_acceptance_by_rank_and_reasons() -> None:
    report = outcomes_report(_decisions(), [], START, END, DEFAULT_WEIGHTS)
    d = report["decisions"]
    assert d["decided"] == 13 and d["accepted"] == 10 and d["declined"] == SUPPRESSED
    by_rank = {r["rank"]: r for r in d["by_rank"]}
    assert by_rank["1"]["decided"] == 7 and by_rank["1"]["accepted"] == SUPPRESSED
    assert by_rank["1"]["acceptance_rate"] == SUPPRESSED  # four of seven: the numerator is small
    assert by_rank["2"] == {"rank": "2", "decided": 6, "accepted": 6, "declined": SUPPRESSED, "acceptance_rate": 1.0}
    assert d["decline_reasons"]["distance_school"] == SUPPRESSED


def test_not_rank_one_names_the_criteria_that_differed() -> None:
    section = outcomes_report(_decisions(), [], START, END, DEFAULT_WEIGHTS)["not_rank_one"]
    assert section["accepted"] == 10 and section["not_rank_one"] == 6 and section["share"] == 0.6
    criteria = {c["criterion"]: c for c in section["criteria"]}
    assert criteria["distance"]["chosen_higher"] == 6 and criteria["distance"]["mean_points_difference"] == 80.0
    assert criteria["weekly_cost"]["chosen_lower"] == 6 and criteria["weekly_cost"]["mean_points_difference"] == -130.0


def test_weight_review_finds_the_team_weighs_distance_more() -> None:
    decisions = _decisions()
    pairs = pairs_from(decisions)
    # Six chosen-over-rank-1 pairs; three accepted-over-declined pairs (requests R0..R2 were accepted).
    assert sum(p.kind == "chosen_over_rank_1" for p in pairs) == 6
    assert sum(p.kind == "accepted_over_declined" for p in pairs) == 3
    review = weight_review(decisions, DEFAULT_WEIGHTS)
    assert review["disagreeing_pairs"] == 9
    top = review["criteria"][0]
    assert top["criterion"] == "distance" and top["direction"] == "team weighs it more"
    assert top["preferred_had_more"] == 9 and top["sign_test_p"] == sign_test(9, 0) == 0.0039
    assert top["weights"] == {"distance": 200, "near_home_bonus": 100} and top["consistent"]
    assert any(line.startswith("distance:") for line in review["consistent_disagreements"])
    assert "never" not in review["note"] or "only when a manager edits" in review["note"]


def test_weight_review_suppresses_a_handful_of_pairs() -> None:
    decisions = _decisions()[:3]
    review = weight_review(decisions, DEFAULT_WEIGHTS)
    assert review["pairs"] == SUPPRESSED
    assert all(row["direction"] == SUPPRESSED and row["sign_test_p"] is None for row in review["criteria"])


def test_unplanned_endings_by_criterion_values() -> None:
    placements = [
        _placement(n, f"C{n}", dt.date(2026, 2, 1), ended_on=dt.date(2026, 6, 1), ending="unplanned",
                   disruption_reason="distance_from_school", distance_km=45.0, provider="ifa", siblings="single")
        for n in range(6)
    ] + [
        _placement(n, f"C{n}", dt.date(2026, 2, 1), ended_on=dt.date(2026, 8, 1), ending="planned",
                   distance_km=3.0, provider="in_house", siblings="single", skills_matched=True)
        for n in range(6, 14)
    ]  # fmt: skip
    section = outcomes_report([], placements, START, END, DEFAULT_WEIGHTS)["unplanned_endings"]
    assert section["ended"] == 14 and section["unplanned"] == 6 and section["unplanned_rate"] == 0.429
    assert section["by_reason"]["distance_from_school"] == 6 and section["by_reason"]["other"] == SUPPRESSED
    bands = {row["value"]: row for row in section["by"]["distance_band"]}
    assert bands["20 miles or more"]["unplanned_rate"] == 1.0
    assert bands["under 5 km"] == {
        "value": "under 5 km",
        "ended": 8,
        "unplanned": SUPPRESSED,
        "unplanned_rate": SUPPRESSED,
    }
    providers = {row["value"]: row["unplanned"] for row in section["by"]["provider"]}
    assert providers == {"in_house": SUPPRESSED, "ifa": 6}


def test_stability_against_the_national_figure() -> None:
    placements: list[PlacementFacts] = []
    n = 0
    for child in range(20):  # 20 children, 5 of them with three placements in the year
        moves = 3 if child < 5 else 1
        for k in range(moves):
            n += 1
            start = dt.date(2026, 1 + 3 * k, 1)
            end = dt.date(2026, 3 + 3 * k, 28) if k < moves - 1 else None
            placements.append(_placement(n, f"C{child}", start, ended_on=end))
    stability = outcomes_report([], placements, START, END, DEFAULT_WEIGHTS)["stability"]
    assert stability["children"] == 20 and stability["three_or_more_placements"] == 5
    assert stability["three_or_more_rate"] == 0.25 and stability["compared_with_national"] == "above"
    assert stability["national_rate"] == NATIONAL_THREE_PLUS_MOVES.rate == 0.10
    assert "004_f997a99ff8e3c9a4" in stability["national_source"]
    assert stability["moves"] == 10 and stability["moves_per_child_per_year"] == 0.5


def test_breakdowns_suppress_small_groups_and_their_rates() -> None:
    placements = [
        _placement(n, f"C{n}", dt.date(2026, 4, 1), age_at_start=14, disabled=False, ethnicity="WBRI",
                   sibling_group_size=1, siblings="single", provider="in_house", distance_km=10.0, days_waiting=3)
        for n in range(8)
    ] + [
        _placement(n, f"C{n}", dt.date(2026, 4, 1), age_at_start=3, disabled=True, ethnicity="BAFR",
                   sibling_group_size=2, siblings="together", provider="ifa", distance_km=30.0, days_waiting=9)
        for n in range(8, 11)
    ]  # fmt: skip
    b = outcomes_report([], placements, START, END, DEFAULT_WEIGHTS)["breakdowns"]
    ethnicity = {row["value"]: row for row in b["ethnicity"]}
    assert ethnicity["WBRI"]["placements"] == 8 and ethnicity["WBRI"]["mean_distance_km"] == 10.0
    assert ethnicity["WBRI"]["in_house_rate"] == 1.0 and ethnicity["WBRI"]["mean_days_waiting"] == 3.0
    assert set(ethnicity["BAFR"].values()) - {"BAFR", None} == {SUPPRESSED}
    assert [row["value"] for row in b["age_band"]] == ["1-4", "10-15"]
    assert {row["value"] for row in b["disability"]} == {"yes", "no"}
    assert b["all"]["placements"] == 11 and b["all"]["in_house_rate"] == 0.727
    # Nothing identifying leaks through the JSON: no small count anywhere in it.
    text = json.dumps(b)
    for small in (" 3,", " 1,", " 2,"):
        assert f'"placements":{small}' not in text.replace(": ", ":")


def test_plots_are_written_without_revealing_suppressed_figures(tmp_path: Path) -> None:
    report = outcomes_report(_decisions(), [], START, END, DEFAULT_WEIGHTS)
    written = save_outcome_plots(report, tmp_path / "plots")
    assert {p.name for p in written} >= {"acceptance_by_rank.png", "stability_vs_england.svg"}
    assert all(p.stat().st_size > 1000 for p in written)
