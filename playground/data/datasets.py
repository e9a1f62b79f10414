"""Datasets, in one registry keyed by the name scripts and the URL use; the dataset implies the problem.

Each generator is ``(n_points, noise, rng, n_classes) -> (X, y)``:
- 2D datasets: ``X: (n_points, 2)`` points in the square [-6, 6]^2 (the TensorFlow Playground's
  coordinates, so a teacher's intuitions carry over). Classification labels ``y: (n_points,)``
  are class indices 0., 1., ... (balanced); regression targets are real values.
  ``noise`` is a fraction from 0 to 0.5, as the playground's 0-50 % slider.
- ``digits``: the 8x8 handwritten digits (``playground/data/digits.csv.gz``, see its README):
  ``X: (1797, 64)`` pixel intensities scaled to [0, 1], ``y`` the digit 0-9; ``n_points`` and
  ``noise`` do not apply. ``digits_3v8``: only the 3s and 8s, y = 1 for an 8 (a binary problem).
- ``mnist``: 10,000 MNIST digits of 28x28 pixels (``playground/data/mnist.npz``, see its README):
  ``X: (10000, 784)`` in [0, 1], ``y`` the digit. Its split is its own (``split_examples``): 2,000 test
  digits drawn by the data seed, and the first ``train_size`` of the other 8,000 for training.

Input features (what the network actually sees) are derived from the points by
``make_features``; each is scaled to roughly [-1, 1] so that no initialisation
scheme is saturated by the data's units alone.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

DOMAIN_HALF_WIDTH = 6.0
MIN_POINTS, MAX_POINTS = 50, 2000
MAX_NOISE = 0.5

MIN_CLASSES, MAX_CLASSES = 2, 5  # for the datasets with a class-count setting
IMAGE_SIDE = 8  # the digits are 8 x 8 pixel images, stored row by row
DIGITS_FILE = Path(__file__).resolve().parent / "digits.csv.gz"
MNIST_SIDE = 28  # MNIST: 28 x 28 pixel images, stored row by row
MNIST_FILE = Path(__file__).resolve().parent / "mnist.npz"
MNIST_EXAMPLES, MNIST_TEST_SIZE = 10_000, 2_000
MIN_TRAIN_SIZE, MAX_TRAIN_SIZE = 100, MNIST_EXAMPLES - MNIST_TEST_SIZE  # MNIST training images used

Generator = Callable[[int, float, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _class_sizes(n_points: int) -> tuple[int, int]:
    return n_points // 2, n_points - n_points // 2


def _split(n_points: int, n_classes: int) -> list[int]:
    """Balanced class sizes that add up to n_points (the first classes get the remainder last)."""
    base = n_points // n_classes
    return [base + (1 if k >= n_classes - n_points % n_classes else 0) for k in range(n_classes)]


def _labels(n_points: int) -> np.ndarray:
    n_negative, n_positive = _class_sizes(n_points)
    return np.concatenate([np.zeros(n_negative), np.ones(n_positive)])


def circle(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 1 inside a ring of class 0."""
    radius = 5.0
    n_negative, n_positive = _class_sizes(n_points)
    r = np.concatenate([rng.uniform(0.7 * radius, radius, n_negative), rng.uniform(0.0, 0.5 * radius, n_positive)])
    angle = rng.uniform(0.0, 2 * np.pi, n_points)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X += rng.uniform(-radius, radius, X.shape) * noise
    return X, _labels(n_points)


def xor(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
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


def gaussians(
    n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs centred at (-2, -2) and (2, 2); noise widens them."""
    std = np.sqrt(0.5 + 7.0 * noise)  # variance 0.5 at no noise to 4 at 50 %, as TF Playground
    n_negative, n_positive = _class_sizes(n_points)
    X = np.vstack([rng.normal(-2.0, std, (n_negative, 2)), rng.normal(2.0, std, (n_positive, 2))])
    return X, _labels(n_points)


def spiral(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms, evenly spaced in angle (two arms: half a turn apart)."""
    arms, labels = [], []
    for label, count in enumerate(_split(n_points, n_classes)):
        t = np.arange(count) / max(count, 1)
        r = 5.0 * t
        phase = np.pi + 2 * np.pi * label / n_classes  # two arms: pi and 0, as the binary spiral always was
        angle = 1.75 * t * 2 * np.pi + phase
        arm = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
        arms.append(arm + rng.uniform(-1.0, 1.0, arm.shape) * noise * 5.0)
        labels.append(np.full(count, float(label)))
    return np.vstack(arms), np.concatenate(labels)


def blobs(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` Gaussian blobs with centres evenly spaced on a circle of radius 3.5; noise widens them."""
    std = np.sqrt(0.4 + 5.0 * noise)
    parts, labels = [], []
    for label, count in enumerate(_split(n_points, n_classes)):
        angle = 2 * np.pi * label / n_classes + np.pi / 4
        centre = 3.5 * np.array([np.cos(angle), np.sin(angle)])
        parts.append(rng.normal(0.0, std, (count, 2)) + centre)
        labels.append(np.full(count, float(label)))
    return np.vstack(parts), np.concatenate(labels)


def plane(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a tilted plane, y = (x1 + x2) / 12 in [-1, 1] (the TF Playground's "plane")."""
    X = rng.uniform(-DOMAIN_HALF_WIDTH, DOMAIN_HALF_WIDTH, (n_points, 2))
    y = (X[:, 0] + X[:, 1]) / (2 * DOMAIN_HALF_WIDTH)
    return X, y + rng.uniform(-1.0, 1.0, n_points) * noise


BUMP_CENTRES = np.array([[-4.0, 2.5], [0.0, 2.5], [4.0, 2.5], [-4.0, -2.5], [0.0, -2.5], [4.0, -2.5]])
BUMP_SIGNS = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])


def bumps(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a sum of six Gaussian bumps of alternating sign (the TF Playground's "multi Gaussian")."""
    X = rng.uniform(-DOMAIN_HALF_WIDTH, DOMAIN_HALF_WIDTH, (n_points, 2))
    return X, bump_surface(X) + rng.uniform(-1.0, 1.0, n_points) * noise


def bump_surface(X: np.ndarray) -> np.ndarray:
    """The noise-free bumps target at points X: (n, 2) -> (n,), values in about [-1, 1]."""
    squared = ((X[:, None, :] - BUMP_CENTRES[None, :, :]) ** 2).sum(axis=2)  # (n, 6)
    return np.exp(-squared / (2 * 1.3**2)) @ BUMP_SIGNS


@lru_cache(maxsize=1)
def _digits_table() -> tuple[np.ndarray, np.ndarray]:
    """The shipped digits file: images (1797, 64) with intensities 0-16, labels (1797,). Read once."""
    with gzip.open(DIGITS_FILE, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float64)
    pixels = IMAGE_SIDE * IMAGE_SIDE
    if table.shape != (1797, pixels + 1):
        raise ValueError(f"{DIGITS_FILE.name} should hold 1797 rows of {pixels} pixels and a label, got {table.shape}")
    images, labels = table[:, :pixels] / 16.0, table[:, pixels]
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def digits(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits, all 1797 images: X (1797, 64) in [0, 1], y the digit (0-9)."""
    images, labels = _digits_table()
    return images.copy(), labels.copy()


def digits_3v8(
    n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Only the 3s and 8s of the digits: X (357, 64), y = 1 for an 8 and 0 for a 3."""
    images, labels = _digits_table()
    keep = (labels == 3) | (labels == 8)
    return images[keep].copy(), (labels[keep] == 8).astype(np.float64)


@lru_cache(maxsize=1)
def _mnist_table() -> tuple[np.ndarray, np.ndarray]:
    """The shipped MNIST file (scripts/convert_mnist.py made it): images (10000, 784) in [0, 1], labels (10000,).
    Read once per process and read-only: every trainer's split copies the rows it uses."""
    with np.load(MNIST_FILE) as archive:
        images, labels = archive["images"], archive["labels"]
    pixels = MNIST_SIDE * MNIST_SIDE
    if images.shape != (MNIST_EXAMPLES, pixels) or labels.shape != (MNIST_EXAMPLES,):
        raise ValueError(f"{MNIST_FILE.name} should hold {MNIST_EXAMPLES} images of {pixels} pixels and their labels")
    images, labels = images / 255.0, labels.astype(np.float64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def mnist(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """All 10,000 MNIST digits: X (10000, 784) in [0, 1] (read-only, shared), y the digit (0-9)."""
    return _mnist_table()


def moons(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
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


USER_DATASET = "custom"  # the user's own points (playground.data.userdata), held by the config's user_data


def user_points(n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2):
    """The user's own data is not generated: its points come from ``TrainingConfig.user_data``."""
    raise ValueError(
        f"dataset {USER_DATASET!r} has no generator: its points are the config's user_data (playground.data.userdata)"
    )


@dataclass(frozen=True)
class Dataset:
    """One dataset: its generator and what it implies.

    problem: "binary", "multiclass" or "regression" (which head the network gets).
    n_classes: the class count; None where the ``n_classes`` setting chooses it (2 to 5), 0 for
    regression. inputs: "points" (2D, drawn as a plane, input features apply) or "image" (square images
    of ``image_side`` pixels a side, fed pixel by pixel, rows first).
    """

    name: str
    label: str
    generate: Generator
    problem: str
    n_classes: int | None = 2
    inputs: str = "points"
    size: int | None = None  # a fixed number of examples (the image sets); None: the n_points setting
    image_side: int = 0  # pixels per side of an image set's images (0: points)

    @property
    def n_inputs(self) -> int | None:
        """Inputs per example for image sets (their pixels); None for points (the chosen features decide)."""
        return self.image_side * self.image_side if self.inputs == "image" else None

    def examples(self, n_points: int) -> int:
        """How many examples the dataset has with the ``n_points`` setting."""
        return n_points if self.size is None else self.size

    def classes(self, n_classes: int) -> int:
        """The number of classes with the ``n_classes`` setting (0 for regression)."""
        return n_classes if self.n_classes is None else self.n_classes

    def problem_for(self, n_classes: int) -> str:
        """The problem with the ``n_classes`` setting: a 2-class spiral or blobs is binary."""
        if self.problem == "multiclass" and self.classes(n_classes) == 2:
            return "binary"
        return self.problem


DATASETS: dict[str, Dataset] = {
    "circle": Dataset("circle", "Circle", circle, "binary"),
    "xor": Dataset("xor", "XOR", xor, "binary"),
    "gaussians": Dataset("gaussians", "Two Gaussians", gaussians, "binary"),
    "spiral": Dataset("spiral", "Spiral (2-5 arms)", spiral, "multiclass", None),
    "moons": Dataset("moons", "Moons", moons, "binary"),
    "blobs": Dataset("blobs", "Blobs (2-5 classes)", blobs, "multiclass", None),
    "plane": Dataset("plane", "Plane (regression)", plane, "regression", 0),
    "bumps": Dataset("bumps", "Six bumps (regression)", bumps, "regression", 0),
    "digits": Dataset("digits", "Handwritten digits 0-9 (8x8)", digits, "multiclass", 10, "image", 1797, IMAGE_SIDE),
    "digits_3v8": Dataset("digits_3v8", "Digits: 3 vs 8", digits_3v8, "binary", 2, "image", 357, IMAGE_SIDE),
    "mnist": Dataset("mnist", "MNIST digits 0-9 (28x28)", mnist, "multiclass", 10, "image", MNIST_EXAMPLES, MNIST_SIDE),
    # Its problem and classes are the user data's (TrainingConfig.problem and .classes ask it).
    USER_DATASET: Dataset(USER_DATASET, "Your own data (click or upload)", user_points, "binary", 2),
}


def make_dataset(
    name: str, n_points: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Generate a dataset by registry name. Returns ``X: (n, n_inputs)``, ``y: (n,)``."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    if not MIN_POINTS <= n_points <= MAX_POINTS:
        raise ValueError(f"n_points must be between {MIN_POINTS} and {MAX_POINTS}, got {n_points}")
    if not 0.0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be between 0 and {MAX_NOISE}, got {noise}")
    dataset = DATASETS[name]
    if dataset.n_classes is None and not MIN_CLASSES <= n_classes <= MAX_CLASSES:
        raise ValueError(f"n_classes must be between {MIN_CLASSES} and {MAX_CLASSES} for {name}, got {n_classes}")
    return dataset.generate(n_points, noise, rng, dataset.classes(n_classes))


def train_test_split(
    X: np.ndarray, y: np.ndarray, train_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then cut: returns ``X_train, y_train, X_test, y_test``; both parts non-empty."""
    order = rng.permutation(len(y))
    n_train = int(round(train_fraction * len(y)))
    n_train = min(max(n_train, 1), len(y) - 1)
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


def split_examples(
    name: str, X: np.ndarray, y: np.ndarray, train_fraction: float, train_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The dataset's train/test split: ``X_train, y_train, X_test, y_test``.

    MNIST: a permutation by ``rng`` (the data seed) puts MNIST_TEST_SIZE digits in the test set and the first
    ``train_size`` of the rest in the training set, so the test set stays the same whatever the training
    size, and a smaller training set is part of a larger one. Every other dataset: ``train_test_split``.
    """
    if name != "mnist":
        return train_test_split(X, y, train_fraction, rng)
    if not MIN_TRAIN_SIZE <= train_size <= MAX_TRAIN_SIZE:
        raise ValueError(f"train_size must be between {MIN_TRAIN_SIZE} and {MAX_TRAIN_SIZE}, got {train_size}")
    order = rng.permutation(len(y))
    test, train = order[:MNIST_TEST_SIZE], order[MNIST_TEST_SIZE : MNIST_TEST_SIZE + train_size]
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


def flip_labels(y: np.ndarray, share: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wrong labels on a seeded share of examples (label noise, for provoking overfitting).

    y: (n,) class indices 0 .. classes - 1, or regression targets when ``classes`` is 0.
    ``round(share * n)`` examples are chosen without replacement; a class label moves to another class
    (binary: 0 <-> 1; more classes: one of the others, uniformly), a regression target takes the target
    of another example chosen at random (a plausible value, at the wrong place).
    Returns (the noisy labels (n,), which examples were changed: bool (n,)).
    """
    n = y.shape[0]
    chosen = rng.choice(n, size=int(round(share * n)), replace=False)
    noisy = y.copy()
    if classes:
        offsets = rng.integers(1, classes, size=chosen.size)  # never 0: the label always changes
        noisy[chosen] = (y[chosen] + offsets) % classes
    else:
        sources = (chosen + rng.integers(1, n, size=chosen.size)) % n  # another example, never itself
        noisy[chosen] = y[sources]
    changed = np.zeros(n, dtype=bool)
    changed[chosen] = True
    return noisy, changed
