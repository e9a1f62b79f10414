"""Lesson 14, "Learning from a mistake": the figures its text quotes, over weight seeds 0-2, at its stop epoch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from playground.data.handwriting import image_for, rasterize_strokes
from playground.teaching.correction import learn_from_example
from playground.teaching.lessons import LESSONS
from playground.training.trainer import Trainer

LESSON = LESSONS["learning_from_a_mistake"]
MISTAKES = 40  # test digits the network gets wrong, each corrected from the same weights
MAX_STEPS = 10


def at_stop(seed: int) -> Trainer:
    trainer = Trainer(replace(LESSON.config_a, weight_seed=seed))
    trainer.train(LESSON.stop_epochs[0])
    return trainer


def accuracy_on_test(trainer: Trainer) -> float:
    return float(np.mean(trainer.predict_proba(trainer.X_test).argmax(axis=1) == trainer.y_test))


def corrections(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    """For the first MISTAKES wrong test digits, each from the stop's weights: the steps until the network answers
    the true label (MAX_STEPS + 1: not within MAX_STEPS) and the test accuracy's change, in points."""
    weights, accuracy = trainer.get_weights(), accuracy_on_test(trainer)
    wrong = np.flatnonzero(trainer.predict_proba(trainer.X_test).argmax(axis=1) != trainer.y_test)[:MISTAKES]
    steps, changes = [], []
    for row in wrong:
        trainer.set_weights(weights)  # plain SGD: no optimiser state to restore
        image, label = trainer.X_test[row], int(trainer.y_test[row])
        count = next(
            (n for n in range(1, MAX_STEPS + 1) if learn_from_example(trainer, image, label).guess_after == label),
            MAX_STEPS + 1,
        )
        steps.append(count)
        changes.append(100 * (accuracy_on_test(trainer) - accuracy))
    return np.array(steps), np.array(changes)


def test_the_lesson_is_mnist_with_one_digit_per_step():
    config = LESSON.config_a
    assert config.dataset == "mnist" and config.batch_size == 1 and config.optimizer == "sgd"
    assert config.train_size == 2000 and config.hidden_layers == (32,) and config.learning_rate == 0.005
    assert "2,000 MNIST digits twice" in LESSON.explanation and LESSON.stop_epochs == (2,)
    assert "4,000 training steps" in LESSON.explanation  # 2 epochs of 2,000 one-digit batches


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_figures_the_lesson_quotes(seed):
    trainer = at_stop(seed)
    accuracy = accuracy_on_test(trainer)
    assert 0.85 <= accuracy <= 0.895  # "about 87 % of the 2,000 test digits"
    assert "about 87 %" in LESSON.what_to_look_for
    steps, changes = corrections(trainer)
    assert 0.55 <= np.mean(steps == 1) <= 0.8  # "one step corrects about two in three"
    assert np.mean(steps <= 3) >= 0.9  # "at most three steps nineteen in twenty"
    assert 0.25 <= np.median(np.abs(changes)) <= 1.3  # "typically by half a point to a point"
    assert np.abs(changes).max() <= 8  # "now and then ... by a few points"


def test_a_step_changes_only_the_first_layer_weights_of_inked_pixels():
    """What to look for: "only the weights of pixels with ink moved" (plain SGD, no regulariser)."""
    trainer = at_stop(0)
    wrong = np.flatnonzero(trainer.predict_proba(trainer.X_test).argmax(axis=1) != trainer.y_test)[0]
    image = trainer.X_test[wrong]
    correction = learn_from_example(trainer, image, int(trainer.y_test[wrong]))
    moved_rows = np.flatnonzero(np.any(correction.step.update_weights[0] != 0, axis=1))
    assert set(moved_rows) <= set(np.flatnonzero(image))
    assert correction.loss_after < correction.loss_before


def loop(centre_x: float, centre_y: float, radius_x: float, radius_y: float) -> list[tuple[float, float]]:
    """A closed pen stroke round an ellipse, in the pad's 280x280 pixels."""
    angles = np.linspace(0, 2 * np.pi, 40)
    return list(zip(centre_x + radius_x * np.cos(angles), centre_y + radius_y * np.sin(angles)))


# The lesson's example: an 8 drawn as two round loops, one on the other (a synthetic pen stroke, 20 px wide).
TWO_LOOP_EIGHT = [loop(140, 95, 45, 45), loop(140, 185, 55, 50)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_drawn_eight_is_read_as_a_five_and_one_step_corrects_it_while_the_test_accuracy_barely_moves(seed):
    assert "an 8 drawn as two round loops" in LESSON.explanation and "read as a 5" in LESSON.explanation
    trainer = at_stop(seed)
    image = image_for(trainer, rasterize_strokes(TWO_LOOP_EIGHT))
    accuracy = accuracy_on_test(trainer)
    correction = learn_from_example(trainer, image, 8)
    assert correction.guess_before == 5 and correction.guess_after == 8
    assert correction.loss_after < 0.5 * correction.loss_before
    assert abs(accuracy_on_test(trainer) - accuracy) <= 0.02  # at most 40 of the 2,000 test digits, either way
