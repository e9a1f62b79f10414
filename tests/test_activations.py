"""Activations: derivative-from-output against central differences, stability, saturation, lookup."""

import numpy as np
import pytest

from playground.engine.activations import ACTIVATIONS, ELU_ALPHA, LEAKY_RELU_SLOPE, get_activation

H = 1e-6
KINKED = {"relu", "leaky_relu", "elu"}


def _sample_points(name: str) -> np.ndarray:
    rng = np.random.default_rng(1234)
    z = np.concatenate([rng.uniform(-6.0, 6.0, 400), [-3.0, -1.0, -0.01, 0.01, 0.5, 2.0, 4.0]])
    if name in KINKED:
        z = z[np.abs(z) >= 1e-3]
    return z.astype(np.float64)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_of_output_matches_central_differences(name):
    activation = ACTIVATIONS[name]
    z = _sample_points(name)
    numeric = (activation.value(z + H) - activation.value(z - H)) / (2 * H)
    analytic = activation.derivative(activation.value(z))
    assert analytic.shape == z.shape
    # Truncation O(h^2) plus rounding O(eps / h) ~ 1e-10: 1e-8 leaves a margin and still catches any formula slip.
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_value_and_derivative_keep_shape_on_matrices(name):
    activation = ACTIVATIONS[name]
    z = np.random.default_rng(5).normal(size=(7, 3))
    a = activation.value(z)
    assert a.shape == (7, 3)
    assert activation.derivative(a).shape == (7, 3)
    assert activation.name == name


@pytest.mark.parametrize(
    "name, z, expected",
    [
        ("relu", [-2.0, 3.0], [0.0, 3.0]),
        ("leaky_relu", [-2.0, 3.0], [-2.0 * LEAKY_RELU_SLOPE, 3.0]),
        ("elu", [-2.0, 3.0], [ELU_ALPHA * (np.exp(-2.0) - 1.0), 3.0]),
        ("linear", [-2.0, 3.0], [-2.0, 3.0]),
        ("tanh", [-2.0, 3.0], [np.tanh(-2.0), np.tanh(3.0)]),
        ("sigmoid", [-2.0, 3.0], [1 / (1 + np.exp(2.0)), 1 / (1 + np.exp(-3.0))]),
    ],
)
def test_values_match_textbook_formulas(name, z, expected):
    np.testing.assert_allclose(ACTIVATIONS[name].value(np.array(z)), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("z", [1000.0, -1000.0, 1e6, -1e6])
def test_sigmoid_is_stable_for_huge_inputs(z):
    sigmoid = ACTIVATIONS["sigmoid"]
    with np.errstate(all="raise"):  # any overflow inside would raise here
        a = sigmoid.value(np.array([z]))
        d = sigmoid.derivative(a)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))
    assert 0.0 <= a[0] <= 1.0
    assert a[0] == pytest.approx(1.0 if z > 0 else 0.0, abs=1e-300)


@pytest.mark.parametrize("z", [1000.0, 1e6])
def test_elu_does_not_overflow_for_large_positive_inputs(z):
    with np.errstate(all="raise"):
        a = ACTIVATIONS["elu"].value(np.array([z, -z]))
    np.testing.assert_allclose(a, [z, -ELU_ALPHA])


@pytest.mark.parametrize(
    "a, expected",
    [
        (0.0, False),
        (0.5, False),
        (-0.5, False),
        (0.969, False),
        (-0.969, False),
        (0.971, True),
        (-0.971, True),
        (0.9999, True),
        (-1.0, True),
    ],
)
def test_tanh_saturation_threshold(a, expected):
    assert bool(ACTIVATIONS["tanh"].saturation_test(np.array([a]))[0]) is expected


@pytest.mark.parametrize(
    "a, expected",
    [
        (0.0, True),
        (0.029, True),
        (0.031, False),
        (0.5, False),
        (0.969, False),
        (0.971, True),
        (1.0, True),
    ],
)
def test_sigmoid_saturation_threshold(a, expected):
    assert bool(ACTIVATIONS["sigmoid"].saturation_test(np.array([a]))[0]) is expected


def test_saturation_test_is_elementwise():
    a = np.array([[0.0, 0.98], [-0.99, 0.2]])
    np.testing.assert_array_equal(ACTIVATIONS["tanh"].saturation_test(a), [[False, True], [True, False]])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "linear"])
def test_unbounded_activations_have_no_saturation_test(name):
    assert ACTIVATIONS[name].saturation_test is None


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_get_activation_returns_registry_entry(name):
    assert get_activation(name) is ACTIVATIONS[name]


@pytest.mark.parametrize("bad", ["", "Tanh", "softmax", "relu "])
def test_get_activation_rejects_unknown_name(bad):
    with pytest.raises(ValueError, match="Unknown activation"):
        get_activation(bad)
