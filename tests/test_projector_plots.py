"""Charts sized for the projector layout's row of three: the compact boundary and the two-entry gradient legend."""

from __future__ import annotations

import numpy as np
import pytest

from playground.plots import boundary as boundary_plots
from playground.plots import history as history_plots
from playground.plots import regression as regression_plots
from playground.plots import style as plot_style

AXIS, _ = boundary_plots.boundary_grid(24)
RNG = np.random.default_rng(0)
POINTS = RNG.uniform(-6, 6, size=(40, 2))
LABELS = (POINTS[:, 0] > 0).astype(int)


def square_figures(height: int) -> dict[str, dict]:
    """The three plane charts (binary, multi-class, regression) at ``height``."""
    p = RNG.uniform(size=(24, 24, 3))
    p /= p.sum(axis=-1, keepdims=True)
    values = RNG.normal(size=(24, 24))
    args = (POINTS[:30], LABELS[:30], POINTS[30:], LABELS[30:])
    return {
        "binary": boundary_plots.boundary_figure(AXIS, p[..., 0], *args, height=height),
        "multiclass": boundary_plots.multiclass_boundary_figure(AXIS, p, *args, height=height),
        "regression": regression_plots.regression_surface_figure(
            AXIS, values, *args[:2], *args[2:], value_range=(-3.0, 3.0), height=height
        ),
    }


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_a_low_plane_chart_drops_its_legend_and_keeps_its_square_large(kind):
    compact = square_figures(300)[kind]["layout"]
    tall = square_figures(520)[kind]["layout"]
    assert compact["showlegend"] is False and tall.get("showlegend", True) is True
    assert compact["hoverdistance"] < tall["hoverdistance"]  # denser points: only the one under the pointer
    # The plot area left for the square: the margins shrink with the legend gone.
    compact_side = 300 - compact["margin"]["t"] - compact["margin"]["b"]
    assert compact_side >= 240 > 300 - tall["margin"]["t"] - tall["margin"]["b"]
    assert compact["xaxis"]["title"]["text"] == "x₁" and compact["yaxis"]["title"]["text"] == "x₂"  # still labelled


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_a_low_plane_charts_colour_bar_puts_its_title_on_top(kind):
    compact = square_figures(300)[kind]["data"][0]["colorbar"]
    tall = square_figures(520)[kind]["data"][0]["colorbar"]
    assert compact["title"]["side"] == "top" and tall["title"]["side"] == "right"
    assert compact["title"]["text"] == tall["title"]["text"]  # the same label, placed elsewhere


@pytest.mark.parametrize("n_layers", [1, 3, 9])
def test_the_ends_legend_names_the_input_and_output_layers_only(n_layers):
    epochs = np.arange(5.0)
    norms = np.exp(-np.arange(n_layers))[None, :] * np.ones((5, 1))
    beside = history_plots.gradient_norm_figure(epochs, norms, 300)
    ends = history_plots.gradient_norm_figure(epochs, norms, 300, legend="ends")
    assert [trace.get("showlegend", True) for trace in beside["data"]] == [True] * n_layers
    shown = [trace["name"] for trace in ends["data"] if trace["showlegend"]]
    expected = ["W1 (input side)"] + ([f"W{n_layers} (output side)"] if n_layers > 1 else [])
    assert shown == expected
    # Every line is still drawn, in the same colours, and its hover names the layer in full.
    assert [t["line"]["color"] for t in ends["data"]] == [t["line"]["color"] for t in beside["data"]]
    for trace, full in zip(ends["data"], plot_style.layer_names(n_layers)):
        assert full in trace["hovertemplate"]
    assert ends["layout"]["legend"]["orientation"] == "h" and beside["layout"]["legend"]["orientation"] == "v"
