"""One backprop step on one given example (a drawn digit): ``playground.teaching.correction`` and the walkthrough's
given example, and adding a drawn digit to the training data."""

from __future__ import annotations

import numpy as np
import pytest

from playground.teaching.correction import learn_from_example, steps_to_learn
from playground.teaching.walkthrough import GIVEN, STEP_MODE, walkthrough
from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer

MNIST = TrainingConfig(
    dataset="mnist", train_size=300, hidden_layers=(12,), activations=("relu",), batch_size=10, learning_rate=0.01
)
DIGITS_ADAM = TrainingConfig(dataset="digits", hidden_layers=(16, 8), activations=("tanh", "relu"), optimizer="adam")


def trained(config: TrainingConfig, epochs: int = 2) -> Trainer:
    trainer = Trainer(config)
    trainer.train(epochs)
    return trainer


def a_mistake(trainer: Trainer) -> tuple[np.ndarray, int]:
    """A test image the network gets wrong, and its true label."""
    guesses = trainer.predict_proba(trainer.X_test).argmax(axis=1)
    wrong = np.flatnonzero(guesses != trainer.y_test)
    assert wrong.size, "the network should still make mistakes after a short training"
    return trainer.X_test[wrong[0]], int(trainer.y_test[wrong[0]])


@pytest.mark.parametrize("config", [MNIST, DIGITS_ADAM], ids=["mnist-sgd", "digits-adam"])
def test_the_step_is_the_trainers_own_step_on_that_one_example(config):
    trainer = trained(config)
    twin = Trainer(config)
    twin.train(2)
    image, label = a_mistake(trainer)
    correction = learn_from_example(trainer, image, label)
    own = twin.step_on(image[None, :], np.array([label]), mode=STEP_MODE)
    np.testing.assert_array_equal(trainer.network.theta, twin.network.theta)
    np.testing.assert_array_equal(correction.step.update, own.update)
    assert trainer.epoch == 2  # one step on one example is not an epoch
    side = trainer.image_side
    W_before = correction.step.weights[0]
    W_after = trainer.network.weights[0]
    for unit in range(W_after.shape[1]):
        np.testing.assert_array_equal(
            correction.first_layer_update[unit], (W_after[:, unit] - W_before[:, unit]).reshape(side, side)
        )


def test_with_plain_sgd_each_units_update_is_the_image_times_its_error_and_blank_pixels_stay():
    trainer = trained(MNIST)
    image, label = a_mistake(trainer)
    correction = learn_from_example(trainer, image, label)
    delta = correction.step.deltas[0]  # (n_units,)
    expected = -MNIST.learning_rate * np.outer(image, delta)  # dL/dW_1 = x delta^T
    np.testing.assert_allclose(correction.step.update_weights[0], expected, rtol=1e-12, atol=1e-15)
    assert np.all(correction.first_layer_update[:, image.reshape(28, 28) == 0] == 0)
    moved_first = np.count_nonzero(correction.step.update_weights[0])
    assert moved_first == np.count_nonzero(image) * np.count_nonzero(delta)
    assert correction.weights == sum(W.size for W in trainer.network.weights)
    assert moved_first <= correction.weights_changed < correction.weights


def test_the_guess_and_the_loss_before_and_after_are_the_networks():
    trainer = trained(MNIST)
    image, label = a_mistake(trainer)
    before = trainer.predict_proba(image[None, :])[0]
    correction = learn_from_example(trainer, image, label)
    np.testing.assert_allclose(correction.probabilities_before, before, rtol=1e-12)
    np.testing.assert_allclose(correction.probabilities_after, trainer.predict_proba(image[None, :])[0], rtol=1e-12)
    assert correction.guess_before == int(np.argmax(before)) != label
    assert correction.loss_before == pytest.approx(-np.log(before[label]), rel=1e-9)
    assert correction.loss_after < correction.loss_before  # one gradient step down on this example's loss
    assert correction.probabilities_after[label] > correction.probabilities_before[label]


def test_steps_on_a_mistake_correct_it():
    trainer = trained(MNIST)
    image, label = a_mistake(trainer)
    steps = steps_to_learn(trainer, image, label, max_steps=20)
    assert steps is not None and steps >= 1
    assert int(trainer.predict_proba(image[None, :])[0].argmax()) == label


def test_the_walkthrough_of_a_given_example_equals_that_of_the_same_example_as_a_training_row():
    trainer = trained(MNIST)
    image, label = a_mistake(trainer)
    given = walkthrough(trainer, 0, example=(image, label))
    trainer.add_training_examples(image[None, :], np.array([label]))
    row = walkthrough(trainer, trainer.y_train.shape[0] - 1)
    assert given.index == GIVEN
    np.testing.assert_array_equal(given.update, row.update)
    assert given.loss == row.loss and given.label == row.label


@pytest.mark.parametrize(
    "image, label, message",
    [
        (np.zeros(64), 3, "28x28"),
        (np.zeros(784), 10, "class from 0 to 9"),
        (np.zeros(784), 2.5, "class from 0 to 9"),
        (np.zeros(784), float("nan"), "class from 0 to 9"),
    ],
)
def test_a_wrong_image_or_label_is_named(image, label, message):
    trainer = Trainer(MNIST)
    theta = trainer.network.theta.copy()
    with pytest.raises(ValueError, match=message):
        learn_from_example(trainer, image, label)
    np.testing.assert_array_equal(trainer.network.theta, theta)


def test_points_data_has_no_drawn_digits():
    with pytest.raises(ValueError, match="image dataset"):
        learn_from_example(Trainer(), np.zeros(2), 0)


def test_a_drawn_digit_added_to_the_training_data_is_trained_on_from_the_next_epoch():
    trainer = trained(MNIST, epochs=1)
    n_train, history_rows = trainer.y_train.shape[0], len(trainer.history.to_frame())
    image = np.zeros(784)
    image[300:310] = 1.0
    trainer.add_training_examples(image[None, :], np.array([7]))
    assert trainer.y_train.shape[0] == n_train + 1 and trainer.y_train[-1] == 7
    np.testing.assert_array_equal(trainer.X_train[-1], image)
    assert trainer.T_train.shape[0] == n_train + 1 and trainer.T_train[-1].argmax() == 7
    assert not trainer.flipped[-1] and trainer.y_train_clean[-1] == 7
    assert len(trainer.history.to_frame()) == history_rows and trainer.epoch == 1  # the run goes on
    batches = trainer._batches()
    assert sum(X.shape[0] for _, X, _ in batches) == n_train + 1
    trainer.train(1)
    assert trainer.epoch == 2 and np.all(np.isfinite(trainer.network.theta))


def test_adding_examples_names_bad_labels():
    trainer = Trainer(MNIST)
    with pytest.raises(ValueError, match="classes from 0 to 9"):
        trainer.add_training_examples(np.zeros((1, 784)), np.array([12]))
    with pytest.raises(ValueError, match="2 finite numbers"):
        trainer.add_training_examples(np.zeros((2, 784)), np.array([1]))
    assert trainer.y_train.shape[0] == MNIST.train_size
