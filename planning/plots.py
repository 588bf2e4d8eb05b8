"""Charts planners look at, saved as PNG and SVG (matplotlib, Agg backend: no display needed).

* fan chart: children with in-house, kinship and agency carers and in residential care over time (mean
  and 10-90% band);
* cost: weekly cost over time and cost per year;
* shortfall: children sent outside matching a year, by age band and the carer type they needed;
* marginal value: what one more household of each type saves a year, and children kept local;
* comparison of two scenarios (fan chart and cost side by side).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from planning.montecarlo import RunResult

#: Colours by where a child lives (colour-blind-safe palette, Okabe-Ito).
COLOURS = {
    "in_house": "#0072B2",
    "kinship": "#009E73",
    "ifa": "#E69F00",
    "residential": "#D55E00",
    "waiting": "#999999",
}
LABELS = {
    "in_house": "in-house foster carers",
    "kinship": "kinship (connected) carers",
    "ifa": "agency (IFA) carers",
    "residential": "residential care",
    "waiting": "waiting",
}
FAN_SERIES = ("in_house", "kinship", "ifa", "residential")


def _save(figure: Figure, directory: Path, name: str) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in ("png", "svg"):
        path = directory / f"{name}.{suffix}"
        figure.savefig(path, dpi=120, bbox_inches="tight")
        written.append(str(path))
    plt.close(figure)
    return written


def _dates(result: RunResult) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in result.dates]


def _fan(axis: Any, result: RunResult, name: str, label: str, colour: str, style: str = "-") -> None:
    values = result.series(name)
    dates = _dates(result)
    axis.fill_between(dates, np.quantile(values, 0.1, axis=0), np.quantile(values, 0.9, axis=0), color=colour,
                      alpha=0.2, linewidth=0)  # fmt: skip
    axis.plot(dates, values.mean(axis=0), style, color=colour, label=label)


def fan_chart(result: RunResult, directory: Path) -> list[str]:
    figure, axis = plt.subplots(figsize=(9, 5))
    for name in FAN_SERIES:
        _fan(axis, result, name, LABELS[name], COLOURS[name])
    axis.set_title(f"{result.name}: where children live (mean and 10-90% band, {len(result.replications)} runs)")
    axis.set_ylabel("children")
    axis.legend(loc="upper left", fontsize=8)
    axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _save(figure, directory, "fan_chart")


def cost_chart(result: RunResult, directory: Path) -> list[str]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    weekly = result.series("weekly_cost_gbp") / 1000.0
    dates = _dates(result)
    left.fill_between(dates, np.quantile(weekly, 0.1, axis=0), np.quantile(weekly, 0.9, axis=0), alpha=0.2)
    left.plot(dates, weekly.mean(axis=0))
    left.set_title("weekly cost of placements (£k)")
    left.grid(alpha=0.3)
    left.tick_params(axis="x", rotation=30)
    yearly = result.yearly("step_cost_gbp") / 1e6
    years = [f"year {y + 1}" for y in range(yearly.shape[1])]
    mean = yearly.mean(axis=0)
    low, high = np.quantile(yearly, 0.1, axis=0), np.quantile(yearly, 0.9, axis=0)
    right.bar(years, mean, yerr=[mean - low, high - mean], capsize=4, color="#56B4E9")
    right.set_title("cost a year (£m, 10-90% band)")
    right.grid(alpha=0.3, axis="y")
    figure.suptitle(result.name)
    return _save(figure, directory, "cost")


def shortfall_chart(result: RunResult, directory: Path) -> list[str]:
    summary = result.summary()["shortfall_per_year"]
    mean = np.asarray(summary["mean"])  # band x type
    types = summary["carer_types"]
    keep = [j for j in range(len(types)) if mean[:, j].sum() > 0] or list(range(len(types)))
    figure, axis = plt.subplots(figsize=(9, 4.5))
    bottom = np.zeros(mean.shape[0])
    palette = plt.get_cmap("tab10")
    for k, j in enumerate(keep):
        axis.bar(summary["age_bands"], mean[:, j], bottom=bottom, label=types[j].replace("_", " "), color=palette(k))
        bottom += mean[:, j]
    axis.set_title("children placed outside matching a year, by age band and the carer type they needed")
    axis.set_xlabel("age band")
    axis.set_ylabel("children a year (mean)")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3, axis="y")
    return _save(figure, directory, "shortfall")


def marginal_chart(values: Sequence[Mapping[str, Any]], directory: Path) -> list[str]:
    """Bars of saving a year and children kept local per extra household, with their 10-90% bands."""
    if not values:
        return []
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    names = [v["carer_type"].replace("_", " ") for v in values]
    for axis, key, title, scale in (
        (left, "saving_gbp_per_year", "saving a year per extra household (£k)", 1000.0),
        (right, "more_children_local_per_year", "more children placed locally a year", 1.0),
    ):
        mean = np.asarray([v[key]["mean"] for v in values]) / scale
        low = np.asarray([v[key]["p10"] for v in values]) / scale
        high = np.asarray([v[key]["p90"] for v in values]) / scale
        axis.bar(names, mean, yerr=[np.maximum(0, mean - low), np.maximum(0, high - mean)], capsize=4,
                 color="#009E73")  # fmt: skip
        axis.axhline(0, color="black", linewidth=0.8)
        axis.set_title(title)
        axis.grid(alpha=0.3, axis="y")
        axis.tick_params(axis="x", rotation=20)
    figure.suptitle("marginal value of one more household (paired runs, 10-90% band)")
    return _save(figure, directory, "marginal_value")


def comparison_chart(a: RunResult, b: RunResult, directory: Path) -> list[str]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for result, style in ((a, "-"), (b, "--")):
        for name in ("in_house", "ifa", "residential"):
            _fan(left, result, name, f"{result.name}: {LABELS[name]}", COLOURS[name], style)
        weekly = result.series("weekly_cost_gbp") / 1000.0
        dates = _dates(result)
        right.fill_between(dates, np.quantile(weekly, 0.1, axis=0), np.quantile(weekly, 0.9, axis=0), alpha=0.15)
        right.plot(dates, weekly.mean(axis=0), style, label=result.name)
    left.set_title("where children live")
    left.legend(fontsize=7)
    left.grid(alpha=0.3)
    left.tick_params(axis="x", rotation=30)
    right.set_title("weekly cost (£k)")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    right.tick_params(axis="x", rotation=30)
    return _save(figure, directory, "comparison")


def all_charts(result: RunResult, directory: Path, marginal: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    written = fan_chart(result, directory) + cost_chart(result, directory) + shortfall_chart(result, directory)
    return written + marginal_chart(marginal, directory)
