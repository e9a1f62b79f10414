"""The loss landscape's figure: a contour map of the training loss with the optimiser's path.

Arrays in (a ``playground.teaching.landscape.Landscape``), a figure out: ``landscape_figure_dict`` gives the
JSON-able dict that ``Plotly.react`` takes (as the rest of ``playground.plots`` does, NaN as null),
``landscape_figure`` the same as a ``plotly.graph_objects.Figure`` (plotly imported only there).

The losses span decades (a valley at 0.01 beside walls at 10), so the colours are log10 of the loss, with the
colour bar labelled in loss values; Viridis (dark valleys, yellow walls; safe for the common colour-vision
deficiencies). The path is white over a dark halo, readable on every colour of the scale. Where the loss is
not a number the map is blank (and a note says so); an infinite loss takes the top colour.
"""

from __future__ import annotations

import math

import numpy as np

from playground.plots.style import FONT

COLOUR_SCALE = "Viridis"
MAX_DECADES = 5.0  # a default colour range spans at most this many decades up from the lowest loss
CONTOUR_LEVELS = 16
PATH_COLOUR, HALO_COLOUR = "#FFFFFF", "#1F2933"
START_COLOUR, NOW_COLOUR = "#E69F00", "#D55E00"  # Okabe-Ito orange and vermillion
NOTE_COLOUR = "#9A3412"
LEGEND_FONT = {"size": 14}
_MANTISSAS = ((1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0), (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0))


def _positive_finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values) & (values > 0)]


def landscape_loss_range(*landscapes) -> tuple[float, float]:
    """One colour range (low, high) in loss units for one or more landscapes (compare mode: run A and run B on
    one scale): the lowest positive finite loss of their grids and paths, up to the highest but at most
    MAX_DECADES above the lowest (higher losses take the top colour). (0.1, 10) when there is none."""
    values = np.concatenate(
        [_positive_finite(np.concatenate((np.ravel(s.losses), np.ravel(s.path_losses)))) for s in landscapes]
        or [np.zeros(0)]
    )
    if values.size == 0:
        return 0.1, 10.0
    low, high = float(values.min()), float(values.max())
    high = min(high, low * 10.0**MAX_DECADES)
    if high <= low * 1.0001:  # a flat map: a little room either side
        low, high = low / 1.1, high * 1.1
    return low, high


def _nice_step(width: float) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about 5 intervals over ``width``."""
    raw = width / 5.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)


def _log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Colour-bar ticks between log10 values low and high: (positions in log10, labels in loss values),
    at 1-2-5 per decade, finer steps on a narrower range, and round linear steps on a very narrow one."""
    values: list[float] = []
    digits = 3
    for mantissas in _MANTISSAS:
        values = [
            m * 10.0**decade
            for decade in range(math.floor(low) - 1, math.ceil(high) + 1)
            for m in mantissas
            if low - 1e-9 <= math.log10(m * 10.0**decade) <= high + 1e-9
        ]
        if len(values) >= 3:
            break
    if len(values) < 3:  # under about a fifth of a decade: round steps in loss units
        bottom, top = 10.0**low, 10.0**high
        step = _nice_step(top - bottom)
        values = [k * step for k in range(math.ceil(bottom / step), math.floor(top / step) + 1)]
        if len(values) < 3:
            step /= 2
            values = [k * step for k in range(math.ceil(bottom / step), math.floor(top / step) + 1)]
        digits = max(digits, math.ceil(math.log10(top / step)) + 1)  # enough to tell neighbours apart
    values = values[:: max(1, math.ceil(len(values) / 8))]  # at most 8 labels on a projector
    return [math.log10(v) for v in values], [f"{v:.{digits}g}" for v in values]


def _null(array: np.ndarray) -> list:
    """A nested list with NaN and inf as None (JSON null: Plotly draws a gap)."""
    array = np.asarray(array, dtype=float)
    if np.all(np.isfinite(array)):
        return array.tolist()
    cleaned = array.astype(object)
    cleaned[~np.isfinite(array)] = None
    return cleaned.tolist()


def _axis_title(landscape, index: int, wrap: bool = False) -> str:
    """The title of axis ``index``, e.g. "direction 1 (PC1, 97 % of the path)". ``wrap``: on two lines (the
    vertical axis: on one line it is taller than the plot and runs into the chart's title)."""
    share = float(landscape.explained_by[index])
    gap = "<br>" if wrap else " "
    if landscape.method == "pca":
        what = f"PC{index + 1}, {100 * share:.0f} %{gap}of the path" if math.isfinite(share) else f"PC{index + 1}"
    else:
        what = f"random,{gap}filter-normalised"
    return f"direction {index + 1} ({what})"


def landscape_figure_dict(
    landscape,
    title: str | None = None,
    zrange: tuple[float, float] | None = None,
    height: int = 480,
) -> dict:
    """The contour map of ``landscape.losses`` on (alphas, betas), the path, its start and the centre.

    title: None for "Loss landscape around epoch N"; zrange: (low, high) in loss units, both > 0 (compare
    mode passes one ``landscape_loss_range`` for both runs); None for this landscape's own."""
    low, high = landscape_loss_range(landscape) if zrange is None else (float(zrange[0]), float(zrange[1]))
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(f"zrange must be (low, high) with 0 < low < high, got {zrange!r}")
    log_low, log_high = math.log10(low), math.log10(high)
    losses = np.asarray(landscape.losses, dtype=float)
    with np.errstate(all="ignore"):
        # Colours: log10 of the loss clamped to the range (+inf and losses above it: the top colour; a loss of
        # 0 or below, possible only for a regression fitted exactly: the bottom); NaN stays a gap.
        logs = np.log10(np.where(losses > 0, losses, low))
        logs = np.clip(np.where(np.isposinf(losses), log_high, logs), log_low, log_high)
        logs[np.isnan(losses)] = np.nan
    tickvals, ticktext = _log_ticks(log_low, log_high)
    contour = {
        "type": "contour",
        "x": landscape.alphas.tolist(),
        "y": landscape.betas.tolist(),
        "z": _null(logs),
        "customdata": _null(losses),
        "zmin": log_low,
        "zmax": log_high,
        "autocontour": False,
        "contours": {
            "start": log_low,
            "end": log_high,
            "size": (log_high - log_low) / CONTOUR_LEVELS,
            "coloring": "fill",
            "showlines": True,
        },
        "line": {"color": "rgba(255, 255, 255, 0.35)", "width": 0.5},
        "colorscale": COLOUR_SCALE,
        "connectgaps": False,
        "hoverongaps": False,
        "colorbar": {
            "title": {"text": "training loss", "side": "right", "font": {"size": 15}},
            "tickvals": tickvals,
            "ticktext": ticktext,
            "tickfont": {"size": 14},
            "thickness": 18,
        },
        "name": "training loss",
        "showlegend": False,
        "hovertemplate": "d1 %{x:.3g}, d2 %{y:.3g}<br>training loss %{customdata:.4g}<extra></extra>",
    }
    path, epochs, path_losses = landscape.path, landscape.path_epochs, landscape.path_losses
    finite = np.flatnonzero(np.all(np.isfinite(path), axis=1))
    custom = [[int(e), (float(v) if math.isfinite(v) else None)] for e, v in zip(epochs, path_losses)]
    path_hover = "epoch %{customdata[0]}<br>training loss %{customdata[1]:.4g}<extra></extra>"
    halo = {
        "type": "scatter",
        "mode": "lines",
        "x": _null(path[:, 0]),
        "y": _null(path[:, 1]),
        "line": {"color": HALO_COLOUR, "width": 5},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": "path halo",
    }
    path_trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": _null(path[:, 0]),
        "y": _null(path[:, 1]),
        "customdata": custom,
        "line": {"color": PATH_COLOUR, "width": 2.5},
        "marker": {"size": 6, "color": PATH_COLOUR, "line": {"color": HALO_COLOUR, "width": 1}},
        "name": "path (the weights after each epoch)",
        "hovertemplate": path_hover,
    }
    data = [contour, halo, path_trace]
    if finite.size and np.any(path[finite[0]] != 0.0):  # (at epoch 0 the start is the centre: one marker)
        first = int(finite[0])
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [float(path[first, 0])],
                "y": [float(path[first, 1])],
                "customdata": [custom[first]],
                "marker": {
                    "size": 14,
                    "color": START_COLOUR,
                    "symbol": "circle",
                    "line": {"color": HALO_COLOUR, "width": 2},
                },
                "name": f"start (epoch {int(epochs[first])})",
                "hovertemplate": path_hover,
            }
        )
    now_epoch = int(landscape.center_epoch)
    diverged = now_epoch != int(epochs[-1])
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [0.0],
            "y": [0.0],
            "customdata": [[now_epoch, landscape.center_loss if math.isfinite(landscape.center_loss) else None]],
            "marker": {"size": 18, "color": NOW_COLOUR, "symbol": "star", "line": {"color": "white", "width": 1.5}},
            "name": f"last finite weights (epoch {now_epoch})" if diverged else f"now (epoch {now_epoch})",
            "hovertemplate": path_hover,
        }
    )
    notes = []
    if not np.all(np.isfinite(losses)):
        notes.append("blank: the loss is not a number there (diverged)" if np.isnan(losses).any() else "")
    if diverged:
        notes.append(f"the weights stopped being numbers after epoch {now_epoch}: centred there")
    layout = {
        "height": height,
        "margin": {"l": 100, "r": 20, "t": 60, "b": 110},  # l: the vertical axis's title on two lines
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "title": {"text": title or f"Loss landscape around epoch {now_epoch}", "font": {"size": 18}, "x": 0.02},
        "xaxis": {
            "title": {"text": _axis_title(landscape, 0)},
            "zeroline": False,
            "showgrid": False,
            "tickformat": ".3~g",
        },
        "yaxis": {
            "title": {"text": _axis_title(landscape, 1, wrap=True)},
            "zeroline": False,
            "showgrid": False,
            "tickformat": ".3~g",
        },
        # (Coordinates span any size: 3 significant digits, exponents as 1e+05, never a long tick label.)
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0, "font": LEGEND_FONT},
        "hoverlabel": {"font": {"size": 14}},
        "uirevision": "keep",
    }
    notes = [note for note in notes if note]
    if notes:
        layout["annotations"] = [
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0.01,
                "y": 0.99,
                "xanchor": "left",
                "yanchor": "top",
                "text": "<br>".join(notes),
                "showarrow": False,
                "font": {"size": 14, "color": NOTE_COLOUR},
                "bgcolor": "rgba(255, 255, 255, 0.85)",
            }
        ]
    return {"data": data, "layout": layout}


def landscape_figure(
    landscape,
    title: str | None = None,
    zrange: tuple[float, float] | None = None,
    height: int = 480,
):
    """``landscape_figure_dict`` as a ``plotly.graph_objects.Figure``."""
    import plotly.graph_objects as go  # here only: the rest of this module needs NumPy alone

    return go.Figure(landscape_figure_dict(landscape, title, zrange, height))
