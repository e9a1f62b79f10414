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
        raise ValueError(f"Unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}") from None


# ---- in-place kernels for the training loop --------------------------------------------------
# The network's one forward/backward (``playground.engine.network.Pass``) works in preallocated buffers.
# These kernels do exactly the arithmetic of ``value``, ``derivative`` and ``saturation_test``
# above -- the same NumPy operations on the same operands in the same order, so the results are
# bit-for-bit those of the allocating versions -- without allocating. Only the built-in
# activation objects get hand-written kernels; any other (a replaced or added registry entry) is
# wrapped generically: its own functions are called and the result copied in.


@dataclass(frozen=True)
class InplaceKernels:
    """In-place versions of one activation's functions; all arrays are shaped alike.

    value(z, out): out <- value(z) (out may be z itself).
    derivative(a, scratch, mask): fills the buffer named by ``factor`` -- scratch (float64) with
        derivative(a), or mask (bool) with a mask whose 1.0/0.0 is derivative(a) -- so that backprop's
        delta * derivative(a) is ``np.multiply(delta, that buffer)``; factor "none": derivative(a)
        is exactly 1 and nothing is filled.
    saturation(a, scratch, mask) -> float: mean of saturation_test(a); None when there is no test.
    elementwise: the kernels may be run on several layers' buffers laid end to end at once.
    """

    value: Callable[[np.ndarray, np.ndarray], object]
    derivative: Callable[[np.ndarray, np.ndarray, np.ndarray], object]
    factor: str
    saturation: Callable[[np.ndarray, np.ndarray, np.ndarray], float] | None
    elementwise: bool = True


def _constant(value: float) -> np.ndarray:
    # A read-only 0-d float64 array: the same number as the Python float, but NumPy need not
    # convert it on every call (a measurable cost on arrays of a few dozen elements).
    array = np.array(value, dtype=np.float64)
    array.flags.writeable = False
    return array


_ZERO, _HALF, _ONE = _constant(0.0), _constant(0.5), _constant(1.0)
_LOW, _HIGH = _constant(0.03), _constant(0.97)  # the saturation thresholds used above


def sigmoid_into(z: np.ndarray, out: np.ndarray) -> None:
    """out <- sigmoid(z) (out may be z), in four ufunc calls with no temporary."""
    np.multiply(z, _HALF, out)  # 0.5 * (1.0 + tanh(0.5 * z)), step by step
    np.tanh(out, out)
    np.add(out, _ONE, out)
    np.multiply(out, _HALF, out)


def _sigmoid_derivative(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
    np.subtract(_ONE, a, scratch)  # a * (1.0 - a)
    np.multiply(a, scratch, scratch)


def _sigmoid_saturation(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> float:
    # (a < 0.03) | (a > 0.97): the two sets are disjoint, so the counts add up.
    low = np.count_nonzero(np.less(a, _LOW, mask))
    return (low + np.count_nonzero(np.greater(a, _HIGH, mask))) / a.size


def _tanh_derivative(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
    np.multiply(a, a, scratch)  # 1.0 - a * a
    np.subtract(_ONE, scratch, scratch)


def _tanh_saturation(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> float:
    np.abs(a, scratch)
    return np.count_nonzero(np.greater(scratch, _HIGH, mask)) / a.size


def _relu_into(z: np.ndarray, out: np.ndarray) -> None:
    np.maximum(z, _ZERO, out=out)  # (maximum takes out only by keyword)


def _relu_derivative(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
    np.greater(a, _ZERO, mask)  # (a > 0) as 1.0/0.0: multiplying by the mask casts it to float64


def _linear_into(z: np.ndarray, out: np.ndarray) -> None:
    if out is not z:
        np.copyto(out, z)


def _linear_derivative(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
    pass  # 1 everywhere: delta * 1.0 is delta, exactly, so backprop skips the multiply


_INPLACE: dict[str, InplaceKernels] = {
    "sigmoid": InplaceKernels(sigmoid_into, _sigmoid_derivative, "scratch", _sigmoid_saturation),
    "tanh": InplaceKernels(np.tanh, _tanh_derivative, "scratch", _tanh_saturation),
    "relu": InplaceKernels(_relu_into, _relu_derivative, "mask", None),
    "linear": InplaceKernels(_linear_into, _linear_derivative, "none", None),
}
_BUILTIN: dict[str, Activation] = dict(ACTIVATIONS)  # the objects the kernels above were written for


def _generic_kernels(activation: Activation) -> InplaceKernels:
    value, derivative, test = activation.value, activation.derivative, activation.saturation_test

    def value_into(z: np.ndarray, out: np.ndarray) -> None:
        np.copyto(out, value(z))

    def derivative_into(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
        np.copyto(scratch, derivative(a))

    def saturation(a: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> float:
        return float(np.mean(test(a)))

    # Not known to be elementwise: run layer by layer, on each layer's own (n, units) arrays.
    return InplaceKernels(
        value_into, derivative_into, "scratch", None if test is None else saturation, elementwise=False
    )


def inplace_kernels(activation: Activation) -> InplaceKernels:
    """The in-place kernels of an activation (hand-written for the built-ins, else generic)."""
    if _BUILTIN.get(activation.name) is activation and activation.name in _INPLACE:
        return _INPLACE[activation.name]
    return _generic_kernels(activation)
