"""Browser benchmark: the running app in headless Chromium, measured the way a student sees it.

    python -m bench.bench_browser                 # about two minutes
    python -m bench.bench_browser --seconds 4 --tries 3    # quicker, noisier
    python -m bench.bench_browser --json results.json      # also write the numbers

It starts its own `streamlit run app.py` on a free port, opens the default page
(full default layout) in Debian's /usr/bin/chromium via Playwright (no browser is
downloaded; needs the `playwright` package from requirements-dev.txt), and measures:

* redraws per second while playing: each live chart sets ``data-redraws`` after
  every applied update; the loss and boundary charts' deltas over the window, and
  ``window.__backpropRedraws`` divided by the number of live charts;
* visible epochs per second: the delta of the epoch the loss chart last drew
  (``data-epoch``) and of the Epoch metric, at speeds 1, 5 (the default), 10, 100 and max;
* per chart, the longest time its drawn epoch stood still while playing and its
  largest lag behind the Epoch metric;
* latency of controls, from the click (a capture-phase listener in the page
  timestamps the pointer-down) until the page shows the result (a
  MutationObserver timestamps the first DOM state that shows it), median of
  several tries: Pause (button label becomes "Play"), Step while paused (the
  Epoch metric shows +1), Speed while playing (the caption shows the new speed)
  and Dataset while playing (the Epoch metric restarts near 0).

Targets (from the issue): >= 10 redraws/s, >= 1,000 visible epochs/s at "max" on
the default network, controls take effect within 300 ms. The machine's load
average is printed: on a shared machine every number here moves with it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1600, "height": 1000}
TARGET_REDRAWS = 10.0
TARGET_MAX_EPOCHS = 1000.0
TARGET_LATENCY_MS = 300.0
WAIT_MS = 20_000  # a control that has not taken effect after this long counts as lost

CHARTS_DRAWN_JS = """() => ['boundary', 'loss', 'gradients'].every(name => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    return host && host.querySelector('.main-svg') && Number(host.dataset.redraws) >= 1;
})"""

# Page-side helpers: read the UI, timestamp clicks, wait for a condition and timestamp it.
INSTRUMENT_JS = """() => {
    const B = window.__bench = {lastPointerDown: null, calls: {}, drawMs: {}};
    document.addEventListener('pointerdown', () => { B.lastPointerDown = performance.now(); }, true);
    B.epoch = () => {
        const value = document.querySelector('[data-metric="Epoch"] .bp-metric-value');
        const digits = value ? value.innerText.replace(/[^0-9]/g, '') : '';
        return digits === '' ? null : parseInt(digits, 10);
    };
    B.host = name => document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    B.playLabel = () => [...document.querySelectorAll('.st-key-play_pause button')]
        .find(b => b.offsetParent !== null)?.innerText.trim();
    B.snapshot = () => ({
        t: performance.now(),
        metricEpoch: B.epoch(),
        lossEpoch: Number(B.host('loss')?.dataset.epoch ?? 0),
        lossRedraws: Number(B.host('loss')?.dataset.redraws ?? 0),
        boundaryRedraws: Number(B.host('boundary')?.dataset.redraws ?? 0),
        gradientRedraws: Number(B.host('gradients')?.dataset.redraws ?? 0),
        // Hosts created since the last snapshot (a remounted chart restarts its data-redraws count).
        newHosts: [...document.querySelectorAll('.backprop-live-plot')].filter(h => !h.__benchSeen)
            .map(h => { h.__benchSeen = true; return h.dataset.chart; }),
        allRedraws: window.__backpropRedraws || 0,
        perChart: Object.fromEntries([...document.querySelectorAll('.backprop-live-plot')]
            .map(h => [h.dataset.chart, Number(h.dataset.redraws || 0)])),
        charts: document.querySelectorAll('.backprop-live-plot').length,
        calls: JSON.parse(JSON.stringify(B.calls)),
    });
    // While a window runs: per chart, the longest time its drawn epoch stood still and its largest lag behind
    // the Epoch metric (sampled every 50 ms).
    B.startStalls = () => {
        B.stalls = {};
        clearInterval(B.stallTimer);
        B.stallTimer = setInterval(() => {
            const now = performance.now(), metric = B.epoch();
            for (const h of document.querySelectorAll('.backprop-live-plot')) {
                const c = h.dataset.chart, e = Number(h.dataset.epoch);
                const s = B.stalls[c] = B.stalls[c] || {epoch: e, since: now, longestMs: 0, maxLag: 0};
                if (e !== s.epoch) { s.epoch = e; s.since = now; }
                s.longestMs = Math.max(s.longestMs, now - s.since);
                if (metric !== null && !Number.isNaN(e)) s.maxLag = Math.max(s.maxLag, metric - e);
            }
        }, 50);
    };
    B.stopStalls = () => { clearInterval(B.stallTimer); return B.stalls; };
    // Resolves with the time the condition first holds (checked on every DOM change).
    B.waitFor = (condition, timeoutMs) => new Promise(resolve => {
        if (condition()) return resolve(performance.now());
        const observer = new MutationObserver(() => {
            if (condition()) { observer.disconnect(); clearTimeout(timer); resolve(performance.now()); }
        });
        const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, timeoutMs);
        observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
    });
    B.arm = (conditionSource, timeoutMs) => {
        B.pending = B.waitFor(new Function('B', 'return (' + conditionSource + ')(B)').bind(null, B), timeoutMs);
    };
    // Count Plotly calls per kind (react = whole figure, restyle/extendTraces/relayout = patches) and draw times.
    const wrap = () => {
        const P = window.Plotly;
        if (!P || P.__benchWrapped) return !!P;
        for (const kind of ['react', 'restyle', 'extendTraces', 'relayout']) {
            const original = P[kind].bind(P);
            P[kind] = (gd, ...rest) => {
                const c = gd?.dataset?.chart || '?';
                B.calls[c] = B.calls[c] || {};
                B.calls[c][kind] = (B.calls[c][kind] || 0) + 1;
                return original(gd, ...rest);
            };
        }
        P.__benchWrapped = true;
        return true;
    };
    if (!wrap()) { const poll = setInterval(() => { if (wrap()) clearInterval(poll); }, 50); }
    new MutationObserver(records => {
        for (const r of records) {
            const c = r.target.dataset.chart;
            (B.drawMs[c] = B.drawMs[c] || []).push(Number(r.target.dataset.drawMs));
        }
    }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-draw-ms']});
}"""


# ---- server and browser ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.25)
    stop_server(process)
    raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class App:
    """One page of the app and the few actions the benchmark needs."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport=VIEWPORT)
        self.full_requests: list[float] = []  # times the browser asked Python for a chart's whole figure
        self.page.on("websocket", lambda ws: ws.on("framesent", self._on_frame_sent))
        self.page.goto(url + "/", wait_until="domcontentloaded", timeout=60_000)
        self.page.wait_for_function(CHARTS_DRAWN_JS, timeout=60_000)
        self.page.evaluate(INSTRUMENT_JS)
        self.page.wait_for_function("() => window.Plotly && window.Plotly.__benchWrapped", timeout=10_000)
        self.page.mouse.move(5, 995)
        self.lost: dict[str, int] = {}

    def _on_frame_sent(self, payload) -> None:
        """Count the live charts' "need_full" requests (a component trigger in a rerun message)."""
        try:
            from streamlit.proto.BackMsg_pb2 import BackMsg

            message = BackMsg()
            message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        except Exception:  # noqa: BLE001 - not a message we can read: not counted
            return
        if message.WhichOneof("type") != "rerun_script":
            return
        for widget in message.rerun_script.widget_states.widgets:
            if "__events" in widget.id and widget.WhichOneof("value") in ("json_trigger_value", "string_trigger_value"):
                value = getattr(widget, widget.WhichOneof("value"))
                if value if isinstance(value, str) else value.HasField("data"):
                    self.full_requests.append(time.monotonic())

    def js(self, source: str, arg=None):
        return self.page.evaluate(source, arg)

    def epoch(self) -> int:
        return self.js("() => window.__bench.epoch()")

    def label(self) -> str:
        return self.js("() => window.__bench.playLabel()")

    def button(self, key: str):
        return self.page.locator(f".st-key-{key} button").filter(visible=True)

    def timed(self, condition: str, action, timeout_ms: float = WAIT_MS) -> float | None:
        """Milliseconds from the pointer-down of ``action`` until ``condition(B)`` holds; None if it never does."""
        arm = "([c, t]) => { window.__bench.lastPointerDown = null; window.__bench.arm(c, t); }"
        self.js(arm, [condition, timeout_ms])
        action()
        done = self.js("async () => await window.__bench.pending")
        clicked = self.js("() => window.__bench.lastPointerDown")
        if done is None or clicked is None:
            return None
        return max(0.0, done - clicked)

    def set_playing(self, playing: bool, what: str = "play/pause") -> None:
        """Click Play/Pause until the label shows the wanted state (a lost click is counted, then retried)."""
        want = "Pause" if playing else "Play"
        for _ in range(5):
            if self.label() == want:
                return
            self.button("play_pause").click()
            try:
                self.page.wait_for_function(f"() => window.__bench.playLabel() === '{want}'", timeout=WAIT_MS)
                return
            except Exception:  # noqa: BLE001 - the click did not take effect: count it and retry
                self.lost[what] = self.lost.get(what, 0) + 1
        raise RuntimeError(f"could not get the play button to show {want!r}")

    def choose(self, key: str, option: str, settle: bool = True) -> None:
        box = self.page.locator(f".st-key-{key} input[role=combobox]")
        box.click()
        self.page.get_by_role("option", name=option, exact=True).click()
        if settle:
            self.page.wait_for_function(
                f"() => document.querySelector('.st-key-{key} input[role=combobox]').value === {json.dumps(option)}",
                timeout=WAIT_MS,
            )

    def open_choices(self, key: str) -> None:
        self.page.locator(f".st-key-{key} input[role=combobox]").click()
        self.page.get_by_role("option").first.wait_for(timeout=WAIT_MS)

    def pick(self, option: str) -> None:
        self.page.get_by_role("option", name=option, exact=True).click()

    def reset(self) -> None:
        self.button("reset").click()
        self.page.wait_for_function(
            "() => window.__bench.epoch() === 0 && window.__bench.playLabel() === 'Play'", timeout=WAIT_MS
        )


# ---- measurements ------------------------------------------------------------------------------
def measure_speed(app: App, speed: str, seconds: float, warmup: float) -> dict:
    app.set_playing(False)
    app.reset()
    app.choose("w_speed", speed)
    app.set_playing(True)
    app.page.wait_for_timeout(warmup * 1000)
    app.js("() => window.__bench.startStalls()")
    start = app.js("() => window.__bench.snapshot()")
    requests_before, window_start = len(app.full_requests), time.monotonic()
    drawn_before = {c: len(v) for c, v in app.js("() => window.__bench.drawMs").items()}
    app.page.wait_for_timeout(seconds * 1000)
    end = app.js("() => window.__bench.snapshot()")
    stalls = app.js("() => window.__bench.stopStalls()")
    full_requests = len(app.full_requests) - requests_before
    window_seconds = time.monotonic() - window_start
    draw_ms = {c: v[drawn_before.get(c, 0) :] for c, v in app.js("() => window.__bench.drawMs").items()}
    app.set_playing(False)
    dt = (end["t"] - start["t"]) / 1000

    def rate(key: str) -> float:
        return (end[key] - start[key]) / dt

    calls = {"react": 0, "patch": 0}
    for chart, kinds in end["calls"].items():
        before = start["calls"].get(chart, {})
        calls["react"] += kinds.get("react", 0) - before.get("react", 0)
        calls["patch"] += sum(kinds.get(k, 0) - before.get(k, 0) for k in ("restyle", "extendTraces", "relayout"))
    per_frame = None if speed == "max" else int(speed)
    return {
        "speed": speed,
        "seconds": round(dt, 2),
        "loss_redraws_per_s": rate("lossRedraws"),
        "boundary_redraws_per_s": rate("boundaryRedraws"),
        "gradients_redraws_per_s": rate("gradientRedraws"),
        "redraws_per_s_by_chart": {c: (n - start["perChart"].get(c, 0)) / dt for c, n in end["perChart"].items()},
        "full_figure_requests_per_s": full_requests / window_seconds,
        "all_redraws_per_s_per_chart": rate("allRedraws") / max(end["charts"], 1),
        "live_charts": end["charts"],
        # Frames the server computed (epochs / epochs per frame); not known for "max".
        "server_frames_per_s": rate("metricEpoch") / per_frame if per_frame else None,
        "drawn_epochs_per_s": rate("lossEpoch"),
        "metric_epochs_per_s": rate("metricEpoch"),
        "whole_figure_share": calls["react"] / max(calls["react"] + calls["patch"], 1),
        "median_draw_ms": {c: statistics.median(v) for c, v in draw_ms.items() if v},
        "charts_remounted_in_window": end["newHosts"],
        "longest_stall_s": {c: v["longestMs"] / 1000 for c, v in stalls.items()},
        "max_lag_epochs": {c: v["maxLag"] for c, v in stalls.items()},
    }


def measure_latencies(app: App, tries: int) -> dict[str, list[float | None]]:
    results: dict[str, list[float | None]] = {"pause": [], "step": [], "speed": [], "dataset": []}
    app.set_playing(False)
    app.reset()
    app.choose("w_speed", "5")  # the default speed
    for i in range(tries):
        # Pause while playing: the button says "Play" again.
        app.set_playing(True)
        start = app.epoch()
        app.page.wait_for_function(f"() => window.__bench.epoch() >= {start + 10}", timeout=WAIT_MS)
        latency = app.timed("B => B.playLabel() === 'Play'", lambda: app.button("play_pause").click())
        results["pause"].append(latency)
        if latency is None:
            app.lost["pause"] = app.lost.get("pause", 0) + 1
            app.set_playing(False, "pause (recovery)")
        app.page.wait_for_timeout(300)

        # Step while paused: the Epoch metric shows one more.
        before = app.epoch()
        results["step"].append(app.timed(f"B => B.epoch() === {before + 1}", lambda: app.button("step_one").click()))

        # Speed while playing: the caption names the new speed (the server runs with it).
        app.set_playing(True)
        app.page.wait_for_timeout(500)
        new_speed = "10" if i % 2 == 0 else "5"
        app.open_choices("w_speed")
        results["speed"].append(
            app.timed(
                f"B => [...document.querySelectorAll('.bp-status-note')]"
                f".some(c => c.innerText.includes('({new_speed} per frame)'))",
                lambda speed=new_speed: app.pick(speed),
            )
        )

        # Dataset while playing: the run restarts, so the Epoch metric falls back near 0.
        start = app.epoch()
        app.page.wait_for_function(f"() => window.__bench.epoch() >= {max(start, 30)}", timeout=WAIT_MS)
        now = app.epoch()
        app.open_choices("w_dataset")
        results["dataset"].append(
            app.timed(
                f"B => B.epoch() !== null && B.epoch() < Math.min({now}, 30)",
                lambda dataset="XOR" if i % 2 == 0 else "Circle": app.pick(dataset),
            )
        )
        app.set_playing(False)
        app.page.wait_for_timeout(300)
    return results


# ---- report ------------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


def machine() -> dict:
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    import streamlit

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "chromium": version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring window per speed (default 8)")
    parser.add_argument("--warmup", type=float, default=1.5, help="playing time before each window (default 1.5)")
    parser.add_argument("--tries", type=int, default=5, help="tries per control latency (default 5)")
    parser.add_argument(
        "--speeds",
        default="1,5,10,100,max",
        help="comma-separated speeds (default 1,5,10,100,max; 5 is the app's default)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (scripts/ensure-chromium.sh).", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("the playwright package is missing: pip install -r requirements-dev.txt", file=sys.stderr)
        return 2

    load_start = os.getloadavg()
    info = machine()
    print(
        f"Browser benchmark: {info['cpus']} CPUs, Python {info['python']}, Streamlit {info['streamlit']}, "
        f"{info['chromium']}"
    )
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} (1, 5, 15 min)")
    with tempfile.TemporaryFile("w+") as log:
        process, url = start_server(log)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    app = App(browser, url)
                    speeds = [measure_speed(app, s.strip(), args.seconds, args.warmup) for s in args.speeds.split(",")]
                    latencies = measure_latencies(app, args.tries)
                    lost = dict(app.lost)
                finally:
                    browser.close()
        except Exception:
            log.seek(0)
            print("server log:\n" + log.read()[-3000:], file=sys.stderr)
            raise
        finally:
            stop_server(process)
    load_end = os.getloadavg()

    print()
    print(f"Playing, default layout ({speeds[0]['live_charts']} live charts), {args.seconds:g} s per speed:")
    header = (
        f"{'speed':>6} | {'loss':>5} | {'bound.':>6} | {'grads':>5} | {'all/chart':>9} | {'server':>7} | "
        f"{'drawn ep/s':>10} | {'metric ep/s':>11} | {'whole figs':>10} | {'need_full/s':>11} | draw ms b/l/g"
    )
    print("redraws per second: loss, boundary and gradients charts (data-redraws), __backpropRedraws per live chart;")
    print("server = frames Python computed per second (epochs / epochs per frame; unknown at max);")
    print("whole figs = share of Plotly calls that were Plotly.react (whole figure) rather than patches;")
    print("need_full/s = requests from the browser for a whole figure (a chart saw a gap and dropped updates).")
    print(header)
    print("-" * len(header))
    for s in speeds:
        draw = s["median_draw_ms"]
        print(
            f"{s['speed']:>6} | {_fmt(s['loss_redraws_per_s']):>5} | {_fmt(s['boundary_redraws_per_s']):>6} | "
            f"{_fmt(s['gradients_redraws_per_s']):>5} | {_fmt(s['all_redraws_per_s_per_chart']):>9} | "
            f"{_fmt(s['server_frames_per_s']):>7} | {_fmt(s['drawn_epochs_per_s'], 0):>10} | "
            f"{_fmt(s['metric_epochs_per_s'], 0):>11} | {s['whole_figure_share']:>10.0%} | "
            f"{_fmt(s['full_figure_requests_per_s']):>11} | "
            + " / ".join(_fmt(draw.get(c), 0) for c in ("boundary", "loss", "gradients"))
        )
    for s in speeds:
        if s["charts_remounted_in_window"]:
            print(f"  speed {s['speed']}: charts remounted during the window (their rates are wrong): "
                  f"{s['charts_remounted_in_window']}")  # fmt: skip
    print("longest time each chart's drawn epoch stood still while playing (s), and its largest lag behind the")
    print("Epoch metric (epochs):")
    for s in speeds:
        parts = ", ".join(
            f"{c} {s['longest_stall_s'][c]:.1f} s / {s['max_lag_epochs'][c]:,.0f}" for c in sorted(s["longest_stall_s"])
        )
        print(f"  speed {s['speed']:>3}: {parts}")
    others = {c for s in speeds for c in s["redraws_per_s_by_chart"]} - {"boundary", "loss", "gradients"}
    for chart in sorted(others):
        rates = ", ".join(f"{s['speed']}: {_fmt(s['redraws_per_s_by_chart'].get(chart))}" for s in speeds)
        print(f"  other live chart {chart!r} redraws/s by speed: {rates}")
    print()
    print(f"Control latency, click -> page shows it (ms; median of {args.tries}; lost = none in {WAIT_MS / 1000:g} s):")
    names = {
        "pause": "Pause while playing -> label 'Play'",
        "step": "Step while paused -> Epoch +1",
        "speed": "Speed while playing -> caption shows it",
        "dataset": "Dataset while playing -> Epoch restarts",
    }
    for key, label in names.items():
        values = latencies[key]
        shown = ", ".join("lost" if v is None else f"{v:.0f}" for v in values)
        print(f"  {label:<42} median {_fmt(_median(values), 0):>6}   [{shown}]")
    if lost:
        print(f"  clicks that did not take effect (retried): {lost}")

    # The redraw target is for the default speed (5 epochs per frame) and for "max", which exists to
    # keep redraws near 10/s; at a fixed 10 or 100 epochs per frame the user asks for more work per
    # frame than fits in 0.1 s on this machine, so fewer frames there are by construction (reported).
    targeted = [s for s in speeds if s["speed"] in ("5", "max")] or speeds
    redraws = min(s["loss_redraws_per_s"] for s in targeted)
    max_speed = next((s for s in speeds if s["speed"] == "max"), None)
    worst_latency = max((m for m in (_median(v) for v in latencies.values()) if m is not None), default=None)
    print()
    print("Targets:")
    names = ", ".join(s["speed"] for s in targeted)
    print(f"  >= {TARGET_REDRAWS:g} redraws/s (loss chart, slowest of speeds {names}): {_fmt(redraws)} "
          f"-> {'met' if redraws >= TARGET_REDRAWS else 'NOT met'}")  # fmt: skip
    for chart, key in (("boundary", "boundary_redraws_per_s"), ("gradients", "gradients_redraws_per_s")):
        if all(key in s for s in targeted):
            print(
                f"     {chart} chart at those speeds: " + ", ".join(f"{s['speed']}: {_fmt(s[key])}" for s in targeted)
            )
    if max_speed:
        got = max_speed["drawn_epochs_per_s"]
        print(f"  >= {TARGET_MAX_EPOCHS:,.0f} visible epochs/s at max: {_fmt(got, 0)} "
              f"-> {'met' if got >= TARGET_MAX_EPOCHS else 'NOT met'}")  # fmt: skip
    if worst_latency is not None:
        ok = worst_latency <= TARGET_LATENCY_MS and not any(v is None for vs in latencies.values() for v in vs)
        print(f"  controls within {TARGET_LATENCY_MS:.0f} ms (worst median): {worst_latency:.0f} ms "
              f"-> {'met' if ok else 'NOT met'}")  # fmt: skip
    print(f"load average at end: {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f} (1, 5, 15 min)")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "load_start": load_start,
                    "load_end": load_end,
                    "speeds": speeds,
                    "latency_ms": latencies,
                    "lost_clicks": lost,
                },
                indent=2,
            )  # fmt: skip
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
