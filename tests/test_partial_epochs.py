"""Training within an epoch (``Trainer.train_until``): the live view of data whose epoch is longer than a frame
(MNIST) updates by batches, and the run stays the same, batch for batch, as whole epochs."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer
from playground.ui import pacing, status
from playground.ui.state import PlaygroundState

CONFIGS = {
    "mnist": TrainingConfig(dataset="mnist", train_size=300, hidden_layers=(8,), activations=("relu",), batch_size=10),
    "schedule-adam": TrainingConfig(optimizer="adam", lr_schedule="step", lr_decay_epochs=2, batch_size=7),
    "batch-norm-dropout-clip": TrainingConfig(normalization="batch", batch_size=7, dropout=0.2, gradient_clip=0.5),
    "l2-early-stopping": TrainingConfig(regularization="l2", regularization_rate=0.01, early_stopping=2),
}


def train_in_slices(trainer: Trainer, epochs: int, slice_seconds: float) -> int:
    """``epochs`` epochs by ``train_until`` calls of ``slice_seconds`` each; returns the number of calls."""
    done = calls = 0
    while done < epochs and trainer.can_train:
        done += trainer.train_until(time.perf_counter() + slice_seconds, epochs - done)
        calls += 1
    return calls


@pytest.mark.parametrize("name", CONFIGS)
def test_training_in_slices_of_an_epoch_equals_whole_epochs(name):
    whole, sliced = Trainer(CONFIGS[name], record_every=1), Trainer(CONFIGS[name], record_every=1)
    whole.train(4)
    calls = train_in_slices(sliced, 4, slice_seconds=0.0)  # a deadline already past: one batch per call
    assert calls > 4  # it did stop mid-epoch
    assert sliced.epoch == whole.epoch
    np.testing.assert_array_equal(sliced.network.theta, whole.network.theta)
    np.testing.assert_array_equal(sliced.network.statistics, whole.network.statistics)
    assert sliced.history.to_frame().equals(whole.history.to_frame())


def test_a_stop_mid_epoch_shows_its_progress_and_train_finishes_that_epoch_first():
    trainer, reference = Trainer(CONFIGS["mnist"]), Trainer(CONFIGS["mnist"])
    batches = len(trainer._batches())  # 30 batches of 10
    trainer.reset()
    assert trainer.epoch_progress == 0.0
    for expected in range(1, 8):
        assert trainer.train_until(time.perf_counter() - 1.0, 5) == 0
        assert trainer.epoch == 0 and trainer.epoch_progress == pytest.approx(expected / batches)
    before = trainer.network.theta.copy()
    assert not np.array_equal(before, trainer.initial_theta)  # the batches so far did move the weights
    assert trainer.train(2) == 2  # the epoch under way, then one more
    reference.train(2)
    assert trainer.epoch == 2 and trainer.epoch_progress == 0.0
    np.testing.assert_array_equal(trainer.network.theta, reference.network.theta)


def test_an_epoch_that_ends_when_the_time_is_up_is_recorded():
    trainer = Trainer(CONFIGS["mnist"], record_every=5)
    while trainer.epoch < 3:
        trainer.train_until(time.perf_counter() + 0.002, 100)
        if trainer.epoch_progress == 0.0:
            assert trainer.history.latest["epoch"] == trainer.epoch


@pytest.mark.parametrize("batches_before_the_deadline", range(1, 70))
def test_an_epoch_that_ends_a_call_is_recorded_wherever_the_deadline_falls(monkeypatch, batches_before_the_deadline):
    # A clock that ticks once per reading: the deadline falls after every possible batch and check, in turn.
    # Seen in CI under load: the epoch ended just before the deadline (not recorded), the next check was past it,
    # and the call returned with no epoch under way and the history a row behind.
    ticks = iter(range(10**6))
    monkeypatch.setattr("playground.training.trainer.time.perf_counter", lambda: float(next(ticks)))
    trainer = Trainer(replace(CONFIGS["mnist"], train_size=100), record_every=5)  # 10 batches an epoch
    for _ in range(4):
        trainer.train_until(float(next(ticks) + batches_before_the_deadline), 100)
        if trainer.epoch_progress == 0.0:
            assert trainer.history.latest["epoch"] == trainer.epoch


@pytest.mark.parametrize(
    "change, keeps_position",
    [({"learning_rate": 0.1}, True), ({"batch_size": 20}, False), ({"hidden_layers": (4,)}, False)],
)
def test_a_new_setting_mid_epoch_goes_on_or_ends_the_epoch_under_way(change, keeps_position):

    trainer = Trainer(CONFIGS["mnist"])
    trainer.train_until(time.perf_counter() - 1.0, 1)
    trainer.train_until(time.perf_counter() - 1.0, 1)
    progress = trainer.epoch_progress
    assert progress > 0
    trainer.apply_config(replace(trainer.config, **change))
    assert trainer.epoch_progress == (progress if keeps_position else 0.0)
    assert trainer.train(1) == 1 and trainer.epoch_progress == 0.0


def test_reset_ends_an_epoch_under_way():
    trainer = Trainer(CONFIGS["mnist"])
    trainer.train_until(time.perf_counter() - 1.0, 1)
    assert trainer.epoch_progress > 0
    trainer.reset()
    assert trainer.epoch_progress == 0.0 and trainer.epoch == 0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_train_until_names_a_bad_epoch_count(bad):
    with pytest.raises(ValueError, match="max_epochs"):
        Trainer().train_until(time.perf_counter() + 1, bad)


def test_train_until_names_a_bad_deadline():
    with pytest.raises(ValueError, match="deadline"):
        Trainer().train_until(float("nan"), 1)


def test_the_epoch_cost_estimate_grows_with_the_work_and_is_known_before_training():
    small, large = Trainer(), Trainer(CONFIGS["mnist"])
    assert 0 < small.epoch_seconds_estimate < large.epoch_seconds_estimate
    assert Trainer(replace(CONFIGS["mnist"], batch_size=1)).epoch_seconds_estimate > large.epoch_seconds_estimate


def test_a_frame_on_long_epochs_stops_within_its_time_and_shows_the_epoch_under_way():
    state = PlaygroundState(trainer=Trainer(TrainingConfig(dataset="mnist", hidden_layers=(32,), batch_size=10)))
    state.playing, state.speed = True, 1
    assert pacing.has_long_epochs(state.trainer)
    pacing.frame_epochs(state, max_seconds=0.016)
    # 800 batches of 10: a frame's slice (LONG_EPOCH_FRAME_SECONDS) ends long before the epoch does.
    assert state.trainer.epoch == 0 and 0 < state.trainer.epoch_progress < 1
    epoch = dict(status.status_metrics(state, state.trainer))["Epoch"]
    assert epoch == f"{state.trainer.epoch_progress:.1f}"


@pytest.mark.parametrize("config", [TrainingConfig(), TrainingConfig(dataset="digits", hidden_layers=(32, 16))])
def test_a_frame_on_short_epochs_trains_its_whole_epochs(config):
    state = PlaygroundState(trainer=Trainer(config))
    state.playing, state.speed = True, 5
    assert not pacing.has_long_epochs(state.trainer)
    assert pacing.frame_epochs(state, max_seconds=0.016) == 5 and state.trainer.epoch == 5
