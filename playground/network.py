"""A fully connected network for binary classification, with hand-written backprop.

Notation (used throughout the engine):
  layer_sizes = [n_inputs, *hidden, 1]; layer l (1-based in the UI, 0-based here)
  maps fan_in = layer_sizes[l] units to fan_out = layer_sizes[l + 1] units.
  z       pre-activation of a layer, (n_samples, fan_out)
  a       activation (the layer's output), (n_samples, fan_out); a_0 is the input X
  delta   dL/dz for a layer, (n_samples, fan_out)
  grad_W  dL/dW, (fan_in, fan_out);  grad_b  dL/db, (fan_out,)
The output layer is a single sigmoid unit; the loss is the mean binary
cross-entropy, computed from the logits for stability.

All weights and biases live in one flat float64 vector ``theta``;
``weights[l]`` and ``biases[l]`` are views into it, and the gradients likewise
into one flat ``grad`` vector, so an optimiser step is one vector operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from playground.activations import ACTIVATIONS, OUTPUT_ACTIVATION, Activation, get_activation, inplace_kernels
from playground.initializers import get_initializer
from playground.losses import REGULARIZERS, binary_cross_entropy_from_logits


def parameter_count(layer_sizes: list[int]) -> int:
    return sum(i * o + o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))


def _views(vector: np.ndarray, layer_sizes: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
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
    logits: (n,) output pre-activation;  probabilities: (n,) sigmoid(logits)
    """

    activations: list[np.ndarray]
    logits: np.ndarray
    probabilities: np.ndarray


class Network:
    """Parameters and the maths of one network; no training loop, no UI."""

    def __init__(self, layer_sizes: list[int], hidden_activations: list[str], theta: np.ndarray | None = None):
        if len(layer_sizes) < 2 or layer_sizes[-1] != 1 or min(layer_sizes) < 1:
            raise ValueError(f"layer_sizes must be [n_inputs, *hidden, 1] with positive sizes, got {layer_sizes}")
        if len(hidden_activations) != len(layer_sizes) - 2:
            raise ValueError("one activation per hidden layer is needed")
        self.layer_sizes = list(layer_sizes)
        self.hidden_activation_names = list(hidden_activations)
        self.hidden_activations: list[Activation] = [get_activation(n) for n in hidden_activations]
        self.output_activation = ACTIVATIONS[OUTPUT_ACTIVATION]
        size = parameter_count(self.layer_sizes)
        self.theta = np.zeros(size) if theta is None else np.array(theta, dtype=np.float64)
        if self.theta.shape != (size,):
            raise ValueError(f"theta must have {size} entries, got {self.theta.shape}")
        self.grad = np.zeros(size)
        self.weights, self.biases = _views(self.theta, self.layer_sizes)
        self.grad_weights, self.grad_biases = _views(self.grad, self.layer_sizes)
        # 1 where theta holds a weight, 0 for a bias: regularisers touch weights only.
        self.weight_mask = np.zeros(size)
        for mask_w, _ in zip(*_views(self.weight_mask, self.layer_sizes)):
            mask_w[...] = 1.0

    @classmethod
    def initialized(
        cls,
        layer_sizes: list[int],
        hidden_activations: list[str],
        initializer: str,
        rng: np.random.Generator,
        sigma: float = 0.1,
    ) -> "Network":
        """A network with weights drawn by a named scheme (biases zero)."""
        network = cls(layer_sizes, hidden_activations)
        scheme = get_initializer(initializer)
        for W in network.weights:
            W[...] = scheme.function(W.shape[0], W.shape[1], rng, sigma)
        return network

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + output)."""
        return len(self.layer_sizes) - 1

    def copy(self) -> "Network":
        return Network(self.layer_sizes, self.hidden_activation_names, self.theta.copy())

    # ---- forward -------------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> ForwardCache:
        """X: (n, n_inputs) -> cache with every hidden activation and the output."""
        a = X
        activations = [X]
        for W, b, activation in zip(self.weights, self.biases, self.hidden_activations):
            z = a @ W  # (n, fan_out)
            z += b
            a = activation.value(z)
            activations.append(a)
        logits = (a @ self.weights[-1]).ravel() + self.biases[-1][0]  # (n,)
        return ForwardCache(activations, logits, self.output_activation.value(logits))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of class 1 for each row of X: (n, n_inputs) -> (n,)."""
        return self.forward(X).probabilities

    # ---- backward ------------------------------------------------------------------------
    def backward(self, cache: ForwardCache, y: np.ndarray, keep_deltas: bool = False) -> list[np.ndarray] | None:
        """Fill ``self.grad`` with dL/dtheta of the mean BCE for labels y: (n,).

        Returns the per-layer deltas [delta_1, ..., delta_L] (each (n, fan_out))
        when ``keep_deltas``, else None.
        """
        n = y.shape[0]
        delta = ((cache.probabilities - y) / n)[:, None]  # (n, 1): dL/dz of the output
        deltas = [delta] if keep_deltas else None
        for layer in range(self.n_layers - 1, -1, -1):
            a_previous = cache.activations[layer]
            np.matmul(a_previous.T, delta, out=self.grad_weights[layer])
            np.sum(delta, axis=0, out=self.grad_biases[layer])
            if layer > 0:
                delta = (delta @ self.weights[layer].T) * self.hidden_activations[layer - 1].derivative(a_previous)
                if keep_deltas:
                    deltas.append(delta)
        if keep_deltas:
            deltas.reverse()
        return deltas

    def add_regularization_gradient(self, regularization: str, rate: float) -> None:
        if regularization != "none" and rate > 0:
            self.grad += rate * self.weight_mask * REGULARIZERS[regularization].gradient(self.theta)

    def regularization_penalty(self, regularization: str, rate: float) -> float:
        if regularization == "none" or rate == 0:
            return 0.0
        return rate * REGULARIZERS[regularization].value(self.theta[self.weight_mask == 1.0])

    def loss(self, X: np.ndarray, y: np.ndarray, regularization: str = "none", rate: float = 0.0) -> float:
        """Mean BCE (plus the penalty) of the network on X: (n, n_inputs), y: (n,)."""
        logits = self.forward(X).logits
        return binary_cross_entropy_from_logits(logits, y) + self.regularization_penalty(regularization, rate)

    def loss_and_gradient(
        self, X: np.ndarray, y: np.ndarray, regularization: str = "none", rate: float = 0.0
    ) -> tuple[float, np.ndarray]:
        """Loss and a copy of the flat gradient dL/dtheta, shape (n_parameters,)."""
        cache = self.forward(X)
        self.backward(cache, y)
        self.add_regularization_gradient(regularization, rate)
        loss = binary_cross_entropy_from_logits(cache.logits, y) + self.regularization_penalty(regularization, rate)
        return loss, self.grad.copy()


class BatchPass:
    """Forward and backward over exactly ``n`` samples in preallocated buffers: the trainer's fast path.

    It makes the same NumPy/BLAS calls as ``Network.forward`` and ``Network.backward``, on arrays
    of the same shapes and memory layouts, so its results are bit-for-bit theirs; but it writes
    into buffers allocated once, applies activations in place
    (``playground.activations.inplace_kernels``) and skips the per-call bookkeeping, which on
    networks this small costs more than the arithmetic. (``np.dot`` stands in for ``@``: for
    these 2-D operands it makes the same BLAS call as ``np.matmul``, with less overhead.)

    With ``halve`` (for training batches, whose logits are not needed), sigmoid layers get their
    pre-activation already halved, from weights halved once per pass: a (0.5 W) + 0.5 b equals
    0.5 * (a W + b) exactly, scaling by a power of two commuting with rounding (short of overflow
    near the float64 limit); this saves the sigmoid's first multiply on every such layer.
    ``logits`` then hold halved values.

    After ``forward(X)`` (X: (n, n_inputs)): ``logits`` and ``probabilities`` (n,), and
    ``hidden[l]`` (n, units), the output of hidden layer l + 1. After ``backward(X, y)``:
    ``network.grad`` holds dL/dtheta of the mean BCE, and ``deltas[l]`` (n, fan_out) is dL/dz of
    weight layer l + 1 (``delta_buffer`` holds them all, layer after layer). Buffers are reused
    by the next call.
    """

    def __init__(self, network: Network, n: int, halve: bool = False):
        sizes = network.layer_sizes
        self.network, self.n = network, n
        self.theta, self.grad = network.theta, network.grad
        self.hidden_activations = list(network.hidden_activations)
        self.output_activation = network.output_activation
        hidden_sizes = sizes[1:-1]
        self.kernels = [inplace_kernels(activation) for activation in self.hidden_activations]
        output = inplace_kernels(self.output_activation)
        self.activation_buffer = np.empty(n * sum(hidden_sizes))
        self.hidden = _blocks(self.activation_buffer, n, hidden_sizes)
        self.delta_buffer = np.empty(n * sum(sizes[1:]))
        self.deltas = _blocks(self.delta_buffer, n, sizes[1:])
        self.logits_column = np.empty((n, 1))
        self.logits = self.logits_column.reshape(n)
        self.probabilities = np.empty(n)
        # Each hidden layer's da/dz for backprop (float, or a bool mask for ReLU), also work buffers.
        self.scratch_buffer = np.empty(self.activation_buffer.shape)
        self.mask_buffer = np.empty(self.activation_buffer.shape, dtype=bool)
        self.scratch = _blocks(self.scratch_buffer, n, hidden_sizes)
        self.masks = _blocks(self.mask_buffer, n, hidden_sizes)
        # The derivatives are taken at the start of backward, for runs of consecutive layers with
        # the same elementwise kernels at once (their buffers lie end to end), else layer by layer.
        self._derivatives = []
        starts = np.cumsum([0] + [n * units for units in hidden_sizes]).tolist()
        layer = 0
        while layer < len(self.kernels):
            kernels, last = self.kernels[layer], layer
            while kernels.elementwise and last + 1 < len(self.kernels) and self.kernels[last + 1] is kernels:
                last += 1
            if kernels.factor != "none":
                if kernels.elementwise:
                    span = slice(starts[layer], starts[last + 1])
                    views = (self.activation_buffer[span], self.scratch_buffer[span], self.mask_buffer[span])
                else:
                    views = (self.hidden[layer], self.scratch[layer], self.masks[layer])
                self._derivatives.append((kernels.derivative, *views))
            layer = last + 1
        weights, biases = network.weights, network.biases
        self.halved = halve and output.value_from_half is not None and any(k.value_from_half for k in self.kernels)
        if self.halved:
            self.theta_half = np.empty_like(network.theta)
            half_weights, half_biases = _views(self.theta_half, sizes)
        steps = []
        for layer, kernels in enumerate(self.kernels):
            if self.halved and kernels.value_from_half is not None:
                steps.append((half_weights[layer], half_biases[layer], self.hidden[layer], kernels.value_from_half))
            else:
                steps.append((weights[layer], biases[layer], self.hidden[layer], kernels.value))
        self._forward_steps = steps
        if self.halved:
            self._output = (half_weights[-1], half_biases[-1], output.value_from_half)
        else:
            self._output = (weights[-1], biases[-1], output.value)
        # Runs of two or more layers of the same shape (deep uniform stacks) get their dL/dW and
        # dL/db after the loop, one stacked call per run: per layer, the same BLAS call and the
        # same reduction as one layer at a time, so the same bits, for a fraction of the overhead.
        self._stacked, stacked = _stacked_gradients(network, n, self.activation_buffer, self.delta_buffer)
        # Where each hidden layer's da/dz will be (None: exactly 1, nothing to multiply).
        factors = [
            {"scratch": scratch, "mask": mask}.get(kernels.factor)
            for kernels, scratch, mask in zip(self.kernels, self.scratch, self.masks)
        ]
        # Layers L-1 .. 1 (0-based): their gradient (unless stacked), then the delta of the layer below.
        self._backward_steps = [
            (
                self.hidden[layer - 1].T,
                self.deltas[layer],
                None if layer in stacked else network.grad_weights[layer],
                network.grad_biases[layer],
                weights[layer].T,
                self.deltas[layer - 1],
                factors[layer - 1],
            )
            for layer in range(len(sizes) - 2, 0, -1)
        ]
        self._first = (self.deltas[0], network.grad_weights[0], network.grad_biases[0])
        self._output_delta = self.deltas[-1].reshape(n)
        self._n = np.array(float(n))  # 0-d: divides exactly as the int n does, without a conversion per call

    def matches(self, network: Network) -> bool:
        """Whether this pass still computes ``network`` (same parameters, buffers and activations)."""
        return (
            self.network is network
            and self.theta is network.theta
            and self.grad is network.grad
            and self.hidden_activations == network.hidden_activations
            and self.output_activation is network.output_activation
        )

    def forward(self, X: np.ndarray) -> None:
        """X: (n, n_inputs) -> ``logits``, ``probabilities``, ``hidden`` (see the class notes)."""
        dot, add = np.dot, np.add
        if self.halved:
            np.multiply(self.theta, _HALF, self.theta_half)
        a = X
        for W, b, hidden, value in self._forward_steps:
            dot(a, W, hidden)  # z = a W + b, in place
            add(hidden, b, hidden)
            value(hidden, hidden)
            a = hidden
        W, b, value = self._output
        dot(a, W, self.logits_column)  # (a W).ravel() + b[0]
        add(self.logits, b, self.logits)
        value(self.logits, self.probabilities)

    def backward(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fill ``network.grad`` and ``deltas`` for labels y: (n,), after ``forward(X)``."""
        if y.shape[0] != self.n:
            raise ValueError(f"this pass is for {self.n} samples, got {y.shape[0]} labels")
        dot, reduce, multiply = np.dot, np.add.reduce, np.multiply
        delta = self._output_delta
        np.subtract(self.probabilities, y, delta)  # (p - y) / n: dL/dz of the output
        np.divide(delta, self._n, delta)
        for derivative, a, scratch, mask in self._derivatives:
            derivative(a, scratch, mask)  # da/dz of the hidden layers, into scratch or mask
        for a_t, delta, grad_W, grad_b, W_t, below, factor in self._backward_steps:
            if grad_W is not None:
                dot(a_t, delta, grad_W)  # dL/dW = a^T delta
                reduce(delta, 0, None, grad_b)  # dL/db = sum of delta over the samples
            dot(delta, W_t, below)  # (delta W^T) * da/dz of the layer below
            if factor is not None:
                multiply(below, factor, below)
        for a_t, delta, grad_W, grad_b in self._stacked:
            np.matmul(a_t, delta, out=grad_W)
            reduce(delta, 1, None, grad_b)
        delta, grad_W, grad_b = self._first
        dot(X.T, delta, grad_W)
        reduce(delta, 0, None, grad_b)

    def gradient(self, X: np.ndarray, y: np.ndarray) -> None:
        """``forward`` then ``backward``: one mini-batch's gradient into ``network.grad``."""
        self.forward(X)
        self.backward(X, y)


_HALF = np.array(0.5)  # 0-d, as in playground.activations: no conversion per call
_HALF.flags.writeable = False


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


def _blocks(buffer: np.ndarray, n: int, widths: list[int], overlapping: bool = False) -> list[np.ndarray]:
    """(n, width) C-contiguous views of a flat buffer, one after the other (or all from its start)."""
    views, offset = [], 0
    for width in widths:
        views.append(buffer[offset : offset + n * width].reshape(n, width))
        offset += 0 if overlapping else n * width
    return views
