"""The network diagram projected at 1280x720: a 16-layer network and the two half-width diagrams of compare
mode keep every text readable. The canvas publishes the boxes of what it wrote (``data-text-boxes``: column
headings, unit names, badges, legend and colour-bar labels, in canvas pixels); none may overlap another, leave
the canvas or be set in type smaller than 12 px. With skip connections it also publishes each arc's box
(``data-arcs``) and the top of each column's units (``data-unit-tops``): an arc lies above the units, so it
hides no edge, and crosses no text. Screenshots: test-artifacts/diagram-16-layers.png, diagram-compare.png,
diagram-16-skips-*-weights.png and -gradients.png (one per colouring)."""

from __future__ import annotations

import json
import os

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser
PROJECTOR = {"width": 1280, "height": 720}
TIMEOUT = 30_000


def deep_query(depth: int, activation: str = "sigmoid") -> str:
    return "hidden_layers=" + ",".join(["8"] * depth) + "&activations=" + ",".join([activation] * depth)


def _open(browser, app_url: str, query: str) -> Page:
    page = browser.new_page(viewport=PROJECTOR)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto(f"{app_url}/?{query}", wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.backprop-live-plot')].some("
        "h => h.dataset.chart.startsWith('network') && Number(h.dataset.redraws) >= 1)",
        timeout=60_000,
    )
    return page


def _host(page: Page, name: str):
    host = page.locator(f'.backprop-live-plot[data-chart="{name}"]')
    expect(host.locator("canvas")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function(
        f"() => document.querySelector('.backprop-live-plot[data-chart=\"{name}\"]')?.dataset.textBoxes",
        timeout=TIMEOUT,
    )
    return host


def _boxes(host) -> list[dict]:
    return json.loads(host.get_attribute("data-text-boxes"))


def _overlaps(a: dict, b: dict) -> bool:
    overlap_x = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
    return overlap_x and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def assert_readable(host, expected_headings: int) -> list[dict]:
    """No text box overlaps another or leaves the canvas; type >= 12 px; every column has a heading or is
    thinned out with a visible neighbour; the legend is drawn whole."""
    boxes = _boxes(host)
    size = host.bounding_box()
    assert boxes, "the diagram published no text boxes"
    for box in boxes:
        assert box["size"] >= 12, f"{box['text']!r} is set in {box['size']} px type"
        assert box["x"] >= -0.5 and box["x"] + box["w"] <= size["width"] + 0.5, f"{box['text']!r} leaves the canvas"
        assert box["y"] >= -0.5 and box["y"] + box["h"] <= size["height"] + 0.5, f"{box['text']!r} leaves the canvas"
    clashes = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if _overlaps(a, b)]
    assert clashes == [], f"overlapping texts: {clashes[:5]}"
    headings = [b for b in boxes if b["kind"] == "heading"]
    assert headings and len(headings) <= expected_headings
    assert {"In", "Input"} & {b["text"] for b in headings}, "the input column has no heading"
    assert {"Out", "Output"} & {b["text"] for b in headings}, "the output column has no heading"
    assert any(b["kind"] == "legend" for b in boxes), "no legend"
    return boxes


def _shoot_both(page: Page, hosts: list, path) -> None:
    """One picture of the two diagrams side by side (with their run headings above)."""
    hosts[0].scroll_into_view_if_needed()
    boxes = [host.bounding_box() for host in hosts]
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    left, top = min(b["x"] for b in boxes) - 8, min(b["y"] for b in boxes) - 60
    right, bottom = max(b["x"] + b["width"] for b in boxes) + 8, max(b["y"] + b["height"] for b in boxes) + 8
    clip = {"x": left + scroll[0], "y": top + scroll[1], "width": right - left, "height": bottom - top}
    page.screenshot(path=str(path), full_page=True, clip=clip)


def _switch_colouring(page: Page, hosts: list, label: str, colouring: str) -> None:
    page.get_by_text(label, exact=True).first.click()
    for host in hosts:
        expect(host).to_have_attribute("data-colouring", colouring, timeout=TIMEOUT)


@pytest.mark.parametrize("depth", [16, 32])
def test_a_deep_diagram_has_no_overlapping_text_at_1280x720(browser, app_url, artifacts_dir, depth):
    page = _open(browser, app_url, deep_query(depth))
    try:
        host = _host(page, "network")
        boxes = assert_readable(host, depth + 2)
        texts = {b["text"] for b in boxes}
        assert not any(t.startswith("Layer") for t in texts if len(t) > 9), texts
        host.scroll_into_view_if_needed()
        host.screenshot(path=str(artifacts_dir / f"diagram-{depth}-layers.png"))
        # The colouring switch is written out whole (not "Gradients (lo…").
        switch = page.get_by_text("Gradients (log scale)", exact=True).first
        expect(switch).to_be_visible()
        assert page.evaluate(
            "(el) => { const b = el.closest('button') || el; return b.scrollWidth <= b.clientWidth + 1; }",
            switch.element_handle(),
        )
        _switch_colouring(page, [host], "Gradients (log scale)", "gradients")
        boxes = assert_readable(host, depth + 2)
        bar = [b["text"] for b in boxes if b["kind"] == "colour bar"]
        assert "≤10⁻⁸" in bar and "≥1" in bar, bar  # the fixed range is written on the colour bar
        host.scroll_into_view_if_needed()
        host.screenshot(path=str(artifacts_dir / f"diagram-{depth}-layers-gradients.png"))
        assert page.js_errors == []
    finally:
        page.close()


def test_compare_mode_diagrams_side_by_side_stay_readable_and_share_one_scale(browser, app_url, artifacts_dir):
    page = _open(browser, app_url, "lesson=relu_he")
    try:
        hosts = [_host(page, "network_A"), _host(page, "network_B")]
        for host in hosts:
            assert_readable(host, 8 + 2)
        _shoot_both(page, hosts, artifacts_dir / "diagram-compare.png")
        _switch_colouring(page, hosts, "Gradients (log scale)", "gradients")
        ranges = set()
        for host in hosts:
            assert_readable(host, 8 + 2)
            ranges.add(host.get_attribute("data-gradient-range"))
        assert ranges == {"-8,0"}  # one absolute scale for both runs
        _shoot_both(page, hosts, artifacts_dir / "diagram-compare-gradients.png")
        assert page.js_errors == []
    finally:
        page.close()


def assert_arcs_clear(host, expected_arcs: int) -> list[dict]:
    """``expected_arcs`` skip arcs, each above the units of the two columns it joins (so it crosses no edge),
    apart from its neighbours, and crossing no text."""
    arcs = json.loads(host.get_attribute("data-arcs"))
    tops = json.loads(host.get_attribute("data-unit-tops"))
    assert len(arcs) == expected_arcs, arcs
    for arc in arcs:
        bottom = arc["y"] + arc["h"]
        assert bottom <= min(tops[arc["layer"]], tops[arc["layer"] + 1]) + 0.5, f"arc {arc} dips into the units"
    for left, right in zip(arcs, arcs[1:]):
        assert left["x"] + left["w"] < right["x"], f"arcs {left} and {right} touch"
    crossed = [(arc["layer"], box["text"]) for arc in arcs for box in _boxes(host) if _overlaps(arc, box)]
    assert crossed == [], f"arcs over text: {crossed[:5]}"
    return arcs


def _hover_says_what_arcs_and_units_are(page: Page, host) -> None:
    """Hovering the top of an arc names the skip and its signal; hovering a hidden unit gives its γ, β and
    that it drops out in training."""
    host.scroll_into_view_if_needed()
    box = host.bounding_box()
    arc = json.loads(host.get_attribute("data-arcs"))[0]
    tip = host.locator(".bp-diagram-tip")
    page.mouse.move(box["x"] + arc["x"] + arc["w"] / 2, box["y"] + arc["y"] + 1)
    expect(tip).to_contain_text("skip connection around Layer 2", timeout=TIMEOUT)
    expect(tip).to_contain_text("mean |n·∂L/∂y| =")
    xs, tops = json.loads(host.get_attribute("data-column-xs")), json.loads(host.get_attribute("data-unit-tops"))
    node = float(host.get_attribute("data-node"))
    page.mouse.move(box["x"] + xs[3], box["y"] + tops[3] + node / 2)
    expect(tip).to_contain_text("batch norm: γ = 1, β = 0", timeout=TIMEOUT)  # γ starts at 1, β at 0
    expect(tip).to_contain_text("dropout: zeroed with probability 20%")
    page.mouse.move(0, 0)


# 16 hidden layers of 8 ReLU after 2 inputs: residual=1 puts a skip around layers 2-16 (15 arcs).
SKIP_DESIGNS = {
    "skips": "&residual=1",
    "skips-batchnorm": "&residual=1&normalization=batch",
    "skips-batchnorm-dropout": "&residual=1&normalization=batch&dropout=0.2",
}


@pytest.mark.parametrize("design", list(SKIP_DESIGNS), ids=list(SKIP_DESIGNS))
def test_a_16_layer_network_with_skips_norm_and_dropout_stays_readable(browser, app_url, artifacts_dir, design):
    page = _open(browser, app_url, deep_query(16, "relu") + SKIP_DESIGNS[design])
    try:
        host = _host(page, "network")
        for colouring, label, suffix in [
            ("weights", None, "-weights"),
            ("gradients", "Gradients (log scale)", "-gradients"),
        ]:
            if label:
                _switch_colouring(page, [host], label, colouring)
            boxes = assert_readable(host, 16 + 2)
            assert_arcs_clear(host, 15)
            legend = " ".join(b["text"] for b in boxes if b["kind"] == "legend")
            assert "skip: output = input + layer" in legend
            badges = [b["text"] for b in boxes if b["kind"] == "badge"]
            if "batchnorm" in design:
                assert int(host.get_attribute("data-badges")) >= 8 and set(badges) == {"BN"}, badges
                assert "batch norm in every hidden layer" in legend
            else:
                assert badges == []
            assert ("dropout: 20%" in legend) == ("dropout" in design)
            if design == "skips-batchnorm-dropout" and colouring == "weights":
                _hover_says_what_arcs_and_units_are(page, host)
            host.scroll_into_view_if_needed()
            host.screenshot(path=str(artifacts_dir / f"diagram-16-{design}{suffix}.png"))
        assert page.js_errors == []
    finally:
        page.close()


def test_compare_mode_plain_beside_skips_lines_up_and_stays_readable(browser, app_url, artifacts_dir):
    page = _open(browser, app_url, deep_query(16, "relu") + "&compare=1&b.residual=1")
    try:
        hosts = [_host(page, "network_A"), _host(page, "network_B")]
        for colouring, label, suffix in [
            ("weights", None, "-weights"),
            ("gradients", "Gradients (log scale)", "-gradients"),
        ]:
            if label:
                _switch_colouring(page, hosts, label, colouring)
            for host in hosts:
                assert_readable(host, 16 + 2)
            assert_arcs_clear(hosts[0], 0)
            assert_arcs_clear(hosts[1], 15)
            # Run A keeps room for B's arcs and legend line: the two diagrams' units are at the same heights.
            tops = [json.loads(host.get_attribute("data-unit-tops")) for host in hosts]
            assert tops[0] == tops[1]
            _shoot_both(page, hosts, artifacts_dir / f"diagram-16-skips-compare{suffix}.png")
        assert page.js_errors == []
    finally:
        page.close()
