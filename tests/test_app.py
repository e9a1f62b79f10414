"""The Streamlit app driven headlessly with AppTest: no browser, real script runs.

AppTest runs the live-view fragment once per ``run()`` and never fires its
timer, so a "tick" of Play is one more ``run()``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.training.config import MAX_HIDDEN_LAYERS
from playground.ui.state import STATE_KEY

TIMEOUT = 60
APP = Path(__file__).resolve().parents[1] / "app.py"


# Deep, linear, large weights and a learning rate of 10: the loss becomes NaN within a few epochs.
DIVERGING_URL = {
    "hidden_layers": "8,8,8",
    "activations": "linear,linear,linear",
    "initializer": "normal",
    "init_sigma": "3",
    "learning_rate": "10",
}


def start(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def state_of(at: AppTest):
    return at.session_state[STATE_KEY]


def metric(at: AppTest, label: str) -> str:
    """The value the status block shows for ``label`` (each number is tagged with data-metric)."""
    status = " ".join(live_html_texts(at))
    found = re.search(rf'data-metric="{re.escape(html.escape(label))}">.*?bp-metric-value">(.*?)</div>', status)
    assert found, f"no status number labelled {label!r}"
    return html.unescape(found.group(1))


def live_html_texts(at: AppTest) -> list[str]:
    """The markup of every live HTML block (status, readouts), sent as live-component payloads."""
    blocks = [block.proto.body for block in at.get("html")]
    for element in at.get("bidi_component"):
        data = json.loads(element.proto.json)
        if data.get("kind") == "html":
            blocks.append(data["html"])
    return blocks


def chart_texts(at: AppTest) -> str:
    """Headings, lines and captions the live charts were sent with their whole figures."""
    texts = []
    for element in at.get("bidi_component"):
        frame_text = json.loads(element.proto.json).get("frame_text") or {}
        texts += [value for value in frame_text.values() if value]
    return " ".join(texts)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Something went wrong" in e.value for e in at.error), [e.value for e in at.error]


def test_app_loads_at_epoch_zero_with_charts_and_captions():
    at = start()
    assert_clean(at)
    assert at.title[0].value == "Backprop Playground"
    assert metric(at, "Epoch") == "0"
    assert 0.6 < float(metric(at, "Train loss")) < 0.8  # about ln 2 before training
    captions = chart_texts(at)
    for phrase in ("Decision boundary", "decision boundary", "Loss", "vanishing gradients"):
        assert phrase in captions
    assert set(state_of(at).charts) >= {"boundary", "loss", "gradients"}


def test_step_adds_one_epoch_and_one_history_row():
    at = start()
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "1"
    history = state_of(at).trainer.history_frame
    assert history["epoch"].tolist() == [0, 1]


def test_step_n_adds_n_epochs():
    at = start()
    at.number_input(key="w_step_count").set_value(7).run()
    at.button(key="step_n").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "7"


def test_play_trains_every_tick_and_pause_stops():
    at = start()
    at.button(key="play_pause").click().run()
    first = state_of(at).trainer.epoch
    assert first > 0
    at.run()
    assert state_of(at).trainer.epoch > first
    assert at.button(key="play_pause").label == "Pause"
    at.button(key="play_pause").click().run()
    paused = state_of(at).trainer.epoch
    at.run()
    at.run()
    assert state_of(at).trainer.epoch == paused
    assert at.button(key="play_pause").label == "Play"


def test_reset_returns_to_epoch_zero_with_the_same_weights_and_replays_exactly():
    at = start()
    initial = state_of(at).trainer.network.theta.copy()
    at.number_input(key="w_step_count").set_value(15).run()
    at.button(key="step_n").click().run()
    first_run = state_of(at).trainer.history_frame.copy()
    assert not np.array_equal(state_of(at).trainer.network.theta, initial)
    at.button(key="reset").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "0"
    np.testing.assert_array_equal(state_of(at).trainer.network.theta, initial)
    at.button(key="step_n").click().run()
    np.testing.assert_array_equal(state_of(at).trainer.history_frame.to_numpy(), first_run.to_numpy())


def test_new_weights_draws_different_initial_weights():
    at = start()
    before = state_of(at).trainer.network.theta.copy()
    next(b for b in at.button if b.label == "New weights").click().run()
    assert_clean(at)
    assert state_of(at).config.weight_seed == 1
    assert not np.array_equal(state_of(at).trainer.network.theta, before)


def test_learning_rate_change_keeps_weights_but_architecture_change_rebuilds():
    at = start()
    at.button(key="step_one").click().run()
    at.select_slider(key="w_learning_rate").set_value(0.1).run()
    assert_clean(at)
    assert state_of(at).trainer.epoch == 1 and state_of(at).config.learning_rate == 0.1
    at.selectbox(key="w_activation_all").set_value("relu").run()
    assert_clean(at)
    assert state_of(at).trainer.epoch == 0
    assert state_of(at).config.activations == ("relu", "relu")


def test_add_and_remove_layers_and_set_neurons():
    at = start()
    add = next(b for b in at.button if b.key == "add_layer")
    add.click().run()
    assert state_of(at).config.hidden_layers == (4, 2, 4)  # as wide as the widest so far, not the last
    at.number_input(key="w_layer_2").set_value(64).run()
    assert state_of(at).config.hidden_layers == (4, 2, 64)
    for _ in range(3):
        next(b for b in at.button if b.key == "remove_layer").click().run()
    assert_clean(at)
    assert state_of(at).config.hidden_layers == ()
    assert next(b for b in at.button if b.key == "remove_layer").disabled
    at.button(key="step_one").click().run()  # logistic regression still trains
    assert_clean(at)
    assert metric(at, "Epoch") == "1"


def test_the_deepest_network_is_the_limit():
    at = start({"hidden_layers": ",".join(["3"] * MAX_HIDDEN_LAYERS)})
    assert_clean(at)
    assert next(b for b in at.button if b.key == "add_layer").disabled
    at.button(key="step_one").click().run()
    assert_clean(at)


def test_per_layer_activations():
    at = start()
    at.toggle(key="w_per_layer").set_value(True).run()
    at.selectbox(key="w_activation_1").set_value("sigmoid").run()
    assert_clean(at)
    assert state_of(at).config.activations == ("tanh", "sigmoid")


def _exercise(at: AppTest, kind: str, key: str, values) -> None:
    """Set a widget to each value in turn (re-finding it: every run makes a new element tree)."""
    for value in values:
        getattr(at, kind)(key=key).set_value(value).run()
        assert_clean(at)


def test_every_control_accepts_its_extremes_without_error():
    at = start()
    for key in ("w_dataset", "w_initializer", "w_optimizer", "w_regularization"):
        _exercise(at, "selectbox", key, list(at.selectbox(key=key).options))
        at.button(key="step_one").click().run()
        assert_clean(at)
    at.selectbox(key="w_dataset").set_value("circle").run()  # the point controls (digits hide them)
    _exercise(at, "slider", "w_n_points", [50, 2000, 500])
    _exercise(at, "slider", "w_noise", [50, 0])
    _exercise(at, "slider", "w_train_percent", [10, 90, 50])
    _exercise(at, "slider", "w_batch", [1, state_of(at).config.n_train, 10])
    _exercise(at, "number_input", "w_data_seed", [2**31 - 1, 0])
    _exercise(at, "number_input", "w_weight_seed", [2**31 - 1, 3])
    _exercise(at, "select_slider", "w_learning_rate", [1e-5, 10.0, 0.03])
    at.selectbox(key="w_initializer").set_value("normal").run()
    _exercise(at, "select_slider", "w_sigma", [0.001, 10.0, 0.1])
    at.selectbox(key="w_regularization").set_value("l2").run()
    _exercise(at, "select_slider", "w_regularization_rate", [10.0, 0.0, 0.001])
    _exercise(at, "toggle", "w_show_test", [False, True])
    _exercise(at, "selectbox", "w_speed", ["max", "1"])
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert state_of(at).config.regularization_rate == 0.001 and state_of(at).config.init_sigma == 0.1


def features(at: AppTest):
    return next(group for group in at.get("button_group") if group.key == "w_features")


def test_features_can_be_toggled_and_an_empty_choice_falls_back():
    at = start()
    features(at).set_value(["x1", "x2", "x1_squared", "sin_x2"]).run()
    assert_clean(at)
    assert state_of(at).config.features == ("x1", "x2", "x1_squared", "sin_x2")
    assert state_of(at).trainer.network.layer_sizes[0] == 4
    features(at).set_value([]).run()
    assert_clean(at)
    assert state_of(at).config.features == ("x1", "x2")


def test_divergence_pauses_with_a_message_naming_the_epoch_and_reset_recovers():
    at = start(DIVERGING_URL)
    at.button(key="play_pause").click().run()
    for _ in range(10):
        if state_of(at).trainer.diverged:
            break
        at.run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.diverged
    assert state_of(at).playing is False
    assert any(f"diverged at epoch {trainer.diverged_at}" in e.value for e in at.error)
    at.button(key="reset").click().run()
    assert_clean(at)
    assert not state_of(at).trainer.diverged
    assert not any("diverged" in e.value for e in at.error)
    assert metric(at, "Epoch") == "0"


def test_changing_the_learning_rate_after_divergence_restarts_the_run():
    at = start(DIVERGING_URL)
    at.number_input(key="w_step_count").set_value(20).run()
    at.button(key="step_n").click().run()
    assert state_of(at).trainer.diverged
    at.select_slider(key="w_learning_rate").set_value(1e-4).run()
    assert_clean(at)
    assert not state_of(at).trainer.diverged and state_of(at).trainer.epoch == 0
    assert any("restarted" in i.value for i in at.info)


@pytest.mark.parametrize(
    "query",
    [
        {"learning_rate": "banana"},
        {"hidden_layers": "1000,-5,abc"},
        {"n_points": "1e99", "noise": "-3", "dataset": "<script>alert(1)</script>"},
        {"activations": "sigmoid," * 40, "batch_size": "nan"},
        {"initializer": "", "optimizer": "adamw", "weight_seed": "-1"},
        {"unknown": "x", "features": ",,,"},
    ],
)
def test_strange_urls_give_a_warning_not_a_crash(query):
    at = start(query)
    assert_clean(at)
    assert at.warning, "a bad URL value should be reported"
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "1"


def test_url_follows_the_settings():
    at = start()
    at.selectbox(key="w_dataset").set_value("spiral").run()
    assert at.query_params["dataset"] == ["spiral"] or at.query_params["dataset"] == "spiral"


def test_an_error_while_drawing_a_frame_is_a_message_not_a_traceback(monkeypatch):
    from playground.plots import history as history_plots

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    at = start()
    monkeypatch.setattr(history_plots, "loss_figure", broken)
    at.button(key="play_pause").click().run()
    assert not at.exception
    assert any("Something went wrong while drawing this frame" in e.value for e in at.error)
    assert state_of(at).playing is False
    monkeypatch.undo()
    at.button(key="reset").click().run()
    assert_clean(at)


def test_a_pause_handled_inside_a_timer_run_stops_the_timer_at_once():
    at = start()
    at.button(key="play_pause").click().run()
    state = state_of(at)
    assert state.playing and state.timer_running
    state.playing = False  # what a Pause click processed during a fragment-only run leaves behind
    at.run()
    assert_clean(at)
    assert not state_of(at).timer_running
    assert at.button(key="play_pause").label == "Play"


def test_sliders_show_the_exact_value_a_lesson_or_url_set():
    at = start({"initializer": "identity", "init_sigma": "1.5", "learning_rate": "0.07"})
    assert_clean(at)
    assert at.select_slider(key="w_sigma").value == 1.5
    assert at.select_slider(key="w_learning_rate").value == 0.07
    at.button(key="step_one").click().run()
    assert state_of(at).config.init_sigma == 1.5 and state_of(at).config.learning_rate == 0.07


@pytest.mark.parametrize("lens", ["Gradient flow", "Layer health", "Histograms", "Predict & check"])
def test_every_lens_view_renders_live_and_in_replay(lens):
    at = start({"hidden_layers": "6,6,6", "activations": "sigmoid,sigmoid,sigmoid"})
    at.number_input(key="w_step_count").set_value(40).run()
    at.button(key="step_n").click().run()
    next(group for group in at.get("button_group") if group.key == "w_lens").set_value(lens).run()
    assert_clean(at)
    if lens == "Gradient flow":
        assert any("Layer 1 receives" in text for text in live_html_texts(at))
    if lens == "Predict & check":
        at.button(key="check_gradients_A").click().run()
        assert_clean(at)
        assert "A" in state_of(at).gradient_checks
    epochs = list(at.select_slider(key="w_replay").options)
    at.select_slider(key="w_replay").set_value(epochs[len(epochs) // 2]).run()
    assert_clean(at)
    assert state_of(at).replay_epoch is not None and any("Replaying epoch" in i.value for i in at.info)
