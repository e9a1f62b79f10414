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
from numpy.lib.stride_tricks import as_strided

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
    operation writes into a preallocated buffer, the per-layer operands are looked up once, here,
    and two kinds of call are merged where the shapes allow (each measured in bench/README.md):
    - da/dz of consecutive hidden layers with the same activation is taken in one call over their
      buffers, which lie end to end (``hidden`` are views of one ``activation_buffer``);
    - dL/dW and dL/db of a run of consecutive layers of the same shape (a deep uniform stack) are
      one stacked matmul and one reduction, written through strided views into ``network.grad``.

    After ``forward(X)`` (X: (n, n_inputs)): ``hidden[l]`` (n, units) is the output of hidden
    layer l + 1, ``logits`` and ``outputs`` (n, n_outputs). After ``backward(X, T)`` (T: the
    head's targets, (n, n_outputs)): ``network.grad`` holds dL/dtheta of the mean loss and
    ``deltas[l]`` (n, fan_out) is dL/dz of weight layer l + 1. The next call reuses the buffers.
    """

    def __init__(self, network: Network, n: int):
        sizes = network.layer_sizes
        hidden_sizes = sizes[1:-1]
        self.network, self.n = network, n
        self.head = network.head
        self.kernels = [inplace_kernels(activation) for activation in network.hidden_activations]
        self.activation_buffer = np.empty(n * sum(hidden_sizes))
        self.hidden = _blocks(self.activation_buffer, n, hidden_sizes)
        self.logits = np.empty((n, sizes[-1]))
        self.logits_flat = self.logits.reshape(-1)  # a view, for whole-array checks
        self.outputs = np.empty((n, sizes[-1]))
        self.delta_buffer = np.empty(n * sum(sizes[1:]))
        self.deltas = _blocks(self.delta_buffer, n, sizes[1:])
        # Each hidden layer's da/dz: into a float buffer, or a bool mask (ReLU: multiplying casts it).
        self.scratch_buffer = np.empty(self.activation_buffer.shape)
        self.mask_buffer = np.empty(self.activation_buffer.shape, dtype=bool)
        self.scratch = _blocks(self.scratch_buffer, n, hidden_sizes)
        self.masks = _blocks(self.mask_buffer, n, hidden_sizes)
        self._forward_steps = [
            (W, b, a, kernels.value)
            for W, b, a, kernels in zip(network.weights, network.biases, self.hidden, self.kernels)
        ]
        self._derivatives = self._derivative_runs(n, hidden_sizes)
        self._stacked, stacked = _stacked_gradients(network, n, self.activation_buffer, self.delta_buffer)
        factors = [
            {"scratch": scratch, "mask": mask}.get(kernels.factor)  # None: da/dz is exactly 1 (linear)
            for kernels, scratch, mask in zip(self.kernels, self.scratch, self.masks)
        ]
        # Layers L-1 .. 1 (0-based): their gradient (unless stacked), then the delta of the layer below.
        self._backward_steps = [
            (
                self.hidden[layer - 1].T,
                self.deltas[layer],
                None if layer in stacked else network.grad_weights[layer],
                network.grad_biases[layer],
                network.weights[layer].T,
                self.deltas[layer - 1],
                factors[layer - 1],
            )
            for layer in range(len(sizes) - 2, 0, -1)
        ]
        self._first = (self.deltas[0], network.grad_weights[0], network.grad_biases[0])
        self._scale = np.array(1.0 / n)  # 0-d: no conversion per call

    def _derivative_runs(self, n: int, hidden_sizes: list[int]) -> list[tuple]:
        """(derivative, a, scratch, mask) per run of consecutive layers with the same elementwise kernels."""
        runs, starts, layer = [], np.cumsum([0] + [n * units for units in hidden_sizes]).tolist(), 0
        while layer < len(self.kernels):
            kernels, last = self.kernels[layer], layer
            while kernels.elementwise and last + 1 < len(self.kernels) and self.kernels[last + 1] is kernels:
                last += 1
            if kernels.factor != "none":
                if kernels.elementwise:
                    span = slice(starts[layer], starts[last + 1])
                    runs.append(
                        (
                            kernels.derivative,
                            self.activation_buffer[span],
                            self.scratch_buffer[span],
                            self.mask_buffer[span],
                        )
                    )
                else:
                    runs.append((kernels.derivative, self.hidden[layer], self.scratch[layer], self.masks[layer]))
            layer = last + 1
        return runs

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
        for derivative, a, scratch, mask in self._derivatives:
            derivative(a, scratch, mask)  # da/dz of the hidden layers, into scratch or mask
        delta = self.deltas[-1]
        np.subtract(self.outputs, T, delta)  # (outputs - T) / n: dL/dz of the output, for every head
        multiply(delta, self._scale, delta)
        for a_t, delta, grad_W, grad_b, W_t, below, factor in self._backward_steps:
            if grad_W is not None:
                dot(a_t, delta, grad_W)  # dL/dW = a^T delta
                reduce(delta, 0, None, grad_b)  # dL/db = sum of delta over the samples
            dot(delta, W_t, below)  # delta below = (delta W^T) * f'(z below)
            if factor is not None:
                multiply(below, factor, below)
        for a_t, delta, grad_W, grad_b in self._stacked:
            np.matmul(a_t, delta, out=grad_W)
            reduce(delta, 1, None, grad_b)
        delta, grad_W, grad_b = self._first
        dot(X.T, delta, grad_W)
        reduce(delta, 0, None, grad_b)


def _stacked_gradients(
    network: Network, n: int, activation_buffer: np.ndarray, delta_buffer: np.ndarray
) -> tuple[list[tuple[np.ndarray, ...]], set[int]]:
    """Stacked views for runs of consecutive layers (after the first) with equal (fan_in, fan_out).

    For a run of k layers: inputs^T (k, fan_in, n), deltas (k, n, fan_out), and the gradient's
    dL/dW (k, fan_in, fan_out) and dL/db (k, fan_out) as strided views into ``network.grad``.
    Returns the views and the set of layers they cover.
    """
    sizes, grad = network.layer_sizes, network.grad
    shapes = list(zip(sizes[:-1], sizes[1:]))
    starts = np.cumsum([0] + [(fan_in + 1) * fan_out for fan_in, fan_out in shapes]).tolist()
    runs, covered, first = [], set(), 1
    while first < len(shapes):
        last = first
        while last + 1 < len(shapes) and shapes[last + 1] == shapes[first]:
            last += 1
        if last > first:
            k, (fan_in, fan_out) = last - first + 1, shapes[first]
            item = grad.itemsize
            step = (fan_in + 1) * fan_out * item  # from one layer's block of theta to the next
            a_start = n * sum(sizes[1:first])  # hidden output first - 1 is layer first's input
            d_start = n * sum(sizes[1 : first + 1])
            runs.append(
                (
                    activation_buffer[a_start : a_start + k * n * fan_in].reshape(k, n, fan_in).transpose(0, 2, 1),
                    delta_buffer[d_start : d_start + k * n * fan_out].reshape(k, n, fan_out),
                    as_strided(grad[starts[first] :], (k, fan_in, fan_out), (step, fan_out * item, item)),
                    as_strided(grad[starts[first] + fan_in * fan_out :], (k, fan_out), (step, item)),
                )
            )
            covered.update(range(first, last + 1))
        first = last + 1
    return runs, covered


def _blocks(buffer: np.ndarray, n: int, widths: list[int]) -> list[np.ndarray]:
    """(n, width) C-contiguous views of a flat buffer, one after the other."""
    views, offset = [], 0
    for width in widths:
        views.append(buffer[offset : offset + n * width].reshape(n, width))
        offset += n * width
    return views
