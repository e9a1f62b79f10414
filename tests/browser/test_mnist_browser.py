"""MNIST live in Chromium: an epoch of 8,000 images is longer than a frame, so the view moves on by batches (the
epoch counter shows the epoch under way, 0.4 = 40 % into the first) and Pause stops mid-epoch. The latency of each
Pause (click to the last stream frame, and to the Play label: the page's whole rerun) goes to
test-artifacts/mnist-pause.json."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from tests.browser.conftest import PAGE_READY_TIMEOUT, VIEWPORT  # noqa: E402
from tests.browser.test_browser import TIMEOUT, play, play_button  # noqa: E402

pytestmark = pytest.mark.browser

QUERY = "?dataset=mnist&hidden_layers=64&activations=relu&batch_size=32&optimizer=adam&learning_rate=0.001"
EPOCH_TEXT_JS = "() => document.querySelector('[data-metric=\"Epoch\"] .bp-metric-value')?.innerText ?? ''"
# The numbers have drawn every payload the page received. The Play label and they come from the same script run,
# but the label is drawn as soon as it arrives, the numbers (later in the script) on an animation frame after
# theirs: they show the epoch where training stopped, a batch or two past the last frame while the stream trains
# between frames.
STATUS_DRAWN_JS = "() => window.__backpropHosts?.get('status')?.__pending?.length === 0"
# From now on: the time (ms after now) of every stream frame the page receives, for 2 s.
WATCH_FRAMES_JS = """() => {
    const started = performance.now();
    window.__frameTimes = [];
    let last = window.__backpropStream?.frames ?? 0;
    const timer = setInterval(() => {
        const now = window.__backpropStream?.frames ?? 0;
        if (now !== last) { window.__frameTimes.push(performance.now() - started); last = now; }
    }, 5);
    setTimeout(() => clearInterval(timer), 2000);
}"""


def test_mnist_plays_by_batches_and_pauses_mid_epoch(browser, app_server, artifacts_dir):
    page = browser.new_page(viewport=VIEWPORT)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    latencies = []
    try:
        page.goto(app_server.url + "/" + QUERY, wait_until="domcontentloaded", timeout=PAGE_READY_TIMEOUT)
        expect(play_button(page)).to_have_text("Play", timeout=PAGE_READY_TIMEOUT)
        for _ in range(3):
            play(page)
            # The counter goes on within the epoch: a fraction such as 0.4 before the epoch ends.
            page.wait_for_function(f"() => /\\.[1-9]$/.test(({EPOCH_TEXT_JS})())", timeout=TIMEOUT, polling=50)
            pauses = page.evaluate("() => window.__backpropStreamPauses || 0")
            page.evaluate(WATCH_FRAMES_JS)
            clicked = time.perf_counter()
            play_button(page).click()
            expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
            label_seconds = time.perf_counter() - clicked
            page.wait_for_timeout(300)  # the rest of the click's script run (as test_browser's Pause tests wait)
            page.wait_for_function(STATUS_DRAWN_JS, timeout=TIMEOUT, polling=20)
            shown = page.evaluate(EPOCH_TEXT_JS)
            page.wait_for_timeout(800)
            assert page.evaluate(EPOCH_TEXT_JS) == shown, "the epoch moved on after Pause"
            assert re.fullmatch(r"[0-9,]+\.[0-9]", shown), f"paused at {shown!r}, not mid-epoch"
            # The click also said Pause on the stream (assets/live/keyboard.js): the last frame came within a frame or
            # two of it, long before the click's script run relabelled the button.
            assert page.evaluate("() => window.__backpropStreamPauses || 0") == pauses + 1
            page.wait_for_timeout(max(0, 2100 - 1000 * (time.perf_counter() - clicked)))
            last_frame = max(page.evaluate("() => window.__frameTimes"), default=0.0) / 1000
            latencies.append(
                {
                    "pause_to_last_frame_s": round(last_frame, 3),
                    "pause_to_play_label_s": round(label_seconds, 3),
                    "epoch_shown": shown,
                }
            )
        page.screenshot(path=str(artifacts_dir / "mnist-paused-mid-epoch.png"))
        assert page.js_errors == [], page.js_errors
    finally:
        (artifacts_dir / "mnist-pause.json").write_text(json.dumps(latencies, indent=1))
        page.close()
