"""Binary cross-entropy from logits and the weight regularisers."""

import numpy as np
import pytest

from playground.engine.losses import (
    REGULARIZERS,
    binary_cross_entropy_from_logits,
    binary_cross_entropy_logit_gradient,
)

H = 1e-6


def _naive_bce(logits, y):
    p = 1.0 / (1.0 + np.exp(-logits))
    return float(np.mean(-(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0, 12.0])
def test_bce_matches_naive_formula_where_finite(seed, scale):
    # The naive formula is finite, and accurate to ~1e-11, while min(p, 1 - p) >> eps: |z| <= 12.
    rng = np.random.default_rng(seed)
    logits = np.clip(rng.normal(0.0, scale, 40), -12.0, 12.0)
    y = rng.integers(0, 2, 40).astype(float)
    naive = _naive_bce(logits, y)
    assert np.isfinite(naive)
    assert binary_cross_entropy_from_logits(logits, y) == pytest.approx(naive, rel=1e-9, abs=1e-12)


def test_bce_known_values():
    # p = 1/2 everywhere: ln 2 whatever the labels.
    assert binary_cross_entropy_from_logits(np.zeros(6), np.array([0, 1, 1, 0, 1, 1.0])) == pytest.approx(np.log(2))
    # Confident and right: ~e^-20; confident and wrong: ~20.
    assert binary_cross_entropy_from_logits(np.array([20.0]), np.array([1.0])) == pytest.approx(np.exp(-20), rel=1e-6)
    assert binary_cross_entropy_from_logits(np.array([20.0]), np.array([0.0])) == pytest.approx(20.0, rel=1e-6)


@pytest.mark.parametrize("logit", [1e4, -1e4, 1e300, -1e300])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_bce_finite_for_extreme_logits(logit, label):
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no overflow, no log(0), no nan inside
        loss = binary_cross_entropy_from_logits(np.array([logit]), np.array([label]))
    assert np.isfinite(loss)
    right = (logit > 0) == (label == 1.0)
    if right:
        assert loss == pytest.approx(0.0, abs=1e-12)
    else:
        assert loss == pytest.approx(abs(logit), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 3, 17])
def test_gradient_is_p_minus_y_over_n_and_matches_central_differences(seed, n):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, n)
    y = rng.integers(0, 2, n).astype(float)
    analytic = binary_cross_entropy_logit_gradient(_sigmoid(logits), y)
    np.testing.assert_allclose(analytic, (_sigmoid(logits) - y) / n, rtol=1e-14, atol=0)
    numeric = np.empty(n)
    for i in range(n):
        step = np.zeros(n)
        step[i] = H
        numeric[i] = (
            binary_cross_entropy_from_logits(logits + step, y) - binary_cross_entropy_from_logits(logits - step, y)
        ) / (2 * H)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_regularizer_registry_names():
    assert set(REGULARIZERS) == {"none", "l1", "l2"}
    for name, regularizer in REGULARIZERS.items():
        assert regularizer.name == name


@pytest.mark.parametrize("seed", range(3))
def test_regularizer_values(seed):
    w = np.random.default_rng(seed).normal(size=25)
    assert REGULARIZERS["none"].value(w) == 0.0
    assert REGULARIZERS["l1"].value(w) == pytest.approx(sum(abs(x) for x in w), rel=1e-12)
    assert REGULARIZERS["l2"].value(w) == pytest.approx(0.5 * sum(x * x for x in w), rel=1e-12)


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
@pytest.mark.parametrize("seed", range(3))
def test_regularizer_gradient_matches_central_differences(name, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=30)
    w = np.where(np.abs(w) < 1e-2, 0.5, w)  # L1 has a kink at 0: keep every weight away from it
    regularizer = REGULARIZERS[name]
    gradient = regularizer.gradient(w)
    assert gradient.shape == w.shape
    numeric = np.empty_like(w)
    for i in range(w.size):
        step = np.zeros_like(w)
        step[i] = H
        numeric[i] = (regularizer.value(w + step) - regularizer.value(w - step)) / (2 * H)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)


def test_regularizer_gradients_explicit():
    w = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(REGULARIZERS["none"].gradient(w), np.zeros(3))
    np.testing.assert_array_equal(REGULARIZERS["l1"].gradient(w), [-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(REGULARIZERS["l2"].gradient(w), w)
