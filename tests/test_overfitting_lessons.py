"""Lesson 12 (memorising vs generalising), measured with the engine over weight seeds 0-2 (data seed 0).

Every claim of its text is checked at the epoch it names; the figures it quotes for seed 0 are read off the
page by ``test_lesson_screens.py``. A run is 500 epochs of 5 mini-batches: about a second.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest

from playground.engine.network import parameter_count
from playground.teaching.lessons import LESSONS, MEMORISING
from playground.training.trainer import Trainer

SEEDS = (0, 1, 2)
LESSON = LESSONS["memorising"]


@functools.cache
def evaluated(config, seed: int, epochs: int) -> tuple[dict, Trainer]:
    """Exact full-set figures after ``epochs`` (what the page's status block shows when paused)."""
    trainer = Trainer(replace(config, weight_seed=seed))
    trainer.train(epochs)
    return trainer.evaluate(), trainer


def gap(figures: dict) -> float:
    return figures["test_loss"] - figures["train_loss"]


def test_the_lesson_is_a_big_network_on_few_noisy_points():
    config = LESSON.config_a
    assert config == MEMORISING and parameter_count(config.layer_sizes) == 2241
    _, trainer = evaluated(config, 0, 0)
    assert trainer.y_train.shape[0] == 50 and int(trainer.flipped.sum()) == 8  # "50 XOR points, 8 flipped"
    assert LESSON.config_b == replace(config, regularization="l2", regularization_rate=0.003)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_learns_xor_first_then_memorises_the_noise(seed):
    early, _ = evaluated(LESSON.config_a, seed, 100)
    late, _ = evaluated(LESSON.config_a, seed, 500)
    # At epoch 100 it has learned XOR: train and test alike (measured 0.26-0.30 / 0.28-0.33).
    assert early["test_loss"] < 0.35 and abs(gap(early)) < 0.1
    # At epoch 500 it has memorised: train loss near 0, test loss climbed (measured 0.02-0.06 / 0.65-1.04).
    assert late["train_loss"] < 0.07 and late["train_accuracy"] >= 0.98
    assert late["test_loss"] > 2 * early["test_loss"] and gap(late) > 0.5
    assert late["test_accuracy"] < early["test_accuracy"]


@pytest.mark.parametrize(
    "cure",
    [
        dict(regularization="l2", regularization_rate=0.003),
        dict(dropout=0.3),
        dict(early_stopping=50),
    ],
    ids=["l2", "dropout", "early_stopping"],
)
@pytest.mark.parametrize("seed", SEEDS)
def test_each_cure_closes_most_of_the_gap(seed, cure):
    memorised, _ = evaluated(LESSON.config_a, seed, 500)
    cured, trainer = evaluated(replace(LESSON.config_a, **cure), seed, 500)
    # Measured at epoch 500: L2 gap -0.01, test 0.34-0.36; dropout gap 0.08-0.15, test 0.39-0.44;
    # early stopping (stops at epochs 87-136) gap < 0, test 0.24-0.26. Without a cure: gap 0.58-1.0.
    assert gap(cured) < 0.3 * gap(memorised)
    assert cured["test_loss"] < 0.45 < memorised["test_loss"]
    if "early_stopping" in cure:
        assert trainer.stopped_early and trainer.epoch < 500


def test_the_text_s_figures_for_seed_0():
    """The numbers the lesson quotes (the page reads them at its stops: test_lesson_screens.py)."""
    a_100, _ = evaluated(LESSON.config_a, 0, 100)
    a_500, _ = evaluated(LESSON.config_a, 0, 500)
    b_500, _ = evaluated(LESSON.config_b, 0, 500)
    assert (round(a_100["train_loss"], 2), round(a_100["test_loss"], 2)) == (0.26, 0.30)
    assert (round(a_500["train_loss"], 2), round(a_500["train_accuracy"], 2)) == (0.06, 0.98)
    assert (round(a_500["test_loss"], 2), round(a_500["test_accuracy"], 2)) == (0.65, 0.76)
    assert 0.36 <= round(b_500["train_loss"], 2) <= 0.37 and 0.36 <= round(b_500["test_loss"], 2) <= 0.37
    assert round(b_500["test_accuracy"], 2) == 0.84
    dropout, _ = evaluated(replace(LESSON.config_a, dropout=0.3), 0, 500)
    stopped, _ = evaluated(replace(LESSON.config_a, early_stopping=50), 0, 500)
    assert round(dropout["test_loss"], 2) == 0.40 and round(stopped["test_loss"], 2) == 0.24


# ---- 13. the learning rate on the loss landscape ---------------------------------------------------
LANDSCAPE_LESSON = LESSONS["learning_rate_landscape"]


@functools.cache
def valley_run(rate: float, seed: int, epochs: int) -> tuple[dict, Trainer, float]:
    """(exact figures, the trainer, the share of epochs whose step turns back along the landscape's direction 1)."""
    from playground.teaching.landscape import loss_landscape

    trainer = Trainer(replace(LANDSCAPE_LESSON.config_a, learning_rate=rate, weight_seed=seed))
    trainer.train(epochs)
    steps = np.diff(loss_landscape(trainer, resolution=5).path[:, 0])
    return trainer.evaluate(), trainer, float(np.mean(steps[1:] * steps[:-1] < 0))


def test_lesson_13_is_gradient_descent_at_3_against_10():
    a, b = LANDSCAPE_LESSON.config_a, LANDSCAPE_LESSON.config_b
    assert a.batch_size >= a.n_train and a.optimizer == "sgd"  # the whole set: one exact downhill step an epoch
    assert (a.learning_rate, b.learning_rate) == (3.0, 10.0) and replace(b, learning_rate=3.0) == a


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_13_the_right_rate_runs_down_the_valley_the_large_one_bounces(seed):
    right, _, right_turns = valley_run(3.0, seed, 100)
    large, large_trainer, large_turns = valley_run(10.0, seed, 100)
    start = large_trainer.history.to_frame().train_loss.iloc[0]
    # Measured: rate 3 turns back at 0-6 % of its epochs and reaches 0.075-0.098; rate 10 at 88-97 %, 3.7-9.4.
    assert right_turns <= 0.1 and right["train_loss"] < 0.1 and right["test_accuracy"] >= 0.99
    assert large_turns >= 0.85 and large["train_loss"] > start > 0.69
    # Too small: 0.03 has barely moved (0.70-0.71 after 100 epochs).
    small, _, _ = valley_run(0.03, seed, 100)
    assert small["train_loss"] > 0.69


def test_lesson_13_answer_the_best_rate_is_just_below_the_one_that_bounces():
    losses = {rate: [valley_run(rate, seed, 100)[0]["train_loss"] for seed in SEEDS] for rate in (3.0, 6.0, 7.0, 8.0)}
    assert max(losses[7.0]) < 0.03 < min(losses[3.0])  # "0.01-0.03 over three weight seeds, the lowest"
    assert max(losses[7.0]) < min(losses[6.0]) or np.mean(losses[7.0]) < np.mean(losses[6.0])
    assert min(losses[8.0]) > 4  # "8 already bounces (4-9)"


def test_lesson_13_the_text_s_figures_for_seed_0():
    right, _, right_turns = valley_run(3.0, 0, 100)
    large, large_trainer, large_turns = valley_run(10.0, 0, 100)
    assert round(right["train_loss"], 3) == 0.075 and right_turns <= 0.1 and round(right["test_accuracy"], 3) == 0.996
    assert round(large["train_loss"], 2) == 3.66 and round(large_turns, 2) == 0.88
    assert round(float(large_trainer.history.to_frame().train_loss.iloc[0]), 2) == 0.73
    small, _, _ = valley_run(0.03, 0, 100)
    assert round(small["train_loss"], 2) == 0.71
