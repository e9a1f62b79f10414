"""Overfitting and the learning rate in the browser: the landscape, the sweep, the gap band, the rate's axis.

Each test opens one page, plays a few seconds at most and reads what Plotly drew (``host.data``, the SVG
paths and the axes' own pixel mapping ``c2p``), not what Python meant to send. Screenshots go to
test-artifacts/rates-*.png.
"""

from __future__ import annotations

import os
import re

import pytest

if os.environ.get("CI") != "true":  # in CI a missing playwright is an error, as a missing browser is
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from playwright.sync_api import Page, expect  # noqa: E402

from playground.teaching.lessons import LESSONS  # noqa: E402
from playground.training.config import TrainingConfig  # noqa: E402
from playground.ui.state import speed_label  # noqa: E402
from tests.browser.test_browser import (  # noqa: E402
    CORE_CHARTS,
    TIMEOUT,
    assert_clean,
    button,
    choose,
    open_problem,
    play,
)
from tests.browser.test_projector_layout import MIN_TEXT_PX  # noqa: E402

pytestmark = pytest.mark.browser

PLAY_TO_STOP_TIMEOUT = 30_000  # ms
# Paused where the lesson's text looks (Play stops by itself at a lesson's stop epochs).
PAUSED_AT_STOP_JS = """() => {
    const button = [...document.querySelectorAll('.st-key-play_pause button')].find(b => b.offsetParent);
    const note = document.querySelector('.bp-status-note');
    return button && button.innerText.trim() === 'Play' && note && note.innerText.includes("lesson's text looks");
}"""


def lesson_query(key: str) -> str:
    return LESSONS[key].link.lstrip("?")


def run_epochs(page: Page) -> dict[str, str]:
    """Compare mode's Epoch of each run, as the status table shows it."""
    return page.evaluate("""() => Object.fromEntries(['A', 'B'].map(run => [run,
        document.querySelector(`[data-metric="Run ${run} · Epoch"] .bp-metric-value`)?.innerText ?? null]))""")


def play_to_first_stop(page: Page, key: str) -> int:
    """Play the lesson on ``page`` until Play stops by itself at its first stop epoch; returns that epoch."""
    stop = LESSONS[key].stop_epochs[0]
    play(page)
    page.wait_for_function(PAUSED_AT_STOP_JS, timeout=PLAY_TO_STOP_TIMEOUT)
    assert run_epochs(page) == {"A": str(stop), "B": str(stop)}
    return stop


def no_tooltips(page: Page) -> None:
    """The clicked button keeps focus (its help shows) and the pointer: neither belongs in a screenshot."""
    page.evaluate("() => document.activeElement?.blur()")
    page.mouse.move(5, 995)


# ---- 1. lesson 13: the landscape of each run, with its path ----------------------------------------
# Per landscape chart: the traces drawn and the path's points (null gaps dropped) with their epochs.
LANDSCAPE_JS = """(name) => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    if (!host || !host.data) return null;
    const path = host.data.find(t => (t.name || '').startsWith('path (the weights'));
    const points = path ? path.x.map((x, i) => [x, path.y[i], path.customdata[i][0]])
        .filter(([x, y]) => x !== null && y !== null) : [];
    return {
        drawnEpoch: Number(host.dataset.epoch),
        types: host.data.map(t => t.type),
        contourLines: host.querySelectorAll('.contourlayer path').length,
        pathDrawn: Boolean(host.querySelector('.scatterlayer path.js-line')?.getAttribute('d')),
        points: points,
    };
}"""


# The chart title's bottom and the vertical axis title's top, in page pixels (a long axis title, centred on
# the plot, reaches above it: it must not run into the title).
TITLES_CLEAR_JS = """(name) => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    const title = host.querySelector('.g-gtitle text').getBoundingClientRect();
    const axis = host.querySelector('.g-ytitle text').getBoundingClientRect();
    return {titleBottom: title.bottom, yTitleTop: axis.top};
}"""


def turns_back(points: list[list[float]]) -> float:
    """The share of steps (after the first) that reverse the previous one along direction 1: the path's x.

    points: (k, 3) rows of [direction 1, direction 2, epoch], in epoch order."""
    xs = [p[0] for p in points]
    steps = [b - a for a, b in zip(xs, xs[1:])]
    reversals = [earlier * later < 0 for earlier, later in zip(steps, steps[1:])]
    return sum(reversals) / len(reversals)


def test_lesson_13_landscapes_show_each_runs_path_and_the_large_rate_zigzags(browser, app_server, artifacts_dir):
    key = "learning_rate_landscape"
    page = open_problem(browser, app_server, lesson_query(key), ("boundary_A", "boundary_B", "loss_compare"))
    try:
        names = ("landscape_A", "landscape_B")
        drawn = "(name) => { const h = document.querySelector(`.backprop-live-plot[data-chart=\"${name}\"]`);" \
            " return h && h.querySelector('.main-svg') && Number(h.dataset.redraws) >= 1; }"  # fmt: skip
        for name in names:
            page.wait_for_function(drawn, arg=name, timeout=TIMEOUT)
            at_start = page.evaluate(LANDSCAPE_JS, name)
            assert at_start["types"][0] == "contour" and at_start["contourLines"] > 0, at_start
        stop = play_to_first_stop(page, key)
        # Paused at the stop, each landscape is computed again for that epoch.
        page.wait_for_function(
            f"(names) => names.every(n => Number(document.querySelector("
            f'`.backprop-live-plot[data-chart="${{n}}"]`)?.dataset.epoch) === {stop})',
            arg=list(names),
            timeout=TIMEOUT,
        )
        shares = {}
        for name in names:
            clear = page.evaluate(TITLES_CLEAR_JS, name)
            assert clear["yTitleTop"] >= clear["titleBottom"], f"{name}: the axis title runs into the title: {clear}"
            drawn_now = page.evaluate(LANDSCAPE_JS, name)
            assert drawn_now["types"][0] == "contour" and drawn_now["contourLines"] > 0, name
            assert drawn_now["pathDrawn"], f"{name}: no path line in the SVG"
            epochs = [p[2] for p in drawn_now["points"]]
            assert epochs == list(range(stop + 1)), f"{name}: a point per epoch 0..{stop}, got {epochs}"
            shares[name] = turns_back(drawn_now["points"])
        # Rate 3 runs down the valley; rate 10 bounces from wall to wall (the lesson's text).
        assert shares["landscape_A"] <= 0.1, shares
        assert shares["landscape_B"] >= 0.6, shares
        no_tooltips(page)
        page.locator('.backprop-live-plot[data-chart="landscape_A"]').scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # the scroll's repaint
        page.screenshot(path=str(artifacts_dir / "rates-lesson-13-landscapes.png"))
        assert_clean(page)
    finally:
        page.close()


# ---- 2. the sweep: run it, see it, adopt a rate --------------------------------------------------------
# Per sweep figure: its traces, the lines drawn, and how many neighbouring tick labels of each axis touch.
SWEEP_FIGURES_JS = """() => ['final', 'curves'].map(part => {
    const plot = document.querySelector(`.st-key-sweep_${part}_A .js-plotly-plot`);
    const touching = (selector, start, end) => {
        const boxes = [...plot.querySelectorAll(selector)].map(t => t.getBoundingClientRect())
            .sort((a, b) => a[start] - b[start]);
        return boxes.filter((box, i) => i > 0 && box[start] < boxes[i - 1][end] + 2).length;
    };
    return plot && plot.querySelector('.main-svg') ? {
        names: plot.data.map(t => t.name),
        legend: [...plot.querySelectorAll('.legendtext')].map(t => t.textContent),
        lines: [...plot.querySelectorAll('.scatterlayer .trace path.js-line')].filter(p => p.getAttribute('d')).length,
        touchingX: touching('.xaxislayer-above .xtick text', 'left', 'right'),
        touchingY: touching('.yaxislayer-above .ytick text', 'top', 'bottom'),
        smallestTick: Math.min(...[...plot.querySelectorAll('.xtick text, .ytick text')]
            .map(t => parseFloat(getComputedStyle(t).fontSize))),
    } : null;
})"""


def test_the_sweep_draws_both_figures_and_a_click_adopts_its_rate(page: Page, artifacts_dir):
    expander = page.locator('[data-testid="stExpander"]').filter(has_text="Learning-rate sweep")
    expander.locator("summary").click()
    sweep = button(page, "sweep_A")
    expect(sweep).to_have_text(re.compile(r"Sweep \d+ rates"), timeout=TIMEOUT)
    rates_swept = int(re.search(r"\d+", sweep.inner_text()).group())
    sweep.click()
    pills = page.locator(".st-key-w_adopt_A [role=radio]").filter(visible=True)  # not the help button
    expect(pills).to_have_count(rates_swept, timeout=TIMEOUT)
    page.wait_for_function(f"() => ({SWEEP_FIGURES_JS})().every(Boolean)", timeout=TIMEOUT)
    final, curves = page.evaluate(SWEEP_FIGURES_JS)
    assert final["legend"][:2] == ["train loss", "test loss"] and final["lines"] >= 2, final
    assert len(curves["names"]) == rates_swept and curves["lines"] == rates_swept, curves
    assert all(name.startswith("lr ") for name in curves["names"]), curves
    for figure in (final, curves):  # readable axes: no tick label runs into (or touches) its neighbour
        assert figure["touchingX"] == 0 and figure["touchingY"] == 0, figure
        assert figure["smallestTick"] >= MIN_TEXT_PX, figure  # st.plotly_chart's theme must not shrink them

    no_tooltips(page)
    expander.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / "rates-sweep.png"))

    # Adopt the rate the sweep found best (★), unless it is the current one: then the largest.
    current = page.locator(".st-key-w_learning_rate [data-testid=stSliderThumbValue]").inner_text().strip()
    labels = [text.strip() for text in pills.all_inner_texts()]
    starred = [label for label in labels if label.endswith("★")]
    choice = starred[0] if starred and starred[0].rstrip(" ★") != current else labels[-1]
    rate = choice.rstrip(" ★")
    assert rate != current, (labels, current)
    pills.filter(has_text=choice).click()
    expect(page.locator(".st-key-w_learning_rate [data-testid=stSliderThumbValue]")).to_have_text(rate, timeout=TIMEOUT)
    expect(page.get_by_text(f"Now training with learning rate {rate}.")).to_be_visible(timeout=TIMEOUT)
    assert_clean(page)


# ---- 3. lesson 12: the flipped labels and the gap band while playing -----------------------------------
FLIPPED_JS = """(name) => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    const rings = host.data[host.data.length - 1];
    const drawn = host.querySelectorAll('.scatterlayer .trace:last-child .point').length;
    return {name: rings.name, points: rings.x.length, drawn: drawn, symbol: rings.marker.symbol};
}"""
# Run A's gap band (the fill of its test-loss trace) and its test line, in plot-area pixels, with the band's
# right end in epochs: from what is drawn, not from the data. Plotly draws a "tonexty" fill in the SVG group of
# the trace it fills to (the trace before: A's train line), as that group's path.js-fill.
GAP_JS = """() => {
    const host = document.querySelector('.backprop-live-plot[data-chart="loss_compare"]');
    const index = host.data.findIndex(t => t.name === 'A test');
    const groups = [...host.querySelectorAll('.scatterlayer .trace')];
    const group = (i) => groups.find(g => g.__data__?.[0]?.trace.index === i);
    const fill = group(index - 1)?.querySelector('path.js-fill');
    const line = group(index)?.querySelector('path.js-line');
    if (!fill || !fill.getAttribute('d') || !line || !line.getAttribute('d')) return null;
    const band = fill.getBBox(), drawn = line.getBBox(), xa = host._fullLayout.xaxis;
    return {
        fill: host.data[index].fill,
        bandRight: band.x + band.width,
        lineRight: drawn.x + drawn.width,
        bandWidth: band.width,
        xRange: xa.range.slice(),
        bandEndsAtEpoch: xa.p2c(band.x + band.width),
        lastEpoch: host.data[index].x[host.data[index].x.length - 1],
        drawnEpoch: Number(host.dataset.epoch),
    };
}"""


def test_lesson_12_rings_the_flipped_labels_and_the_gap_band_follows_the_lines(browser, app_server, artifacts_dir):
    key = "memorising"
    page = open_problem(browser, app_server, lesson_query(key), ("boundary_A", "boundary_B", "loss_compare"))
    try:
        for name in ("boundary_A", "boundary_B"):
            rings = page.evaluate(FLIPPED_JS, name)
            # The lesson's text: "8 of them with a flipped label (ringed on the plane)".
            assert rings == {"name": "flipped label (8)", "points": 8, "drawn": 8, "symbol": "circle-open"}, rings
        # 5 epochs a frame: about 20 frames to the stop, sampled often (a page that draws every frame gets
        # there within a second).
        choose(page, "w_speed", speed_label("5"))
        samples = []
        play(page)
        while len(samples) < 80:
            page.wait_for_timeout(40)
            sample = page.evaluate(GAP_JS)
            if sample is not None:
                samples.append(sample)
            if page.evaluate(PAUSED_AT_STOP_JS):
                break
        stop = LESSONS[key].stop_epochs[0]
        page.wait_for_function(PAUSED_AT_STOP_JS, timeout=PLAY_TO_STOP_TIMEOUT)
        assert run_epochs(page) == {"A": str(stop), "B": str(stop)}
        page.wait_for_function(
            f"() => Number(document.querySelector('.backprop-live-plot[data-chart=\"loss_compare\"]')"
            f".dataset.epoch) === {stop}",
            timeout=TIMEOUT,
        )
        samples.append(page.evaluate(GAP_JS))
        assert all(s["fill"] == "tonexty" for s in samples)
        # Every frame, drawn in place or by Plotly: the band ends where the test line ends ...
        for s in samples:
            assert abs(s["bandRight"] - s["lineRight"]) <= 1.5, s
        # ... and it grows with the epochs (its right end moves on, in epochs, and it ends at the last one).
        ends = [s["bandEndsAtEpoch"] for s in samples]
        distinct = sorted({round(e) for e in ends})
        assert len(distinct) >= 4, f"the band should have grown over several frames: {ends}"
        assert all(b >= a - 0.5 for a, b in zip(ends, ends[1:])), [
            (s["bandEndsAtEpoch"], s["lastEpoch"], s["drawnEpoch"], s["xRange"]) for s in samples
        ]
        assert abs(ends[-1] - stop) <= 1 and samples[-1]["lastEpoch"] == stop, samples[-1]
        assert all(s["bandWidth"] > 0 for s in samples if s["bandEndsAtEpoch"] > 0.5), samples
        # In pixels it widens while the x axis holds (the axis steps with the epochs: at 20 epochs a frame it
        # may step every frame, and the band then spans the whole plot each time).
        for a, b in zip(samples, samples[1:]):
            if a["xRange"] == b["xRange"] and b["bandEndsAtEpoch"] > a["bandEndsAtEpoch"] + 0.5:
                assert b["bandWidth"] > a["bandWidth"], (a, b)
        no_tooltips(page)
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts_dir / "rates-lesson-12-stop.png"))
        assert_clean(page)
    finally:
        page.close()


# ---- 4. a schedule: the learning rate on the loss chart's right axis ----------------------------------
# The learning-rate trace's last drawn point (parsed from its SVG path: M, L, H, V commands, absolute) and
# where each axis would put its last value.
RATE_POINT_JS = """() => {
    const host = document.querySelector('.backprop-live-plot[data-chart="loss"]');
    const index = host.data.findIndex(t => t.name === 'learning rate');
    if (index < 0) return {missing: host.data.map(t => t.name)};
    const group = [...host.querySelectorAll('.scatterlayer .trace')].find(g => g.__data__?.[0]?.trace.index === index);
    const d = group?.querySelector('path.js-line')?.getAttribute('d') || '';
    let x = null, y = null;
    for (const [, command, args] of d.matchAll(/([MLHV])([^MLHVZ]*)/g)) {
        const numbers = args.split(/[ ,]+/).filter(Boolean).map(Number);
        if (command === 'H') x = numbers[numbers.length - 1];
        else if (command === 'V') y = numbers[numbers.length - 1];
        else { x = numbers[numbers.length - 2]; y = numbers[numbers.length - 1]; }
    }
    const trace = host.data[index], layout = host._fullLayout;
    const value = trace.y[trace.y.length - 1], last = trace.x[trace.x.length - 1];
    return {
        yaxis: trace.yaxis, side: layout.yaxis2.side, overlaying: layout.yaxis2.overlaying,
        x: x, y: y, epoch: last, value: value, drawnEpoch: Number(host.dataset.epoch),
        onRight: layout.yaxis2.c2p(value), onLeft: layout.yaxis.c2p(value), xPixel: layout.xaxis.c2p(last),
        rates: [...new Set(trace.y)],
    };
}"""


def test_a_step_schedule_draws_its_rate_on_the_right_axis_while_playing(browser, app_server, artifacts_dir):
    page = open_problem(browser, app_server, "lr_schedule=step&lr_decay_epochs=10", CORE_CHARTS)
    try:
        samples = []
        # One epoch per frame: at 5 a frame the first 20 epochs (the rates the check tells apart) pass within a
        # couple of samples on a page that draws every frame.
        choose(page, "w_speed", speed_label("1"))
        play(page)
        # The first 40 epochs, sampled often (the rate halves every 10: 0.03, 0.015, ...; later it is near 0 on
        # both axes and would not tell them apart).
        while len(samples) < 60 and (not samples or samples[-1].get("epoch", 0) < 40):
            page.wait_for_timeout(80)
            samples.append(page.evaluate(RATE_POINT_JS))
        for s in samples:
            assert "missing" not in s, s
            assert (s["yaxis"], s["side"], s["overlaying"]) == ("y2", "right", "y"), s
            assert s["x"] == pytest.approx(s["xPixel"], abs=1.0), s  # the last point is the last epoch's
            assert s["y"] == pytest.approx(s["onRight"], abs=1.0), s  # ... at its rate on the right axis
        base = TrainingConfig().learning_rate
        # Where the left (loss) axis would put the same value is far from there: the check tells the axes apart.
        telling = [s for s in samples if s["value"] >= base / 4 and abs(s["onRight"] - s["onLeft"]) > 20]
        assert len({s["epoch"] for s in telling}) >= 3, [(s["epoch"], s["value"]) for s in samples]
        assert len({s["value"] for s in telling}) >= 2, [(s["epoch"], s["value"]) for s in samples]  # a drop seen
        last = samples[-1]
        assert last["epoch"] >= 20 and len(last["rates"]) >= 3 and max(last["rates"]) == pytest.approx(base), last
        no_tooltips(page)
        page.screenshot(path=str(artifacts_dir / "rates-step-schedule.png"))
        assert_clean(page)
    finally:
        page.close()
