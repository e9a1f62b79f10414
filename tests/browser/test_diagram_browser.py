"""The network diagram in Chromium: drawn live, hover tells a weight's value and gradient, a click sets it,
both colourings, and a 12 x 64 network. Screenshots go to test-artifacts/ (diagram-*.png)."""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import CHARTS_DRAWN_JS, VIEWPORT, open_app  # noqa: E402

pytestmark = pytest.mark.browser
TIMEOUT = 20_000
HOST = '.backprop-live-plot[data-chart="network"]'

# Page coordinates of the middle of drawn edge i (the canvas's own geometry), and its weight.
EDGE_JS = (
    """(i) => {
    const host = document.querySelector('%s');
    const state = host && host.__diagram && host.__diagram.state;  // a remounted host has not drawn yet
    if (!state) return {x: 0, y: 0, w: NaN, layer: -1, row: -1, col: -1};
    const e = state.edges[i];
    const rect = host.__diagram.canvas.getBoundingClientRect();
    const t = 0.35;  // off the middle: other edges cross there
    return {x: rect.left + e.x1 + t * (e.x2 - e.x1), y: rect.top + e.y1 + t * (e.y2 - e.y1),
            w: e.w, layer: e.layer, row: e.row, col: e.col};
}"""
    % HOST
)
REDRAWS_JS = f"() => Number(document.querySelector('{HOST}')?.dataset.redraws || 0)"


def _diagram(page: Page):
    host = page.locator(HOST)
    expect(host.locator("canvas")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function(f"() => {REDRAWS_JS}() >= 1", timeout=TIMEOUT)
    host.scroll_into_view_if_needed()
    return host


def _edge_with_label(page: Page, layer: int):
    count = page.evaluate(f"() => document.querySelector('{HOST}').__diagram.state.edges.length")
    for index in range(count):
        edge = page.evaluate(EDGE_JS, index)
        if edge["layer"] == layer:
            return index, edge
    raise AssertionError(f"no edge in weight layer {layer}")


def test_the_diagram_draws_the_default_network_and_hover_names_a_weight(browser, app_url, artifacts_dir):
    page = open_app(browser, app_url)
    try:
        host = _diagram(page)
        assert host.get_attribute("data-edges") == str(2 * 4 + 4 * 2 + 2 * 1)
        _, edge = _edge_with_label(page, 1)
        page.mouse.move(edge["x"], edge["y"])
        tip = host.locator(".bp-diagram-tip")
        expect(tip).to_be_visible(timeout=TIMEOUT)
        expect(tip).to_contain_text(f"h1.{edge['row'] + 1} → h2.{edge['col'] + 1}")
        expect(tip).to_contain_text("w = ")
        expect(tip).to_contain_text("∂L/∂w = ")
        page.screenshot(path=str(artifacts_dir / "diagram-weights-hover.png"))
        assert page.js_errors == []
    finally:
        page.close()


def test_clicking_a_weight_sets_it_and_training_continues_from_it(browser, app_url):
    page = open_app(browser, app_url)
    try:
        host = _diagram(page)
        index, edge = _edge_with_label(page, 0)
        page.mouse.click(edge["x"], edge["y"])
        editor = host.locator(".bp-diagram-editor input")
        expect(editor).to_be_focused(timeout=TIMEOUT)
        editor.fill("not a number")
        editor.press("Enter")
        expect(host.locator(".bp-diagram-editor-message")).to_contain_text("Type a number")
        editor.fill("-2.5")
        editor.press("Enter")
        expect(page.locator('[data-testid="stAlert"]').filter(has_text="to -2.5")).to_be_visible(timeout=TIMEOUT)
        page.wait_for_function(f"(i) => Math.abs(({EDGE_JS})(i).w + 2.5) < 1e-6", arg=index, timeout=TIMEOUT)
        # Step: the weight moves on from -2.5 (it has a gradient), not from its old value.
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(
            f"(i) => {{ const w = ({EDGE_JS})(i).w; return w !== -2.5 && Math.abs(w + 2.5) < 0.5; }}",
            arg=index,
            timeout=TIMEOUT,
        )
        assert page.js_errors == []
    finally:
        page.close()


def test_the_diagram_redraws_while_playing_and_has_a_gradient_colouring(browser, app_url, artifacts_dir):
    page = open_app(browser, app_url)
    try:
        host = _diagram(page)
        page.get_by_text("Gradients (log scale)").click()
        expect(host).to_have_attribute("data-colouring", "gradients", timeout=TIMEOUT)
        before = page.evaluate(REDRAWS_JS)
        page.get_by_role("button", name="Play").click()
        page.wait_for_function(f"() => {REDRAWS_JS}() >= {before + 20}", timeout=TIMEOUT)
        page.get_by_role("button", name="Pause").click()
        host.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "diagram-gradients.png"))
        assert page.js_errors == []
    finally:
        page.close()


def test_twelve_layers_of_64_units_stay_readable(browser, app_url, artifacts_dir):
    query = "hidden_layers=" + ",".join(["64"] * 12) + "&activations=" + ",".join(["sigmoid"] * 12)
    page = browser.new_page(viewport=VIEWPORT)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto(f"{app_url}/?{query}", wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=60_000)
    try:
        host = _diagram(page)
        # 15 drawn units per hidden layer (and a "+49" node): 2*15 + 11*15*15 + 15 edges.
        assert host.get_attribute("data-edges") == str(2 * 15 + 11 * 15 * 15 + 15)
        box = host.bounding_box()
        assert box["height"] < 800  # the tallest column fits a screen
        page.get_by_text("Gradients (log scale)").click()
        expect(host).to_have_attribute("data-colouring", "gradients", timeout=TIMEOUT)
        host.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "diagram-12x64-gradients.png"))
        assert page.js_errors == []
    finally:
        page.close()
