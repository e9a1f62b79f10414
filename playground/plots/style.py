"""What every figure shares: the font, the class and layer colours, the base layout, and arrays as JSON lists.

Colours: Okabe-Ito vermillion/blue for the classes and a blue-white-vermillion diverging scale (safe for the
common colour-vision deficiencies); viridis for layer order. Fonts are sized for a projector.
"""

from __future__ import annotations

import numpy as np

CLASS_COLOURS = ("#D55E00", "#0072B2")  # class 0 vermillion, class 1 blue (Okabe-Ito)
BOUNDARY_SCALE = [[0.0, "#C2410C"], [0.25, "#F6B48C"], [0.5, "#F7F7F7"], [0.75, "#92C5DE"], [1.0, "#0B5C99"]]
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 15, "color": "#1F2933"}
TOP_RIGHT_LEGEND = {
    "orientation": "h",
    "x": 1,
    "xanchor": "right",
    "y": 1.02,
    "yanchor": "bottom",
    "font": {"size": 13},
}
# Viridis from dark purple to green (the pale yellow end is dropped: unreadable on white).
VIRIDIS = ["#440154", "#482878", "#3E4A89", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6DCD59", "#B4DE2C"]


def layer_colours(n_layers: int) -> list[str]:
    """One colour per weight layer, ordered from the input layer (dark) to the output (light)."""
    if n_layers == 1:
        return [VIRIDIS[3]]
    return [VIRIDIS[round(i * (len(VIRIDIS) - 1) / (n_layers - 1))] for i in range(n_layers)]


def layer_names(n_layers: int) -> list[str]:
    """Legend names: 'W1: input → hidden 1', ..., 'WL: hidden L-1 → output'."""
    names = []
    for layer in range(1, n_layers + 1):
        source = "input" if layer == 1 else f"hidden {layer - 1}"
        target = "output" if layer == n_layers else f"hidden {layer}"
        names.append(f"W{layer}: {source} → {target}")
    return names


def class_names_for(n_classes: int, class_names: list[str] | None = None) -> list[str]:
    """Legend names: the given ones, else 'class 0' .. 'class K-1'."""
    if class_names is None:
        return [f"class {label}" for label in range(n_classes)]
    if len(class_names) != n_classes:
        raise ValueError(f"{len(class_names)} class names for {n_classes} classes")
    return [str(name) for name in class_names]


def base_layout(x_title: str, y_title: str, height: int, **extra) -> dict:
    """The layout every chart starts from: white, the projector font, titled axes, the legend below; ``extra``
    keys set on top."""
    layout = {
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 20, "b": 60},
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        # ticklabeloverflow "allow": Plotly's default measures every tick label on every redraw to hide
        # the ones past the div; with live charts that was about a tenth of the browser's time.
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#E4E7EB", "zeroline": False, "ticklabeloverflow": "allow"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#E4E7EB", "zeroline": False, "ticklabeloverflow": "allow"},
        "legend": {"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 13}},
        # Keeps the user's zoom and pan across Plotly.react calls.
        "uirevision": "keep",
        "hoverlabel": {"font": {"size": 14}},
    }
    layout.update(extra)
    return layout


def to_json_list(array: np.ndarray) -> list:
    """JSON-friendly nested list with NaN/inf as None (Plotly draws a gap)."""
    array = np.asarray(array, dtype=float)
    if np.all(np.isfinite(array)):
        return array.tolist()
    cleaned = np.where(np.isfinite(array), array, np.nan).astype(object)
    cleaned[~np.isfinite(array)] = None
    return cleaned.tolist()


def round_decimals(values: np.ndarray, digits: int = 4) -> list:
    return to_json_list(np.round(np.asarray(values, dtype=float), digits))


def round_significant(values: np.ndarray, digits: int = 4) -> list:
    """Round to significant digits (log-scale data spans many decades)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
        scale = 10.0 ** (digits - 1 - np.where(np.isfinite(magnitude), magnitude, 0))
        return to_json_list(np.round(values * scale) / scale)


def positive_or_nan(values: np.ndarray) -> np.ndarray:
    """Zeros cannot sit on a log axis: show them as gaps rather than -inf."""
    values = np.asarray(values, dtype=float).copy()
    values[~(values > 0)] = np.nan
    return values


def colour_table(scale: list = BOUNDARY_SCALE, size: int = 256) -> list[list[int]]:
    """The colour scale as ``size`` RGB triples (0-255), for painting the probability image in the browser."""
    stops = np.array([stop for stop, _ in scale])
    rgb = np.array([[int(colour[i : i + 2], 16) for i in (1, 3, 5)] for _, colour in scale], dtype=float)
    levels = np.linspace(0.0, 1.0, size)
    return (
        np.column_stack([np.interp(levels, stops, rgb[:, channel]) for channel in range(3)])
        .round()
        .astype(int)
        .tolist()
    )
