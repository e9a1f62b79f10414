"""Optimisers. Each owns its state and updates a flat parameter vector in place.

``step(theta, grad)``: ``theta`` and ``grad`` are 1-D float64 arrays of the same
length (all weights and biases laid end to end, see ``network.Network``), so one
update is a handful of NumPy calls whatever the depth: Python overhead per call,
not arithmetic, is what costs time on networks this small.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """theta <- theta - lr * grad."""

    label = "SGD"

    def __init__(self, learning_rate: float, size: int):
        self.learning_rate = learning_rate

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        theta -= self.learning_rate * grad


class Momentum:
    """Heavy-ball momentum: v <- mu v - lr grad; theta <- theta + v."""

    label = "SGD + momentum"

    def __init__(self, learning_rate: float, size: int, momentum: float = 0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocity = np.zeros(size)

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        self.velocity *= self.momentum
        self.velocity -= self.learning_rate * grad
        theta += self.velocity


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

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        self.steps_taken += 1
        self.first_moment *= self.beta1
        self.first_moment += (1.0 - self.beta1) * grad
        self.second_moment *= self.beta2
        self.second_moment += (1.0 - self.beta2) * (grad * grad)
        t = self.steps_taken
        corrected_first = self.first_moment / (1.0 - self.beta1**t)
        corrected_second = self.second_moment / (1.0 - self.beta2**t)
        theta -= self.learning_rate * corrected_first / (np.sqrt(corrected_second) + self.epsilon)


OPTIMIZERS: dict[str, type] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, learning_rate: float, size: int):
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimiser {name!r}; choose one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name](learning_rate, size)
