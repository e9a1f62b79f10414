"""The gradient-flow lens's figures: layer x epoch heatmaps (painted as an image in the browser), the
update-to-weight ratio with its healthy band, saturated or dead shares, and per-layer histograms.
"""

from __future__ import annotations

import base64
import math

import numpy as np

from playground.plots.history import gradient_norm_figure, nice_ceiling
from playground.plots.style import base_layout, colour_table, layer_colours, positive_or_nan, round_decimals

# ---- gradient-flow lens ------------------------------------------------------------------------
MAX_HEATMAP_COLUMNS = 240  # epochs shown in a layer x epoch heatmap; older epochs are binned


# Plotly's Viridis, spelled out so the browser can paint the same colours into an image.
HEATMAP_SCALE = [
    [i / 9, colour]
    for i, colour in enumerate(
        ["#440154", "#482878", "#3E4989", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6ECE58", "#B5DE2B", "#FDE725"]
    )
]


def layer_heatmap_grid(
    epochs: np.ndarray, values: np.ndarray, columns: int = MAX_HEATMAP_COLUMNS, until: float | None = None
):
    """Resample a (k, L) history onto at most ``columns`` evenly spaced epochs; return (grid (C,), log10 (L, C)).

    Each column shows the latest kept row at or before its epoch, so a thinned history still
    lines up with the epoch axis (an image has evenly spaced columns). With ``until`` the grid runs
    on to that epoch (the axis's stepped end); columns after the last row are NaN (not yet trained).
    """
    end = max(float(until), float(epochs[-1])) if until is not None and len(epochs) else None
    if len(epochs) > 1 or (end is not None and end > epochs[-1]):
        last = float(epochs[-1])
        end = last if end is None else end
        count = int(min(columns, end - epochs[0] + 1))
        grid = np.linspace(epochs[0], end, max(count, 2))
        index = np.searchsorted(epochs, grid + 1e-9, side="right") - 1
        epochs, values = grid, np.array(values[index], dtype=float)
        values[grid > last + 1e-9] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(epochs, dtype=float), np.log10(positive_or_nan(values)).T


def log_range(logs: np.ndarray, current: tuple[float, float] | None = None) -> tuple[float, float]:
    """Colour range (half-decade steps, only ever widened) covering the finite values of ``logs``."""
    finite = logs[np.isfinite(logs)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 0.0)
    if current is not None:
        low, high = min(low, current[0]), max(high, current[1])
    low, high = math.floor(low * 2) / 2, math.ceil(high * 2) / 2
    return (low - 0.5, high + 0.5) if high - low < 0.5 else (low, high)


def shared_log_range(*values: np.ndarray) -> tuple[float, float]:
    """One colour range (as ``log_range``) for log10 of the positive values of every array: compare mode's
    heatmaps of run A and run B use it, so that one colour is one size in both."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = [np.log10(positive_or_nan(np.ravel(v))) for v in values]
    return log_range(np.concatenate(logs) if logs else np.zeros(0))


def layer_image(logs: np.ndarray, value_range: tuple[float, float], filled_cols: int | None = None) -> dict:
    """log10 values (L, C) as one byte per cell, the last layer on the top row (image order).

    ``filled_cols``: columns after it are not trained yet and are left transparent by the browser.
    The hover values are read back from the bytes (hover_offset + hover_scale * byte / 255).
    """
    low, high = value_range
    scaled = np.clip((np.nan_to_num(logs, nan=low) - low) / (high - low), 0.0, 1.0)[::-1] * 255.0
    image = {
        "target": "images[0].source",
        "b64": base64.b64encode(np.round(scaled).astype(np.uint8).tobytes()).decode("ascii"),
        "rows": int(logs.shape[0]),
        "cols": int(logs.shape[1]),
        "hover_trace": 0,
        "hover_offset": float(low),
        "hover_scale": float(high - low),
    }
    if filled_cols is not None:
        image["filled_cols"] = int(filled_cols)
    return image


def heatmap_axis_end(epochs: np.ndarray) -> float:
    """The epoch axis's stepped end (as on the line charts): the image is placed over the whole axis, so
    a frame only swaps its picture; the placement changes when the axis steps."""
    return nice_ceiling(float(epochs[-1]) if len(epochs) else 0.0, 10.0)


def _layer_image_placement(grid: np.ndarray) -> dict:
    """Where the image sits on the epoch axis (its cells centred on the grid), and the axis range: the same."""
    step = float(grid[1] - grid[0]) if len(grid) > 1 else 1.0
    left, right = float(grid[0]) - step / 2, float(grid[-1]) + step / 2
    return {"images[0].x": left, "images[0].sizex": right - left, "xaxis.range": [left, right]}


def _filled_columns(grid: np.ndarray, epochs: np.ndarray) -> int:
    return int(np.searchsorted(grid, float(epochs[-1]) + 1e-9, side="right")) if len(epochs) else 0


def _hover_heatmap(grid: np.ndarray, logs: np.ndarray, value_range: tuple[float, float]) -> dict:
    return {
        "x": [round_decimals(grid, 1)],
        "z": [round_decimals(logs, 2)],
        "zmin": [value_range[0]],
        "zmax": [value_range[1]],
    }


def layer_heatmap_figure(
    epochs: np.ndarray,
    values: np.ndarray,
    colorbar_title: str,
    height: int = 300,
    value_range: tuple[float, float] | None = None,
    axis_end: float | None = None,
):
    """Layer x epoch heatmap of log10(values); values (k, n_layers), layer 1 at the bottom.

    Returns (figure, colour range). The colours are a layout image (cheap to swap every frame);
    a transparent heatmap on top carries the hover values and the colour bar. ``value_range`` and
    ``axis_end`` (log10 colour range, last epoch of the axis) fix what is otherwise fitted to these
    values: compare mode gives run A's and run B's heatmaps the same.
    """
    grid, logs = layer_heatmap_grid(epochs, values, until=heatmap_axis_end(epochs) if axis_end is None else axis_end)
    value_range = log_range(logs) if value_range is None else tuple(value_range)
    n_layers = logs.shape[0]
    categories = [f"W{layer}" for layer in range(1, n_layers + 1)]
    hover = _hover_heatmap(grid, logs, value_range)
    data = [
        {
            "type": "heatmap",
            "x": hover["x"][0],
            "y": categories,
            "z": hover["z"][0],
            "zmin": value_range[0],
            "zmax": value_range[1],
            "opacity": 0,
            "colorscale": HEATMAP_SCALE,
            "colorbar": {"title": {"text": colorbar_title, "side": "right"}, "thickness": 14},
            "hovertemplate": "epoch %{x:.0f}<br>%{y}<br>log₁₀ = %{z:.2f}<extra></extra>",
        }
    ]
    layout = base_layout("epoch", "layer (input at the bottom)", height)
    layout["margin"] = {"l": 80, "r": 10, "t": 10, "b": 55}
    layout["yaxis"].update({"type": "category", "categoryarray": categories, "showgrid": False})
    layout["xaxis"]["showgrid"] = False
    placement = _layer_image_placement(grid)
    layout["xaxis"]["range"] = placement["xaxis.range"]
    layout["images"] = [
        {
            "source": "",
            "xref": "x",
            "yref": "y",
            "x": placement["images[0].x"],
            "sizex": placement["images[0].sizex"],
            "y": n_layers - 0.5,
            "sizey": n_layers,
            "sizing": "stretch",
            "layer": "below",
        }
    ]
    image = {**layer_image(logs, value_range, _filled_columns(grid, epochs)), "colours": colour_table(HEATMAP_SCALE)}
    return {"data": data, "layout": layout, "image": image, "pixelated": True}, value_range


def layer_heatmap_update(
    epochs: np.ndarray,
    values: np.ndarray,
    value_range: tuple[float, float],
    refresh_hover: bool = False,
    shared_range: tuple[float, float] | None = None,
    axis_end: float | None = None,
):
    """(update, colour range): a new image (the browser reads the hover values from its bytes) and its
    placement, which changes only when the epoch axis steps; the hover grid and colour bar are restyled
    (costlier) only then, when the values outgrow the colour range, or when ``refresh_hover``.
    ``shared_range``, ``axis_end``: the colour range and the axis's last epoch to use instead of widening
    ``value_range`` to these values (compare mode: both runs' heatmaps on one scale)."""
    grid, logs = layer_heatmap_grid(epochs, values, until=heatmap_axis_end(epochs) if axis_end is None else axis_end)
    new_range = log_range(logs, value_range) if shared_range is None else tuple(shared_range)
    placement = _layer_image_placement(grid)
    update = {"image": layer_image(logs, new_range, _filled_columns(grid, epochs)), "relayout": placement}
    if refresh_hover or new_range != tuple(value_range):
        update["restyle"] = {"update": _hover_heatmap(grid, logs, new_range), "traces": [0]}
    return update, new_range


def update_ratio_figure(
    epochs: np.ndarray, ratios: np.ndarray, healthy: float, low: float, high: float, height: int = 300
) -> dict:
    """Update-to-weight ratio per layer on a log axis, with the healthy band shaded; ratios (k, n_layers)."""
    figure = gradient_norm_figure(epochs, ratios, height, y_title="‖ΔW‖ / ‖W‖ per step (log)")
    figure["layout"]["shapes"] = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": healthy / 10,
            "y1": healthy * 10,
            "fillcolor": "#2E7D32",
            "opacity": 0.10,
            "line": {"width": 0},
            "layer": "below",
        },
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": healthy,
            "y1": healthy,
            "line": {"color": "#2E7D32", "width": 2, "dash": "dot"},
        },
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": low,
            "y1": low,
            "line": {"color": "#9E9E9E", "width": 1, "dash": "dash"},
        },
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": high,
            "y1": high,
            "line": {"color": "#9E9E9E", "width": 1, "dash": "dash"},
        },
    ]
    figure["layout"]["annotations"] = [
        {
            "xref": "paper",
            "x": 0.01,
            "yref": "y",
            "y": np.log10(healthy * 10),
            "text": "healthy ≈ 1e-3",
            "showarrow": False,
            "font": {"size": 12, "color": "#2E7D32"},
            "xanchor": "left",
            "yanchor": "bottom",
        }
    ]
    return figure


def share_figure(
    epochs: np.ndarray, shares: np.ndarray, names: list[str], y_title: str, limit: float, height: int = 280
) -> dict:
    """Shares in [0, 1] per hidden layer (saturated or dead units) with the warning limit; shares (k, m)."""
    colours = layer_colours(len(names) + 1)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": round_decimals(epochs, 0),
            "y": round_decimals(shares[:, i], 4),
            "name": names[i],
            "line": {"color": colours[i], "width": 2.5},
            "hovertemplate": f"epoch %{{x}}<br>{names[i]}: %{{y:.0%}}<extra></extra>",
        }
        for i in range(len(names))
    ]
    layout = base_layout("epoch", y_title, height)
    layout["yaxis"].update({"range": [0, 1.02], "tickformat": ".0%"})
    layout["legend"] = {"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 12}}
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": limit,
            "y1": limit,
            "line": {"color": "#B71C1C", "width": 1.5, "dash": "dash"},
        }
    ]
    return {"data": data, "layout": layout}


def histogram_figure(histograms: list, x_title: str, height: int = 300) -> dict:
    """One outline per hidden layer (share of values per bin), coloured input→output.

    histograms: items with ``centers`` (bins,), ``counts`` (bins,), ``layer`` (1-based).
    """
    colours = layer_colours(len(histograms) + 1)
    data = []
    for i, histogram in enumerate(histograms):
        total = max(int(np.sum(histogram.counts)), 1)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hvh", "color": colours[i], "width": 2.5},
                "x": round_decimals(histogram.centers, 4),
                "y": round_decimals(np.asarray(histogram.counts) / total, 4),
                "name": f"hidden layer {histogram.layer}",
                "hovertemplate": f"layer {histogram.layer}<br>%{{x:.3g}}: %{{y:.1%}}<extra></extra>",
            }
        )
    layout = base_layout(x_title, "share of values", height)
    layout["yaxis"]["tickformat"] = ".0%"
    layout["legend"] = {"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 12}}
    return {"data": data, "layout": layout}
