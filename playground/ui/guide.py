"""The page header and the guided lessons: the picker and the lesson panel (loading a lesson is in session.py)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from playground.links.hiding import expand
from playground.teaching.lessons import LESSON_LIST, LESSONS, Lesson
from playground.ui import session
from playground.ui.charts import superscript_powers
from playground.ui.state import PlaygroundState
from playground.ui.widgets import bind

NO_LESSON = "—"
PICKER_PROMPT = "Guided lessons: see gradients vanish and explode…"  # the picker's label, shown inside it


# One line at 1280 px: the header must leave the charts room on a projector's first screen.
INTRO = "Watch a neural network learn: the decision boundary, the loss and the gradient that reaches each layer."


def page_header(state: PlaygroundState) -> None:
    """The title with the lesson picker beside it, and one line of introduction: compact, so that the
    charts fit a 1280x720 projector's first screen. With a lesson open its one-line bar replaces the
    introduction (lesson_panel)."""
    title, picker = st.columns([1, 1], vertical_alignment="center", gap="medium")
    with title:
        if state.lesson or state.comparing:
            # A smaller title: the lesson's bar or compare mode's second row of charts needs the height.
            st.markdown('<h1 class="bp-title-compact">Backprop Playground</h1>', unsafe_allow_html=True)
        else:
            st.title("Backprop Playground")
    if state.shows("lessons"):
        with picker:
            lesson_picker(state)
    if not state.lesson:
        st.markdown(f'<p class="bp-intro">{INTRO}</p>', unsafe_allow_html=True)


def lesson_picker(state: PlaygroundState) -> None:
    """The lesson selector. Its label is hidden and said by its first option (PICKER_PROMPT) instead, so the
    header stays one control high."""
    options = [NO_LESSON, *[lesson.key for lesson in LESSON_LIST]]
    titles = {lesson.key: lesson.title for lesson in LESSON_LIST}
    bind("w_lesson", state.lesson or NO_LESSON)

    def chosen() -> None:
        key = st.session_state["w_lesson"]
        if key == NO_LESSON:
            session.close_lesson(state)
        else:
            session.start_lesson(state, key)

    st.selectbox(
        "Guided lessons: see gradients vanish and explode",
        options,
        format_func=lambda key: PICKER_PROMPT if key == NO_LESSON else titles[key],
        key="w_lesson",
        on_change=chosen,
        label_visibility="collapsed",
    )


def lesson_url(lesson_link: str) -> str:
    """The lesson's link as an absolute URL on this server (the page's own address, its query replaced);
    the bare query string when the address is unknown (AppTest)."""
    try:
        page = st.context.url
    except Exception:  # no browser behind this run
        page = None
    if not page:
        return lesson_link
    parts = urlsplit(page)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + lesson_link


def lesson_number(lesson: Lesson) -> int:
    return LESSON_LIST.index(lesson) + 1


def stop_text(lesson: Lesson) -> str:
    """'epoch 10' or 'epochs 10 and 100': where Play stops and the text's numbers are read."""
    epochs = [f"{epoch:,}" for epoch in lesson.stop_epochs]
    if len(epochs) == 1:
        return f"epoch {epochs[0]}"
    return f"epochs {', '.join(epochs[:-1])} and {epochs[-1]}"


def lesson_bar_label(lesson: Lesson) -> str:
    """The folded lesson's one line: an obvious 'Read lesson N' and its question."""
    return f"**Read lesson {lesson_number(lesson)}** · {lesson.headline or lesson.title}"


def lesson_panel(state: PlaygroundState) -> None:
    """The lesson in one line (its question), the full text one click away, and Close beside it.

    Folded by default, so that on a 1280x720 projector the playback bar and the charts the lesson is
    about stay on the first screen; unfolding pushes the charts down until folded again.
    """
    if not state.lesson:
        return
    lesson = LESSONS[state.lesson]
    key = f"w_lesson_panel_{lesson.key}"  # one per lesson: a newly opened lesson starts folded
    bind(key, state.lesson_text_open)
    text, close = st.columns([6, 1], vertical_alignment="top", gap="small")
    with (
        text,
        st.expander(
            lesson_bar_label(lesson),
            key=key,  # open or folded as st.session_state[key] says (set above from the state)
            on_change=lambda: session.set_lesson_text_open(state, st.session_state[key]),
            icon=":material/school:",
        ),
    ):
        st.markdown(superscript_powers(lesson.explanation))
        if lesson.compare:
            st.markdown(f"**Run A:** {lesson.label_a} · **Run B:** {lesson.label_b}")
        look_for = superscript_powers(lesson.what_to_look_for)
        st.markdown(f"**What to look for** (at {stop_text(lesson)}, where Play stops by itself): {look_for}")
        if lesson.variation_note:
            st.caption(lesson.variation_note)
        st.markdown(f"**Question:** {superscript_powers(lesson.question)}")
        url = lesson_url(lesson.link)
        link, answer = st.columns([3, 1], vertical_alignment="center")
        hidden = len(expand(frozenset(lesson.hides)))
        link.markdown(f":material/link: [Link to this lesson]({url}) (hides the {hidden} controls beside its point)")
        if lesson.answer:
            with answer.popover("Show an answer", width="stretch"):
                st.markdown(superscript_powers(lesson.answer))
    close.button(
        "Close lesson",
        on_click=session.close_lesson,
        args=(state,),
        key="close_lesson",
        width="stretch",
        help="Back to the playground as it was before the lesson.",
    )
