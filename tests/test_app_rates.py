"""The app's overfitting and learning-rate controls, the sweep and the landscape, through Streamlit's AppTest."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from playground.training.config import FIELDS
from playground.ui.rate_panel import sweep_rates
from tests.test_app import assert_clean, start, state_of


def payload(at, name: str) -> dict:
    for element in at.get("bidi_component"):
        data = json.loads(element.proto.json)
        if data.get("name") == name:
            return data
    raise AssertionError(f"no live element {name!r}")


@pytest.mark.parametrize("current", [0.03, 3.0, 10.0, 1e-5, 0.5])
def test_sweep_rates_are_nine_half_decades_around_the_current_rate_inside_the_bounds(current):
    rates = sweep_rates(current)
    bound = FIELDS["learning_rate"]
    assert len(rates) == 9 and rates == sorted(rates) and current in rates
    assert bound.low <= rates[0] and rates[-1] <= bound.high
    np.testing.assert_allclose(np.diff(np.log10(rates)), 0.5, atol=0.01)  # 3 significant digits


def test_the_sweep_runs_on_request_and_a_click_on_a_rate_adopts_it():
    at = start({"dataset": "xor", "hidden_layers": "8"})
    state = state_of(at)
    at.select_slider(key="w_sweep_epochs_A").set_value(25).run()
    at.button(key="sweep_A").click().run()
    assert_clean(at)
    result = state.sweeps["A"]
    assert sorted(result.frame.learning_rate.unique()) == sweep_rates(0.03)
    assert result.frame.epoch.max() == 25
    assert len(at.get("plotly_chart")) >= 2
    trainer = state.trainer
    trainer.train(3)
    weights = trainer.network.theta.copy()
    at.pills(key="w_adopt_A").set_value(0.3).run()
    assert_clean(at)
    assert state.trainer.config.learning_rate == 0.3
    np.testing.assert_array_equal(state.trainer.network.theta, weights)  # the weights trained so far are kept
    assert any("learning rate 0.3" in message.text for message in state.messages) or state.trainer.epoch == 3


def test_a_sweep_says_when_the_settings_changed_since():
    at = start()
    at.select_slider(key="w_sweep_epochs_A").set_value(25).run()
    at.button(key="sweep_A").click().run()
    assert not any("settings changed since this sweep" in info.value for info in at.info)
    at.slider(key="w_batch").set_value(20).run()
    assert any("settings changed since this sweep" in info.value for info in at.info)


def test_the_landscape_is_off_until_asked_for_then_one_per_run_on_one_scale_in_compare_mode():
    at = start({"compare": "1", "b.learning_rate": "1"})
    state = state_of(at)
    names = [json.loads(element.proto.json).get("name") for element in at.get("bidi_component")]
    assert "landscape_A" not in names  # off by default: it costs time every frame
    at.toggle(key="w_show_landscape").set_value(True).run()
    assert state.show_landscape
    for _ in range(3):
        at.button(key="step_one").click().run()
    assert_clean(at)
    figures = {}
    for run in ("A", "B"):
        figures[run] = payload(at, f"landscape_{run}")["base"]
        contour = [trace for trace in figures[run]["data"] if trace["type"] == "contour"]
        assert len(contour) == 1
    ranges = [
        (trace.get("zmin"), trace.get("zmax"))
        for figure in figures.values()
        for trace in figure["data"]
        if trace["type"] == "contour"
    ]
    assert ranges[0] == ranges[1]  # one colour scale for both runs
    assert state.trainer.epoch == 3


def test_a_link_can_hide_the_landscape_and_the_sweep():
    at = start({"hide": "landscape,sweep"})
    assert_clean(at)
    names = [json.loads(element.proto.json).get("name") for element in at.get("bidi_component")]
    assert "landscape_A" not in names
    assert not [toggle for toggle in at.toggle if toggle.key == "w_show_landscape"]
    assert not [button for button in at.button if button.key == "sweep_A"]


def test_early_stopping_in_the_app_stops_play_and_says_where_the_weights_went_back_to():
    at = start(
        {
            "dataset": "xor",
            "n_points": "60",
            "noise": "0.3",
            "hidden_layers": "32,32,32",
            "optimizer": "adam",
            "learning_rate": "0.01",
            "early_stopping": "10",
            "speed": "max",
        }
    )
    state = state_of(at)
    at.button(key="play_pause").click().run()
    for _ in range(60):
        if not state.playing:
            break
        at.run()
    assert_clean(at)
    trainer = state.trainer
    assert not state.playing and trainer.stopped_early
    assert any(f"back to epoch {trainer.best_epoch:,}" in info.value for info in at.info)
    # Play again says why it does nothing; raising the patience trains on.
    stopped_at = trainer.stopped_early_at
    at.button(key="play_pause").click().run()
    assert not state.playing and trainer.epoch == stopped_at
    assert any("Early stopping ended this run" in info.value for info in at.info)
    at.select_slider(key="w_early_stopping").set_value(0).run()
    at.button(key="step_one").click().run()
    assert state.trainer.epoch == stopped_at + 1


def test_label_noise_and_a_schedule_from_the_sidebar():
    at = start()
    at.slider(key="w_label_noise").set_value(20).run()
    state = state_of(at)
    assert state.trainer.config.label_noise == 0.2 and state.trainer.flipped.sum() == 50
    boundary = payload(at, "boundary")["base"]
    assert any(trace.get("name") == "flipped label (50)" for trace in boundary["data"])
    at.selectbox(key="w_lr_schedule").set_value("step").run()
    at.select_slider(key="w_lr_decay_epochs").set_value(10).run()
    for _ in range(2):
        at.button(key="step_n").click().run()
    assert_clean(at)
    frame = state.trainer.history_frame
    assert math.isclose(frame.learning_rate.iloc[-1], 0.03 * 0.5)  # epoch 19 of the step schedule: one drop
    loss = payload(at, "loss")["base"]
    assert [trace["name"] for trace in loss["data"]][-1] == "learning rate"


def test_the_loss_charts_mark_early_stopping_s_best_epoch_alone_and_in_compare_mode():
    query = {"dataset": "xor", "n_points": "60", "noise": "0.3", "hidden_layers": "32,32,32", "optimizer": "adam"}
    at = start({**query, "learning_rate": "0.01", "early_stopping": "10"})
    state = state_of(at)
    at.number_input(key="w_step_count").set_value(100).run()
    while state.trainer.can_train:
        at.button(key="step_n").click().run()
    best = state.trainer.best_epoch
    texts = [note["text"] for note in payload(at, "loss")["base"]["layout"]["annotations"]]
    assert f"best: epoch {best:,}" in texts
    at = start({**query, "compare": "1", "b.learning_rate": "0.01", "b.early_stopping": "10"})
    state = state_of(at)
    while state.trainer_b.can_train:
        at.button(key="step_n").click().run()
    texts = [note["text"] for note in payload(at, "loss_compare")["base"]["layout"]["annotations"]]
    assert f"B best: epoch {state.trainer_b.best_epoch:,}" in texts
    assert not any(text.startswith("A best") for text in texts)  # run A does not stop early
