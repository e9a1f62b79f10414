"""Optimisers: a few steps against the update rules written out by hand."""

import math

import numpy as np
import pytest

from playground.engine.optimizers import OPTIMIZERS, SGD, Adam, Momentum, make_optimizer

THETA0 = [0.5, -1.25, 2.0]
GRADS = [[0.1, -0.4, 2.5], [-0.3, 0.2, 1.0], [0.05, 0.0, -2.0]]
LR = 0.1


def _run(optimizer, theta0=THETA0, grads=GRADS):
    theta = np.array(theta0, dtype=np.float64)
    trajectory = []
    for g in grads:
        optimizer.step(theta, np.array(g, dtype=np.float64))
        trajectory.append(theta.copy())
    return trajectory


def _sgd_by_hand(theta0, grads, lr):
    theta = list(theta0)
    out = []
    for g in grads:
        theta = [t - lr * gi for t, gi in zip(theta, g)]
        out.append(theta)
    return out


def _momentum_by_hand(theta0, grads, lr, mu=0.9):
    theta, v = list(theta0), [0.0] * len(theta0)
    out = []
    for g in grads:
        v = [mu * vi - lr * gi for vi, gi in zip(v, g)]
        theta = [t + vi for t, vi in zip(theta, v)]
        out.append(theta)
    return out


def _adam_by_hand(theta0, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    theta, m, s = list(theta0), [0.0] * len(theta0), [0.0] * len(theta0)
    out = []
    for t, g in enumerate(grads, start=1):
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        s = [b2 * si + (1 - b2) * gi * gi for si, gi in zip(s, g)]
        m_hat = [mi / (1 - b1**t) for mi in m]
        s_hat = [si / (1 - b2**t) for si in s]
        theta = [th - lr * mh / (math.sqrt(sh) + eps) for th, mh, sh in zip(theta, m_hat, s_hat)]
        out.append(theta)
    return out


BY_HAND = {"sgd": _sgd_by_hand, "momentum": _momentum_by_hand, "adam": _adam_by_hand}


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("n_steps", [1, 2, 3])
def test_steps_match_hand_computed_updates(name, n_steps):
    optimizer = make_optimizer(name, LR, len(THETA0))
    got = _run(optimizer, grads=GRADS[:n_steps])
    expected = BY_HAND[name](THETA0, GRADS[:n_steps], LR)
    for step, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-12, err_msg=f"{name} step {step + 1}")


def test_first_steps_explicit_numbers():
    # Written out for one coordinate: theta0 = 1, g1 = 2, g2 = -1, lr = 0.5.
    theta = np.array([1.0])
    sgd = SGD(0.5, 1)
    sgd.step(theta, np.array([2.0]))
    assert theta[0] == pytest.approx(1.0 - 0.5 * 2.0, abs=1e-12)  # 0
    theta = np.array([1.0])
    momentum = Momentum(0.5, 1)
    momentum.step(theta, np.array([2.0]))  # v = -1, theta = 0
    momentum.step(theta, np.array([-1.0]))  # v = 0.9 * -1 + 0.5 = -0.4, theta = -0.4
    assert theta[0] == pytest.approx(-0.4, abs=1e-12)
    theta = np.array([1.0])
    adam = Adam(0.5, 1)
    adam.step(theta, np.array([2.0]))  # bias-corrected first step moves by lr * g / |g| = lr
    assert theta[0] == pytest.approx(1.0 - 0.5 * 2.0 / (2.0 + 1e-8), abs=1e-12)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_step_updates_in_place(name):
    optimizer = make_optimizer(name, LR, 3)
    theta = np.array(THETA0)
    alias = theta
    optimizer.step(theta, np.array(GRADS[0]))
    assert alias is theta
    assert not np.array_equal(theta, THETA0)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_state_is_per_instance(name):
    first = make_optimizer(name, LR, 3)
    second = make_optimizer(name, LR, 3)
    # Step the first one a few times: the second must still behave like a fresh optimiser.
    _run(first)
    got = _run(second, grads=GRADS[:1])
    expected = BY_HAND[name](THETA0, GRADS[:1], LR)
    np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-12)
    # And the first continues from its own state, not from the second's.
    theta = np.array(THETA0)
    first.step(theta, np.array(GRADS[0]))
    fresh = BY_HAND[name](THETA0, GRADS[:1], LR)[0]
    assert not np.allclose(theta, fresh)


def test_state_arrays_are_not_shared():
    a, b = Momentum(LR, 3), Momentum(LR, 3)
    assert a.velocity is not b.velocity
    c, d = Adam(LR, 3), Adam(LR, 3)
    assert c.first_moment is not d.first_moment and c.second_moment is not d.second_moment


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_learning_rate_attribute_is_used(name):
    optimizer = make_optimizer(name, LR, 3)
    optimizer.learning_rate = 2 * LR  # what Trainer.apply_config does for a rate change
    got = _run(optimizer, grads=GRADS[:2])
    expected = BY_HAND[name](THETA0, GRADS[:2], 2 * LR)
    np.testing.assert_allclose(got[-1], expected[-1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("momentum", Momentum), ("adam", Adam)])
def test_make_optimizer_builds_registered_class(name, cls):
    assert OPTIMIZERS[name] is cls
    optimizer = make_optimizer(name, 0.25, 4)
    assert isinstance(optimizer, cls)
    assert optimizer.learning_rate == 0.25


@pytest.mark.parametrize("bad", ["rmsprop", "", "SGD"])
def test_make_optimizer_rejects_unknown_name(bad):
    with pytest.raises(ValueError, match="Unknown optimiser"):
        make_optimizer(bad, 0.1, 3)
