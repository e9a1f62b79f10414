"""Weight initialisation schemes, each a function ``(fan_in, fan_out, rng, sigma) -> W``.

``W`` has shape ``(fan_in, fan_out)``. Biases always start at zero, so that the
scheme alone decides the signal's scale (the point of the vanishing-gradient
lessons). ``sigma`` is read only by the schemes that have a free scale.

Variances (the formulas the tests check):
  Glorot/Xavier  Var(W) = 2 / (fan_in + fan_out)   (uniform bound sqrt(6 / (fan_in + fan_out)))
  He             Var(W) = 2 / fan_in
  LeCun          Var(W) = 1 / fan_in
  "standard"     U(-1/sqrt(fan_in), 1/sqrt(fan_in)): Var(W) = 1 / (3 fan_in), the pre-2010 habit
  normal         Var(W) = sigma^2
  identity       W = sigma * I (rectangular eye), for the linear-chain lesson
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

InitFunction = Callable[[int, int, np.random.Generator, float], np.ndarray]


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


def glorot_normal(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def lecun_normal(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


def standard_uniform(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


def normal(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.1) -> np.ndarray:
    return rng.normal(0.0, sigma, size=(fan_in, fan_out))


def identity(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 1.0) -> np.ndarray:
    return sigma * np.eye(fan_in, fan_out)


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    return np.zeros((fan_in, fan_out))


@dataclass(frozen=True)
class Initializer:
    name: str
    label: str
    function: InitFunction
    # Var(W) as a function of (fan_in, fan_out, sigma): used by the tests and the gain prediction.
    variance: Callable[[int, int, float], float]
    uses_sigma: bool = False


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": Initializer(
        "glorot_uniform", "Glorot/Xavier uniform", glorot_uniform, lambda i, o, s: 2.0 / (i + o)
    ),
    "glorot_normal": Initializer("glorot_normal", "Glorot/Xavier normal", glorot_normal, lambda i, o, s: 2.0 / (i + o)),
    "he_normal": Initializer("he_normal", "He normal", he_normal, lambda i, o, s: 2.0 / i),
    "lecun_normal": Initializer("lecun_normal", "LeCun normal", lecun_normal, lambda i, o, s: 1.0 / i),
    "standard_uniform": Initializer(
        "standard_uniform",
        "Old standard U(±1/√fan_in)",
        standard_uniform,
        lambda i, o, s: 1.0 / (3.0 * i),
    ),
    "normal": Initializer("normal", "Normal N(0, σ²)", normal, lambda i, o, s: s * s, uses_sigma=True),
    "identity": Initializer(
        "identity",
        "Identity × σ",
        identity,
        # Per-weight variance of sigma * eye: sigma^2 * min(i, o) / (i * o).
        lambda i, o, s: s * s * min(i, o) / (i * o),
        uses_sigma=True,
    ),
    "zeros": Initializer("zeros", "Zeros", zeros, lambda i, o, s: 0.0),
}


def get_initializer(name: str) -> Initializer:
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise ValueError(f"Unknown initialiser {name!r}; choose one of {sorted(INITIALIZERS)}") from None
