"""Keyboard shortcuts in headless Chromium: Space plays and pauses, → steps, R resets (assets/live/keyboard.js);
typing in a field is left alone; the first Tab stops are skip links to Play and to the lesson picker;
a dead network's gradient chart says why it is empty."""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import open_app  # noqa: E402
from tests.browser.test_browser import (  # noqa: E402
    TIMEOUT,
    assert_clean,
    button,
    epoch,
    epoch_changes_within,
    open_problem,
    play_button,
    wait_epoch,
)

pytestmark = pytest.mark.browser


def focus_page(page: Page) -> None:
    """Give the page the keyboard without focusing a control (a click on the empty header area)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur && document.activeElement.blur()")


def test_space_plays_and_pauses_arrow_steps_and_r_resets(page: Page):
    focus_page(page)
    assert epoch(page) == 0
    page.keyboard.press("Space")
    expect(play_button(page)).to_have_text("Pause", timeout=TIMEOUT)
    wait_epoch(page, "e > 0")
    page.keyboard.press("Space")
    expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
    stopped = epoch(page)
    assert not epoch_changes_within(page, stopped, 1000)
    page.keyboard.press("ArrowRight")
    assert wait_epoch(page, f"e !== {stopped}") == stopped + 1
    expect(play_button(page)).to_have_text("Play")
    page.keyboard.press("r")
    wait_epoch(page, "e === 0")
    assert_clean(page)


def test_keys_typed_into_a_field_are_left_alone(page: Page):
    field = page.locator(".st-key-w_step_count input")
    field.click()
    page.keyboard.press("Space")
    page.keyboard.press("r")
    page.keyboard.press("ArrowRight")
    assert not epoch_changes_within(page, 0, 1500)
    expect(play_button(page)).to_have_text("Play")
    assert page.evaluate("() => window.__backpropShortcutPresses || 0") == 0
    assert_clean(page)


def test_space_after_a_mouse_click_on_step_plays_rather_than_stepping_again(page: Page):
    button(page, "step_one").click()
    wait_epoch(page, "e === 1")
    page.keyboard.press("Space")  # the focus is still on Step, but not from the keyboard
    expect(play_button(page)).to_have_text("Pause", timeout=TIMEOUT)
    page.keyboard.press("Space")
    expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
    assert_clean(page)


def test_the_first_tabs_reach_play_and_the_lesson_picker(browser, app_server):
    """The sidebar comes first in the page: without the skip links Play is some 20 Tabs away."""
    page = open_app(browser, app_server.url)
    try:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.keyboard.press("Tab")
        assert "Skip to Play" in page.evaluate("() => document.activeElement.textContent")
        assert page.locator(".bp-skip-link").first.is_visible()  # shown while focused
        page.keyboard.press("Tab")
        assert "Skip to the lessons" in page.evaluate("() => document.activeElement.textContent")
        page.keyboard.press("Enter")
        assert page.evaluate("() => !!document.activeElement.closest('.st-key-w_lesson')")
        page.keyboard.press("Escape")
        page.evaluate("() => document.querySelector('.bp-skip-link').focus()")
        page.keyboard.press("Enter")
        assert page.evaluate("() => !!document.activeElement.closest('.st-key-play_pause')")
        page.keyboard.press("Space")  # Play has the keyboard focus: Space presses it
        expect(play_button(page)).to_have_text("Pause", timeout=TIMEOUT)
        page.keyboard.press("Space")
        expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
        assert page.js_errors == []
    finally:
        page.close()


def test_a_dead_networks_empty_gradient_chart_says_why(browser, app_server):
    query = "hidden_layers=4,2,2,2,2,2,2,2&activations=" + ",".join(["relu"] * 8) + "&initializer=he_normal"
    page = open_problem(browser, app_server, query, ("loss", "gradients"))
    try:
        page.set_viewport_size({"width": 1280, "height": 720})
        note = page.locator('.backprop-live-plot[data-chart="gradients"] .annotation-text')
        expect(note).to_contain_text("is dead", timeout=TIMEOUT)
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="No gradient reaches")
        expect(alert).to_have_count(1)
        assert page.locator('[data-testid="stAlert"]').count() == 1  # the link's settings were all taken
        assert_clean(page)
    finally:
        page.close()
