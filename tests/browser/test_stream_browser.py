"""The live stream in Chromium: frames on their own websocket, tied to their session, never losing a click.

The status element's host carries ``data-stream`` (the page's stream state: connecting, open,
reconnecting, refused, replaced); ``window.__backpropStream`` counts the frames the page received on
the stream and each live host's ``__received`` the payloads Streamlit's own websocket handed it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import free_port, open_app, wait_until_answering  # noqa: E402
from tests.browser.test_browser import (  # noqa: E402
    EPOCH_FN,
    TIMEOUT,
    assert_clean,
    button,
    choose,
    epoch,
    epoch_changes_within,
    pause,
    play,
    play_button,
    speed_label,
    wait_charts_at,
    wait_epoch,
)

pytestmark = pytest.mark.browser

STREAM_STATE_JS = "() => document.querySelector('.backprop-live-html[data-stream]')?.dataset.stream ?? null"
STREAM_COUNTS_JS = """() => ({
    frames: window.__backpropStream?.frames ?? 0,
    fromStreamlit: [...document.querySelectorAll('.backprop-live-plot, .backprop-live-html')]
        .reduce((sum, host) => sum + (host.__received || 0), 0),
    token: window.__backpropStream?.token ?? null,
    path: window.__backpropStream?.path ?? null,
})"""

# Open a websocket to the stream route from the page; resolves to the close code, or "open" if the
# server kept it open (and sent a frame) for ``wait`` ms. The page's own stream is left alone.
PROBE_JS = """async ([path, token, wait]) => {
    const url = new URL(path, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token);
    return await new Promise(resolve => {
        const socket = new WebSocket(url.href);
        let frames = 0;
        socket.onmessage = () => { frames += 1; };
        socket.onclose = event => resolve({code: event.code, frames});
        setTimeout(() => { socket.close(); resolve({code: 'open', frames}); }, wait);
    });
}"""


def wait_stream(page: Page, state: str = "open", timeout: float = TIMEOUT) -> None:
    page.wait_for_function(f"() => ({STREAM_STATE_JS})() === {json.dumps(state)}", timeout=timeout)


def counts(page: Page) -> dict:
    return page.evaluate(STREAM_COUNTS_JS)


def test_playing_draws_from_the_stream_and_streamlit_sends_no_frames(page: Page):
    wait_stream(page)
    play(page)
    wait_epoch(page, "e >= 20")
    before, epoch_before = counts(page), epoch(page)
    page.wait_for_timeout(2000)
    after, epoch_after = counts(page), epoch(page)
    pause(page)
    assert after["frames"] - before["frames"] >= 10, (before, after)
    assert epoch_after > epoch_before
    # No Streamlit rerun drew a frame: every payload came over the stream.
    assert after["fromStreamlit"] == before["fromStreamlit"], (before, after)
    assert_clean(page)


def test_the_stream_reconnects_after_a_dropped_socket_and_keeps_playing(page: Page):
    wait_stream(page)
    play(page)
    wait_epoch(page, "e >= 10")
    for _ in range(3):
        page.evaluate("() => window.__backpropStream.socket.close()")
        wait_stream(page, "reconnecting")
        wait_stream(page)
        frames = counts(page)["frames"]
        now = epoch(page)
        wait_epoch(page, f"e > {now + 20}")
        assert counts(page)["frames"] > frames
    pause(page)
    paused_at = epoch(page)
    assert not epoch_changes_within(page, paused_at, 700), "the epoch moved after Pause"
    assert_clean(page)


def test_a_dropped_stream_falls_back_to_reruns_and_pause_still_works(page: Page):
    """With the stream refused for good (a proxy without websockets), playing goes on by reruns."""
    wait_stream(page)
    # Point the page's stream at a route that does not exist: every reconnect fails.
    page.evaluate("() => { const hub = window.__backpropStream; hub.path = '/no-such-route'; hub.socket.close(); }")
    play(page)
    now = epoch(page)
    wait_epoch(page, f"e > {now + 20}", timeout=TIMEOUT)
    pause(page)
    paused_at = epoch(page)
    assert not epoch_changes_within(page, paused_at, 700), "the epoch moved after Pause"
    assert_clean(page)


def test_a_wrong_token_is_refused(page: Page):
    path = counts(page)["path"]
    token = counts(page)["token"]
    for wrong in ("", "guess", token[:-1], token + "A", token.swapcase()):
        result = page.evaluate(PROBE_JS, [path, wrong, 3000])
        assert result == {"code": 4401, "frames": 0}, (wrong, result)


def test_another_site_cannot_read_a_run_even_with_its_token(browser, app_server, tmp_path):
    victim = open_app(browser, app_server.url)
    try:
        wait_stream(victim)
        stolen = counts(victim)
        play(victim)
        # A page of another site on this machine opens the stream with the victim's real token: its
        # Origin is not the app's, so the server refuses it. (A page from a public site does not even
        # get that far: Chromium keeps public pages from local addresses, the socket fails with 1006.)
        (tmp_path / "index.html").write_text("<html><body>another site</body></html>")
        port = free_port()
        other_site = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            attacker = browser.new_page()
            wait_until_answering(f"http://127.0.0.1:{port}/", 10, other_site)
            attacker.goto(f"http://127.0.0.1:{port}/")
            result = attacker.evaluate(PROBE_JS, [app_server.url + stolen["path"], stolen["token"], 3000])
            attacker.close()
        finally:
            other_site.terminate()
            other_site.wait(10)
        assert result == {"code": 4401, "frames": 0}, result
        wait_stream(victim)  # the victim's own stream was never disturbed
        pause(victim)
        assert_clean(victim)
    finally:
        victim.close()


def test_two_sessions_each_drive_only_their_own_run(browser, app_server):
    first, second = open_app(browser, app_server.url), open_app(browser, app_server.url)
    try:
        wait_stream(first)
        wait_stream(second)
        assert counts(first)["token"] != counts(second)["token"]
        play(first)
        wait_epoch(first, "e >= 30")
        assert epoch(second) == 0 and play_button(second).inner_text() == "Play"
        assert not epoch_changes_within(second, 0, 700)
        pause(first)
        assert_clean(first)
        assert_clean(second)
    finally:
        first.close()
        second.close()


def test_the_stream_of_a_closed_session_closes_and_its_token_is_refused(browser, app_server):
    closing = open_app(browser, app_server.url)
    watcher = open_app(browser, app_server.url)
    try:
        wait_stream(closing)
        info = counts(closing)
        # A second socket with the session's token takes over its stream (the page's own one is replaced)...
        probe = watcher.evaluate_handle(
            """([path, token]) => {
                const url = new URL(path, window.location.href);
                url.protocol = 'ws:';
                url.searchParams.set('token', token);
                const socket = new WebSocket(url.href);
                const seen = {open: false, code: null};
                socket.onopen = () => { seen.open = true; };
                socket.onclose = event => { seen.code = event.code; };
                return seen;
            }""",
            [info["path"], info["token"]],
        )
        watcher.wait_for_function("seen => seen.open", arg=probe, timeout=TIMEOUT)
        wait_stream(closing, "replaced")
        # ...and when that session's tab closes, the server closes the stream: the session has ended.
        closing.close()
        watcher.wait_for_function("seen => seen.code !== null", arg=probe, timeout=TIMEOUT)
        assert watcher.evaluate("seen => seen.code", probe) == 4410
        result = watcher.evaluate(PROBE_JS, [info["path"], info["token"], 3000])
        assert result["code"] in (4401, 4410) and result["frames"] == 0, result
        assert_clean(watcher)
    finally:
        if not closing.is_closed():
            closing.close()
        watcher.close()


CLICKS_PER_SPEED = 50
# The slowest speed, the default and max: the speeds in between take the same code paths (a fixed
# number of epochs per frame), and each speed costs 50 s of the suite.
SPEEDS = ("1", "5", "max")


@pytest.mark.parametrize("speed", SPEEDS)
def test_fifty_clicks_of_play_pause_step_reset_each_take_effect(page: Page, speed, artifacts_dir):
    """Play, Pause, Step, Reset in a row, 50 clicks, each checked before the next (a lost click fails)."""
    choose(page, "w_speed", speed_label(speed))
    wait_stream(page)
    latencies: dict[str, list[float]] = {"play": [], "pause": [], "step": [], "reset": []}
    actions = ("play", "pause", "step", "reset")
    for click in range(CLICKS_PER_SPEED):
        action = actions[click % len(actions)]
        before = epoch(page)
        started = time.perf_counter()
        if action == "play":
            play(page)
            wait_epoch(page, f"e > {before}")
            latencies[action].append(time.perf_counter() - started)
        elif action == "pause":
            pause(page)
            latencies[action].append(time.perf_counter() - started)
            # Frames trained before the click may still be drawing (two at most are in flight); then
            # nothing moves.
            shown_at_pause = epoch(page)
            page.wait_for_timeout(250)
            paused_at = epoch(page)
            if speed != "max":
                assert paused_at - shown_at_pause <= 2 * int(speed), f"click {click}: trained on after Pause"
            assert not epoch_changes_within(page, paused_at, 500), f"click {click}: the epoch moved after Pause"
        elif action == "step":
            button(page, "step_one").click()
            assert wait_epoch(page, f"e !== {before}") == before + 1, f"click {click}: Step did not add one epoch"
            latencies[action].append(time.perf_counter() - started)
        else:
            button(page, "reset").click()
            wait_epoch(page, "e === 0")
            latencies[action].append(time.perf_counter() - started)
            wait_charts_at(page, 0)
        expect(play_button(page)).to_have_text("Pause" if action == "play" else "Play", timeout=TIMEOUT)
    assert page.evaluate(EPOCH_FN) == (0 if CLICKS_PER_SPEED % 4 == 0 else epoch(page))
    # Seconds from the click (as Playwright sends it) to the effect on the page; bench/ measures the
    # latency targets, this only keeps the figures of the run next to its screenshots.
    summary = {
        action: {"median": round(sorted(seconds)[len(seconds) // 2], 3), "max": round(max(seconds), 3)}
        for action, seconds in latencies.items()
    }
    (artifacts_dir / f"clicks-speed-{speed}.json").write_text(json.dumps(summary))
    assert_clean(page)


HEATMAP_JS = "() => document.querySelector('.backprop-live-plot[data-chart^=\"heat\"]')"
HEATMAP_STATE_JS = f"""() => {{
    const host = ({HEATMAP_JS})();
    const box = host.getBoundingClientRect();
    return {{redraws: Number(host.dataset.redraws || 0), epoch: Number(host.dataset.epoch ?? -1),
             below: box.top > window.innerHeight + 150, waiting: host.__pending.length}};
}}"""


def test_a_chart_below_the_fold_waits_and_draws_the_current_epoch_when_scrolled_into_view(page: Page):
    wait_stream(page)
    page.wait_for_function(f"() => !!({HEATMAP_JS})()", timeout=TIMEOUT)
    page.evaluate("() => window.scrollTo(0, 0)")
    assert page.evaluate(HEATMAP_STATE_JS)["below"], "the lens heatmap should start below the fold here"
    play(page)
    wait_epoch(page, "e >= 40")
    before = page.evaluate(HEATMAP_STATE_JS)
    page.wait_for_timeout(1000)
    held = page.evaluate(HEATMAP_STATE_JS)
    assert held["redraws"] == before["redraws"]  # not drawn while nobody can see it
    assert held["waiting"] <= 5  # what waits is merged: memory stays flat
    boundary_redraws = page.evaluate(
        "() => Number(document.querySelector('.backprop-live-plot[data-chart=\"boundary\"]').dataset.redraws)"
    )
    assert boundary_redraws > 20  # the charts on screen went on drawing (the stream was acknowledged)
    pause(page)
    final = epoch(page)
    page.evaluate(f"() => ({HEATMAP_JS})().scrollIntoView()")
    page.wait_for_function(f"() => ({HEATMAP_STATE_JS})().epoch === {final}", timeout=TIMEOUT)
    assert page.evaluate(HEATMAP_STATE_JS)["redraws"] > held["redraws"]
    assert_clean(page)


def test_pictures_are_painted_by_the_worker_and_shown_while_playing(page: Page):
    wait_stream(page)
    boundary = "document.querySelector('.backprop-live-plot[data-chart=\"boundary\"] .imagelayer image')"
    first = page.evaluate(f"() => {boundary}.href.baseVal")  # the picture shown (href or xlink:href)
    play(page)
    wait_epoch(page, "e >= 30")
    page.wait_for_function(
        f"() => window.__backpropPictures.worker >= 5 && {boundary}.href.baseVal.startsWith('blob:')", timeout=TIMEOUT
    )
    pause(page)
    shown = page.evaluate(f"() => {boundary}.href.baseVal")
    assert shown != first
    painted = page.evaluate("() => window.__backpropPictures")
    assert painted["worker"] >= 5 and painted["page"] == 0  # off the page's main thread, every one
    # The picture is a real image of the plot area's size (the worker's JPEG), not an empty blob. Read from the
    # picture shown at the time: the Pause's own script run may replace it (and free the one before).
    size = page.evaluate(
        f"""async () => {{
            for (let attempt = 0; ; attempt++) {{
                const image = new Image();
                image.src = {boundary}.href.baseVal;
                try {{ await image.decode(); return [image.naturalWidth, image.naturalHeight]; }}
                catch (error) {{ if (attempt === 4) throw error; await new Promise((r) => setTimeout(r, 200)); }}
            }}
        }}"""
    )
    assert size[0] >= 64 and size[0] == size[1]
    assert_clean(page)
