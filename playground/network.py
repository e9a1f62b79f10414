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

from playground.activations import ACTIVATIONS, OUTPUT_ACTIVATION, Activation, get_activation
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
