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
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import streamlit as st

from playground.ui.state import ChartSync, PlaygroundState

REPO_ROOT = Path(__file__).resolve().parents[2]
LIVE_PLOT_JS = REPO_ROOT / "assets" / "live_plot.js"
STATIC_DIR = REPO_ROOT / "static"  # served at /app/static/ (server.enableStaticServing)
# Inline component code travels inside every element update: 17 KB per chart per frame for the
# whole of live_plot.js. So the component is a stub that imports the module once from the app's
# static route (the version in the URL changes with the file, so a browser never runs a stale copy).
# live_plot.js imports the network diagram's drawer with the same version in its URL.
SERVED_MODULES = (LIVE_PLOT_JS, REPO_ROOT / "assets" / "network_diagram.js")
_VERSION = hashlib.sha256(b"".join(path.read_bytes() for path in SERVED_MODULES)).hexdigest()[:12]
_STUB_JS = f"""
let loading = null;
export default function (component) {{
  loading = loading || import(new URL("app/static/live_plot.js?v={_VERSION}", document.baseURI).href);
  loading.then((module) => module.default(component)).catch((error) => {{
    component.parentElement.textContent = "This chart could not be loaded: " + error.message;
  }});
}}
"""


def ensure_live_plot_served() -> None:
    """Copy assets/live_plot.js and the modules it imports to the static route (when missing or changed)."""
    for module in SERVED_MODULES:
        target = STATIC_DIR / module.name
        source = module.read_bytes()
        if not target.exists() or target.read_bytes() != source:
            STATIC_DIR.mkdir(exist_ok=True)
            # Written aside, then renamed: another app process may be serving the file at this moment.
            partial = target.with_name(f".{module.stem}.{os.getpid()}.js")
            partial.write_bytes(source)
            os.replace(partial, target)


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
