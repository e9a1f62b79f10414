"""The network diagram projected at 1280x720: a 16-layer network and the two half-width diagrams of compare
mode keep every text readable. The canvas publishes the boxes of what it wrote (``data-text-boxes``: column
headings, unit names, legend and colour-bar labels, in canvas pixels); none may overlap another, leave the
canvas or be set in type smaller than 12 px. Screenshots: test-artifacts/diagram-16-layers.png and
diagram-compare.png (one per colouring: -gradients.png)."""

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


def deep_query(depth: int) -> str:
    return "hidden_layers=" + ",".join(["8"] * depth) + "&activations=" + ",".join(["sigmoid"] * depth)


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
