"""Activation functions: value and derivative side by side, in one registry.

Every derivative here is written in terms of the activation's *output* ``a``
(as scikit-learn's MLP does), so the forward pass need not keep the
pre-activations ``z`` around: backprop reads only the cached outputs.
All functions work elementwise on arrays of any shape, e.g. ``(n_samples, fan_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(z / 2)) equals 1 / (1 + exp(-z)) but never overflows in exp.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _elu(z: np.ndarray) -> np.ndarray:
    # expm1 of a clipped argument: no overflow for large positive z, accurate near 0.
    return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


@dataclass(frozen=True)
class Activation:
    """One activation: ``value(z) -> a`` and ``derivative(a) -> da/dz``."""

    name: str
    label: str
    value: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    # Output range edges used by the saturation measure (None: cannot saturate).
    saturation_test: Callable[[np.ndarray], np.ndarray] | None = None


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        "Sigmoid",
        _sigmoid,
        lambda a: a * (1.0 - a),
        lambda a: (a < 0.03) | (a > 0.97),
    ),
    "tanh": Activation(
        "tanh",
        "tanh",
        np.tanh,
        lambda a: 1.0 - a * a,
        lambda a: np.abs(a) > 0.97,
    ),
    "relu": Activation(
        "relu",
        "ReLU",
        lambda z: np.maximum(z, 0.0),
        lambda a: (a > 0).astype(a.dtype),
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        "Leaky ReLU",
        lambda z: np.where(z > 0, z, LEAKY_RELU_SLOPE * z),
        lambda a: np.where(a > 0, 1.0, LEAKY_RELU_SLOPE),
    ),
    "elu": Activation(
        "elu",
        "ELU",
        _elu,
        # For z <= 0, a = alpha (e^z - 1) so da/dz = alpha e^z = a + alpha.
        lambda a: np.where(a > 0, 1.0, a + ELU_ALPHA),
    ),
    "linear": Activation(
        "linear",
        "Linear",
        lambda z: z,
        np.ones_like,
    ),
}

OUTPUT_ACTIVATION = "sigmoid"


def get_activation(name: str) -> Activation:
    """Look an activation up by registry key, with a clear error for a bad name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None
