"""The running app in headless Chromium: playback, controls while playing, charts kept mounted.

Every wait polls the page with a bounded timeout (no fixed sleeps decide an
outcome). The only timed windows are the "nothing happens" checks (the epoch
stays put after Pause), which poll for a change and pass when none comes.
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from playground.ui.state import speed_label  # noqa: E402

pytestmark = pytest.mark.browser

CORE_CHARTS = ("boundary", "loss", "gradients")  # the default layout's live charts (data-chart of each host)
TIMEOUT = 15_000  # ms: generous for a loaded 2-core machine; passing runs wait far less

# The Epoch metric's value as an int (null while it is not on the page).
EPOCH_FN = """() => {
    const value = document.querySelector('[data-metric="Epoch"] .bp-metric-value');
    if (!value) return null;
    const digits = value.innerText.replace(/[^0-9]/g, '');
    return digits === '' ? null : parseInt(digits, 10);
}"""

# Records every value the Epoch metric shows, in order, in window.__epochLog.
EPOCH_LOG_JS = f"""() => {{
    const read = {EPOCH_FN};
    window.__epochLog = [read()];
    window.__epochLogObserver?.disconnect();
    window.__epochLogObserver = new MutationObserver(() => {{
        const value = read();
        if (value !== null && value !== window.__epochLog[window.__epochLog.length - 1]) window.__epochLog.push(value);
    }});
    window.__epochLogObserver.observe(document.body, {{subtree: true, childList: true, characterData: true}});
}}"""


# ---- helpers ------------------------------------------------------------------------------------
def epoch(page: Page) -> int:
    value = page.evaluate(EPOCH_FN)
    assert value is not None, "the Epoch metric is not on the page"
    return value


def wait_epoch(page: Page, condition: str, timeout: float = TIMEOUT) -> int:
    """Wait until the Epoch metric satisfies ``condition`` (JS, on ``e``); returns it."""
    check = f"() => {{ const e = ({EPOCH_FN})(); return e !== null && ({condition}); }}"
    page.wait_for_function(check, timeout=timeout)
    return epoch(page)


def epoch_changes_within(page: Page, value: int, timeout_ms: float) -> bool:
    """Poll for ``timeout_ms``: does the Epoch metric move away from ``value``?"""
    try:
        page.wait_for_function(f"() => ({EPOCH_FN})() !== {value}", timeout=timeout_ms, polling=50)
    except PlaywrightError as error:
        if "Timeout" in str(error):
            return False
        raise
    return True


# The three core charts' host elements, in CORE_CHARTS order (other live charts may exist too).
CORE_HOSTS_JS = (
    "['boundary', 'loss', 'gradients'].map(n => document.querySelector(`.backprop-live-plot[data-chart=\"${n}\"]`))"
)


def chart_epochs(page: Page) -> dict[str, str | None]:
    """The epoch each core chart last drew."""
    pairs = f"{CORE_HOSTS_JS}.map((h, i) => [{list(CORE_CHARTS)}[i], h?.dataset.epoch ?? null])"
    return page.evaluate(f"() => Object.fromEntries({pairs})")


def wait_charts(page: Page, condition: str, timeout: float = TIMEOUT) -> None:
    """Wait until every core chart's drawn epoch ``d`` (a number) satisfies ``condition`` (JS)."""
    page.wait_for_function(
        f"() => {CORE_HOSTS_JS}.every(h => {{ if (!h || h.dataset.epoch === undefined) return false;"
        f" const d = Number(h.dataset.epoch); return {condition}; }})",
        timeout=timeout,
    )


def wait_charts_at(page: Page, value: int, timeout: float = TIMEOUT) -> None:
    """Wait until all three core charts have drawn epoch ``value``."""
    wait_charts(page, f"d === {value}", timeout)


def redraws(page: Page) -> int:
    return page.evaluate("() => window.__backpropRedraws || 0")


def button(page: Page, key: str):
    """The button with widget key ``key`` (Streamlit also renders a hidden copy, for sizing)."""
    return page.locator(f".st-key-{key} button").filter(visible=True)


def play_button(page: Page):
    return button(page, "play_pause")


def play(page: Page) -> None:
    expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
    play_button(page).click()
    expect(play_button(page)).to_have_text("Pause", timeout=TIMEOUT)


def pause(page: Page) -> None:
    """One click on Pause must stop playback (no retry: a lost click is what a student would see)."""
    expect(play_button(page)).to_have_text("Pause", timeout=TIMEOUT)
    play_button(page).click()
    try:
        expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
    except AssertionError as error:
        raise AssertionError(
            f"one click on Pause did not stop playback within {TIMEOUT / 1000:g} s (epoch {epoch(page)} and counting). "
            "Seen on this app: when the click coincides with the live fragment's timer rerun, Streamlit delivers "
            "the button's trigger twice (once with the fragment rerun, once with the full rerun), so the toggle "
            "callback runs twice and playback continues. Fix in the app: make the callback idempotent, "
            "e.g. on_click=toggle_play, args=(state, not state.playing) and ignore a repeat."
        ) from error


def choose(page: Page, widget_key: str, option: str) -> None:
    """Pick ``option`` in the selectbox whose key is ``widget_key``."""
    box = page.locator(f".st-key-{widget_key} input[role=combobox]")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option, timeout=TIMEOUT)


def assert_clean(page: Page) -> None:
    """No Streamlit exception box, no 'Something went wrong' error, no uncaught JS error."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    assert not any("Something went wrong" in text for text in alerts), alerts
    assert not any("could not be drawn" in text for text in page.locator(".backprop-live-plot").all_inner_texts())
    assert page.js_errors == [], page.js_errors


# ---- tests --------------------------------------------------------------------------------------
def test_page_loads_with_three_charts_and_no_errors(page: Page):
    expect(page.get_by_role("heading", name="Backprop Playground", level=1)).to_be_visible()
    assert page.title() == "Backprop Playground"
    for name in CORE_CHARTS:
        host = page.locator(f'.backprop-live-plot[data-chart="{name}"]')
        expect(host).to_have_count(1)
        expect(host.locator(".main-svg").first).to_be_visible()
        box = host.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, box
    assert epoch(page) == 0
    assert chart_epochs(page) == {"boundary": "0", "loss": "0", "gradients": "0"}
    expect(play_button(page)).to_have_text("Play")
    for label in ("Epoch", "Train loss", "Test loss", "Train accuracy", "Test accuracy"):
        expect(page.locator(f'[data-metric="{label}"] .bp-metric-label')).to_have_text(label)
    for title in ("Decision boundary", "Loss over epochs", "Gradient per layer"):  # one row: short titles
        expect(page.locator(".backprop-chart-title", has_text=title)).to_be_visible()
    expect(page.locator(".backprop-chart-caption").first).to_contain_text("decision boundary")
    assert_clean(page)


def test_play_advances_epochs_and_pause_stops_them(page: Page):
    start, start_redraws = epoch(page), redraws(page)
    play(page)
    # Two frames at the default speed (5 epochs per frame) at least, and the charts follow.
    advanced = wait_epoch(page, f"e >= {start + 10}")
    assert advanced > start
    page.wait_for_function(f"() => (window.__backpropRedraws || 0) >= {start_redraws + 6}", timeout=TIMEOUT)
    wait_charts(page, "d > 0")

    pause(page)
    # Once the charts show what the metric shows, the paused UI has settled: nothing may move any more.
    stopped = epoch(page)
    wait_charts_at(page, stopped)
    assert not epoch_changes_within(page, stopped, 1500), f"epoch moved after Pause: {stopped} -> {epoch(page)}"
    assert chart_epochs(page) == {"boundary": str(stopped), "loss": str(stopped), "gradients": str(stopped)}
    expect(play_button(page)).to_have_text("Play")
    assert_clean(page)


def test_step_adds_exactly_one_epoch_and_reset_returns_to_zero(page: Page):
    before = epoch(page)
    button(page, "step_one").click()
    after = wait_epoch(page, f"e !== {before}")
    assert after == before + 1
    wait_charts_at(page, after)

    button(page, "step_one").click()
    again = wait_epoch(page, f"e !== {after}")
    assert again == before + 2

    step_n = button(page, "step_n")
    expect(step_n).to_have_text("Step ×10")
    step_n.click()
    many = wait_epoch(page, f"e !== {again}")
    assert many == again + 10
    wait_charts_at(page, many)
    assert not epoch_changes_within(page, many, 500), "stepping must not start playback"
    expect(play_button(page)).to_have_text("Play")

    # Reset while playing: back to epoch 0, playback stopped, charts redrawn from the start.
    play(page)
    wait_epoch(page, f"e >= {many + 10}")
    button(page, "reset").click()
    wait_epoch(page, "e === 0")
    expect(play_button(page)).to_have_text("Play", timeout=TIMEOUT)
    wait_charts_at(page, 0)
    assert not epoch_changes_within(page, 0, 1000), "epoch moved after Reset"
    assert_clean(page)


def test_speed_change_while_playing_takes_effect(page: Page):
    page.evaluate(EPOCH_LOG_JS)
    play(page)
    wait_epoch(page, "e >= 15")
    before = page.evaluate("() => window.__epochLog.slice()")
    steps_before = [b - a for a, b in zip(before, before[1:]) if b > a]
    assert steps_before and min(steps_before) < 50, f"speed 5 should advance by small steps: {before}"

    mark = len(before)
    choose(page, "w_speed", speed_label("50"))
    expect(page.get_by_text("(50 per frame)")).to_be_visible(timeout=TIMEOUT)
    # From now on every frame trains 50 epochs: the last three visible steps are all multiples of 50.
    page.wait_for_function(
        f"""() => {{
            const log = window.__epochLog.slice({mark});
            if (log.length < 4) return false;
            const steps = log.slice(-4).map((v, i, a) => i ? v - a[i - 1] : null).slice(1);
            return steps.every(s => s > 0 && s % 50 === 0);
        }}""",
        timeout=TIMEOUT,
    )
    expect(play_button(page)).to_have_text("Pause")  # the change did not stop playback
    assert_clean(page)


def test_dataset_change_while_playing_restarts_and_keeps_playing(page: Page):
    dataset = page.locator(".st-key-w_dataset input[role=combobox]")
    expect(dataset).to_have_value("Circle")
    page.evaluate(EPOCH_LOG_JS)
    play(page)
    reached = wait_epoch(page, "e >= 30")
    mark = page.evaluate("() => window.__epochLog.length")
    choose(page, "w_dataset", "XOR")
    # The run restarts near epoch 0 (new data, new network) and keeps advancing from there.
    page.wait_for_function(
        f"""() => {{
            const log = window.__epochLog;
            const start = Math.max({mark}, 1);
            for (let i = start; i < log.length; i++) {{
                if (log[i] < log[i - 1]) return log.length - i >= 3;
            }}
            return false;
        }}""",
        timeout=TIMEOUT,
    )
    log = page.evaluate("() => window.__epochLog.slice()")
    drop = next(i for i in range(max(mark, 1), len(log)) if log[i] < log[i - 1])
    assert log[drop] <= 20, f"after the data change the run should restart near 0, got {log[drop]} (was {reached})"
    assert log[drop:] == sorted(log[drop:]) and log[-1] > log[drop], log
    expect(play_button(page)).to_have_text("Pause")
    # The charts follow the new run (the whole figure is sent again, then patched).
    now = epoch(page)
    wait_charts(page, f"d >= {log[drop]} && d <= {now + 1000}")
    assert_clean(page)


# Tags every live chart host and its Plotly <svg>, and records removed nodes that are or hold one.
TAG_CHARTS_JS = """() => {
    window.__chartHosts = [...document.querySelectorAll('.backprop-live-plot')];
    window.__chartSvgs = window.__chartHosts.map(h => h.querySelector('.main-svg')).filter(Boolean);
    window.__chartHosts.forEach((h, i) => { h.__testTag = 'host-' + i; });
    window.__removedCharts = [];
    window.__chartRemovalObserver?.disconnect();
    window.__chartRemovalObserver = new MutationObserver(records => {
        for (const record of records) for (const node of record.removedNodes) {
            if (node.nodeType !== 1) continue;
            const hosts = node.matches('.backprop-live-plot')
                ? [node] : [...node.querySelectorAll('.backprop-live-plot')];
            if (hosts.length) {
                window.__removedCharts.push('chart host(s) ' + hosts.map(h => h.dataset.chart).join(','));
            } else if (node.matches('.main-svg') || node.querySelector('.main-svg')) {
                window.__removedCharts.push('a plotly svg');
            }
        }
    });
    window.__chartRemovalObserver.observe(document.body, {subtree: true, childList: true});
    return window.__chartHosts.length;
}"""

CHARTS_STATE_JS = """() => ({
    hostsConnected: window.__chartHosts.map(h => h.isConnected),
    svgsConnected: window.__chartSvgs.every(s => s.isConnected),
    tags: [...document.querySelectorAll('.backprop-live-plot')].map(h => h.__testTag ?? null),
    removed: window.__removedCharts.slice(),
})"""


def play_and_check_charts_kept(page: Page, tag_before_play: bool) -> None:
    core_redraws = f"{CORE_HOSTS_JS}.map(h => Number(h?.dataset.redraws || 0))"
    all_drawn = (  # Plotly charts, and the network diagram's canvas
        "() => [...document.querySelectorAll('.backprop-live-plot')]"
        ".every(h => h.querySelector('.main-svg') || h.querySelector('canvas'))"
    )
    if tag_before_play:
        page.wait_for_function(all_drawn, timeout=TIMEOUT)
        count = page.evaluate(TAG_CHARTS_JS)
        before = page.evaluate(f"() => {core_redraws}")
        play(page)
    else:
        play(page)
        wait_epoch(page, "e >= 10")  # the first frames (and the run started by the click) are done
        page.wait_for_function(all_drawn, timeout=TIMEOUT)
        count = page.evaluate(TAG_CHARTS_JS)
        before = page.evaluate(f"() => {core_redraws}")
    assert count >= len(CORE_CHARTS)
    # ~3 s of playing, and at least 5 applied updates per core chart (each really was patched),
    # unless a chart was already replaced (then the assertions below say so).
    page.wait_for_timeout(3000)
    page.wait_for_function(
        f"() => window.__removedCharts.length > 0 || window.__chartHosts.some(h => !h.isConnected)"
        f" || {core_redraws}.every((r, i) => r >= {before}[i] + 5)",
        timeout=TIMEOUT,
    )
    state = page.evaluate(CHARTS_STATE_JS)
    assert state["removed"] == [], state
    assert state["hostsConnected"] == [True] * count, state
    assert state["svgsConnected"], state
    assert state["tags"] == [f"host-{i}" for i in range(count)], state
    assert_clean(page)


def test_charts_are_patched_in_place_while_playing(page: Page, artifacts_dir):
    """Frame after frame, every chart keeps its element and its Plotly <svg>: only data changes.

    Ends with a screenshot of the playing app in test-artifacts/playing.png.
    """
    play_and_check_charts_kept(page, tag_before_play=False)
    # No tooltip in the picture: the clicked button keeps focus (which shows its help) and the pointer.
    page.evaluate("() => document.activeElement?.blur()")
    page.mouse.move(1200, 40)
    wait_epoch(page, "e >= 20")
    wait_charts(page, "d >= 20")
    target = artifacts_dir / "playing.png"
    target.unlink(missing_ok=True)
    page.screenshot(path=str(target))
    assert target.exists()
    assert target.stat().st_size > 50_000, target.stat().st_size  # a blank 1600x1000 page is a few KB
    expect(play_button(page)).to_have_text("Pause")


def test_pressing_play_keeps_the_charts_mounted(page: Page):
    """The brief's check: tag the charts before Play; Play and ~3 s of playing must not replace them."""
    play_and_check_charts_kept(page, tag_before_play=True)


def test_points_appended_while_playing_are_all_in_the_chart_data_and_hover_follows(page: Page):
    """Between full redraws the history charts extend their drawn lines themselves (assets/live/history.js)
    and the boundary's hover values are written from its image: check both against the page."""
    play(page)
    hover, losses = [], []
    for _ in range(8):
        page.wait_for_timeout(300)
        sample = page.evaluate("""() => {
            const chart = (name) => document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
            const loss = chart('loss');
            const boundary = chart('boundary'), z = boundary.calcdata[0][0].z, bytes = boundary.__imageBytes;
            // The image is painted top row first; the heatmap's row 0 is the bottom one.
            const pixel = bytes.charCodeAt((z.length - 1 - 20) * z[0].length + 20) / 255;
            return {
                hover: z[20][20],
                pixel: pixel,
                x: loss.data[0].x.slice(),
                range: loss.layout.xaxis.range.slice(),
                drawn: Number(loss.dataset.epoch),
            };
        }""")
        hover.append(sample["hover"])
        assert sample["hover"] == pytest.approx(sample["pixel"], abs=0.008)  # what is painted (to rounding)
        losses.append(sample)
    pause(page)
    for earlier, sample in zip([None] + losses[:-1], losses):
        # Every recorded epoch, once each and in order (the history records the last epoch of every
        # frame, and in between every `record_every`-th: not necessarily every epoch), whether it came
        # with a Plotly redraw or was appended to the drawn line; and nothing drawn is lost later.
        xs = sample["x"]
        assert xs[0] == 0 and all(b > a for a, b in zip(xs, xs[1:])), xs[-12:]
        assert xs[-1] == sample["drawn"] and sample["range"][1] >= sample["drawn"]
        if earlier is not None:
            assert xs[: len(earlier["x"])] == earlier["x"], (earlier["x"][-12:], xs[-12:])
    assert len(losses[-1]["x"]) >= 4, losses[-1]["x"]  # one row per frame at least
    assert losses[-1]["drawn"] > losses[0]["drawn"]
    # The hover value under the cursor moves with training (not frozen between rare redraws).
    assert len(set(hover)) >= 3 and all(0 <= value <= 1 for value in hover)
    assert_clean(page)


def test_pause_always_stops_and_a_step_after_it_adds_one(page: Page):
    """Pause at varied moments of the frame cycle: every single click must stop playback for good, and
    the Step after it must add exactly one epoch (a click delivered twice by Streamlit once restarted
    playback or stepped twice)."""
    for wait_ms in (700, 950, 1200, 800, 1100, 1300):
        play(page)
        page.wait_for_timeout(wait_ms)
        pause(page)
        page.wait_for_timeout(300)
        before = epoch(page)
        button(page, "step_one").click()
        assert wait_epoch(page, f"e !== {before}") == before + 1
        assert not epoch_changes_within(page, before + 1, 700), "the epoch moved after Pause and one Step"
    assert_clean(page)


def test_lens_charts_keep_up_while_playing(page: Page):
    """The lens's history charts sit last on the page. Those on screen draw every frame; those off screen
    wait (nobody sees them) and, scrolled into view, draw on from the rows they missed."""
    page.get_by_text("Layer health", exact=True).click()
    expect(page.locator('.backprop-live-plot[data-chart="distance_A"]')).to_have_count(1, timeout=TIMEOUT)
    play(page)
    page.wait_for_timeout(3000)
    for name in ("update_ratio_A", "distance_A", "boundary"):  # the boundary: back at the top of the page
        host = page.locator(f'.backprop-live-plot[data-chart="{name}"]')
        host.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        shown, now = host.evaluate("host => Number(host.dataset.epoch)"), epoch(page)
        # About a second behind at most (5 epochs per frame, ~12 frames a second).
        assert now - shown <= 80, f"{name} shows epoch {shown} while the run is at {now}"
    pause(page)
    final = epoch(page)
    for name in ("update_ratio_A", "distance_A"):  # off screen since: drawn up to the end once back in view
        host = page.locator(f'.backprop-live-plot[data-chart="{name}"]')
        host.scroll_into_view_if_needed()
        page.wait_for_function(
            f"() => Number(document.querySelector('.backprop-live-plot[data-chart=\"{name}\"]').dataset.epoch)"
            f" === {final}",
            timeout=TIMEOUT,
        )
    assert_clean(page)


# ---- problems beyond binary classification --------------------------------------------------------
DIGITS_CHARTS = ("digits", "loss", "gradients", "confusion", "first_layer")


def open_problem(browser, app_server, query: str, charts: tuple[str, ...]) -> Page:
    """A new page on ``/?query``, returned once every chart in ``charts`` has drawn (the default
    page fixture waits for the boundary, which image datasets do not have)."""
    app_server.check_alive()
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto(f"{app_server.url}/?{query}", wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_function(
        f"() => {list(charts)}.every(name => {{"
        ' const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);'
        " return host && host.querySelector('.main-svg') && Number(host.dataset.redraws) >= 1; })",
        timeout=60_000,
    )
    return page


def play_briefly_and_pause(page: Page) -> tuple[int, int]:
    """Play for about two seconds, then Pause; returns the epoch before and after."""
    before = epoch(page)
    play(page)
    page.wait_for_timeout(2000)
    wait_epoch(page, f"e > {before}")
    pause(page)
    page.wait_for_timeout(500)
    return before, epoch(page)


def chart_drawn_epoch(page: Page, name: str) -> int | None:
    value = page.evaluate(f"() => document.querySelector('.backprop-live-plot[data-chart=\"{name}\"]')?.dataset.epoch")
    return None if value is None else int(value)


def test_digits_play_and_pause_shows_gallery_confusion_and_weights(browser, app_server):
    page = open_problem(browser, app_server, "dataset=digits&hidden_layers=32&batch_size=32", DIGITS_CHARTS)
    try:
        expect(page.locator('.backprop-live-plot[data-chart="boundary"]')).to_have_count(0)  # no plane for images
        before, after = play_briefly_and_pause(page)
        assert after > before, (before, after)
        # Every chart is present and, once paused, shows the paused epoch (the digits views included).
        for name in DIGITS_CHARTS:
            host = page.locator(f'.backprop-live-plot[data-chart="{name}"]')
            expect(host).to_have_count(1)
            expect(host.locator(".main-svg").first).to_be_visible()
        page.wait_for_function(
            f"() => {list(DIGITS_CHARTS)}.every(name => Number(document.querySelector("
            f'`.backprop-live-plot[data-chart="${{name}}"]`).dataset.epoch) === {after})',
            timeout=TIMEOUT,
        )
        figures = page.evaluate("""() => Object.fromEntries(['digits', 'confusion', 'first_layer'].map(name => {
            const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
            return [name, {title: host.layout.title.text, annotations: (host.layout.annotations || []).length,
                           z: host.data[0].z.length}];
        }))""")
        assert figures["digits"]["annotations"] == 12 and "12 test digits" in figures["digits"]["title"]
        assert figures["confusion"]["z"] == 10 and "accuracy" in figures["confusion"]["title"]
        assert figures["first_layer"]["annotations"] == 16 and "hidden units" in figures["first_layer"]["title"]
        for title in ("Test digits: the network's answers", "Confusion matrix (test set)", "First-layer weights"):
            expect(page.locator(".backprop-chart-title", has_text=title)).to_be_visible()
        # The status line names the problem's metrics, and the loss axis its loss.
        expect(page.locator('[data-metric="Test accuracy"] .bp-metric-value')).to_contain_text("%")
        loss_title = page.evaluate(
            "() => document.querySelector('.backprop-live-plot[data-chart=\"loss\"]').layout.yaxis.title.text"
        )
        assert loss_title == "cross-entropy loss"
        assert_clean(page)
    finally:
        page.close()


def test_mnist_draws_its_28x28_gallery_and_weights_as_pixelated_images(browser, app_server):
    query = "dataset=mnist&train_size=500&hidden_layers=16&batch_size=32"
    page = open_problem(browser, app_server, query, DIGITS_CHARTS)
    try:
        before = epoch(page)
        button(page, "step_one").click()
        page.wait_for_function(
            f"() => {list(DIGITS_CHARTS)}.every(name => Number(document.querySelector("
            f'`.backprop-live-plot[data-chart="${{name}}"]`).dataset.epoch) === {before + 1})',
            timeout=TIMEOUT,
        )
        drawn = page.evaluate("""() => Object.fromEntries(['digits', 'first_layer'].map(name => {
            const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
            const image = host.querySelector('.imagelayer image, g.im image');
            const box = image && image.getBoundingClientRect();
            return [name, {types: host.data.map(t => t.type), title: host.layout.title.text,
                           href: image ? (image.getAttribute('href') || image.getAttribute('xlink:href') || '') : '',
                           style: image ? image.getAttribute('style') || '' : '', width: box ? box.width : 0,
                           tiles: (host.layout.shapes || []).length}];
        }))""")
        gallery, weights = drawn["digits"], drawn["first_layer"]
        assert gallery["types"] == ["image"] and gallery["tiles"] == 12 and "12 test digits" in gallery["title"]
        assert weights["types"] == ["heatmap", "image"] and weights["tiles"] == 16
        assert weights["title"] == "16 of 16 units: change W − W₀"
        for picture in (gallery, weights):
            assert picture["href"].startswith("data:image/png;base64,")
            assert "pixelated" in picture["style"] or "crisp-edges" in picture["style"]  # sharp pixels, not blurred
            assert picture["width"] > 200  # drawn at a readable size, not a thumbnail
        assert_clean(page)
    finally:
        page.close()


@pytest.mark.parametrize(
    ("query", "hover_says"),
    [("dataset=spiral&n_classes=4", "predicted: class"), ("dataset=bumps&hidden_layers=8,8", "predicted y=")],
    ids=["multiclass", "regression"],
)
def test_multiclass_and_regression_play_and_pause_draw_the_plane(browser, app_server, query, hover_says):
    page = open_problem(browser, app_server, query, CORE_CHARTS)
    try:
        image_before = page.evaluate(
            "() => document.querySelector('.backprop-live-plot[data-chart=\"boundary\"] .imagelayer image')"
            "?.getAttribute('href')"
        )
        assert image_before and image_before.startswith("data:image/"), (image_before or "")[:40]
        before, after = play_briefly_and_pause(page)
        assert after > before, (before, after)
        wait_charts_at(page, after)
        host = page.locator('.backprop-live-plot[data-chart="boundary"]')
        image_after = host.evaluate("h => h.querySelector('.imagelayer image')?.getAttribute('href')")
        # While playing, new pictures are encoded off the main thread into object URLs (blob:).
        assert image_after and image_after.startswith(("data:image/", "blob:")) and image_after != image_before
        # Hovering the plane away from the points shows the prediction there (not a point's label).
        page.evaluate("() => document.activeElement?.blur()")
        host.scroll_into_view_if_needed()
        box = host.locator(".nsewdrag").first.bounding_box()
        texts = []
        for fx, fy in ((0.5, 0.5), (0.97, 0.03), (0.03, 0.97), (0.5, 0.97)):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            page.wait_for_timeout(400)
            texts.append(host.evaluate("h => h.querySelector('.hoverlayer')?.textContent || ''"))
            if hover_says in texts[-1]:
                break
        assert any(hover_says in text for text in texts), texts
        assert_clean(page)
    finally:
        page.close()
