"""Live charts: one Streamlit v2 component that keeps a Plotly chart mounted and patches it.

``st.plotly_chart`` rebuilds its element whenever the figure changes, which
blanks frames and resets zoom while playing. Here the browser keeps the chart
and Python sends, per frame, only what changed (see assets/live_plot.js).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

import streamlit as st

from playground.ui.state import ChartSync, PlaygroundState

_JS = (Path(__file__).resolve().parents[2] / "assets" / "live_plot.js").read_text()
# A component definition, not per-user state: registering it once per process is right.
_live_plot_component = st.components.v2.component("backprop_live_plot", js=_JS, isolate_styles=False)


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
) -> dict:
    """Draw or patch the chart ``key``; returns the payload sent (for tests and benchmarks).

    ``version`` names the figure's shape: when it changes, the whole figure is sent.
    The whole figure is also sent once per full app run (the chart may have been
    remounted) and when the browser asks for it; otherwise only ``build_update``.
    ``priority``: lower is drawn first when the browser cannot draw every chart every frame.
    """
    sync = state.chart(key)
    send_whole = sync.version != version or sync.needs_full or sync.full_run_id != state.full_run_id
    if send_whole:
        payload = {"base": build_figure()}
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
