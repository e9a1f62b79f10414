"""The backprop walkthrough's numbers (playground/teaching/walkthrough.py) against the engine and independent checks.

The walkthrough reads one training step on one example from the engine's layers (Trainer.step_on as a
preview). Here every number it shows is compared with: the engine's forward and backward pass on that single
point (``Network.forward`` / ``backward`` / ``loss_and_gradient``), an independent autodiff
(``autograd``, the implementation of tests/test_gradients.py, plus offsets on each z for the deltas),
central differences on a few parameters, and, for the update, the trainer's own training loop run on a
training set of that one point with batch size 1 -- for SGD, momentum and Adam, on binary, multi-class,
regression and digits networks, with ReLU, tanh, sigmoid and linear hidden layers and L2 (and L1).
The second half does the same for every layer kind (skip connections, batch norm, layer norm, dropout,
gradient clipping), with an autograd of each design written from the definitions, and checks that the
update shown and applied is the trainer's own step (``Trainer.step_on``) bit for bit.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad
from test_gradients import AUTOGRAD_ACTIVATIONS, _unpack, autograd_loss

from playground import Trainer, TrainingConfig
from playground.engine.layers import NORM_EPSILON
from playground.engine.network import Network, layer_views
from playground.teaching.walkthrough import (
    STEP_MODE,
    apply_walkthrough,
    check_index,
    step_count,
    unit_labels,
    walkthrough,
)

H = 1e-6

# (id, config, epochs trained first so that momentum and Adam have state, training row followed)
CASES = [
    ("binary-tanh-sgd", TrainingConfig(dataset="circle", hidden_layers=(4, 2), optimizer="sgd"), 3, 7),
    (
        "binary-relu-momentum-l2",
        TrainingConfig(
            dataset="xor",
            hidden_layers=(6, 5),
            activations=("relu", "relu"),
            initializer="he_normal",
            optimizer="momentum",
            learning_rate=0.05,
            regularization="l2",
            regularization_rate=0.01,
            features=("x1", "x2", "x1_times_x2", "sin_x1"),
        ),
        4,
        11,
    ),
    (
        "multiclass-sigmoid-adam",
        TrainingConfig(
            dataset="blobs",
            n_classes=4,
            hidden_layers=(5, 5, 5),
            activations=("sigmoid",) * 3,
            optimizer="adam",
            learning_rate=0.01,
        ),
        3,
        0,
    ),
    (
        "multiclass-mixed-momentum-l2",
        TrainingConfig(
            dataset="spiral",
            n_classes=3,
            hidden_layers=(8, 3, 6),
            activations=("tanh", "linear", "relu"),
            optimizer="momentum",
            regularization="l2",
            regularization_rate=0.05,
        ),
        2,
        42,
    ),
    (
        "regression-linear-sgd-l2",
        TrainingConfig(
            dataset="bumps",
            hidden_layers=(7,),
            activations=("linear",),
            optimizer="sgd",
            regularization="l2",
            regularization_rate=0.1,
        ),
        2,
        5,
    ),
    (
        "regression-tanh-adam",
        TrainingConfig(dataset="plane", hidden_layers=(3, 3), optimizer="adam", learning_rate=0.003),
        5,
        19,
    ),
    (
        "regression-no-hidden-momentum",
        TrainingConfig(dataset="plane", hidden_layers=(), optimizer="momentum", features=("x1", "x2", "x1_squared")),
        2,
        3,
    ),
    (
        "digits-relu-adam-l2",
        TrainingConfig(
            dataset="digits",
            hidden_layers=(16, 8),
            activations=("relu", "relu"),
            initializer="he_normal",
            optimizer="adam",
            learning_rate=0.003,
            batch_size=32,
            regularization="l2",
            regularization_rate=0.001,
        ),
        1,
        100,
    ),
    (
        "digits-sigmoid-sgd",
        TrainingConfig(
            dataset="digits", hidden_layers=(12,), activations=("sigmoid",), optimizer="sgd", learning_rate=0.5
        ),
        1,
        3,
    ),
    (
        "digits3v8-tanh-momentum-l1",
        TrainingConfig(
            dataset="digits_3v8",
            hidden_layers=(6,),
            optimizer="momentum",
            regularization="l1",
            regularization_rate=0.001,
        ),
        1,
        9,
    ),
    (  # MNIST's 28x28 digits (issue 21): 784 inputs, most of them 0; a small training set keeps it quick
        "mnist-relu-adam",
        TrainingConfig(
            dataset="mnist",
            train_size=500,
            hidden_layers=(16,),
            activations=("relu",),
            optimizer="adam",
            learning_rate=0.001,
            batch_size=32,
        ),
        1,
        7,
    ),
]
IDS = [case[0] for case in CASES]


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request):
    _, config, epochs, index = request.param
    trainer = Trainer(config)
    trainer.train(epochs)
    return trainer, index


def _single(trainer: Trainer, index: int):
    """The training row as the engine takes it: X (1, n_inputs), y (1,)."""
    return trainer.X_train[index : index + 1], trainer.y_train[index : index + 1]


def _flat(weights, biases) -> np.ndarray:
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in zip(weights, biases)])


def _relative_error(a, b) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


# ---- the forward pass and the loss ----------------------------------------------------------------


def test_forward_numbers_equal_network_forward(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    X, _ = _single(trainer, index)
    cache = trainer.network.forward(X)
    np.testing.assert_array_equal(shown.inputs, X[0])
    assert len(shown.activations) == trainer.network.n_layers + 1
    for shown_a, engine_a in zip(shown.activations[1:-1], cache.activations[1:]):
        np.testing.assert_allclose(shown_a, engine_a[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(shown.pre_activations[-1], cache.logits[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(shown.outputs, cache.outputs[0], rtol=1e-12, atol=1e-15)
    # Hidden z is not kept by the engine (it overwrites z with f(z)): f of the shown z is the engine's a.
    for layer, activation in enumerate(trainer.network.hidden_activations):
        value = activation.value
        np.testing.assert_allclose(value(shown.pre_activations[layer]), cache.activations[layer + 1][0], rtol=1e-12)
    # ...and the shown z is W^T a + b of the shown a below (an independent product, not the walkthrough's).
    for layer, (W, b) in enumerate(zip(trainer.network.weights, trainer.network.biases)):
        expected = np.einsum("i,ij->j", shown.activations[layer], W) + b
        np.testing.assert_allclose(shown.pre_activations[layer], expected, rtol=1e-10, atol=1e-13)


def test_loss_equals_the_heads_loss(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network, c = trainer.network, trainer.config
    cache = network.forward(X)
    assert shown.loss == pytest.approx(network.head.loss(cache.logits, network.targets(y)), rel=1e-12, abs=1e-15)
    expected_total = network.loss(X, y, c.regularization, c.regularization_rate)
    assert shown.total_loss == pytest.approx(expected_total, rel=1e-12, abs=1e-15)
    if c.regularization != "none":
        assert shown.penalty > 0 and shown.penalty == pytest.approx(
            network.regularization_penalty(c.regularization, c.regularization_rate), rel=1e-12
        )
    else:
        assert shown.penalty == 0.0
    expected_name = {"binary": "binary cross-entropy", "multiclass": "softmax cross-entropy"}.get(
        trainer.problem, "half squared error"
    )
    assert shown.loss_name == expected_name
    np.testing.assert_array_equal(shown.target, network.targets(y)[0])


# ---- the backward pass ---------------------------------------------------------------------------------


def test_deltas_and_gradients_equal_the_engines_backward(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network, c = trainer.network, trainer.config
    deltas = network.backward(network.forward(X), y, keep_deltas=True)
    for shown_delta, engine_delta in zip(shown.deltas, deltas):
        np.testing.assert_allclose(shown_delta, engine_delta[0], rtol=1e-10, atol=1e-14)
    loss, engine_grad = network.loss_and_gradient(X, y, c.regularization, c.regularization_rate)
    shown_grad = _flat(shown.grad_weights, shown.grad_biases)
    assert _relative_error(shown_grad, engine_grad) < 1e-12
    engine_W, engine_b = layer_views(engine_grad, network.layer_sizes)
    for layer in range(network.n_layers):
        np.testing.assert_allclose(shown.grad_weights[layer], engine_W[layer], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(shown.grad_biases[layer], engine_b[layer], rtol=1e-10, atol=1e-14)
    # the trainer's scripting API on the raw point says the same
    _, per_layer = trainer.loss_and_gradients(trainer.train_points[index : index + 1], y)
    for (gW, gb), shown_W, shown_b in zip(per_layer, shown.grad_weights, shown.grad_biases):
        np.testing.assert_allclose(shown_W, gW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(shown_b, gb, rtol=1e-10, atol=1e-14)


def _autograd_loss_with_offsets(offsets, theta, X, y, layer_sizes, activations, head):
    """The data loss with ``offsets[l]`` added to z_l: its gradient at 0 is each layer's delta = dL/dz_l."""
    layers = _unpack(theta, layer_sizes)
    a, position = X, 0
    zs = []
    for layer, (W, b) in enumerate(layers):
        width = layer_sizes[layer + 1]
        z = anp.dot(a, W) + b + offsets[position : position + width]
        position += width
        zs.append(z)
        if layer < len(layers) - 1:
            a = AUTOGRAD_ACTIVATIONS[activations[layer]](z)
    logits = zs[-1]
    if head == "sigmoid_bce":
        return anp.mean(anp.logaddexp(0.0, logits[:, 0]) - y * logits[:, 0])
    if head == "softmax_ce":
        top = anp.max(logits)
        log_p = logits - top - anp.log(anp.sum(anp.exp(logits - top), axis=1, keepdims=True))
        return -anp.mean(anp.sum(np.eye(layer_sizes[-1])[y.astype(int)] * log_p, axis=1))
    return 0.5 * anp.mean((logits[:, 0] - y) ** 2)


def test_deltas_and_gradients_equal_autograd(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network, c = trainer.network, trainer.config
    sizes, acts, head = network.layer_sizes, network.hidden_activation_names, network.head.name
    theta = network.theta.copy()
    expected_loss = autograd_loss(theta, X, y, sizes, acts, c.regularization, c.regularization_rate, head)
    assert shown.total_loss == pytest.approx(float(expected_loss), rel=1e-10, abs=1e-14)
    expected = autograd_grad(autograd_loss)(theta, X, y, sizes, acts, c.regularization, c.regularization_rate, head)
    assert _relative_error(_flat(shown.grad_weights, shown.grad_biases), expected) < 1e-10
    offsets = np.zeros(sum(sizes[1:]))
    expected_deltas = autograd_grad(_autograd_loss_with_offsets)(offsets, theta, X, y, sizes, acts, head)
    np.testing.assert_allclose(np.concatenate(shown.deltas), expected_deltas, rtol=1e-9, atol=1e-13)


def test_gradients_equal_central_differences_on_a_few_parameters(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network, c = trainer.network.copy(), trainer.config
    shown_grad = _flat(shown.grad_weights, shown.grad_biases)
    rng = np.random.default_rng(index)
    # a weight of the first layer, of the last, a last-layer bias, and a few anywhere
    first, last_bias = 0, network.theta.size - 1
    last_weight = network.theta.size - network.n_outputs - 1
    chosen = [first, last_weight, last_bias, *rng.choice(network.theta.size, min(5, network.theta.size), replace=False)]
    z_kinks = [z for z, name in zip(shown.pre_activations, network.hidden_activation_names) if name == "relu"]
    assert all(np.min(np.abs(z)) > 10 * H for z in z_kinks if z.size), "a ReLU sits on its kink: pick another row"
    for position in chosen:
        saved = network.theta[position]
        network.theta[position] = saved + H
        plus = network.loss(X, y, c.regularization, c.regularization_rate)
        network.theta[position] = saved - H
        minus = network.loss(X, y, c.regularization, c.regularization_rate)
        network.theta[position] = saved
        numeric = (plus - minus) / (2 * H)
        assert shown_grad[position] == pytest.approx(numeric, rel=1e-5, abs=1e-8), f"parameter {position}"


# ---- the update --------------------------------------------------------------------------------------


def _trainer_on_one_point(trainer: Trainer, index: int) -> Trainer:
    """A trainer in the same place (weights, optimiser state) whose training set is that one point, batch 1.

    Its ``train(1)`` is the trainer's own epoch loop (forward, backward, the regulariser, the optimiser's
    step) over a training set of one example: exactly one Step on that single point.
    """
    single = Trainer(replace(trainer.config, batch_size=1))
    single.network.theta[...] = trainer.network.theta
    single.optimizer = copy.deepcopy(trainer.optimizer)
    single.X_train = np.ascontiguousarray(trainer.X_train[index : index + 1])
    single.y_train = trainer.y_train[index : index + 1].copy()
    single.T_train = single.network.targets(single.y_train)
    single._batches_for = None  # the batches are built from the (new) training set on the next epoch
    return single


def test_the_update_is_one_step_on_that_point_alone(case):
    trainer, index = case
    theta_before = trainer.network.theta.copy()
    optimizer_before = copy.deepcopy(trainer.optimizer)
    shown = walkthrough(trainer, index)
    # computing the walkthrough changed nothing
    np.testing.assert_array_equal(trainer.network.theta, theta_before)
    for name, value in vars(optimizer_before).items():
        if not name.startswith("_"):
            np.testing.assert_array_equal(getattr(trainer.optimizer, name), value)
    single = _trainer_on_one_point(trainer, index)
    assert single.train(1) == 1
    np.testing.assert_allclose(shown.theta_after, single.network.theta, rtol=1e-11, atol=1e-15)
    assert np.any(shown.update != 0)
    # the per-layer updates are views of the same numbers
    np.testing.assert_array_equal(_flat(shown.update_weights, shown.update_biases), shown.update)
    # the update step shows them, and the diagram's edge numbers are them
    update_step = shown.steps[-1]
    assert update_step.key == "update"
    for layer in range(trainer.network.n_layers):
        np.testing.assert_array_equal(update_step.numbers[f"update_W{layer + 1}"], shown.update_weights[layer])
        np.testing.assert_array_equal(update_step.edge_values_by_layer[layer], shown.update_weights[layer])
        np.testing.assert_array_equal(update_step.unit_values[layer + 1], shown.update_biases[layer])


def test_the_update_equals_the_optimisers_own_step_driven_directly(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    c = trainer.config
    network = trainer.network.copy()
    _, grad = network.loss_and_gradient(X, y, c.regularization, c.regularization_rate)
    optimizer = copy.deepcopy(trainer.optimizer)
    optimizer.step(network.theta, grad)
    np.testing.assert_allclose(shown.theta_after, network.theta, rtol=1e-11, atol=1e-15)
    if c.optimizer == "sgd":
        np.testing.assert_allclose(shown.update, -c.learning_rate * grad, rtol=1e-11, atol=1e-16)


def test_applying_the_update_is_that_step_and_the_next_step_continues_alike(case):
    trainer, index = case
    rebuilt = Trainer(trainer.config)  # the fixture is shared: apply on a rebuilt trainer in the same place
    rebuilt.network.theta[...] = trainer.network.theta
    rebuilt.optimizer = copy.deepcopy(trainer.optimizer)
    rebuilt.epoch = trainer.epoch
    trainer = rebuilt
    single = _trainer_on_one_point(trainer, index)
    shown = walkthrough(trainer, index)
    epoch, rows = trainer.epoch, len(trainer.history)
    apply_walkthrough(trainer, shown)
    np.testing.assert_array_equal(trainer.network.theta, shown.theta_after)  # the step shown, bit for bit
    np.testing.assert_allclose(trainer.network.theta, shown.theta_before + shown.update, rtol=1e-15, atol=1e-15)
    single.train(1)
    np.testing.assert_allclose(trainer.network.theta, single.network.theta, rtol=1e-11, atol=1e-15)
    assert trainer.epoch == epoch  # one step on one example is not an epoch
    assert len(trainer.history) == rows + 1
    latest = trainer.history.latest
    assert latest["epoch"] == epoch
    assert latest["train_loss"] == pytest.approx(trainer.evaluate()["train_loss"], rel=0.5)  # at the new weights
    # The optimiser's state moved on as the real step's did: a second step on the point agrees too.
    again = walkthrough(trainer, index)
    apply_walkthrough(trainer, again)
    single.train(1)
    np.testing.assert_allclose(trainer.network.theta, single.network.theta, rtol=1e-10, atol=1e-14)


def test_a_stale_walkthrough_is_not_applied(case):
    trainer, index = case
    rebuilt = Trainer(trainer.config)
    shown = walkthrough(rebuilt, index)
    rebuilt.network.theta[0] += 0.1  # a weight edit after the walkthrough was worked out
    theta = rebuilt.network.theta.copy()
    with pytest.raises(ValueError, match="changed"):
        apply_walkthrough(rebuilt, shown)
    np.testing.assert_array_equal(rebuilt.network.theta, theta)


# ---- the steps as the panel and the diagram read them ----------------------------------------------------


def test_steps_are_in_order_and_carry_the_walkthroughs_numbers(case):
    trainer, index = case
    shown = walkthrough(trainer, index)
    network = trainer.network
    L = network.n_layers
    keys = [step.key for step in shown.steps]
    expected = ["inputs", *[f"forward_{l}" for l in range(1, L + 1)], "loss"]
    expected += [f"backward_{l}" for l in range(L, 0, -1)] + ["update"]
    assert keys == expected
    labels = unit_labels(trainer)
    assert [len(layer) for layer in labels] == network.layer_sizes
    for step in shown.steps:
        assert step.formula and step.explanation and step.title
        for unit_layer, values in step.unit_values.items():
            assert 0 <= unit_layer <= L and values.shape == (network.layer_sizes[unit_layer],)
        for name, unit_layer in step.unit_layer_of.items():
            assert step.numbers[name].shape == (network.layer_sizes[unit_layer],), (step.key, name)
        for name, weight_layer in step.weight_layer_of.items():
            assert step.numbers[name].shape == network.weights[weight_layer].shape, (step.key, name)
        for name in step.numbers:
            assert name in step.symbols
        if step.edge_values is not None:
            weight_layer, values = step.edge_values
            assert values.shape == network.weights[weight_layer].shape
            np.testing.assert_array_equal(step.edge_values_by_layer[weight_layer], values)
        assert step.highlight_layer is None or 0 <= step.highlight_layer <= L
    steps = {step.key: step for step in shown.steps}
    for layer in range(1, L + 1):
        forward = steps[f"forward_{layer}"]
        np.testing.assert_array_equal(forward.numbers["z"], shown.pre_activations[layer - 1])
        np.testing.assert_array_equal(forward.unit_values[layer], shown.activations[layer])
        assert forward.highlight_layer == layer
        backward = steps[f"backward_{layer}"]
        np.testing.assert_array_equal(backward.numbers["delta"], shown.deltas[layer - 1])
        np.testing.assert_array_equal(backward.unit_values[layer], shown.deltas[layer - 1])
        assert backward.edge_values[0] == layer - 1
        np.testing.assert_array_equal(backward.edge_values[1], shown.grad_weights[layer - 1])
        if layer < L:  # delta_l = (W_{l+1} delta_{l+1}) * f'(z_l), with the numbers shown beside it
            np.testing.assert_allclose(
                backward.numbers["backpropagated"] * backward.numbers["f_prime"], backward.numbers["delta"], rtol=1e-15
            )
        np.testing.assert_allclose(
            np.outer(backward.numbers["a_prev"], backward.numbers["delta"])
            + (backward.numbers["regularizer_grad_W"] if "regularizer_grad_W" in backward.numbers else 0.0),
            backward.numbers["grad_W"],
            rtol=1e-14,
        )
    assert steps["loss"].numbers["loss"] == shown.loss
    assert ("penalty" in steps["loss"].numbers) == (trainer.config.regularization != "none")


@pytest.mark.parametrize("bad", [-1, 10**6, 2.5, "3", None, True])
def test_bad_rows_are_refused_with_a_message(bad):
    trainer = Trainer(TrainingConfig())
    with pytest.raises(ValueError, match="training row must be a whole number from 0 to"):
        walkthrough(trainer, bad)
    assert check_index(trainer, np.int64(4)) == 4


def test_a_diverged_run_shows_nan_and_refuses_to_apply():
    trainer = Trainer(TrainingConfig())
    trainer.network.theta[:] = np.nan
    shown = walkthrough(trainer, 0)  # no warning, no exception: the numbers are what they are
    assert np.isnan(shown.loss)
    with pytest.raises(ValueError, match="not a finite number"):
        apply_walkthrough(trainer, shown)


# ---- the input scaling, said where the numbers change (issue 17) ----------------------------------------
def _scaling_numbers(text: str) -> tuple[list[float], list[float], dict[str, float]]:
    """From the inputs step's sentence: the point, the inputs x, and each feature's value ("X₁ = x₁/6 = 0.13")."""
    import re

    number = r"-?[\d.]+(?:e[-+]?\d+)?"
    point = re.search(rf"The point \(x₁, x₂\) = \(({number}), ({number})\) on the plane", text)
    inputs = re.search(r"enters the network as x = \(([^)]*)\)", text)
    assert point and inputs, text
    each = dict(re.findall(rf"(\S+) = [^=,]+ = ({number})", text.split("):", 1)[1].split(". ", 1)[0]))
    return (
        [float(point.group(1)), float(point.group(2))],
        [float(value) for value in inputs.group(1).split(", ")],
        {name: float(value) for name, value in each.items()},
    )


@pytest.mark.parametrize(
    "features",
    [("x1", "x2"), ("x1", "x2", "x1_squared", "x2_squared", "x1_times_x2", "sin_x1", "sin_x2")],
    ids=["default", "all-seven"],
)
def test_the_inputs_step_says_how_the_point_becomes_x_with_the_tables_numbers(features):
    from playground.data.datasets import DOMAIN_HALF_WIDTH, FEATURES
    from playground.ui.walkthrough_panel import significant

    trainer = Trainer(TrainingConfig(dataset="circle", features=features))
    for index in (0, 17):
        shown = walkthrough(trainer, index)
        step = shown.steps[0]
        point, inputs, each = _scaling_numbers(step.explanation)
        # the same numbers as the table (4 significant digits) and the point as stored, to 4 digits
        np.testing.assert_allclose(inputs, significant(shown.inputs), rtol=1e-12)
        np.testing.assert_allclose(point, significant(shown.point), rtol=1e-12)
        assert [each[FEATURES[name][0]] for name in features] == inputs
        # and they are what the formulas say: X₁ = x₁/6, X₁² = (x₁/6)², sin X₁ = sin x₁, ...
        unit = shown.point / DOMAIN_HALF_WIDTH
        expected = {
            "x1": unit[0],
            "x2": unit[1],
            "x1_squared": unit[0] ** 2,
            "x2_squared": unit[1] ** 2,
            "x1_times_x2": unit[0] * unit[1],
            "sin_x1": np.sin(shown.point[0]),
            "sin_x2": np.sin(shown.point[1]),
        }
        np.testing.assert_allclose(inputs, significant(np.array([expected[name] for name in features])), rtol=1e-12)
        assert "divided by 6 because the plane runs from −6 to 6" in step.explanation
        assert step.symbols["point"] == "the point (x₁, x₂) on the plane"


@pytest.mark.parametrize(("dataset", "side", "levels"), [("digits", 8, 16), ("mnist", 28, 255)])
def test_the_inputs_step_of_an_image_says_what_the_pixels_are(dataset, side, levels):
    trainer = Trainer(TrainingConfig(dataset=dataset, hidden_layers=(8,), train_size=200))
    step = walkthrough(trainer, 2).steps[0]
    assert f"divided by {levels})" in step.explanation and "point (x₁" not in step.explanation
    assert f"The {side * side} inputs are the image's pixels" in step.explanation
    assert f"this {side}x{side} image's {side * side} pixel intensities" in step.explanation
    assert step.numbers["x"].shape == (side * side,)


def test_largest_change_names_the_weight_that_moves_most():
    from playground.teaching.walkthrough import largest_change

    trainer = Trainer(TrainingConfig(dataset="xor", hidden_layers=(3, 2)))
    shown = walkthrough(trainer, 5)
    layer, source, target, old, delta = largest_change(shown)
    sizes = [np.max(np.abs(dW)) for dW in shown.update_weights]
    assert layer == int(np.argmax(sizes)) + 1 and abs(delta) == max(sizes)
    row, column = shown.labels[layer - 1].index(source), shown.labels[layer].index(target)
    assert trainer.network.weights[layer - 1][row, column] == old
    assert shown.update_weights[layer - 1][row, column] == delta


# ---- every layer kind: skip connections, batch norm, layer norm, dropout, clipping (issue 18) ----------
# The walkthrough reads these numbers from the engine's layers (a Pass in "predict" mode: batch norm on its
# running averages, dropout off, layer norm on the example's own statistics). Each case is checked against
# the engine run separately, against an independent autograd of the same design written from the
# definitions, and its update against the trainer's own step (Trainer.step_on) on that one example.
DESIGN_CASES = [
    ("skip-tanh-sgd", TrainingConfig(dataset="circle", hidden_layers=(4, 4, 4), residual=True), 2, 7),
    (
        "skip-from-the-inputs-relu",  # two inputs and a first layer of 2: the first layer has a skip too
        TrainingConfig(
            dataset="xor", hidden_layers=(2, 2), activations=("relu", "relu"), residual=True, initializer="he_normal"
        ),
        2,
        3,
    ),
    (
        "batchnorm-relu-momentum",
        TrainingConfig(
            dataset="xor",
            hidden_layers=(5, 5),
            activations=("relu", "relu"),
            initializer="he_normal",
            normalization="batch",
            optimizer="momentum",
            batch_size=10,
        ),
        3,
        11,
    ),
    ("batchnorm-before-training", TrainingConfig(hidden_layers=(4, 4), normalization="batch", batch_size=8), 0, 5),
    (
        "layernorm-skip-adam-l2",
        TrainingConfig(
            dataset="spiral",
            hidden_layers=(4, 4, 4),
            residual=True,
            normalization="layer",
            optimizer="adam",
            learning_rate=0.01,
            regularization="l2",
            regularization_rate=0.01,
        ),
        3,
        2,
    ),
    (
        "dropout-batchnorm-skip-multiclass-l1",
        TrainingConfig(
            dataset="blobs",
            n_classes=3,
            hidden_layers=(6, 6, 6),
            activations=("sigmoid", "tanh", "sigmoid"),
            residual=True,
            normalization="batch",
            dropout=0.3,
            batch_size=16,
            regularization="l1",
            regularization_rate=0.001,
        ),
        2,
        9,
    ),
    (
        "clipped-layernorm-regression",
        TrainingConfig(
            dataset="bumps",
            hidden_layers=(5, 5),
            normalization="layer",
            optimizer="momentum",
            gradient_clip=0.01,
        ),
        2,
        4,
    ),
    (
        "clip-not-reached-adam",
        TrainingConfig(dataset="circle", hidden_layers=(3,), optimizer="adam", gradient_clip=50.0),
        1,
        1,
    ),
]
DESIGN_IDS = [case[0] for case in DESIGN_CASES]


@pytest.fixture(scope="module", params=DESIGN_CASES, ids=DESIGN_IDS)
def design_case(request):
    _, config, epochs, index = request.param
    trainer = Trainer(config)
    trainer.train(epochs)
    return trainer, index


def _twin(trainer: Trainer) -> Trainer:
    """A trainer in the same place (parameters, running averages, optimiser, dropout generator, epoch)."""
    twin = Trainer(trainer.config)
    twin.network.theta[...] = trainer.network.theta
    twin.network.statistics[...] = trainer.network.statistics
    twin.optimizer = copy.deepcopy(trainer.optimizer)
    twin.network.dropout_rng = copy.deepcopy(trainer.network.dropout_rng)
    twin.epoch = trainer.epoch
    return twin


def test_every_layers_numbers_are_the_engines_buffers(design_case):
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network = trainer.network.copy()
    cache = network.forward(X, mode="predict")  # the engine, run separately, as one example's step runs it
    network.backward(cache, y)
    blocks = cache.pass_.blocks
    assert len(shown.hidden) == len(blocks)
    for numbers, block, a in zip(shown.hidden, blocks, cache.activations[1:]):
        assert numbers.skip == block.skip
        np.testing.assert_array_equal(numbers.z, block.dense.z[0])
        np.testing.assert_array_equal(numbers.h, block.activation.a[0])
        np.testing.assert_array_equal(numbers.a, a[0])
        np.testing.assert_array_equal(numbers.delta, block.dense.delta[0])
        if block.norm is not None:
            np.testing.assert_array_equal(numbers.x_hat, block.norm.x_hat[0])
            np.testing.assert_array_equal(numbers.normalized, block.norm.y[0])
            np.testing.assert_array_equal(numbers.grad_normalized, block.activation.dz[0])
        else:
            assert numbers.x_hat is None and numbers.gamma is None and numbers.mean is None
        if block.dropout is not None:
            assert not block.dropout.active  # off in the step: what the walkthrough says
    np.testing.assert_array_equal(shown.pre_activations[-1], cache.logits[0])
    np.testing.assert_array_equal(shown.outputs, cache.outputs[0])
    for shown_delta, engine_delta in zip(shown.deltas, cache.pass_.deltas):
        np.testing.assert_array_equal(shown_delta, engine_delta[0])
    c = trainer.config
    loss, gradient = trainer.network.copy().loss_and_gradient(
        X, y, c.regularization, c.regularization_rate, mode="predict"
    )
    np.testing.assert_array_equal(shown.gradient, gradient)
    assert shown.total_loss == pytest.approx(loss, rel=1e-14, abs=1e-15)
    layout = trainer.network.layout
    for kind, shown_views in (
        ("weight", shown.grad_weights),
        ("bias", shown.grad_biases),
        ("gamma", shown.grad_gammas),
        ("beta", shown.grad_betas),
    ):
        for shown_view, engine_view in zip(shown_views, layout.views(gradient, kind), strict=True):
            np.testing.assert_array_equal(shown_view, engine_view)
    np.testing.assert_array_equal(shown.data_gradient + shown.regularizer_gradient, shown.gradient)


def _design_forward(params, X, network: Network, offsets=None):
    """The logits of ``network``'s design from the definitions, in autograd.numpy: for each hidden layer
    z = a W + b (+ offsets[h], so that d loss / d offsets = delta), batch norm with its running averages as
    fixed numbers or layer norm over the units, f, and the input added with a skip. No dropout."""
    layout = network.layout

    def part(kind, layer):
        block = next(b for b in layout.blocks if b.kind == kind and b.layer == layer)
        return anp.reshape(params[block.start : block.stop], block.shape)

    a, position = X, 0
    for h, name in enumerate(network.hidden_activation_names):
        z = anp.dot(a, part("weight", h)) + part("bias", h)
        if offsets is not None:
            z = z + offsets[position : position + z.shape[1]]
            position += z.shape[1]
        if network.normalization != "none":
            if network.normalization == "batch":
                mean, variance = network.running[h].averages()
            else:
                mean = anp.mean(z, axis=1, keepdims=True)
                variance = anp.mean((z - mean) ** 2, axis=1, keepdims=True)
            z = part("gamma", h) * (z - mean) / anp.sqrt(variance + NORM_EPSILON) + part("beta", h)
        out = AUTOGRAD_ACTIVATIONS[name](z)
        a = a + out if network.skips[h] else out
    last = network.n_layers - 1
    logits = anp.dot(a, part("weight", last)) + part("bias", last)
    if offsets is not None:
        logits = logits + offsets[position:]
    return logits


def _design_loss(params, X, y, network: Network, regularization="none", rate=0.0, offsets=None):
    logits = _design_forward(params, X, network, offsets)
    head = network.head.name
    if head == "sigmoid_bce":
        loss = anp.mean(anp.logaddexp(0.0, logits[:, 0]) - y * logits[:, 0])
    elif head == "softmax_ce":
        top = anp.max(logits)
        log_p = logits - top - anp.log(anp.sum(anp.exp(logits - top), axis=1, keepdims=True))
        loss = -anp.mean(anp.sum(np.eye(network.n_outputs)[y.astype(int)] * log_p, axis=1))
    else:
        loss = 0.5 * anp.mean((logits[:, 0] - y) ** 2)
    weights = [params[b.start : b.stop] for b in network.layout.of_kind("weight")]
    if regularization == "l2":
        loss = loss + rate * 0.5 * sum(anp.sum(W * W) for W in weights)
    elif regularization == "l1":
        loss = loss + rate * sum(anp.sum(anp.abs(W)) for W in weights)
    return loss


def test_every_layers_numbers_match_an_independent_autograd_of_the_design(design_case):
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network, c = trainer.network, trainer.config
    theta = network.theta.copy()
    assert shown.total_loss == pytest.approx(
        float(_design_loss(theta, X, y, network, c.regularization, c.regularization_rate)), rel=1e-10, abs=1e-14
    )
    expected = autograd_grad(_design_loss)(theta, X, y, network, c.regularization, c.regularization_rate)
    assert _relative_error(shown.gradient, expected) < 1e-9
    offsets = np.zeros(sum(network.layer_sizes[1:]))
    expected_deltas = autograd_grad(lambda o: _design_loss(theta, X, y, network, offsets=o))(offsets)
    np.testing.assert_allclose(np.concatenate(shown.deltas), expected_deltas, rtol=1e-8, atol=1e-12)


def test_every_layers_numbers_follow_their_formulas(design_case):
    """The numbers on screen obey the formulas beside them (independent NumPy from the definitions)."""
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    network = trainer.network
    for h, numbers in enumerate(shown.hidden):
        a_prev = shown.activations[h]
        np.testing.assert_allclose(numbers.z, a_prev @ shown.weights[h] + shown.biases[h], rtol=1e-12, atol=1e-15)
        activation_input = numbers.z
        if numbers.normalization == "batch":  # the running averages, fixed: mean and sqrt(var + eps) per unit
            mean, variance = network.running[h].averages()
            np.testing.assert_array_equal(numbers.mean, mean)
            np.testing.assert_allclose(numbers.std, np.sqrt(variance + NORM_EPSILON), rtol=1e-14)
        elif numbers.normalization == "layer":  # this example's own, over the layer's units
            assert np.ndim(numbers.mean) == 0 and np.ndim(numbers.std) == 0
            assert numbers.mean == pytest.approx(np.mean(numbers.z), rel=1e-10, abs=1e-14)
            assert numbers.std == pytest.approx(np.sqrt(np.var(numbers.z) + NORM_EPSILON), rel=1e-12)
        if numbers.normalization != "none":
            np.testing.assert_allclose(numbers.x_hat, (numbers.z - numbers.mean) / numbers.std, rtol=1e-9, atol=1e-12)
            np.testing.assert_array_equal(numbers.gamma, shown.gammas[h])
            np.testing.assert_allclose(numbers.normalized, numbers.gamma * numbers.x_hat + numbers.beta, rtol=1e-14)
            activation_input = numbers.normalized
        activation = network.hidden_activations[h]
        np.testing.assert_allclose(numbers.h, activation.value(activation_input), rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(numbers.f_prime, activation.derivative(numbers.h), rtol=1e-14)
        np.testing.assert_array_equal(numbers.a, a_prev + numbers.h if numbers.skip else numbers.h)
        # backward: what came down, through the skip above, the slope, the normalisation
        np.testing.assert_allclose(numbers.backpropagated, shown.weights[h + 1] @ shown.deltas[h + 1], rtol=1e-12)
        if numbers.skip_grad is not None:
            assert shown.hidden[h + 1].skip
            np.testing.assert_array_equal(numbers.skip_grad, shown.hidden[h + 1].grad_a)
            np.testing.assert_array_equal(numbers.grad_a, numbers.backpropagated + numbers.skip_grad)
        else:
            np.testing.assert_array_equal(numbers.grad_a, numbers.backpropagated)
        if numbers.normalization == "none":
            np.testing.assert_array_equal(numbers.delta, numbers.grad_a * numbers.f_prime)
            continue
        np.testing.assert_array_equal(numbers.grad_normalized, numbers.grad_a * numbers.f_prime)
        np.testing.assert_allclose(numbers.grad_beta, numbers.grad_normalized, rtol=1e-15)
        np.testing.assert_allclose(numbers.grad_gamma, numbers.grad_normalized * numbers.x_hat, rtol=1e-13, atol=1e-17)
        g = numbers.gamma * numbers.grad_normalized
        if numbers.normalization == "batch":  # fixed statistics: a scale per unit
            expected = g / numbers.std
        else:  # the statistics move with every unit: the two correction terms
            expected = (g - g.mean() - numbers.x_hat * np.mean(g * numbers.x_hat)) / numbers.std
        np.testing.assert_allclose(numbers.delta, expected, rtol=1e-9, atol=1e-14)


def test_gradients_of_every_layer_kind_equal_central_differences(design_case):
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    X, y = _single(trainer, index)
    network, c = trainer.network.copy(), trainer.config
    for z in (numbers.normalized if numbers.normalized is not None else numbers.z for numbers in shown.hidden):
        assert np.min(np.abs(z)) > 1e-4, "a unit sits on a kink: pick another row"
    for position in range(network.theta.size):  # every parameter: W, b, gamma, beta
        saved = network.theta[position]
        network.theta[position] = saved + H
        plus = network.loss(X, y, c.regularization, c.regularization_rate, mode="predict")
        network.theta[position] = saved - H
        minus = network.loss(X, y, c.regularization, c.regularization_rate, mode="predict")
        network.theta[position] = saved
        numeric = (plus - minus) / (2 * H)
        assert shown.gradient[position] == pytest.approx(numeric, rel=1e-5, abs=1e-8), f"parameter {position}"


def test_the_update_shown_and_applied_is_the_trainers_own_step(design_case):
    trainer, index = design_case
    twin, applied = _twin(trainer), _twin(trainer)
    theta, statistics = trainer.network.theta.copy(), trainer.network.statistics.copy()
    rng_state = trainer.network.dropout_rng.bit_generator.state
    shown = walkthrough(trainer, index)
    # computing it changed nothing in the trainer
    np.testing.assert_array_equal(trainer.network.theta, theta)
    np.testing.assert_array_equal(trainer.network.statistics, statistics)
    assert trainer.network.dropout_rng.bit_generator.state == rng_state
    # the trainer's own step on that one point, in the walkthrough's mode
    points, y = trainer.train_points[index : index + 1], trainer.y_train[index : index + 1]
    own = twin.step_on(points, y, mode=STEP_MODE)
    np.testing.assert_array_equal(shown.theta_after, own.theta_after)
    np.testing.assert_array_equal(shown.update, own.update)
    np.testing.assert_array_equal(twin.network.theta, shown.theta_after)
    # Apply makes exactly that step, optimiser state and all, and leaves the running averages and the
    # dropout generator alone (no batch statistics, no mask in this step)
    rows = len(applied.history)
    apply_walkthrough(applied, walkthrough(applied, index))
    np.testing.assert_array_equal(applied.network.theta, shown.theta_after)
    np.testing.assert_array_equal(applied.network.statistics, statistics)
    assert applied.network.dropout_rng.bit_generator.state == rng_state
    for name, value in vars(twin.optimizer).items():
        if not name.startswith("_"):
            np.testing.assert_array_equal(getattr(applied.optimizer, name), value)
    assert len(applied.history) == rows + 1 and applied.epoch == trainer.epoch
    # the gamma and beta updates are the same step's
    for shown_view, kind in ((shown.update_gammas, "gamma"), (shown.update_betas, "beta")):
        for view, expected in zip(shown_view, trainer.network.layout.views(own.update, kind), strict=True):
            np.testing.assert_array_equal(view, expected)


def test_the_walkthroughs_mode_is_the_prediction_mode_and_says_so(design_case):
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    assert shown.mode == STEP_MODE == "predict"
    text = " ".join(step.explanation for step in shown.steps)
    c = trainer.config
    if c.normalization == "batch":
        assert "running averages" in text and "as predictions do" in text
        if trainer.epoch == 0:  # before any batch: mean 0, variance 1
            for numbers in shown.hidden:
                np.testing.assert_array_equal(numbers.mean, 0.0)
                np.testing.assert_allclose(numbers.std, np.sqrt(1.0 + NORM_EPSILON), rtol=1e-15)
            assert "before any training batch: μ = 0, σ² = 1" in text
    if c.normalization == "layer":
        assert "for this example alone" in text
    if c.dropout > 0:
        assert f"Dropout (p = {c.dropout:g}) is off in this step" in text
    if c.residual:
        assert "skip connection" in text
    if c.gradient_clip > 0:
        assert "clipping" in shown.steps[-1].explanation
    else:
        assert "clipping" not in text


def test_clipping_shows_the_norm_and_the_scale_it_applied(design_case):
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    c = trainer.config
    norm = np.sqrt(np.sum(shown.gradient**2))
    assert shown.gradient_norm == pytest.approx(norm, rel=1e-12)
    update_step = shown.steps[-1]
    if c.gradient_clip == 0:
        assert shown.clip_scale == 1.0 and not shown.clipped and "clip_scale" not in update_step.numbers
        np.testing.assert_array_equal(shown.step_gradient, shown.gradient)
        return
    assert update_step.numbers["clip_max"] == c.gradient_clip
    assert update_step.numbers["gradient_norm"] == shown.gradient_norm
    if norm > c.gradient_clip:
        assert shown.clipped and shown.clip_scale == pytest.approx(c.gradient_clip / norm, rel=1e-12)
        np.testing.assert_allclose(shown.step_gradient, shown.gradient * shown.clip_scale, rtol=1e-14)
        assert np.sqrt(np.sum(shown.step_gradient**2)) == pytest.approx(c.gradient_clip, rel=1e-12)
        assert f"c/‖g‖ = {shown.clip_scale:.4g}" in update_step.explanation
        assert update_step.numbers["clip_scale"] == shown.clip_scale
        for layer in range(1, trainer.network.n_layers + 1):
            np.testing.assert_array_equal(
                update_step.numbers[f"clipped_grad_W{layer}"], shown.grad_weights[layer - 1] * shown.clip_scale
            )
    else:
        assert shown.clip_scale == 1.0 and "not scaled" in update_step.explanation
    # the trainer's history says the same when the step is applied
    twin = _twin(trainer)
    apply_walkthrough(twin, walkthrough(twin, index))
    latest = twin.history.latest
    assert latest["clipped_batches"] == int(shown.clipped)
    assert latest["grad_norm_global"] == shown.gradient_norm


def test_steps_of_every_layer_kind_carry_their_numbers_and_formulas(design_case):
    trainer, index = design_case
    shown = walkthrough(trainer, index)
    network = trainer.network
    steps = {step.key: step for step in shown.steps}
    assert len(shown.steps) == step_count(network)
    for h, numbers in enumerate(shown.hidden):
        layer = h + 1
        forward, backward = steps[f"forward_{layer}"], steps[f"backward_{layer}"]
        for name, step in (("forward", forward), ("backward", backward)):
            for key, unit_layer in step.unit_layer_of.items():
                assert step.numbers[key].shape == (network.layer_sizes[unit_layer],), (name, key)
        np.testing.assert_array_equal(forward.numbers["a"], numbers.a)
        np.testing.assert_array_equal(forward.unit_values[layer], numbers.a)
        if numbers.skip:
            np.testing.assert_array_equal(forward.numbers["h"], numbers.h)
            assert rf"a_{{{layer}}} = a_{{{h}}} + h_{{{layer}}}" in forward.formula
        else:
            assert "h" not in forward.numbers
        if numbers.normalization != "none":
            for key in ("x_hat", "gamma", "beta", "normalized"):
                assert forward.unit_layer_of[key] == layer
            assert r"\hat z" in forward.formula and r"\gamma" in forward.formula
            np.testing.assert_array_equal(forward.numbers["mean"], numbers.mean)
            np.testing.assert_array_equal(backward.numbers["grad_gamma"], numbers.grad_gamma)
            np.testing.assert_array_equal(backward.numbers["grad_beta"], numbers.grad_beta)
            assert r"\partial \gamma" in backward.formula
            assert ("mean" in forward.unit_layer_of) == (numbers.normalization == "batch")  # per unit, or one number
        if numbers.skip_grad is not None:
            np.testing.assert_array_equal(backward.numbers["skip_grad"], numbers.skip_grad)
            assert backward.unit_layer_of["skip_grad"] == layer + 1
            assert rf"+ \frac{{\partial L}}{{\partial a_{{{layer + 1}}}}}" in backward.formula
    update = steps["update"]
    for h, (d_gamma, d_beta) in enumerate(zip(shown.update_gammas, shown.update_betas, strict=True)):
        np.testing.assert_array_equal(update.numbers[f"update_gamma{h + 1}"], d_gamma)
        np.testing.assert_array_equal(update.numbers[f"update_beta{h + 1}"], d_beta)


def test_step_on_checks_its_input_and_a_preview_changes_nothing():
    trainer = Trainer(TrainingConfig(hidden_layers=(3, 3), normalization="batch", dropout=0.2, batch_size=4))
    trainer.train(1)
    points, y = trainer.train_points[:1], trainer.y_train[:1]
    with pytest.raises(ValueError, match="batch norm standardises each unit over the batch"):
        trainer.step_on(points, y, mode="train")
    with pytest.raises(ValueError, match="labels must have shape"):
        trainer.step_on(points, trainer.y_train[:2])
    theta, statistics, rows = trainer.network.theta.copy(), trainer.network.statistics.copy(), len(trainer.history)
    rng_state = trainer.network.dropout_rng.bit_generator.state
    batch_points, batch_y = trainer.train_points[:6], trainer.y_train[:6]
    preview = trainer.step_on(batch_points, batch_y, mode="train", apply=False)
    np.testing.assert_array_equal(trainer.network.theta, theta)
    np.testing.assert_array_equal(trainer.network.statistics, statistics)
    assert trainer.network.dropout_rng.bit_generator.state == rng_state and len(trainer.history) == rows
    # a training-mode step moves the running averages and draws masks; the preview foresaw it exactly
    assert not np.array_equal(preview.network.statistics, statistics)
    applied = trainer.step_on(batch_points, batch_y, mode="train")
    np.testing.assert_array_equal(applied.theta_after, preview.theta_after)
    np.testing.assert_array_equal(trainer.network.statistics, preview.network.statistics)
    assert len(trainer.history) == rows + 1
