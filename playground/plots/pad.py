"""The drawing pad's figures, from plain arrays: the network's probabilities for a drawn digit (before and after a
step on it), and the step's update of the first-layer weights as pictures.

Colours: the guess in blue, the true class (once given) in bluish green, the rest grey, "before" a step light and
"after" dark (Okabe-Ito blue and green; colour-blind safe), so a projected bar chart reads without its legend.
"""

from __future__ import annotations

import numpy as np

from playground.plots.images import first_layer_weights_figure
from playground.plots.style import FONT, base_layout

GUESS_COLOUR, TRUE_COLOUR, OTHER_COLOUR, BEFORE_COLOUR = "#0072B2", "#009E73", "#9AA5B1", "#CBD2D9"


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """The head's outputs (n_outputs,) as one probability per class: a binary head's one output p is (1-p, p)."""
    outputs = np.asarray(outputs, dtype=float).ravel()
    return np.array([1.0 - outputs[0], outputs[0]]) if outputs.size == 1 else outputs


def probability_figure(
    probabilities: np.ndarray,
    class_names: list[str],
    before: np.ndarray | None = None,
    label: int | None = None,
    height: int = 300,
) -> dict:
    """Bars of the network's probability per class (n_classes,), the guess in blue; with ``before`` (n_classes,)
    the probabilities before a step as light bars beside them; ``label``: the true class, its bar green and its
    name marked. layout.meta: {"guess", "label", "probabilities"} for tests."""
    probabilities = np.asarray(probabilities, dtype=float)
    guess = int(np.argmax(probabilities))  # one probability per class (``class_probabilities``)
    ticks = [f"<b>{name}</b> ✓" if k == label else name for k, name in enumerate(class_names)]
    if before is None:  # the answer now: the guess stands out
        colours = [GUESS_COLOUR if k == guess else OTHER_COLOUR for k in range(len(class_names))]
    else:  # after a step: every bar dark (the legend's swatch is the first bar's), the true class green
        colours = [TRUE_COLOUR if k == label else GUESS_COLOUR for k in range(len(class_names))]
    data = []
    if before is not None:
        data.append(
            {
                "type": "bar",
                "x": ticks,
                "y": np.round(np.asarray(before, dtype=float), 4).tolist(),
                "name": "before the step",
                "marker": {"color": BEFORE_COLOUR, "line": {"color": "#7B8794", "width": 1}},
                "hovertemplate": "%{x}: %{y:.1%} before<extra></extra>",
            }
        )
    data.append(
        {
            "type": "bar",
            "x": ticks,
            "y": np.round(probabilities, 4).tolist(),
            "name": "after the step" if before is not None else "now",
            "marker": {"color": colours},
            "text": [f"{p:.0%}" if p >= 0.05 else "" for p in probabilities],
            "textposition": "outside",
            "textfont": {"size": 14},
            "constraintext": "none",  # Plotly would shrink the labels of narrow grouped bars to a few pixels
            "cliponaxis": False,
            "hovertemplate": "%{x}: %{y:.1%}<extra></extra>",
        }
    )
    layout = base_layout("digit", "probability", height)
    layout["yaxis"].update({"range": [0, 1.12], "tickformat": ".0%", "dtick": 0.25})
    layout["xaxis"].update({"type": "category", "tickfont": {"size": 17}})
    layout.update(
        {
            "barmode": "group",
            "bargap": 0.2,
            "showlegend": before is not None,
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 13}},
            "margin": {"l": 64, "r": 10, "t": 36 if before is not None else 12, "b": 52},
            "meta": {"guess": guess, "label": label, "probabilities": probabilities.tolist()},
        }
    )
    return {"data": data, "layout": layout}


def first_layer_update_figure(update: np.ndarray, max_units: int = 8, columns: int = 4) -> dict:
    """The step's change of W_1, one picture per first-layer unit: update (side², n_units). The units whose
    weights moved most come first (titled by their number); one diverging scale, symmetric around 0."""
    update = np.asarray(update, dtype=float)
    sizes = np.sqrt((update * update).sum(axis=0))
    order = np.argsort(-sizes, kind="stable")[: max(1, min(max_units, update.shape[1]))]
    figure = first_layer_weights_figure(
        update[:, order], max_units=len(order), columns=columns, title="", quantity="change"
    )
    for annotation, unit in zip(figure["layout"]["annotations"], order):
        annotation["text"] = f"unit {unit + 1}"
    figure["layout"]["meta"] = {**figure["layout"]["meta"], "units": (order + 1).tolist()}
    figure["layout"]["font"] = FONT
    return figure
