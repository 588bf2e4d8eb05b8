"""Summaries, marginal value and the budgeted plan, the backtest, and the charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interop.ssda903 import build_model, read_return
from planning.backtest import backtest
from planning.marginal import MarginalValue, marginal_values, paired, predicted_saving, recruitment_plan
from planning.montecarlo import run_replications
from planning.plots import all_charts, comparison_chart
from planning.simulate import SimulationInput
from tests.planning.conftest import FIXTURES


def test_summary_has_mean_and_band_for_every_step(tiny_input: SimulationInput) -> None:
    result = run_replications(tiny_input, 3)
    summary = result.summary()
    steps = len(summary["dates"])
    assert steps == tiny_input.steps == 2
    for name in ("in_house", "ifa", "residential", "waiting", "weekly_cost_gbp", "mean_distance_km"):
        series = summary["per_step"][name]
        assert len(series["mean"]) == steps
        for low, mean, high in zip(series["p10"], series["mean"], series["p90"], strict=True):
            assert low is None or low <= mean <= high
    assert list(summary["yearly_cost_gbp"]) == ["year 1"]  # two months: one (scaled) part-year
    shortfall = np.asarray(summary["shortfall_per_year"]["mean"])
    assert shortfall.shape == (5, 7)
    to_outside = summary["totals_per_year"]["to_ifa"]["mean"] + summary["totals_per_year"]["to_residential"]["mean"]
    assert shortfall.sum() == pytest.approx(to_outside, rel=1e-3)  # each cell rounded to 3 decimals


def test_marginal_value_is_a_paired_difference(month_input: SimulationInput) -> None:
    base = run_replications(month_input, 2)
    values = marginal_values(month_input, base, ["specialist"], step=1)
    one, more = values["specialist"]
    assert more is None and one.added == 1
    plus = run_replications(month_input, 2, extra={"specialist": 1})
    again = paired(base, plus, "specialist", 1)
    assert np.array_equal(one.saving_per_year, again.saving_per_year)
    expected = base.per_year("step_cost_gbp") - plus.per_year("step_cost_gbp")
    assert np.allclose(one.saving_per_year, expected)
    assert set(one.to_json()["saving_gbp_per_year"]) == {"mean", "p10", "p90", "stderr"}


def _value(carer_type: str, added: int, saving: float) -> MarginalValue:
    zeros = np.zeros(4)
    return MarginalValue(carer_type, added, np.full(4, saving), zeros, zeros)


def test_recruitment_plan_is_greedy_on_saving_per_pound_with_diminishing_returns() -> None:
    values = {
        # specialist: 60k for the first, then (100k - 60k) / 3 = 13.3k each; mainstream: 10k, then 10k each.
        "specialist": (_value("specialist", 1, 60_000), _value("specialist", 4, 100_000)),
        "mainstream": (_value("mainstream", 1, 10_000), _value("mainstream", 4, 40_000)),
        "pathway": (_value("pathway", 1, -5_000), None),
    }
    costs = {"specialist": 20_000, "mainstream": 10_000, "pathway": 5_000}
    plan = recruitment_plan(values, costs, 50_000)
    # 60k/20k = 3.0 first; then mainstream 1.0 beats specialist 13.3k/20k = 0.67: three mainstream.
    assert plan == {"specialist": 1, "mainstream": 3}
    assert predicted_saving(values, plan) == pytest.approx(60_000 + 30_000)
    assert recruitment_plan(values, costs, 1_000) == {}


def test_backtest_reports_projection_against_the_return() -> None:
    data = read_return(FIXTURES / "ssda903")
    everything = build_model(data)
    fitted = build_model(data, before_year=2023)
    result = backtest(fitted, everything.observed["2022"], everything.observed["2023"], 2023, 30, 5)
    rows = {row["measure"]: row for row in result["rows"]}
    assert rows["in_care"]["actual"] == everything.observed["2023"].in_care
    assert rows["entries"]["actual"] == everything.observed["2023"].entries
    for row in rows.values():
        assert row["p10"] <= row["projected"] <= row["p90"]
    # The demand model carries the county: its projection of children in care is within a fifth.
    assert abs(rows["in_care"]["error_pct"]) < 20
    assert result["fitted_years"] == [2020, 2021, 2022]


def test_charts_are_written_as_png_and_svg(month_input: SimulationInput, tmp_path: Path) -> None:
    result = run_replications(month_input, 2)
    marginal = [{"carer_type": "specialist", "saving_gbp_per_year": {"mean": 5.0, "p10": 1.0, "p90": 9.0},
                 "more_children_local_per_year": {"mean": 0.5, "p10": 0.0, "p90": 1.0}}]  # fmt: skip
    written = all_charts(result, tmp_path, marginal) + comparison_chart(result, result, tmp_path)
    names = sorted(Path(p).name for p in written)
    for stem in ("fan_chart", "cost", "shortfall", "marginal_value", "comparison"):
        assert f"{stem}.png" in names and f"{stem}.svg" in names
    assert all(Path(p).stat().st_size > 1000 for p in written)
    assert (tmp_path / "fan_chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
