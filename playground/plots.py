"""Arrays in, Plotly figure specs out (plain dicts), plus the small updates sent per frame.

Never imports streamlit or plotly: a figure is the JSON-able dict that
``Plotly.react`` takes ({"data": [...], "layout": {...}}), so the live view
can draw it in the browser and update it in place. Each chart has
  *_figure(...)  the whole figure, sent when the chart is first drawn or its shape changes
  *_update(...)  what changed since then: {"restyle": ...} or {"extend": ...}
Colours: Okabe-Ito vermillion/blue for the classes and a blue-white-vermillion
diverging scale (safe for the common colour-vision deficiencies); viridis for
layer order. Fonts are sized for a projector.
Beyond binary classification: multiclass_boundary_* (softmax outputs, Okabe-Ito classes),
regression_surface_* (a value on a fixed colour range) and the digits views (gallery,
confusion matrix, first-layer weights), all arrays in and dicts out like the rest.
"""

from __future__ import annotations

import base64
import math
import zlib

import numpy as np

CLASS_COLOURS = ("#D55E00", "#0072B2")  # class 0 vermillion, class 1 blue (Okabe-Ito)
BOUNDARY_SCALE = [[0.0, "#C2410C"], [0.25, "#F6B48C"], [0.5, "#F7F7F7"], [0.75, "#92C5DE"], [1.0, "#0B5C99"]]
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 15, "color": "#1F2933"}
GRID_RESOLUTION = 80
TOP_RIGHT_LEGEND = {
    "orientation": "h",
    "x": 1,
    "xanchor": "right",
    "y": 1.02,
    "yanchor": "bottom",
    "font": {"size": 13},
}
DOMAIN = 6.0
# The boundary charts' hover: a point's own text only with the pointer on it (Plotly's default, 20 px,
# lets the points, dense on the plane, hide the prediction under the pointer almost everywhere).
POINT_HOVER_DISTANCE = 6
# Viridis from dark purple to green (the pale yellow end is dropped: unreadable on white).
_VIRIDIS = ["#440154", "#482878", "#3E4A89", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6DCD59", "#B4DE2C"]


def layer_colours(n_layers: int) -> list[str]:
    """One colour per weight layer, ordered from the input layer (dark) to the output (light)."""
    if n_layers == 1:
        return [_VIRIDIS[3]]
    return [_VIRIDIS[round(i * (len(_VIRIDIS) - 1) / (n_layers - 1))] for i in range(n_layers)]


def layer_names(n_layers: int) -> list[str]:
    """Legend names: 'W1: input → hidden 1', ..., 'WL: hidden L-1 → output'."""
    names = []
    for layer in range(1, n_layers + 1):
        source = "input" if layer == 1 else f"hidden {layer - 1}"
        target = "output" if layer == n_layers else f"hidden {layer}"
        names.append(f"W{layer}: {source} → {target}")
    return names


def _base_layout(x_title: str, y_title: str, height: int, **extra) -> dict:
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


def _to_list(array: np.ndarray) -> list:
    """JSON-friendly nested list with NaN/inf as None (Plotly draws a gap)."""
    array = np.asarray(array, dtype=float)
    if np.all(np.isfinite(array)):
        return array.tolist()
    cleaned = np.where(np.isfinite(array), array, np.nan).astype(object)
    cleaned[~np.isfinite(array)] = None
    return cleaned.tolist()


def _round(values: np.ndarray, digits: int = 4) -> list:
    return _to_list(np.round(np.asarray(values, dtype=float), digits))


def _significant(values: np.ndarray, digits: int = 4) -> list:
    """Round to significant digits (log-scale data spans many decades)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
        scale = 10.0 ** (digits - 1 - np.where(np.isfinite(magnitude), magnitude, 0))
        return _to_list(np.round(values * scale) / scale)


# ---- decision boundary -----------------------------------------------------------------------
def boundary_grid(resolution: int = GRID_RESOLUTION) -> tuple[np.ndarray, np.ndarray]:
    """Grid axis values (resolution,) and the grid's points (resolution^2, 2), row-major in x2."""
    axis = np.linspace(-DOMAIN, DOMAIN, resolution)
    x1, x2 = np.meshgrid(axis, axis)
    return axis, np.column_stack([x1.ravel(), x2.ravel()])


def level_line(axis: np.ndarray, z: np.ndarray, level: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The iso-line z = level by marching squares, as segments for one line trace.

    axis: (g,) grid coordinates; z: (g, g) indexed [x2, x1]. Returns x, y of shape
    (3 * n_segments,): each segment's two ends then a NaN, so a plot draws gaps between them.
    Computing it here (a few NumPy calls) spares the browser a contour computation every frame.
    """
    d = np.asarray(z, dtype=float) - level
    d = np.where(d == 0, 1e-12, d)  # a grid value exactly on the level belongs to the upper side
    d00, d01, d10, d11 = d[:-1, :-1], d[:-1, 1:], d[1:, :-1], d[1:, 1:]
    x0, x1 = axis[:-1][None, :], axis[1:][None, :]
    y0, y1 = axis[:-1][:, None], axis[1:][:, None]

    def crossing(da, db, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = da / (da - db)
        return np.where((da > 0) != (db > 0), a + t * (b - a), np.nan)

    shape = d00.shape
    # Crossings on the four edges of every cell, in the order bottom, right, top, left.
    xs = np.stack(
        [
            crossing(d00, d01, x0, x1),
            np.broadcast_to(x1, shape),
            crossing(d10, d11, x0, x1),
            np.broadcast_to(x0, shape),
        ],
        -1,
    )
    ys = np.stack(
        [
            np.broadcast_to(y0, shape),
            crossing(d01, d11, y0, y1),
            np.broadcast_to(y1, shape),
            crossing(d00, d10, y0, y1),
        ],
        -1,
    )
    crosses = np.stack([~np.isnan(xs[..., 0]), ~np.isnan(ys[..., 1]), ~np.isnan(xs[..., 2]), ~np.isnan(ys[..., 3])], -1)
    count = crosses.sum(-1)
    segments = []
    two = count == 2
    if two.any():
        edges = np.argsort(~crosses[two], axis=-1, kind="stable")[:, :2]
        cx, cy = xs[two], ys[two]
        rows = np.arange(len(edges))
        segments.append((cx[rows, edges[:, 0]], cy[rows, edges[:, 0]], cx[rows, edges[:, 1]], cy[rows, edges[:, 1]]))
    four = count == 4
    if four.any():
        # Saddle: the cell's mean decides which corners connect.
        centre_up = ((d00 + d01 + d10 + d11) / 4 > 0)[four]
        same_as_corner = centre_up == (d00[four] > 0)
        cx, cy = xs[four], ys[four]
        first = np.where(same_as_corner, 0, 0), np.where(same_as_corner, 1, 3)
        second = np.where(same_as_corner, 2, 1), np.where(same_as_corner, 3, 2)
        rows = np.arange(len(cx))
        for a, b in (first, second):
            segments.append((cx[rows, a], cy[rows, a], cx[rows, b], cy[rows, b]))
    if not segments:
        return np.array([]), np.array([])
    ax, ay, bx, by = (np.concatenate(parts) for parts in zip(*segments))
    gap = np.full_like(ax, np.nan)
    return np.column_stack([ax, bx, gap]).ravel(), np.column_stack([ay, by, gap]).ravel()


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


def probability_image(probabilities: np.ndarray) -> dict:
    """P(class 1) as one byte per grid cell, top row first (image order), base64: (g, g) -> ~8.5 KB of text.

    The browser maps each byte through ``colour_table`` into an image; Plotly then only swaps a
    layout image (no trace is recomputed), which is what keeps the boundary cheap to redraw.
    """
    levels = np.clip(np.nan_to_num(probabilities, nan=0.5), 0.0, 1.0)[::-1] * 255.0
    return {
        "b64": base64.b64encode(np.round(levels).astype(np.uint8).tobytes()).decode("ascii"),
        "rows": int(probabilities.shape[0]),
        "cols": int(probabilities.shape[1]),
    }


def level_segments(axis: np.ndarray, probabilities: np.ndarray, level: float = 0.5) -> list[float]:
    """The P = level line as flat segment ends [x0, y0, x1, y1, ...] in data coordinates (3 decimals).

    The browser strokes them onto the probability image: one image swap per frame, no shape edit
    (Plotly re-processes far more for a changed shape than for a changed image).
    """
    x, y = level_line(axis, probabilities, level)
    segments = np.column_stack([x[0::3], y[0::3], x[1::3], y[1::3]]) if len(x) else np.empty((0, 4))
    return np.round(segments, 3).ravel().tolist()


def boundary_image(axis: np.ndarray, probabilities: np.ndarray) -> dict:
    """What the browser paints as the boundary chart's background: colours, the 0.5 line, and where it sits."""
    half_cell = float(axis[1] - axis[0]) / 2
    return {
        "target": "images[0].source",
        **probability_image(probabilities),
        "line": level_segments(axis, probabilities),
        # Left edge, top edge and side length of the image in data coordinates; painted at 480 px, smoothed.
        "frame": [float(axis[0]) - half_cell, float(axis[-1]) + half_cell, float(axis[-1] - axis[0]) + 2 * half_cell],
        "upscale": 480,
    }


def _boundary_legend(name: str) -> dict:
    """A legend entry for the boundary line, which the browser strokes onto the image (no trace of its own)."""
    return {
        "type": "scatter",
        "mode": "lines",
        "x": [None],
        "y": [None],
        "line": {"color": "#1F2933", "width": 3},
        "name": name,
        "hoverinfo": "skip",
    }


def _point_traces(kind: str, points: np.ndarray, labels: np.ndarray, marker: dict, visible: bool) -> list[dict]:
    """One marker trace per class: points (n, 2), labels (n,); ``kind`` is 'train' or 'test'."""
    traces = []
    for label, colour in enumerate(CLASS_COLOURS):
        mask = labels == label
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": _round(points[mask, 0], 3),
                "y": _round(points[mask, 1], 3),
                "marker": {"color": colour, **marker},
                "name": f"{kind}: {'blue' if label else 'orange'}",
                "visible": visible,
                "hovertemplate": f"{kind} class {label}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
            }
        )
    return traces


def boundary_figure(
    axis: np.ndarray,
    probabilities: np.ndarray,
    train_points: np.ndarray,
    train_labels: np.ndarray,
    test_points: np.ndarray,
    test_labels: np.ndarray,
    show_test: bool = True,
    height: int = 520,
) -> dict:
    """P(class 1) over the square and the P = 0.5 line (one layout image, painted in the browser), and the points.

    axis: (g,); probabilities: (g, g) indexed [x2, x1]; points (n, 2); labels (n,).
    """
    axis_list = _round(axis, 3)
    data = [
        {
            # Transparent: it carries the colour bar and the hover values; the colours are a layout image.
            "type": "heatmap",
            "x": axis_list,
            "y": axis_list,
            "z": _round(probabilities, 2),
            "zmin": 0,
            "zmax": 1,
            "opacity": 0,
            "colorscale": BOUNDARY_SCALE,
            "colorbar": _square_colorbar("P(blue)", height),
            "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>P(blue)=%{z:.2f}<extra></extra>",
            "name": "prediction",
            "showlegend": False,
        },
        _boundary_legend("boundary (P = 0.5)"),
    ]
    data += _point_traces("train", train_points, train_labels, _TRAIN_MARKER, visible=True)
    data += _point_traces("test", test_points, test_labels, _TEST_MARKER, visible=bool(show_test))
    layout = _square_layout(axis, height)  # no grid lines: they would sit on top of the probability image
    return {"data": data, "layout": layout, "image": {**boundary_image(axis, probabilities), "colours": colour_table()}}


def boundary_update(axis: np.ndarray, probabilities: np.ndarray) -> dict:
    """A new background image (colours and the 0.5 line): one layout image swap, no trace recomputed.

    The hover values of the transparent heatmap (trace 0) are taken from the image's bytes in
    the browser (``hover_trace``), so they are current on every frame at no extra cost.
    """
    return {"image": {**boundary_image(axis, probabilities), "hover_trace": 0}}


# ---- multi-class decision boundary ------------------------------------------------------------
# The same picture as the binary chart (one byte per cell through a 256-entry colour table, a line
# stroked on top), with the byte split into classes: byte = class * L + level, L = 256 // K levels
# per class. Each class's block of the table runs from near-white (confidence 1/K: the classes are
# tied) to the class's full colour (confidence 1). Classes 0 and 1 use the binary chart's colours.
CLASS_PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")  # Okabe-Ito
MAX_CLASSES = len(CLASS_PALETTE)
_PALE = "#F7F7F7"  # the binary scale's middle (P = 0.5)
# (pale, tint, full) per class: classes 0 and 1 are exactly the two halves of BOUNDARY_SCALE.
_CLASS_RAMPS = {0: (_PALE, "#F6B48C", "#C2410C"), 1: (_PALE, "#92C5DE", "#0B5C99")}


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{int(round(v)):02X}" for v in np.clip(rgb, 0, 255))


def class_ramp(label: int) -> tuple[str, str, str]:
    """(pale, tint, full) background colours of class ``label``: the full colour a little darker than the
    class's point colour (points stay visible on their own region), the tint half-way to white."""
    if label in _CLASS_RAMPS:
        return _CLASS_RAMPS[label]
    colour = _rgb(CLASS_PALETTE[label])
    return _PALE, _hex(colour + 0.5 * (255 - colour)), _hex(0.88 * colour)


def class_levels(n_classes: int) -> int:
    """L, the confidence levels per class in a multi-class image byte: 256 // K."""
    _check_classes(n_classes)
    return 256 // n_classes


def _check_classes(n_classes: int) -> None:
    if not 2 <= n_classes <= MAX_CLASSES:
        raise ValueError(f"n_classes must be 2..{MAX_CLASSES} (one colour each), got {n_classes}")


def multiclass_colour_table(n_classes: int) -> list[list[int]]:
    """256 RGB triples: entries c*L .. c*L + L-1 run from pale (confidence 1/K) to class c's full colour.

    The 256 - K*L entries past the last block are never used by an image; they repeat the last colour.
    """
    levels = class_levels(n_classes)
    table = []
    for label in range(n_classes):
        pale, tint, full = class_ramp(label)
        table += colour_table([[0.0, pale], [0.5, tint], [1.0, full]], size=levels)
    return table + [table[-1]] * (256 - len(table))


def _clean_probabilities(probabilities: np.ndarray) -> np.ndarray:
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 3:
        raise ValueError(f"probabilities must be (g, g, K), got shape {p.shape}")
    _check_classes(p.shape[-1])
    return np.clip(np.nan_to_num(p, nan=1.0 / p.shape[-1]), 0.0, 1.0)


def multiclass_bytes(probabilities: np.ndarray) -> np.ndarray:
    """(..., K) class probabilities -> (...) uint8: argmax class * L + confidence level (0 .. L-1).

    Level 0 is confidence 1/K (all classes tied), L-1 is confidence 1. NaN counts as 1/K (uncertain).
    """
    p = np.asarray(probabilities, dtype=float)
    n_classes = p.shape[-1]
    p = np.clip(np.nan_to_num(p, nan=1.0 / n_classes), 0.0, 1.0)
    levels = class_levels(n_classes)
    label = np.argmax(p, axis=-1)
    share = (np.max(p, axis=-1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
    level = np.clip(np.round(share * (levels - 1)), 0, levels - 1).astype(int)
    return (label * levels + level).astype(np.uint8)


def decode_multiclass_bytes(values: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of ``multiclass_bytes`` (to the level's rounding): bytes -> (class, confidence in [1/K, 1])."""
    levels = class_levels(n_classes)
    values = np.asarray(values, dtype=int)
    confidence = 1.0 / n_classes + (values % levels) / (levels - 1) * (1.0 - 1.0 / n_classes)
    return values // levels, confidence


def multiclass_image(probabilities: np.ndarray) -> dict:
    """(g, g, K) probabilities indexed [x2, x1] as one byte per cell, top row first, base64 (as probability_image)."""
    p = _clean_probabilities(probabilities)
    return {
        "b64": base64.b64encode(multiclass_bytes(p)[::-1].tobytes()).decode("ascii"),
        "rows": int(p.shape[0]),
        "cols": int(p.shape[1]),
    }


def multiclass_segments(axis: np.ndarray, probabilities: np.ndarray) -> list[float]:
    """Where the most likely class changes, as flat segment ends [x0, y0, x1, y1, ...] (3 decimals).

    For each class c, the zero line of p_c - max_{j != c} p_j (the edge of c's region) by marching
    squares; the edge between the regions of c and j comes out of both c and j, identically
    (p_c - p_j = -(p_j - p_c)), so repeated segments are dropped.
    """
    p = _clean_probabilities(probabilities)
    parts = []
    for label in range(p.shape[-1]):
        margin = p[..., label] - np.max(np.delete(p, label, axis=-1), axis=-1)
        x, y = level_line(axis, margin, 0.0)
        if len(x):
            parts.append(np.column_stack([x[0::3], y[0::3], x[1::3], y[1::3]]))
    if not parts:
        return []
    segments = np.round(np.concatenate(parts), 3) + 0.0  # + 0.0: no -0.0 next to 0.0
    # One orientation per segment (the lexicographically smaller end first), then unique rows.
    swap = (segments[:, 0] > segments[:, 2]) | ((segments[:, 0] == segments[:, 2]) & (segments[:, 1] > segments[:, 3]))
    segments[swap] = segments[swap][:, [2, 3, 0, 1]]
    return np.unique(segments, axis=0).ravel().tolist()


def _image_frame(axis: np.ndarray) -> dict:
    half_cell = float(axis[1] - axis[0]) / 2
    return {
        "target": "images[0].source",
        # Left edge, top edge and side length of the image in data coordinates; painted at 480 px, smoothed.
        "frame": [float(axis[0]) - half_cell, float(axis[-1]) + half_cell, float(axis[-1] - axis[0]) + 2 * half_cell],
        "upscale": 480,
    }


def multiclass_boundary_image(axis: np.ndarray, probabilities: np.ndarray) -> dict:
    """The multi-class chart's background: class/confidence bytes, the region edges, and where it sits."""
    return {**_image_frame(axis), **multiclass_image(probabilities), "line": multiclass_segments(axis, probabilities)}


def class_names_for(n_classes: int, class_names: list[str] | None = None) -> list[str]:
    """Legend names: the given ones, else 'class 0' .. 'class K-1'."""
    if class_names is None:
        return [f"class {label}" for label in range(n_classes)]
    if len(class_names) != n_classes:
        raise ValueError(f"{len(class_names)} class names for {n_classes} classes")
    return [str(name) for name in class_names]


def _multiclass_hover(probabilities: np.ndarray, class_names: list[str] | None) -> tuple[list, list]:
    """Hover values of the transparent heatmap: confidence (g, g) and the predicted class (g, g): its
    name, or without names only its index (the hover template then says "class"; a smaller figure)."""
    p = _clean_probabilities(probabilities)
    label = np.argmax(p, axis=-1)
    names = class_names_for(p.shape[-1], class_names) if class_names is not None else range(p.shape[-1])
    return _round(np.max(p, axis=-1), 2), np.asarray([str(name) for name in names], dtype=object)[label].tolist()


# A boundary chart lower than this (the row of three charts sized for a 1280x720 projector) has no legend:
# below the plot it would take a third of the height, and the chart's caption says what the marks are.
COMPACT_SQUARE_HEIGHT = 400
COMPACT_POINT_HOVER_DISTANCE = 2


def _square_colorbar(title: str, height: int) -> dict:
    """The boundary chart's colour bar: its title beside it, or (a compact chart, where width is short)
    above it, which leaves the square some 25 px more."""
    if height < COMPACT_SQUARE_HEIGHT:
        return {"title": {"text": title, "side": "top"}, "thickness": 12, "len": 0.85, "xpad": 6}
    return {"title": {"text": title, "side": "right"}, "thickness": 14, "len": 0.9}


def _square_layout(axis: np.ndarray, height: int) -> dict:
    """The boundary chart's layout (as boundary_figure): square axes in x₁, x₂, the legend below, one image."""
    layout = _base_layout("x₁", "x₂", height, hoverdistance=POINT_HOVER_DISTANCE)
    layout["xaxis"].update({"range": [-DOMAIN, DOMAIN], "constrain": "domain", "showgrid": False})
    layout["yaxis"].update({"range": [-DOMAIN, DOMAIN], "scaleanchor": "x", "constrain": "domain", "showgrid": False})
    layout["margin"] = {"l": 60, "r": 10, "t": 10, "b": 95}
    layout["legend"] = {
        "orientation": "h",
        "y": -0.17,
        "yanchor": "top",
        "x": 0.5,
        "xanchor": "center",
        "font": {"size": 13},
    }
    if height < COMPACT_SQUARE_HEIGHT:
        layout["showlegend"] = False
        layout["margin"] = {"l": 50, "r": 5, "t": 8, "b": 48}
        # The points sit closer together on a smaller square: only a point under the pointer shows its
        # own text, elsewhere the prediction.
        layout["hoverdistance"] = COMPACT_POINT_HOVER_DISTANCE
    half_cell = (axis[1] - axis[0]) / 2
    extent = float(axis[-1] - axis[0] + 2 * half_cell)
    layout["images"] = [
        {
            "source": "",  # painted in the browser from the figure's "image"
            "xref": "x",
            "yref": "y",
            "x": float(axis[0] - half_cell),
            "y": float(axis[-1] + half_cell),
            "sizex": extent,
            "sizey": extent,
            "sizing": "stretch",
            "layer": "below",
        }
    ]
    return layout


_TRAIN_MARKER = {"size": 8, "line": {"color": "white", "width": 1}}
# Test points: diamonds a little smaller than the training circles, with a thin dark outline (it tells them
# from the circles and keeps a pale class colour visible on a pale background) that does not cover the
# training points or the surface beneath them.
_TEST_MARKER = {"size": 7, "symbol": "diamond", "line": {"color": "#3E4C59", "width": 0.75}}
# The training point the backprop walkthrough follows: a black ring around it (``with_picked_point``).
PICKED_MARKER = {"size": 20, "symbol": "circle-open", "color": "#111111", "line": {"width": 3}}


def with_picked_point(figure: dict, point: tuple[float, float] | None, label: str = "walkthrough") -> dict:
    """``figure`` (a boundary, multi-class or regression figure) with a ring around ``point`` (x1, x2): the
    training point the walkthrough follows. The trace goes last, so the trace indices the live updates
    use (trace 0: the hover heatmap) stay as they are. ``point`` None: the figure unchanged."""
    if point is None:
        return figure
    x1, x2 = (round(float(value), 3) for value in point)
    ring = {
        "type": "scatter",
        "mode": "markers",
        "x": [x1],
        "y": [x2],
        "marker": dict(PICKED_MARKER),
        "name": f"followed in the {label}",
        "showlegend": False,
        "hovertemplate": f"the point the {label} follows<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
    }
    return {**figure, "data": [*figure["data"], ring]}


FLIPPED_MARKER = {"size": 15, "symbol": "circle-open", "color": "#111111", "line": {"width": 1.5}}


def with_flipped_points(figure: dict, points: np.ndarray) -> dict:
    """``figure`` (a plane figure) with a thin black ring around each training point whose label was flipped
    (label noise): points (k, 2). Last, as ``with_picked_point``'s ring, so the live updates' trace indices
    stay. No points: the figure unchanged."""
    if len(points) == 0:
        return figure
    rings = {
        "type": "scatter",
        "mode": "markers",
        "x": _round(points[:, 0], 3),
        "y": _round(points[:, 1], 3),
        "marker": dict(FLIPPED_MARKER),
        "name": f"flipped label ({len(points)})",
        "hovertemplate": "a training point with a flipped (wrong) label<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
    }
    return {**figure, "data": [*figure["data"], rings]}


def multiclass_boundary_figure(
    axis: np.ndarray,
    probabilities: np.ndarray,
    train_points: np.ndarray,
    train_labels: np.ndarray,
    test_points: np.ndarray,
    test_labels: np.ndarray,
    show_test: bool = True,
    height: int = 520,
    class_names: list[str] | None = None,
) -> dict:
    """The most likely class over the square, shaded by its probability, the region edges, and the points.

    axis: (g,); probabilities: (g, g, K) indexed [x2, x1], K = 2..MAX_CLASSES (softmax outputs);
    points (n, 2); labels (n,) ints in 0..K-1. The same payload as boundary_figure: {"data", "layout",
    "image": {target, b64, rows, cols, line, frame, upscale, colours}}. Trace 0 is a transparent
    heatmap for hover (predicted class and its probability); it has no colour bar (the legend
    names the classes).
    """
    n_classes = _clean_probabilities(probabilities).shape[-1]
    names = class_names_for(n_classes, class_names)
    confidence, predicted = _multiclass_hover(probabilities, class_names)
    predicted_hover = "%{text}" if class_names is not None else "class %{text}"
    axis_list = _round(axis, 3)
    data = [
        {
            "type": "heatmap",
            "x": axis_list,
            "y": axis_list,
            "z": confidence,
            "text": predicted,
            "zmin": 1.0 / n_classes,
            "zmax": 1,
            "opacity": 0,
            "showscale": False,
            "hovertemplate": f"x₁=%{{x:.2f}}<br>x₂=%{{y:.2f}}<br>predicted: {predicted_hover}<br>P=%{{z:.2f}}"
            "<extra></extra>",
            "name": "prediction",
            "showlegend": False,
        },
        _boundary_legend("boundary (most likely class changes)"),
    ]
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    for label in range(n_classes):
        colour, group = CLASS_PALETTE[label], f"class {label}"
        for kind, points, labels, marker, visible in (
            ("train", train_points, train_labels, _TRAIN_MARKER, True),
            ("test", test_points, test_labels, _TEST_MARKER, bool(show_test)),
        ):
            mask = labels == label
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": _round(np.asarray(points)[mask, 0], 3),
                    "y": _round(np.asarray(points)[mask, 1], 3),
                    "marker": {"color": colour, **marker},
                    # One legend entry per class (clicking it hides the class's train and test points).
                    "name": names[label] if kind == "train" else f"test: {names[label]}",
                    "legendgroup": group,
                    "showlegend": kind == "train",
                    "visible": visible,
                    "hovertemplate": f"{kind} point: {names[label]}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
                }
            )
    # A key for the test points' shape (◆ with a dark outline), which the class entries do not show.
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [None],
            "y": [None],
            "marker": {"color": "#9AA5B1", **_TEST_MARKER},
            "name": "test points",
            "visible": bool(show_test),
            "hoverinfo": "skip",
        }
    )
    image = {**multiclass_boundary_image(axis, probabilities), "colours": multiclass_colour_table(n_classes)}
    return {"data": data, "layout": _square_layout(axis, height), "image": image}


def multiclass_boundary_update(
    axis: np.ndarray, probabilities: np.ndarray, refresh_hover: bool = False, class_names: list[str] | None = None
) -> dict:
    """A new background image (one layout image swap), as boundary_update but without ``hover_trace``.

    The browser cannot rebuild the hover (class names and probabilities) from the bytes, so it
    is left as the whole figure drew it, unless ``refresh_hover``: then a restyle of trace 0
    carries it too (a Plotly recalculation, tens of ms: for a paused chart, not every frame).
    """
    update = {"image": multiclass_boundary_image(axis, probabilities)}
    if refresh_hover:
        confidence, predicted = _multiclass_hover(probabilities, class_names)
        update["restyle"] = {"update": {"z": [confidence], "text": [predicted]}, "traces": [0]}
    return update


# ---- regression surface ------------------------------------------------------------------------
# The predicted value over the square as the same kind of image: bytes 0..255 over a fixed value
# range (colours do not jump from frame to frame), the transparent heatmap's hover rebuilt in the
# browser as value = hover_offset + hover_scale * byte / 255. No line is drawn (an empty list:
# the browser then smooths the image as it does the boundary's): a target value has no
# boundary to mark, and on the diverging scale the white already shows where the prediction is 0.
CIVIDIS = [
    [i / 9, colour]
    for i, colour in enumerate(
        ["#00224E", "#123570", "#3B496C", "#575D6D", "#707173", "#8A8678", "#A59C74", "#C3B369", "#E1CC55", "#FEE838"]
    )
]


def regression_value_range(targets: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    """A fixed colour range for a regression chart: the targets' finite range widened by ``margin`` of
    its width on each side (a constant target gets ± 0.5); (-1, 1) when there is no finite target."""
    finite = np.asarray(targets, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-12:
        return low - 0.5, high + 0.5
    pad = margin * (high - low)
    return low - pad, high + pad


def _check_range(value_range: tuple[float, float]) -> tuple[float, float]:
    low, high = float(value_range[0]), float(value_range[1])
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise ValueError(f"value_range must be finite with low < high, got {value_range}")
    return low, high


def regression_scale(value_range: tuple[float, float]) -> list:
    """The colour scale over [low, high]: blue-white-vermillion with white at 0 when the range holds 0
    (negative vermillion, positive blue, as BOUNDARY_SCALE), else cividis (dark blue to yellow)."""
    low, high = _check_range(value_range)
    if not low < 0 < high:
        return CIVIDIS
    zero = -low / (high - low)
    stops = [0.0, zero / 2, zero, zero + (1 - zero) / 2, 1.0]
    return [[round(stop, 6), colour] for stop, (_, colour) in zip(stops, BOUNDARY_SCALE)]


def regression_bytes(values: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """Values (any shape) -> uint8: round(255 * (v - low) / (high - low)), clamped to the range.

    +inf and -inf clamp to the ends; NaN is shown as the scale's neutral value (0 on the diverging
    scale, else low).
    """
    low, high = _check_range(value_range)
    neutral = 0.0 if low < 0 < high else low
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=neutral, posinf=high, neginf=low)
    return np.round(np.clip((v - low) / (high - low), 0.0, 1.0) * 255.0).astype(np.uint8)


def regression_image(axis: np.ndarray, values: np.ndarray, value_range: tuple[float, float]) -> dict:
    """The regression chart's background: (g, g) values indexed [x2, x1] as bytes, top row first, no line."""
    values = np.asarray(values, dtype=float)
    return {
        **_image_frame(axis),
        "b64": base64.b64encode(regression_bytes(values, value_range)[::-1].tobytes()).decode("ascii"),
        "rows": int(values.shape[0]),
        "cols": int(values.shape[1]),
        "line": [],
    }


def regression_surface_figure(
    axis: np.ndarray,
    values: np.ndarray,
    train_points: np.ndarray,
    train_targets: np.ndarray,
    test_points: np.ndarray,
    test_targets: np.ndarray,
    value_range: tuple[float, float],
    show_test: bool = True,
    height: int = 520,
    target_name: str = "y",
) -> dict:
    """The predicted value over the square on a fixed colour range, and the points coloured by their target.

    axis: (g,); values: (g, g) indexed [x2, x1]; points (n, 2); targets (n,); value_range (low, high),
    kept fixed over a run (e.g. ``regression_value_range(all targets)``). Payload as boundary_figure;
    trace 0 (transparent heatmap) carries the hover values and the colour bar.
    """
    low, high = _check_range(value_range)
    scale = regression_scale(value_range)
    axis_list = _round(axis, 3)
    data = [
        {
            "type": "heatmap",
            "x": axis_list,
            "y": axis_list,
            "z": _significant(np.clip(np.asarray(values, dtype=float), low, high), 3),
            "zmin": low,
            "zmax": high,
            "opacity": 0,
            "colorscale": scale,
            "colorbar": _square_colorbar(f"predicted {target_name}", height),
            "hovertemplate": f"x₁=%{{x:.2f}}<br>x₂=%{{y:.2f}}<br>predicted {target_name}=%{{z:.3g}}<extra></extra>",
            "name": "prediction",
            "showlegend": False,
        }
    ]
    for kind, points, targets, marker, visible in (
        ("train", train_points, train_targets, _TRAIN_MARKER, True),
        ("test", test_points, test_targets, _TEST_MARKER, bool(show_test)),
    ):
        targets = _significant(np.asarray(targets, dtype=float), 3)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": _round(np.asarray(points)[:, 0], 3),
                "y": _round(np.asarray(points)[:, 1], 3),
                "customdata": targets,
                "marker": {
                    **marker,
                    "color": targets,
                    "colorscale": scale,
                    "cmin": low,
                    "cmax": high,
                    "showscale": False,
                },
                "name": f"{kind} points",
                "visible": visible,
                "hovertemplate": f"{kind} point: true {target_name}=%{{customdata:.3g}}<br>(%{{x:.2f}}, %{{y:.2f}})"
                "<extra></extra>",
            }
        )
    image = {**regression_image(axis, values, value_range), "colours": colour_table(scale)}
    return {"data": data, "layout": _square_layout(axis, height), "image": image}


def regression_surface_update(axis: np.ndarray, values: np.ndarray, value_range: tuple[float, float]) -> dict:
    """A new background image; the browser rewrites trace 0's hover values from its bytes as
    hover_offset + hover_scale * byte / 255 (the value to 1/255 of the range)."""
    low, high = _check_range(value_range)
    image = regression_image(axis, values, value_range)
    return {"image": {**image, "hover_trace": 0, "hover_offset": low, "hover_scale": high - low}}


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
            "x": _round(epochs, 0),
            "y": _round(values, 5),
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
    layout = _base_layout("epoch", y_title, height)
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
                "x": _round(epochs, 0),
                "y": _significant(learning_rates),
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
    x = _round(epochs, 0)
    return {
        "extend": {
            "update": {"x": [x] * len(series), "y": [_significant(s) if significant else _round(s, 5) for s in series]},
            "traces": list(range(len(series))),
            "from_epoch": None,  # filled in by the live view: the last epoch the chart already has
        }
    }


# ---- axis ranges of the live charts over epochs ------------------------------------------------
# While playing, a chart whose axes do not move can take new points without a Plotly redraw (the
# browser appends them to the drawn lines, see assets/live_plot.js). So the live charts get explicit
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
    on a 2-decade range, crowded in small type), or more on a very long range. live_plot.js repeats this."""
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
            "x": _round(epochs, 0),
            "y": _significant(_positive(norms[:, layer])),
            "name": names[layer],
            "line": {"color": colours[layer], "width": 2.5},
            "hovertemplate": f"epoch %{{x}}<br>{names[layer]}<br>%{{y:.2e}}<extra></extra>",
        }
        for layer in range(n_layers)
    ]
    layout = _base_layout("epoch", y_title, height)
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


def _positive(values: np.ndarray) -> np.ndarray:
    """Zeros cannot sit on a log axis: show them as gaps rather than -inf."""
    values = np.asarray(values, dtype=float).copy()
    values[~(values > 0)] = np.nan
    return values


def gradient_norm_update(epochs: np.ndarray, norms: np.ndarray) -> dict | None:
    return extend_update(epochs, [_positive(norms[:, layer]) for layer in range(norms.shape[1])], significant=True)


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
        return np.asarray(epochs, dtype=float), np.log10(_positive(values)).T


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
        logs = [np.log10(_positive(np.ravel(v))) for v in values]
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
    return {"x": [_round(grid, 1)], "z": [_round(logs, 2)], "zmin": [value_range[0]], "zmax": [value_range[1]]}


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
    layout = _base_layout("epoch", "layer (input at the bottom)", height)
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
            "x": _round(epochs, 0),
            "y": _round(shares[:, i], 4),
            "name": names[i],
            "line": {"color": colours[i], "width": 2.5},
            "hovertemplate": f"epoch %{{x}}<br>{names[i]}: %{{y:.0%}}<extra></extra>",
        }
        for i in range(len(names))
    ]
    layout = _base_layout("epoch", y_title, height)
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
                "x": _round(histogram.centers, 4),
                "y": _round(np.asarray(histogram.counts) / total, 4),
                "name": f"hidden layer {histogram.layer}",
                "hovertemplate": f"layer {histogram.layer}<br>%{{x:.3g}}: %{{y:.1%}}<extra></extra>",
            }
        )
    layout = _base_layout(x_title, "share of values", height)
    layout["yaxis"]["tickformat"] = ".0%"
    layout["legend"] = {"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 12}}
    return {"data": data, "layout": layout}


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
                    "x": _round(epochs, 0),
                    "y": _round(values, 5),
                    "name": f"{name} {kind}",
                    "line": {"color": colour, "width": 3, "dash": dash},
                    "hovertemplate": f"epoch %{{x}}<br>{name} {kind} loss: %{{y:.4f}}<extra></extra>",
                    **fill,
                }
            )
    layout = _base_layout("epoch", y_title, height)
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


# ---- digits: image tiles, confusion matrix, first-layer weights ---------------------------------
# Several small images in one heatmap (a mosaic with empty cells between the tiles): one trace,
# however many tiles, with their titles as annotations. Image row 0 is drawn at the top.
MISTAKE_COLOUR = "#D55E00"  # Okabe-Ito vermillion
GREY_SCALE = [[0.0, "#FFFFFF"], [1.0, "#111111"]]  # ink on paper: 0 white, 1 black
# ColorBrewer Blues (single hue: safe for every colour-vision deficiency; 0 is near-white).
COUNT_SCALE = [
    [i / 8, colour]
    for i, colour in enumerate(
        ["#F7FBFF", "#DEEBF7", "#C6DBEF", "#9ECAE1", "#6BAED6", "#4292C6", "#2171B5", "#08519C", "#08306B"]
    )
]
# The spacing below is in pixels of an 8x8 tile; bigger tiles (MNIST's 28x28) get it scaled by side / 8, so
# that a mosaic of them is laid out on screen as one of 8x8 tiles (the same figure heights then fit).
SPACING_SIDE = 8
TILE_GAP = 2  # empty cells between tiles, across
TILE_TITLE_ROWS = 6  # empty cells above each tile for its two-line title
TILE_PIXELS = 11  # screen pixels per image cell the default figure height allows for
_TITLE_FONT = {"size": 18}
# A mosaic of more cells than this travels as one PNG (an image trace) instead of a heatmap's numbers:
# 24 MNIST digits are 40,000 cells, about 140 KB as text and 10 KB as a PNG, redrawn once a second while
# playing. The 8x8 tiles stay heatmaps (a few KB), whose hover gives each value.
PNG_MIN_CELLS = 10_000


def _spacing(side: int, cells: int) -> int:
    """``cells`` of an 8x8 tile's spacing in pixels of a tile of ``side`` pixels (at least 1)."""
    return max(1, round(cells * side / SPACING_SIDE))


def _tile_side(n_pixels: int) -> int:
    side = math.isqrt(int(n_pixels))
    if side * side != n_pixels:
        raise ValueError(f"{n_pixels} pixels is not a square image")
    return side


def _mosaic(
    tiles: np.ndarray, columns: int, title_rows: int = TILE_TITLE_ROWS
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Tiles (m, s, s) laid out ``columns`` to a row with NaN between them, ``title_rows`` above each
    (both the gap and the title rows counted for 8x8 tiles, scaled by s / 8: ``_spacing``).

    Returns the mosaic (rows * (s + title), columns * (s + gap) - gap) and each tile's top-left cell
    (x, y) in the mosaic (y counts down from the top).
    """
    count, side = tiles.shape[0], tiles.shape[1]
    gap, title_rows = _spacing(side, TILE_GAP), _spacing(side, title_rows)
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    mosaic = np.full((rows * (side + title_rows), columns * (side + gap) - gap), np.nan)
    corners = []
    for index in range(count):
        row, column = divmod(index, columns)
        x, y = column * (side + gap), row * (side + title_rows) + title_rows
        mosaic[y : y + side, x : x + side] = tiles[index]
        corners.append((float(x), float(y)))
    return mosaic, corners


def _mosaic_layout(
    mosaic: np.ndarray, title: str, height: int | None, right_margin: int = 10, side: int = SPACING_SIDE
) -> dict:
    """Hidden axes (pixel positions mean nothing), square cells, image row 0 at the top, the title above.
    Without a height: TILE_PIXELS screen pixels per cell of 8x8 tiles (tiles of ``side`` pixels: as many per tile)."""
    rows, columns = mosaic.shape
    hidden = {"visible": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    layout = _base_layout("", "", height or int(rows * TILE_PIXELS * SPACING_SIDE / side) + 70)
    layout.update(
        {
            "title": {"text": title, "font": _TITLE_FONT, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"},
            "margin": {"l": 10, "r": right_margin, "t": 45, "b": 10},
            "xaxis": {**hidden, "range": [-0.5, columns - 0.5]},
            # A reversed range: mosaic row 0 (each image's row 0) at the top. A column wider than the tiles
            # need leaves room below them, not between them and the title.
            "yaxis": {**hidden, "range": [rows - 0.5, -0.5], "scaleanchor": "x", "constraintoward": "top"},
            "showlegend": False,
        }
    )
    return layout


def _tile_frame(x: float, y: float, side: int, colour: str, width: float) -> dict:
    return {
        "type": "rect",
        "xref": "x",
        "yref": "y",
        "x0": x - 0.5,
        "x1": x + side - 0.5,
        "y0": y - 0.5,
        "y1": y + side - 0.5,
        "line": {"color": colour, "width": width},
        "layer": "above",
    }


def _tile_title_size(side: int, mosaic_rows: int, height: int | None) -> int:
    """The tile titles' font size: 15 px, smaller where the tiles are small (compare mode's compact gallery,
    where "pred 6 ✗" at 15 px ran into its neighbour's). A cell is about (height - margins) / rows screen
    pixels; a bold title of 8 characters takes about 5.5 font sizes, within its tile and the gap beside it."""
    if height is None:
        return 15
    cell = (height - 55) / max(mosaic_rows, 1)
    return int(min(15, max(9, (side + _spacing(side, TILE_GAP)) * cell // 5.5)))


def _tile_title(x: float, y: float, side: int, text: str, colour: str, size: int = 15) -> dict:
    return {
        "xref": "x",
        "yref": "y",
        "x": x + (side - 1) / 2,
        "y": y - 0.7 * side / SPACING_SIDE,  # just above the tile: 0.7 of an 8x8 tile's pixel
        "text": text,
        "showarrow": False,
        "xanchor": "center",
        "yanchor": "bottom",
        "font": {"size": size, "color": colour},
    }


def png_data_url(indices: np.ndarray, palette: np.ndarray, transparent: int | None = None) -> str:
    """An indexed-colour PNG as a data URL: indices (h, w) uint8 into palette (n, 3) RGB 0-255 (n <= 256);
    the ``transparent`` index is drawn see-through. Rows unfiltered (filter byte 0): deflate alone packs
    the flat paper and gaps of a digits mosaic well."""
    indices = np.asarray(indices, dtype=np.uint8)
    rows, columns = indices.shape
    raw = np.zeros((rows, columns + 1), dtype=np.uint8)
    raw[:, 1:] = indices

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", _png_header(columns, rows))
    png += chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes())
    if transparent is not None:
        alpha = np.full(transparent + 1, 255, dtype=np.uint8)
        alpha[transparent] = 0
        png += chunk(b"tRNS", alpha.tobytes())
    png += chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _png_header(columns: int, rows: int) -> bytes:
    """A PNG's IHDR data: width, height, 8 bits per index, colour type 3 (palette), no interlace."""
    return columns.to_bytes(4, "big") + rows.to_bytes(4, "big") + bytes([8, 3, 0, 0, 0])


def mosaic_levels(mosaic: np.ndarray, low: float, high: float) -> np.ndarray:
    """A mosaic's values as PNG indices (r, c) uint8: 1 + round(254 (v - low) / (high - low)), clipped to
    1-255 (the colour scale from low to high); 0 where NaN (the gaps between tiles: transparent)."""
    mosaic = np.asarray(mosaic, dtype=float)
    finite = np.isfinite(mosaic)
    scaled = np.clip((np.where(finite, mosaic, low) - low) / (high - low), 0.0, 1.0)
    return np.where(finite, 1 + np.rint(254 * scaled), 0).astype(np.uint8)


def _mosaic_traces(
    mosaic: np.ndarray,
    low: float,
    high: float,
    scale: list,
    name: str,
    digits: int,
    colorbar: dict | None = None,
    hover: str | None = None,
) -> list[dict]:
    """The traces drawing a mosaic on ``scale`` from ``low`` to ``high``: a heatmap of its numbers (rounded to
    ``digits`` decimals; ``hover``: its hovertemplate, None for none), or past PNG_MIN_CELLS one image trace
    (a PNG, ``mosaic_levels``; no hover), after a transparent two-cell heatmap that carries the colour bar."""
    heatmap = {"type": "heatmap", "zmin": low, "zmax": high, "colorscale": scale, "name": name}
    heatmap.update({"colorbar": colorbar} if colorbar else {"showscale": False})
    if mosaic.size <= PNG_MIN_CELLS:
        return [
            {**heatmap, "z": _round(mosaic, digits), **({"hovertemplate": hover} if hover else {"hoverinfo": "skip"})}
        ]
    palette = np.array([[255, 255, 255], *colour_table(scale, 255)])
    image = {
        "type": "image",
        "source": png_data_url(mosaic_levels(mosaic, low, high), palette, transparent=0),
        "hoverinfo": "skip",
        "name": name,
    }
    bar = [{**heatmap, "z": [[low, high]], "opacity": 0, "hoverinfo": "skip"}] if colorbar else []
    return [*bar, image]


def gallery_indices(
    true_labels: np.ndarray, predicted_labels: np.ndarray, max_images: int = 24, mistakes_first: bool = False
) -> np.ndarray:
    """Which examples the gallery shows, in order: the first ``max_images``, or with ``mistakes_first``
    the mistakes (in their order) before the correct ones."""
    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    if true_labels.shape != predicted_labels.shape:
        raise ValueError(f"labels of shapes {true_labels.shape} and {predicted_labels.shape}")
    order = np.arange(len(true_labels))
    if mistakes_first:
        order = np.argsort(true_labels == predicted_labels, kind="stable")
    return order[: max(0, int(max_images))]


def digit_gallery_figure(
    images: np.ndarray,
    true_labels: np.ndarray,
    predicted_labels: np.ndarray,
    max_images: int = 24,
    columns: int = 8,
    mistakes_first: bool = False,
    title: str | None = None,
    height: int | None = None,
    class_names: list[str] | None = None,
) -> dict:
    """Small greyscale images titled "pred P / true T"; each mistake in a thick vermillion frame, its
    title vermillion, bold and marked ✗. ``class_names``: what each label is called (e.g. ["3", "8"]
    for the 3-vs-8 digits, whose labels are 0 and 1); the labels themselves without.

    images: (n, 64) in [0, 1] (any square size s*s, rows of the image one after another);
    labels (n,). Shows ``gallery_indices(...)`` (at most ``max_images``), ``columns`` to a row.
    The figure's layout.meta holds {"shown": indices, "mistakes": indices among them}.
    """
    images = np.asarray(images, dtype=float)
    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    if images.ndim != 2 or len(images) != len(true_labels):
        raise ValueError(f"images must be (n, pixels) with n = {len(true_labels)}, got {images.shape}")
    side = _tile_side(images.shape[1])
    shown = gallery_indices(true_labels, predicted_labels, max_images, mistakes_first)
    mistakes = [int(i) for i in shown if true_labels[i] != predicted_labels[i]]
    if len(shown) == 0:
        mosaic, corners = np.full((side + TILE_TITLE_ROWS, side), np.nan), []
    else:
        mosaic, corners = _mosaic(images[shown].reshape(-1, side, side), columns)
    shapes, annotations = [], []
    size = _tile_title_size(side, mosaic.shape[0], height)

    def name(label: int) -> str:
        return str(label) if class_names is None else str(class_names[label])

    for index, (x, y) in zip(shown, corners):
        predicted, true = int(predicted_labels[index]), int(true_labels[index])
        if predicted == true:
            shapes.append(_tile_frame(x, y, side, "#9AA5B1", 1))
            annotations.append(
                _tile_title(x, y, side, f"pred {name(predicted)}<br>true {name(true)}", FONT["color"], size)
            )
        else:
            shapes.append(_tile_frame(x, y, side, MISTAKE_COLOUR, 4))
            text = f"<b>pred {name(predicted)} ✗</b><br>true {name(true)}"
            annotations.append(_tile_title(x, y, side, text, MISTAKE_COLOUR, size))
    if title is None:
        wrong = f"{len(mistakes)} mistake{'' if len(mistakes) == 1 else 's'}"
        title = f"{len(shown)} test digits: {wrong} ✗"  # short: it fits a compare-mode column at 1280 px
    data = _mosaic_traces(mosaic, 0.0, 1.0, GREY_SCALE, "digits", 3)
    layout = _mosaic_layout(mosaic, title, height, side=side)
    layout.update(
        {"shapes": shapes, "annotations": annotations, "meta": {"shown": shown.tolist(), "mistakes": mistakes}}
    )
    return {"data": data, "layout": layout}


def pixel_map_figure(pixels: np.ndarray, height: int = 340) -> dict:
    """One image's pixels (s*s,) in [0, 1] as an s x s heat map, ink dark on white, row 1 at the top; the hover
    names each pixel as the walkthrough's tables do (px3,4 = row 3, column 4) with its value. Axes count 1..s."""
    pixels = np.asarray(pixels, dtype=float)
    side = _tile_side(pixels.size)
    counts = list(range(1, side + 1))
    data = [
        {
            "type": "heatmap",
            "x": counts,
            "y": counts,
            "z": _round(pixels.reshape(side, side), 4),
            "zmin": 0,
            "zmax": 1,
            "colorscale": GREY_SCALE,
            "colorbar": {"title": {"text": "x (ink)", "side": "right"}, "thickness": 14},
            "hovertemplate": "px%{y},%{x}: x = %{z:.4g}<extra></extra>",
            "name": "pixels",
        }
    ]
    layout = _base_layout("column", "row", height)
    layout["margin"] = {"l": 60, "r": 10, "t": 10, "b": 50}
    axis = {"showgrid": False, "constrain": "domain", "dtick": max(1, side // 4)}
    layout["xaxis"].update({**axis, "range": [0.5, side + 0.5]})
    layout["yaxis"].update({**axis, "range": [side + 0.5, 0.5], "scaleanchor": "x"})  # row 1 at the top
    return {"data": data, "layout": layout}


def confusion_matrix(true_labels: np.ndarray, predicted_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (K, K) int: [t, p] = how many examples of true class t were predicted as class p.

    Labels (n,) ints in 0..K-1; the matrix sums to n, its trace is the number right.
    """
    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    if true_labels.shape != predicted_labels.shape or true_labels.ndim != 1:
        raise ValueError(f"labels must be two (n,) arrays, got {true_labels.shape} and {predicted_labels.shape}")
    for labels in (true_labels, predicted_labels):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes or np.any(labels != np.round(labels))):
            raise ValueError(f"labels must be integers in 0..{n_classes - 1}")
    flat = true_labels.astype(int) * n_classes + predicted_labels.astype(int)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def confusion_matrix_figure(
    true_labels: np.ndarray,
    predicted_labels: np.ndarray,
    n_classes: int,
    class_names: list[str] | None = None,
    title: str | None = None,
    height: int = 560,
) -> dict:
    """The confusion matrix as a heatmap of counts (Blues: 0 white), each count written in its cell;
    true class down (class 0 at the top), predicted class across; the right answers on the diagonal.

    labels (n,); layout.meta["matrix"] is ``confusion_matrix(...)`` as nested lists.
    """
    matrix = confusion_matrix(true_labels, predicted_labels, n_classes)
    names = (
        [str(label) for label in range(n_classes)] if class_names is None else class_names_for(n_classes, class_names)
    )
    total = int(matrix.sum())
    if title is None:
        accuracy = f"{np.trace(matrix) / total:.1%}" if total else "n/a"
        title = f"{total} test examples, accuracy {accuracy}"  # the panel's heading says what it is
    top = max(int(matrix.max()), 1)
    # Where each count is written: its cell's category. Plotly reads a number-like name that is not a
    # name's own index (the 3-vs-8 digits' "8" is category 1) as an index, so such names go by index.
    position = names if all(name == str(i) for i, name in enumerate(names)) else list(range(n_classes))
    annotations = [
        {
            "xref": "x",
            "yref": "y",
            "x": position[p],
            "y": position[t],
            "text": str(int(matrix[t, p])),
            "showarrow": False,
            # Light cells get dark text, dark cells white; zeros quieter.
            "font": {
                "size": 15 if n_classes <= 10 else 12,
                "color": "white" if matrix[t, p] > 0.5 * top else ("#9AA5B1" if matrix[t, p] == 0 else FONT["color"]),
            },
        }
        for t in range(n_classes)
        for p in range(n_classes)
    ]
    data = [
        {
            "type": "heatmap",
            "x": names,
            "y": names,
            "z": matrix.tolist(),
            "zmin": 0,
            "zmax": top,
            "colorscale": COUNT_SCALE,
            "xgap": 1,
            "ygap": 1,
            "colorbar": {"title": {"text": "count", "side": "right"}, "thickness": 14},
            "hovertemplate": "true %{y}, predicted %{x}<br>%{z} examples<extra></extra>",
            "name": "confusion",
        }
    ]
    layout = _base_layout("predicted class", "true class", height)
    category = {"type": "category", "categoryarray": names, "showgrid": False, "ticks": ""}
    layout["xaxis"].update({**category, "constrain": "domain"})
    # Class 0 at the top, as the matrix is written; square cells.
    layout["yaxis"].update({**category, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"})
    layout.update(
        {
            "title": {"text": title, "font": _TITLE_FONT, "x": 0, "xanchor": "left", "y": 0.99, "yanchor": "top"},
            "margin": {"l": 80, "r": 10, "t": 60, "b": 70},
            "annotations": annotations,
            "meta": {"matrix": matrix.tolist()},
        }
    )
    return {"data": data, "layout": layout}


def first_layer_weights_figure(
    weights: np.ndarray,
    max_units: int = 16,
    columns: int = 8,
    title: str | None = None,
    height: int | None = None,
    quantity: str = "weight",
) -> dict:
    """Each hidden unit's incoming weights as an image: W (s*s, h) (fan_in = s*s pixels, s = 8 or 28,
    fan_out = h units), column j drawn as an s x s tile titled "unit j+1"; the first ``max_units`` units.
    ``quantity`` names the values in the colour bar and the hover ("change" for W − W₀).

    One diverging scale for every tile, symmetric around 0 (negative vermillion, 0 white, positive
    blue): ±max |W| over the units shown. layout.meta["limit"] is that max. 28x28 tiles are one PNG
    (see ``_mosaic_traces``).
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"weights must be (pixels, units), got shape {weights.shape}")
    side = _tile_side(weights.shape[0])
    units = max(1, min(int(max_units), weights.shape[1]))
    shown = weights[:, :units]
    finite = np.abs(shown[np.isfinite(shown)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    mosaic, corners = _mosaic(shown.T.reshape(units, side, side), columns, title_rows=4)  # one-line titles
    shapes = [_tile_frame(x, y, side, "#9AA5B1", 1) for x, y in corners]
    annotations = [_tile_title(x, y, side, f"unit {j + 1}", FONT["color"]) for j, (x, y) in enumerate(corners)]
    if title is None:
        title = f"{units} of {weights.shape[1]} hidden units, {side}×{side} weights each"
    colorbar = {"title": {"text": quantity, "side": "right"}, "thickness": 14}
    hover = f"{quantity} %{{z:.3f}}<extra></extra>"
    data = _mosaic_traces(mosaic, -limit, limit, BOUNDARY_SCALE, "weights", 4, colorbar, hover)
    layout = _mosaic_layout(mosaic, title, height, right_margin=20, side=side)
    layout.update({"shapes": shapes, "annotations": annotations, "meta": {"limit": limit}})
    return {"data": data, "layout": layout}
