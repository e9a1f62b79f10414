"""A fully connected network with hand-written backprop, for any output head.

Notation (used throughout the engine):
  layer_sizes = [n_inputs, *hidden, n_outputs]; weight layer l (1-based in the UI, 0-based here)
  maps fan_in = layer_sizes[l] units to fan_out = layer_sizes[l + 1] units.
  z       pre-activation of a layer, (n_samples, fan_out)
  a       activation (the layer's output), (n_samples, fan_out); a_0 is the input X
  delta   dL/dz for a layer, (n_samples, fan_out)
  grad_W  dL/dW, (fan_in, fan_out);  grad_b  dL/db, (fan_out,)
  logits  the last layer's z, (n_samples, n_outputs); the head (``playground.heads``) turns them
          into outputs and owns the loss, so that the output delta is (outputs - T) / n.

All weights and biases live in one flat float64 vector ``theta``; ``weights[l]`` and
``biases[l]`` are views into it, and the gradients likewise into one flat ``grad`` vector, so an
optimiser step is one vector operation.

There is one implementation of the forward and backward pass: ``Pass``, which works in buffers
allocated once for a fixed number of samples. The trainer keeps one per batch size;
``Network.forward`` makes a throwaway one. Correctness is checked in the tests against central
differences and an independent autodiff, not against a second copy of the maths here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.activations import Activation, get_activation, inplace_kernels
from playground.heads import HEADS, Head
from playground.initializers import get_initializer
from playground.losses import REGULARIZERS


def parameter_count(layer_sizes: list[int]) -> int:
    return sum(i * o + o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))


def layer_views(vector: np.ndarray, layer_sizes: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Split a flat vector into per-layer (W, b) views: W_l (fan_in, fan_out), b_l (fan_out,)."""
    weights, biases, offset = [], [], 0
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights.append(vector[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out))
        offset += fan_in * fan_out
        biases.append(vector[offset : offset + fan_out])
        offset += fan_out
    return weights, biases


_views = layer_views  # the older private name, still used by a few callers


@dataclass
class ForwardCache:
    """What backprop needs from the forward pass.

    activations: [a_0 = X (n, n_inputs), a_1, ..., a_{L-1}] (hidden outputs), each (n, fan_out)
    logits: (n, n_outputs);  outputs: (n, n_outputs), the head's probabilities or values
    """

    activations: list[np.ndarray]
    logits: np.ndarray
    outputs: np.ndarray
    pass_: "Pass"


class Network:
    """Parameters and the maths of one network; no training loop, no UI."""

    def __init__(
        self,
        layer_sizes: list[int],
        hidden_activations: list[str],
        theta: np.ndarray | None = None,
        head: str = "sigmoid_bce",
    ):
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError(
                f"layer_sizes must be [n_inputs, *hidden, n_outputs] with positive sizes, got {layer_sizes}"
            )
        if len(hidden_activations) != len(layer_sizes) - 2:
            raise ValueError(
                f"one activation per hidden layer is needed: {len(layer_sizes) - 2} hidden layers, "
                f"{len(hidden_activations)} activations"
            )
        if head not in HEADS:
            raise ValueError(f"Unknown head {head!r}; choose one of {sorted(HEADS)}")
        self.head: Head = HEADS[head]
        if self.head.name != "softmax_ce" and layer_sizes[-1] != 1:
            raise ValueError(f"the {head} head has one output unit, got {layer_sizes[-1]}")
        if self.head.name == "softmax_ce" and layer_sizes[-1] < 2:
            raise ValueError("the softmax_ce head needs at least two output units")
        self.layer_sizes = list(layer_sizes)
        self.hidden_activation_names = list(hidden_activations)
        self.hidden_activations: list[Activation] = [get_activation(n) for n in hidden_activations]
        size = parameter_count(self.layer_sizes)
        self.theta = np.zeros(size) if theta is None else np.array(theta, dtype=np.float64)
        if self.theta.shape != (size,):
            raise ValueError(f"theta must have {size} entries, got {self.theta.shape}")
        self.grad = np.zeros(size)
        self.weights, self.biases = layer_views(self.theta, self.layer_sizes)
        self.grad_weights, self.grad_biases = layer_views(self.grad, self.layer_sizes)
        # 1 where theta holds a weight, 0 for a bias: regularisers touch weights only.
        self.weight_mask = np.zeros(size)
        for mask_w in layer_views(self.weight_mask, self.layer_sizes)[0]:
            mask_w[...] = 1.0

    @classmethod
    def initialized(
        cls,
        layer_sizes: list[int],
        hidden_activations: list[str],
        initializer: str,
        rng: np.random.Generator,
        sigma: float = 0.1,
        head: str = "sigmoid_bce",
    ) -> "Network":
        """A network with weights drawn by a named scheme (biases zero)."""
        network = cls(layer_sizes, hidden_activations, head=head)
        scheme = get_initializer(initializer)
        for W in network.weights:
            W[...] = scheme.function(W.shape[0], W.shape[1], rng, sigma)
        return network

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + output)."""
        return len(self.layer_sizes) - 1

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def copy(self, theta: np.ndarray | None = None) -> "Network":
        """A network of the same shape with a copy of ``theta`` (default: this one's)."""
        return Network(
            self.layer_sizes, self.hidden_activation_names, self.theta if theta is None else theta, self.head.name
        )

    # ---- checks ----------------------------------------------------------------------------
    def check_inputs(self, X: np.ndarray) -> np.ndarray:
        """X as a float (n, n_inputs) array, or ValueError saying what shape was expected."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"inputs must have shape (n, {self.n_inputs}), got {X.shape}")
        return X

    def targets(self, y: np.ndarray) -> np.ndarray:
        """Checked labels y (n,) as the head's targets T (n, n_outputs)."""
        return self.head.targets(self.head.check_labels(y, self.n_outputs), self.n_outputs)

    # ---- forward and backward --------------------------------------------------------------
    def forward(self, X: np.ndarray) -> ForwardCache:
        """X: (n, n_inputs) -> cache with every hidden activation, the logits and the outputs."""
        X = self.check_inputs(X)
        batch_pass = Pass(self, X.shape[0])
        batch_pass.forward(X)
        return ForwardCache([X, *batch_pass.hidden], batch_pass.logits, batch_pass.outputs, batch_pass)

    def predict_outputs(self, X: np.ndarray) -> np.ndarray:
        """The head's outputs for each row of X: (n, n_inputs) -> (n, n_outputs)."""
        return self.forward(X).outputs

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities: binary (n,) P(class 1); multi-class (n, K). Not for regression."""
        if self.head.problem == "regression":
            raise ValueError("a regression network predicts values, not probabilities: use predict_outputs")
        outputs = self.predict_outputs(X)
        return outputs[:, 0] if self.head.problem == "binary" else outputs

    def backward(self, cache: ForwardCache, y: np.ndarray, keep_deltas: bool = False) -> list[np.ndarray] | None:
        """Fill ``self.grad`` with dL/dtheta of the mean loss for labels y: (n,).

        Returns copies of the per-layer deltas [delta_1, ..., delta_L] (each (n, fan_out)) when
        ``keep_deltas``, else None.
        """
        T = self.targets(y)
        if T.shape[0] != cache.logits.shape[0]:
            raise ValueError(f"{cache.logits.shape[0]} inputs but {T.shape[0]} labels")
        cache.pass_.backward(cache.activations[0], T)
        return [delta.copy() for delta in cache.pass_.deltas] if keep_deltas else None

    def add_regularization_gradient(self, regularization: str, rate: float) -> None:
        if regularization != "none" and rate > 0:
            self.grad += rate * self.weight_mask * REGULARIZERS[regularization].gradient(self.theta)

    def regularization_penalty(self, regularization: str, rate: float) -> float:
        if regularization == "none" or rate == 0:
            return 0.0
        return rate * REGULARIZERS[regularization].value(self.theta[self.weight_mask == 1.0])

    def loss(self, X: np.ndarray, y: np.ndarray, regularization: str = "none", rate: float = 0.0) -> float:
        """Mean loss of the head (plus the penalty) on X: (n, n_inputs), y: (n,)."""
        logits = self.forward(X).logits
        return self.head.loss(logits, self.targets(y)) + self.regularization_penalty(regularization, rate)

    def loss_and_gradient(
        self, X: np.ndarray, y: np.ndarray, regularization: str = "none", rate: float = 0.0
    ) -> tuple[float, np.ndarray]:
        """Loss and a copy of the flat gradient dL/dtheta, shape (n_parameters,)."""
        cache = self.forward(X)
        self.backward(cache, y)
        self.add_regularization_gradient(regularization, rate)
        loss = self.head.loss(cache.logits, self.targets(y)) + self.regularization_penalty(regularization, rate)
        return loss, self.grad.copy()


class Pass:
    """Forward and backward over exactly ``n`` samples in buffers allocated once.

    On networks this small the fixed cost of each NumPy call outweighs the arithmetic, so every
    operation writes into a preallocated buffer and the per-layer operands are looked up once,
    here, rather than on every call.

    After ``forward(X)`` (X: (n, n_inputs)): ``hidden[l]`` (n, units) is the output of hidden
    layer l + 1, ``logits`` and ``outputs`` (n, n_outputs). After ``backward(X, T)`` (T: the
    head's targets, (n, n_outputs)): ``network.grad`` holds dL/dtheta of the mean loss and
    ``deltas[l]`` (n, fan_out) is dL/dz of weight layer l + 1. The next call reuses the buffers.
    """

    def __init__(self, network: Network, n: int):
        sizes = network.layer_sizes
        self.network, self.n = network, n
        self.head = network.head
        self.kernels = [inplace_kernels(activation) for activation in network.hidden_activations]
        self.hidden = [np.empty((n, units)) for units in sizes[1:-1]]
        self.logits = np.empty((n, sizes[-1]))
        self.outputs = np.empty((n, sizes[-1]))
        self.deltas = [np.empty((n, units)) for units in sizes[1:]]
        # Each hidden layer's da/dz: a float buffer, a bool mask (ReLU: multiplying casts it), or
        # None where it is exactly 1 (linear) and backprop skips the multiply.
        self.factors = []
        for kernels, units in zip(self.kernels, sizes[1:-1]):
            if kernels.factor == "none":
                self.factors.append((None, None))
            else:
                scratch, mask = np.empty((n, units)), np.empty((n, units), dtype=bool)
                self.factors.append((scratch, mask))
        self._forward_steps = [
            (W, b, a, kernels.value)
            for W, b, a, kernels in zip(network.weights, network.biases, self.hidden, self.kernels)
        ]
        self._backward_steps = []
        for layer in range(len(sizes) - 2, 0, -1):  # layers L-1 .. 1 (0-based), then layer 0 apart
            scratch, mask = self.factors[layer - 1]
            kernels = self.kernels[layer - 1]
            factor = {"scratch": scratch, "mask": mask}.get(kernels.factor)
            self._backward_steps.append(
                (
                    self.hidden[layer - 1],
                    self.deltas[layer],
                    network.grad_weights[layer],
                    network.grad_biases[layer],
                    network.weights[layer].T,
                    self.deltas[layer - 1],
                    kernels.derivative,
                    scratch,
                    mask,
                    factor,
                )
            )
        self._scale = np.array(1.0 / n)  # 0-d: no conversion per call

    def forward(self, X: np.ndarray) -> None:
        """X: (n, n_inputs) -> ``hidden``, ``logits``, ``outputs`` (see the class notes)."""
        dot, add = np.dot, np.add
        a = X
        for W, b, hidden, value in self._forward_steps:
            dot(a, W, hidden)  # z = a W + b, then a = f(z), in place
            add(hidden, b, hidden)
            value(hidden, hidden)
            a = hidden
        network = self.network
        dot(a, network.weights[-1], self.logits)
        add(self.logits, network.biases[-1], self.logits)
        self.head.output_into(self.logits, self.outputs)

    def backward(self, X: np.ndarray, T: np.ndarray) -> None:
        """Fill ``network.grad`` and ``deltas`` for targets T: (n, n_outputs), after ``forward(X)``."""
        dot, reduce, multiply = np.dot, np.add.reduce, np.multiply
        delta = self.deltas[-1]
        np.subtract(self.outputs, T, delta)  # (outputs - T) / n: dL/dz of the output, for every head
        multiply(delta, self._scale, delta)
        for a, delta, grad_W, grad_b, W_t, below, derivative, scratch, mask, factor in self._backward_steps:
            dot(a.T, delta, grad_W)  # dL/dW = a^T delta
            reduce(delta, 0, None, grad_b)  # dL/db = sum of delta over the samples
            dot(delta, W_t, below)  # delta below = (delta W^T) * f'(z below)
            if factor is not None:
                derivative(a, scratch, mask)
                multiply(below, factor, below)
        network = self.network
        delta = self.deltas[0]
        dot(X.T, delta, network.grad_weights[0])
        reduce(delta, 0, None, network.grad_biases[0])
