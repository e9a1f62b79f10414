"""The link is the state, in the app (AppTest): compare links open both runs, the URL carries run B, and
Close lesson returns to the view the lesson replaced, the compare toggle agreeing with what is shown."""

from __future__ import annotations

from dataclasses import replace

from playground.teaching.lessons import LESSONS
from playground.training.config import TrainingConfig
from tests.test_app import assert_clean, start, state_of
from tests.test_app_hiding import query_value, widget_keys


def toggle_shows(at) -> bool:
    return at.toggle(key="w_compare").value


def test_a_compare_link_opens_both_runs_with_their_settings():
    at = start({"compare": "1", "learning_rate": "0.1", "b.optimizer": "adam", "b.learning_rate": "0.003"})
    assert_clean(at)
    state = state_of(at)
    assert state.comparing and toggle_shows(at)
    assert state.trainer.config == TrainingConfig(learning_rate=0.1)
    assert state.trainer_b.config == TrainingConfig(optimizer="adam", learning_rate=0.003)
    assert not at.warning


def test_the_url_carries_compare_mode_and_run_b():
    at = start()
    at.toggle(key="w_compare").set_value(True).run()
    assert_clean(at)
    assert state_of(at).editing == "B"
    at.selectbox(key="w_optimizer").set_value("adam").run()
    assert query_value(at, "compare") == "1" and query_value(at, "b.optimizer") == "adam"
    assert query_value(at, "optimizer") is None  # run A's is the default
    at.toggle(key="w_compare").set_value(False).run()
    assert query_value(at, "compare") is None and query_value(at, "b.optimizer") is None


def test_close_lesson_restores_the_compare_view_it_came_from():
    at = start({"learning_rate": "0.3", "hide": "export"})
    at.toggle(key="w_compare").set_value(True).run()
    at.selectbox(key="w_optimizer").set_value("adam").run()  # run B
    at.button(key="step_one").click().run()
    before = state_of(at)
    a, b, epoch = before.trainer, before.trainer_b, before.trainer.epoch
    at.selectbox(key="w_lesson").set_value("relu_he").run()  # hides the compare toggle
    assert_clean(at)
    assert "w_compare" not in widget_keys(at) and state_of(at).lesson == "relu_he"
    at.button(key="close_lesson").click().run()
    assert_clean(at)
    state = state_of(at)
    assert state.lesson is None and state.trainer is a and state.trainer_b is b and a.epoch == epoch
    assert state.hidden_controls == frozenset({"export"}) and not state.playing
    assert toggle_shows(at) and state.comparing  # the toggle agrees with the two runs shown
    assert query_value(at, "compare") == "1" and query_value(at, "b.optimizer") == "adam"
    assert query_value(at, "lesson") is None and query_value(at, "learning_rate") == "0.3"


def test_close_lesson_restores_a_single_run_after_a_compare_lesson():
    at = start({"hidden_layers": "5"})
    at.selectbox(key="w_lesson").set_value("relu_he").run()
    at.selectbox(key="w_lesson").set_value("adam_hides").run()  # lesson after lesson: still the first view
    at.button(key="close_lesson").click().run()
    assert_clean(at)
    state = state_of(at)
    assert not state.comparing and not toggle_shows(at)
    assert state.trainer.config == TrainingConfig(hidden_layers=(5,), activations=("tanh",))
    assert "w_editing" not in widget_keys(at)
    at.toggle(key="w_compare").set_value(True).run()  # and the toggle still works
    assert state_of(at).comparing and toggle_shows(at)


def test_close_lesson_of_a_lesson_link_opens_the_default_playground():
    lesson = LESSONS["relu_he"]
    at = start({"lesson": "relu_he", "hide": ",".join(lesson.hides), "learning_rate": "0.1"})
    assert state_of(at).trainer.config == replace(lesson.config_a, learning_rate=0.1)
    at.button(key="close_lesson").click().run()
    assert_clean(at)
    state = state_of(at)
    assert state.lesson is None and not state.comparing and not toggle_shows(at)
    assert state.trainer.config == TrainingConfig() and state.hidden_controls == frozenset()
    assert not at.query_params or all(not value for value in at.query_params.values())
