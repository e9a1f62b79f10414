"""The one way a widget is given the value it shows: the session's state sets it before every draw."""

from __future__ import annotations

from typing import Any

import streamlit as st


def bind(widget_key: str, value: Any) -> None:
    """Show ``value`` in the widget ``widget_key``: call before the widget is drawn, on every run.

    Set on every run, not only when it differs: a widget whose value did not change in a run is sent without
    it, and a page that mounts it afresh then shows its default (the first option, the minimum) and reports
    that back as the user's choice on the next rerun. A Play clicked while the first run of a lesson link was
    still drawing the sidebar did that: the first run, cut short, had set the value, the next one did not, and
    the learning rate fell to its slider's first option, 1e-05 (tests/test_widgets.py).
    """
    st.session_state[widget_key] = value


def keep(widget_key: str, default: Any, allowed=None) -> None:
    """For a widget that is its own source of truth (the speed, the sweep's epochs): seed it with ``default`` once
    (or when its value is not among ``allowed``), and on every other run write its own current value back, so it
    is sent with the widget for the reason ``bind`` gives. Its own value, read in this run, never a copy kept
    elsewhere: a copy could be a run behind the user's last choice."""
    value = st.session_state.get(widget_key)
    if value is None or (allowed is not None and value not in allowed):
        value = default
    st.session_state[widget_key] = value


def choice_switch(container, label: str, choices: dict[str, str], key: str, value: str, on_choose, **options) -> None:
    """A segmented control over ``choices`` (value -> label) showing ``value``; ``on_choose(value)`` when the user
    picks another. ``container``: where to draw it (``st`` or a column); ``options``: help, label_visibility."""
    bind(key, value)
    container.segmented_control(
        label,
        list(choices),
        format_func=choices.get,
        key=key,
        on_change=lambda: on_choose(st.session_state[key]),
        **options,
    )
