"""Charts of the outcomes report, saved as PNG and SVG (matplotlib, Agg backend: no display needed).

They draw only what the report publishes: a suppressed figure (``"<5"``) is drawn as a hatched gap
with its label, never as its true value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _bars(ax: Axes, labels: list[str], values: list[Any], title: str, ylabel: str) -> None:
    shown = [v if isinstance(v, float | int) else 0.0 for v in values]
    bars = ax.bar(labels, shown, color="#1d70b8")
    for bar, value in zip(bars, values, strict=True):
        if not isinstance(value, float | int):
            bar.set_hatch("//")
            bar.set_facecolor("#f3f2f1")
        text = f"{value:.0%}" if isinstance(value, float) else str(value if value is not None else "–")
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)


def _save(fig: Figure, folder: Path, name: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    fig.tight_layout()
    for path in paths:
        fig.savefig(path)
    plt.close(fig)
    return paths


def save_outcome_plots(report: dict[str, Any], folder: Path) -> list[Path]:
    """Acceptance rate by rank, unplanned endings by distance band, and stability against England."""
    written: list[Path] = []
    by_rank = report["decisions"]["by_rank"]
    fig, ax = plt.subplots(figsize=(6, 4))
    _bars(ax, [r["rank"] for r in by_rank], [r["acceptance_rate"] for r in by_rank], "Acceptance by rank", "share")
    ax.set_xlabel("rank of the option decided on")
    written += _save(fig, folder, "acceptance_by_rank")

    bands = report["unplanned_endings"]["by"]["distance_band"]
    fig, ax = plt.subplots(figsize=(7, 4))
    _bars(ax, [b["value"] for b in bands], [b["unplanned_rate"] for b in bands], "Unplanned endings", "share ended")
    ax.tick_params(axis="x", labelrotation=20)
    written += _save(fig, folder, "unplanned_by_distance")

    stability = report["stability"]
    fig, ax = plt.subplots(figsize=(5, 4))
    _bars(
        ax,
        ["this council", "England"],
        [stability["three_or_more_rate"], stability["national_rate"]],
        "Children with 3+ placements",
        "share of children",
    )
    written += _save(fig, folder, "stability_vs_england")
    return written
