"""The learning-rate sweep: its runs are separate Trainer runs, divergence, arguments, the frame's shape."""

from dataclasses import replace

import numpy as np
import pytest

import playground
from playground import Trainer, TrainingConfig, learning_rate_sweep
from playground.training.sweep import MAX_SWEEP_EPOCHS, MAX_SWEEP_RATES, batched_sweep_supports

RTOL = 1e-9  # a batched matrix product need not round as the single one does
EPOCHS = 8
RATES = (0.003, 0.03, 0.3)


def _trainer_curves(config: TrainingConfig, rate: float, epochs: int) -> tuple[np.ndarray, np.ndarray, Trainer]:
    """train_loss and test_loss of a plain Trainer run at ``rate``, one row per epoch (fewer if it diverged)."""
    trainer = Trainer(replace(config, learning_rate=rate), record_every=1)
    trainer.train(epochs)
    frame = trainer.history_frame
    assert frame["epoch"].tolist() == list(range(len(frame)))
    return frame["train_loss"].to_numpy(), frame["test_loss"].to_numpy(), trainer


def _curves(frame, rate: float) -> tuple[np.ndarray, np.ndarray]:
    run = frame[frame["learning_rate"] == rate]
    assert run["epoch"].tolist() == list(range(len(run)))
    return run["train_loss"].to_numpy(), run["test_loss"].to_numpy()


def _assert_runs_equal_trainers(config: TrainingConfig, rates, epochs: int) -> None:
    frame = learning_rate_sweep(config, rates, epochs)
    for rate in rates:
        expected_train, expected_test, trainer = _trainer_curves(config, rate, epochs)
        assert trainer.diverged_at is None, f"rate {rate} diverged: pick a config that trains"
        train_loss, test_loss = _curves(frame, rate)
        np.testing.assert_allclose(train_loss, expected_train, rtol=RTOL, err_msg=f"train_loss at rate {rate}")
        np.testing.assert_allclose(test_loss, expected_test, rtol=RTOL, err_msg=f"test_loss at rate {rate}")


SMALL = TrainingConfig(n_points=120)
BATCHED_CASES = {
    "sgd, binary (the default network)": SMALL,
    "momentum, multi-class, L2": TrainingConfig(
        dataset="spiral",
        n_classes=3,
        n_points=120,
        hidden_layers=(6, 5),
        activations=("relu", "elu"),
        optimizer="momentum",
        regularization="l2",
        regularization_rate=0.003,
        batch_size=7,
    ),
    "adam, regression, clipping": TrainingConfig(
        dataset="bumps",
        n_points=120,
        hidden_layers=(8,),
        activations=("sigmoid",),
        optimizer="adam",
        gradient_clip=0.5,
        batch_size=16,
    ),
    "adam, binary, L1, clipping, label noise": TrainingConfig(
        dataset="xor",
        n_points=120,
        hidden_layers=(5, 4),
        activations=("leaky_relu", "tanh"),
        optimizer="adam",
        regularization="l1",
        regularization_rate=0.001,
        gradient_clip=0.3,
        label_noise=0.2,
    ),
    "sgd, warm-up schedule": replace(SMALL, lr_schedule="warmup", lr_warmup_epochs=3, lr_decay_epochs=4),
    "momentum, step schedule": replace(SMALL, optimizer="momentum", lr_schedule="step", lr_decay_epochs=3),
    "skip connections and dropout, full batch": TrainingConfig(
        n_points=120,
        hidden_layers=(6, 6, 6),
        activations=("relu", "linear", "tanh"),
        residual=True,
        dropout=0.2,
        batch_size=120,
    ),
}


@pytest.mark.parametrize("config", BATCHED_CASES.values(), ids=BATCHED_CASES.keys())
def test_batched_runs_equal_separate_trainer_runs(config):
    assert batched_sweep_supports(config)
    _assert_runs_equal_trainers(config, RATES, EPOCHS)


def test_batch_norm_falls_back_to_trainers_with_the_same_runs():
    config = TrainingConfig(n_points=120, hidden_layers=(4, 4), normalization="batch", batch_size=16)
    assert not batched_sweep_supports(config)
    _assert_runs_equal_trainers(config, RATES, 4)


def test_early_stopping_does_not_cut_a_sweep_run_short():
    config = replace(SMALL, early_stopping=1)
    frame = learning_rate_sweep(config, [0.3], 12)
    train_loss, _ = _curves(frame, 0.3)
    assert len(train_loss) == 13 and np.all(np.isfinite(train_loss))
    expected_train, _, _ = _trainer_curves(replace(config, early_stopping=0), 0.3, 12)
    np.testing.assert_allclose(train_loss, expected_train, rtol=RTOL)


# ---- divergence ----------------------------------------------------------------------------------------

DIVERGING = TrainingConfig(dataset="bumps", n_points=120, hidden_layers=(8, 8))  # rate 3 overflows on it


def test_a_diverging_rate_is_nan_from_its_divergence_on_and_leaves_the_others_alone():
    epochs, steady, too_large = 20, (0.01, 0.1), 3.0
    frame = learning_rate_sweep(DIVERGING, [*steady, too_large], epochs)

    expected_train, expected_test, trainer = _trainer_curves(DIVERGING, too_large, epochs)
    assert trainer.diverged_at is not None and trainer.diverged_at < epochs
    train_loss, test_loss = _curves(frame, too_large)
    diverged = trainer.diverged_at
    np.testing.assert_allclose(train_loss[:diverged], expected_train[:diverged], rtol=RTOL)
    np.testing.assert_allclose(test_loss[:diverged], expected_test[:diverged], rtol=RTOL)
    assert np.all(np.isfinite(train_loss[:diverged])) and np.all(np.isfinite(test_loss[:diverged]))
    assert np.all(np.isnan(train_loss[diverged:])) and np.all(np.isnan(test_loss[diverged:]))

    alone = learning_rate_sweep(DIVERGING, list(steady), epochs)
    for rate in steady:
        train_loss, test_loss = _curves(frame, rate)
        assert np.all(np.isfinite(train_loss)) and np.all(np.isfinite(test_loss))
        np.testing.assert_allclose(train_loss, _curves(alone, rate)[0], rtol=RTOL)
        np.testing.assert_allclose(test_loss, _curves(alone, rate)[1], rtol=RTOL)


# ---- arguments and the frame ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rates, epochs, named",
    [
        ([], 5, "rates"),
        ("0.1", 5, "rates"),
        (0.1, 5, "rates"),
        ([0.1, float("nan")], 5, "rates"),
        ([0.1, float("inf")], 5, "rates"),
        ([True], 5, "rates"),
        ([0.0], 5, "rates"),
        ([11.0], 5, "rates"),
        ([0.1, 0.1], 5, "distinct"),
        (np.geomspace(0.001, 1.0, MAX_SWEEP_RATES + 1), 5, "rates"),
        ([0.1], 0, "epochs"),
        ([0.1], MAX_SWEEP_EPOCHS + 1, "epochs"),
        ([0.1], 2.5, "epochs"),
        ([0.1], True, "epochs"),
        ([0.1], "5", "epochs"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(rates, epochs, named):
    with pytest.raises(ValueError, match=named):
        learning_rate_sweep(SMALL, rates, epochs)


def test_a_config_that_is_not_a_training_config_is_refused():
    with pytest.raises(TypeError, match="config"):
        learning_rate_sweep({"learning_rate": 0.1}, [0.1], 5)


def test_frame_has_one_row_per_rate_per_epoch_in_the_given_order():
    rates = [0.3, 0.01, np.float64(0.1)]
    frame = learning_rate_sweep(SMALL, rates, 3)
    assert list(frame.columns) == ["learning_rate", "epoch", "train_loss", "test_loss"]
    assert len(frame) == len(rates) * (3 + 1)
    assert frame["learning_rate"].tolist() == [0.3] * 4 + [0.01] * 4 + [0.1] * 4
    assert frame["epoch"].tolist() == [0, 1, 2, 3] * 3
    assert frame["epoch"].dtype.kind == "i"
    # Epoch 0 is before training: every run starts from the same weights, so the same losses.
    start = frame[frame["epoch"] == 0]
    assert start["train_loss"].nunique() == 1 and start["test_loss"].nunique() == 1


def test_the_sweep_is_exported_from_the_package():
    assert "learning_rate_sweep" in playground.__all__
