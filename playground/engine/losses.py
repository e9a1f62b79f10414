"""Binary cross-entropy and the regularisers: value and gradient side by side.

Binary cross-entropy (the sigmoid head's loss, see ``playground.engine.heads``) is computed from the
logits ``z``, never from a probability that has been rounded to 0 or 1, so it is finite for any
finite logit. The other heads' losses live with their heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


def binary_cross_entropy_from_logits(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean BCE of labels ``y`` in {0, 1} given logits, both of the same shape: ``(n,)`` or ``(n, 1)``.

    Uses log(1 + e^z) - y z, with ``logaddexp`` so that no exp overflows.
    """
    return float(np.mean(np.logaddexp(0.0, logits) - y * logits))


def binary_cross_entropy_logit_gradient(probabilities: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz for the mean BCE: (p - y) / n, shaped ``(n_samples,)``."""
    return (probabilities - y) / y.shape[0]


@dataclass(frozen=True)
class Regularizer:
    """Penalty on the weights (never the biases): ``value(w) -> float``, ``gradient(w)``."""

    name: str
    label: str
    value: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]


REGULARIZERS: dict[str, Regularizer] = {
    "none": Regularizer("none", "None", lambda w: 0.0, np.zeros_like),
    "l1": Regularizer("l1", "L1", lambda w: float(np.abs(w).sum()), np.sign),
    # 0.5 * sum w^2 so that the gradient is just w (rate * w), as in most textbooks.
    "l2": Regularizer("l2", "L2", lambda w: 0.5 * float(np.dot(w, w)), lambda w: w),
}
