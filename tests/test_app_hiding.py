"""Links that hide controls, driven with AppTest: hidden controls are not drawn, the rest are, a lesson's link
hides its controls, "Show all" brings them back, and the hide list survives in the URL the app keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.links.hiding import GROUPS, expand
from playground.teaching.lessons import LESSONS
from playground.ui import session
from playground.ui.state import STATE_KEY

TIMEOUT = 60
APP = Path(__file__).resolve().parents[1] / "app.py"

# Widget key(s) of each named control in the default page (circle, 2 hidden layers, no regulariser rate).
WIDGETS = {
    "compare": ["w_compare"],
    "dataset": ["w_dataset"],
    "n_points": ["w_n_points"],
    "noise": ["w_noise"],
    "train_fraction": ["w_train_percent"],
    "data_seed": ["w_data_seed"],
    "show_test": ["w_show_test"],
    "features": ["w_features"],
    "hidden_layers": ["add_layer", "remove_layer", "w_layer_0", "w_layer_1"],
    "activations": ["w_per_layer", "w_activation_all"],
    "initializer": ["w_initializer"],
    "weight_seed": ["w_weight_seed"],
    "optimizer": ["w_optimizer"],
    "learning_rate": ["w_learning_rate"],
    "batch_size": ["w_batch"],
    "regularization": ["w_regularization"],
    "lessons": ["w_lesson"],
    "play": ["play_pause"],
    "step": ["step_one"],
    "step_n": ["w_step_count", "step_n"],
    "reset": ["reset"],
    "speed": ["w_speed"],
    "lens": ["w_lens"],
    "export": ["w_model_file"],
}


def start(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def widget_keys(at: AppTest) -> set[str]:
    """The keys of every keyed element drawn in this run."""
    keys: set[str] = set()

    def walk(node) -> None:
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else ():
            if getattr(child, "key", None):
                keys.add(child.key)
            walk(child)

    walk(at._tree)
    return keys


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Something went wrong" in e.value for e in at.error), [e.value for e in at.error]


def query_value(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def test_every_control_is_drawn_by_default_and_nothing_says_hidden():
    at = start()
    assert_clean(at)
    keys = widget_keys(at)
    for name, widgets in WIDGETS.items():
        assert set(widgets) <= keys, name
    assert "show_all_controls" not in keys
    assert not any("hidden by this link" in caption.value for caption in at.sidebar.caption)


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_a_hidden_control_is_absent_and_every_other_one_is_drawn(name):
    at = start({"hide": name})
    assert_clean(at)
    keys = widget_keys(at)
    assert not set(WIDGETS[name]) & keys, f"{name} is still drawn"
    for other, widgets in WIDGETS.items():
        if other != name:
            assert set(widgets) <= keys, f"hiding {name} also hid {other}"
    assert not at.warning, [w.value for w in at.warning]


def test_a_group_hides_its_section_and_its_heading():
    at = start({"hide": "data,training"})
    assert_clean(at)
    keys = widget_keys(at)
    for name in GROUPS["data"] + GROUPS["training"]:
        assert not set(WIDGETS.get(name, [])) & keys, name
    headers = [header.value for header in at.sidebar.header]
    assert headers == ["Network"], headers
    assert {"w_initializer", "w_layer_0", "play_pause"} <= keys
    count = len(GROUPS["data"]) + len(GROUPS["training"])
    assert any(f"{count} controls are hidden by this link" in caption.value for caption in at.sidebar.caption)


def test_show_all_draws_every_control_again_and_drops_hide_from_the_url():
    at = start({"hide": "dataset,learning_rate,reset"})
    assert "w_dataset" not in widget_keys(at)
    at.button(key="show_all_controls").click().run()
    assert_clean(at)
    keys = widget_keys(at)
    assert {"w_dataset", "w_learning_rate", "reset"} <= keys
    assert "show_all_controls" not in keys
    assert at.session_state[STATE_KEY].hidden_controls == frozenset()
    assert query_value(at, "hide") is None


def test_an_unknown_name_is_a_warning_and_the_known_ones_still_hide():
    at = start({"hide": "optimizer,warp_drive"})
    assert_clean(at)
    assert any("'warp_drive'" in warning.value for warning in at.warning), [w.value for w in at.warning]
    keys = widget_keys(at)
    assert "w_optimizer" not in keys and "w_learning_rate" in keys


def test_the_hide_list_round_trips_through_the_url_the_app_keeps():
    at = start({"hide": "Optimizer, speed,data_seed"})
    at.selectbox(key="w_dataset").set_value("xor").run()  # a change: the app writes its URL
    assert_clean(at)
    assert query_value(at, "dataset") == "xor"
    assert query_value(at, "hide") == "data_seed,optimizer,speed"  # canonical: page order, lower case
    # A new session from that URL hides the same controls.
    again = start({name: query_value(at, name) for name in at.query_params})
    assert_clean(again)
    assert again.session_state[STATE_KEY].hidden_controls == frozenset({"optimizer", "speed", "data_seed"})
    assert not {"w_optimizer", "w_speed", "w_data_seed"} & widget_keys(again)
    assert again.session_state[STATE_KEY].trainer.config.dataset == "xor"


def test_a_lesson_link_hides_the_lessons_controls_and_shows_the_link():
    lesson = LESSONS["relu_he"]
    query = dict(part.split("=", 1) for part in lesson.link.removeprefix("?").split("&"))
    at = start(query)
    assert_clean(at)
    state = at.session_state[STATE_KEY]
    assert state.lesson == "relu_he" and state.comparing
    assert state.hidden_controls == frozenset(lesson.hides)
    keys = widget_keys(at)
    assert not {"w_compare", "w_dataset", "w_optimizer", "w_batch", "w_regularization"} & keys
    assert {"w_editing", "w_learning_rate", "w_initializer", "play_pause"} <= keys
    assert any(lesson.link in block.value for block in at.markdown), "the panel links to the lesson"
    count = len(expand(frozenset(lesson.hides)))
    assert any(f"{count} controls are hidden by this lesson" in c.value for c in at.sidebar.caption)


def test_choosing_a_lesson_hides_its_controls_and_closing_it_restores_them():
    at = start()
    at.selectbox(key="w_lesson").set_value("exploding_init").run()
    assert_clean(at)
    lesson = LESSONS["exploding_init"]
    assert at.session_state[STATE_KEY].hidden_controls == frozenset(lesson.hides)
    assert "w_optimizer" not in widget_keys(at) and "w_initializer" in widget_keys(at)
    at.run()  # the URL written after the first run of the lesson
    assert query_value(at, "lesson") == "exploding_init"
    assert query_value(at, "hide") == lesson.link.split("hide=")[1]
    at.button(key="close_lesson").click().run()
    assert_clean(at)
    assert at.session_state[STATE_KEY].hidden_controls == frozenset()
    assert {"w_optimizer", "w_dataset", "w_compare"} <= widget_keys(at)


def test_a_lesson_without_hide_in_its_link_shows_every_control():
    at = start({"lesson": "relu_he"})
    assert_clean(at)
    assert at.session_state[STATE_KEY].hidden_controls == frozenset()
    assert {"w_dataset", "w_optimizer", "w_compare"} <= widget_keys(at)


def test_the_lesson_opens_as_one_folded_line_that_unfolds_and_a_new_lesson_starts_folded():
    at = start({"lesson": "vanishing_sigmoid"})
    lesson = LESSONS["vanishing_sigmoid"]
    labels = [e.label for e in at.get("expander")]
    assert any(label.startswith("**Read lesson 1**") and lesson.headline in label for label in labels), labels
    state = at.session_state[STATE_KEY]
    key = "w_lesson_panel_vanishing_sigmoid"
    assert not state.lesson_text_open and at.session_state[key] is False  # folded: the charts stay on screen
    session.set_lesson_text_open(state, True)  # what unfolding the panel calls
    at.run()
    assert_clean(at)
    assert at.session_state[key] is True  # drawn open, and stays so over reruns
    at.run()
    assert at.session_state[key] is True
    at.selectbox(key="w_lesson").set_value("relu_he").run()
    assert not state.lesson_text_open and at.session_state["w_lesson_panel_relu_he"] is False
