"""Real-browser fixtures: the app served by `streamlit run`, driven by Debian's Chromium via Playwright.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. When it is
missing the browser tests are skipped with the reason, except in CI (CI=true),
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1600, "height": 1000}
SERVER_START_TIMEOUT = 60.0  # seconds until /_stcore/health must answer
PAGE_READY_TIMEOUT = 60_000  # ms until the three live charts have drawn

# The live charts of the default layout (data-chart of each `.backprop-live-plot` host).
CORE_CHARTS = ("boundary", "loss", "gradients")
# True once the three core live charts exist and Plotly has drawn into each of them.
CHARTS_DRAWN_JS = """() => ['boundary', 'loss', 'gradients'].every(name => {
    const host = document.querySelector(`.backprop-live-plot[data-chart="${name}"]`);
    return host && host.querySelector('.main-svg') && Number(host.dataset.redraws) >= 1;
})"""


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _require_browser() -> None:
    """Skip (or, in CI, fail) when the browser or Playwright is missing."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (install Debian's chromium: `bash scripts/ensure-debian-packages.sh`)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed (pip install -r requirements-dev.txt)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A `streamlit run app.py` child process on a free port (see ``start_server``)."""

    def __init__(self, process: subprocess.Popen, url: str, log_path: Path, log):
        self.process, self.url, self.log_path, self._log = process, url, log_path, log

    def check_alive(self) -> None:
        """Fail clearly when the server is gone (e.g. something on the machine killed it)."""
        code = self.process.poll()
        if code is not None:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise RuntimeError(
                f"the streamlit server (pid {self.process.pid}) {how} while the tests ran; "
                f"log: {self.log_path}\n{_tail(self.log_path)}"
            )

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop). Its log is kept only if it died on its own."""
        died_on_its_own = self.process.poll() is not None
        if not died_on_its_own:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        if not died_on_its_own:
            self.log_path.unlink(missing_ok=True)


def start_server(log_dir: Path, timeout: float = SERVER_START_TIMEOUT) -> Server:
    """Start `streamlit run app.py` from the repo root on a free port; returns once it answers /_stcore/health.

    The caller must call ``Server.stop()``.
    """
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-server-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed by Server.stop
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",  # edits made while the tests run must not restart the app
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path, log)
    try:
        wait_until_answering(f"{server.url}/_stcore/health", timeout, process, log_path)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_answering(
    url: str, timeout: float, process: subprocess.Popen | None = None, log_path: Path | None = None
) -> None:
    """Poll ``url`` until it answers 200. Raises RuntimeError (with the log's tail) if ``process`` exits
    first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer in {timeout:.0f} s:\n{_tail(log_path)}")
        time.sleep(0.1)


def _tail(path: Path | None, lines: int = 30) -> str:
    if path is None:
        return "(no log)"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def open_app(browser, url: str, timeout: float = PAGE_READY_TIMEOUT):
    """A new page on the app, returned once the three live charts have drawn.

    Uncaught JavaScript errors are collected in ``page.js_errors``.
    """
    page = browser.new_page(viewport=VIEWPORT)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    try:
        page.goto(url + "/", wait_until="domcontentloaded", timeout=timeout)
        page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout)
    except Exception:
        page.close()
        raise
    return page


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_server(artifacts_dir):
    _require_browser()
    server = start_server(artifacts_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, app_server, artifacts_dir, request):
    """A fresh page (and so a fresh Streamlit session) per test, with the charts drawn."""
    app_server.check_alive()
    try:
        page = open_app(browser, app_server.url)
    except Exception:
        app_server.check_alive()  # a dead server explains the failure better than a timeout
        raise
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        shot = artifacts_dir / f"failed-{request.node.name}.png"
        if report is not None and report.failed:
            try:
                page.screenshot(path=str(shot))
            except Exception:  # noqa: BLE001 - a failure screenshot is best effort
                pass
        else:
            shot.unlink(missing_ok=True)  # from an earlier failed run of this test
        page.close()
    app_server.check_alive()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
