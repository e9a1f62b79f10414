"""No silent charts: the notes that say why a chart is empty or flat (playground/teaching/notes.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from playground import Trainer, TrainingConfig
from playground.teaching.notes import OSCILLATION_MIN_ROWS, chart_notes, oscillation, oscillation_note

# Six "+" clicks from [4, 2] used to copy the last width: ReLU + He on it is dead at epoch 0.
DEAD_CONFIG = TrainingConfig(hidden_layers=(4, 2, 2, 2, 2, 2, 2, 2), activations=("relu",) * 8, initializer="he_normal")


def kinds(notes) -> list[str]:
    return [note.kind for note in notes]


def test_a_dead_network_says_no_gradient_reaches_its_weights_and_which_layer_is_dead():
    trainer = Trainer(DEAD_CONFIG)
    row = trainer.history.latest
    top = max(l for l in range(1, 9) if row[f"dead{l}"] == 1.0)
    assert all(row[f"grad_norm_W{l}"] == 0.0 for l in range(1, top + 2))  # the empty log-axis chart
    notes = chart_notes(trainer)
    assert kinds(notes) == ["dead"]
    level, text = notes[0]
    assert level == "warning"
    assert f"every unit of hidden layer {top} outputs 0" in text
    assert "No gradient reaches" in text and "leaky ReLU" in text
    assert notes[0].chart == "gradients" and f"hidden layer {top} is dead" in notes[0].short
    trainer.train(3)  # still dead, and it was so from the start
    notes = chart_notes(trainer)
    assert kinds(notes) == ["dead"] and "dead from the start (epoch 0)" in notes[0].text
    assert "another weight seed" in notes[0].text


def test_a_dead_layer_that_cuts_off_only_the_lower_weights_names_them():
    row = {"epoch": 5, "dead1": 0.0, "dead2": 1.0, "grad_norm_W1": 0.0, "grad_norm_W2": 0.0, "grad_norm_W3": 0.0}
    row["grad_norm_W4"] = 0.1
    from playground.teaching.notes import dead_network_note

    note = dead_network_note(row, 4)
    assert "No gradient reaches W1–W3" in note.text and "hidden layer 2" in note.text
    assert "a smaller learning rate" in note.text  # not dead at birth: the learning rate may have killed it


def test_zero_gradients_without_a_dead_layer_are_said_too():
    trainer = Trainer(TrainingConfig(initializer="zeros"))  # tanh(0) = 0: no error passes back
    notes = chart_notes(trainer)
    assert kinds(notes) == ["zero_gradient"]
    assert "exactly 0" in notes[0].text and "started at 0" in notes[0].text


@pytest.mark.parametrize("config", [TrainingConfig(), TrainingConfig(hidden_layers=(8, 8), activations=("relu",) * 2)])
def test_a_healthy_network_gets_no_note(config):
    trainer = Trainer(config)
    trainer.train(30)
    assert chart_notes(trainer) == []


def test_the_detector_fires_on_a_loss_swinging_between_one_and_three():
    losses = np.array([0.7, 1.0, 3.1, 1.2, 2.9, 1.0, 3.0, 1.1, 2.8, 1.0, 3.0, 1.3])
    found = oscillation(np.arange(len(losses)), losses, initial_loss=0.7)
    assert found is not None and (found.low, found.high) == (0.7, 3.1)
    note = oscillation_note(np.arange(len(losses)), losses, 0.7, learning_rate=10.0)
    assert note.chart == "loss" and "oscillating** (between 0.7 and 3.1" in note.text
    assert "learning rate (10) is too large" in note.text and "10× smaller (1)" in note.text


@pytest.mark.parametrize(
    "losses",
    [
        np.linspace(0.7, 0.05, 12),  # falling fast: large range, no reversals
        0.3 + 0.03 * np.resize([1, -1], 12),  # noisy SGD: reversals, small range
        np.array([0.7, 0.5, 0.4, 0.35, 1.2, 0.3, 0.28, 0.27, 0.26, 0.25, 0.25, 0.24]),  # one spike, recovered
        np.array([0.7, 1.0, 3.0, 1.0, np.nan, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0]),  # NaN: the divergence message
    ],
)
def test_the_detector_does_not_fire_on_a_descent_noise_or_one_spike(losses):
    assert oscillation(np.arange(len(losses)), losses, initial_loss=0.7) is None


def test_the_detector_needs_enough_rows():
    losses = np.resize([1.0, 3.0], OSCILLATION_MIN_ROWS - 1)
    assert oscillation(np.arange(len(losses)), losses, initial_loss=0.7) is None


def test_a_learning_rate_of_10_on_the_default_network_is_called_oscillating():
    trainer = Trainer(dataclasses.replace(TrainingConfig(), learning_rate=10.0))
    for _ in range(20):  # stepped, one epoch at a time
        trainer.train(1)
    assert not trainer.diverged
    notes = chart_notes(trainer)
    assert kinds(notes) == ["oscillation"]
    assert "learning rate (10) is too large" in notes[0].text


@pytest.mark.parametrize("dataset", ["circle", "xor", "gaussians", "spiral", "moons", "blobs", "bumps"])
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_noisy_sgd_with_batch_size_1_is_not_called_oscillating(dataset, noise):
    """The default network and learning rate, one point per step: noisy, but it settles (or is stuck)."""
    trainer = Trainer(dataclasses.replace(TrainingConfig(), dataset=dataset, noise=noise, batch_size=1))
    for _ in range(60):
        trainer.train(1)
        assert "oscillation" not in kinds(chart_notes(trainer)), (trainer.epoch, trainer.history_frame.train_loss)


def test_replay_shows_the_notes_of_the_shown_epoch():
    trainer = Trainer(dataclasses.replace(TrainingConfig(), learning_rate=10.0))
    trainer.train(100)  # one call: a row every few epochs (record_every), enough rows by now
    assert trainer.record_every > 1 and "oscillation" in kinds(chart_notes(trainer))
    assert chart_notes(trainer, upto=0) == []  # one row: nothing to judge yet


def test_a_diverged_run_gets_no_note():
    trainer = Trainer(
        TrainingConfig(
            hidden_layers=(8, 8, 8),
            activations=("linear",) * 3,
            initializer="normal",
            init_sigma=3.0,
            learning_rate=10.0,
        )
    )
    trainer.train(20)
    assert trainer.diverged and chart_notes(trainer) == []


def test_plus_adds_a_layer_as_wide_as_the_widest_so_far():
    from playground.ui.session import DEFAULT_LAYER_WIDTH, added_layer_width

    hidden = (4, 2)
    for _ in range(6):
        hidden = (*hidden, added_layer_width(hidden))
    assert hidden == (4, 2, 4, 4, 4, 4, 4, 4)
    assert added_layer_width((3, 16, 8)) == 16
    assert added_layer_width(()) == DEFAULT_LAYER_WIDTH == max(TrainingConfig().hidden_layers)


def test_a_note_is_written_in_the_middle_of_the_chart():
    from playground.plots.history import with_note

    figure = with_note({"data": [], "layout": {"annotations": [{"text": "kept"}]}}, "No gradient:<br>layer 2 is dead")
    note = figure["layout"]["annotations"][-1]
    assert figure["layout"]["annotations"][0] == {"text": "kept"}
    assert note["name"] == "note" and note["xref"] == note["yref"] == "paper" and (note["x"], note["y"]) == (0.5, 0.5)
    assert with_note({"data": [], "layout": {}}, None) == {"data": [], "layout": {}}
