"""The image datasets' figures: the digits gallery, one image's pixel map, the confusion matrix and the
first-layer weights as tiles; large mosaics (MNIST's 28x28) travel as one indexed PNG (``png_data_url``).
"""

from __future__ import annotations

import base64
import math
import zlib

import numpy as np

from playground.plots.style import BOUNDARY_SCALE, FONT, base_layout, class_names_for, colour_table, round_decimals

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
    layout = base_layout("", "", height or int(rows * TILE_PIXELS * SPACING_SIDE / side) + 70)
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
            {
                **heatmap,
                "z": round_decimals(mosaic, digits),
                **({"hovertemplate": hover} if hover else {"hoverinfo": "skip"}),
            }
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
            "z": round_decimals(pixels.reshape(side, side), 4),
            "zmin": 0,
            "zmax": 1,
            "colorscale": GREY_SCALE,
            "colorbar": {"title": {"text": "x (ink)", "side": "right"}, "thickness": 14},
            "hovertemplate": "px%{y},%{x}: x = %{z:.4g}<extra></extra>",
            "name": "pixels",
        }
    ]
    layout = base_layout("column", "row", height)
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
    layout = base_layout("predicted class", "true class", height)
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
