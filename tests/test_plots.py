"""Figure builders for multi-class boundaries, regression surfaces and the digits views
(playground/plots/boundary.py, regression.py, images.py).

Plotly, when installed, checks the figures' property names.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from playground.plots import boundary as boundary_plots
from playground.plots import images as image_plots
from playground.plots import regression as regression_plots
from playground.plots import style as plot_style

ROOT = Path(__file__).resolve().parents[1]
PLOTS_DIR = ROOT / "playground" / "plots"
AXIS, GRID_POINTS = boundary_plots.boundary_grid(24)


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sector_probabilities(n_classes: int, sharpness: float = 1.0) -> np.ndarray:
    """(g, g, K) softmax over K directions: class c wins in the sector around angle 2πc/K."""
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    directions = np.column_stack([np.cos(angles), np.sin(angles)])  # (K, 2)
    return softmax(sharpness * GRID_POINTS @ directions.T).reshape(len(AXIS), len(AXIS), n_classes)


def decoded(image: dict) -> np.ndarray:
    """An image payload's bytes as (rows, cols), back in the grid's order (row 0 = smallest x2)."""
    pixels = np.frombuffer(base64.b64decode(image["b64"]), dtype=np.uint8)
    return pixels.reshape(image["rows"], image["cols"])[::-1]


def assert_plotly_figure(figure: dict) -> None:
    """JSON without NaN (the browser's JSON.parse takes no NaN) and, with plotly installed, only
    property names and values plotly accepts."""
    json.dumps(figure, allow_nan=False)
    go = pytest.importorskip("plotly.graph_objects")
    go.Figure(data=figure["data"], layout=figure["layout"])


def tile_annotations(figure: dict) -> list[dict]:
    return [a for a in figure["layout"]["annotations"] if a.get("xref") == "x"]


def png_decoded(source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An indexed PNG data URL read back: (indices (h, w), palette (n, 3), alpha per index (n,)).

    Reads the chunks (checking each CRC) and unfilters rows of filter type 0 (the only one written)."""
    head, _, text = source.partition(",")
    assert head == "data:image/png;base64"
    data = base64.b64decode(text)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert int.from_bytes(data[at + 8 + length : at + 12 + length], "big") == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    width, height = int.from_bytes(chunks[b"IHDR"][:4], "big"), int.from_bytes(chunks[b"IHDR"][4:8], "big")
    assert chunks[b"IHDR"][8:10] == bytes([8, 3]) and b"IEND" in chunks  # 8-bit indices into a palette
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, width + 1)
    assert np.all(rows[:, 0] == 0)
    palette = np.frombuffer(chunks[b"PLTE"], dtype=np.uint8).reshape(-1, 3)
    alpha = np.full(len(palette), 255, dtype=np.uint8)
    transparency = np.frombuffer(chunks.get(b"tRNS", b""), dtype=np.uint8)
    alpha[: transparency.size] = transparency
    return rows[:, 1:], palette, alpha


def tile_values(figure: dict, trace: dict, index: int, low: float, high: float) -> np.ndarray:
    """Tile ``index`` of a PNG mosaic as values (side, side) on the scale low..high, found by its frame."""
    levels, _, _ = png_decoded(trace["source"])
    frame = figure["layout"]["shapes"][index]
    top, left = int(frame["y0"] + 0.5), int(frame["x0"] + 0.5)
    side = int(frame["x1"] - frame["x0"])
    tile = levels[top : top + side, left : left + side].astype(float)
    assert np.all(tile >= 1)  # no gap (transparent index 0) inside a tile
    return low + (tile - 1) / 254 * (high - low)


MNIST_FILE = Path(__file__).resolve().parents[1] / "playground" / "data" / "mnist.npz"


def mnist_images(n: int) -> np.ndarray:
    """The first n shipped MNIST digits as rows (n, 784) in [0, 1]."""
    with np.load(MNIST_FILE) as data:
        return data["images"][:n] / 255.0


# ---- multi-class boundary ----------------------------------------------------------------------
@pytest.mark.parametrize("n_classes", [3, 4, 5])
def test_multiclass_bytes_decode_to_the_argmax_class_and_its_probability(n_classes):
    rng = np.random.default_rng(n_classes)
    p = softmax(rng.normal(scale=3, size=(500, n_classes)))
    values = boundary_plots.multiclass_bytes(p)
    levels = boundary_plots.class_levels(n_classes)
    assert levels == 256 // n_classes and values.dtype == np.uint8
    label, confidence = boundary_plots.decode_multiclass_bytes(values, n_classes)
    np.testing.assert_array_equal(label, p.argmax(-1))
    # One level is (1 - 1/K) / (L - 1) of probability; rounding is off by at most half of one.
    step = (1 - 1 / n_classes) / (levels - 1)
    np.testing.assert_allclose(confidence, p.max(-1), atol=step / 2 + 1e-12)


def test_multiclass_bytes_ends_of_each_class_block():
    n_classes = 3
    levels = boundary_plots.class_levels(n_classes)  # 85
    p = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3], [0.2, 0.2, 0.6], [np.nan] * 3])
    values = boundary_plots.multiclass_bytes(p).tolist()
    # Sure: the last level of the class's block; uncertain (and NaN): level 0 (argmax takes class 0 on ties).
    assert values[:3] == [levels - 1, 2 * levels - 1, 3 * levels - 1]
    assert values[3] == 0 and values[5] == 0
    assert values[4] == 2 * levels + round((0.6 - 1 / 3) / (2 / 3) * (levels - 1))


@pytest.mark.parametrize("n_classes", [2, 3, 4, 5])
def test_multiclass_colour_table_has_a_pale_to_full_block_per_class(n_classes):
    table = np.array(boundary_plots.multiclass_colour_table(n_classes))
    levels = boundary_plots.class_levels(n_classes)
    assert table.shape == (256, 3) and table.min() >= 0 and table.max() <= 255
    for label in range(n_classes):
        block = table[label * levels : (label + 1) * levels]
        pale, _, full = boundary_plots.class_ramp(label)
        assert block[0].tolist() == [int(pale[i : i + 2], 16) for i in (1, 3, 5)]
        assert block[-1].tolist() == [int(full[i : i + 2], 16) for i in (1, 3, 5)]
        # Pale is near-white; brightness falls steadily towards the full colour.
        assert block[0].min() > 240
        assert np.all(np.diff(block.sum(1)) <= 1)
    # The full colours are distinct classes.
    fulls = {tuple(table[(label + 1) * levels - 1]) for label in range(n_classes)}
    assert len(fulls) == n_classes


def test_classes_0_and_1_use_the_binary_charts_colours():
    assert boundary_plots.CLASS_PALETTE[:2] == plot_style.CLASS_COLOURS
    binary = plot_style.colour_table()  # P(class 1) from 0 (class 0, sure) to 1 (class 1, sure)
    table = boundary_plots.multiclass_colour_table(2)
    levels = boundary_plots.class_levels(2)
    assert table[levels - 1] == binary[0]  # class 0 sure: the binary chart's P = 0
    assert table[2 * levels - 1] == binary[-1]  # class 1 sure: P = 1


def test_multiclass_image_is_top_row_first():
    p = np.full((3, 2, 3), 1 / 3)
    p[-1] = [0, 0, 1]  # the top row of the square (largest x2) is sure of class 2
    image = boundary_plots.multiclass_image(p)
    pixels = np.frombuffer(base64.b64decode(image["b64"]), dtype=np.uint8).reshape(3, 2)
    assert (image["rows"], image["cols"]) == (3, 2)
    assert pixels[0].tolist() == [255 - 1, 255 - 1] and pixels[1:].max() == 0  # 3 * 85 - 1 = 254


def test_multiclass_segments_trace_the_region_edges_once():
    p = sector_probabilities(3)
    flat = np.array(boundary_plots.multiclass_segments(AXIS, p)).reshape(-1, 4)
    assert len(flat) > 0
    assert len(np.unique(flat, axis=0)) == len(flat)  # no segment twice
    # Every segment end lies where the two most likely classes are (nearly) tied.
    ends = np.vstack([flat[:, :2], flat[:, 2:]])
    angles = 2 * np.pi * np.arange(3) / 3
    scores = np.sort(ends @ np.column_stack([np.cos(angles), np.sin(angles)]).T, axis=1)
    assert np.max(scores[:, -1] - scores[:, -2]) < 0.1  # to the interpolation within a 0.5-wide cell
    # Three rays from the centre across a 24-cell grid: a few dozen segments, not twice as many.
    assert 30 < len(flat) < 60


def test_one_class_everywhere_has_no_boundary():
    p = np.zeros((5, 5, 4))
    p[..., 2] = 1
    assert boundary_plots.multiclass_segments(np.linspace(-6, 6, 5), p) == []


def test_multiclass_boundary_figure_payload_matches_the_binary_ones_shape():
    p = sector_probabilities(4)
    rng = np.random.default_rng(0)
    points = rng.uniform(-6, 6, (40, 2))
    labels = np.arange(40) % 4
    figure = boundary_plots.multiclass_boundary_figure(AXIS, p, points[:30], labels[:30], points[30:], labels[30:])
    binary = boundary_plots.boundary_figure(AXIS, p[..., 1], points[:30], labels[:30] % 2, points[30:], labels[30:] % 2)
    assert set(figure) == set(binary) == {"data", "layout", "image"}
    assert set(figure["image"]) == set(binary["image"])
    assert len(figure["image"]["colours"]) == 256
    assert figure["layout"]["xaxis"]["title"] == binary["layout"]["xaxis"]["title"]
    assert figure["layout"]["yaxis"]["title"] == binary["layout"]["yaxis"]["title"]
    assert figure["layout"]["images"] == binary["layout"]["images"]
    np.testing.assert_array_equal(
        boundary_plots.decode_multiclass_bytes(decoded(figure["image"]), 4)[0], p.argmax(-1)
    )  # the picture is the argmax
    hover = figure["data"][0]
    assert hover["type"] == "heatmap" and hover["opacity"] == 0 and not hover["showscale"]
    assert hover["text"][0][0] == str(p[0, 0].argmax()) and "class %{text}" in hover["hovertemplate"]
    assert hover["z"][5][7] == pytest.approx(p[5, 7].max(), abs=0.005)
    assert_plotly_figure(figure)


def test_multiclass_points_in_class_colours_with_one_legend_entry_per_class():
    p = sector_probabilities(3)
    points = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    labels = np.array([0, 1, 2, 2])
    names = ["cat", "dog", "bird"]
    figure = boundary_plots.multiclass_boundary_figure(
        AXIS, p, points, labels, points[:1], labels[:1], False, class_names=names
    )
    scatter = [t for t in figure["data"] if t["type"] == "scatter" and t["mode"] == "markers" and t["x"] != [None]]
    train = [t for t in scatter if t.get("showlegend")]
    test = [t for t in scatter if not t.get("showlegend")]
    assert [t["name"] for t in train] == names
    assert [t["marker"]["color"] for t in train] == list(boundary_plots.CLASS_PALETTE[:3])
    assert [len(t["x"]) for t in train] == [1, 1, 2]
    assert all(t["visible"] is False and t["marker"]["symbol"] == "diamond" for t in test)
    assert [t["legendgroup"] for t in test] == [t["legendgroup"] for t in train]
    assert "%{text}<br>" in figure["data"][0]["hovertemplate"] and figure["data"][0]["text"][0][0] in names


def test_multiclass_update_never_asks_the_browser_to_rewrite_hover_from_bytes():
    p = sector_probabilities(5)
    update = boundary_plots.multiclass_boundary_update(AXIS, p)
    assert set(update) == {"image"} and "hover_trace" not in update["image"]
    assert update["image"]["line"] == boundary_plots.multiclass_segments(AXIS, p)
    refreshed = boundary_plots.multiclass_boundary_update(AXIS, p, refresh_hover=True, class_names=list("abcde"))
    assert refreshed["restyle"]["traces"] == [0]
    assert refreshed["restyle"]["update"]["text"][0][3][4] == "abcde"[p[3, 4].argmax()]
    json.dumps(refreshed, allow_nan=False)


def test_the_browser_rewrites_hover_only_when_told_to_and_with_the_payloads_scale():
    live_modules = ROOT / "assets" / "live"
    # Both ways a picture is shown (the worker's, and painted on the page) refresh hover only when told to;
    # null or missing: none. The browser tests check the values against the page.
    assert "if (image.hover_trace != null) refreshHover(host, image);" in (live_modules / "payload.js").read_text()
    images = (live_modules / "images.js").read_text()
    assert "if (image.hover_trace != null) {" in images
    assert "low + (span * bytes.charCodeAt(offset + c)) / 255" in images


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros((4, 4, 1)), np.zeros((4, 4, 8))])
def test_multiclass_rejects_what_it_cannot_colour(bad):
    with pytest.raises(ValueError):
        boundary_plots.multiclass_image(bad)


# ---- regression surface ------------------------------------------------------------------------
def test_regression_bytes_are_monotone_in_the_value_and_clamped_to_the_range():
    values = np.linspace(-5, 5, 1001)
    levels = regression_plots.regression_bytes(values, (-2.0, 3.0)).astype(int)
    assert np.all(np.diff(levels) >= 0)
    assert levels[values <= -2].max() == 0 and levels[values >= 3].min() == 255
    assert levels[np.argmin(np.abs(values - 0.5))] in (127, 128)  # the middle of the range
    special = regression_plots.regression_bytes(np.array([np.inf, -np.inf, np.nan]), (-2.0, 3.0)).tolist()
    assert special == [255, 0, round(2 / 5 * 255)]  # NaN: the diverging scale's white (0)
    assert regression_plots.regression_bytes(np.array([np.nan]), (1.0, 2.0)).tolist() == [0]


def test_regression_range_is_fixed_so_the_same_value_keeps_its_colour():
    grid = np.full((3, 3), 0.7)
    first = regression_plots.regression_surface_update(AXIS[:3], grid, (0.0, 1.0))
    other = grid.copy()
    other[0, 0] = 50.0  # an outlier elsewhere does not rescale the rest
    second = regression_plots.regression_surface_update(AXIS[:3], other, (0.0, 1.0))
    a, b = decoded(first["image"]), decoded(second["image"])
    assert a[1, 1] == b[1, 1] == round(0.7 * 255) and b[0, 0] == 255


def test_regression_update_tells_the_browser_how_to_turn_bytes_into_values():
    values = GRID_POINTS[:, 0].reshape(len(AXIS), len(AXIS)) / 3  # x1 / 3, in [-2, 2]
    update = regression_plots.regression_surface_update(AXIS, values, (-2.0, 2.0))
    image = update["image"]
    assert image["hover_trace"] == 0 and image["line"] == []
    # What assets/live/images.js writes into the hover: hover_offset + hover_scale * byte / 255.
    hover = image["hover_offset"] + image["hover_scale"] * decoded(image) / 255
    np.testing.assert_allclose(hover, values, atol=4 / 255 / 2 + 1e-9)


def test_regression_scale_is_diverging_at_zero_or_sequential():
    scale = regression_plots.regression_scale((-1.0, 3.0))
    assert [stop for stop, _ in scale] == [0.0, 0.125, 0.25, 0.625, 1.0]
    assert scale[2][1] == "#F7F7F7"  # white at value 0
    assert regression_plots.regression_scale((1.0, 3.0)) == regression_plots.CIVIDIS
    assert min(plot_style.colour_table(scale)[64]) > 240  # byte 64: value 0.004, nearly white
    for bad in [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf)]:
        with pytest.raises(ValueError):
            regression_plots.regression_scale(bad)


def test_regression_value_range_pads_and_survives_constant_targets():
    assert regression_plots.regression_value_range(np.array([0.0, 10.0])) == pytest.approx((-0.5, 10.5))
    assert regression_plots.regression_value_range(np.array([2.0, 2.0, np.nan])) == (1.5, 2.5)
    assert regression_plots.regression_value_range(np.array([np.nan])) == (-1.0, 1.0)


def test_regression_figure_points_and_colour_bar_share_the_scale():
    values = GRID_POINTS[:, 1].reshape(len(AXIS), len(AXIS)) / 6
    points = np.array([[0.0, 1.0], [2.0, -3.0], [1.0, 1.0]])
    targets = np.array([0.1, -0.5, 9.0])
    figure = regression_plots.regression_surface_figure(
        AXIS, values, points[:2], targets[:2], points[2:], targets[2:], (-1.0, 1.0), target_name="height"
    )
    hover, train, test = figure["data"]
    assert hover["opacity"] == 0 and hover["zmin"] == -1 and hover["zmax"] == 1
    assert hover["colorbar"]["title"]["text"] == "predicted height" and "predicted height" in hover["hovertemplate"]
    for trace in (train, test):
        assert trace["marker"]["colorscale"] == hover["colorscale"]
        assert (trace["marker"]["cmin"], trace["marker"]["cmax"]) == (-1, 1)
    assert train["marker"]["color"] == [0.1, -0.5] and test["marker"]["symbol"] == "diamond"
    assert figure["image"]["colours"] == plot_style.colour_table(hover["colorscale"])
    assert figure["image"]["line"] == [] and "hover_trace" not in figure["image"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "x₁"
    assert_plotly_figure(figure)


# ---- digits ------------------------------------------------------------------------------------
def digit_images(n: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.uniform(0, 1, (n, 64))


def test_gallery_marks_exactly_the_mistakes():
    true = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    pred = np.array([0, 7, 2, 3, 9, 5, 6, 7, 8, 4])  # mistakes at 1, 4, 9
    figure = image_plots.digit_gallery_figure(digit_images(10), true, pred, columns=4)
    titles = tile_annotations(figure)
    assert len(titles) == 10
    marked = [i for i, a in enumerate(titles) if "✗" in a["text"]]
    assert marked == [1, 4, 9] and figure["layout"]["meta"]["mistakes"] == [1, 4, 9]
    assert titles[1]["text"] == "<b>pred 7 ✗</b><br>true 1" and titles[0]["text"] == "pred 0<br>true 0"
    assert all(a["font"]["color"] == image_plots.MISTAKE_COLOUR for i, a in enumerate(titles) if i in marked)
    assert all(a["font"]["color"] != image_plots.MISTAKE_COLOUR for i, a in enumerate(titles) if i not in marked)
    frames = figure["layout"]["shapes"]
    assert [i for i, s in enumerate(frames) if s["line"]["color"] == image_plots.MISTAKE_COLOUR] == [1, 4, 9]
    assert all(a["font"]["size"] >= 14 for a in titles) and figure["layout"]["title"]["font"]["size"] >= 14
    assert "3 mistakes" in figure["layout"]["title"]["text"]
    assert_plotly_figure(figure)


def test_gallery_tiles_show_the_images_upright_and_the_cap_holds():
    images = np.zeros((30, 64))
    images[:, :8] = 1.0  # the top row of every digit inked
    true = np.zeros(30, dtype=int)
    pred = np.zeros(30, dtype=int)
    pred[25] = 3
    figure = image_plots.digit_gallery_figure(images, true, pred, max_images=12, columns=6)
    z = np.array([[np.nan if v is None else v for v in row] for row in figure["data"][0]["z"]])
    assert len(tile_annotations(figure)) == 12 and figure["layout"]["meta"]["shown"] == list(range(12))
    first = figure["layout"]["shapes"][0]  # the first tile's frame: rows y0+0.5 .. y1-0.5
    top = int(first["y0"] + 0.5)
    assert np.all(z[top, :8] == 1) and np.all(z[top + 1 : top + 8, :8] == 0)
    assert figure["layout"]["yaxis"]["range"][0] > figure["layout"]["yaxis"]["range"][1]  # row 0 at the top
    first = image_plots.digit_gallery_figure(images, true, pred, max_images=4, mistakes_first=True)
    assert first["layout"]["meta"] == {"shown": [25, 0, 1, 2], "mistakes": [25]}


def test_confusion_matrix_against_a_hand_count():
    true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    pred = np.array([0, 0, 1, 1, 2, 2, 2, 0, 2])
    matrix = image_plots.confusion_matrix(true, pred, 3)
    expected = [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    assert matrix.tolist() == expected and matrix.sum() == len(true) and np.trace(matrix) == 6
    assert np.issubdtype(matrix.dtype, np.integer)
    assert image_plots.confusion_matrix(np.array([], dtype=int), np.array([], dtype=int), 4).tolist() == [[0] * 4] * 4
    for bad_true, bad_pred in [([0, 3], [0, 1]), ([0, -1], [0, 0]), ([0, 1], [0])]:
        with pytest.raises(ValueError):
            image_plots.confusion_matrix(np.array(bad_true), np.array(bad_pred), 3)


def test_confusion_matrix_figure_writes_every_count_in_its_cell():
    rng = np.random.default_rng(2)
    true = rng.integers(0, 10, 300)
    pred = np.where(rng.uniform(size=300) < 0.8, true, rng.integers(0, 10, 300))
    figure = image_plots.confusion_matrix_figure(true, pred, 10)
    matrix = image_plots.confusion_matrix(true, pred, 10)
    heatmap = figure["data"][0]
    assert heatmap["z"] == matrix.tolist() and figure["layout"]["meta"]["matrix"] == matrix.tolist()
    cells = {(a["y"], a["x"]): int(a["text"]) for a in figure["layout"]["annotations"]}
    assert cells == {(str(t), str(p)): int(matrix[t, p]) for t in range(10) for p in range(10)}
    assert sum(cells.values()) == 300
    assert figure["layout"]["xaxis"]["title"]["text"] == "predicted class"
    assert figure["layout"]["yaxis"]["title"]["text"] == "true class"
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # class 0 at the top
    assert f"{np.trace(matrix) / 300:.1%}" in figure["layout"]["title"]["text"]
    assert heatmap["colorscale"] == image_plots.COUNT_SCALE and heatmap["zmin"] == 0
    assert_plotly_figure(figure)


def test_first_layer_weights_share_one_symmetric_scale():
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(64, 20))
    weights[5, 2] = -7.0  # the largest magnitude, negative
    figure = image_plots.first_layer_weights_figure(weights, max_units=16)
    heatmap = figure["data"][0]
    assert heatmap["zmin"] == -heatmap["zmax"] == -7.0 and figure["layout"]["meta"]["limit"] == 7.0
    assert heatmap["colorscale"] == plot_style.BOUNDARY_SCALE  # white at 0
    titles = [a["text"] for a in tile_annotations(figure)]
    assert titles == [f"unit {j}" for j in range(1, 17)]
    # Unit 3's tile (column 2 of W) holds W[:, 2] as an 8 x 8 image, row by row.
    z = np.array([[np.nan if v is None else v for v in row] for row in heatmap["z"]])
    frame = figure["layout"]["shapes"][2]
    top, left = int(frame["y0"] + 0.5), int(frame["x0"] + 0.5)
    np.testing.assert_allclose(z[top : top + 8, left : left + 8], weights[:, 2].reshape(8, 8), atol=1e-4)
    assert_plotly_figure(figure)


def test_first_layer_weights_of_a_zero_layer_still_draw():
    figure = image_plots.first_layer_weights_figure(np.zeros((64, 3)))
    assert figure["data"][0]["zmax"] == 1.0 and len(tile_annotations(figure)) == 3
    with pytest.raises(ValueError):
        image_plots.first_layer_weights_figure(np.zeros((60, 3)))  # not a square image


@pytest.mark.parametrize("module", ["style", "boundary", "regression", "history", "flow", "images"])
def test_the_figure_builders_do_not_import_streamlit_or_the_engine(module):
    lines = (PLOTS_DIR / f"{module}.py").read_text().splitlines()
    imports = {line.split()[1] for line in lines if line.startswith(("import ", "from "))}
    others = {name for name in imports if not name.startswith("playground.plots.")}
    assert others <= {"__future__", "base64", "math", "numpy", "zlib"}, others


# ---- projected in a lecture hall (issue 17) ------------------------------------------------------------
# A figure title is one line that Plotly cuts at the figure's edge: at 18 px a character takes about 7.5 px,
# and a digits panel in compare mode at 1280x720 is about 300 px wide.
MAX_TITLE_CHARS = 40


def test_digit_figure_titles_fit_a_narrow_panel():
    images, true = digit_images(24), np.arange(24) % 10
    pred = (true + 1) % 10  # 24 mistakes: the longest count
    gallery = image_plots.digit_gallery_figure(images, true, pred)
    confusion = image_plots.confusion_matrix_figure(np.repeat(np.arange(10), 90), np.zeros(900, dtype=int), 10)
    weights = image_plots.first_layer_weights_figure(np.zeros((64, 64)), max_units=16)
    titles = [figure["layout"]["title"]["text"] for figure in (gallery, confusion, weights)]
    assert titles == [
        "24 test digits: 24 mistakes ✗",
        "900 test examples, accuracy 10.0%",
        "16 of 64 hidden units, 8×8 weights each",
    ]
    assert all(len(title) <= MAX_TITLE_CHARS for title in titles), titles


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_test_diamonds_are_small_with_a_thin_outline(kind):
    points = np.array([[1.0, 1.0], [-1.0, -1.0]])
    labels = np.array([0, 1])
    if kind == "binary":
        figure = boundary_plots.boundary_figure(
            AXIS, np.full((AXIS.size, AXIS.size), 0.5), points, labels, points, labels
        )
    elif kind == "multiclass":
        figure = boundary_plots.multiclass_boundary_figure(
            AXIS, sector_probabilities(3), points, labels, points, labels
        )
    else:
        figure = regression_plots.regression_surface_figure(
            AXIS, np.zeros((AXIS.size, AXIS.size)), points, labels * 1.0, points, labels * 1.0, value_range=(-1, 1)
        )
    markers = [t["marker"] for t in figure["data"] if t.get("mode") == "markers" and t["x"] != [None]]
    test = [m for m in markers if m.get("symbol") == "diamond"]
    train = [m for m in markers if m.get("symbol") != "diamond"]
    assert test and train
    # an outline of at most 1 px that does not cover the circles or the surface; no bigger than a circle
    assert all(m["line"]["width"] <= 1 and m["size"] <= min(t["size"] for t in train) for m in test)


def test_the_followed_point_is_ringed_last_and_nothing_else_moves():
    points, labels = np.array([[1.0, 2.0], [-1.0, -1.0]]), np.array([0, 1])
    figure = boundary_plots.boundary_figure(AXIS, np.full((AXIS.size, AXIS.size), 0.5), points, labels, points, labels)
    assert boundary_plots.with_picked_point(figure, None) is figure
    ringed = boundary_plots.with_picked_point(figure, (1.0, 2.0))
    assert ringed["data"][:-1] == figure["data"] and len(ringed["data"]) == len(figure["data"]) + 1
    ring = ringed["data"][-1]
    assert ring["x"] == [1.0] and ring["y"] == [2.0] and ring["marker"]["symbol"] == "circle-open"
    assert ring["marker"]["size"] > boundary_plots.TRAIN_MARKER["size"] and not ring["showlegend"]
    assert not ring["name"].startswith(("train:", "test:"))  # the browser tests count points by these names
    assert_plotly_figure(ringed)


def test_gallery_tile_titles_shrink_with_the_tiles_and_stay_readable():
    images, true = digit_images(12), np.arange(12) % 10
    pred = (true + 1) % 10

    def sizes(height):
        figure = image_plots.digit_gallery_figure(images, true, pred, max_images=12, columns=6, height=height)
        return {a["font"]["size"] for a in tile_annotations(figure)}

    assert sizes(None) == {15} and sizes(620) == {15}  # the one-run gallery keeps its projector size
    compact = sizes(215)  # compare mode's row: tiles of about 45 px
    assert len(compact) == 1 and 9 <= compact.pop() <= 12


# ---- MNIST: 28x28 tiles travel as one PNG (issue 21) -------------------------------------------------
def test_mnist_gallery_is_one_small_png_whose_tiles_are_the_test_images():
    images = mnist_images(30)
    true = np.arange(30) % 10
    pred = true.copy()
    pred[[2, 7]] = 5  # two mistakes
    figure = image_plots.digit_gallery_figure(images, true, pred, max_images=24, columns=6, height=620)
    (image,) = figure["data"]
    assert image["type"] == "image" and image["hoverinfo"] == "skip"
    levels, palette, alpha = png_decoded(image["source"])
    # 4 rows of 6 tiles of 28 x 28 pixels, with the 8x8 mosaic's spacing scaled by 28/8 (gap 7, title rows 21)
    assert levels.shape == (4 * (28 + 21), 6 * (28 + 7) - 7)
    assert alpha[0] == 0 and np.all(alpha[1:] == 255) and tuple(palette[1]) == (255, 255, 255)  # 0 ink: paper
    assert tuple(palette[255]) == (0x11, 0x11, 0x11)  # full ink: the 8x8 gallery's darkest grey
    shown = figure["layout"]["meta"]["shown"]
    for k in (0, 2, 23):
        np.testing.assert_allclose(
            tile_values(figure, image, k, 0.0, 1.0), images[shown[k]].reshape(28, 28), atol=0.5 / 254 + 1e-9
        )
    assert figure["layout"]["meta"]["mistakes"] == [2, 7]
    assert [s["line"]["color"] for s in figure["layout"]["shapes"]].count(image_plots.MISTAKE_COLOUR) == 2
    assert len(json.dumps(figure)) < 25_000  # redrawn once a second while playing: ~140 KB as numbers
    assert_plotly_figure(figure)


def test_a_28x28_gallery_is_laid_out_as_the_8x8_one():
    true = np.arange(12) % 10
    pred = (true + 1) % 10
    small = image_plots.digit_gallery_figure(digit_images(12), true, pred, max_images=12, columns=6, height=215)
    big = image_plots.digit_gallery_figure(mnist_images(12), true, pred, max_images=12, columns=6, height=215)

    def aspect(figure):
        rows, columns = figure["layout"]["yaxis"]["range"][0] + 0.5, figure["layout"]["xaxis"]["range"][1] + 0.5
        return columns / rows

    assert aspect(big) == pytest.approx(aspect(small), rel=0.03)
    # the same title sizes (compare mode's compact gallery shrinks them alike), just above each tile
    assert {a["font"]["size"] for a in tile_annotations(big)} == {a["font"]["size"] for a in tile_annotations(small)}
    frame, title = big["layout"]["shapes"][0], tile_annotations(big)[0]
    assert frame["y0"] - 5 < title["y"] < frame["y0"]
    # without a height, as tall as the 8x8 gallery
    default = [
        image_plots.digit_gallery_figure(x, true, pred, max_images=12) for x in (digit_images(12), mnist_images(12))
    ]
    assert default[1]["layout"]["height"] == pytest.approx(default[0]["layout"]["height"], rel=0.05)


def test_mnist_weight_tiles_are_the_columns_of_w_on_one_symmetric_scale():
    rng = np.random.default_rng(4)
    weights = rng.normal(scale=0.05, size=(784, 64))
    weights[300, 9] = -0.9  # the largest magnitude, in a shown unit
    figure = image_plots.first_layer_weights_figure(weights, max_units=16, columns=4, height=560)
    bar, image = figure["data"]
    assert bar["type"] == "heatmap" and bar["opacity"] == 0 and bar["colorbar"]["title"]["text"] == "weight"
    assert bar["zmin"] == -bar["zmax"] == -0.9 and figure["layout"]["meta"]["limit"] == 0.9
    assert bar["colorscale"] == plot_style.BOUNDARY_SCALE and image["type"] == "image"
    _, palette, _ = png_decoded(image["source"])
    assert tuple(palette[128]) == (0xF7, 0xF7, 0xF7)  # weight 0: the scale's white middle
    assert [a["text"] for a in tile_annotations(figure)] == [f"unit {j}" for j in range(1, 17)]
    assert figure["layout"]["title"]["text"] == "16 of 64 hidden units, 28×28 weights each"
    for j in (0, 9, 15):
        np.testing.assert_allclose(
            tile_values(figure, image, j, -0.9, 0.9), weights[:, j].reshape(28, 28), atol=0.9 / 254 + 1e-9
        )
    assert len(json.dumps(figure)) < 40_000
    assert_plotly_figure(figure)


def test_the_pixel_map_lays_one_image_out_with_row_1_on_top_and_names_pixels_as_the_tables():
    image = mnist_images(1)[0]
    figure = image_plots.pixel_map_figure(image)
    (heatmap,) = figure["data"]
    np.testing.assert_allclose(np.array(heatmap["z"]), image.reshape(28, 28), atol=5e-5)
    assert heatmap["x"] == heatmap["y"] == list(range(1, 29))  # 1-based, as px3,4 counts
    assert heatmap["hovertemplate"].startswith("px%{y},%{x}")
    assert (heatmap["zmin"], heatmap["zmax"], heatmap["colorscale"]) == (0, 1, image_plots.GREY_SCALE)
    assert figure["layout"]["yaxis"]["range"] == [28.5, 0.5] and figure["layout"]["yaxis"]["scaleanchor"] == "x"
    assert len(image_plots.pixel_map_figure(digit_images(1)[0])["data"][0]["z"]) == 8
    assert_plotly_figure(figure)
