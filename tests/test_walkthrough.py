"""The backprop walkthrough's numbers (playground/teaching/walkthrough.py) against the engine and independent checks.

The walkthrough computes one training step on one example explicitly, in the textbook's notation.
Here every number it shows is compared with: the engine's forward and backward pass on that single
point (``Network.forward`` / ``backward`` / ``loss_and_gradient``), an independent autodiff
(``autograd``, the implementation of tests/test_gradients.py, plus offsets on each z for the deltas),
central differences on a few parameters, and, for the update, the trainer's own training loop run on a
training set of that one point with batch size 1 -- for SGD, momentum and Adam, on binary, multi-class,
regression and digits networks, with ReLU, tanh, sigmoid and linear hidden layers and L2 (and L1).
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
from playground.engine.network import layer_views
from playground.teaching.walkthrough import apply_walkthrough, check_index, unit_labels, walkthrough

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
    np.testing.assert_array_equal(trainer.network.theta, shown.theta_before + shown.update)
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


def test_the_inputs_step_of_an_image_says_what_the_pixels_are():
    trainer = Trainer(TrainingConfig(dataset="digits", hidden_layers=(8,)))
    step = walkthrough(trainer, 2).steps[0]
    assert "divided by 16" in step.explanation and "point (x₁" not in step.explanation


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
