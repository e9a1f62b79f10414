"""The Streamlit app: the only package that imports streamlit."""

from __future__ import annotations

import shutil
from importlib.util import find_spec
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from playground.teaching.notes import chart_notes
from playground.ui import (
    controls,
    export,
    guide,
    live,
    pad_panel,
    rate_panel,
    session,
    stream,
    view,
    walkthrough_panel,
)
from playground.ui.session import get_state
from playground.ui.state import PlaygroundState, url_query

REPO_ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = REPO_ROOT / "static"
STYLE = (REPO_ROOT / "assets" / "style.css").read_text()


def ensure_plotly_served() -> None:
    """Copy the installed plotly.js next to app.py so Streamlit's static route serves it.

    The browser loads it once; the live charts then only receive data. Copying
    from the installed ``plotly`` package keeps plotly.js matched to it.
    """
    spec = find_spec("plotly")
    source = Path(spec.submodule_search_locations[0]) / "package_data" / "plotly.min.js"
    target = STATIC_DIR / "plotly.min.js"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        STATIC_DIR.mkdir(exist_ok=True)
        shutil.copyfile(source, target)


def _show_messages(state: PlaygroundState) -> None:
    for name, trainer in state.runs:
        # A compare lesson says it in the run's heading, in red (view.run_heading): a paragraph here would
        # push run B's row off a projected screen, and lesson 7's divergence is its point, not a surprise.
        if not trainer.diverged or (state.lesson and state.comparing):
            continue
        run = f"Run {name} diverged" if state.comparing else "Training diverged"
        st.error(
            f"**{run} at epoch {trainer.diverged_at}:** the loss became NaN or infinite, so "
            f"{'this run stopped' if state.comparing else 'the run was paused'}. The learning rate "
            f"({trainer.config.learning_rate:g}) or the initial weights are too large for this network. "
            "Press **Reset** to start again from the same weights, or lower the learning rate or the initial "
            "weights' scale.",
            icon="⚠️",
        )
    for name, trainer in state.runs:
        if trainer.stopped_early and not (state.lesson and state.comparing):
            run = f"Run {name} stopped early" if state.comparing else "Stopped early"
            st.info(
                f"**{run} at epoch {trainer.stopped_early_at:,}:** the test loss had not improved for "
                f"{trainer.config.early_stopping:,} epochs, so the weights went back to epoch {trainer.best_epoch:,}, "
                f"where it was lowest ({trainer.best_test_loss:.3f}). Press **Reset** to start again, or raise the "
                "patience (or turn early stopping off) to train on from here.",
                icon="⏹️",
            )
    # Why a chart is empty or flat (playground/teaching/notes.py), also written on the chart itself. With a lesson open
    # only on the chart: the lesson's text names what to look for, and its charts must stay on one projected
    # screen (lesson 5's dead network is its point, not a surprise).
    for name, trainer in state.runs if state.lesson is None else ():
        for note in chart_notes(trainer, state.replay_epoch):
            run = f"**Run {name}:** " if state.comparing else ""
            getattr(st, note.level)(run + note.text, icon="⚠️" if note.level == "warning" else "ℹ️")
    for message in state.messages:
        if message.level == "toast":  # news that must not push the charts down (a lesson's stop)
            st.toast(message.text, icon=":material/pause_circle:", duration="long")
        else:
            getattr(st, message.level)(message.text)
    state.messages.clear()


def _sync_url(state: PlaygroundState) -> None:
    """Keep the shareable URL equal to the current settings.

    Streamlit 1.67 writes it with history.pushState, so each change of the settings is an entry of the
    browser's history that Back returns to (``_follow_navigation``); in the run that follows Back or Forward
    it writes with replaceState (a link rewritten after Back adds no entry).
    """
    query = url_query(state)
    if query != state.last_query:
        st.query_params.from_dict(query)
        state.last_query = query


def _follow_navigation(state: PlaygroundState) -> None:
    """After Back or Forward, show the settings of the URL the browser went to.

    On popstate Streamlit 1.67 reruns the script with the new query string and marks the run a history
    navigation (``ScriptRunContext.is_history_navigation``). Only such a run may replace the view: any other
    rerun can carry a query string that is stale by one change (a click sent before the browser had the
    URL the last run wrote), and following it would undo that change.
    """
    context = get_script_run_ctx()
    if context is None or not getattr(context, "is_history_navigation", False):
        return
    query = st.query_params.to_dict()
    if query != state.last_query:
        session.follow_link(state, query)


def main() -> None:
    st.markdown(f"<style>{STYLE}</style>", unsafe_allow_html=True)
    try:
        ensure_plotly_served()
        live.ensure_live_plot_served()
        state = get_state()
        context = get_script_run_ctx()
        if context is not None:
            stream.register(state, context.session_id)
        with state.lock:  # the live stream trains in another thread; see stream.py
            _follow_navigation(state)
            _draw_page(state)
    except Exception as error:  # last line of defence: a message, never a traceback
        st.error(
            f"Something went wrong while drawing the playground ({type(error).__name__}: {error}). "
            "Your settings are kept; press Reset or reload the page."
        )


def _draw_page(state: PlaygroundState) -> None:
    state.full_run_id += 1
    controls.sidebar(state)
    guide.page_header(state)  # the title, the lesson picker and one line of introduction
    guide.lesson_panel(state)
    controls.playback_bar(state)
    _show_messages(state)
    view.render_live(state)
    if state.shows("pad"):
        pad_panel.panel(state)
    if state.shows("walkthrough"):
        walkthrough_panel.panel(state)
    if state.shows("sweep"):
        rate_panel.sweep_section(state)
    if state.shows("export"):
        export.export_panel(state)
    _sync_url(state)
