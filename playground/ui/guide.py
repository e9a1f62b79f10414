"""Guided lessons: the picker and the lesson panel (loading a lesson is in session.py)."""

from __future__ import annotations

import streamlit as st

from playground.lessons import LESSON_LIST, LESSONS
from playground.ui import session
from playground.ui.charts import superscript_powers
from playground.ui.state import PlaygroundState

NO_LESSON = "—"


def lesson_picker(state: PlaygroundState) -> None:
    """The lesson selector at the top of the main area."""
    options = [NO_LESSON, *[lesson.key for lesson in LESSON_LIST]]
    titles = {lesson.key: lesson.title for lesson in LESSON_LIST}
    if st.session_state.get("w_lesson") != (state.lesson or NO_LESSON):
        st.session_state["w_lesson"] = state.lesson or NO_LESSON

    def chosen() -> None:
        key = st.session_state["w_lesson"]
        if key == NO_LESSON:
            session.close_lesson(state)
        else:
            session.start_lesson(state, key)

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
        close.button("Close lesson", on_click=session.close_lesson, args=(state,), key="close_lesson", width="stretch")
        st.markdown(superscript_powers(lesson.explanation))
        if lesson.compare:
            st.markdown(f"**Run A:** {lesson.label_a} · **Run B:** {lesson.label_b}")
        look_for = superscript_powers(lesson.what_to_look_for)
        st.markdown(f"**What to look for** (after about {lesson.epochs_suggested} epochs): {look_for}")
        st.markdown(f"**Question:** {superscript_powers(lesson.question)}")
        if lesson.answer:
            with st.expander("Show an answer"):
                st.markdown(superscript_powers(lesson.answer))
