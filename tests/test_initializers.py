"""Weight initialisers: variance against each scheme's formula within sampling error, and exact schemes."""

import numpy as np
import pytest

from playground.engine.initializers import INITIALIZERS, get_initializer

SIGMA = 0.7
SHAPES = [(400, 300), (300, 400), (500, 60)]
RANDOM_SCHEMES = sorted(name for name in INITIALIZERS if name not in ("identity", "zeros"))


def _draw(name, fan_in, fan_out, seed=0, sigma=SIGMA):
    return INITIALIZERS[name].function(fan_in, fan_out, np.random.default_rng(seed), sigma)


def test_registry_names_match_keys():
    for name, scheme in INITIALIZERS.items():
        assert scheme.name == name
        assert get_initializer(name) is scheme


def test_get_initializer_rejects_unknown_name():
    with pytest.raises(ValueError, match="Unknown initialiser"):
        get_initializer("kaiming_magic")


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
@pytest.mark.parametrize("fan_in, fan_out", SHAPES)
def test_shape_and_dtype(name, fan_in, fan_out):
    W = _draw(name, fan_in, fan_out)
    assert W.shape == (fan_in, fan_out)
    assert W.dtype == np.float64


@pytest.mark.parametrize("name", RANDOM_SCHEMES)
@pytest.mark.parametrize("fan_in, fan_out", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_sample_variance_matches_scheme_variance(name, fan_in, fan_out, seed):
    W = _draw(name, fan_in, fan_out, seed).ravel()
    n = W.size
    expected = INITIALIZERS[name].variance(fan_in, fan_out, SIGMA)
    assert expected > 0
    sample_variance = np.var(W, ddof=1)
    # Var(s^2) ~= (mu_4 - sigma^4) / n; mu_4 and sigma^4 estimated from the sample itself,
    # so the bound is right for normal and uniform draws alike.
    centred = W - W.mean()
    fourth_moment = np.mean(centred**4)
    standard_error = np.sqrt((fourth_moment - np.mean(centred**2) ** 2) / n)
    assert abs(sample_variance - expected) < 5 * standard_error, (sample_variance, expected, standard_error)
    # The bound is tight (well under 10 % here): it would catch e.g. fan_in confused with fan_out.
    assert 5 * standard_error < 0.05 * expected


@pytest.mark.parametrize("name", RANDOM_SCHEMES)
@pytest.mark.parametrize("fan_in, fan_out", SHAPES)
def test_sample_mean_is_near_zero(name, fan_in, fan_out):
    W = _draw(name, fan_in, fan_out, seed=3).ravel()
    standard_error = np.std(W) / np.sqrt(W.size)
    assert abs(W.mean()) < 5 * standard_error


@pytest.mark.parametrize("fan_in, fan_out", SHAPES)
def test_glorot_uniform_within_bound(fan_in, fan_out):
    W = _draw("glorot_uniform", fan_in, fan_out)
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    assert np.all(np.abs(W) <= bound)
    # ...and actually fills the interval, not a narrower one.
    assert W.max() > 0.99 * bound and W.min() < -0.99 * bound


@pytest.mark.parametrize("fan_in, fan_out", SHAPES)
def test_standard_uniform_within_bound(fan_in, fan_out):
    W = _draw("standard_uniform", fan_in, fan_out)
    bound = 1.0 / np.sqrt(fan_in)
    assert np.all(np.abs(W) <= bound)
    assert W.max() > 0.99 * bound and W.min() < -0.99 * bound


@pytest.mark.parametrize("sigma", [0.01, 0.5, 3.0])
def test_normal_scheme_reads_sigma(sigma):
    W = _draw("normal", 400, 300, sigma=sigma)
    assert np.std(W) == pytest.approx(sigma, rel=0.01)
    assert INITIALIZERS["normal"].uses_sigma


@pytest.mark.parametrize("fan_in, fan_out", SHAPES + [(5, 5)])
def test_zeros_is_all_zero(fan_in, fan_out):
    W = _draw("zeros", fan_in, fan_out)
    assert not W.any()
    assert INITIALIZERS["zeros"].variance(fan_in, fan_out, SIGMA) == 0.0


@pytest.mark.parametrize("fan_in, fan_out", SHAPES + [(5, 5), (2, 8), (8, 1)])
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5])
def test_identity_is_sigma_times_eye(fan_in, fan_out, sigma):
    W = _draw("identity", fan_in, fan_out, sigma=sigma)
    np.testing.assert_array_equal(W, sigma * np.eye(fan_in, fan_out))
    # Its declared variance is the per-weight mean square.
    assert INITIALIZERS["identity"].variance(fan_in, fan_out, sigma) == pytest.approx(np.mean(W**2), rel=1e-12)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_same_seed_same_matrix(name):
    np.testing.assert_array_equal(_draw(name, 40, 30, seed=11), _draw(name, 40, 30, seed=11))


@pytest.mark.parametrize("name", RANDOM_SCHEMES)
def test_different_seed_different_matrix(name):
    assert not np.array_equal(_draw(name, 40, 30, seed=11), _draw(name, 40, 30, seed=12))
