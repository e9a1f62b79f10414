"""Output heads: the last layer's activation, its loss and its metric, in one table.

The network's last weight layer produces logits ``z`` of shape ``(n, K)``. A head turns them
into outputs (probabilities or values), scores them against targets ``T: (n, K)``, and measures
the problem's metric. Targets are laid out per head by ``targets(y)`` from labels ``y: (n,)``:
the label itself as one column (binary 0/1, regression values) or one-hot rows (multi-class).

Every head here pairs an output function with its canonical loss, so the error signal at the
output is the same for all three (scikit-learn's ``_backprop`` relies on this too)::

    delta_out = dL/dz = (output(z) - T) / n

- sigmoid + binary cross-entropy: d/dz [log(1 + e^z) - t z] = sigmoid(z) - t
- softmax + categorical cross-entropy: d/dz_k [logsumexp(z) - sum_j t_j z_j] = softmax(z)_k - t_k
- identity + half squared error: d/dz [(z - t)^2 / 2] = z - t

That is why the regression loss is *half* the mean squared error; the metric reports the
plain RMSE and R^2, which users know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from playground.engine.activations import sigmoid_into
from playground.engine.losses import binary_cross_entropy_from_logits

PROBLEMS = ("binary", "multiclass", "regression")


def _sigmoid_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    sigmoid_into(z, out)  # the hidden layers' in-place sigmoid: 0.5 (1 + tanh(z / 2)), no overflow
    return out


def _softmax_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # Subtracting the row max first keeps exp below 1: no overflow for any finite logits.
    np.subtract(z, z.max(axis=1, keepdims=True), out)
    np.exp(out, out)
    np.divide(out, out.sum(axis=1, keepdims=True), out)
    return out


def _identity_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    if out is not z:
        np.copyto(out, z)
    return out


def _bce_loss(z: np.ndarray, T: np.ndarray) -> float:
    """Mean of log(1 + e^z) - t z over the rows (z, T: (n, 1)): losses.binary_cross_entropy_from_logits."""
    return binary_cross_entropy_from_logits(z, T)


def _categorical_ce_loss(z: np.ndarray, T: np.ndarray) -> float:
    """Mean over rows of logsumexp(z) - sum_k t_k z_k (stable log-sum-exp)."""
    top = z.max(axis=1, keepdims=True)
    log_sum_exp = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_sum_exp - np.einsum("ij,ij->i", T, z)))


def _half_mse_loss(z: np.ndarray, T: np.ndarray) -> float:
    """Mean over rows of (z - t)^2 / 2."""
    error = z - T
    return float(0.5 * np.mean(np.einsum("ij,ij->i", error, error)))


def _accuracy(outputs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {"accuracy": float(np.mean(predicted_classes(outputs) == y))}


def _regression_metrics(outputs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    error = outputs[:, 0] - y
    residual = float(np.dot(error, error))
    centred = y - y.mean()
    total = float(np.dot(centred, centred))
    return {"r2": 1.0 - residual / total if total > 0 else float("nan"), "rmse": (residual / y.shape[0]) ** 0.5}


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class index per row from head outputs: (n, 1) P(class 1) -> 0/1; (n, K) probabilities -> argmax."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.float64)
    return outputs.argmax(axis=1).astype(np.float64)


@dataclass(frozen=True)
class Head:
    """One output head. Shapes: logits and outputs (n, K), targets T (n, K), labels y (n,)."""

    name: str
    problem: str
    label: str  # what the UI calls the loss
    output_into: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (z, out) -> out; out may be z
    loss: Callable[[np.ndarray, np.ndarray], float]  # (logits, T) -> mean loss
    metrics: Callable[[np.ndarray, np.ndarray], dict[str, float]]  # (outputs, y) -> {metric: value}
    metric_names: tuple[str, ...]
    output: str = "sigmoid"  # the output unit's activation, as the UI names it

    def outputs(self, logits: np.ndarray) -> np.ndarray:
        """Probabilities or values, (n, K), in a new array."""
        return self.output_into(logits, np.empty_like(logits))

    def targets(self, y: np.ndarray, n_outputs: int) -> np.ndarray:
        """Labels y (n,) laid out as targets T (n, n_outputs): one-hot for softmax, else one column."""
        y = np.asarray(y, dtype=np.float64)
        if self.name != "softmax_ce":
            return y.reshape(-1, 1).copy()
        T = np.zeros((y.shape[0], n_outputs))
        T[np.arange(y.shape[0]), y.astype(np.int64)] = 1.0
        return T

    def check_labels(self, y: np.ndarray, n_outputs: int) -> np.ndarray:
        """y as a float (n,) array, or ValueError naming what is wrong with it."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"labels must be a 1-D array (n,), got shape {y.shape}")
        if not np.all(np.isfinite(y)):
            raise ValueError("labels must be finite numbers")
        if self.problem != "regression":
            classes = 2 if self.problem == "binary" else n_outputs
            if np.any((y != np.round(y)) | (y < 0) | (y >= classes)):
                raise ValueError(f"labels must be class indices 0 to {classes - 1}, got {np.unique(y)[:10]}")
        return y


HEADS: dict[str, Head] = {
    "sigmoid_bce": Head(
        "sigmoid_bce", "binary", "binary cross-entropy", _sigmoid_into, _bce_loss, _accuracy, ("accuracy",)
    ),
    "softmax_ce": Head(
        "softmax_ce",
        "multiclass",
        "cross-entropy",
        _softmax_into,
        _categorical_ce_loss,
        _accuracy,
        ("accuracy",),
        output="softmax",
    ),
    "linear_mse": Head(
        "linear_mse",
        "regression",
        "½ mean squared error",
        _identity_into,
        _half_mse_loss,
        _regression_metrics,
        ("r2", "rmse"),
        output="linear",
    ),
}
HEAD_FOR_PROBLEM = {head.problem: head for head in HEADS.values()}
