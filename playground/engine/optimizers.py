"""Optimisers. Each owns its state and updates a flat parameter vector in place.

``step(theta, grad)``: ``theta`` and ``grad`` are 1-D float64 arrays of the same
length (all weights and biases laid end to end, see ``network.Network``), so one
update is a handful of NumPy calls whatever the depth: Python overhead per call,
not arithmetic, is what costs time on networks this small. So each step writes its temporaries
into scratch vectors kept by the optimiser (the same operations in the same order as the one-line
formulas in the docstrings, without allocating).
"""

from __future__ import annotations

import numpy as np


def _scratch(optimizer, grad: np.ndarray, count: int = 1) -> list[np.ndarray]:
    """The optimiser's scratch vectors, reallocated if ``grad`` is not the size it was built for."""
    scratch = optimizer._scratch
    if scratch[0].shape != grad.shape:
        scratch = optimizer._scratch = [np.empty(grad.shape) for _ in range(count)]
    return scratch


class SGD:
    """theta <- theta - lr * grad."""

    label = "SGD"

    def __init__(self, learning_rate: float, size: int):
        self.learning_rate = learning_rate
        self._scratch = [np.empty(size)]

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        update = self._scratch[0]  # (the hot path of every mini-batch: _scratch inlined)
        if update.shape != grad.shape:
            (update,) = _scratch(self, grad)
        np.multiply(self.learning_rate, grad, update)  # theta -= lr * grad
        np.subtract(theta, update, theta)


class Momentum:
    """Heavy-ball momentum: v <- mu v - lr grad; theta <- theta + v."""

    label = "SGD + momentum"

    def __init__(self, learning_rate: float, size: int, momentum: float = 0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocity = np.zeros(size)
        self._scratch = [np.empty(size)]

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        (scaled,) = _scratch(self, grad)
        velocity = self.velocity
        np.multiply(velocity, self.momentum, velocity)  # v *= mu
        np.multiply(self.learning_rate, grad, scaled)  # v -= lr * grad
        np.subtract(velocity, scaled, velocity)
        np.add(theta, velocity, theta)  # theta += v


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""

    label = "Adam"

    def __init__(
        self,
        learning_rate: float,
        size: int,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.first_moment = np.zeros(size)
        self.second_moment = np.zeros(size)
        self.steps_taken = 0
        self._scratch = [np.empty(size), np.empty(size)]

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        self.steps_taken += 1
        t = self.steps_taken
        first, second = self.first_moment, self.second_moment
        a, b = _scratch(self, grad, 2)
        np.multiply(first, self.beta1, first)  # m = beta1 m + (1 - beta1) g
        np.multiply(1.0 - self.beta1, grad, a)
        np.add(first, a, first)
        np.multiply(second, self.beta2, second)  # v = beta2 v + (1 - beta2) g^2
        np.multiply(grad, grad, a)
        np.multiply(1.0 - self.beta2, a, a)
        np.add(second, a, second)
        np.divide(first, 1.0 - self.beta1**t, a)  # m_hat
        np.divide(second, 1.0 - self.beta2**t, b)  # v_hat
        np.multiply(self.learning_rate, a, a)  # theta -= lr * m_hat / (sqrt(v_hat) + eps)
        np.sqrt(b, b)
        np.add(b, self.epsilon, b)
        np.divide(a, b, a)
        np.subtract(theta, a, theta)


OPTIMIZERS: dict[str, type] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, learning_rate: float, size: int):
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimiser {name!r}; choose one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name](learning_rate, size)
