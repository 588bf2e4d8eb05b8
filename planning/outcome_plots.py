"""Charts of the outcomes report, as PNG and SVG files (``report outcomes --plots``) or PNG bytes (the
managers' page). matplotlib's object API with the Agg canvas: no display, no pyplot state, so the page's
charts can be drawn on several threads at once.

They draw only what the report publishes: a suppressed figure (``"<5"``) is drawn as a hatched gap
with its label, never as its true value.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: The report's charts, by file name, with what each shows (a caption, and the page's alt text).
CHARTS = {
    "acceptance_by_rank": "Acceptance rate by the rank of the option decided on",
    "unplanned_by_distance": "Share of placements that ended unplanned, by distance band",
    "stability_vs_england": "Children with 3 or more placements: this council against England",
}


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


def _acceptance_by_rank(report: dict[str, Any]) -> Figure:
    by_rank = report["decisions"]["by_rank"]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    _bars(ax, [r["rank"] for r in by_rank], [r["acceptance_rate"] for r in by_rank], "Acceptance by rank", "share")
    ax.set_xlabel("rank of the option decided on")
    return fig


def _unplanned_by_distance(report: dict[str, Any]) -> Figure:
    bands = report["unplanned_endings"]["by"]["distance_band"]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    _bars(ax, [b["value"] for b in bands], [b["unplanned_rate"] for b in bands], "Unplanned endings", "share ended")
    ax.tick_params(axis="x", labelrotation=20)
    return fig


def _stability_vs_england(report: dict[str, Any]) -> Figure:
    stability = report["stability"]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    _bars(
        ax,
        ["this council", "England"],
        [stability["three_or_more_rate"], stability["national_rate"]],
        "Children with 3+ placements",
        "share of children",
    )
    return fig


_DRAW: dict[str, Callable[[dict[str, Any]], Figure]] = {
    "acceptance_by_rank": _acceptance_by_rank,
    "unplanned_by_distance": _unplanned_by_distance,
    "stability_vs_england": _stability_vs_england,
}


def outcome_figure(report: dict[str, Any], name: str) -> Figure:
    """One of ``CHARTS`` drawn from a report (``KeyError`` for another name)."""
    fig = _DRAW[name](report)
    fig.tight_layout()
    return fig


def outcome_png(report: dict[str, Any], name: str) -> bytes:
    """One of ``CHARTS`` as PNG bytes."""
    buffer = io.BytesIO()
    outcome_figure(report, name).savefig(buffer, format="png")
    return buffer.getvalue()


def save_outcome_plots(report: dict[str, Any], folder: Path) -> list[Path]:
    """Acceptance rate by rank, unplanned endings by distance band, and stability against England."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in CHARTS:
        fig = outcome_figure(report, name)
        for path in (folder / f"{name}.png", folder / f"{name}.svg"):
            fig.savefig(path)
            written.append(path)
    return written
