"""Label noise, early stopping and learning-rate schedules (issue 19): the engine side."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from playground import Trainer, TrainingConfig
from playground.data.datasets import flip_labels
from playground.training.schedules import COSINE_FLOOR, learning_rate_at, learning_rates

# The overfitting setting: a big network on 60 noisy XOR points memorises.
MEMORISING = TrainingConfig(
    dataset="xor", n_points=60, noise=0.3, hidden_layers=(32, 32, 32), optimizer="adam", learning_rate=0.01
)


# ---- label noise ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "config",
    [
        TrainingConfig(dataset="circle", label_noise=0.2),
        TrainingConfig(dataset="spiral", n_classes=4, label_noise=0.3),
        TrainingConfig(dataset="digits", label_noise=0.1),
        TrainingConfig(dataset="bumps", label_noise=0.25),
    ],
    ids=["binary", "multiclass", "digits", "regression"],
)
def test_label_noise_flips_its_share_of_training_labels_only(config):
    clean, noisy = Trainer(replace(config, label_noise=0.0)), Trainer(config)
    n_train = clean.y_train.shape[0]
    changed = noisy.y_train != clean.y_train
    assert changed.sum() == round(config.label_noise * n_train)
    np.testing.assert_array_equal(changed, noisy.flipped)
    np.testing.assert_array_equal(noisy.y_train_clean, clean.y_train)
    # The test labels, the points and their split are the clean run's.
    np.testing.assert_array_equal(noisy.y_test, clean.y_test)
    np.testing.assert_array_equal(noisy.train_points, clean.train_points)
    np.testing.assert_array_equal(noisy.X_test, clean.X_test)
    if config.classes:  # a flipped label is another valid class
        assert set(np.unique(noisy.y_train)) <= set(range(config.classes))
    else:  # a regression target is another training point's target
        assert np.isin(noisy.y_train[changed], clean.y_train).all()


def test_label_noise_replays_exactly_and_a_new_data_seed_flips_other_points():
    config = TrainingConfig(dataset="xor", label_noise=0.3)
    first, again = Trainer(config), Trainer(config)
    np.testing.assert_array_equal(first.flipped, again.flipped)
    first.train(20)
    again.train(20)
    np.testing.assert_array_equal(first.network.theta, again.network.theta)
    other = Trainer(replace(config, data_seed=1))
    assert other.flipped.sum() == first.flipped.sum()
    assert not np.array_equal(other.train_points[other.flipped], first.train_points[first.flipped])


def test_flip_labels_changes_every_chosen_label():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(5.0), 20)
    noisy, changed = flip_labels(y, 0.5, 5, rng)
    assert changed.sum() == 50
    assert np.all(noisy[changed] != y[changed]) and np.all(noisy[~changed] == y[~changed])


def test_label_noise_out_of_range_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="label_noise"):
        TrainingConfig(label_noise=0.6)


# ---- early stopping ------------------------------------------------------------------------------
def test_early_stopping_stops_after_its_patience_and_restores_the_best_weights():
    patience = 40
    stopping = Trainer(replace(MEMORISING, early_stopping=patience), record_every=1)
    trained = stopping.train(600)
    assert stopping.stopped_early_at == trained < 600
    assert stopping.stopped_early_at - stopping.best_epoch == patience
    # The best epoch is where the test loss (as the history shows it) was lowest up to the stop ...
    frame = stopping.history_frame
    seen = frame[frame.epoch < stopping.stopped_early_at]
    assert stopping.best_epoch == int(seen.epoch[seen.test_loss.idxmin()])
    assert stopping.best_test_loss == pytest.approx(seen.test_loss.min(), rel=1e-12)
    # ... and the weights now are that epoch's: a plain run replayed to it has the same ones.
    plain = Trainer(MEMORISING, record_every=1)
    plain.train(stopping.best_epoch)
    np.testing.assert_array_equal(stopping.network.theta, plain.network.theta)
    # The last row (at the stop) is measured at the restored weights.
    assert frame.epoch.iloc[-1] == stopping.stopped_early_at
    assert frame.test_loss.iloc[-1] == pytest.approx(stopping.best_test_loss, rel=1e-12)
    assert frame.epoch.is_unique
    # A stopped run trains no more until a setting changes or Reset.
    assert stopping.train(10) == 0
    stopping.reset()
    assert not stopping.stopped_early and stopping.train(5) == 5


def test_early_stopping_closes_most_of_the_memorising_gap():
    plain = Trainer(MEMORISING)
    plain.train(600)
    stopping = Trainer(replace(MEMORISING, early_stopping=50))
    stopping.train(600)
    memorised, stopped = plain.evaluate(), stopping.evaluate()
    assert memorised["train_loss"] < 0.01 and memorised["test_loss"] > 1.0  # the figures
    assert stopped["test_loss"] < 0.6 * memorised["test_loss"]


def test_raising_the_patience_after_a_stop_trains_on_from_the_restored_weights():
    trainer = Trainer(replace(MEMORISING, early_stopping=10))
    trainer.train(600)
    stopped_at, theta = trainer.stopped_early_at, trainer.network.theta.copy()
    assert stopped_at is not None
    assert trainer.apply_config(replace(trainer.config, early_stopping=0)) == "training"
    assert not trainer.stopped_early and trainer.epoch == stopped_at
    np.testing.assert_array_equal(trainer.network.theta, theta)
    assert trainer.train(5) == 5


# ---- learning-rate schedules ---------------------------------------------------------------------
def test_each_schedule_gives_its_rates():
    base = TrainingConfig(learning_rate=0.1, lr_decay_epochs=10, lr_step_factor=0.5, lr_warmup_epochs=4)
    constant = learning_rates(base, 30)
    np.testing.assert_allclose(constant, 0.1)
    step = learning_rates(replace(base, lr_schedule="step"), 30)
    np.testing.assert_allclose(step, 0.1 * 0.5 ** (np.arange(30) // 10))
    cosine = learning_rates(replace(base, lr_schedule="cosine"), 30)
    assert cosine[0] == pytest.approx(0.1)
    assert cosine[5] == pytest.approx(0.1 * (COSINE_FLOOR + (1 - COSINE_FLOOR) / 2))  # halfway: the mean
    np.testing.assert_allclose(cosine[10:], 0.1 * COSINE_FLOOR)  # held at the floor after the decay
    assert np.all(np.diff(cosine[:11]) < 0)
    warmup = learning_rates(replace(base, lr_schedule="warmup"), 30)
    np.testing.assert_allclose(warmup[:4], 0.1 * np.arange(1, 5) / 4)
    np.testing.assert_allclose(warmup[4:], cosine[:26])


def test_the_history_records_the_rate_each_epoch_trained_with():
    config = TrainingConfig(lr_schedule="step", lr_decay_epochs=5, learning_rate=0.08)
    trainer = Trainer(config, record_every=1)
    trainer.train(12)
    frame = trainer.history_frame
    np.testing.assert_allclose(frame.learning_rate[1:], [learning_rate_at(config, e - 1) for e in frame.epoch[1:]])
    assert trainer.optimizer.learning_rate == learning_rate_at(config, 11)


def test_a_scheduled_run_equals_a_run_whose_rate_is_set_by_hand_each_epoch():
    config = TrainingConfig(lr_schedule="warmup", lr_warmup_epochs=3, lr_decay_epochs=6, optimizer="momentum")
    scheduled = Trainer(config)
    scheduled.train(10)
    by_hand = Trainer(replace(config, lr_schedule="constant"))
    for epoch in range(10):
        by_hand.optimizer.learning_rate = learning_rate_at(config, epoch)
        by_hand.train(1)
    np.testing.assert_array_equal(scheduled.network.theta, by_hand.network.theta)


@pytest.mark.parametrize(
    "field, value",
    [("lr_schedule", "linear"), ("lr_decay_epochs", 0), ("lr_step_factor", 1.5), ("early_stopping", -1)],
)
def test_bad_schedule_and_stopping_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainingConfig(**{field: value})


def test_the_new_settings_round_trip_through_a_link():
    from playground.training.config import from_query, to_query

    config = TrainingConfig(
        label_noise=0.2, early_stopping=30, lr_schedule="cosine", lr_decay_epochs=250, lr_step_factor=0.3
    )
    parsed, problems = from_query(to_query(config))
    assert problems == [] and parsed == config
    clamped, problems = from_query({"label_noise": "0.9", "lr_schedule": "zigzag"})
    assert clamped.label_noise == 0.5 and clamped.lr_schedule == "constant"
    assert len(problems) == 2 and not math.isnan(clamped.label_noise)
