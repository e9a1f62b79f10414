"""Two replicas of the app behind HAProxy (scripts/replicas.sh): sessions land on different replicas, each
keeps working (its live stream included, through the proxy), and a stream sent to the wrong replica is
refused, which is what sticky sessions prevent.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -r requirements-dev.txt")

from tests.browser.conftest import ARTIFACTS, REPO_ROOT, free_port, open_app, wait_until_answering  # noqa: E402
from tests.browser.test_browser import epoch, pause, play, wait_epoch  # noqa: E402
from tests.browser.test_stream_browser import counts, wait_stream  # noqa: E402

pytestmark = pytest.mark.browser

HAPROXY = Path("/usr/sbin/haproxy")
START_TIMEOUT = 90.0


def _start_replicas(log: Path) -> tuple[subprocess.Popen, int, list[int]]:
    """scripts/replicas.sh on free local ports, in a process group of its own: (process, proxy port, ports)."""
    proxy_port, ports = free_port(), [free_port(), free_port()]
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "scripts/replicas.sh", str(proxy_port), *map(str, ports)],
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHON": sys.executable},
            start_new_session=True,
        )
    return process, proxy_port, ports


@pytest.fixture(scope="module")
def replicas():
    """The proxy's URL and each replica's port, from scripts/replicas.sh on free local ports."""
    if not HAPROXY.exists():
        message = f"{HAPROXY} is missing (install Debian's haproxy: `bash scripts/ensure-debian-packages.sh`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "replicas.log"
    process, proxy_port, ports = _start_replicas(log)
    try:
        for port in ports:
            wait_until_answering(f"http://127.0.0.1:{port}/_stcore/health", START_TIMEOUT, process, log)
        wait_until_answering(f"http://127.0.0.1:{proxy_port}/_stcore/health", START_TIMEOUT, process, log)
        yield f"http://127.0.0.1:{proxy_port}", dict(zip(("r1", "r2"), ports))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _replica_of(page) -> str | None:
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    return cookies.get("BP_REPLICA")


def _stream_close_code(port: int, token: str) -> int | str:
    """Connect to one replica's stream directly (no browser, no Origin) with ``token``: its close code, or
    "open" when it stays open for 2 s."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/bp/stream?token={token}") as socket:
        try:
            socket.recv(timeout=2.0)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else "closed"
        except TimeoutError:
            return "open"
        return "open"


def test_two_sessions_land_on_different_replicas_and_each_keeps_working(browser, replicas):
    proxy_url, ports = replicas
    pages, by_replica = [], {}
    try:
        # Round robin over new browsers: each new page has its own context (cookie jar), a new student.
        while len(by_replica) < 2 and len(pages) < 4:
            page = open_app(browser, proxy_url)
            pages.append(page)
            by_replica.setdefault(_replica_of(page), page)
        assert set(by_replica) == {"r1", "r2"}, f"every session landed on {set(by_replica)}"
        first, second = by_replica["r1"], by_replica["r2"]
        for page in (first, second):
            wait_stream(page)  # the live stream's websocket passes the proxy, to the session's own replica
        play(first)
        wait_epoch(first, "e >= 30")
        assert epoch(second) == 0
        play(second)
        wait_epoch(second, "e >= 30")
        pause(first)
        pause(second)
        assert counts(first)["frames"] > 5 and counts(second)["frames"] > 5

        # Without affinity a request can reach the other replica: there the session's stream token is
        # unknown (each replica holds its own sessions), so the stream is refused.
        token = counts(first)["token"]
        assert _stream_close_code(ports["r2"], token) == 4401
        assert _stream_close_code(ports["r1"], token) != 4401
    finally:
        for page in pages:
            page.context.close()


def test_the_replica_script_stops_everything_it_started(tmp_path):
    if not HAPROXY.exists() or shutil.which("pgrep") is None:
        pytest.skip("needs haproxy and pgrep")
    log = tmp_path / "replicas.log"
    process, proxy_port, ports = _start_replicas(log)
    wait_until_answering(f"http://127.0.0.1:{proxy_port}/_stcore/health", START_TIMEOUT, process, log)
    process.send_signal(signal.SIGTERM)  # what Ctrl-C or a supervisor does to the script itself
    process.wait(30)
    time.sleep(0.5)
    # The replicas by their ports; the proxy by its port below (another test's proxy may be running).
    pattern = f"server.port {ports[0]} |server.port {ports[1]} "
    left = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    assert not left, f"processes left running: {left}"
    for port in (proxy_port, *ports):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
        except OSError:
            continue
        raise AssertionError(f"port {port} still answers after the script stopped")
