"""The link is the state, in Chromium: Back and Forward restore the settings they show, and a compare-mode
link opens two runs.

Streamlit 1.67 writes each change of the URL with history.pushState and reruns the script on popstate with
the URL's query (a "history navigation" run); the app then shows that URL's settings (ui._follow_navigation).
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import PAGE_READY_TIMEOUT, VIEWPORT  # noqa: E402

pytestmark = pytest.mark.browser

TIMEOUT = 20_000  # ms
LEARNING_RATE = ".st-key-w_learning_rate input[type=range]"  # the select slider's input (aria-valuetext: its value)
EPOCH_JS = """() => {
    const value = document.querySelector('[data-metric="Epoch"] .bp-metric-value');
    return value ? value.innerText.replace(/[^0-9]/g, '') : null;
}"""


def learning_rate(page: Page) -> str:
    return page.locator(LEARNING_RATE).get_attribute("aria-valuetext")


def wait_learning_rate(page: Page, value: str) -> None:
    expect(page.locator(LEARNING_RATE)).to_have_attribute("aria-valuetext", value, timeout=TIMEOUT)


def wait_url(page: Page, part: str) -> None:
    page.wait_for_function(f"() => location.search.includes({part!r})", timeout=TIMEOUT)


def wait_epoch(page: Page, epoch: int) -> None:
    page.wait_for_function(f"() => ({EPOCH_JS})() === '{epoch}'", timeout=TIMEOUT)


def wait_idle(page: Page) -> None:
    """Until the script run that a change started has finished (Streamlit marks the app notRunning)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'",
        timeout=TIMEOUT,
    )


def raise_learning_rate(page: Page) -> str:
    """One step right on the learning-rate slider; returns the new value once the URL carries it."""
    before = learning_rate(page)
    page.locator(LEARNING_RATE).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"() => document.querySelector({LEARNING_RATE!r}).getAttribute('aria-valuetext') !== {before!r}",
        timeout=TIMEOUT,
    )
    value = learning_rate(page)
    wait_url(page, f"learning_rate={value}")
    wait_idle(page)
    return value


def test_back_and_forward_restore_the_settings_they_show(page: Page):
    assert learning_rate(page) == "0.03" and page.evaluate("location.search") == ""
    first = raise_learning_rate(page)
    page.get_by_role("button", name="Step", exact=True).click()  # progress made under the first setting
    wait_epoch(page, 1)
    second = raise_learning_rate(page)
    assert float(second) > float(first) > 0.03
    wait_epoch(page, 1)  # a learning rate change keeps the run going
    entries = page.evaluate("history.length")

    page.go_back()  # the first change: its learning rate, the run rebuilt from the link (paused, epoch 0)
    wait_url(page, f"learning_rate={first}")
    wait_learning_rate(page, first)
    wait_epoch(page, 0)
    page.go_back()  # the page as it opened
    page.wait_for_function("() => location.search === ''", timeout=TIMEOUT)
    wait_learning_rate(page, "0.03")
    page.go_forward()
    wait_url(page, f"learning_rate={first}")
    wait_learning_rate(page, first)
    page.go_forward()
    wait_url(page, f"learning_rate={second}")
    wait_learning_rate(page, second)
    wait_idle(page)
    assert page.evaluate("history.length") == entries, "following Back/Forward must not add history entries"
    assert page.get_by_text("Something went wrong").count() == 0
    # A change after Back starts a new branch of the history, as on any web page.
    page.go_back()
    wait_learning_rate(page, first)
    wait_idle(page)
    third = raise_learning_rate(page)
    assert third == second  # one step right of the first again
    assert not page.js_errors, page.js_errors


def test_a_compare_link_opens_two_runs_with_their_settings(browser, app_server):
    link = "/?compare=1&learning_rate=0.1&b.activations=relu,relu&b.initializer=he_normal&b.learning_rate=0.3"
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app_server.url + link, wait_until="domcontentloaded", timeout=PAGE_READY_TIMEOUT)
        charts = "() => [...document.querySelectorAll('.backprop-live-plot')].map(host => host.dataset.chart)"
        page.wait_for_function(
            f"() => ({charts})().filter(name => name.startsWith('boundary')).length === 2",
            timeout=PAGE_READY_TIMEOUT,
        )
        expect(page.locator(".st-key-w_compare input")).to_be_checked()
        expect(page.locator(".st-key-w_editing")).to_be_visible()
        wait_learning_rate(page, "0.1")  # the sidebar edits run A
        page.locator(".st-key-w_editing").get_by_text("Run B").click()
        wait_learning_rate(page, "0.3")
        assert "b.learning_rate=0.3" in page.url and "compare=1" in page.url
        assert page.get_by_text("Something went wrong").count() == 0
    finally:
        page.close()
