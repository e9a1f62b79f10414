"""Datasets, the train/test split and the input features."""

import numpy as np
import pytest

from playground.data.datasets import (
    DATASETS,
    DOMAIN_HALF_WIDTH,
    FEATURES,
    MAX_CLASSES,
    MAX_NOISE,
    MAX_POINTS,
    MIN_CLASSES,
    MIN_POINTS,
    bump_surface,
    make_dataset,
    make_features,
    train_test_split,
)

# The 2D classification sets, with their default two classes (the checks below are for those).
NAMES = sorted(
    name for name, d in DATASETS.items() if d.inputs == "points" and d.problem != "regression" and name != "custom"
)


def _make(name, n=200, noise=0.0, seed=0):
    return make_dataset(name, n, noise, np.random.default_rng(seed))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [MIN_POINTS, 51, 200, 333, MAX_POINTS])
@pytest.mark.parametrize("noise", [0.0, 0.25, MAX_NOISE])
def test_shapes_labels_and_balance(name, n, noise):
    X, y = _make(name, n, noise)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert set(np.unique(y)) <= {0.0, 1.0}
    assert np.sum(y == 0) == n // 2
    assert np.sum(y == 1) == n - n // 2
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_same_seed_same_data_different_seed_different(name, noise):
    X1, y1 = _make(name, 300, noise, seed=7)
    X2, y2 = _make(name, 300, noise, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = _make(name, 300, noise, seed=8)
    if name == "spiral" and noise == 0.0:
        # The noiseless spiral is a fixed curve: the seed has nothing to change.
        np.testing.assert_array_equal(X1, X3)
    else:
        assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", NAMES)
def test_noise_changes_the_points(name):
    X0, y0 = _make(name, 400, 0.0, seed=3)
    X5, y5 = _make(name, 400, 0.5, seed=3)
    np.testing.assert_array_equal(y0, y5)
    assert not np.allclose(X0, X5)


@pytest.mark.parametrize("name", NAMES)
def test_more_noise_spreads_points_further(name):
    # Independent zero-mean noise adds its variance to the cloud's mean squared radius.
    spread0 = np.mean(np.linalg.norm(_make(name, 2000, 0.0, seed=4)[0], axis=1) ** 2)
    spread5 = np.mean(np.linalg.norm(_make(name, 2000, 0.5, seed=4)[0], axis=1) ** 2)
    assert spread5 > spread0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n", [MIN_POINTS, 500, MAX_POINTS])
def test_noiseless_circle_separable_by_radius(seed, n):
    X, y = _make("circle", n, 0.0, seed)
    radius = np.linalg.norm(X, axis=1)
    assert np.all(radius[y == 1] < 2.5)
    assert np.all(radius[y == 0] > 3.5)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n", [MIN_POINTS, 500, MAX_POINTS])
def test_noiseless_xor_separable_by_sign_of_product(seed, n):
    X, y = _make("xor", n, 0.0, seed)
    product = X[:, 0] * X[:, 1]
    np.testing.assert_array_equal(y, (product > 0).astype(float))
    assert np.all(np.abs(product) > 0)


def test_noiseless_gaussians_mostly_on_their_side():
    X, y = _make("gaussians", 2000, 0.0, seed=0)
    side = (X[:, 0] + X[:, 1] > 0).astype(float)
    assert np.mean(side == y) > 0.99


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", range(3))
def test_noiseless_points_inside_domain(name, seed):
    X, _ = _make(name, MAX_POINTS, 0.0, seed)
    assert np.all(np.abs(X) <= DOMAIN_HALF_WIDTH)


@pytest.mark.parametrize("name", NAMES)
def test_points_use_the_domain(name):
    # Not squashed into a corner: the cloud spans several units in each direction.
    X, _ = _make(name, 1000, 0.0)
    assert np.all(X.max(axis=0) - X.min(axis=0) > 4.0)


@pytest.mark.parametrize(
    "name, n, noise",
    [
        ("squares", 200, 0.0),
        ("", 200, 0.0),
        ("Circle", 200, 0.0),
        ("circle", MIN_POINTS - 1, 0.0),
        ("circle", MAX_POINTS + 1, 0.0),
        ("xor", 0, 0.0),
        ("xor", 200, -0.01),
        ("xor", 200, MAX_NOISE + 0.01),
        ("moons", 200, float("nan")),
    ],
)
def test_make_dataset_rejects_bad_arguments(name, n, noise):
    with pytest.raises(ValueError):
        make_dataset(name, n, noise, np.random.default_rng(0))


@pytest.mark.parametrize("n", [MIN_POINTS, MAX_POINTS])
@pytest.mark.parametrize("noise", [0.0, MAX_NOISE])
def test_make_dataset_accepts_bounds(n, noise):
    X, _ = make_dataset("circle", n, noise, np.random.default_rng(0))
    assert X.shape == (n, 2)


def _indexed(n):
    X = np.column_stack([np.arange(n), -np.arange(n)]).astype(float)
    return X, np.arange(n).astype(float)


@pytest.mark.parametrize("n", [MIN_POINTS, 200, 333, MAX_POINTS])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_train_test_split_sizes_disjoint_and_covering(n, fraction):
    X, y = _indexed(n)
    X_train, y_train, X_test, y_test = train_test_split(X, y, fraction, np.random.default_rng(0))
    assert len(y_train) == int(round(fraction * n))
    assert len(y_train) + len(y_test) == n
    assert X_train.shape == (len(y_train), 2) and X_test.shape == (len(y_test), 2)
    train_ids, test_ids = set(y_train.astype(int)), set(y_test.astype(int))
    assert len(train_ids) == len(y_train) and len(test_ids) == len(y_test)
    assert not train_ids & test_ids
    assert train_ids | test_ids == set(range(n))
    # Rows travel with their labels.
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 0], y_test)


@pytest.mark.parametrize("fraction, n_train", [(0.1, 50), (0.9, 450), (0.5, 250)])
def test_train_test_split_sizes_of_500_points(fraction, n_train):
    X, y = _indexed(500)
    _, y_train, _, y_test = train_test_split(X, y, fraction, np.random.default_rng(0))
    assert (len(y_train), len(y_test)) == (n_train, 500 - n_train)


def test_train_test_split_shuffles_deterministically():
    X, y = _indexed(200)
    a = train_test_split(X, y, 0.5, np.random.default_rng(1))[1]
    b = train_test_split(X, y, 0.5, np.random.default_rng(1))[1]
    c = train_test_split(X, y, 0.5, np.random.default_rng(2))[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(np.sort(a), np.arange(100))  # not just the first half


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.999, 1.0])
def test_train_test_split_keeps_both_parts_non_empty(fraction):
    X, y = _indexed(50)
    _, y_train, _, y_test = train_test_split(X, y, fraction, np.random.default_rng(0))
    assert len(y_train) >= 1 and len(y_test) >= 1


FEATURE_SETS = [
    ("x1",),
    ("x1", "x2"),
    ("x1_squared", "x2_squared", "x1_times_x2"),
    ("sin_x1", "sin_x2", "x1"),
    tuple(FEATURES),
]


@pytest.mark.parametrize("features", FEATURE_SETS)
@pytest.mark.parametrize("name", NAMES)
def test_make_features_shape_and_range(features, name):
    X, _ = _make(name, 500, 0.0, seed=1)
    F = make_features(X, features)
    assert F.shape == (500, len(features))
    assert np.all(np.abs(F) <= 1.0)
    assert np.all(np.isfinite(F))


@pytest.mark.parametrize("name", NAMES)
def test_make_features_at_max_noise_stay_about_unit(name):
    X, _ = _make(name, 1000, MAX_NOISE, seed=2)
    F = make_features(X, tuple(FEATURES))
    assert np.quantile(np.abs(F), 0.99) <= 1.5


def test_make_features_formulas():
    X = np.array([[3.0, -1.5], [-6.0, 6.0]])
    u = X / DOMAIN_HALF_WIDTH
    F = make_features(X, tuple(FEATURES))
    expected = np.column_stack(
        [u[:, 0], u[:, 1], u[:, 0] ** 2, u[:, 1] ** 2, u[:, 0] * u[:, 1], np.sin(X[:, 0]), np.sin(X[:, 1])]
    )
    np.testing.assert_allclose(F, expected, rtol=1e-14)
    assert list(FEATURES) == ["x1", "x2", "x1_squared", "x2_squared", "x1_times_x2", "sin_x1", "sin_x2"]


@pytest.mark.parametrize("bad", [(), ("x3",), ("x1", "bogus")])
def test_make_features_rejects_bad_names(bad):
    with pytest.raises(ValueError):
        make_features(np.zeros((3, 2)), bad)


# ---- beyond binary: multi-class, regression, digits ---------------------------------------------


@pytest.mark.parametrize("name", ["spiral", "blobs"])
@pytest.mark.parametrize("n_classes", range(MIN_CLASSES, MAX_CLASSES + 1))
@pytest.mark.parametrize("n", [MIN_POINTS, 333, MAX_POINTS])
def test_multiclass_sets_have_balanced_classes(name, n_classes, n):
    X, y = make_dataset(name, n, 0.1, np.random.default_rng(0), n_classes)
    assert X.shape == (n, 2) and y.shape == (n,)
    counts = np.bincount(y.astype(int), minlength=n_classes)
    assert len(counts) == n_classes and counts.sum() == n
    assert counts.max() - counts.min() <= 1
    assert np.all(np.abs(X) <= DOMAIN_HALF_WIDTH + 3)


@pytest.mark.parametrize("n_classes", range(3, MAX_CLASSES + 1))
def test_noiseless_blobs_are_nearest_centre_separable(n_classes):
    X, y = make_dataset("blobs", 500, 0.0, np.random.default_rng(1), n_classes)
    centres = np.array([X[y == k].mean(axis=0) for k in range(n_classes)])
    nearest = np.argmin(((X[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == y) > 0.97


def test_two_arm_spiral_is_the_binary_spiral():
    """n_classes=2 keeps the spiral every lesson and URL knew (phases pi and 0)."""
    X, y = make_dataset("spiral", 200, 0.0, np.random.default_rng(0), 2)
    t = np.arange(100) / 100
    angle = 1.75 * t * 2 * np.pi
    np.testing.assert_allclose(X[y == 1], np.column_stack([5 * t * np.sin(angle), 5 * t * np.cos(angle)]), atol=1e-12)


@pytest.mark.parametrize("bad", [1, MAX_CLASSES + 1])
def test_class_count_out_of_range_is_rejected(bad):
    with pytest.raises(ValueError, match="n_classes"):
        make_dataset("blobs", 200, 0.0, np.random.default_rng(0), bad)


def test_plane_target_is_the_tilt():
    X, y = make_dataset("plane", 300, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 12)
    assert y.min() >= -1 and y.max() <= 1


def test_bumps_target_has_six_signed_peaks():
    X, y = make_dataset("bumps", 400, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(y, bump_surface(X))
    peaks = bump_surface(np.array([[-4.0, 2.5], [0.0, 2.5], [0.0, -2.5]]))
    assert peaks[0] > 0.9 and peaks[1] < -0.9 and peaks[2] > 0.9


@pytest.mark.parametrize("name", ["plane", "bumps"])
def test_regression_noise_moves_targets_not_points(name):
    X0, y0 = make_dataset(name, 300, 0.0, np.random.default_rng(4))
    X1, y1 = make_dataset(name, 300, 0.3, np.random.default_rng(4))
    np.testing.assert_array_equal(X0, X1)
    assert 0.05 < np.abs(y1 - y0).mean() < 0.3


def test_digits_are_the_uci_set():
    X, y = make_dataset("digits", 500, 0.0, np.random.default_rng(0))
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y.astype(int)), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # The first image is a 0: a ring of ink with an empty middle.
    zero = X[0].reshape(8, 8)
    assert y[0] == 0 and zero[3:5, 3:5].mean() < 0.2 and zero[1:3, 2:6].mean() > 0.4


def test_digits_3v8_is_the_binary_subset():
    X, y = make_dataset("digits_3v8", 500, 0.0, np.random.default_rng(0))
    assert X.shape == (183 + 174, 64) and set(np.unique(y)) == {0.0, 1.0}
    assert int(y.sum()) == 174  # the 8s


def test_every_dataset_declares_a_known_problem():
    for dataset in DATASETS.values():
        assert dataset.problem in ("binary", "multiclass", "regression")
        assert dataset.inputs in ("points", "image")
