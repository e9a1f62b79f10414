"""Lessons 9-11 (the cures for deep networks), measured with the engine over weight seeds 0-2 (data seed 0).

Every claim of a lesson's text is checked here at the epoch the text names, over the seeds; the figures it
quotes for the lesson's own seed (0) are read off the page by ``test_lesson_screens.py``. The measured ranges
in the comments are from weight seeds 0-7 unless they say otherwise.

A run that is chaotic at its stop (``Lesson.chaotic``) is measured over perturbed copies
(``tests/perturbed.py``): the text's figures must hold on every copy of the lesson's own seed, since another
processor trains it as differently as a copy; what other seeds show must hold on most copies.

The runs are small: lesson 9 trains full batches (one step per epoch) of 20 layers of 8 units for 150
epochs, lesson 10 lesson 1's 8 x 16 network for 30 epochs, lesson 11 8 layers of 32 units for 20 epochs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pytest

from playground.teaching.diagnostics import gradient_ratio
from playground.teaching.lessons import (
    CLIP_NORM,
    DEEP_SIGMOID,
    HE_SIGMA_32,
    LESSONS,
    SHALLOW_DEPTH,
    SHALLOW_TANH,
)
from playground.training.history import CLIPPED, GRAD_NORM, TRAIN_LOSS, layer_column
from playground.training.trainer import Trainer
from tests.perturbed import MOST, assert_on_members, ensemble

SEEDS = (0, 1, 2)
LN2 = math.log(2.0)


def trainer_for(config, seed: int, epochs: int = 0, record_every: int | None = None) -> Trainer:
    trainer = Trainer(replace(config, weight_seed=seed), record_every=record_every)
    trainer.train(epochs)
    return trainer


@functools.cache
def trained(config, seed: int, epochs: int) -> Trainer:
    """``trainer_for``, shared by the tests that only read the run (lesson 10's runs, read by three tests)."""
    return trainer_for(config, seed, epochs)


def layer_gradients(trainer: Trainer) -> np.ndarray:
    """‖∂L/∂W_l‖ of every weight layer at the latest row, (n_layers,), layer 1 first: the heatmap's column."""
    row = trainer.history.latest
    return np.array([row[layer_column(GRAD_NORM, l)] for l in range(1, trainer.network.n_layers + 1)])


def per_layer_factor(values) -> float:
    """The geometric mean of values[l + 1] / values[l]: the factor per layer from the first to the last."""
    values = np.asarray(values, dtype=float)
    return float((values[-1] / values[0]) ** (1.0 / (len(values) - 1)))


def batch_spread(trainer: Trainer, n: int = 10) -> list[float]:
    """Per hidden layer: how much its input z = a W + b varies over a mini-batch of n training points (the
    units' standard deviations over the batch, averaged over the units), layer 1 first."""
    cache = trainer.network.forward(trainer.X_train[:n], mode="measure")
    return [float(np.mean(np.std(block.dense.z, axis=0))) for block in cache.pass_.blocks]


def unit_spread(trainer: Trainer, n: int = 10) -> list[float]:
    """Per hidden layer: how much z varies over the units of one example (what layer norm divides by)."""
    cache = trainer.network.forward(trainer.X_train[:n], mode="measure")
    return [float(np.mean(np.std(block.dense.z, axis=1))) for block in cache.pass_.blocks]


# ---- 9. the degradation problem ------------------------------------------------------------------


def test_lesson_9_compares_20_plain_layers_with_the_same_20_with_skips():
    lesson = LESSONS["degradation"]
    a, b = lesson.config_a, lesson.config_b
    assert a.layer_sizes == [2] + [8] * 20 + [1] and set(a.activations) == {"tanh"}
    assert (a.initializer, a.optimizer, a.dataset) == ("glorot_uniform", "adam", "spiral")
    assert replace(b, residual=False) == a and b.residual  # nothing else differs
    # "a skip connection around every hidden layer but the first (which changes the width)"
    assert Trainer(b).network.skips == [False] + [True] * 19
    # "3 such layers": the same units, the same training, only fewer layers.
    assert replace(SHALLOW_TANH, hidden_layers=a.hidden_layers, activations=a.activations) == a
    assert SHALLOW_DEPTH == 3 and len(SHALLOW_TANH.hidden_layers) == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_9_deep_plain_trains_worse_than_shallow_and_skips_train_better(seed):
    lesson = LESSONS["degradation"]
    (epoch,) = lesson.stop_epochs
    assert epoch == 150
    plain, skips = trainer_for(lesson.config_a, seed), trainer_for(lesson.config_b, seed)
    # "Before Play: A's picture is almost white, P(blue) between 0.49 and 0.51 everywhere" (seed 0; over the
    # training points here) "... B's" has strong colours (measured 0.03..0.97 over the square for seed 0).
    assert np.all(np.abs(plain.predict_outputs(plain.X_train) - 0.5) < 0.05)
    assert np.ptp(skips.predict_outputs(skips.X_train)) > 0.5
    # "its 20 narrow layers wash out the differences between points": how much the last hidden layer's outputs
    # vary over the training points, against the first's (measured 0.05..0.22; about 1 with 3 layers).
    spreads = [np.mean(np.std(a, axis=0)) for a in plain.network.forward(plain.X_train).activations[1:]]
    assert spreads[-1] / spreads[0] < 0.25
    # "Gradient flow, left heatmap: each of A's layers is darker than all of B's" (A's largest 0.012..0.035,
    # B's smallest 0.14..0.49).
    assert layer_gradients(plain).max() < layer_gradients(skips).min()
    # "not fading from layer to layer as in lesson 1: its layer 1 receives 10^-1 of the last layer's gradient,
    # not 10^-5": far above the lens's 10^-3 (measured 0.05..1.0).
    assert 1e-2 < gradient_ratio(plain) < 10
    # Both 20-layer runs are chaotic by epoch 150: the text's figures hold on every perturbed copy of the
    # lesson's own seed, the phenomenon on most copies of the others (tests/perturbed.py).
    share = 1.0 if seed == 0 else MOST
    plains, skipped = ensemble(lesson.config_a, epoch, seed), ensemble(lesson.config_b, epoch, seed)
    shallow = trainer_for(SHALLOW_TANH, seed, epoch).evaluate()["train_loss"]  # a stable run
    # "A's train loss is still 0.64 to 0.70, next to a coin toss's ln 2 = 0.693, and its train accuracy below
    # 65 %, hardly more than the 54 % it would get by giving every point the larger class" (48 copies of seed 0:
    # 0.649..0.695 and 49..62 %; 16 of seeds 1-2: 0.654..0.691 and 54..62 %).
    assert round(np.mean(plain.y_train == np.bincount(plain.y_train.astype(int)).argmax()), 2) == 0.54
    assert_on_members(plains, lambda trainer: 0.64 <= trainer.evaluate()["train_loss"] <= 0.70, share)
    assert_on_members(plains, lambda trainer: trainer.evaluate()["train_accuracy"] < 0.65, share)
    # "B's train loss has fallen below 0.4, most often below 0.03, and its train accuracy passed 80 %" (48 copies
    # of seed 0: 0.0004..0.35, median 0.003, accuracy 84..100 %; 16 of seeds 1-2: up to 0.56 on 2 of them).
    assert_on_members(skipped, lambda trainer: trainer.evaluate()["train_loss"] < 0.4, share)
    assert_on_members(skipped, lambda trainer: trainer.evaluate()["train_accuracy"] > 0.8, share)
    # "3 hidden layers ... reach 0.19 by epoch 150 (0.15 to 0.55 with other weight seeds): most often between A
    # and B", and the explanation: "its 20 layers usually train better than the 3".
    assert 0.15 < shallow < 0.55  # measured 0.165..0.538
    assert_on_members(plains, lambda trainer: trainer.evaluate()["train_loss"] > shallow)
    if seed == 0:  # the lesson's own seed: the figures the text quotes
        assert round(shallow, 2) == 0.19
        assert_on_members(skipped, lambda trainer: trainer.evaluate()["train_loss"] < 0.03, 0.5)
        assert_on_members(skipped, lambda trainer: trainer.evaluate()["train_loss"] < shallow, MOST)
    # The answer: "the skip carries ... the error back down through all 20 layers": layer 1 keeps its share
    # (measured 0.04..10 over 24 copies of seed 0).
    assert_on_members(skipped, lambda trainer: gradient_ratio(trainer) > 1e-2, share)


# ---- 10. batch norm evens out the gradient -------------------------------------------------------


def test_lesson_10_is_lesson_1_with_batch_norm():
    lesson = LESSONS["batch_norm"]
    assert lesson.config_a == DEEP_SIGMOID == LESSONS["vanishing_sigmoid"].config_a
    assert lesson.config_b == replace(DEEP_SIGMOID, normalization="batch")


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_10_batch_norm_gives_every_layer_a_gradient_of_the_same_size(seed):
    lesson = LESSONS["batch_norm"]
    (epoch,) = lesson.stop_epochs
    assert epoch == 30
    plain, normed = trained(lesson.config_a, seed, epoch), ensemble(lesson.config_b, epoch, seed)
    a = layer_gradients(plain)
    # The heatmap's latest column: "A's ... rise layer by layer ..., the largest 10^5 times the smallest (10^4 to
    # 10^6 with other weight seeds)" (measured 1.2e5, 2.6e4, 7.3e4 for seeds 0-2; A is a stable run).
    assert np.all(np.diff(a) > 0)
    assert 1e4 < a.max() / a.min() < 1e6
    # B is chaotic: its claims hold on every perturbed copy of the lesson's seed and on most copies of the others.
    share = 1.0 if seed == 0 else MOST
    # "B's lie together, all one bright colour, the largest less than 10 times the smallest, most often 2 to 4
    # times" (80 copies of seed 0: 1.9..5.2, and up to 5.2 with OpenBLAS's Sandy Bridge kernels; seeds 1-2:
    # 1.7..7.1).
    spreads = [10 ** np.ptp(np.log10(layer_gradients(trainer))) for trainer in normed]
    assert_on_members(spreads, lambda spread: spread < 10, share)
    if seed == 0:
        assert_on_members(spreads, lambda spread: 2 <= spread <= 4, 0.5)
    # The readouts: "'Layer 1 receives 10^-5 ...' in A, while in B layer 1 receives about as much gradient as the
    # last layer, within a factor of 10" (A: 10^-5, 10^-4, 10^-5 for seeds 0-2; B's ratio 0.9..3.1 over 80
    # copies of seed 0, 0.8..3.6 with Sandy Bridge kernels, 0.5..4.2 for seeds 1-2).
    assert gradient_ratio(plain) < 1e-3
    assert_on_members(normed, lambda trainer: 0.1 < gradient_ratio(trainer) < 10, share)
    if seed == 0:  # what the readout says: "'about as much gradient ...', or on some computers '10^1 times more'"
        assert_on_members(normed, lambda trainer: round(math.log10(gradient_ratio(trainer))) in (0, 1))
    # "A's train loss stays at 0.69 and its accuracy near 50 %; B's loss has fallen below 0.45 and its train
    # accuracy passed 80 %" (80 copies of seed 0: 0.19..0.40 and 85..96 %; seeds 1-2: 0.14..0.43, 76..100 %).
    plain_eval = plain.evaluate()
    assert abs(plain_eval["train_loss"] - LN2) < 0.005 and 0.45 <= plain_eval["train_accuracy"] <= 0.55
    assert_on_members(normed, lambda trainer: trainer.evaluate()["train_loss"] < 0.45, share)
    assert_on_members(normed, lambda trainer: trainer.evaluate()["train_accuracy"] > (0.8 if seed == 0 else 0.7), share)


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_10_the_spread_shrinks_4_times_per_layer_and_batch_norm_divides_it_out(seed):
    lesson = LESSONS["batch_norm"]
    plain, normed = trained(lesson.config_a, seed, 30), ensemble(lesson.config_b, 30, seed)
    # "In A each layer's input varies about 4 times less from one example to the next than the layer below's"
    # (measured 0.22..0.24 per layer over hidden layers 1-8) ...
    assert 0.15 < per_layer_factor(batch_spread(plain)) < 0.35
    # ... "and the error coming back shrinks by the same factor" (mean |δ| of hidden layers 8 -> 1: 0.22..0.25).
    row = plain.history.latest
    deltas = [row[layer_column("delta_mean_abs", l)] for l in range(1, 9)]
    assert 0.15 < per_layer_factor(deltas[::-1]) < 0.35
    # B: "which restores the signal going forward": the spread no longer shrinks (measured about 1 per layer).
    assert_on_members(normed, lambda trainer: 0.7 < per_layer_factor(batch_spread(trainer)) < 1.4)


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_10_layer_norm_does_not_rescue_this_network(seed):
    # The answer: "Layer norm standardises over the units of one example instead, a spread that does not shrink
    # here: with it this network stays at 0.69 after 30 epochs".
    plain = trained(DEEP_SIGMOID, seed, 30)
    assert per_layer_factor(unit_spread(plain)) > 0.7  # measured 1.16..1.22: it grows a little
    layer_norm = trainer_for(replace(DEEP_SIGMOID, normalization="layer"), seed, 30)
    assert abs(layer_norm.evaluate()["train_loss"] - LN2) < 0.005  # measured 0.6919..0.6925


# ---- 11. gradient clipping ------------------------------------------------------------------------


def test_lesson_11_compares_the_same_run_with_and_without_clipping():
    lesson = LESSONS["gradient_clipping"]
    a, b = lesson.config_a, lesson.config_b
    assert a.layer_sizes == [2] + [32] * 8 + [1] and set(a.activations) == {"relu"}
    assert (a.initializer, a.init_sigma, a.optimizer, a.learning_rate) == ("normal", 0.7, "sgd", 0.03)
    assert a.gradient_clip == 0 and b == replace(a, gradient_clip=CLIP_NORM) and CLIP_NORM == 1.0
    # "each layer multiplies the signal's size by √(32 × 0.49 / 2) = 2.8"
    assert math.sqrt(32 * 0.7**2 / 2) == pytest.approx(2.8) and HE_SIGMA_32 == 0.25


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_11_the_run_explodes_from_the_start(seed):
    lesson = LESSONS["gradient_clipping"]
    a, b = trainer_for(lesson.config_a, seed), trainer_for(lesson.config_b, seed)
    he = trainer_for(replace(lesson.config_a, init_sigma=HE_SIGMA_32), seed)
    # "both runs start from the same weights, with a train loss of 289 instead of 0.69" (66..1130 over seeds 0-5)
    np.testing.assert_array_equal(a.network.theta, b.network.theta)
    assert a.history.latest[TRAIN_LOSS] == b.history.latest[TRAIN_LOSS] > 50
    # "each layer multiplies the signal's size by ... 2.8": measured per layer 2.1..4.0, 2.8..3.1 on average.
    rms = [np.sqrt(np.mean(x**2)) for x in a.network.forward(a.X_train).activations[1:]]
    assert 2.2 < per_layer_factor(rms) < 3.6
    # "the signal reaching the last hidden layer is 2.8^8 = 3,800 times what He's σ = 0.25 would give": exactly,
    # since the same draws are scaled by σ, ReLU commutes with scaling and the biases start at 0.
    last_hidden = a.network.forward(a.X_train).activations[-1], he.network.forward(he.X_train).activations[-1]
    assert np.linalg.norm(last_hidden[0]) / np.linalg.norm(last_hidden[1]) == pytest.approx(2.8**8, rel=1e-9)
    assert round(2.8**8, -2) == 3800
    # "the weight gradients are thousands of times larger too, 100 to several thousand" (each layer's
    # ‖∂L/∂W‖ at epoch 0: 98..3,400; 2,800..9,100 times He's).
    gradients = layer_gradients(a)
    assert np.all((gradients > 50) & (gradients < 1e4))
    assert np.all((gradients / layer_gradients(he) > 1e3) & (gradients / layer_gradients(he) < 1e4))
    # "A diverges in its first epoch"
    assert a.train(lesson.stop_epochs[0]) == 1 and a.diverged_at == 1


@pytest.mark.parametrize("seed", SEEDS)
def test_lesson_11_clipping_keeps_the_run_alive_without_changing_its_scale(seed):
    lesson = LESSONS["gradient_clipping"]
    (epoch,) = lesson.stop_epochs
    assert epoch == 20
    clipped = trainer_for(lesson.config_b, seed, record_every=1)
    for _ in range(epoch):
        clipped.train(1)
        # "no step moves the weights by more than 0.03": each epoch's last step (the one the history keeps),
        # its weights' part, from the update-to-weight ratios ‖ΔW‖ / ‖W‖ and the weights after the step.
        row = clipped.history.latest
        moved = [
            row[layer_column("update_ratio", l)] * np.linalg.norm(W) for l, W in enumerate(clipped.network.weights, 1)
        ]
        assert math.sqrt(sum(m * m for m in moved)) <= 0.03 * (1 + 1e-9)
    assert clipped.diverged_at is None
    frame = clipped.history_frame
    assert list(frame["epoch"]) == list(range(epoch + 1))  # one row per epoch
    # The answer: "Every batch of its first epoch was clipped, 25 of 25"
    batches = math.ceil(len(clipped.X_train) / lesson.config_b.batch_size)
    assert frame[CLIPPED].iloc[1] == batches == 25
    # Seed 0, the lesson's, is a stable run: every perturbed copy ends where this one does, and the text quotes
    # it. Seed 1 is chaotic (over 8 copies: train loss 7e-9..0.48, 3 to 6 copies still learning at epoch 20,
    # depending on the kernels), so what follows holds for other seeds on most copies (tests/perturbed.py).
    members, share = ensemble(lesson.config_b, epoch, seed), 1.0 if seed == 0 else MOST
    # On every copy of the lesson's seed and most copies of the others: it stays alive, fits the training points,
    # reads the test points and hardly moves its weights: "B's weights are still the N(0, 0.7²) ones, give or take
    # a few per cent" (‖W − W₀‖ / ‖W₀‖, Layer health's distance chart; measured 0.031..0.049 for seeds 1-2).
    assert_on_members(members, lambda trainer: trainer.diverged_at is None, share)
    assert_on_members(members, lambda trainer: trainer.evaluate()["train_accuracy"] >= 0.97, share)
    assert_on_members(members, lambda trainer: trainer.evaluate()["test_accuracy"] > 0.95, share)
    assert_on_members(members, lambda trainer: max_distance(trainer) < 0.05, share)
    if seed != 0:  # seed 1 is chaotic: over 8 copies its train loss is 7e-9..0.48, 3 to 6 copies still learning
        return
    # Seed 0, the lesson's, is a stable run: every copy ends where the one trained here does, and the text
    # quotes it. "and at most one of epoch 20's" (epoch 20: 0, 1, 0 for seeds 0-2 as trained here).
    assert clipped.evaluate() == members[0].evaluate() and frame[CLIPPED].iloc[-1] <= 1
    # "at epoch 20 ... its train loss is 0.0000, its train accuracy 100 % and its test accuracy 98 %"
    assert_on_members(members, lambda trainer: f"{trainer.evaluate()['train_loss']:.4f}" == "0.0000")
    assert_on_members(members, lambda trainer: trainer.evaluate()["train_accuracy"] == 1.0)
    assert_on_members(members, lambda trainer: round(trainer.evaluate()["test_accuracy"], 2) == 0.98)
    # The answer: "The few test points it gets wrong, it gets wrong with the same certainty, hence a test loss of
    # 0.50 beside 98 % accuracy": on average over the wrong points, at least -ln(p) > 5, that is p < 0.007 for
    # the right class (the right ones add to the loss too, a little).
    assert_on_members(
        members, lambda trainer: trainer.evaluate()["test_loss"] / (1 - trainer.evaluate()["test_accuracy"]) > 5
    )
    # "its gradient lines have fallen below 10^-4" (measured 10^-5)
    assert_on_members(members, lambda trainer: np.all(layer_gradients(trainer) < 1e-4))
    # "moved by 2 % at most"
    assert_on_members(members, lambda trainer: round(max_distance(trainer), 2) <= 0.02)
    # "so its outputs are still huge (every one beyond ±10 before the sigmoid)" (smallest |logit| 11.8)
    assert_on_members(members, lambda trainer: np.min(np.abs(trainer.network.forward(trainer.X_train).logits)) > 10)


def max_distance(trainer: Trainer) -> float:
    """The largest ‖W − W₀‖ / ‖W₀‖ over the layers at the latest row (Layer health's distance chart)."""
    row = trainer.history.latest
    return max(row[layer_column("distance", l)] for l in range(1, trainer.network.n_layers + 1))
