"""The page on a classroom projector (1280x720): the controls and the three core charts without scrolling.

Each test opens its own page at the projector's size (the shared ``page`` fixture is 1600x1000), waits
until the charts have drawn, saves a screenshot in test-artifacts/ and measures bounding boxes.
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from playground.data.datasets import DATASETS  # noqa: E402
from playground.teaching.lessons import LESSONS  # noqa: E402
from tests.browser.conftest import CHARTS_DRAWN_JS, CORE_CHARTS, PAGE_READY_TIMEOUT  # noqa: E402

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
TIMEOUT = 15_000  # ms
MIN_TEXT_PX = 14  # readable from the back of a lecture hall
MIN_TICK_PX = 12

# Bounding box {x, y, width, height} of the first visible element matching a selector (null: none).
BOX_JS = """(selector) => {
    const element = [...document.querySelectorAll(selector)].find(e => e.getClientRects().length > 0);
    if (!element) return null;
    const box = element.getBoundingClientRect();
    return {x: box.x, y: box.y, width: box.width, height: box.height};
}"""
# True once every core chart host lies within the viewport (used to wait for the layout to settle).
CHARTS_IN_VIEW_JS = """() => ['boundary', 'loss', 'gradients'].every(name => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    if (!host) return false;
    const box = host.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
})"""
# The smallest font size (px) of the text elements matching a selector that are on screen.
MIN_FONT_JS = """(selector) => {
    const sizes = [...document.querySelectorAll(selector)]
        .filter(e => e.getClientRects().length > 0 && e.textContent.trim())
        .map(e => parseFloat(getComputedStyle(e).fontSize));
    return sizes.length ? Math.min(...sizes) : null;
}"""


def open_projector_page(browser, url: str) -> Page:
    page = browser.new_page(viewport=PROJECTOR)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto(url, wait_until="domcontentloaded", timeout=PAGE_READY_TIMEOUT)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=PAGE_READY_TIMEOUT)
    return page


def box(page: Page, selector: str) -> dict:
    found = page.evaluate(BOX_JS, selector)
    assert found is not None, f"nothing on the page matches {selector}"
    return found


def assert_in_viewport(page: Page, selector: str, what: str) -> None:
    b = box(page, selector)
    assert b["width"] > 0 and b["height"] > 0, f"{what} has no size: {b}"
    assert b["x"] >= 0 and b["y"] >= 0, f"{what} starts outside the screen: {b}"
    right, bottom = b["x"] + b["width"], b["y"] + b["height"]
    assert right <= PROJECTOR["width"] and bottom <= PROJECTOR["height"], (
        f"{what} ends at ({right:.0f}, {bottom:.0f}), outside the {PROJECTOR['width']}x{PROJECTOR['height']} "
        f"screen: {b}"
    )


def assert_charts_and_controls_in_view(page: Page) -> None:
    for name in CORE_CHARTS:
        assert_in_viewport(page, f'.backprop-live-plot[data-chart="{name}"]', f"the {name} chart")
    assert_in_viewport(page, ".st-key-play_pause button", "the Play button")


def assert_readable(page: Page) -> None:
    """Text at least MIN_TEXT_PX, axis ticks at least MIN_TICK_PX (fonts shrunk to fit would defeat the point)."""
    text = (
        ".bp-metric-label",
        ".bp-intro",
        ".backprop-chart-title",
        ".backprop-chart-caption",
        "[data-testid=stWidgetLabel] p",
    )
    for selector in text:
        size = page.evaluate(MIN_FONT_JS, selector)
        assert size is None or size >= MIN_TEXT_PX, f"{selector}: {size}px"
    ticks = page.evaluate(MIN_FONT_JS, ".backprop-live-plot .xtick text, .backprop-live-plot .ytick text")
    assert ticks is not None and ticks >= MIN_TICK_PX, f"axis ticks: {ticks}px"


def test_the_default_page_fits_a_projector_screen(browser, app_server, artifacts_dir):
    page = open_projector_page(browser, app_server.url + "/")
    try:
        page.wait_for_function(CHARTS_IN_VIEW_JS, timeout=TIMEOUT)
        page.screenshot(path=str(artifacts_dir / "projector-1280x720.png"))
        expect(page.get_by_role("heading", name="Backprop Playground", level=1)).to_be_in_viewport()
        assert_charts_and_controls_in_view(page)
        # The sidebar's first controls: compare mode and the dataset.
        assert_in_viewport(page, '[data-testid="stSidebar"] .st-key-w_compare', "the compare toggle")
        assert_in_viewport(page, '[data-testid="stSidebar"] .st-key-w_dataset', "the dataset picker")
        assert_in_viewport(page, ".st-key-w_lesson", "the lesson picker")
        assert_readable(page)
        # Paused after training, the replay slider appears above the charts: they still fit.
        page.locator(".st-key-step_n button").filter(visible=True).click()
        page.wait_for_function(
            "() => document.querySelector('[data-metric=\"Epoch\"] .bp-metric-value')?.innerText === '10'",
            timeout=TIMEOUT,
        )
        expect(page.locator(".st-key-w_replay")).to_be_visible(timeout=TIMEOUT)
        page.wait_for_function(CHARTS_IN_VIEW_JS, timeout=TIMEOUT)
        page.screenshot(path=str(artifacts_dir / "projector-1280x720-replay.png"))
        assert_charts_and_controls_in_view(page)
        assert page.js_errors == [], page.js_errors
    finally:
        page.close()


# The charts a lesson is about: its picture (boundary, or test digits), gradients and loss, per run.
def lesson_charts(lesson_key: str | None) -> list[str]:
    if lesson_key is None:  # compare mode without a lesson
        return ["boundary_A", "gradients_A", "boundary_B", "gradients_B", "loss_compare"]
    lesson = LESSONS[lesson_key]
    picture = "digits" if DATASETS[lesson.config_a.dataset].inputs == "image" else "boundary"
    if not lesson.compare:
        return [picture, "loss", "gradients"]
    return [f"{picture}_A", "gradients_A", f"{picture}_B", "gradients_B", "loss_compare"]


CHARTS_DRAWN_BY_NAME_JS = """(names) => names.every(name => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    return host && host.querySelector('.main-svg') && Number(host.dataset.redraws) >= 1;
})"""
NAMED_CHARTS_IN_VIEW_JS = """(names) => names.every(name => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    if (!host) return false;
    const box = host.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
})"""
PAUSED_AT_STOP_JS = """() => {
    const button = [...document.querySelectorAll('.st-key-play_pause button')].find(b => b.offsetParent);
    const note = document.querySelector('.bp-status-note');
    return button && button.innerText.trim() === 'Play' && note && note.innerText.includes("lesson's text looks");
}"""


def assert_lesson_screen(page: Page, charts: list[str], lesson_key: str | None) -> None:
    for name in charts:
        assert_in_viewport(page, f'.backprop-live-plot[data-chart="{name}"]', f"the {name} chart")
    assert_in_viewport(page, ".st-key-play_pause button", "the Play button")
    if lesson_key is not None:
        assert_in_viewport(page, '[data-testid="stExpander"] summary', "the lesson's one-line bar")
        summary = page.locator('[data-testid="stExpander"] summary').first.inner_text()
        assert f"Read lesson {list(LESSONS).index(lesson_key) + 1}" in summary, summary
        assert LESSONS[lesson_key].headline in summary, summary


# Played to the stop: one of each screen kind (a single run, a diverged run's mark, the digits gallery, a deep
# spiral, the landscape). The others share those layouts; each is still opened at 1280x720. Playing all thirteen
# cost about three minutes of the browser suite, which is the CI's critical path.
PLAYED_TO_STOP = {"vanishing_sigmoid", "exploding_init", "digits_vanishing", "degradation", "learning_rate_landscape"}


@pytest.mark.parametrize("lesson_key", [*LESSONS, None], ids=[*LESSONS, "compare-mode"])
def test_each_lesson_link_shows_its_charts_on_one_projected_screen_before_and_at_its_stop(
    browser, app_server, artifacts_dir, lesson_key
):
    """Every lesson link (and compare mode without a lesson) at 1280x720: the lesson's one-line bar, the Play
    button and every chart the lesson is about inside the screen, on opening and (one lesson per layout) where Play
    stops by itself
    (the stop's note, the replay slider and a diverged run's mark must not push a chart off)."""
    query = LESSONS[lesson_key].link if lesson_key else "?compare=1"
    name = lesson_key or "compare-mode"
    charts = lesson_charts(lesson_key)
    page = browser.new_page(viewport=PROJECTOR)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    try:
        page.goto(app_server.url + "/" + query, wait_until="domcontentloaded", timeout=PAGE_READY_TIMEOUT)
        page.wait_for_function(CHARTS_DRAWN_BY_NAME_JS, arg=charts, timeout=PAGE_READY_TIMEOUT)
        page.wait_for_function(NAMED_CHARTS_IN_VIEW_JS, arg=charts, timeout=TIMEOUT)
        page.screenshot(path=str(artifacts_dir / f"projector-lesson-{name}.png"))
        assert_lesson_screen(page, charts, lesson_key)
        if lesson_key is None:
            expect(page.locator(".bp-status-table")).to_be_visible()
        elif lesson_key in PLAYED_TO_STOP:
            page.locator(".st-key-play_pause button").filter(visible=True).first.click()
            page.wait_for_function(PAUSED_AT_STOP_JS, timeout=60_000)
            page.wait_for_function(NAMED_CHARTS_IN_VIEW_JS, arg=charts, timeout=TIMEOUT)
            page.mouse.move(640, 715)  # off the Play button: its tooltip would cover the lesson's bar
            page.wait_for_timeout(500)  # the last frame's redraw
            page.screenshot(path=str(artifacts_dir / f"projector-lesson-{name}-stop.png"))
            assert_lesson_screen(page, charts, lesson_key)
        assert_readable(page)
        assert page.js_errors == [], page.js_errors
    finally:
        page.close()


def test_a_lesson_opens_folded_and_its_full_text_is_one_click_away(browser, app_server, artifacts_dir):
    lesson = LESSONS["vanishing_sigmoid"]
    page = open_projector_page(browser, app_server.url + "/" + lesson.link)
    try:
        panel = page.locator('[data-testid="stExpander"]').filter(has_text="Read lesson 1").first
        explanation = panel.get_by_text(lesson.explanation[:40])
        expect(explanation).to_be_hidden(timeout=TIMEOUT)  # folded: the charts come first
        # The link's hidden controls are not drawn; the sidebar says so and offers them back.
        expect(page.locator(".st-key-w_dataset")).to_have_count(0)
        expect(page.locator(".st-key-w_batch")).to_have_count(0)
        expect(page.locator(".st-key-w_learning_rate")).to_be_visible()
        expect(page.locator('[data-testid="stSidebar"]').get_by_text("hidden by this lesson")).to_be_visible()
        assert_in_viewport(page, '[data-testid="stSidebar"] .st-key-show_all_controls', "Show all")

        panel.locator("summary").click()  # unfold: the whole text
        expect(explanation).to_be_visible(timeout=TIMEOUT)
        expect(panel.get_by_text("What to look for")).to_be_visible()
        page.screenshot(path=str(artifacts_dir / "projector-1280x720-lesson-unfolded.png"))
        # Open stays open when the page redraws (a Step reruns the script) ...
        page.locator(".st-key-step_one button").filter(visible=True).click()
        page.wait_for_function(
            "() => document.querySelector('[data-metric=\"Epoch\"] .bp-metric-value')?.innerText === '1'",
            timeout=TIMEOUT,
        )
        expect(explanation).to_be_visible()
        # ... and folding it brings the charts back onto the screen.
        panel.locator("summary").click()
        expect(explanation).to_be_hidden(timeout=TIMEOUT)
        page.wait_for_function(CHARTS_IN_VIEW_JS, timeout=TIMEOUT)
        assert_charts_and_controls_in_view(page)
        # Show all: every control is back.
        page.locator(".st-key-show_all_controls button").filter(visible=True).click()
        expect(page.locator(".st-key-w_dataset")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(".st-key-w_batch")).to_be_visible()
        assert page.js_errors == [], page.js_errors
    finally:
        page.close()
