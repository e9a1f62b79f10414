"""Every layer kind's gradients, and the layers' own rules (playground/engine/layers.py, network.py).

Gradients: the engine's backprop against central differences and against an independent implementation
written with autograd (below: its own parameter layout, normalisation, skips and losses), for dense layers,
each activation, skip connections (layers of equal and of unequal widths), batch norm (batch statistics
while training, running averages in "predict" mode), layer norm, dropout with a fixed mask, and their
combinations, for every head and regulariser. Architectures are drawn at random (seeded), as in
tests/test_gradients.py, which covers the plain dense stack in depth.

Also: batch norm's running averages (bias-corrected), dropout's masks and modes, the parameter layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad

from playground.data.datasets import FEATURES, make_features
from playground.engine.activations import ACTIVATIONS, ELU_ALPHA, LEAKY_RELU_SLOPE
from playground.engine.heads import HEADS
from playground.engine.layers import NORM_EPSILON, RUNNING_DECAY, Dense, Dropout, HiddenBlock
from playground.engine.network import Network, ParameterLayout, Pass, parameter_count

H = 1e-5  # central differences' step
N_SAMPLES = 10
N_CLASSES = 3  # the softmax head's problems
DEPTH = 4  # hidden layers of the drawn networks
KINKED = {"relu", "leaky_relu", "elu"}  # not twice differentiable at 0
KINK_MARGIN = 1e-3  # every input of a kinked activation is kept this far from 0 (a step of h moves it ~1e-5)
L1_MARGIN = 0.05  # |w| >= this for L1 (|w| has a kink at 0)
RATES = {"none": 0.0, "l2": 0.1, "l1": 0.05}
MASK_SEED = 7  # dropout_rng is reseeded with it before every evaluation: the same masks each time
# Per parameter block (each W, b, gamma, beta): |analytic - reference| <= tolerance * the larger norm + ABSOLUTE.
# Central differences: O(h^2) truncation + O(eps / h) rounding, about 1e-9 here; piecewise-smooth ReLUs get
# more room (about 1e-8 seen: the draw keeps their inputs off the kink).
FD_TOLERANCE, FD_TOLERANCE_KINKED = 1e-7, 1e-6
AUTOGRAD_TOLERANCE = 1e-9  # the same maths summed in another order
ABSOLUTE = 1e-9

# ---- the independent implementation (autograd) -----------------------------------------------------

REFERENCE_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "tanh": anp.tanh,
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, LEAKY_RELU_SLOPE * z),
    "elu": lambda z: anp.where(z > 0, z, ELU_ALPHA * (anp.exp(anp.minimum(z, 0.0)) - 1.0)),
    "linear": lambda z: z,
}


@dataclass(frozen=True)
class Design:
    """The layer kinds of a network and the mode its gradient is taken in ("measure": batch statistics
    and no dropout; "train": dropout masks drawn; "predict": batch norm's running averages)."""

    residual: bool = False
    normalization: str = "none"
    dropout: float = 0.0
    mode: str = "measure"

    @property
    def name(self) -> str:
        parts = ["skip"] * self.residual + [f"{self.normalization}norm"] * (self.normalization != "none")
        parts += [f"dropout{self.dropout:g}"] * (self.dropout > 0)
        return "+".join(parts or ["dense"]) + f"/{self.mode}"


@dataclass
class Problem:
    """A drawn network and batch: X (n, n_inputs), y (n,), theta in the engine's documented layout,
    ``statistics`` batch norm's raw running averages (the engine's ``network.statistics`` layout) and
    ``running`` the bias-corrected (mean (width,), variance (width,)) they stand for, per hidden layer."""

    layer_sizes: list[int]
    activations: list[str]
    head: str
    design: Design
    regularization: str
    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    statistics: np.ndarray | None
    running: list[tuple[np.ndarray, np.ndarray]] | None

    @property
    def rate(self) -> float:
        return RATES[self.regularization]

    def network(self) -> Network:
        d = self.design
        return Network(
            self.layer_sizes,
            self.activations,
            self.theta.copy(),
            self.head,
            residual=d.residual,
            normalization=d.normalization,
            dropout=d.dropout,
            statistics=self.statistics,
        )


def expected_skips(layer_sizes: list[int], residual: bool) -> list[bool]:
    """A skip around hidden layer h exactly when residual and its input and output widths are equal."""
    return [residual and fan_in == fan_out for fan_in, fan_out in zip(layer_sizes[:-2], layer_sizes[1:-1])]


def reference_unpack(theta, layer_sizes: list[int], normalized: bool):
    """[(W_l, b_l)] then [(gamma_h, beta_h)]: the layout the README documents,
    [W1, b1, ..., WL, bL, gamma1, beta1, ..., gammaH, betaH], W row-major."""
    dense, offset = [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        W = anp.reshape(theta[offset : offset + fan_in * fan_out], (fan_in, fan_out))
        offset += fan_in * fan_out
        dense.append((W, theta[offset : offset + fan_out]))
        offset += fan_out
    norms = []
    if normalized:
        for width in layer_sizes[1:-1]:
            norms.append((theta[offset : offset + width], theta[offset + width : offset + 2 * width]))
            offset += 2 * width
    assert offset == len(theta)
    return dense, norms


def reference_logits(theta, problem: Problem, masks=None, record=None):
    """Logits (n, n_outputs). masks: dropout's scaled masks per hidden layer (n, width), or None.
    ``record`` (a list) receives (activation name, its input) per hidden layer and, under the key
    "pre_norm", the dense outputs, for the kink checks and the running averages' test."""
    d = problem.design
    sizes = problem.layer_sizes
    dense, norms = reference_unpack(theta, sizes, d.normalization != "none")
    skips = expected_skips(sizes, d.residual)
    a = problem.X
    for h, ((W, b), name) in enumerate(zip(dense[:-1], problem.activations)):
        z = anp.dot(a, W) + b  # (n, width)
        if record is not None:
            record.append(("pre_norm", z))
        if d.normalization != "none":
            gamma, beta = norms[h]
            if d.normalization == "batch" and d.mode == "predict":
                mean, variance = problem.running[h]  # fixed numbers: no gradient through them
            else:
                axis = 0 if d.normalization == "batch" else 1  # batch norm: per unit; layer norm: per example
                mean = anp.mean(z, axis=axis, keepdims=True)
                variance = anp.mean((z - mean) ** 2, axis=axis, keepdims=True)
            z = gamma * (z - mean) / anp.sqrt(variance + NORM_EPSILON) + beta
        if record is not None:
            record.append((name, z))
        out = REFERENCE_ACTIVATIONS[name](z)
        if masks is not None:
            out = out * masks[h]
        a = a + out if skips[h] else out
    W, b = dense[-1]
    return anp.dot(a, W) + b


def reference_loss(theta, problem: Problem, masks=None):
    """Mean loss of the head plus the regulariser (on the weights W only: never b, gamma or beta)."""
    logits = reference_logits(theta, problem, masks)
    y = problem.y
    if problem.head == "sigmoid_bce":
        z = logits[:, 0]
        loss = anp.mean(anp.logaddexp(0.0, z) - y * z)  # BCE of sigmoid(z), written from the logits
    elif problem.head == "softmax_ce":
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_p = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        loss = -anp.mean(anp.sum(np.eye(logits.shape[1])[y.astype(int)] * log_p, axis=1))
    else:
        loss = 0.5 * anp.mean((logits[:, 0] - y) ** 2)
    dense, _ = reference_unpack(theta, problem.layer_sizes, problem.design.normalization != "none")
    if problem.regularization == "l2":
        loss = loss + problem.rate * 0.5 * sum(anp.sum(W * W) for W, _ in dense)
    elif problem.regularization == "l1":
        loss = loss + problem.rate * sum(anp.sum(anp.abs(W)) for W, _ in dense)
    return loss


# ---- drawing problems ----------------------------------------------------------------------------


def _widths(rng: np.random.Generator, n_inputs: int) -> list[int]:
    """DEPTH hidden widths from two values (one of them sometimes the input width), such that some layers
    have equal input and output widths (a skip with residual=True) and some do not."""
    while True:
        pair = rng.choice([n_inputs, 3, 4, 5, 6], size=2, replace=False)
        hidden = [int(w) for w in rng.choice(pair, size=DEPTH)]
        skips = expected_skips([n_inputs, *hidden, 1], True)
        if any(skips) and not all(skips):
            return hidden


def _masks_of(network: Network, X: np.ndarray) -> list[np.ndarray] | None:
    """The scaled dropout masks (n, width) a "train" pass draws after reseeding, or None without dropout."""
    if network.dropout == 0:
        return None
    network.dropout_rng = np.random.default_rng(MASK_SEED)
    batch_pass = network.forward(X, "train").pass_
    return [block.dropout.scaled_mask.copy() for block in batch_pass.blocks]


def draw_problem(seed: int, design: Design, activations, head: str, regularization: str) -> Problem:
    """A random network and batch for ``design``: kinked activations' inputs kept off 0, |w| off 0 for L1."""
    rng = np.random.default_rng(seed)
    n_inputs = int(rng.integers(3, len(FEATURES) + 1))
    features = tuple(rng.choice(list(FEATURES), size=n_inputs, replace=False))
    hidden = _widths(rng, n_inputs)
    layer_sizes = [n_inputs, *hidden, N_CLASSES if head == "softmax_ce" else 1]
    if isinstance(activations, str):
        activations = [activations] * DEPTH
    X = make_features(rng.uniform(-6.0, 6.0, (N_SAMPLES, 2)), features)
    if head == "softmax_ce":
        y = (np.arange(N_SAMPLES) % N_CLASSES).astype(float)
    elif head == "linear_mse":
        y = rng.normal(0.0, 1.0, N_SAMPLES)
    else:
        y = (np.arange(N_SAMPLES) % 2).astype(float)
    rng.shuffle(y)
    statistics = running = None
    if design.normalization == "batch":
        # Running averages after 3 batches: stored raw (the engine's layout [mean, variance, steps] per
        # layer), standing for the bias-corrected averages the reference uses.
        steps, running, raw = 3, [], []
        for width in hidden:
            mean, variance = rng.normal(0.0, 0.5, width), rng.uniform(0.5, 2.0, width)
            running.append((mean, variance))
            correction = 1.0 - RUNNING_DECAY**steps
            raw.append(np.concatenate([mean * correction, variance * correction, [steps]]))
        statistics = np.concatenate(raw)
    normalized = design.normalization != "none"
    for _ in range(300):
        parts = []
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            W = rng.normal(0.0, 1.5 / np.sqrt(fan_in), fan_in * fan_out)
            if regularization == "l1":
                W = np.sign(W) * np.maximum(np.abs(W), L1_MARGIN)
            parts += [W, rng.normal(0.0, 0.3, fan_out)]  # non-zero biases
        if normalized:
            for width in hidden:  # not the initial 1 and 0: every term of the maths shows
                parts += [rng.normal(1.0, 0.3, width), rng.normal(0.0, 0.3, width)]
        theta = np.concatenate(parts)
        problem = Problem(
            layer_sizes, list(activations), head, design, regularization, X, y, theta, statistics, running
        )
        record = []
        reference_logits(theta, problem, _masks_of(problem.network(), X), record)
        kinked = [u for name, u in record if name in KINKED]
        if all(np.min(np.abs(u)) > KINK_MARGIN for u in kinked):
            return problem
    raise AssertionError("could not draw parameters away from the kinks")


# ---- the engine's gradient, and the checks -------------------------------------------------------


def engine_loss_and_gradient(network: Network, problem: Problem) -> tuple[float, np.ndarray]:
    """``Network.loss_and_gradient`` in the design's mode; with dropout, on the masks of MASK_SEED."""
    network.dropout_rng = np.random.default_rng(MASK_SEED)
    return network.loss_and_gradient(problem.X, problem.y, problem.regularization, problem.rate, problem.design.mode)


def central_differences(network: Network, problem: Problem) -> np.ndarray:
    """dL/dtheta by (L(theta + h e_i) - L(theta - h e_i)) / 2h, every evaluation on the same dropout masks.

    L is ``Network.loss``'s sum (the head's loss of a forward pass plus the penalty), on one ``Pass`` bound
    to the batch and reused, as the trainer reuses its passes (a new one per evaluation costs a third more)."""
    X, rule, rate = problem.X, problem.regularization, problem.rate
    T = network.targets(problem.y)
    batch_pass = Pass(network, X.shape[0], problem.design.mode)
    reseed = problem.design.mode == "train" and network.dropout > 0

    def loss() -> float:
        if reseed:
            network.dropout_rng = np.random.default_rng(MASK_SEED)
        batch_pass.forward(X)
        return network.head.loss(batch_pass.logits, T) + network.regularization_penalty(rule, rate)

    reused = loss()
    network.dropout_rng = np.random.default_rng(MASK_SEED)
    assert reused == network.loss(X, problem.y, rule, rate, problem.design.mode)  # the same L
    theta = network.theta
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + H
        plus = loss()
        theta[i] = saved - H
        minus = loss()
        theta[i] = saved
        numeric[i] = (plus - minus) / (2 * H)
    return numeric


def assert_blocks_close(network: Network, analytic: np.ndarray, expected: np.ndarray, tolerance: float) -> None:
    """Each parameter block (W_l, b_l, gamma_h, beta_h) on its own: a small block's error cannot hide in a
    large block's norm."""
    for block in network.layout.blocks:
        a, e = analytic[block.start : block.stop], expected[block.start : block.stop]
        error = np.linalg.norm(a - e)
        scale = max(np.linalg.norm(a), np.linalg.norm(e))
        assert error <= tolerance * scale + ABSOLUTE, (
            f"{block.kind} {block.name}: error {error:.3g} against norm {scale:.3g} "
            f"(sizes {network.layer_sizes}, {network.hidden_activation_names}, skips {network.skips})"
        )


DESIGNS = [
    Design(),
    Design(residual=True),
    Design(normalization="batch"),
    Design(normalization="batch", mode="predict"),
    Design(normalization="layer"),
    Design(dropout=0.3, mode="train"),
    Design(residual=True, normalization="batch", dropout=0.25, mode="train"),
    Design(residual=True, normalization="layer", dropout=0.4, mode="train"),
    Design(residual=True, normalization="batch", dropout=0.2, mode="predict"),  # dropout off, running averages
    Design(residual=True, normalization="layer", dropout=0.5, mode="measure"),  # dropout off, batch statistics
]
_ACTIVATION_RNG = np.random.default_rng(18)
_MIXED = {design: [str(a) for a in _ACTIVATION_RNG.choice(sorted(ACTIVATIONS), size=DEPTH)] for design in DESIGNS}
# autograd is cheap: every design with every head and regulariser.
CASES = [
    pytest.param(design, _MIXED[design], head, regularization, id=f"{design.name}-{head}-{regularization}")
    for design in DESIGNS
    for head in HEADS
    for regularization in RATES
]
# Central differences cost 2 forward passes per parameter: every design with every head, and every
# regulariser with every design, in three pairings.
FD_CASES = [
    pytest.param(design, _MIXED[design], head, regularization, id=f"{design.name}-{head}-{regularization}")
    for design in DESIGNS
    for head, regularization in zip(HEADS, ("l2", "l1", "none"))
]
# Each activation throughout a network, with every normalisation, skips and dropout.
EACH_ACTIVATION = [
    pytest.param(
        Design(residual=True, normalization=normalization, dropout=0.2, mode="train"),
        name,
        "sigmoid_bce",
        "l2",
        id=f"{name}-{normalization}",
    )
    for name in ACTIVATIONS
    for normalization in ("none", "batch", "layer")
]


def _seed(*key) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate(repr(key)))


def _check_problem(network: Network, problem: Problem) -> None:
    """The drawn network is what the case says: the skips where the widths match, the layer kinds in place."""
    assert network.skips == expected_skips(problem.layer_sizes, problem.design.residual)
    assert any(network.skips) == problem.design.residual
    block = network.forward(problem.X).pass_.blocks[0]
    assert (block.norm is None) == (problem.design.normalization == "none")
    assert (block.dropout is None) == (problem.design.dropout == 0)


@pytest.mark.parametrize("design, activations, head, regularization", FD_CASES + EACH_ACTIVATION)
def test_every_layer_kind_matches_central_differences(design, activations, head, regularization):
    problem = draw_problem(_seed(design, activations, head, regularization), design, activations, head, regularization)
    network = problem.network()
    _check_problem(network, problem)
    statistics_before = network.statistics.copy()
    _, analytic = engine_loss_and_gradient(network, problem)
    np.testing.assert_array_equal(network.theta, problem.theta)  # the check must not move the parameters
    numeric = central_differences(network, problem)
    kinked = any(name in KINKED for name in network.hidden_activation_names)
    assert_blocks_close(network, analytic, numeric, FD_TOLERANCE_KINKED if kinked else FD_TOLERANCE)
    if design.normalization != "none":  # the gamma and beta blocks were checked, and are not trivially zero
        assert len(network.layout.of_kind("gamma")) == len(network.layout.of_kind("beta")) == DEPTH
        assert np.abs(np.concatenate([*network.grad_gammas, *network.grad_betas])).max() > 1e-6
    if design.mode != "train":  # "measure" and "predict" leave the running averages alone
        np.testing.assert_array_equal(network.statistics, statistics_before)


@pytest.mark.parametrize("design, activations, head, regularization", CASES + EACH_ACTIVATION)
def test_every_layer_kind_matches_autograd(design, activations, head, regularization):
    seed = _seed(design, activations, head, regularization) + 1
    problem = draw_problem(seed, design, activations, head, regularization)
    network = problem.network()
    masks = _masks_of(network, problem.X) if design.mode == "train" else None
    loss, analytic = engine_loss_and_gradient(network, problem)
    expected_loss = reference_loss(problem.theta, problem, masks)
    expected = autograd_grad(reference_loss)(problem.theta, problem, masks)
    assert loss == pytest.approx(float(expected_loss), rel=1e-12)
    assert_blocks_close(network, analytic, expected, AUTOGRAD_TOLERANCE)


def test_dropout_masks_change_the_gradient_and_measure_mode_has_none():
    """The dropout cases above are not vacuous: masks drawn with another seed give another gradient, and
    "measure" (no dropout) gives the gradient of the network without dropout."""
    design = Design(residual=True, normalization="layer", dropout=0.3, mode="train")
    problem = draw_problem(5, design, "tanh", "sigmoid_bce", "none")
    network = problem.network()
    _, with_masks = engine_loss_and_gradient(network, problem)
    network.dropout_rng = np.random.default_rng(MASK_SEED + 1)
    _, other_masks = network.loss_and_gradient(problem.X, problem.y, mode="train")
    assert not np.allclose(with_masks, other_masks)
    _, measured = network.loss_and_gradient(problem.X, problem.y, mode="measure")
    expected = autograd_grad(reference_loss)(problem.theta, problem, None)
    assert_blocks_close(network, measured, expected, AUTOGRAD_TOLERANCE)


# ---- skip connections ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer_sizes, skips",
    [
        ([2, 4, 2, 1], [False, False]),
        ([2, 2, 2, 1], [True, True]),  # the first hidden layer too: its width equals the inputs'
        ([3, 5, 5, 5, 4, 4, 1], [False, True, True, False, True]),
        ([4, 4, 3], [True]),  # a softmax output of 3 never gets one (the output layer has none)
        ([2, 1], []),
    ],
)
def test_skips_go_around_hidden_layers_of_equal_widths(layer_sizes, skips):
    activations = ["tanh"] * (len(layer_sizes) - 2)
    head = "softmax_ce" if layer_sizes[-1] > 1 else "sigmoid_bce"
    assert Network(layer_sizes, activations, head=head, residual=True).skips == skips
    assert Network(layer_sizes, activations, head=head).skips == [False] * len(skips)


def test_a_skip_adds_the_blocks_input_to_its_output():
    """With W = 0 and b = 0, a tanh block outputs 0: a layer with a skip passes its input on unchanged."""
    network = Network([3, 3, 3, 1], ["tanh", "tanh"], residual=True)
    X = np.random.default_rng(0).normal(size=(5, 3))
    cache = network.forward(X)
    np.testing.assert_array_equal(cache.activations[1], X)
    np.testing.assert_array_equal(cache.activations[2], X)


def test_a_skip_between_unequal_widths_is_refused():
    dense = Dense(np.zeros((3, 4)), np.zeros(4), np.zeros((3, 4)), np.zeros(4), 2)
    with pytest.raises(ValueError, match="equal widths"):
        HiddenBlock([dense], skip=True, n=2, fan_in=3, fan_out=4)


# ---- regularisers, layout -----------------------------------------------------------------------


@pytest.mark.parametrize("regularization", ["l1", "l2"])
@pytest.mark.parametrize("normalization", ["batch", "layer"])
def test_regularisers_touch_the_weights_only_never_gamma_or_beta(regularization, normalization):
    design = Design(residual=True, normalization=normalization)
    problem = draw_problem(3, design, "sigmoid", "sigmoid_bce", regularization)
    network = problem.network()
    _, plain = network.loss_and_gradient(problem.X, problem.y)
    _, regularized = network.loss_and_gradient(problem.X, problem.y, regularization, 0.5)
    difference = regularized - plain
    for block in network.layout.blocks:
        part, values = difference[block.start : block.stop], problem.theta[block.start : block.stop]
        if block.kind == "weight":
            expected = 0.5 * (values if regularization == "l2" else np.sign(values))
            np.testing.assert_allclose(part, expected, rtol=1e-12, atol=1e-15)
        else:
            assert not part.any(), f"the regulariser moved {block.kind} {block.name}"
    penalty = network.loss(problem.X, problem.y, regularization, 0.5, "measure") - network.loss(
        problem.X, problem.y, mode="measure"
    )
    dense, _ = reference_unpack(problem.theta, problem.layer_sizes, True)
    weights = np.concatenate([W.ravel() for W, _ in dense])
    expected_penalty = 0.5 * (0.5 * weights @ weights if regularization == "l2" else np.abs(weights).sum())
    assert penalty == pytest.approx(expected_penalty, rel=1e-10)


@pytest.mark.parametrize("layer_sizes", [[2, 1], [3, 4, 2, 1], [5, 6, 6, 3]])
def test_the_layout_keeps_a_plain_networks_order_and_puts_gamma_and_beta_after(layer_sizes):
    """[W1, b1, ..., WL, bL] exactly as a plain network always had it, then gamma_h, beta_h per hidden layer."""
    n_hidden = len(layer_sizes) - 2
    head = "softmax_ce" if layer_sizes[-1] > 1 else "sigmoid_bce"
    dense_size = sum(i * o + o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))
    theta = np.arange(dense_size, dtype=float)
    plain = Network(layer_sizes, ["tanh"] * n_hidden, theta, head)
    assert plain.layout.size == parameter_count(layer_sizes) == dense_size
    np.testing.assert_array_equal(plain.theta, theta)  # a plain network's theta is unchanged
    offset = 0
    for W, b, (fan_in, fan_out) in zip(plain.weights, plain.biases, zip(layer_sizes[:-1], layer_sizes[1:])):
        np.testing.assert_array_equal(W, theta[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out))
        offset += fan_in * fan_out
        np.testing.assert_array_equal(b, theta[offset : offset + fan_out])
        offset += fan_out
    assert plain.gammas == [] and plain.betas == []

    hidden_width = sum(layer_sizes[1:-1])
    size = dense_size + 2 * hidden_width
    assert ParameterLayout(layer_sizes, normalized=True).size == parameter_count(layer_sizes, True) == size
    theta = np.arange(size, dtype=float)
    normed = Network(layer_sizes, ["tanh"] * n_hidden, theta, head, normalization="layer")
    for W_plain, W_normed in zip(plain.weights, normed.weights):  # the dense part sits where it always did
        np.testing.assert_array_equal(W_plain, W_normed)
    offset = dense_size
    for gamma, beta, width in zip(normed.gammas, normed.betas, layer_sizes[1:-1]):
        np.testing.assert_array_equal(gamma, theta[offset : offset + width])
        np.testing.assert_array_equal(beta, theta[offset + width : offset + 2 * width])
        offset += 2 * width
    # The views are views: writing one writes theta, and the gradient's views mirror them.
    if n_hidden:
        normed.gammas[0][0] = -1.0
        assert normed.theta[dense_size] == -1.0
        normed.grad_betas[-1][...] = 5.0
        assert np.all(normed.grad[size - layer_sizes[-2] :] == 5.0)
    # weight_mask: 1 on every W entry, 0 on b, gamma and beta.
    expected_mask = np.zeros(size)
    offset = 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        expected_mask[offset : offset + fan_in * fan_out] = 1.0
        offset += fan_in * fan_out + fan_out
    np.testing.assert_array_equal(normed.weight_mask, expected_mask)


def test_a_fresh_normalised_network_starts_with_gamma_one_and_beta_zero():
    network = Network.initialized(
        [2, 4, 4, 1], ["relu", "relu"], "he_normal", np.random.default_rng(0), normalization="batch"
    )
    for gamma, beta in zip(network.gammas, network.betas):
        np.testing.assert_array_equal(gamma, 1.0)
        np.testing.assert_array_equal(beta, 0.0)
    assert network.statistics.shape == (2 * (2 * 4 + 1),) and not network.statistics.any()


# ---- batch norm's running averages ---------------------------------------------------------------


def _batch_norm_problem(seed: int = 11) -> Problem:
    return draw_problem(seed, Design(residual=True, normalization="batch"), "tanh", "sigmoid_bce", "none")


def _batch_statistics(problem: Problem, X: np.ndarray, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per hidden layer, the mean and (population) variance over the batch of its dense output (the reference)."""
    record = []
    reference_logits(theta, Problem(**{**problem.__dict__, "X": X}), None, record)
    return [(u.mean(axis=0), u.var(axis=0)) for name, u in record if name == "pre_norm"]


def test_after_one_training_batch_the_running_averages_are_that_batchs_statistics():
    problem = _batch_norm_problem()
    network = problem.network()
    network.statistics[...] = 0.0  # a fresh network: no batch seen
    for running in network.running:
        mean, variance = running.averages()  # before any batch: the identity standardisation
        np.testing.assert_array_equal(mean, 0.0)
        np.testing.assert_array_equal(variance, 1.0)
    network.forward(problem.X, "train")
    expected = _batch_statistics(problem, problem.X, problem.theta)
    for running, (mean, variance) in zip(network.running, expected):
        got_mean, got_variance = running.averages()
        np.testing.assert_allclose(got_mean, mean, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got_variance, variance, rtol=1e-12, atol=1e-14)


def test_running_averages_are_bias_corrected_exponential_averages():
    problem = _batch_norm_problem()
    network = problem.network()
    network.statistics[...] = 0.0
    batches = [problem.X, problem.X[::-1] * 1.5 + 0.2, problem.X[:6] - 0.3]
    for X in batches:
        network.forward(X, "train")
    stats = [_batch_statistics(problem, X, problem.theta) for X in batches]  # [batch][layer] (mean, var)
    t = len(batches)
    weights = [(1 - RUNNING_DECAY) * RUNNING_DECAY ** (t - 1 - k) for k in range(t)]
    for layer, running in enumerate(network.running):
        mean, variance = running.averages()
        expected_mean = sum(w * s[layer][0] for w, s in zip(weights, stats)) / (1 - RUNNING_DECAY**t)
        expected_variance = sum(w * s[layer][1] for w, s in zip(weights, stats)) / (1 - RUNNING_DECAY**t)
        np.testing.assert_allclose(mean, expected_mean, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(variance, expected_variance, rtol=1e-12, atol=1e-14)


def test_predict_mode_uses_the_running_averages_and_measure_mode_leaves_them_untouched():
    problem = _batch_norm_problem()
    network = problem.network()
    before = network.statistics.copy()
    measured = network.forward(problem.X, "measure").logits.copy()
    network.loss_and_gradient(problem.X, problem.y)  # "measure" by default
    np.testing.assert_array_equal(network.statistics, before)
    predicted = network.forward(problem.X[:3], "predict").logits  # any number of rows, even one
    np.testing.assert_array_equal(network.statistics, before)
    with_running = Problem(**{**problem.__dict__, "design": Design(True, "batch", mode="predict"), "X": problem.X[:3]})
    np.testing.assert_allclose(predicted, reference_logits(problem.theta, with_running), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(measured, reference_logits(problem.theta, problem), rtol=1e-12, atol=1e-14)
    assert not np.allclose(measured[:3], predicted)  # the two modes really differ here
    one = network.forward(problem.X[:1], "predict").logits  # predictions are per example
    np.testing.assert_allclose(one, predicted[:1], rtol=1e-12)


# ---- dropout ---------------------------------------------------------------------------------------


def _dropout(rate: float, n: int, width: int, seed: int = 0) -> Dropout:
    return Dropout(rate, SimpleNamespace(dropout_rng=np.random.default_rng(seed)), n, width)


@pytest.mark.parametrize("mode", ["predict", "measure"])
def test_dropout_passes_its_input_on_outside_training(mode):
    layer = _dropout(0.5, 4, 3)
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_array_equal(layer.forward(x, mode), x)
    dy = np.ones((4, 3))
    np.testing.assert_array_equal(layer.backward(dy), dy)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_training_dropout_keeps_about_one_minus_p_scaled_by_its_inverse(rate):
    n, width = 400, 50
    layer = _dropout(rate, n, width, seed=3)
    x = np.random.default_rng(2).uniform(1.0, 2.0, (n, width))  # never 0: a zero output means dropped
    y = layer.forward(x, "train").copy()
    kept = y != 0.0
    # 20,000 Bernoulli draws: the kept share is within 0.015 of 1 - p (about 4 standard deviations).
    assert abs(kept.mean() - (1.0 - rate)) < 0.015
    np.testing.assert_allclose(y[kept], x[kept] / (1.0 - rate), rtol=1e-15)
    assert abs(y.mean() / x.mean() - 1.0) < 0.03  # inverted dropout: the expected output is the input
    dy = np.random.default_rng(4).normal(size=(n, width))
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, np.where(kept, dy / (1.0 - rate), 0.0), rtol=1e-15)


def test_the_same_seed_gives_the_same_masks_and_another_seed_others():
    network = Network([2, 6, 6, 1], ["relu", "relu"], np.linspace(-1, 1, parameter_count([2, 6, 6, 1])), dropout=0.3)
    X = np.random.default_rng(0).normal(size=(8, 2))
    masks = [_masks_of(network, X) for _ in range(2)]
    for first, second in zip(*masks):
        np.testing.assert_array_equal(first, second)
    network.dropout_rng = np.random.default_rng(MASK_SEED + 1)
    other = [block.dropout.scaled_mask.copy() for block in network.forward(X, "train").pass_.blocks]
    assert not all(np.array_equal(a, b) for a, b in zip(masks[0], other))
    # Each layer draws its own mask: successive layers do not repeat one.
    assert not np.array_equal(masks[0][0], masks[0][1])
    # Predictions do not draw: the generator is where it was.
    state = network.dropout_rng.bit_generator.state
    network.forward(X)
    network.loss_and_gradient(X, np.ones(8))
    assert network.dropout_rng.bit_generator.state == state


def test_dropout_is_refused_beyond_one_half():
    with pytest.raises(ValueError, match="dropout"):
        Network([2, 3, 1], ["tanh"], dropout=0.7)
