"""2D binary classification datasets, in one registry keyed by the name shown in the UI.

Each generator is ``(n_points, noise, rng) -> (X, y)`` with ``X: (n_points, 2)``
points in the square [-6, 6]^2 (the TensorFlow Playground's coordinates, so a
teacher's intuitions carry over) and ``y: (n_points,)`` labels in {0., 1.}.
Classes are balanced: ``n_points // 2`` of class 0 and the rest of class 1.
``noise`` is a fraction from 0 to 0.5, as the playground's 0-50 % slider.

Input features (what the network actually sees) are derived from the points by
``make_features``; each is scaled to roughly [-1, 1] so that no initialisation
scheme is saturated by the data's units alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

DOMAIN_HALF_WIDTH = 6.0
MIN_POINTS, MAX_POINTS = 50, 2000
MAX_NOISE = 0.5

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _class_sizes(n_points: int) -> tuple[int, int]:
    return n_points // 2, n_points - n_points // 2


def _labels(n_points: int) -> np.ndarray:
    n_negative, n_positive = _class_sizes(n_points)
    return np.concatenate([np.zeros(n_negative), np.ones(n_positive)])


def circle(n_points: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 1 inside a ring of class 0."""
    radius = 5.0
    n_negative, n_positive = _class_sizes(n_points)
    r = np.concatenate([rng.uniform(0.7 * radius, radius, n_negative), rng.uniform(0.0, 0.5 * radius, n_positive)])
    angle = rng.uniform(0.0, 2 * np.pi, n_points)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X += rng.uniform(-radius, radius, X.shape) * noise
    return X, _labels(n_points)


def xor(n_points: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants; class 1 where x1 * x2 > 0. Labels follow the clean points."""
    padding = 0.3
    n_negative, n_positive = _class_sizes(n_points)

    def quadrant_points(count: int, same_sign: bool) -> np.ndarray:
        magnitude = rng.uniform(padding, 5.0, (count, 2))
        sign_x = rng.choice([-1.0, 1.0], count)
        sign_y = sign_x if same_sign else -sign_x
        return magnitude * np.column_stack([sign_x, sign_y])

    X = np.vstack([quadrant_points(n_negative, False), quadrant_points(n_positive, True)])
    X += rng.uniform(-5.0, 5.0, X.shape) * noise
    return X, _labels(n_points)


def gaussians(n_points: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs centred at (-2, -2) and (2, 2); noise widens them."""
    std = np.sqrt(0.5 + 7.0 * noise)  # variance 0.5 at no noise to 4 at 50 %, as TF Playground
    n_negative, n_positive = _class_sizes(n_points)
    X = np.vstack([rng.normal(-2.0, std, (n_negative, 2)), rng.normal(2.0, std, (n_positive, 2))])
    return X, _labels(n_points)


def spiral(n_points: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, half a turn apart."""
    arms = []
    for count, phase in zip(_class_sizes(n_points), (np.pi, 0.0)):
        t = np.arange(count) / max(count, 1)
        r = 5.0 * t
        angle = 1.75 * t * 2 * np.pi + phase
        arm = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
        arms.append(arm + rng.uniform(-1.0, 1.0, arm.shape) * noise * 5.0)
    return np.vstack(arms), _labels(n_points)


def moons(n_points: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons), scaled to the square."""
    n_negative, n_positive = _class_sizes(n_points)
    upper = rng.uniform(0.0, np.pi, n_negative)
    lower = rng.uniform(0.0, np.pi, n_positive)
    X = np.vstack(
        [
            np.column_stack([np.cos(upper), np.sin(upper)]),
            np.column_stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)]),
        ]
    )
    X = (X - [0.5, 0.25]) * 3.2  # centre and scale into roughly [-5, 5]
    X += rng.normal(0.0, noise * 2.0, X.shape)
    return X, _labels(n_points)


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    generate: Generator


DATASETS: dict[str, Dataset] = {
    "circle": Dataset("circle", "Circle", circle),
    "xor": Dataset("xor", "XOR", xor),
    "gaussians": Dataset("gaussians", "Two Gaussians", gaussians),
    "spiral": Dataset("spiral", "Spiral", spiral),
    "moons": Dataset("moons", "Moons", moons),
}


def make_dataset(name: str, n_points: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Generate a dataset by registry name. Returns ``X: (n, 2)``, ``y: (n,)``."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    if not MIN_POINTS <= n_points <= MAX_POINTS:
        raise ValueError(f"n_points must be between {MIN_POINTS} and {MAX_POINTS}, got {n_points}")
    if not 0.0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be between 0 and {MAX_NOISE}, got {noise}")
    return DATASETS[name].generate(n_points, noise, rng)


def train_test_split(
    X: np.ndarray, y: np.ndarray, train_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then cut: returns ``X_train, y_train, X_test, y_test``; both parts non-empty."""
    order = rng.permutation(len(y))
    n_train = int(round(train_fraction * len(y)))
    n_train = min(max(n_train, 1), len(y) - 1)
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


# Input features: what each network input is, computed from the points X: (n, 2).
FEATURES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "x1": ("X₁", lambda u: u[:, 0]),
    "x2": ("X₂", lambda u: u[:, 1]),
    "x1_squared": ("X₁²", lambda u: u[:, 0] ** 2),
    "x2_squared": ("X₂²", lambda u: u[:, 1] ** 2),
    "x1_times_x2": ("X₁X₂", lambda u: u[:, 0] * u[:, 1]),
    "sin_x1": ("sin(X₁)", lambda u: np.sin(DOMAIN_HALF_WIDTH * u[:, 0])),
    "sin_x2": ("sin(X₂)", lambda u: np.sin(DOMAIN_HALF_WIDTH * u[:, 1])),
}
DEFAULT_FEATURES = ("x1", "x2")


def make_features(X: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """Map points ``X: (n, 2)`` to network inputs ``(n, len(features))``.

    Coordinates are first divided by 6 so every feature lies in about [-1, 1];
    sin uses the raw coordinate (sin X₁, as in the TensorFlow Playground).
    """
    unknown = [name for name in features if name not in FEATURES]
    if unknown or not features:
        raise ValueError(f"Features must be a non-empty subset of {list(FEATURES)}, got {features}")
    unit = X / DOMAIN_HALF_WIDTH
    return np.column_stack([FEATURES[name][1](unit) for name in features])
