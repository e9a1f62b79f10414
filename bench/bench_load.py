"""Classroom load: N students playing at once on one `streamlit run` (or on `make class`'s replicas), per session.

    python -m bench.bench_load                       # N = 1, 10, 30; about four minutes
    python -m bench.bench_load --sessions 30 --replicas 2   # the class target: two app processes behind HAProxy
    python -m bench.bench_load --sessions 1,5 --seconds 4
    python -m bench.bench_load --json load.json

Each student is a real Streamlit session: a headless Chromium page (Debian's /usr/bin/chromium, via
Playwright) that loads the app, presses Play at the default speed and clicks Pause and Step. Drawing 30
pages of live Plotly charts would measure this 2-core machine's Chromium, not the server a class shares
(each student draws on their own laptop), so the page hands its live stream to a light client in this
process: a websocket client that connects with the session's token (the page's own stream is then
replaced, close code 4409, and stays quiet), tells the server which elements are on the page's screen (the
list the page itself sent) and acknowledges the newest frame 60 times a second, as a browser drawing one
frame per display frame does. Controls still go through the page and Streamlit.

Per N it reports: frames and visible epochs per second per session (median and slowest), control latency
(Pause: click to the label "Play"; Step: click to Epoch + 1) at the median and 95th percentile, the server's
CPU (all threads of every app process and the proxy, share of one core) playing and paused, its resident
memory per session, and how long the server takes to forget a session whose browser is gone (run with a short
disconnectedSessionTTL; the counts come from the app's /bp/status route).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 800}
DISPLAY_HZ = 60.0
TARGET_FPS = 5.0
TARGET_PAUSE_P95_S = 1.0
SESSION_TTL_S = 5  # disconnectedSessionTTL for this run: how long Streamlit keeps a session whose browser left
FRAME_EPOCH = re.compile(rb'"last_epoch":(\d+)')
FRAME_NUMBER = re.compile(rb'^\{"type":"frame","frame":(\d+)')
EPOCH_JS = """() => {
    const value = document.querySelector('[data-metric="Epoch"] .bp-metric-value');
    const digits = value ? value.innerText.replace(/[^0-9]/g, '') : '';
    return digits === '' ? null : parseInt(digits, 10);
}"""
READY_JS = """() => window.__backpropStream && window.__backpropStream.token
    && document.querySelector('.backprop-live-html[data-stream]')?.dataset.stream === 'open'"""


# ---- the server ---------------------------------------------------------------------------------
STREAMLIT_SETTINGS = {  # as environment variables, so that scripts/replicas.sh's replicas get them too
    "STREAMLIT_SERVER_HEADLESS": "true",
    "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL_S),
}


class Server:
    """One `streamlit run` (replicas=1) or scripts/replicas.sh: HAProxy in front of `replicas` of them, as
    `make class` starts it. ``url`` is where the students go; ``replica_urls`` each process's own address."""

    def __init__(self, replicas: int, log):
        env = {**os.environ, **STREAMLIT_SETTINGS, "PYTHON": sys.executable}
        ports = [free_port() for _ in range(replicas + (replicas > 1))]
        if replicas == 1:
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(ports[0])]
        else:
            command = ["bash", "scripts/replicas.sh", *map(str, ports)]
        # A process group of its own: stopping it stops every replica and the proxy.
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{ports[0]}"
        self.replica_urls = [f"http://127.0.0.1:{port}" for port in (ports[1:] if replicas > 1 else ports)]
        for url in [*self.replica_urls, self.url]:
            wait_until_answering(self.process, f"{url}/_stcore/health", "the app", 90)

    def pids(self) -> list[int]:
        """Every process serving the class: the replicas and the proxy (not the launching shell)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return [pid for pid in found if pid != self.process.pid or len(found) == 1]

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                total += cpu_seconds(pid)
            except OSError:
                pass
        return total

    def rss_mb(self) -> float:
        return sum(rss_mb(pid) for pid in self.pids())

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# ---- light stream clients -----------------------------------------------------------------------
class StreamClient:
    """Takes over one session's live stream; acknowledges the newest frame at DISPLAY_HZ."""

    def __init__(self, url: str, token: str, cookie: str = "", visible: list[str] | None = None):
        self.url = url.replace("http://", "ws://") + f"/bp/stream?token={token}"
        self.headers = {"Cookie": cookie} if cookie else {}  # the proxy's affinity cookie: the session's replica
        self.visible = visible  # the elements on the page's screen, as the page tells its stream
        self.frames = 0
        self.epoch = 0
        self.newest = 0
        self.close_code = None

    async def run(self, stop: asyncio.Event) -> None:
        import websockets

        async with websockets.connect(self.url, max_size=None, additional_headers=self.headers) as socket:
            if self.visible is not None:
                await socket.send(json.dumps({"type": "visible", "elements": self.visible}))

            async def acknowledge():
                acked = 0
                while not stop.is_set():
                    await asyncio.sleep(1 / DISPLAY_HZ)
                    if self.newest > acked:
                        acked = self.newest
                        await socket.send(json.dumps({"type": "ack", "frame": acked}))

            acker = asyncio.create_task(acknowledge())
            try:
                while not stop.is_set():
                    try:
                        message = await asyncio.wait_for(socket.recv(decode=False), 0.25)
                    except asyncio.TimeoutError:
                        continue
                    number = FRAME_NUMBER.match(message)
                    if number:
                        self.frames += 1
                        self.newest = int(number.group(1))
                        epoch = FRAME_EPOCH.search(message)
                        if epoch:
                            self.epoch = max(self.epoch, int(epoch.group(1)))
            except websockets.ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd else None
            finally:
                acker.cancel()


class ClientPool:
    """Stream clients on an asyncio loop in a thread of their own (Playwright's sync API owns this one)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stop = asyncio.Event()
        self.clients: list[StreamClient] = []
        self.tasks = []

    def add(self, client: StreamClient) -> None:
        self.clients.append(client)
        self.tasks.append(asyncio.run_coroutine_threadsafe(client.run(self.stop), self.loop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        for task in self.tasks:
            try:
                task.result(5)
            except Exception:  # noqa: BLE001 - a client that failed has said so in its counters
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)


# ---- students -----------------------------------------------------------------------------------
class Student:
    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.goto(url + "/", wait_until="domcontentloaded", timeout=60_000)
        self.page.wait_for_function(READY_JS, timeout=60_000)
        self.token = self.page.evaluate("() => window.__backpropStream.token")
        self.cookie = "; ".join(f"{c['name']}={c['value']}" for c in self.page.context.cookies())
        self.visible = self.page.evaluate("() => window.__backpropStream.visible ?? null")

    def button(self, key: str):
        return self.page.locator(f".st-key-{key} button").filter(visible=True)

    def epoch(self) -> int | None:
        return self.page.evaluate(EPOCH_JS)

    def click_and_time(self, key: str, condition: str) -> float | None:
        """Seconds from the click to ``condition`` (JS) holding on the page; None if lost (20 s)."""
        started = time.perf_counter()
        self.button(key).click()
        try:
            self.page.wait_for_function(condition, timeout=20_000, polling=20)
        except Exception:  # noqa: BLE001 - a lost click is a result
            return None
        return time.perf_counter() - started

    def set_playing(self, playing: bool) -> float | None:
        label = "Pause" if playing else "Play"
        return self.click_and_time(
            "play_pause",
            f"() => [...document.querySelectorAll('.st-key-play_pause button')].some(b => b.innerText === '{label}')",
        )


def percentile(values: list[float], share: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def measure(students: list[Student], pool: ClientPool, server: Server, seconds: float) -> dict:
    n = len(students)
    for student in students:
        if student.set_playing(True) is None:
            print("  a Play click was lost", file=sys.stderr)
    time.sleep(1.5)
    clients = pool.clients[-n:] if len(pool.clients) >= n else pool.clients
    before = [(c.frames, c.epoch) for c in clients]
    cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    cpu1, wall1 = server.cpu_seconds(), time.perf_counter()
    elapsed = wall1 - wall0
    fps = [(c.frames - f0) / elapsed for c, (f0, _) in zip(clients, before)]
    eps = [(c.epoch - e0) / elapsed for c, (_, e0) in zip(clients, before)]
    playing_cpu = (cpu1 - cpu0) / elapsed
    # Controls while everyone plays: each student pauses (timed), then plays again.
    pauses = []
    for student in students:
        pauses.append(student.set_playing(False))
        student.set_playing(True)
    for student in students:
        student.set_playing(False)
    time.sleep(0.5)
    steps = []
    for student in students:
        before_step = student.epoch()
        steps.append(student.click_and_time("step_one", f"() => ({EPOCH_JS})() === {before_step + 1}"))
    cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
    time.sleep(min(seconds, 4.0))
    paused_cpu = (server.cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    return {
        "sessions": n,
        "fps_median": statistics.median(fps), "fps_min": min(fps),
        "epochs_per_s_median": statistics.median(eps), "epochs_per_s_min": min(eps),
        "pause_p50_s": percentile(pauses, 0.5), "pause_p95_s": percentile(pauses, 0.95),
        "step_p50_s": percentile(steps, 0.5), "step_p95_s": percentile(steps, 0.95),
        "lost_clicks": sum(v is None for v in pauses + steps),
        "server_cpu_playing": playing_cpu, "server_cpu_playing_per_session": playing_cpu / n,
        "server_cpu_paused": paused_cpu,
        "server_rss_mb": server.rss_mb(),
        "clients_closed": [c.close_code for c in clients if c.close_code is not None],
    }  # fmt: skip


def forget_time(student: Student, url: str) -> dict:
    """Close a student's page; how long until its stream token is refused, and the server's memory after."""
    import websockets.sync.client as ws_client
    from websockets.exceptions import ConnectionClosed

    token, cookie = student.token, student.cookie
    student.page.close()
    closed_at = time.perf_counter()
    refused_after = None
    while time.perf_counter() - closed_at < 30:
        try:
            address = url.replace("http://", "ws://") + f"/bp/stream?token={token}"
            with ws_client.connect(address, additional_headers={"Cookie": cookie}) as socket:
                socket.recv(timeout=0.5)
        except ConnectionClosed as closed:
            if closed.rcvd and closed.rcvd.code in (4401, 4410):
                refused_after = time.perf_counter() - closed_at
                break
        except TimeoutError:
            pass
        time.sleep(0.1)
    return {"token_refused_after_s": refused_after}


def server_status(server: Server) -> dict:
    """/bp/status of every replica, summed."""
    import urllib.request

    total: dict[str, int] = {}
    for url in server.replica_urls:
        with urllib.request.urlopen(url + "/bp/status", timeout=5) as response:
            for name, count in json.loads(response.read()).items():
                total[name] = total.get(name, 0) + count
    return total


def wait_until_forgotten(server: Server, seconds: float = SESSION_TTL_S + 60) -> dict:
    """After every page closed: seconds until no session is connected, and until none is left in memory."""
    started, found = time.perf_counter(), {}
    while time.perf_counter() - started < seconds:
        status = server_status(server)
        now = time.perf_counter() - started
        if status["sessions_connected"] == 0:
            found.setdefault("all_disconnected_after_s", now)
        # The last students' own (one per replica), until the next ones come and go.
        if status["sessions_in_memory"] <= len(server.replica_urls):
            found["all_freed_after_s"] = now
            break
        time.sleep(0.5)
    found["status_at_the_end"] = server_status(server)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,10,30", help="comma-separated N (default 1,10,30)")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring window per N (default 8)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--replicas", type=int, default=1, help="app processes behind HAProxy, as `make class` starts them (default 1)"
    )
    args = parser.parse_args(argv)
    counts = sorted({int(n) for n in args.sessions.split(",") if n.strip()})
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: bash scripts/ensure-debian-packages.sh", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"Load benchmark: {os.cpu_count()} CPUs; {args.replicas} app process(es); load average {os.getloadavg()}")
    results, students = [], []
    log = tempfile.NamedTemporaryFile("w", prefix="bench-load-", suffix=".log", delete=False)
    server = Server(args.replicas, log)
    url = server.url
    pool = ClientPool()
    try:
        time.sleep(1.0)
        baseline_mb = server.rss_mb()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            for n in counts:
                while len(students) < n:
                    student = Student(browser, url)
                    students.append(student)
                    pool.add(StreamClient(url, student.token, student.cookie, student.visible))
                time.sleep(1.0)
                row = measure(students, pool, server, args.seconds)
                row["server_rss_per_session_mb"] = (row["server_rss_mb"] - baseline_mb) / n
                results.append(row)
                print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
            gone = forget_time(students.pop(), url)
            gone["status_before_leaving"] = server_status(server)
            for student in students:
                student.page.close()
            time.sleep(SESSION_TTL_S + 2)
            gone["status_after_ttl"] = server_status(server)
            # Streamlit expires disconnected sessions lazily, when its session storage next changes:
            # the next student to come and go frees them (one per replica: the proxy takes turns).
            for _ in server.replica_urls:
                Student(browser, url).page.close()
            gone.update(wait_until_forgotten(server))
            gone["server_rss_mb_after_all_left"] = server.rss_mb()
            browser.close()
    finally:
        pool.close()
        server.stop()
    report(results, gone, baseline_mb)
    if args.json:
        args.json.write_text(json.dumps({"rows": results, "left": gone, "baseline_rss_mb": baseline_mb}, indent=2))
    return 0


def _fmt(value, digits=1, scale=1.0) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def report(rows: list[dict], gone: dict, baseline_mb: float) -> None:
    print()
    print("N students playing at the default speed (5 epochs per frame), each stream acknowledged at 60 Hz:")
    head = (f"{'N':>3} | {'fps med':>7} | {'fps min':>7} | {'ep/s med':>8} | {'ep/s min':>8} | "
            f"{'Pause p50/p95 ms':>16} | {'Step p50/p95 ms':>15} | {'lost':>4} | {'CPU playing':>11} | "
            f"{'per session':>11} | {'CPU paused':>10} | {'RSS MB':>6} | {'MB/session':>10}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['sessions']:>3} | {r['fps_median']:>7.1f} | {r['fps_min']:>7.1f} | {r['epochs_per_s_median']:>8.0f} | "
            f"{r['epochs_per_s_min']:>8.0f} | "
            f"{_fmt(r['pause_p50_s'], 0, 1000):>7}/{_fmt(r['pause_p95_s'], 0, 1000):<8} | "
            f"{_fmt(r['step_p50_s'], 0, 1000):>7}/{_fmt(r['step_p95_s'], 0, 1000):<7} | {r['lost_clicks']:>4} | "
            f"{r['server_cpu_playing']:>10.0%} | {r['server_cpu_playing_per_session']:>10.1%} | "
            f"{r['server_cpu_paused']:>9.0%} | {r['server_rss_mb']:>6.0f} | {r['server_rss_per_session_mb']:>10.1f}"
        )  # fmt: skip
    biggest = rows[-1]
    met = biggest["fps_min"] >= TARGET_FPS and (biggest["pause_p95_s"] or 99) <= TARGET_PAUSE_P95_S
    print()
    print(f"Target at N={biggest['sessions']}: every session >= {TARGET_FPS:g} frames/s and Pause p95 <= "
          f"{TARGET_PAUSE_P95_S:g} s -> {'met' if met else 'NOT met'}")  # fmt: skip
    after = gone.get("server_rss_mb_after_all_left", float("nan"))
    print(f"Server memory (RSS): {baseline_mb:.0f} MB before any session; {after:.0f} MB at the end "
          f"(disconnectedSessionTTL {SESSION_TTL_S} s here; Streamlit's default: 120 s)")  # fmt: skip
    print(f"A closed page's stream token is refused after {_fmt(gone.get('token_refused_after_s'), 2)} s")
    print(f"/bp/status with every page open: {gone.get('status_before_leaving')}")
    print(f"  {SESSION_TTL_S + 2} s after they all closed: {gone.get('status_after_ttl')}")
    print(f"  after one more student per replica came and went: one state per replica in memory within "
          f"{_fmt(gone.get('all_freed_after_s'), 1)} s ({gone.get('status_at_the_end')})")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    raise SystemExit(main())
