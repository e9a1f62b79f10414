"""Diagnostics: gradient check, predicted gains, readout sentence, layer verdicts, histograms."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from playground.engine.activations import ACTIVATIONS
from playground.engine.network import Network
from playground.teaching import diagnostics as dg
from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer


def small_data(n=40, n_inputs=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, n_inputs))
    y = (rng.uniform(size=n) < 0.5).astype(float)
    return X, y


def smooth_network(activation="tanh", sizes=(2, 5, 4, 1), seed=0):
    rng = np.random.default_rng(seed)
    network = Network.initialized(list(sizes), [activation] * (len(sizes) - 2), "glorot_normal", rng)
    network.theta += rng.normal(0, 0.1, network.theta.shape) * (1 - network.weight_mask)  # non-zero biases
    return network


# ---- gradient check --------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear", "elu"])
@pytest.mark.parametrize("regularization,rate", [("none", 0.0), ("l2", 0.1), ("l1", 0.01)])
def test_gradient_check_is_good_on_a_smooth_network(activation, regularization, rate):
    network = smooth_network(activation)
    X, y = small_data()
    report = dg.gradient_check(network, X, y, regularization, rate)
    assert list(report["layer"]) == [1, 2, 3]
    assert (report["relative_error"] < 1e-7).all(), report
    assert set(report["verdict"]) == {"good"}
    assert list(report["n_checked"]) == [2 * 5 + 5, 5 * 4 + 4, 4 + 1]  # every W and b entry


def test_gradient_check_relu_is_at_worst_fine_with_kinks():
    network = smooth_network("relu", sizes=(2, 8, 8, 1))
    X, y = small_data()
    report = dg.gradient_check(network, X, y)
    assert (report["relative_error"] < 1e-4).all()


def test_gradient_check_flags_a_wrong_derivative(monkeypatch):
    tanh = ACTIVATIONS["tanh"]
    # A classic slip: 1 - a instead of 1 - a^2.
    monkeypatch.setitem(ACTIVATIONS, "tanh", replace(tanh, derivative=lambda a: 1.0 - a))
    network = smooth_network("tanh")
    X, y = small_data()
    report = dg.gradient_check(network, X, y)
    assert report.loc[0, "verdict"] == "wrong"  # below the broken derivative
    assert report.loc[1, "verdict"] == "wrong"
    assert report.loc[2, "verdict"] == "good"  # the output layer's gradient uses no hidden derivative
    assert not report.loc[0, "at_noise_floor"]  # a real error, far above float rounding


def test_gradient_check_tells_a_vanished_gradient_from_a_wrong_one():
    # 8 sigmoid layers: layer 1's gradient is ~1e-5 of the top's, so its finite differences are
    # dominated by rounding. The relative error rises, but stays explained by the noise floor.
    sizes = [2] + [16] * 8 + [1]
    network = Network.initialized(sizes, ["sigmoid"] * 8, "glorot_uniform", np.random.default_rng(0))
    X, y = small_data()
    report = dg.gradient_check(network, X, y, max_entries_per_layer=32)
    assert report.loc[0, "analytic_norm"] < 1e-3 * report.loc[8, "analytic_norm"]
    assert (report["relative_error"] < 1e-4).all()
    assert report["at_noise_floor"].all()


def test_gradient_check_leaves_the_network_exactly_as_it_was():
    network = smooth_network("tanh")
    X, y = small_data()
    network.loss_and_gradient(X, y)
    theta, grad = network.theta.copy(), network.grad.copy()
    dg.gradient_check(network, X, y, "l2", 0.1, n_points=5, h=1e-3)
    np.testing.assert_array_equal(network.theta, theta)  # bit for bit, not approx
    np.testing.assert_array_equal(network.grad, grad)
    assert np.shares_memory(network.weights[0], network.theta)  # views still live


def test_gradient_check_samples_points_and_entries_repeatably():
    network = smooth_network("tanh", sizes=(2, 30, 1))
    X, y = small_data(n=20)
    a = dg.gradient_check(network, X, y, n_points=100, max_entries_per_layer=10, rng=np.random.default_rng(3))
    b = dg.gradient_check(network, X, y, n_points=100, max_entries_per_layer=10, rng=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)
    assert list(a["n_checked"]) == [10, 10]
    assert (a["relative_error"] < 1e-7).all()


@pytest.mark.parametrize(
    "err,verdict",
    [
        (0.0, "good"),
        (9e-8, "good"),
        (1e-7, "fine with kinks"),
        (5e-5, "fine with kinks"),
        (1e-4, "uncomfortable"),
        (5e-3, "uncomfortable"),
        (1e-2, "wrong"),
        (0.5, "wrong"),
        (math.nan, "wrong"),
    ],
)
def test_classify_relative_error(err, verdict):
    assert dg.classify_relative_error(err) == verdict


# ---- predicted gains -------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [1.5, 0.5])
def test_predicted_gains_of_an_identity_chain(sigma):
    sizes = [2] + [2] * 9 + [1]
    network = Network.initialized(sizes, ["linear"] * 9, "identity", np.random.default_rng(0), sigma)
    X = np.random.default_rng(1).normal(size=(500, 2))
    gains = dg.predicted_gains(network, X)
    assert len(gains) == 10 and list(gains["layer"]) == list(range(1, 11))
    # fan_in * mean(W^2) = 2 * sigma^2 / 2 = sigma^2 per layer, output included.
    np.testing.assert_allclose(gains["forward_gain"], sigma**2, rtol=1e-12)
    np.testing.assert_allclose(gains["forward_gain_product"], sigma ** (2 * np.arange(1, 11)), rtol=1e-12)
    # Measured: a_l = sigma^l X exactly for the 9 hidden layers (the logit is sigma^10 x_1 alone, so
    # its ratio depends on how x_1's mean square compares with x_2's).
    np.testing.assert_allclose(gains["measured_signal_ratio"][:9], sigma ** (2 * np.arange(1, 10)), rtol=1e-9)
    # Backward: 9 maps from the output down to layer 1. The first (W10 = sigma e_1, fan_out 1) has
    # gain 1 * sigma^2 / 2: the output feeds back into one of the two units, halving the per-unit
    # variance; the other eight are sigma^2 each.
    assert gains.loc[0, "backward_gain_product"] == pytest.approx(sigma**18 / 2, rel=1e-12)
    # The probe error has a small non-zero mean that np.var removes only at the output: 2 %.
    assert gains.loc[0, "measured_delta_ratio"] == pytest.approx(sigma**18 / 2, rel=0.02)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_predicted_delta_variance_matches_a_wide_random_linear_network(seed):
    rng = np.random.default_rng(seed)
    sizes = [64, 256, 256, 256, 1]
    network = Network.initialized(sizes, ["linear"] * 3, "normal", rng, 0.05)  # n Var(W) = 0.64
    X = rng.standard_normal((500, 64))
    gains = dg.predicted_gains(network, X)
    np.testing.assert_allclose(gains["weight_variance"][:3], 0.05**2, rtol=0.05)  # the empirical Var(W)
    # Layer 1's product: 256 Var(W2) x 256 Var(W3) x 1 Var(W4) (fan_out of the layer above each time).
    W2, W3, W4 = network.weights[1:]
    expected = 256 * np.mean(W2**2) * 256 * np.mean(W3**2) * np.mean(W4**2)
    assert gains.loc[0, "backward_gain_product"] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.64**2 * 0.05**2, rel=0.3)  # W4 has only 256 entries: ~9 % spread
    # In a one-output linear net every delta_l is the output error times a fixed random 256-vector:
    # each layer adds ~sqrt(2/256) = 9 % of spread, so 3 layers ~16 %. Tolerance factor 1.6; the
    # worst of 100 seeds measured 1.45.
    ratio = gains["measured_delta_variance"] / gains["predicted_delta_variance"]
    assert ratio.between(1 / 1.6, 1.6).all(), ratio
    # Forward: the signal lives in the 64-dim span of the inputs, so it fluctuates more (worst of
    # 100 seeds: factor 1.84).
    forward = gains["measured_signal_ratio"] / gains["forward_gain_product"]
    assert forward.between(0.5, 2.0).all(), forward


def test_predicted_gains_sees_the_activation_slopes():
    X, y = small_data(n=400)
    relu = Network.initialized([2, 64, 64, 1], ["relu", "relu"], "he_normal", np.random.default_rng(0))
    gains = dg.predicted_gains(relu, X, y)
    # Zero biases and inputs symmetric about 0: layer 1's units are on for about half the points.
    assert gains.loc[0, "derivative_sq_mean"] == pytest.approx(0.5, abs=0.05)
    sigmoid = Network.initialized([2, 16, 16, 1], ["sigmoid", "sigmoid"], "glorot_uniform", np.random.default_rng(0))
    gains = dg.predicted_gains(sigmoid, X, y)
    assert (gains["derivative_sq_mean"][:2] <= 1 / 16 + 1e-12).all()  # sigmoid' <= 1/4
    assert gains.loc[2, "derivative_sq_mean"] == 1.0 and gains.loc[2, "activation"] == "output (logit)"
    # With labels, the output's delta variance is that of p - y (the trainer's figure).
    p = sigmoid.forward(X).outputs[:, 0]
    assert gains.loc[2, "measured_delta_variance"] == pytest.approx(np.var(p - y))


def test_predicted_gains_match_the_trainer_history_and_leave_the_network_alone():
    trainer = Trainer(TrainingConfig(hidden_layers=(8, 8, 8), activations=("tanh",) * 3))
    theta, grad = trainer.network.theta.copy(), trainer.network.grad.copy()
    gains = dg.predicted_gains(trainer.network, trainer.X_train, trainer.y_train)
    row = trainer.history.latest
    for l in range(1, 5):
        assert gains.loc[l - 1, "measured_delta_variance"] == pytest.approx(row[f"delta_variance{l}"], rel=1e-9)
    np.testing.assert_array_equal(trainer.network.theta, theta)
    np.testing.assert_array_equal(trainer.network.grad, grad)


# ---- the readout sentence --------------------------------------------------------------------


def grads(*norms):
    return {f"grad_norm_W{l}": value for l, value in enumerate(norms, start=1)}


@pytest.mark.parametrize(
    "norms,expected",
    [
        (
            (1e-5, 0.3, 1.0),
            "Layer 1 receives 10^-5 of the gradient of the last layer (|grad W1| / |grad W3| = 1.0e-05): vanishing.",
        ),
        (
            (3.2e-5, 2.0),
            "Layer 1 receives 10^-5 of the gradient of the last layer (|grad W1| / |grad W2| = 1.6e-05): vanishing.",
        ),
        ((0.02, 1.0), "Layer 1 receives 10^-2 of the gradient of the last layer (|grad W1| / |grad W2| = 2.0e-02)."),
        ((0.5, 1.0), "Layer 1 receives about as much gradient as the last layer (|grad W1| / |grad W2| = 5.0e-01)."),
        (
            (2e3, 1.0),
            "Layer 1 receives 10^3 times more gradient than the last layer "
            "(|grad W1| / |grad W2| = 2.0e+03): exploding.",
        ),
    ],
)
def test_gradient_ratio_readout_sentences(norms, expected):
    assert dg.gradient_ratio_readout(grads(*norms)) == expected


def test_gradient_ratio_readout_edge_cases():
    assert "no gradient at all" in dg.gradient_ratio_readout(grads(0.0, 1.0))
    assert "No layer receives any gradient" in dg.gradient_ratio_readout(grads(0.0, 0.0))
    assert "last layer receives no gradient" in dg.gradient_ratio_readout(grads(1.0, 0.0))
    assert "diverged" in dg.gradient_ratio_readout(grads(math.nan, 1.0))
    assert "diverged" in dg.gradient_ratio_readout(grads(1.0, math.inf))
    assert "single weight layer" in dg.gradient_ratio_readout(grads(1.0))
    assert math.isnan(dg.gradient_ratio(grads(1.0, 0.0)))
    assert dg.gradient_ratio(grads(1e-4, 0.5, 1.0)) == pytest.approx(1e-4)


def test_gradient_ratio_readout_accepts_a_trainer_a_frame_and_a_row():
    trainer = Trainer(TrainingConfig(hidden_layers=(4, 4), activations=("tanh", "tanh")))
    trainer.train(2)
    frame = trainer.history_frame
    sentence = dg.gradient_ratio_readout(trainer)
    assert sentence.startswith("Layer 1 receives")
    assert dg.gradient_ratio_readout(frame) == sentence
    assert dg.gradient_ratio_readout(frame.iloc[-1]) == sentence
    with pytest.raises(TypeError):
        dg.gradient_ratio_readout(42)


# ---- layer health ----------------------------------------------------------------------------


def health_row(grad=(0.5, 0.8, 1.0), update=(1e-3, 1e-3, 1e-3), saturation=None, dead=None, loss=0.5, epoch=10):
    """A history row for a network with two hidden layers and one output layer."""
    n = len(grad)
    row = {"epoch": epoch, "train_loss": loss}
    for l in range(1, n + 1):
        row[f"grad_norm_W{l}"] = grad[l - 1]
        row[f"update_ratio{l}"] = update[l - 1]
        row[f"saturation{l}"] = (saturation or (math.nan,) * n)[l - 1]
        row[f"dead{l}"] = (dead or (math.nan,) * n)[l - 1]
    return row


def verdicts(row, activations=None):
    return list(dg.layer_health(row, activations)["verdict"])


def test_health_healthy():
    report = dg.layer_health(health_row(dead=(0.0, 0.1, math.nan)), ["relu", "relu"])
    assert list(report["verdict"]) == ["healthy"] * 3
    assert list(report["kind"]) == ["hidden", "hidden", "output"]
    assert list(report["activation"]) == ["relu", "relu", "sigmoid"]
    assert report.loc[0, "reason"].endswith(": healthy")
    assert "1.0e-03 within 1e-05..1e-01" in report.loc[0, "reason"]


def test_health_vanishing_and_exploding():
    report = dg.layer_health(health_row(grad=(1e-5, 0.1, 1.0)))
    assert list(report["verdict"]) == ["vanishing", "healthy", "healthy"]
    assert report.loc[0, "reason"] == "gradient 1.0e-05 of the last layer's < 1e-03: vanishing"
    assert report.loc[0, "gradient_ratio"] == pytest.approx(1e-5)
    assert verdicts(health_row(grad=(5e3, 1.0, 1.0))) == ["exploding", "healthy", "healthy"]


def test_health_saturated_and_dead():
    report = dg.layer_health(health_row(saturation=(0.8, 0.2, math.nan)), ["tanh", "tanh"])
    assert list(report["verdict"]) == ["saturated", "healthy", "healthy"]
    assert "80% of the activations are saturated > 50%" in report.loc[0, "reason"]
    report = dg.layer_health(health_row(dead=(0.0, 0.5, math.nan)))
    assert list(report["verdict"]) == ["healthy", "dead units", "healthy"]
    assert "50% of the units are zero on every training point > 25%" in report.loc[1, "reason"]
    # Worst first, every finding listed.
    report = dg.layer_health(health_row(grad=(1e-6, 1.0, 1.0), dead=(0.9, 0.0, math.nan)))
    assert report.loc[0, "verdict"] == "dead units"
    assert "vanishing" in report.loc[0, "findings"] and "dead units" in report.loc[0, "findings"]


def test_health_update_ratio_band():
    report = dg.layer_health(health_row(update=(3e-6, 1e-3, 1e-3)))
    assert report.loc[0, "verdict"] == "too slow"
    assert report.loc[0, "reason"] == "update/weight ratio 3.0e-06 < 1e-05: learning too slowly"
    assert verdicts(health_row(update=(1e-3, 0.5, 1e-3))) == ["healthy", "too fast", "healthy"]
    # Small steps are expected once the loss is low, and there is no step at epoch 0.
    converged = dg.layer_health(health_row(update=(3e-6, 1e-3, 1e-3), loss=0.01))
    assert list(converged["verdict"]) == ["healthy"] * 3
    assert "3.0e-06 < 1e-05, expected with the training loss 0.010 < 0.05" in converged.loc[0, "reason"]
    assert verdicts(health_row(update=(0.0, 0.0, 0.0), epoch=0)) == ["healthy"] * 3


def test_health_diverged():
    assert verdicts(health_row(loss=math.nan)) == ["diverged"] * 3
    assert verdicts(health_row(grad=(math.inf, 1.0, 1.0)))[0] == "diverged"


def test_health_from_a_trainer():
    trainer = Trainer(TrainingConfig(hidden_layers=(8, 8), activations=("relu", "tanh"), initializer="he_normal"))
    trainer.train(3)
    report = dg.layer_health(trainer)
    assert list(report["activation"]) == ["relu", "tanh", "sigmoid"]
    assert set(report["verdict"]) <= set(dg.VERDICTS)
    pd.testing.assert_frame_equal(report, dg.layer_health(trainer.history_frame, ["relu", "tanh"]))


# ---- histograms ------------------------------------------------------------------------------


def test_activation_histograms():
    X, _ = small_data(n=50)
    network = Network.initialized([2, 6, 5, 4, 1], ["tanh", "sigmoid", "relu"], "he_normal", np.random.default_rng(0))
    hists = dg.activation_histograms(network, X, bins=12)
    assert [h.layer for h in hists] == [1, 2, 3]
    for h, units in zip(hists, (6, 5, 4)):
        assert h.counts.shape == (12,) and h.edges.shape == (13,) and h.centers.shape == (12,)
        assert h.counts.sum() == 50 * units and h.n_nonfinite == 0
    assert (hists[0].edges[0], hists[0].edges[-1]) == (-1.0, 1.0)
    assert (hists[1].edges[0], hists[1].edges[-1]) == (0.0, 1.0)
    assert hists[2].edges[0] == pytest.approx(0.0)  # relu: the data's range
    # A fixed range for unbounded activations: values beyond it land in the end bins.
    fixed = dg.activation_histograms(network, X, bins=4, value_range=(0.0, 1e-3))[2]
    assert (fixed.edges[0], fixed.edges[-1]) == (0.0, 1e-3) and fixed.counts.sum() == 50 * 4


def test_gradient_histograms_linear_and_log():
    X, y = small_data(n=50)
    network = Network.initialized([2, 6, 5, 4, 1], ["tanh", "sigmoid", "relu"], "he_normal", np.random.default_rng(0))
    linear = dg.gradient_histograms(network, X, y, bins=10)
    assert len(linear) == 3
    for h, units in zip(linear, (6, 5, 4)):
        assert h.counts.sum() == 50 * units and h.scale == "linear"
        np.testing.assert_array_equal(h.edges, linear[0].edges)  # shared edges: layers comparable
    assert linear[0].edges[0] == pytest.approx(-linear[0].edges[-1])
    log = dg.gradient_histograms(network, X, y, bins=14, scale="log10")
    for h, units in zip(log, (6, 5, 4)):
        assert h.counts.sum() == 50 * units
        assert (h.edges[0], h.edges[-1]) == dg.LOG_DELTA_RANGE
    assert log[2].counts[0] > 0  # the ReLU layer's exact zeros land in the lowest bin
    with pytest.raises(ValueError):
        dg.gradient_histograms(network, X, y, scale="cubic")


def test_histograms_count_non_finite_values_apart():
    X, y = small_data(n=10)
    network = Network.initialized([2, 3, 1], ["tanh"], "he_normal", np.random.default_rng(0))
    network.theta[:] = np.nan
    (h,) = dg.activation_histograms(network, X, bins=5)
    assert h.counts.sum() == 0 and h.n_nonfinite == 30
    (g,) = dg.gradient_histograms(network, X, y, bins=5)
    assert g.counts.sum() + g.n_nonfinite == 30


# ---- the engine stays free of the UI ---------------------------------------------------------


def test_no_ui_imports():
    code = (
        "import sys, playground.teaching.diagnostics, playground.teaching.lessons; "
        "bad = [m for m in ('streamlit', 'plotly') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_layer_health_names_the_output_of_each_head():
    from playground import Trainer, TrainingConfig

    for dataset, output in (("circle", "sigmoid"), ("digits", "softmax"), ("bumps", "linear")):
        trainer = Trainer(TrainingConfig(dataset=dataset, hidden_layers=(4,)))
        trainer.train(2)
        health = dg.layer_health(trainer)
        assert health["activation"].iloc[-1] == output and health["kind"].iloc[-1] == "output"


def test_regression_counts_as_converged_by_r2_not_by_the_loss():
    row = {
        "epoch": 100,
        "train_loss": 0.04,
        "grad_norm_W1": 1e-2,
        "grad_norm_W2": 1e-2,
        "update_ratio1": 1e-7,
        "update_ratio2": 1e-7,
    }
    assert dg.layer_health(row | {"train_r2": 0.46})["verdict"].tolist() == ["too slow", "too slow"]
    assert dg.layer_health(row | {"train_r2": 0.995})["verdict"].tolist() == ["healthy", "healthy"]
    assert dg.layer_health(row)["verdict"].tolist() == ["healthy", "healthy"]  # cross-entropy 0.04: fitted
