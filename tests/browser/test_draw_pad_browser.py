"""The drawing pad in the real app (playground/ui/draw_pad.py, assets/draw_pad.js): a digit drawn with mouse moves
reaches the network while the pen is still down, is read as that digit by the trained MNIST lesson, stays on the
pad across a whole-app rerun until Clear, and a finger draws without scrolling the page."""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from playground.teaching.lessons import LESSONS  # noqa: E402
from playground.ui.draw_pad import PAD_PIXELS, PEN_PIXELS  # noqa: E402
from tests.browser.conftest import PAGE_READY_TIMEOUT, VIEWPORT  # noqa: E402
from tests.browser.test_browser import play, play_button  # noqa: E402
from tests.browser.test_projector_layout import CHARTS_DRAWN_BY_NAME_JS  # noqa: E402

LESSON = LESSONS["learning_from_a_mistake"]  # MNIST, a network that recognises about 87 % of test digits at its stop
PAD = "canvas.bp-pad-canvas"
PAUSED_AT_STOP_JS = """() => {
    const button = [...document.querySelectorAll('.st-key-play_pause button')].find(b => b.offsetParent);
    const note = document.querySelector('.bp-status-note');
    return button && button.innerText.trim() === 'Play' && note && note.innerText.includes("lesson's text looks");
}"""
# The ink on the canvas: the sum of its alpha channel over 255 (device pixels), so 0 when the pad is blank.
CANVAS_INK_JS = f"""() => {{
    const canvas = document.querySelector('{PAD}');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 3; i < data.length; i += 4) sum += data[i];
    return sum / 255;
}}"""
# Where the page is scrolled to: every scrolled element (Streamlit scrolls its main block, not the window).
SCROLLED_JS = """() => [...document.querySelectorAll('*')].filter(e => e.scrollTop)
    .map(e => (e.dataset.testid || e.tagName) + '=' + e.scrollTop).join() + ' window=' + window.scrollY"""
SEVEN = [(70, 50), (210, 50), (120, 240)]  # pad coordinates (0-280): the bar, then the stem
ONE = [(150, 40), (135, 245)]


def pad_point(page: Page, x: float, y: float) -> tuple[float, float]:
    box = page.locator(PAD).bounding_box()
    return box["x"] + x * box["width"] / PAD_PIXELS, box["y"] + y * box["height"] / PAD_PIXELS


def draw(page: Page, stroke: list[tuple[float, float]], steps: int = 12) -> None:
    page.mouse.move(*pad_point(page, *stroke[0]))
    page.mouse.down()
    for point in stroke[1:]:
        page.mouse.move(*pad_point(page, *point), steps=steps)
    page.mouse.up()


def guess(page: Page):
    """The digit in "The network says **d** (p %).", as a locator (its assertions wait for reruns)."""
    return page.get_by_text("The network says").first.locator("strong").first


# Where the page is: its epoch, the Play button's label and the stream's frames so far.
STATE_JS = """() => ({
    epoch: document.querySelector('[data-metric="Epoch"] .bp-metric-value')?.innerText,
    button: document.querySelector('.st-key-play_pause button')?.innerText,
    frames: window.__backpropStream?.frames,
})"""


@pytest.fixture
def lesson_page(browser, app_server, artifacts_dir):
    """The MNIST lesson played to its stop (a trained network), scrolled to the pad."""
    page = browser.new_page(viewport=VIEWPORT)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    try:
        page.goto(app_server.url + "/" + LESSON.link, wait_until="domcontentloaded", timeout=PAGE_READY_TIMEOUT)
        # Play once the page is up, and see it playing: a click before the lesson's first run has drawn its
        # controls fails here at once, not as a stop never reached.
        expect(play_button(page)).to_have_text("Play", timeout=PAGE_READY_TIMEOUT)
        play(page)
        try:
            page.wait_for_function(PAUSED_AT_STOP_JS, timeout=120_000)
        except Exception as error:  # seen once under load in CI: say where the run was, and keep the screen
            page.screenshot(path=str(artifacts_dir / "draw-pad-lesson-not-at-its-stop.png"))
            where = page.evaluate(STATE_JS)
            raise AssertionError(f"the lesson did not reach its stop within 120 s: {where}") from error
        page.locator(PAD).scroll_into_view_if_needed()
        yield page
    finally:
        page.close()


def test_a_digit_drawn_with_the_mouse_is_read_while_drawing_and_stays_until_clear(lesson_page, artifacts_dir):
    page = lesson_page
    expect(page.locator(".bp-pad-hint")).to_be_visible()
    assert page.evaluate(CANVAS_INK_JS) == 0
    # The bar of the 7, the pen still down: the drawing is sent while drawing and the network answers.
    page.mouse.move(*pad_point(page, *SEVEN[0]))
    page.mouse.down()
    page.mouse.move(*pad_point(page, *SEVEN[1]), steps=12)
    expect(page.get_by_text("The network says").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("What the network sees: 28×28")).to_be_visible()
    page.mouse.move(*pad_point(page, *SEVEN[2]), steps=12)
    page.mouse.up()
    expect(page.locator(".bp-pad-hint")).to_be_hidden()
    try:
        expect(guess(page)).to_have_text("7", timeout=15_000)
    except AssertionError as error:  # seen once under load in CI (read as a 6): keep what was drawn and sent
        page.screenshot(path=str(artifacts_dir / "draw-pad-seven-misread.png"))
        sent = page.evaluate("() => { const v = window.__backpropPads?.get('pad'); return v && v.seq; }")
        ink = page.evaluate(CANVAS_INK_JS)
        raise AssertionError(f"{error}\nink on the canvas: {ink}, drawings sent: {sent}") from error
    ink = page.evaluate(CANVAS_INK_JS)
    scale = page.evaluate("() => Math.ceil(window.devicePixelRatio || 1)") ** 2
    length = np.hypot(140, 0) + np.hypot(90, 190)  # the two segments, in pad pixels
    assert ink / scale == pytest.approx(length * PEN_PIXELS, rel=0.15)  # a pen PEN_PIXELS wide drew it
    page.screenshot(path=str(artifacts_dir / "draw-pad-seven.png"))

    # "It is a 7" makes a step and reruns the whole app: the drawing stays on the pad and with the network.
    page.get_by_role("radiogroup", name="It is a …").get_by_role("radio", name="7", exact=True).click()
    expect(page.get_by_text("After one step on your 7")).to_be_visible(timeout=15_000)
    assert page.evaluate(CANVAS_INK_JS) == pytest.approx(ink)
    expect(page.get_by_text("What the network sees: 28×28")).to_be_visible()

    page.locator("button.bp-pad-clear").click()
    expect(page.get_by_text("Its answer appears here as you draw.")).to_be_visible(timeout=15_000)
    expect(page.locator(".bp-pad-hint")).to_be_visible()
    assert page.evaluate(CANVAS_INK_JS) == 0

    draw(page, ONE)
    expect(guess(page)).to_have_text("1", timeout=15_000)
    assert page.js_errors == [], page.js_errors


def test_a_finger_draws_on_the_pad_without_scrolling_the_page(browser, app_server):
    context = browser.new_context(viewport={"width": 800, "height": 900}, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(app_server.url + "/" + LESSON.link, wait_until="domcontentloaded", timeout=PAGE_READY_TIMEOUT)
        page.wait_for_function(CHARTS_DRAWN_BY_NAME_JS, arg=["digits", "loss", "gradients"], timeout=PAGE_READY_TIMEOUT)
        scrolled = SCROLLED_JS
        before = None
        while before is None or page.evaluate(scrolled) != before:  # until the page has stopped growing
            page.locator(PAD).scroll_into_view_if_needed()
            before = page.evaluate(scrolled)
            page.wait_for_timeout(700)
        touch = page.context.new_cdp_session(page)
        points = [pad_point(page, 140, y) for y in np.linspace(30, 250, 23)]  # a "1" drawn downwards
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [dict(zip("xy", points[0]))]})
        for point in points[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [dict(zip("xy", point))]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        assert page.evaluate(scrolled) == before  # touch-action: none; a scroll would also have cut the stroke
        expect(page.get_by_text("What the network sees: 28×28")).to_be_visible(timeout=15_000)
        ink = page.evaluate(CANVAS_INK_JS) / 4  # device pixels at scale 2
        assert ink == pytest.approx((220 + 0.785 * PEN_PIXELS) * PEN_PIXELS, rel=0.1)  # the whole stroke, caps too
    finally:
        context.close()
