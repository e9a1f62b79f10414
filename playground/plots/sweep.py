"""The learning-rate sweep's figures, from the sweep's DataFrame (``playground.training.sweep``).

Two Plotly figures as plain dicts: the loss each rate reached against the rate (log-log: too small is slow,
too large diverges), and every rate's loss curve over the epochs. Rates are coloured from dark (small) to light
(large) on the viridis scale, the same in both, so a curve and its point are found by colour.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playground.plots.history import log_axis_dtick
from playground.plots.style import FONT, VIRIDIS, base_layout

DIVERGED_MARKER = {"symbol": "x", "size": 14, "color": "#B3261E", "line": {"width": 2}}
CURRENT_COLOUR = "#111111"


def rate_colours(n_rates: int) -> list[str]:
    """Viridis from dark (the smallest rate) to light (the largest), one per rate."""
    if n_rates == 1:
        return [VIRIDIS[0]]
    return [VIRIDIS[round(i * (len(VIRIDIS) - 1) / (n_rates - 1))] for i in range(n_rates)]


def final_losses(sweep: pd.DataFrame, column: str = "train_loss") -> pd.DataFrame:
    """Per rate: the loss at the last epoch (NaN when it diverged) and the epoch it diverged at (NaN if never).

    Columns learning_rate, final, diverged_at; one row per rate, smallest first."""
    rows = []
    for rate, run in sweep.groupby("learning_rate", sort=True):
        values = run[column].to_numpy()
        lost = np.flatnonzero(~np.isfinite(values))
        diverged_at = float(run["epoch"].to_numpy()[lost[0]]) if lost.size else math.nan
        rows.append({"learning_rate": rate, "final": values[-1], "diverged_at": diverged_at})
    return pd.DataFrame(rows, columns=["learning_rate", "final", "diverged_at"])


def best_rate(sweep: pd.DataFrame, column: str = "train_loss") -> float | None:
    """The rate with the lowest final loss (None when every run diverged)."""
    finals = final_losses(sweep, column)
    finite = finals[np.isfinite(finals["final"])]
    return None if finite.empty else float(finite.loc[finite["final"].idxmin(), "learning_rate"])


def _decade_ticks(values) -> dict:
    """A log axis's tick settings over ``values``: a label per decade (or fewer: ``history.log_axis_dtick``) when
    they span two decades or more; else Plotly's own (1, 2, 5 within a decade: a power of ten may not be in
    range). Plotly's 1-2-5 labels over four decades run into each other (0.0002 0.0005 0.001) or crowd."""
    values = np.asarray([v for v in values if v is not None and np.isfinite(v) and v > 0], dtype=float)
    if values.size == 0:
        return {}
    low, high = math.log10(values.min()), math.log10(values.max())
    return {"dtick": log_axis_dtick([low, high])} if high - low >= 2 else {}


def _readable_axes(layout: dict) -> dict:
    """Dark axis titles and ticks at projector sizes, set on the axes themselves: ``st.plotly_chart``'s theme
    would otherwise make them grey and smaller (12.75 px ticks) than the live charts'. In place; returned."""
    for axis in ("xaxis", "yaxis"):
        layout[axis]["tickfont"] = {"size": 14, "color": FONT["color"]}
        layout[axis]["title"]["font"] = {"size": FONT["size"], "color": FONT["color"]}
    return layout


def _rate_label(rate: float) -> str:
    return f"{rate:.3g}"


def sweep_final_figure(sweep: pd.DataFrame, current_rate: float, height: int = 340) -> dict:
    """The final train and test loss against the learning rate (both axes log); diverged runs as red crosses
    along the top, the current rate as a dashed vertical line."""
    finals = {column: final_losses(sweep, column) for column in ("train_loss", "test_loss")}
    rates = finals["train_loss"]["learning_rate"].to_numpy()
    colours = rate_colours(len(rates))
    data = []
    for column, name, dash in (("train_loss", "train loss", "solid"), ("test_loss", "test loss", "dash")):
        values = finals[column]["final"].to_numpy()
        shown = [float(v) if np.isfinite(v) and v > 0 else None for v in values]
        line = {"color": "#0072B2" if column == "train_loss" else "#D55E00", "width": 3, "dash": dash}
        # The line and its rate-coloured points as two traces (one legend entry, one group): in the legend a
        # lines+markers trace shows its first point's colour (the smallest rate's), not the line's.
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": rates.tolist(),
                "y": shown,
                "name": name,
                "legendgroup": name,
                "line": line,
                "hoverinfo": "skip",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": rates.tolist(),
                "y": shown,
                "name": f"{name} (a point per rate)",
                "legendgroup": name,
                "showlegend": False,
                "marker": {"size": 11, "color": colours, "line": {"color": "white", "width": 1}},
                "hovertemplate": f"learning rate %{{x:.3g}}<br>final {name}: %{{y:.4f}}<extra></extra>",
            }
        )
    finite = [v for f in finals.values() for v in f["final"] if np.isfinite(v) and v > 0]
    top = max(finite) if finite else 1.0
    diverged = finals["train_loss"][np.isfinite(finals["train_loss"]["diverged_at"])]
    if len(diverged):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": diverged["learning_rate"].tolist(),
                "y": [top * 2.0] * len(diverged),
                "name": "diverged",
                "marker": DIVERGED_MARKER,
                "customdata": diverged["diverged_at"].tolist(),
                "hovertemplate": "learning rate %{x:.3g}<br>diverged at epoch %{customdata}<extra></extra>",
            }
        )
    layout = base_layout("learning rate (log scale)", "final loss (log scale)", height)
    layout["xaxis"].update(type="log", tickformat="~g", **_decade_ticks(rates))
    layout["yaxis"].update(type="log", tickformat="~g", **_decade_ticks([y for trace in data for y in trace["y"]]))
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "x0": current_rate,
            "x1": current_rate,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": CURRENT_COLOUR, "width": 2, "dash": "dot"},
        }
    ]
    layout["annotations"] = [
        {
            "x": math.log10(current_rate),
            "xref": "x",
            "y": 1.0,
            "yref": "paper",
            "yanchor": "bottom",
            "text": f"now: {_rate_label(current_rate)}",
            "showarrow": False,
            "font": {"size": 14, "color": CURRENT_COLOUR},
        }
    ]
    layout["legend"] = {"orientation": "h", "x": 0, "y": -0.28, "font": FONT}
    layout["margin"].update(t=30, b=90)
    return {"data": data, "layout": _readable_axes(layout)}


def sweep_curves_figure(sweep: pd.DataFrame, height: int = 340) -> dict:
    """Every rate's train loss over the epochs (log loss axis), coloured by rate; a curve ends where it diverged."""
    rates = np.sort(sweep["learning_rate"].unique())
    data = []
    for rate, colour in zip(rates, rate_colours(len(rates))):
        run = sweep[sweep["learning_rate"] == rate]
        values = run["train_loss"].to_numpy()
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": run["epoch"].tolist(),
                "y": [float(v) if np.isfinite(v) and v > 0 else None for v in values],
                "name": f"lr {_rate_label(rate)}",
                "line": {"color": colour, "width": 2.5},
                "hovertemplate": f"lr {_rate_label(rate)}<br>epoch %{{x}}<br>train loss %{{y:.4f}}<extra></extra>",
            }
        )
    layout = base_layout("epoch", "train loss (log scale)", height)
    layout["yaxis"].update(type="log", tickformat="~g", **_decade_ticks([y for trace in data for y in trace["y"]]))
    layout["legend"] = {"font": {**FONT, "size": 14}, "x": 1.02, "y": 1}
    layout["margin"].update(t=30, r=120)
    return {"data": data, "layout": _readable_axes(layout)}
