"""The drawing pad's section in the app (playground/ui/pad_panel.py), driven with AppTest: a drawing handed to the
pad (its test hook) gets the network's probabilities, "It is a ___" makes one step whose numbers are the engine's,
the digit can join the training data and the walkthrough follows it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.data.handwriting import image_for, rasterize_strokes
from playground.teaching.walkthrough import GIVEN
from playground.ui.draw_pad import injected_ink_key
from tests.test_app import assert_clean, start, state_of

SEVEN = [[(70, 50), (210, 50), (120, 240)]]  # pad pixels: the bar, then the stem
QUERY = {"dataset": "mnist", "train_size": "500", "hidden_layers": "16", "activations": "relu"}


def draw(at: AppTest, strokes) -> AppTest:
    at.session_state[injected_ink_key("pad")] = rasterize_strokes(strokes)
    return at.run()


def bar_figures(at: AppTest) -> dict[str, dict]:
    """The pad's Plotly figures by their meta: the probability bars (meta has "guess")."""
    figures = {}
    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        meta = figure.get("layout", {}).get("meta") or {}
        if "guess" in meta:
            figures["bars_after" if len(figure["data"]) == 2 else "bars"] = figure
        elif "units" in meta:
            figures["update"] = figure
    return figures


def pick_label(at: AppTest, label: str) -> AppTest:
    at.button_group(key="w_pad_label").set_value(label)
    return at.run()


@pytest.fixture
def mnist_app() -> AppTest:
    at = start(QUERY)
    assert_clean(at)
    assert state_of(at).trainer.config.dataset == "mnist"
    return at


def test_the_pad_is_shown_for_images_only():
    at = start()
    assert not any("Draw a digit" in m.value for m in at.markdown)
    at = start({"dataset": "digits"})
    assert any(m.value == "### Draw a digit" for m in at.markdown)
    assert not bar_figures(at)  # nothing drawn: no bars, a line saying where they will be
    assert any("Its answer appears here" in m.value for m in at.markdown)


def test_a_drawing_gets_the_networks_probabilities_as_bars(mnist_app):
    at = draw(mnist_app, SEVEN)
    assert_clean(at)
    state = state_of(at)
    expected_image = image_for(28, rasterize_strokes(SEVEN))
    np.testing.assert_array_equal(state.drawn_image, expected_image)
    probabilities = state.trainer.predict_proba(expected_image[None, :])[0]
    bars = bar_figures(at)["bars"]
    np.testing.assert_allclose(bars["layout"]["meta"]["probabilities"], probabilities, rtol=1e-12)
    guess = int(np.argmax(probabilities))
    assert bars["layout"]["meta"]["guess"] == guess
    assert any(f"The network says **{guess}**" in m.value for m in at.markdown)
    assert bars["layout"]["xaxis"]["title"]["text"] == "digit"
    assert bars["layout"]["yaxis"]["title"]["text"] == "probability"


def test_it_is_a_makes_one_step_on_the_drawing_and_shows_before_and_after(mnist_app):
    at = draw(mnist_app, SEVEN)
    state = state_of(at)
    trainer = state.trainer
    theta = trainer.network.theta.copy()
    twin_update = trainer.step_on(state.drawn_image[None, :], np.array([7.0]), mode="predict", apply=False).update
    at = pick_label(at, "7")
    assert_clean(at)
    correction = state_of(at).correction
    assert correction is not None and correction.label == 7
    np.testing.assert_array_equal(trainer.network.theta - theta, twin_update)
    assert trainer.epoch == 0  # a step on one example is not an epoch
    texts = " ".join(m.value for m in at.markdown)
    assert f"**{correction.weights_changed:,} of {correction.weights:,} weights**" in texts
    assert f"{correction.loss_before:.3f} → {correction.loss_after:.3f}" in texts
    figures = bar_figures(at)
    assert figures["bars_after"]["data"][0]["name"] == "before the step"
    assert figures["update"]["layout"]["meta"]["units"]  # the units whose weights moved most
    at = at.button(key="pad_again").click().run()
    assert_clean(at)
    assert state_of(at).correction_steps == 2
    assert any("After 2 steps on your 7" in m.value for m in at.markdown)


def test_a_step_waits_for_pause(mnist_app):
    at = draw(mnist_app, SEVEN)
    state_of(at).playing = True
    at = pick_label(at, "3")
    state = state_of(at)
    assert state.correction is None  # (playing trained the run: only the step is refused)
    assert state.pad_message is not None and "Pause" in state.pad_message[1]
    state.playing = False


def test_the_drawing_joins_the_training_data_and_the_walkthrough_follows_it(mnist_app):
    at = pick_label(draw(mnist_app, SEVEN), "7")
    n_train = state_of(at).trainer.y_train.shape[0]
    at = at.button(key="pad_add").click().run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.y_train.shape[0] == n_train + 1 and trainer.y_train[-1] == 7
    np.testing.assert_array_equal(trainer.X_train[-1], state_of(at).drawn_image)
    assert any(f"training row {n_train:,}" in s.value for s in at.success)
    at = at.button(key="pad_walk").click().run()
    assert_clean(at)
    state = state_of(at)
    assert state.walkthrough_index == GIVEN
    assert any("Your drawn digit" in m.value for m in at.markdown)


def test_a_blank_or_strange_drawing_is_no_digit(mnist_app):
    at = draw(mnist_app, [])
    assert_clean(at)
    assert state_of(at).drawn_image is None
    at.session_state[injected_ink_key("pad")] = np.full((50, 50), np.nan)
    at = at.run()
    assert_clean(at)
    assert state_of(at).drawn_image is None
