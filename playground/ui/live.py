"""Live charts: one Streamlit v2 component that keeps a Plotly chart mounted and patches it.

``st.plotly_chart`` rebuilds its element whenever the figure changes, which
blanks frames and resets zoom while playing. Here the browser keeps the chart
and Python sends, per frame, only what changed (see assets/live_plot.js).

A payload reaches the browser one of two ways. A script run hands it to the
component (Streamlit delivers it); while playing, the live stream (stream.py)
replays the live view's elements outside any script run and sends their
payloads on its own websocket. Both go through ``live_chart``/``live_html`` and
share each chart's ``ChartSync``, so the browser sees one ordered sequence.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import streamlit as st

from playground.ui.state import ChartSync, PlaygroundState

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = REPO_ROOT / "assets"
LIVE_PLOT_JS = ASSETS_DIR / "live_plot.js"
STATIC_DIR = REPO_ROOT / "static"  # served at /app/static/ (server.enableStaticServing)
# Inline component code travels inside every element update: 17 KB per chart per frame for the
# whole of live_plot.js. So the component is a stub that imports the module once from the app's
# static route. live_plot.js imports its parts (assets/live/) and, lazily, the network diagram's
# drawer by relative URLs, so all of them are served together into one directory named by their
# version, static/live/<version>/, laid out as in assets/: a browser never runs a mix of versions.
SERVED_MODULES = (LIVE_PLOT_JS, ASSETS_DIR / "network_diagram.js", *sorted((ASSETS_DIR / "live").glob("*.js")))
# Read once: the bytes served are the bytes the version names, even if the files change meanwhile.
_SERVED_FILES = {path.relative_to(ASSETS_DIR).as_posix(): path.read_bytes() for path in SERVED_MODULES}
_VERSION = hashlib.sha256(
    b"".join(name.encode() + b"\0" + source for name, source in _SERVED_FILES.items())
).hexdigest()[:12]
SERVED_ROOT = "live"  # under STATIC_DIR: one directory per version
_STUB_JS = f"""
let loading = null;
export default function (component) {{
  loading = loading || import(new URL("app/static/{SERVED_ROOT}/{_VERSION}/live_plot.js", document.baseURI).href);
  loading.then((module) => module.default(component)).catch((error) => {{
    component.parentElement.textContent = "This chart could not be loaded: " + error.message;
  }});
}}
"""
# Another version's directory unused this long is removed when a new version is served (another app
# process running other code keeps its own directory fresh; see ensure_live_plot_served).
STALE_VERSION_SECONDS = 600
_last_kept_fresh = 0.0  # when this process last marked its version's directory in use


def ensure_live_plot_served() -> None:
    """Serve assets/live_plot.js and the modules it imports from static/live/<version>/ (when missing)."""
    global _last_kept_fresh
    version_dir = STATIC_DIR / SERVED_ROOT / _VERSION
    now = time.time()
    if version_dir.is_dir():
        if now - _last_kept_fresh > STALE_VERSION_SECONDS / 4:
            _last_kept_fresh = now
            with contextlib.suppress(OSError):  # removed meanwhile: written again on the next call
                os.utime(version_dir)
        return
    version_dir.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed into place whole: another app process (or session thread) may be
    # serving or writing the same version at this moment, and a browser must never find it half written.
    partial = Path(tempfile.mkdtemp(prefix=f".{_VERSION}-", dir=version_dir.parent))
    try:
        for name, source in _SERVED_FILES.items():
            target = partial / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source)
        partial.chmod(0o755)  # as mkdir would make it (mkdtemp's is private)
        os.replace(partial, version_dir)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if version_dir.is_dir():
            return  # another writer got there first, with the same bytes
        raise
    _last_kept_fresh = now
    _remove_stale_versions(version_dir.parent, now)


def _remove_stale_versions(root: Path, now: float) -> None:
    for entry in root.iterdir():
        with contextlib.suppress(OSError):
            if entry.name != _VERSION and now - entry.stat().st_mtime > STALE_VERSION_SECONDS:
                shutil.rmtree(entry)


# A component definition, not per-user state: registering it once per process is right.
_live_plot_component = st.components.v2.component("backprop_live_plot", js=_STUB_JS, isolate_styles=False)


WHOLE_FIGURE_REPEATS = 3

# ---- replaying the live view outside a script run (the stream) ------------------------------------
_replay = threading.local()  # .payloads: the dict a stream frame collects into (None: a script run)


@contextlib.contextmanager
def collecting_payloads() -> Iterator[dict[str, dict]]:
    """Within this block, live elements put their payloads into the dict yielded instead of sending them."""
    previous = getattr(_replay, "payloads", None)
    _replay.payloads = payloads = {}
    try:
        yield payloads
    finally:
        _replay.payloads = previous


def _collector() -> dict[str, dict] | None:
    return getattr(_replay, "payloads", None)


def streamed(draw: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function that draws live elements from ``(state, ...)`` and calls nothing else of Streamlit.

    Called by a script run, it draws as usual and records itself, with its arguments, in
    ``state.stream_recipes``; the stream replays the recipes after each frame's training, so every
    live element (the lens included) is recomputed exactly as the script would. Nested calls record
    only the outermost; replays record nothing.
    """

    @functools.wraps(draw)
    def recorded(state, *args, **kwargs):
        if _collector() is not None or getattr(_replay, "recording", False):
            return draw(state, *args, **kwargs)
        state.stream_recipes.append(functools.partial(draw, state, *args, **kwargs))
        _replay.recording = True
        try:
            return draw(state, *args, **kwargs)
        finally:
            _replay.recording = False

    return recorded


# What a live element's browser side can send back besides the two above: trigger name -> handler
# ``(state, key)``, registered by the module that draws the element (the network diagram's weight
# edits). Code, not per-user state: every session's elements share the handlers.
ELEMENT_EVENTS: dict[str, Callable[[PlaygroundState, str], None]] = {}


def on_element_event(name: str, handler: Callable[[PlaygroundState, str], None]) -> None:
    """Call ``handler(state, key)`` when a live element sends the trigger ``name`` (its value: in
    ``st.session_state[key]``)."""
    ELEMENT_EVENTS[name] = handler


def element_trigger_value(key: str, name: str):
    """The value of trigger ``name`` that live element ``key`` just sent (None if it sent none), for the
    handlers of ``on_element_event``: Streamlit keeps a keyed component's result in session state."""
    value = st.session_state.get(key)
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _deliver(state: PlaygroundState, key: str, payload: dict) -> None:
    collector = _collector()
    if collector is not None:
        collector[key] = payload
        return
    events = {f"on_{name}_change": functools.partial(handler, state, key) for name, handler in ELEMENT_EVENTS.items()}
    _live_plot_component(
        key=key,
        data=payload,
        on_need_full_change=functools.partial(_ask_for_full_figure, state, key),
        on_stream_event_change=functools.partial(_stream_event, state),
        **events,
    )


def _stream_event(state: PlaygroundState) -> None:
    """The browser's stream asked for a rerun (the run stopped on the stream, or the stream is lost)."""


def live_html(state: PlaygroundState, key: str, markup: str, priority: int = -1, stream: dict | None = None) -> dict:
    """An HTML block that changes every frame (the status numbers, the lens readouts).

    Drawn by the same component as the charts, so the stream can update it; an st.html element
    would only change with a script run. ``stream`` (on the status block only) tells the browser
    how to connect to this session's live stream.
    """
    sync = state.chart(key)
    sync.seq += 1
    payload = {"kind": "html", "html": markup, "seq": sync.seq, "name": key, "priority": priority, "version": "html"}
    if stream is not None:
        payload["stream"] = stream
    _deliver(state, key, payload)
    return payload


def live_element(
    state: PlaygroundState, key: str, kind: str, payload: dict, last_epoch: int | None, priority: int = 5
) -> dict:
    """A live element the browser draws whole from every payload (``kind`` names its drawer in
    live_plot.js, e.g. "network"): no figure/update split, so a lost payload costs nothing."""
    sync = state.chart(key)
    sync.seq += 1
    sync.last_epoch = last_epoch
    payload = {**payload, "kind": kind, "seq": sync.seq, "name": key, "priority": priority, "version": kind}
    payload["last_epoch"] = last_epoch
    _deliver(state, key, payload)
    return payload


def inline_markdown_html(text: str) -> str:
    """The **bold** and *italic* of a caption as HTML, everything else escaped."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"<em>\1</em>", escaped)


def _ask_for_full_figure(state: PlaygroundState, key: str) -> None:
    state.chart(key).needs_full = True


def live_chart(
    state: PlaygroundState,
    key: str,
    version: str,
    last_epoch: int | None,
    build_figure: Callable[[], dict],
    build_update: Callable[[ChartSync], dict | None],
    height: int,
    priority: int = 5,
    title: str | None = None,
    subtitle: str | None = None,
    caption: str | None = None,
) -> dict:
    """Draw or patch the chart ``key``; returns the payload sent (for tests and benchmarks).

    ``version`` names the figure's shape: when it changes, the whole figure is sent.
    The whole figure is also sent once per full app run (the chart may have been
    remounted) and when the browser asks for it; otherwise only ``build_update``.
    ``priority``: lower is drawn first when the browser cannot draw every chart every frame.
    ``title`` (a heading above), ``subtitle`` (a line under it) and ``caption`` (markdown with
    **bold**, below) are drawn by the component with the chart: as separate Streamlit elements
    they would be re-rendered on every frame while playing.
    """
    sync = state.chart(key)
    if sync.version != version:
        # Streamlit may not hand every payload to the browser (a newer one can replace it before it
        # is drawn). Sending a new shape's whole figure a few frames running makes a lost one rare;
        # were all lost, the browser would ask for it (needs_full).
        sync.whole_figures_due = WHOLE_FIGURE_REPEATS
    elif sync.needs_full or sync.full_run_id != state.full_run_id:
        sync.whole_figures_due = max(sync.whole_figures_due, 1)
    if sync.whole_figures_due > 0:
        sync.whole_figures_due -= 1
        payload = {"base": build_figure()}
        payload["frame_text"] = {
            "title": title or "",
            "subtitle": subtitle or "",
            "caption": inline_markdown_html(caption) if caption else "",
        }
        if sync.version != version:
            # A new figure: updates start from it. A repeat of the same one keeps the overlap window, so
            # an update after a whole figure the browser never got still carries the rows it missed.
            sync.recent_epochs.clear()
        sync.version, sync.needs_full, sync.full_run_id = version, False, state.full_run_id
    else:
        payload = build_update(sync) or {}
        if "extend" in payload:
            payload["extend"]["from_epoch"] = sync.window_start
    sync.seq += 1
    sync.last_epoch = last_epoch
    sync.recent_epochs.append(last_epoch)
    payload.update(
        {
            "version": version,
            "seq": sync.seq,
            "last_epoch": last_epoch,
            "height": height,
            "name": key,
            "priority": priority,
        }
    )
    _deliver(state, key, payload)
    return payload
