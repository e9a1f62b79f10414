"""Guided lessons and compare mode: set the playground up, explain what to look for."""

from __future__ import annotations

import re
from dataclasses import replace

import streamlit as st

from playground.config import DATA_FIELDS
from playground.lessons import LESSON_LIST, LESSONS
from playground.trainer import Trainer
from playground.ui.state import PlaygroundState

NO_LESSON = "—"
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript_powers(text: str) -> str:
    """'10^-4' -> '10⁻⁴' (Markdown has no superscript; a projector audience reads these at a glance)."""
    return re.sub(r"\^(-?\d+)", lambda match: match.group(1).translate(_SUPERSCRIPTS), text)


SHARED_FIELDS = DATA_FIELDS | {"weight_seed"}  # compare mode: identical data and seeds


def start_lesson(state: PlaygroundState, key: str) -> None:
    """Load a lesson's run(s), paused at epoch 0."""
    lesson = LESSONS[key]
    state.trainer = Trainer(lesson.config_a)
    state.trainer_b = Trainer(lesson.config_b) if lesson.config_b is not None else None
    state.editing = "A"
    state.lesson = key
    state.playing = False
    state.per_layer_activations = len(set(lesson.config_a.activations)) > 1
    state.restart_charts()


def close_lesson(state: PlaygroundState) -> None:
    state.lesson = None


def set_compare(state: PlaygroundState, on: bool) -> None:
    """Turn compare mode on (B starts as a copy of A) or off (keep A)."""
    if on and state.trainer_b is None:
        state.trainer_b = Trainer(state.trainer.config)
        state.trainer.reset()
        state.editing = "B"
        state.say(
            "info",
            "Compare mode: run B starts as a copy of run A. Change B's settings in the sidebar, "
            "then press Play: both runs train on the same data from the same seeds.",
        )
    elif not on:
        state.trainer_b = None
        state.editing = "A"
    state.playing = False
    state.restart_charts()


def shared_changes(changes: dict) -> dict:
    """The part of a change that compare mode applies to both runs."""
    return {name: value for name, value in changes.items() if name in SHARED_FIELDS}


def sync_shared_settings(state: PlaygroundState, changes: dict) -> None:
    """Apply data and seed changes to the run that was not edited, so A and B stay comparable."""
    shared = shared_changes(changes)
    if not shared or state.trainer_b is None:
        return
    other = state.trainer if state.edited is state.trainer_b else state.trainer_b
    other.apply_config(replace(other.config, **shared))


def lesson_picker(state: PlaygroundState) -> None:
    """The lesson selector at the top of the main area."""
    options = [NO_LESSON, *[lesson.key for lesson in LESSON_LIST]]
    titles = {lesson.key: lesson.title for lesson in LESSON_LIST}
    if st.session_state.get("w_lesson") != (state.lesson or NO_LESSON):
        st.session_state["w_lesson"] = state.lesson or NO_LESSON

    def chosen() -> None:
        key = st.session_state["w_lesson"]
        if key == NO_LESSON:
            close_lesson(state)
        else:
            start_lesson(state, key)

    st.selectbox(
        "Guided lessons: see gradients vanish and explode",
        options,
        format_func=lambda key: "Choose a lesson…" if key == NO_LESSON else titles[key],
        key="w_lesson",
        on_change=chosen,
    )


def lesson_panel(state: PlaygroundState) -> None:
    if not state.lesson:
        return
    lesson = LESSONS[state.lesson]
    with st.container(border=True):
        title, close = st.columns([6, 1], vertical_alignment="center")
        title.subheader(lesson.title)
        close.button("Close lesson", on_click=close_lesson, args=(state,), key="close_lesson", width="stretch")
        st.markdown(superscript_powers(lesson.explanation))
        if lesson.compare:
            st.markdown(f"**Run A:** {lesson.label_a} · **Run B:** {lesson.label_b}")
        look_for = superscript_powers(lesson.what_to_look_for)
        st.markdown(f"**What to look for** (after about {lesson.epochs_suggested} epochs): {look_for}")
        st.markdown(f"**Question:** {superscript_powers(lesson.question)}")
        if lesson.answer:
            with st.expander("Show an answer"):
                st.markdown(superscript_powers(lesson.answer))


def compare_controls(state: PlaygroundState) -> None:
    """Sidebar: compare mode and which run the controls edit."""
    if st.session_state.get("w_compare") != state.comparing:
        st.session_state["w_compare"] = state.comparing
    st.toggle(
        "Compare two runs (A vs B)",
        key="w_compare",
        on_change=lambda: set_compare(state, st.session_state["w_compare"]),
        help="Train two settings side by side on identical data and seeds: sigmoid vs ReLU, Glorot vs He, SGD vs Adam…",
    )
    if state.comparing:
        if st.session_state.get("w_editing") != state.editing:
            st.session_state["w_editing"] = state.editing
        st.segmented_control(
            "Settings below apply to",
            ["A", "B"],
            format_func=lambda run: f"Run {run}",
            key="w_editing",
            on_change=lambda: setattr(state, "editing", st.session_state["w_editing"] or state.editing),
            help="Data and seeds are shared by both runs; network and training settings are per run.",
        )
