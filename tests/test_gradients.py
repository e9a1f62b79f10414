"""Whole-network gradient checks: hand-written backprop against central differences and autograd.

Architectures are drawn at random (seeded) for 0, 1, 3 and 6 hidden layers of width 1-8, with
a random subset of the input features, for every hidden activation and mixed per-layer ones.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad

from playground import Trainer, TrainingConfig
from playground.data.datasets import FEATURES, make_features
from playground.engine.activations import ACTIVATIONS, ELU_ALPHA, LEAKY_RELU_SLOPE
from playground.engine.heads import HEADS
from playground.engine.network import Network, parameter_count

H = 1e-5
N_SAMPLES = 12
KINKED = {"relu", "leaky_relu", "elu"}  # not twice differentiable at z = 0
KINK_MARGIN = 1e-3  # every pre-activation of a kinked unit is kept this far from 0 (h-perturbations move z ~1e-5)
L1_MARGIN = 0.05  # |w| >= this for L1 (|w| has a kink at 0)
RATES = {"none": 0.0, "l2": 0.1, "l1": 0.05}
# Relative error on the whole gradient vector. Central differences: O(h^2) truncation + O(eps / h) rounding,
# well under 1e-7 for smooth losses. ReLU/leaky ReLU are only piecewise smooth: 1e-4 there (kinks are also
# avoided by the draw, which is what makes the check deterministic).
FD_TOLERANCE = {name: 1e-7 for name in ACTIVATIONS} | {"relu": 1e-4, "leaky_relu": 1e-4}
AUTOGRAD_TOLERANCE = 1e-10

# ---- an independent implementation with autograd --------------------------------------------------

AUTOGRAD_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "tanh": anp.tanh,
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, LEAKY_RELU_SLOPE * z),
    "elu": lambda z: anp.where(z > 0, z, ELU_ALPHA * (anp.exp(anp.minimum(z, 0.0)) - 1.0)),
    "linear": lambda z: z,
}


def _unpack(theta, layer_sizes):
    """Same layout as network.layer_views: per layer W (fan_in * fan_out, row-major) then b."""
    layers, offset = [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        W = anp.reshape(theta[offset : offset + fan_in * fan_out], (fan_in, fan_out))
        offset += fan_in * fan_out
        b = theta[offset : offset + fan_out]
        offset += fan_out
        layers.append((W, b))
    assert offset == len(theta)
    return layers


def autograd_loss(theta, X, y, layer_sizes, activations, regularization, rate, head="sigmoid_bce"):
    layers = _unpack(theta, layer_sizes)
    a = X
    for (W, b), name in zip(layers[:-1], activations):
        a = AUTOGRAD_ACTIVATIONS[name](anp.dot(a, W) + b)
    W_out, b_out = layers[-1]
    logits = anp.dot(a, W_out) + b_out  # (n, K)
    if head == "sigmoid_bce":
        # BCE of sigmoid(z): log(1 + e^z) - y z (the log p form loses digits on the large logits drawn here).
        z = logits[:, 0]
        loss = anp.mean(anp.logaddexp(0.0, z) - y * z)
    elif head == "softmax_ce":
        # -log softmax(z)_y, written plainly (logits here are small: no overflow).
        exp = anp.exp(logits)
        p = exp / anp.sum(exp, axis=1, keepdims=True)
        one_hot = np.eye(layer_sizes[-1])[y.astype(int)]
        loss = -anp.mean(anp.sum(one_hot * anp.log(p), axis=1))
    else:
        loss = 0.5 * anp.mean((logits[:, 0] - y) ** 2)
    if regularization == "l2":
        loss = loss + rate * 0.5 * sum(anp.sum(W * W) for W, _ in layers)
    elif regularization == "l1":
        loss = loss + rate * sum(anp.sum(anp.abs(W)) for W, _ in layers)
    return loss


def _pre_activations(theta, X, layer_sizes, activations):
    """Hidden pre-activations (plain NumPy) to keep kinked units away from z = 0."""
    out, a = [], X
    for (W, b), name in zip(_unpack(theta, layer_sizes)[:-1], activations):
        z = a @ W + b
        out.append((name, z))
        a = AUTOGRAD_ACTIVATIONS[name](z)
    return out


# ---- random problems -----------------------------------------------------------------------------


N_CLASSES = 3  # the softmax head's problems


def _problem(seed, depth, activations, regularization, head="sigmoid_bce"):
    """A random network (layer sizes, activations, theta) and a batch X, y for ``head``; kinks avoided."""
    rng = np.random.default_rng(seed)
    n_features = int(rng.integers(1, len(FEATURES) + 1))
    features = tuple(rng.choice(list(FEATURES), size=n_features, replace=False))
    hidden = [int(w) for w in rng.integers(1, 9, size=depth)]
    layer_sizes = [n_features, *hidden, N_CLASSES if head == "softmax_ce" else 1]
    if isinstance(activations, str):
        activations = [activations] * depth
    points = rng.uniform(-6.0, 6.0, (N_SAMPLES, 2))
    X = make_features(points, features)
    if head == "softmax_ce":
        y = (np.arange(N_SAMPLES) % N_CLASSES).astype(float)
    elif head == "linear_mse":
        y = rng.normal(0.0, 1.0, N_SAMPLES)
    else:
        y = np.concatenate([np.zeros(N_SAMPLES // 2), np.ones(N_SAMPLES - N_SAMPLES // 2)])
    rng.shuffle(y)
    weight_mask = np.zeros(parameter_count(layer_sizes), dtype=bool)
    offset = 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weight_mask[offset : offset + fan_in * fan_out] = True
        offset += fan_in * fan_out + fan_out
    for _ in range(200):
        theta = np.empty(weight_mask.size)
        offset = 0
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            theta[offset : offset + fan_in * fan_out] = rng.normal(0.0, 1.5 / np.sqrt(fan_in), fan_in * fan_out)
            offset += fan_in * fan_out
            theta[offset : offset + fan_out] = rng.normal(0.0, 0.3, fan_out)  # non-zero biases
            offset += fan_out
        if regularization == "l1":
            w = theta[weight_mask]
            theta[weight_mask] = np.sign(w) * np.maximum(np.abs(w), L1_MARGIN)
        kinked = [z for name, z in _pre_activations(theta, X, layer_sizes, activations) if name in KINKED]
        if all(np.min(np.abs(z)) > KINK_MARGIN for z in kinked):
            return layer_sizes, list(activations), theta, X, y
    raise AssertionError("could not draw parameters away from the kinks")


def _relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


def _central_differences(network, X, y, regularization, rate):
    numeric = np.empty_like(network.theta)
    for i in range(network.theta.size):
        saved = network.theta[i]
        network.theta[i] = saved + H
        plus = network.loss(X, y, regularization, rate)
        network.theta[i] = saved - H
        minus = network.loss(X, y, regularization, rate)
        network.theta[i] = saved
        numeric[i] = (plus - minus) / (2 * H)
    return numeric


CASES = []
for _reg in RATES:
    CASES.append(pytest.param(0, "linear", _reg, id=f"depth0-{_reg}"))
    for _depth in (1, 3, 6):
        for _name in ACTIVATIONS:
            CASES.append(pytest.param(_depth, _name, _reg, id=f"depth{_depth}-{_name}-{_reg}"))

_MIXED_RNG = np.random.default_rng(2024)
MIXED_CASES = []
for _depth in (2, 3, 6):
    for _k in range(3):
        _acts = [str(a) for a in _MIXED_RNG.choice(sorted(ACTIVATIONS), size=_depth)]
        for _reg in RATES:
            MIXED_CASES.append(pytest.param(_depth, _acts, _reg, id=f"mixed{_depth}-{'-'.join(_acts)}-{_reg}"))


def _seed(depth, activations, regularization):
    key = f"{depth}|{activations}|{regularization}"
    return sum(ord(c) * (i + 1) for i, c in enumerate(key))


def _tolerance(activations):
    names = [activations] if isinstance(activations, str) else activations
    return max([FD_TOLERANCE[name] for name in names] + [FD_TOLERANCE["linear"]])


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("depth, activations, regularization", CASES + MIXED_CASES)
def test_backprop_matches_central_differences(depth, activations, regularization, head):
    layer_sizes, acts, theta, X, y = _problem(
        _seed(depth, activations, regularization), depth, activations, regularization, head
    )
    rate = RATES[regularization]
    network = Network(layer_sizes, acts, theta, head)
    loss, analytic = network.loss_and_gradient(X, y, regularization, rate)
    assert analytic.shape == theta.shape
    np.testing.assert_array_equal(network.theta, theta)  # the check itself must not move the parameters
    assert loss == pytest.approx(network.loss(X, y, regularization, rate), rel=1e-14)
    numeric = _central_differences(network, X, y, regularization, rate)
    error = _relative_error(analytic, numeric)
    assert error < _tolerance(activations), f"relative error {error:.3g} for sizes {layer_sizes}, {acts}"


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("depth, activations, regularization", CASES + MIXED_CASES)
def test_backprop_matches_autograd(depth, activations, regularization, head):
    layer_sizes, acts, theta, X, y = _problem(
        _seed(depth, activations, regularization) + 1, depth, activations, regularization, head
    )
    rate = RATES[regularization]
    network = Network(layer_sizes, acts, theta, head)
    loss, analytic = network.loss_and_gradient(X, y, regularization, rate)
    expected_loss = autograd_loss(theta, X, y, layer_sizes, acts, regularization, rate, head)
    expected = autograd_grad(autograd_loss)(theta, X, y, layer_sizes, acts, regularization, rate, head)
    assert loss == pytest.approx(float(expected_loss), rel=1e-12)
    error = _relative_error(analytic, expected)
    assert error < AUTOGRAD_TOLERANCE, f"relative error {error:.3g} for sizes {layer_sizes}, {acts}"


@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_regularisation_gradient_touches_weights_only(regularization):
    layer_sizes, acts, theta, X, y = _problem(7, 3, "tanh", regularization)
    network = Network(layer_sizes, acts, theta)
    _, plain = network.loss_and_gradient(X, y)
    _, regularized = network.loss_and_gradient(X, y, regularization, 0.5)
    difference = regularized - plain
    weights, biases = [], []
    offset = 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights.append(slice(offset, offset + fan_in * fan_out))
        biases.append(slice(offset + fan_in * fan_out, offset + fan_in * fan_out + fan_out))
        offset += fan_in * fan_out + fan_out
    for w, b in zip(weights, biases):
        expected = 0.5 * (theta[w] if regularization == "l2" else np.sign(theta[w]))
        np.testing.assert_allclose(difference[w], expected, rtol=1e-12, atol=1e-15)
        assert not difference[b].any()


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("depth", [1, 3])
def test_kept_deltas_sum_to_bias_gradients(depth, head):
    layer_sizes, acts, theta, X, y = _problem(11 + depth, depth, "sigmoid", "none", head)
    network = Network(layer_sizes, acts, theta, head)
    deltas = network.backward(network.forward(X), y, keep_deltas=True)
    assert len(deltas) == network.n_layers
    for layer, delta in enumerate(deltas):
        assert delta.shape == (N_SAMPLES, layer_sizes[layer + 1])
        np.testing.assert_allclose(delta.sum(axis=0), network.grad_biases[layer], rtol=1e-12, atol=1e-15)
    assert network.backward(network.forward(X), y) is None


@pytest.mark.parametrize(
    "hidden, activation, features, regularization",
    [
        ((), "tanh", ("x1", "x2"), "none"),
        ((4, 2), "tanh", ("x1", "x2"), "none"),
        ((5,), "relu", ("x1", "x2", "x1_times_x2"), "l2"),
        ((3, 3, 3), "sigmoid", tuple(FEATURES), "l1"),
    ],
)
def test_trainer_loss_and_gradients_per_layer(hidden, activation, features, regularization):
    config = TrainingConfig(
        hidden_layers=hidden,
        activations=(activation,) * len(hidden),
        features=features,
        regularization=regularization,
        regularization_rate=0.01,
    )
    trainer = Trainer(config)
    rng = np.random.default_rng(3)
    points = rng.uniform(-6, 6, (20, 2))
    y = (rng.uniform(size=20) > 0.5).astype(float)
    loss, gradients = trainer.loss_and_gradients(points, y)
    weights = trainer.get_weights()
    assert len(gradients) == len(weights) == len(hidden) + 1
    for (gW, gb), (W, b) in zip(gradients, weights):
        assert gW.shape == W.shape and gb.shape == b.shape
    # Same numbers as the flat gradient of the network on the same inputs, laid out per layer.
    X = make_features(points, features)
    expected_loss, flat = trainer.network.loss_and_gradient(X, y, regularization, 0.01)
    assert loss == pytest.approx(expected_loss, rel=1e-14)
    np.testing.assert_allclose(
        np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in gradients]), flat, rtol=1e-14, atol=0
    )
    # ...and against autograd on the trainer's own parameters.
    expected = autograd_grad(autograd_loss)(
        trainer.network.theta.copy(), X, y, trainer.network.layer_sizes, list(config.activations), regularization, 0.01
    )
    assert _relative_error(flat, expected) < AUTOGRAD_TOLERANCE
    # The returned arrays are copies: changing them leaves the network alone.
    theta_before = trainer.network.theta.copy()
    gradients[0][0][...] = 123.0
    gradients[-1][1][...] = 123.0
    np.testing.assert_array_equal(trainer.network.theta, theta_before)
    _, again = trainer.loss_and_gradients(points, y)
    np.testing.assert_array_equal(np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in again]), flat)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize(
    "hidden, activations",
    [
        ((5, 5, 5, 5), ["sigmoid"] * 4),  # a uniform stack: stacked gradients and one fused derivative call
        ((4, 6, 6, 6, 3), ["tanh", "tanh", "relu", "relu", "tanh"]),  # runs broken by activation and shape
        ((7, 7, 7), ["linear", "sigmoid", "sigmoid"]),  # a linear layer (no derivative) inside a stack
    ],
)
def test_merged_calls_of_deep_stacks_match_autograd(hidden, activations, head):
    """The Pass merges calls on runs of equal layers; those runs get the same exact gradient."""
    rng = np.random.default_rng(len(hidden))
    n_outputs = N_CLASSES if head == "softmax_ce" else 1
    layer_sizes = [3, *hidden, n_outputs]
    theta = rng.normal(0.0, 0.7, parameter_count(layer_sizes))
    X = rng.normal(0.0, 1.0, (N_SAMPLES, 3))
    y = (np.arange(N_SAMPLES) % (N_CLASSES if head == "softmax_ce" else 2)).astype(float)
    if head == "linear_mse":
        y = rng.normal(0.0, 1.0, N_SAMPLES)
    network = Network(layer_sizes, activations, theta, head)
    _, analytic = network.loss_and_gradient(X, y)
    expected = autograd_grad(autograd_loss)(theta, X, y, layer_sizes, activations, "none", 0.0, head)
    assert _relative_error(analytic, expected) < AUTOGRAD_TOLERANCE
