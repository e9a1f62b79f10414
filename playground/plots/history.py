"""Charts over epochs: the loss curves (one run, or runs compared), per-layer gradient norms, the stepped axis
ranges of the live charts, and the marks laid on them (best epoch, replay epoch, a note).
"""

from __future__ import annotations

import math

import numpy as np

from playground.plots.style import (
    TOP_RIGHT_LEGEND,
    base_layout,
    layer_colours,
    layer_names,
    positive_or_nan,
    round_decimals,
    round_significant,
)

# ---- loss curves -----------------------------------------------------------------------------
LOSS_AXIS_TITLES = {"binary": "cross-entropy loss", "multiclass": "cross-entropy loss", "regression": "loss (½·MSE)"}


GAP_FILL = "rgba(213, 94, 0, 0.14)"  # the test line's vermillion, pale: the generalisation gap
RATE_COLOUR = "#6B7280"  # grey: the learning rate is context, not a loss


def loss_figure(
    epochs: np.ndarray,
    train_loss: np.ndarray,
    test_loss: np.ndarray,
    height: int = 300,
    y_title: str = LOSS_AXIS_TITLES["binary"],
    learning_rates: np.ndarray | None = None,
    rate_range: tuple[float, float] | None = None,
    best: tuple[int, float] | None = None,
) -> dict:
    """Train (solid) and test (dashed) loss over epochs; arrays (k,). ``y_title``: the loss's name
    (``LOSS_AXIS_TITLES[problem]``). The band between the two lines is shaded: the generalisation gap.

    ``learning_rates`` (k,): the rate each row's epoch trained with, drawn on a second axis (right) of range
    ``rate_range`` (a schedule's rates are known in advance, so the axis holds still while playing).
    ``best``: (epoch, test loss) of early stopping's best epoch, marked with a vertical line."""
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": round_decimals(epochs, 0),
            "y": round_decimals(values, 5),
            "name": name,
            "line": {"color": colour, "width": 3, "dash": dash},
            "hovertemplate": f"epoch %{{x}}<br>{name}: %{{y:.4f}}<extra></extra>",
        }
        for name, values, colour, dash in (
            ("train loss", train_loss, "#0072B2", "solid"),
            ("test loss", test_loss, "#D55E00", "dash"),
        )
    ]
    data[1].update(fill="tonexty", fillcolor=GAP_FILL)  # from the test line to the train line: the gap
    layout = base_layout("epoch", y_title, height)
    layout["yaxis"]["rangemode"] = "tozero"
    # Two entries a line ("A train", "A test" / "B train", "B test"): in the narrow column beside the two
    # runs' rows a legend one entry a line would take a third of the chart's height.
    layout["legend"] = {**TOP_RIGHT_LEGEND, "entrywidth": 0.5, "entrywidthmode": "fraction"}
    layout["margin"]["t"] = 30
    if learning_rates is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": round_decimals(epochs, 0),
                "y": round_significant(learning_rates),
                "name": "learning rate",
                "yaxis": "y2",
                "showlegend": False,  # the right axis's grey title names it; a third legend entry crowds the two
                # A row's rate is the one its epoch trained with: it holds back to the previous row.
                "line": {"color": RATE_COLOUR, "width": 2, "dash": "dot", "shape": "vh"},
                "hovertemplate": "epoch %{x}<br>learning rate: %{y:.3g}<extra></extra>",
            }
        )
        low, high = rate_range if rate_range is not None else (0.0, float(np.nanmax(learning_rates)))
        layout["yaxis2"] = {
            "title": {"text": "learning rate", "font": {"color": RATE_COLOUR}},
            "overlaying": "y",
            "side": "right",
            "range": [low, high * 1.08],
            "showgrid": False,
            "zeroline": False,
            "tickfont": {"color": RATE_COLOUR},
            "tickformat": "~g",
            "tickmode": "auto",  # an overlaying axis defaults to "sync": ticks at the left axis's odd fractions
            "nticks": 4,
            "fixedrange": True,
        }
        layout["margin"]["r"] = max(layout["margin"].get("r", 10), 70)
    figure = {"data": data, "layout": layout}
    if best is not None:
        late = len(epochs) and best[0] > 0.5 * float(np.nanmax(epochs))
        with_best_epoch(figure, best[0], "best", late)
    return figure


BEST_COLOUR = "#006B4F"  # dark bluish green (Okabe-Ito's, darkened): the best epoch, readable on white


def with_best_epoch(figure: dict, epoch: int, label: str = "best", left: bool = False) -> dict:
    """Mark early stopping's best epoch on a figure over epochs: a dashed vertical line and "best: epoch N" at
    its foot (``left``: the text left of the line, for an epoch in the chart's right half). In place; returned."""
    epoch_marker(figure, epoch, BEST_COLOUR)
    layout = figure["layout"]
    layout["annotations"] = [
        *layout.get("annotations", []),
        {
            "x": epoch,
            "xref": "x",
            "y": 0.02,
            "yref": "paper",
            "xanchor": "right" if left else "left",
            "yanchor": "bottom",
            "text": f"{label}: epoch {epoch:,}",
            "showarrow": False,
            "font": {"size": 14, "color": BEST_COLOUR},
            "bgcolor": "rgba(255, 255, 255, 0.8)",
        },
    ]
    return figure


def extend_update(epochs: np.ndarray, series: list[np.ndarray], significant: bool = False) -> dict | None:
    """Append new points to every trace: epochs (k,), series a list of (k,) arrays, one per trace."""
    if len(epochs) == 0:
        return None
    x = round_decimals(epochs, 0)
    return {
        "extend": {
            "update": {
                "x": [x] * len(series),
                "y": [round_significant(s) if significant else round_decimals(s, 5) for s in series],
            },
            "traces": list(range(len(series))),
            "from_epoch": None,  # filled in by the live view: the last epoch the chart already has
        }
    }


# ---- axis ranges of the live charts over epochs ------------------------------------------------
# While playing, a chart whose axes do not move can take new points without a Plotly redraw (the
# browser appends them to the drawn lines, see assets/live/history.js). So the live charts get explicit
# ranges that change in steps: the epoch axis ends at the next "nice" number, the value axis at the
# next nice bound (linear) or whole decade (log). Each step is a full redraw; between steps, none.
_NICE_MULTIPLES = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_LOG_MARGIN = 0.15  # decades kept free above and below the data on a log axis


def nice_ceiling(value: float, minimum: float = 0.0) -> float:
    """The smallest m × 10^k (m in 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8) at or above ``value``, and >= minimum."""
    value = max(float(value), minimum)
    if not math.isfinite(value) or value <= 0:
        return minimum if minimum > 0 else 1.0
    decade = 10.0 ** math.floor(math.log10(value))
    for multiple in _NICE_MULTIPLES:
        bound = multiple * decade
        if bound >= value * (1 - 1e-12):
            return float(f"{bound:.12g}")  # 1.2 * 0.1 is 0.12000000000000001 otherwise
    return 10.0 * decade


def epoch_axis_range(last_epoch: float) -> list[float]:
    """[0, a nice epoch at or past ``last_epoch``], at least [0, 10]."""
    return [0.0, nice_ceiling(last_epoch, minimum=10.0)]


def value_axis_range(values: np.ndarray, log: bool) -> list[float] | None:
    """A stepped axis range holding every finite value (any shape); None when there is none.

    Linear: [0, nice ceiling of the largest value] (losses and other quantities >= 0).
    Log: whole decades with a margin, as log10 exponents (Plotly's convention for log axes).
    """
    values = np.asarray(values, dtype=float)
    if log:
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size == 0:
            return None
        low, high = np.log10(positive.min()), np.log10(positive.max())
        return [float(math.floor(low - _LOG_MARGIN)), float(math.ceil(high + _LOG_MARGIN))]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return [0.0, nice_ceiling(finite.max() * 1.04, minimum=1e-3)]


def live_axis_ranges(epochs: np.ndarray, values: np.ndarray, y_axis: str, y_include: tuple[float, ...] = ()) -> dict:
    """Plotly relayout keys for a live chart over epochs: 'xaxis.range' and, unless y_axis is
    "fixed", 'yaxis.range' ("linear" from 0, or "log"). epochs (k,), values (k, n) or (k,);
    ``y_include``: values the y range must also hold (e.g. a band drawn as a shape)."""
    ranges = {"xaxis.range": epoch_axis_range(epochs[-1] if len(epochs) else 0)}
    if y_axis != "fixed":
        y_range = value_axis_range(np.append(np.ravel(values), y_include), log=y_axis == "log")
        if y_range is not None:
            ranges["yaxis.range"] = y_range
    return ranges


MAX_LOG_TICKS = 5  # decade labels a log axis shows at most (more crowd a 300 px chart on a projector)


def log_axis_dtick(log_range: list[float]) -> int:
    """Decades between the labels (and grid lines) of a log axis over ``log_range`` (log10 exponents): 1,
    so that each grid line is 10x the one below (Plotly's own choice labels 2, 3, ... 9 within a decade
    on a 2-decade range, crowded in small type), or more on a very long range. assets/live/history.js repeats this."""
    span = abs(float(log_range[1]) - float(log_range[0]))
    return max(1, math.ceil(span / MAX_LOG_TICKS))


def with_ranges(figure: dict, ranges: dict) -> dict:
    """Put relayout-style ranges ('xaxis.range': [...]) into a figure's layout (and a log axis's dtick)."""
    for key, value in ranges.items():
        axis = figure["layout"].setdefault(key.split(".")[0], {})
        axis["range"] = list(value)
        if axis.get("type") == "log":
            axis["dtick"] = log_axis_dtick(value)
    return figure


NOTE_COLOUR = "#9A3412"  # dark vermillion on a pale box: readable on a projector, the warning's hue


def with_note(figure: dict, text: str | None, name: str = "note") -> dict:
    """Write ``text`` (``<br>`` breaks lines) in the middle of the plot, over the data: why a chart is
    empty or flat (playground.teaching.notes). The annotation's ``name`` lets the browser tests find it."""
    if not text:
        return figure
    annotation = {
        "name": name,
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "xanchor": "center",
        "yanchor": "middle",
        "showarrow": False,
        "align": "center",
        "font": {"size": 14, "color": NOTE_COLOUR},
        "bgcolor": "rgba(255, 247, 237, 0.92)",
        "bordercolor": NOTE_COLOUR,
        "borderwidth": 1,
        "borderpad": 6,
    }
    figure["layout"]["annotations"] = [*figure["layout"].get("annotations", []), annotation]
    return figure


# ---- per-layer gradient magnitude -------------------------------------------------------------
def gradient_norm_figure(
    epochs: np.ndarray,
    norms: np.ndarray,
    height: int = 330,
    y_title: str = "‖∂L/∂W‖ (log scale)",
    legend: str = "right",
) -> dict:
    """One line per weight layer of a positive quantity on a log axis; norms (k, n_layers).

    ``legend``: "right", every layer named beside the plot; "ends", for a narrow chart (the projector
    layout's row of three), only the first and the last layer, above the plot: the colours run from
    dark to light between them.
    """
    n_layers = norms.shape[1]
    colours, names = layer_colours(n_layers), layer_names(n_layers)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": round_decimals(epochs, 0),
            "y": round_significant(positive_or_nan(norms[:, layer])),
            "name": names[layer],
            "line": {"color": colours[layer], "width": 2.5},
            "hovertemplate": f"epoch %{{x}}<br>{names[layer]}<br>%{{y:.2e}}<extra></extra>",
        }
        for layer in range(n_layers)
    ]
    layout = base_layout("epoch", y_title, height)
    layout["yaxis"].update({"type": "log", "exponentformat": "power"})
    layout["legend"] = {"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 12}}
    layout["margin"] = {"l": 80, "r": 10, "t": 10, "b": 55}
    if legend == "ends":
        for layer, trace in enumerate(data):
            trace["showlegend"] = layer in (0, n_layers - 1)
        data[0]["name"] = "W1 (input side)"
        if n_layers > 1:
            data[-1]["name"] = f"W{n_layers} (output side)"
        layout["legend"] = {**TOP_RIGHT_LEGEND, "font": {"size": 12}, "itemwidth": 30}
        layout["margin"] = {"l": 70, "r": 10, "t": 30, "b": 55}
    return {"data": data, "layout": layout}


def gradient_norm_update(epochs: np.ndarray, norms: np.ndarray) -> dict | None:
    return extend_update(
        epochs, [positive_or_nan(norms[:, layer]) for layer in range(norms.shape[1])], significant=True
    )


# ---- runs compared, and a marked epoch -------------------------------------------------------
def _with_alpha(colour: str, alpha: float) -> str:
    """'#RRGGBB' as 'rgba(r, g, b, alpha)'."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def compare_loss_figure(
    runs: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    height: int = 320,
    y_title: str = LOSS_AXIS_TITLES["binary"],
) -> dict:
    """Loss curves of several runs overlaid: runs = [(name, epochs (k,), train (k,), test (k,))].

    Run A blue, run B vermillion; train solid, test dotted.
    """
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    data = []
    for (name, epochs, train, test), colour in zip(runs, colours):
        for kind, values, dash in (("train", train, "solid"), ("test", test, "dot")):
            if kind == "test":  # each run's gap: from its test line to its train line (the trace before)
                fill = {"fill": "tonexty", "fillcolor": _with_alpha(colour, 0.12)}
            else:
                fill = {}
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": round_decimals(epochs, 0),
                    "y": round_decimals(values, 5),
                    "name": f"{name} {kind}",
                    "line": {"color": colour, "width": 3, "dash": dash},
                    "hovertemplate": f"epoch %{{x}}<br>{name} {kind} loss: %{{y:.4f}}<extra></extra>",
                    **fill,
                }
            )
    layout = base_layout("epoch", y_title, height)
    layout["yaxis"]["rangemode"] = "tozero"
    # Two entries a line ("A train", "A test" / "B train", "B test"): in the narrow column beside the two
    # runs' rows a legend one entry a line would take a third of the chart's height.
    layout["legend"] = {**TOP_RIGHT_LEGEND, "entrywidth": 0.5, "entrywidthmode": "fraction"}
    layout["margin"]["t"] = 30
    return {"data": data, "layout": layout}


def epoch_marker(figure: dict, epoch: int, colour: str = "#111") -> dict:
    """Add a dashed vertical line at ``epoch`` (the replay position; early stopping's best epoch) to a figure
    over epochs. In place; returned."""
    layout = figure["layout"]
    line = {"type": "line", "xref": "x", "x0": epoch, "x1": epoch, "yref": "paper", "y0": 0, "y1": 1}
    layout["shapes"] = [*layout.get("shapes", []), {**line, "line": {"color": colour, "width": 2, "dash": "dash"}}]
    return figure
