"""Live charts: one Streamlit v2 component that keeps a Plotly chart mounted and patches it.

``st.plotly_chart`` rebuilds its element whenever the figure changes, which
blanks frames and resets zoom while playing. Here the browser keeps the chart
and Python sends, per frame, only what changed (see assets/live_plot.js).
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
from pathlib import Path
from typing import Callable

import streamlit as st

from playground.ui.state import ChartSync, PlaygroundState

REPO_ROOT = Path(__file__).resolve().parents[2]
LIVE_PLOT_JS = REPO_ROOT / "assets" / "live_plot.js"
STATIC_DIR = REPO_ROOT / "static"  # served at /app/static/ (server.enableStaticServing)
# Inline component code travels inside every element update: 17 KB per chart per frame for the
# whole of live_plot.js. So the component is a stub that imports the module once from the app's
# static route (the version in the URL changes with the file, so a browser never runs a stale copy).
_VERSION = hashlib.sha256(LIVE_PLOT_JS.read_bytes()).hexdigest()[:12]
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
    """Copy assets/live_plot.js to the static route (when missing or changed)."""
    target = STATIC_DIR / "live_plot.js"
    source = LIVE_PLOT_JS.read_bytes()
    if not target.exists() or target.read_bytes() != source:
        STATIC_DIR.mkdir(exist_ok=True)
        # Written aside, then renamed: another app process may be serving the file at this moment.
        partial = target.with_name(f".live_plot.{os.getpid()}.js")
        partial.write_bytes(source)
        os.replace(partial, target)


# A component definition, not per-user state: registering it once per process is right.
_live_plot_component = st.components.v2.component("backprop_live_plot", js=_STUB_JS, isolate_styles=False)


WHOLE_FIGURE_REPEATS = 3


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
        sync.version, sync.needs_full, sync.full_run_id = version, False, state.full_run_id
        sync.recent_epochs.clear()
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
    _live_plot_component(
        key=key,
        data=payload,
        on_need_full_change=functools.partial(_ask_for_full_figure, state, key),
    )
    return payload
