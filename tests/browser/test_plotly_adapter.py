"""assets/live/plotly_adapter.js against the real charts: every use the live charts make of Plotly's
internals, checked with the pinned plotly (requirements.txt). A Plotly upgrade that moves one of them fails
here, not silently in a student's browser (a line that stops extending, a stale hover, a click that lands
elsewhere). Each check compares what the adapter returns with what Plotly drew or shows.
"""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path

import plotly.offline
import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from playground.ui import live  # noqa: E402

pytestmark = pytest.mark.browser

TIMEOUT = 15_000  # ms
PATH_ROUNDING = 0.05  # px: Plotly writes path coordinates to hundredths
REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"

# Defines `adapter` (the module the page itself loaded) and `chart(name)` (a live chart's host) for a check.
PRELUDE = """
    const adapterUrl = performance.getEntriesByType('resource').map((entry) => entry.name)
        .find((name) => name.endsWith('/live/plotly_adapter.js'));
    const adapter = await import(adapterUrl);
    const chart = (name) => document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
"""


def check(page: Page, body: str):
    """Run ``body`` (async JS, after PRELUDE) in the page; returns its result."""
    return page.evaluate(f"async () => {{ {PRELUDE} {body} }}")


def step(page: Page, times: int) -> None:
    """Train ``times`` single epochs and wait until the loss chart has drawn the last."""
    for _ in range(times):
        before = page.evaluate("() => document.querySelector('.backprop-live-plot[data-chart=\"loss\"]').dataset.epoch")
        page.locator(".st-key-step_one button").filter(visible=True).click()
        page.wait_for_function(
            f"() => document.querySelector('.backprop-live-plot[data-chart=\"loss\"]').dataset.epoch !== '{before}'",
            timeout=TIMEOUT,
        )


def test_the_page_loads_the_adapter_of_this_version_and_the_pinned_plotly(page: Page):
    loaded = check(
        page,
        """
        const Plotly = await adapter.loadPlotly();
        return {url: adapterUrl, same: Plotly === window.Plotly, version: Plotly.version};
        """,
    )
    assert re.search(rf"/app/static/live/{live._VERSION}/live/plotly_adapter\.js$", loaded["url"]), loaded["url"]
    assert loaded["same"]
    assert loaded["version"] == plotly.offline.get_plotlyjs_version()  # the plotly.js the pinned package ships
    pinned = re.search(r"^plotly==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pinned and pinned.group(1) == version("plotly"), "requirements.txt pins plotly to what is installed"


def test_plot_area_is_inside_the_chart_and_is_where_plotly_draws(page: Page):
    areas = check(
        page,
        """
        const origin = (host) => host.querySelector('.main-svg').getBoundingClientRect();
        return ['boundary', 'loss'].map((name) => {
            const host = chart(name);
            const drag = host.querySelector('.draglayer .xy .nsewdrag').getBoundingClientRect();
            const svg = origin(host);
            return {
                name, area: adapter.plotArea(host), width: host.clientWidth, height: host.clientHeight,
                drag: {left: drag.left - svg.left, top: drag.top - svg.top, width: drag.width, height: drag.height},
            };
        });
        """,
    )
    for entry in areas:
        area, drag = entry["area"], entry["drag"]
        assert area is not None and area["width"] > 50 and area["height"] > 50, entry
        assert 0 < area["left"] and area["left"] + area["width"] < entry["width"], entry
        assert 0 < area["top"] and area["top"] + area["height"] < entry["height"], entry
        # Plotly's drag rectangle covers the x-y subplot: the plot area, or (the square boundary plane,
        # constrained to its domain) a part of it.
        assert drag["left"] >= area["left"] - 1 and drag["left"] + drag["width"] <= area["left"] + area["width"] + 1
        assert drag["top"] >= area["top"] - 1 and drag["top"] + drag["height"] <= area["top"] + area["height"] + 1
        if entry["name"] == "loss":
            for key in ("left", "top", "width", "height"):
                assert area[key] == pytest.approx(drag[key], abs=1), (key, entry)


def test_axis_pixels_and_data_map_both_ways_as_plotly_draws_them(page: Page):
    step(page, 3)
    axes = check(
        page,
        """
        const svg = (host) => host.querySelector('.main-svg').getBoundingClientRect();
        const result = {};
        for (const [name, axisName] of [['boundary', 'xaxis'], ['boundary', 'yaxis'], ['gradients', 'yaxis']]) {
            const host = chart(name);
            const axis = adapter.drawnAxis(host, axisName);
            const drag = host.querySelector('.draglayer .xy .nsewdrag').getBoundingClientRect();
            const range = host.layout[axisName].range;
            const inRange = [0, 0.137, 0.5, 0.81, 1].map((share) => range[0] + share * (range[1] - range[0]));
            const values = axis.type === 'log' ? inRange.map((exponent) => 10 ** exponent) : inRange;
            result[`${name}.${axisName}`] = {
                type: axis.type, layoutType: host.layout[axisName].type ?? null, range,
                offset: axis.offset, length: axis.length,
                dragStart: axisName === 'xaxis' ? drag.left - svg(host).left : drag.top - svg(host).top,
                dragLength: axisName === 'xaxis' ? drag.width : drag.height,
                values, pixels: values.map(axis.dataToPixel),
                back: values.map((v) => axis.pixelToData(axis.dataToPixel(v))),
                again: values.map((v) => axis.dataToPixel(axis.pixelToData(axis.dataToPixel(v)))),
            };
        }
        result.missing = adapter.drawnAxis(chart('boundary'), 'yaxis7');
        return result;
        """,
    )
    assert axes.pop("missing") is None
    for name, axis in axes.items():
        assert axis["offset"] == pytest.approx(axis["dragStart"], abs=1), name
        assert axis["length"] == pytest.approx(axis["dragLength"], abs=1), name
        assert len(axis["values"]) >= 2, name
        # Plotly rounds pixels to hundredths: the way back is exact to that.
        assert axis["again"] == pytest.approx(axis["pixels"], abs=0.011), name
        if axis["type"] == "log":
            assert axis["back"] == pytest.approx(axis["values"], rel=1e-3), name
        else:
            per_pixel = abs(axis["range"][1] - axis["range"][0]) / axis["length"]
            assert axis["back"] == pytest.approx(axis["values"], abs=0.011 * per_pixel), name
        assert all(0 <= pixel <= axis["length"] + 0.5 for pixel in axis["pixels"]), name
    boundary_x, boundary_y = axes["boundary.xaxis"], axes["boundary.yaxis"]
    assert boundary_x["type"] == boundary_y["type"] == "linear"
    # Pixels count from the axis's start: x grows to the right, y downwards (the range's top at 0).
    assert boundary_x["pixels"][0] == pytest.approx(0, abs=0.5)
    assert boundary_x["pixels"][-1] == pytest.approx(boundary_x["length"], abs=0.5)
    assert boundary_y["pixels"][-1] == pytest.approx(0, abs=0.5)
    assert boundary_y["pixels"][0] == pytest.approx(boundary_y["length"], abs=0.5)
    gradients = axes["gradients.yaxis"]
    assert gradients["type"] == gradients["layoutType"] == "log"
    assert gradients["pixels"] == sorted(gradients["pixels"], reverse=True)  # larger values higher up


def test_the_boundary_image_is_found_and_a_new_source_survives_plotly_redraws(page: Page):
    """The swapped-in picture must stay through every way Plotly draws layout images again: a relayout or a
    redraw (from the figure: Plotly's copy for the user) and a pan (from its full layout, mid-drag)."""
    before = check(
        page,
        """
        const host = chart('boundary');
        const Plotly = await adapter.loadPlotly();
        await Plotly.relayout(host, {dragmode: 'pan'});
        const element = adapter.imageElement(host, 0);
        const href = (image) => image.getAttribute('href') || image.getAttribute('xlink:href');
        const before = {tag: element && element.tagName, href: element && href(element)};
        before.source = host.layout.images[0].source;
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 2;
        window.__newSource = canvas.toDataURL('image/png');
        adapter.setDrawnImageSource(adapter.drawnImage(host, 0), window.__newSource);
        // Plotly's image drawer sets the href only when its "already drawn" mark differs from the source.
        window.__hrefWrites = 0;
        const countWrites = (original) => function (...args) {
            if (String(args[args.length - 2]).endsWith('href')) window.__hrefWrites += 1;
            return original.apply(this, args);
        };
        element.setAttributeNS = countWrites(element.setAttributeNS);
        element.setAttribute = countWrites(element.setAttribute);
        window.__imageElement = element;
        before.missing = adapter.imageElement(host, 1);
        before.missingParts = adapter.drawnImage(host, 1);
        return before;
        """,
    )
    assert before["tag"].lower() == "image" and before["href"] == before["source"], before["tag"]
    assert before["source"].startswith(("data:image/", "blob:"))
    assert before["missing"] is None and before["missingParts"] is None
    drag = page.locator('.backprop-live-plot[data-chart="boundary"] .draglayer .xy .nsewdrag')
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 15, steps=5)
    state_js = """
        const host = chart('boundary');
        const element = adapter.imageElement(host, 0);
        const href = element.getAttribute('href') || element.getAttribute('xlink:href');
        return {same: element === window.__imageElement, current: href === window.__newSource,
                writes: window.__hrefWrites, layout: host.layout.images[0].source === window.__newSource};
    """
    panning = check(page, state_js)
    page.mouse.up()
    redrawn = check(
        page,
        """
        const Plotly = await adapter.loadPlotly();
        const boundary = chart('boundary');
        await Plotly.relayout(boundary, {'xaxis.range': boundary.layout.xaxis.range.slice()});
        await Plotly.redraw(boundary);
        """
        + state_js,
    )
    for moment, state in (("while panning", panning), ("after a relayout and a redraw", redrawn)):
        assert state["same"] and state["current"] and state["layout"], (moment, state)
        assert state["writes"] == 0, f"{moment}: Plotly set the image again (its drawn mark was not recognised)"


def test_hover_rows_have_the_heatmaps_shape_and_are_what_the_hover_shows(page: Page):
    result = check(
        page,
        """
        const host = chart('boundary');
        const Plotly = await adapter.loadPlotly();
        const heatmap = host.data.findIndex((trace) => trace.type === 'heatmap');
        const rows = adapter.heatmapHoverRows(host, heatmap);
        const z = host.data[heatmap].z;
        const shape = (grid) => grid && [grid.length, ...new Set(grid.map((row) => row.length))];
        // A cell far from every drawn point: the hover (closest) would otherwise label the point.
        const x = adapter.drawnAxis(host, 'xaxis'), y = adapter.drawnAxis(host, 'yaxis');
        const points = host.data.filter((trace) => trace.type === 'scatter' && trace.visible !== false)
            .flatMap((trace) => trace.x.map((px, i) => [x.dataToPixel(px), y.dataToPixel(trace.y[i])]))
            .filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
        let r = 0, c = 0, room = -1;
        z.forEach((row, i) => row.forEach((_, j) => {
            const cx = x.dataToPixel(host.data[heatmap].x[j]), cy = y.dataToPixel(host.data[heatmap].y[i]);
            const nearest = Math.min(...points.map(([px, py]) => Math.hypot(px - cx, py - cy)));
            if (nearest > room) [r, c, room] = [i, j, nearest];
        }));
        const result = {
            room, heatmap, rowsShape: shape(rows), zShape: shape(z),
            largest: Math.max(...rows.map((row, i) => Math.max(...row.map((value, j) => Math.abs(value - z[i][j]))))),
            scatter: adapter.heatmapHoverRows(host, 1),
        };
        // What the hover label says comes from these rows: write a value no grid cell has, hover that cell.
        const kept = rows[r][c];
        rows[r][c] = 0.4321;
        Plotly.Fx.hover(host, {xval: host.data[heatmap].x[c], yval: host.data[heatmap].y[r]}, 'xy');
        result.label = [...host.querySelectorAll('.hoverlayer .hovertext')].map((label) => label.textContent);
        Plotly.Fx.unhover(host);
        rows[r][c] = kept;
        return result;
        """,
    )
    assert result["heatmap"] == 0 and result["room"] > 25  # pixels to the nearest point: the cell's hover wins
    assert result["rowsShape"] == result["zShape"] and len(result["zShape"]) == 2 and result["zShape"][0] > 10
    assert result["largest"] <= 0.011  # the figure's z (2 decimals) or the image's bytes / 255
    assert result["scatter"] is None
    assert any("P(blue)=0.43" in label for label in result["label"]), result["label"]


def test_line_and_band_paths_are_the_loss_charts_drawn_lines(page: Page):
    step(page, 3)
    expect(page.locator('.backprop-live-plot[data-chart="loss"] path.js-line').first).to_be_attached(timeout=TIMEOUT)
    result = check(
        page,
        """
        const host = chart('loss');
        const lines = adapter.linePaths(host);
        const bands = adapter.bandPaths(host);
        const x = adapter.drawnAxis(host, 'xaxis'), y = adapter.drawnAxis(host, 'yaxis');
        const start = (path) => path.getAttribute('d').match(/^M([-0-9.e]+),([-0-9.e]+)/).slice(1).map(Number);
        const end = (path) => path.getAttribute('d').match(/([-0-9.e]+),([-0-9.e]+)[^,]*$/).slice(1).map(Number);
        const at = (trace, i) => [x.dataToPixel(trace.x.at(i)), y.dataToPixel(trace.y.at(i))];
        return {
            traces: host.data.map((trace) => ({name: trace.name, fill: trace.fill ?? null})),
            lines: Object.fromEntries(Object.entries(lines).map(([index, path]) => [index, path && {
                ends: [start(path), end(path)],
                expected: [at(host.data[index], 0), at(host.data[index], -1)],
                inTraceGroup: path.closest('.trace') !== null,
            }])),
            bands: Object.fromEntries(Object.entries(bands).filter(([, path]) => path).map(([index, path]) => [index, {
                start: start(path), closed: path.getAttribute('d').endsWith('Z'),
            }])),
        };
        """,
    )
    names = [trace["name"] for trace in result["traces"]]
    assert names[:2] == ["train loss", "test loss"]
    for index in ("0", "1"):
        line = result["lines"][index]
        assert line is not None and line["inTraceGroup"], (index, result["lines"])
        # The path of trace `index` runs from that trace's first point to its last: the right line for the trace.
        assert line["ends"][0] == pytest.approx(line["expected"][0], abs=PATH_ROUNDING), (index, line)
        assert line["ends"][1] == pytest.approx(line["expected"][1], abs=PATH_ROUNDING), (index, line)
    train_end, test_end = result["lines"]["0"]["expected"][1], result["lines"]["1"]["expected"][1]
    assert abs(train_end[1] - test_end[1]) > 4 * PATH_ROUNDING, "the two lines end too close to tell them apart"
    assert result["traces"][1]["fill"] == "tonexty"
    band = result["bands"].get("1")
    assert band is not None, result["bands"]  # the gap band, drawn from the test line back along the train line
    assert band["closed"] and band["start"] == pytest.approx(result["lines"]["1"]["ends"][0], abs=PATH_ROUNDING)
