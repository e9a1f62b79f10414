"""The decision boundary over the plane: binary (P(class 1)) and multi-class (softmax outputs, Okabe-Ito
classes), and what every chart of the plane shares: the grid, level lines, the square layout, the point
markers and the rings around a followed or a flipped training point.

The colours are one byte per grid cell, painted into a layout image in the browser through a colour table
(``boundary_image``): a frame swaps that image and recomputes no trace.
"""

from __future__ import annotations

import base64

import numpy as np

from playground.plots.style import (
    BOUNDARY_SCALE,
    CLASS_COLOURS,
    base_layout,
    class_names_for,
    colour_table,
    round_decimals,
)

GRID_RESOLUTION = 80
DOMAIN = 6.0
# The boundary charts' hover: a point's own text only with the pointer on it (Plotly's default, 20 px,
# lets the points, dense on the plane, hide the prediction under the pointer almost everywhere).
POINT_HOVER_DISTANCE = 6


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
    up = d > 0
    # Only cells with corners on both sides hold a piece of the line (about 2g of the g^2 cells): the
    # rest of the work runs on those alone, every frame.
    mixed = (up[:-1, :-1] != up[:-1, 1:]) | (up[:-1, :-1] != up[1:, :-1]) | (up[:-1, :-1] != up[1:, 1:])
    rows, cols = np.nonzero(mixed)
    d00, d01, d10, d11 = d[rows, cols], d[rows, cols + 1], d[rows + 1, cols], d[rows + 1, cols + 1]
    x0, x1 = axis[cols], axis[cols + 1]
    y0, y1 = axis[rows], axis[rows + 1]

    def crossing(da, db, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = da / (da - db)
        return np.where((da > 0) != (db > 0), a + t * (b - a), np.nan)

    # Crossings on the four edges of every cell, in the order bottom, right, top, left.
    xs = np.stack([crossing(d00, d01, x0, x1), x1, crossing(d10, d11, x0, x1), x0], -1)
    ys = np.stack([y0, crossing(d01, d11, y0, y1), y1, crossing(d00, d10, y0, y1)], -1)
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
                "x": round_decimals(points[mask, 0], 3),
                "y": round_decimals(points[mask, 1], 3),
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
    axis_list = round_decimals(axis, 3)
    data = [
        {
            # Transparent: it carries the colour bar and the hover values; the colours are a layout image.
            "type": "heatmap",
            "x": axis_list,
            "y": axis_list,
            "z": round_decimals(probabilities, 2),
            "zmin": 0,
            "zmax": 1,
            "opacity": 0,
            "colorscale": BOUNDARY_SCALE,
            "colorbar": square_colorbar("P(blue)", height),
            "hovertemplate": "x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>P(blue)=%{z:.2f}<extra></extra>",
            "name": "prediction",
            "showlegend": False,
        },
        _boundary_legend("boundary (P = 0.5)"),
    ]
    data += _point_traces("train", train_points, train_labels, TRAIN_MARKER, visible=True)
    data += _point_traces("test", test_points, test_labels, TEST_MARKER, visible=bool(show_test))
    layout = square_layout(axis, height)  # no grid lines: they would sit on top of the probability image
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


def image_frame(axis: np.ndarray) -> dict:
    half_cell = float(axis[1] - axis[0]) / 2
    return {
        "target": "images[0].source",
        # Left edge, top edge and side length of the image in data coordinates; painted at 480 px, smoothed.
        "frame": [float(axis[0]) - half_cell, float(axis[-1]) + half_cell, float(axis[-1] - axis[0]) + 2 * half_cell],
        "upscale": 480,
    }


def multiclass_boundary_image(axis: np.ndarray, probabilities: np.ndarray) -> dict:
    """The multi-class chart's background: class/confidence bytes, the region edges, and where it sits."""
    return {**image_frame(axis), **multiclass_image(probabilities), "line": multiclass_segments(axis, probabilities)}


def _multiclass_hover(probabilities: np.ndarray, class_names: list[str] | None) -> tuple[list, list]:
    """Hover values of the transparent heatmap: confidence (g, g) and the predicted class (g, g): its
    name, or without names only its index (the hover template then says "class"; a smaller figure)."""
    p = _clean_probabilities(probabilities)
    label = np.argmax(p, axis=-1)
    names = class_names_for(p.shape[-1], class_names) if class_names is not None else range(p.shape[-1])
    return round_decimals(np.max(p, axis=-1), 2), np.asarray([str(name) for name in names], dtype=object)[
        label
    ].tolist()


# A boundary chart lower than this (the row of three charts sized for a 1280x720 projector) has no legend:
# below the plot it would take a third of the height, and the chart's caption says what the marks are.
COMPACT_SQUARE_HEIGHT = 400
COMPACT_POINT_HOVER_DISTANCE = 2


def square_colorbar(title: str, height: int) -> dict:
    """The boundary chart's colour bar: its title beside it, or (a compact chart, where width is short)
    above it, which leaves the square some 25 px more."""
    if height < COMPACT_SQUARE_HEIGHT:
        return {"title": {"text": title, "side": "top"}, "thickness": 12, "len": 0.85, "xpad": 6}
    return {"title": {"text": title, "side": "right"}, "thickness": 14, "len": 0.9}


def square_layout(axis: np.ndarray, height: int) -> dict:
    """The boundary chart's layout (as boundary_figure): square axes in x₁, x₂, the legend below, one image."""
    layout = base_layout("x₁", "x₂", height, hoverdistance=POINT_HOVER_DISTANCE)
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


TRAIN_MARKER = {"size": 8, "line": {"color": "white", "width": 1}}
# Test points: diamonds a little smaller than the training circles, with a thin dark outline (it tells them
# from the circles and keeps a pale class colour visible on a pale background) that does not cover the
# training points or the surface beneath them.
TEST_MARKER = {"size": 7, "symbol": "diamond", "line": {"color": "#3E4C59", "width": 0.75}}
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
        "x": round_decimals(points[:, 0], 3),
        "y": round_decimals(points[:, 1], 3),
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
    axis_list = round_decimals(axis, 3)
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
            ("train", train_points, train_labels, TRAIN_MARKER, True),
            ("test", test_points, test_labels, TEST_MARKER, bool(show_test)),
        ):
            mask = labels == label
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": round_decimals(np.asarray(points)[mask, 0], 3),
                    "y": round_decimals(np.asarray(points)[mask, 1], 3),
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
            "marker": {"color": "#9AA5B1", **TEST_MARKER},
            "name": "test points",
            "visible": bool(show_test),
            "hoverinfo": "skip",
        }
    )
    image = {**multiclass_boundary_image(axis, probabilities), "colours": multiclass_colour_table(n_classes)}
    return {"data": data, "layout": square_layout(axis, height), "image": image}


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
