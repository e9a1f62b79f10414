"""Every widget is sent with its value on every run (playground/ui/widgets.py).

Streamlit sends a widget's value only in a run that set it; otherwise the page keeps what it shows, and a page
that mounts the widget afresh shows its default instead (the first option, the minimum) and reports that back
as the user's choice on the next rerun. A Play clicked while a lesson link's first run was still drawing the
sidebar did exactly that in CI: the first run, cut short, had set the learning rate, the next one did not, and
lesson 14 trained at its slider's first option, 1e-05, so the drawn 7 was read as a 6.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import start

WIDGET_KINDS = ("select_slider", "slider", "selectbox", "number_input", "toggle", "segmented_control")


def bound_twice():
    import streamlit as st

    from playground.ui.widgets import bind

    bind("w_rate", 0.005)
    st.select_slider("Learning rate", [1e-05, 0.005, 0.03], key="w_rate")


def set_when_different_twice():
    import streamlit as st

    if st.session_state.get("w_rate") != 0.005:
        st.session_state["w_rate"] = 0.005
    st.select_slider("Learning rate", [1e-05, 0.005, 0.03], key="w_rate")


def kept_twice():
    import streamlit as st

    from playground.ui.widgets import keep

    keep("w_speed", "5", ["1", "5", "max"])
    st.selectbox("Speed", ["1", "5", "max"], key="w_speed")


def sent(element) -> bool:
    return element.proto.set_value


def test_a_bound_widget_is_sent_with_its_value_on_every_run():
    at = AppTest.from_function(bound_twice)
    at.run()
    at.run()
    slider = at.select_slider(key="w_rate")
    assert sent(slider) and list(slider.proto.raw_value) == ["0.005"] and slider.value == 0.005


def test_without_bind_the_second_run_sends_only_the_default_the_first_option():
    # Why bind exists: if Streamlit ever sends the value anyway, this fails and bind can become simpler.
    at = AppTest.from_function(set_when_different_twice)
    at.run()
    at.run()
    slider = at.select_slider(key="w_rate")
    assert not sent(slider) and list(slider.proto.default) == [0]  # index 0: 1e-05


def test_a_kept_widget_is_seeded_once_then_sends_the_users_choice_on_every_run():
    at = AppTest.from_function(kept_twice)
    at.run()
    assert at.selectbox(key="w_speed").value == "5"
    at.selectbox(key="w_speed").set_value("max").run()
    at.run()
    speed = at.selectbox(key="w_speed")
    assert speed.value == "max" and sent(speed)


@pytest.mark.parametrize("query", [{}, {"lesson": "learning_from_a_mistake"}, {"compare": "1"}])
def test_every_control_of_the_page_is_sent_with_its_value_on_a_later_run(query):
    at = start(query)
    at.run()
    unsent = [
        (kind, element.key)
        for kind in WIDGET_KINDS
        for element in getattr(at, kind)
        if element.key and element.key.startswith("w_") and not sent(element)
    ]
    assert unsent == []
