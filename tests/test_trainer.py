"""The Trainer: determinism, epochs and batches, learning, reset, config changes, divergence, bounded memory."""

import math
from dataclasses import replace

import numpy as np
import pytest

from playground import Trainer, TrainingConfig
from playground.engine.network import Network, Pass, layer_views
from playground.engine.optimizers import SGD, Adam, Momentum
from playground.training.config import MAX_SEED
from playground.training.history import history_columns
from playground.training.trainer import MAX_SNAPSHOTS, RECORD_POINTS

SMALL = TrainingConfig(n_points=200)  # the default experiment on fewer points: fast


def _frames_equal(a, b):
    return list(a.columns) == list(b.columns) and np.array_equal(
        a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True
    )


# ---- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        SMALL,
        TrainingConfig(
            dataset="xor",
            n_points=300,
            hidden_layers=(6, 3),
            activations=("relu", "sigmoid"),
            optimizer="adam",
            learning_rate=0.01,
            batch_size=7,
            noise=0.2,
        ),
        TrainingConfig(
            dataset="spiral",
            n_points=200,
            hidden_layers=(5,),
            activations=("elu",),
            optimizer="momentum",
            regularization="l2",
            regularization_rate=0.01,
            features=("x1", "x2", "sin_x1"),
        ),
    ],
    ids=["default", "xor-adam", "spiral-momentum-l2"],
)
def test_same_config_gives_identical_history(config):
    first, second = Trainer(config), Trainer(config)
    first.train(20)
    second.train(20)
    assert first.epoch == second.epoch == 20
    assert _frames_equal(first.history_frame, second.history_frame)
    np.testing.assert_array_equal(first.network.theta, second.network.theta)


def test_different_weight_seed_gives_different_run():
    first, second = Trainer(SMALL), Trainer(replace(SMALL, weight_seed=1))
    first.train(5)
    second.train(5)
    assert not np.array_equal(first.network.theta, second.network.theta)
    np.testing.assert_array_equal(first.points, second.points)  # same data


# ---- epochs and batches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_points, train_fraction, batch_size",
    [(500, 0.5, 10), (333, 0.3, 7), (200, 0.5, 1), (200, 0.5, 100), (200, 0.9, 2000), (51, 0.1, 3)],
)
def test_one_epoch_is_ceil_n_train_over_batch_updates(n_points, train_fraction, batch_size, monkeypatch):
    config = replace(SMALL, n_points=n_points, train_fraction=train_fraction, batch_size=batch_size)
    trainer = Trainer(config)
    n_train = trainer.y_train.shape[0]
    assert n_train == config.n_train
    calls = []
    step = trainer.optimizer.step

    def counting_step(theta, grad):
        calls.append(1)
        step(theta, grad)

    trainer.optimizer.step = counting_step
    batch_sizes = []
    backward = Pass.backward

    def recording_backward(self, X, T):
        batch_sizes.append(T.shape[0])
        return backward(self, X, T)

    monkeypatch.setattr(Pass, "backward", recording_backward)
    assert trainer.train(1) == 1
    expected_updates = math.ceil(n_train / min(batch_size, n_train))
    assert len(calls) == expected_updates
    # Every training example is used exactly once per epoch; the last backward is the record's, on its sample.
    assert batch_sizes[-1] == min(n_train, RECORD_POINTS)
    assert sum(batch_sizes[:-1]) == n_train and len(batch_sizes) - 1 == expected_updates
    trainer.train(2)
    assert len(calls) == 3 * expected_updates
    assert trainer.epoch == 3


# ---- the loss at epoch 0 and learning ----------------------------------------------------------


@pytest.mark.parametrize("dataset", ["circle", "xor", "gaussians", "spiral", "moons"])
def test_initial_loss_is_ln2_with_tiny_weights(dataset):
    trainer = Trainer(replace(SMALL, dataset=dataset, initializer="normal", init_sigma=0.01))
    row = trainer.history_frame.iloc[0]
    assert row["epoch"] == 0
    assert row["train_loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert row["test_loss"] == pytest.approx(math.log(2), abs=1e-4)


# Sane configs: 500 points, 50 % train, SGD lr 0.03, batch 10; hidden (8, 8). Test accuracy must reach 0.95
# within the stated number of epochs.
LEARNING_CASES = [
    ("xor", "tanh", 300),
    ("xor", "relu", 300),
    ("circle", "tanh", 300),
    ("circle", "relu", 300),
    ("gaussians", "tanh", 100),
]


@pytest.mark.parametrize("dataset, activation, max_epochs", LEARNING_CASES)
def test_learns_to_95_percent_test_accuracy(dataset, activation, max_epochs):
    config = TrainingConfig(
        dataset=dataset,
        hidden_layers=(8, 8),
        activations=(activation, activation),
        learning_rate=0.03,
        batch_size=10,
        optimizer="sgd",
    )
    trainer = Trainer(config)
    initial_loss = trainer.history.latest["train_loss"]
    while trainer.epoch < max_epochs and trainer.history.latest["test_accuracy"] < 0.95:
        trainer.train(10)
    assert trainer.history.latest["test_accuracy"] >= 0.95, f"stuck at epoch {trainer.epoch}"
    assert trainer.history.latest["train_loss"] < initial_loss
    assert not trainer.diverged
    # The recorded accuracy is the network's accuracy on the test points.
    predictions = trainer.predict_proba(trainer.test_points) > 0.5
    assert np.mean(predictions == (trainer.y_test > 0.5)) == trainer.history.latest["test_accuracy"]


# ---- reset and reinitialise --------------------------------------------------------------------


def test_reset_replays_exactly():
    trainer = Trainer(SMALL)
    initial = [(W.copy(), b.copy()) for W, b in trainer.get_weights()]
    trainer.train(15)
    first_run = trainer.history_frame.copy()
    assert not np.array_equal(trainer.network.theta, trainer.initial_theta)
    trainer.reset()
    assert trainer.epoch == 0
    assert len(trainer.history) == 1
    assert not trainer.diverged
    for (W, b), (W0, b0) in zip(trainer.get_weights(), initial):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    trainer.train(15)
    assert _frames_equal(trainer.history_frame, first_run)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_reset_clears_optimizer_state(optimizer):
    config = replace(SMALL, optimizer=optimizer)
    trainer = Trainer(config)
    trainer.train(5)
    trainer.reset()
    trainer.train(5)
    fresh = Trainer(config)
    fresh.train(5)
    np.testing.assert_array_equal(trainer.network.theta, fresh.network.theta)


@pytest.mark.parametrize("seed", [0, 41, MAX_SEED])
def test_reinitialize_draws_different_weights(seed):
    trainer = Trainer(replace(SMALL, weight_seed=seed))
    before = trainer.network.theta.copy()
    trainer.train(3)
    trainer.reinitialize()
    assert trainer.epoch == 0
    assert not np.array_equal(trainer.network.theta, before)
    np.testing.assert_array_equal(trainer.network.theta, trainer.initial_theta)


def test_reinitialize_with_explicit_seed_matches_a_fresh_trainer():
    trainer = Trainer(SMALL)
    trainer.reinitialize(weight_seed=9)
    assert trainer.config.weight_seed == 9
    np.testing.assert_array_equal(trainer.network.theta, Trainer(replace(SMALL, weight_seed=9)).network.theta)


def test_reinitialize_with_the_same_seed_restarts_at_epoch_zero():
    trainer = Trainer(SMALL)
    trainer.train(3)
    trainer.reinitialize(weight_seed=SMALL.weight_seed)
    assert trainer.epoch == 0
    assert len(trainer.history) == 1
    np.testing.assert_array_equal(trainer.network.theta, Trainer(SMALL).network.theta)


# ---- apply_config ------------------------------------------------------------------------------


def test_apply_same_config_is_unchanged():
    trainer = Trainer(SMALL)
    trainer.train(2)
    assert trainer.apply_config(SMALL) == "unchanged"
    assert trainer.epoch == 2


@pytest.mark.parametrize(
    "change",
    [
        {"learning_rate": 0.3},
        {"batch_size": 25},
        {"regularization": "l2", "regularization_rate": 0.01},
    ],
)
def test_training_changes_keep_epoch_weights_and_history(change):
    trainer = Trainer(SMALL)
    trainer.train(5)
    theta, optimizer = trainer.network.theta.copy(), trainer.optimizer
    frame = trainer.history_frame.copy()
    assert trainer.apply_config(replace(SMALL, **change)) == "training"
    assert trainer.epoch == 5
    np.testing.assert_array_equal(trainer.network.theta, theta)
    assert _frames_equal(trainer.history_frame, frame)
    assert trainer.optimizer is optimizer
    assert trainer.optimizer.learning_rate == trainer.config.learning_rate
    for name, value in change.items():
        assert getattr(trainer.config, name) == value
    trainer.train(1)
    assert trainer.epoch == 6


def test_learning_rate_change_takes_effect():
    changed, reference = Trainer(SMALL), Trainer(SMALL)
    changed.train(3)
    reference.train(3)
    changed.apply_config(replace(SMALL, learning_rate=0.3))
    before_changed, before_reference = changed.network.theta.copy(), reference.network.theta.copy()
    changed.train(1)
    reference.train(1)
    ref_step = reference.network.theta - before_reference
    new_step = changed.network.theta - before_changed
    # SGD steps scale with the rate: same batches, but ten times the rate moves the weights much further.
    assert np.linalg.norm(new_step) > 3 * np.linalg.norm(ref_step)


@pytest.mark.parametrize("name, cls", [("momentum", Momentum), ("adam", Adam), ("sgd", SGD)])
def test_optimizer_change_is_a_training_change(name, cls):
    start = replace(SMALL, optimizer="adam" if name != "adam" else "momentum")
    trainer = Trainer(start)
    trainer.train(3)
    theta = trainer.network.theta.copy()
    assert trainer.apply_config(replace(start, optimizer=name, learning_rate=0.05)) == "training"
    assert isinstance(trainer.optimizer, cls)
    assert trainer.optimizer.learning_rate == 0.05
    assert trainer.epoch == 3
    np.testing.assert_array_equal(trainer.network.theta, theta)


@pytest.mark.parametrize(
    "change",
    [
        {"activations": ("relu", "relu")},
        {"hidden_layers": (3, 3, 3), "activations": ("tanh",) * 3},
        {"hidden_layers": (5,), "activations": ("tanh",)},
        {"initializer": "he_normal"},
        {"weight_seed": 7},
        {"features": ("x1", "x2", "x1_times_x2")},
        {"initializer": "normal", "init_sigma": 0.5},
    ],
)
def test_network_changes_rebuild_at_epoch_zero(change):
    trainer = Trainer(SMALL)
    trainer.train(4)
    points = trainer.points.copy()
    assert trainer.apply_config(replace(SMALL, **change)) == "network"
    assert trainer.epoch == 0
    assert len(trainer.history) == 1
    np.testing.assert_array_equal(trainer.points, points)  # data kept
    fresh = Trainer(replace(SMALL, **change))
    np.testing.assert_array_equal(trainer.network.theta, fresh.network.theta)
    assert trainer.network.layer_sizes == fresh.network.layer_sizes == trainer.config.layer_sizes
    assert trainer.X_train.shape == (trainer.config.n_train, len(trainer.config.features))
    assert list(trainer.history_frame.columns) == history_columns(len(trainer.config.hidden_layers) + 1)
    trainer.train(2)
    fresh.train(2)
    assert _frames_equal(trainer.history_frame, fresh.history_frame)


@pytest.mark.parametrize(
    "change",
    [
        {"dataset": "xor"},
        {"n_points": 300},
        {"noise": 0.2},
        {"train_fraction": 0.7},
        {"data_seed": 5},
        {"dataset": "moons", "learning_rate": 0.1},
    ],
)
def test_data_changes_rebuild_data_and_network(change):
    trainer = Trainer(SMALL)
    trainer.train(4)
    points, y_train_shape = trainer.points.copy(), trainer.y_train.shape
    assert trainer.apply_config(replace(SMALL, **change)) == "data"
    assert trainer.epoch == 0
    assert len(trainer.history) == 1
    fresh = Trainer(replace(SMALL, **change))
    np.testing.assert_array_equal(trainer.points, fresh.points)
    np.testing.assert_array_equal(trainer.X_train, fresh.X_train)
    np.testing.assert_array_equal(trainer.y_test, fresh.y_test)
    if "train_fraction" in change:
        assert trainer.y_train.shape != y_train_shape
    else:
        assert trainer.points.shape != points.shape or not np.array_equal(trainer.points, points)
    trainer.train(2)
    fresh.train(2)
    assert _frames_equal(trainer.history_frame, fresh.history_frame)


def test_no_invalid_config_reaches_the_trainer():
    trainer = Trainer(SMALL)
    with pytest.raises(ValueError, match="learning_rate"):
        trainer.apply_config(replace(SMALL, learning_rate=1e9))
    with pytest.raises(TypeError, match="TrainingConfig"):
        Trainer({"learning_rate": 0.1})
    assert trainer.config == SMALL


# ---- divergence --------------------------------------------------------------------------------

DIVERGING = [
    # The brief's recipe: a deep linear chain, huge weights, huge steps.
    TrainingConfig(
        hidden_layers=(8,) * 6, activations=("linear",) * 6, initializer="normal", init_sigma=10.0, learning_rate=10.0
    ),
    # Milder: a few epochs go by before the weights overflow.
    TrainingConfig(
        hidden_layers=(8, 8, 8), activations=("linear",) * 3, initializer="normal", init_sigma=1.0, learning_rate=0.3
    ),
]


@pytest.mark.parametrize("config", DIVERGING, ids=["deep-linear-sigma10-lr10", "linear-sigma1-lr0.3"])
def test_divergence_is_detected_and_training_stops(config):
    trainer = Trainer(config, record_every=1)
    assert not trainer.diverged
    assert np.isfinite(trainer.history.latest["train_loss"])
    ran = trainer.train(50)
    assert trainer.diverged
    assert ran < 50
    assert trainer.diverged_at == trainer.epoch == ran
    assert trainer.diverged_at >= 1
    latest = trainer.history.latest
    assert not (np.isfinite(latest["train_loss"]) and np.all(np.isfinite(trainer.network.theta)))
    epochs = trainer.history_frame["epoch"].to_numpy()
    assert epochs.max() == trainer.diverged_at  # no rows after the divergence...
    np.testing.assert_array_equal(epochs, np.arange(trainer.diverged_at + 1))  # ...and none missing before it
    assert np.all(np.isfinite(trainer.history_frame["train_loss"].to_numpy()[:-1]))
    # Further training is refused.
    assert trainer.train(5) == 0
    assert trainer.epoch == trainer.diverged_at
    assert len(trainer.history) == len(epochs)
    # Reset recovers.
    trainer.reset()
    assert not trainer.diverged and trainer.diverged_at is None
    assert trainer.epoch == 0
    assert np.all(np.isfinite(trainer.network.theta))
    np.testing.assert_array_equal(trainer.network.theta, trainer.initial_theta)
    assert len(trainer.history) == 1
    assert trainer.train(1) == 1


def test_divergence_from_a_lower_learning_rate_config_does_not_happen():
    # Control for the test above: the same network with a small rate trains without diverging.
    config = replace(DIVERGING[1], learning_rate=1e-4)
    trainer = Trainer(config)
    assert trainer.train(20) == 20
    assert not trainer.diverged


# ---- weights in and out ------------------------------------------------------------------------


def test_get_set_weights_round_trip():
    trainer = Trainer(replace(SMALL, hidden_layers=(3, 5), activations=("tanh", "relu")))
    weights = trainer.get_weights()
    assert [W.shape for W, _ in weights] == [(2, 3), (3, 5), (5, 1)]
    assert [b.shape for _, b in weights] == [(3,), (5,), (1,)]
    rng = np.random.default_rng(0)
    new = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in weights]
    trainer.set_weights(new)
    for (W, b), (W_new, b_new) in zip(trainer.get_weights(), new):
        np.testing.assert_array_equal(W, W_new)
        np.testing.assert_array_equal(b, b_new)
    # The flat parameter vector (what the optimiser updates) sees them too.
    expected = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in new])
    np.testing.assert_array_equal(trainer.network.theta, expected)
    # Copies out, copies in.
    got = trainer.get_weights()
    got[0][0][...] = 0.0
    new[1][0][...] = 0.0
    np.testing.assert_array_equal(trainer.network.theta, expected)
    assert trainer.train(1) == 1


def test_set_weights_from_another_trainer_reproduces_its_outputs():
    source, target = Trainer(SMALL), Trainer(replace(SMALL, weight_seed=3))
    source.train(5)
    target.set_weights(source.get_weights())
    points = np.random.default_rng(1).uniform(-6, 6, (50, 2))
    np.testing.assert_array_equal(target.predict_proba(points), source.predict_proba(points))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda w: w[:-1],
        lambda w: w + [w[-1]],
        lambda w: [],
        lambda w: [(w[0][0].T, w[0][1])] + w[1:],
        lambda w: [(w[0][0], np.zeros(w[0][1].size + 1))] + w[1:],
        lambda w: w[:-1] + [(w[-1][0].ravel(), w[-1][1])],
        lambda w: w[:-1] + [(w[-1][0], np.zeros((1, 1)))],
    ],
    ids=["too-few", "too-many", "empty", "W-transposed", "b-too-long", "W-flat", "b-2d"],
)
def test_set_weights_rejects_wrong_shapes(mutate):
    trainer = Trainer(replace(SMALL, hidden_layers=(4, 3), activations=("tanh", "tanh")))
    before = trainer.network.theta.copy()
    good = [(W + 1.0, b + 1.0) for W, b in trainer.get_weights()]
    with pytest.raises(ValueError):
        trainer.set_weights(mutate(good))
    np.testing.assert_array_equal(trainer.network.theta, before)  # nothing half-written


# ---- bounded history and snapshots -------------------------------------------------------------

LONG_EPOCHS = 500


@pytest.fixture(scope="module")
def long_run():
    trainer = Trainer(SMALL, max_history_rows=64, record_every=1)
    trainer.train(LONG_EPOCHS)
    return trainer


def test_history_bounded(long_run):
    frame = long_run.history_frame
    assert long_run.epoch == LONG_EPOCHS
    assert 0 < len(frame) <= 64
    epochs = frame["epoch"].to_numpy()
    assert np.all(np.diff(epochs) > 0)
    assert epochs[0] == 0
    assert epochs[-1] == long_run.epoch
    assert long_run.history.latest["epoch"] == long_run.epoch
    assert long_run.history.generation > 0


def test_history_thinned_rows_are_the_real_rows(long_run):
    # Every kept row is the row a full (unbounded) history recorded for that epoch.
    full = Trainer(SMALL, record_every=1)
    full.train(LONG_EPOCHS)
    full_frame = full.history_frame.set_index("epoch")
    kept = long_run.history_frame.set_index("epoch")
    np.testing.assert_array_equal(kept.to_numpy(), full_frame.loc[kept.index].to_numpy())
    assert len(full_frame) == LONG_EPOCHS + 1


def test_snapshots_bounded_and_network_at(long_run):
    snapshots = long_run.snapshots
    assert 0 < len(snapshots) <= MAX_SNAPSHOTS
    epochs = [epoch for epoch, _ in snapshots]
    assert epochs[0] == 0
    assert all(b > a for a, b in zip(epochs, epochs[1:]))
    # Snapshots hold the weights the network really had at those epochs: replay and compare.
    replay = Trainer(SMALL)
    for epoch, theta in snapshots:
        replay.train(epoch - replay.epoch)
        np.testing.assert_array_equal(theta, replay.network.theta)
        chosen, network = long_run.network_at(epoch)
        assert chosen == epoch
        assert isinstance(network, Network)
        np.testing.assert_array_equal(network.theta, theta)
        assert network.theta is not theta  # a copy
    # Between snapshots: the latest one at or before the epoch.
    if len(epochs) > 2:
        chosen, network = long_run.network_at(epochs[2] - 0.5)
        assert chosen == epochs[1]
        np.testing.assert_array_equal(network.theta, snapshots[1][1])
    # At or after the current epoch: the current network.
    for epoch in (long_run.epoch, long_run.epoch + 100):
        chosen, network = long_run.network_at(epoch)
        assert chosen == long_run.epoch
        np.testing.assert_array_equal(network.theta, long_run.network.theta)


@pytest.mark.parametrize(
    "hidden, activation",
    [((), "tanh"), ((4, 2), "tanh"), ((3,), "relu"), ((2, 2, 2, 2), "sigmoid"), ((5, 1), "elu")],
)
def test_history_columns_per_layer(hidden, activation):
    config = replace(SMALL, hidden_layers=hidden, activations=(activation,) * len(hidden))
    trainer = Trainer(config)
    trainer.train(3)
    frame = trainer.history_frame
    n_layers = len(hidden) + 1
    assert list(frame.columns) == history_columns(n_layers)
    for layer in range(1, n_layers + 1):
        for prefix in ("grad_norm_W", "delta_mean_abs"):
            assert f"{prefix}{layer}" in frame.columns
            assert np.all(np.isfinite(frame[f"{prefix}{layer}"]))
    assert f"grad_norm_W{n_layers + 1}" not in frame.columns
    assert frame["epoch"].dtype == np.int64
    # The recorded figures are those of the full training set at the current weights.
    network = trainer.network
    _, flat = network.copy().loss_and_gradient(trainer.X_train, trainer.y_train)
    probe = network.copy()
    deltas = probe.backward(probe.forward(trainer.X_train), trainer.y_train, keep_deltas=True)
    n_train = trainer.y_train.shape[0]
    grad_weights, _ = layer_views(flat, network.layer_sizes)
    latest = frame.iloc[-1]
    for layer in range(n_layers):
        assert latest[f"grad_norm_W{layer + 1}"] == pytest.approx(np.linalg.norm(grad_weights[layer]), rel=1e-12)
        assert latest[f"delta_mean_abs{layer + 1}"] == pytest.approx(
            np.mean(np.abs(deltas[layer])) * n_train, rel=1e-12
        )


# ---- full batch: unshuffled, and the record's gradient reused ----------------------------------

FULL_BATCH = TrainingConfig(n_points=200, hidden_layers=(6, 5), activations=("tanh", "tanh"), batch_size=1000)


# ---- how often rows are recorded ---------------------------------------------------------------


def test_automatic_recording_keeps_the_call_ends_and_every_kth_epoch():
    trainer = Trainer(SMALL)
    k = trainer.record_every
    assert k > 1  # the default network records every few epochs: a row costs more than 5 % of an epoch
    trainer.train(3 * k + 2)
    trainer.train(1)
    epochs = trainer.history_frame["epoch"].tolist()
    assert epochs == [0, k, 2 * k, 3 * k, 3 * k + 2, 3 * k + 3]


def test_recording_less_often_changes_no_weight():
    sparse, dense = Trainer(SMALL), Trainer(SMALL, record_every=1)
    sparse.train(40)
    dense.train(40)
    np.testing.assert_array_equal(sparse.network.theta, dense.network.theta)
    shared = sparse.history_frame.set_index("epoch")
    full = dense.history_frame.set_index("epoch").loc[shared.index]
    np.testing.assert_array_equal(shared.to_numpy(), full.to_numpy())


@pytest.mark.parametrize("config", DIVERGING, ids=["deep-linear-sigma10-lr10", "linear-sigma1-lr0.3"])
def test_divergence_between_records_is_caught_at_its_epoch(config):
    reference = Trainer(config, record_every=1)
    reference.train(50)
    trainer = Trainer(config, record_every=1000)
    trainer.train(50)
    assert trainer.diverged_at == reference.diverged_at == trainer.epoch
    assert trainer.history.latest["epoch"] == trainer.diverged_at


@pytest.mark.parametrize(
    "sizes, n_train, batch, expected",
    [
        ([2, 4, 2, 1], 250, 10, (2, 12)),  # small network, mini-batches: a row every few epochs
        ([2, 16, 16, 1], 1000, 1000, (10, 40)),  # full batch: an epoch is one pass, a record nearly two
        ([2, 64, 64, 1], 100, 1, (1, 4)),  # 100 batches per epoch: a record is cheap beside them
    ],
)
def test_record_interval_follows_the_cost_of_a_record(sizes, n_train, batch, expected):
    from playground.training.trainer import record_interval

    low, high = expected
    assert low <= record_interval(sizes, n_train, n_train, batch) <= high


def test_record_every_is_checked():
    with pytest.raises(ValueError, match="record_every"):
        Trainer(SMALL, record_every=0)


# ---- inputs a script may get wrong -------------------------------------------------------------


@pytest.mark.parametrize(
    "points, message",
    [
        (np.zeros((3, 3)), r"inputs of shape \(n, 2\), got \(3, 3\)"),
        (np.zeros(2), r"got \(2,\)"),
        (np.zeros((2, 2, 1)), r"got \(2, 2, 1\)"),
    ],
)
def test_predict_rejects_inputs_of_the_wrong_shape(points, message):
    trainer = Trainer(SMALL)
    with pytest.raises(ValueError, match=message):
        trainer.predict_proba(points)
    with pytest.raises(ValueError, match=message):
        trainer.loss_and_gradients(points, np.zeros(len(points)))


def test_digits_take_rows_of_64_pixels():
    trainer = Trainer(TrainingConfig(dataset="digits", hidden_layers=(4,)))
    assert trainer.predict_proba(trainer.test_points[:3]).shape == (3, 10)
    with pytest.raises(ValueError, match=r"8x8 images as rows of 64 pixels: inputs of shape \(n, 64\)"):
        trainer.predict_proba(np.zeros((1, 2)))


@pytest.mark.parametrize(
    "config, labels, message",
    [
        (SMALL, [0.0, 2.0], "class indices 0 to 1"),
        (SMALL, [0.0, 0.5], "class indices 0 to 1"),
        (TrainingConfig(dataset="blobs", n_classes=3), [0.0, 3.0], "class indices 0 to 2"),
        (TrainingConfig(dataset="blobs", n_classes=3), [-1.0, 1.0], "class indices 0 to 2"),
        (TrainingConfig(dataset="plane"), [0.0, np.nan], "labels must be finite"),
        (SMALL, [0.0], r"labels must have shape \(2,\)"),
    ],
)
def test_loss_and_gradients_reject_labels_outside_the_classes(config, labels, message):
    trainer = Trainer(config)
    with pytest.raises(ValueError, match=message):
        trainer.loss_and_gradients(np.zeros((2, 2)), np.array(labels))


def test_regression_has_values_not_probabilities():
    trainer = Trainer(TrainingConfig(dataset="bumps", hidden_layers=(4,)))
    with pytest.raises(ValueError, match="predicts values, not probabilities"):
        trainer.predict_proba(np.zeros((1, 2)))
    assert trainer.predict_outputs(np.zeros((5, 2))).shape == (5, 1)


@pytest.mark.parametrize(
    "config, metric, threshold",
    [
        (TrainingConfig(dataset="blobs", n_classes=4, hidden_layers=(16,), learning_rate=0.1), "test_accuracy", 0.9),
        (
            TrainingConfig(
                dataset="spiral",
                n_classes=3,
                hidden_layers=(32, 32),
                activations=("relu", "relu"),
                initializer="he_normal",
                optimizer="adam",
                learning_rate=0.01,
            ),
            "train_accuracy",
            0.9,
        ),
        (TrainingConfig(dataset="plane", hidden_layers=(4,), learning_rate=0.1), "test_r2", 0.95),
        (
            TrainingConfig(
                dataset="bumps", n_points=1000, hidden_layers=(16, 16), optimizer="adam", learning_rate=0.01
            ),
            "test_r2",
            0.8,
        ),
        (
            TrainingConfig(
                dataset="digits",
                hidden_layers=(32,),
                activations=("relu",),
                initializer="he_normal",
                batch_size=32,
                learning_rate=0.1,
            ),
            "test_accuracy",
            0.93,
        ),
        (TrainingConfig(dataset="digits_3v8", hidden_layers=(8,), learning_rate=0.1), "test_accuracy", 0.95),
    ],
    ids=["blobs-4", "spiral-3", "plane", "bumps", "digits", "digits-3v8"],
)
def test_every_problem_learns(config, metric, threshold):
    trainer = Trainer(config)
    trainer.train(150)
    assert not trainer.diverged
    assert trainer.evaluate()[metric] > threshold


@pytest.mark.parametrize(
    "config, expected",
    [
        (TrainingConfig(dataset="blobs", n_classes=4, initializer="zeros"), np.log(4)),
        (TrainingConfig(dataset="digits", initializer="zeros"), np.log(10)),
    ],
)
def test_initial_multiclass_loss_is_ln_k(config, expected):
    trainer = Trainer(config)
    assert trainer.history.latest["train_loss"] == pytest.approx(expected, rel=1e-12)


# ---- found in review -------------------------------------------------------------------------------


def test_whole_floats_and_numpy_numbers_are_stored_as_plain_numbers():
    config = TrainingConfig(batch_size=10.0, n_points=np.int64(300), hidden_layers=(4.0, np.int32(2)), data_seed=1.0)
    assert (config.batch_size, config.n_points, config.hidden_layers, config.data_seed) == (10, 300, (4, 2), 1)
    assert all(type(v) is int for v in (config.batch_size, config.n_points, config.data_seed, *config.hidden_layers))
    assert type(TrainingConfig(learning_rate=np.float32(0.5)).learning_rate) is float
    assert Trainer(config).train(2) == 2


@pytest.mark.parametrize("hidden", [5, None, "8,8"])
def test_hidden_layers_that_are_not_a_tuple_raise_a_value_error(hidden):
    with pytest.raises(ValueError, match="hidden_layers"):
        TrainingConfig(hidden_layers=hidden)


@pytest.mark.parametrize("epochs", [2.5, -1, "3", True])
def test_train_takes_a_whole_number_of_epochs(epochs):
    with pytest.raises(ValueError, match="epochs"):
        Trainer(SMALL).train(epochs)


@pytest.mark.parametrize("dataset, n_train", [("digits", 898), ("digits_3v8", 178)])
def test_image_sets_know_their_training_size(dataset, n_train):
    config = TrainingConfig(dataset=dataset)
    assert config.n_train == Trainer(config).y_train.shape[0] == n_train


def test_a_loaded_start_measures_distance_from_the_loaded_weights():
    source = Trainer(TrainingConfig(dataset="xor", hidden_layers=(8,)))
    source.train(50)
    loaded = Trainer(source.config, record_every=1)
    loaded.start_from(source.get_weights())
    start = [W.copy() for W, _ in loaded.get_weights()]
    loaded.train(5)
    now = [W for W, _ in loaded.get_weights()]
    expected = np.linalg.norm(now[0] - start[0]) / np.linalg.norm(start[0])
    assert loaded.history.latest["distance1"] == pytest.approx(expected, rel=1e-12)
    loaded.reset()
    np.testing.assert_array_equal(loaded.get_weights()[0][0], start[0])


@pytest.mark.parametrize(
    "config",
    [
        TrainingConfig(
            dataset="bumps",
            hidden_layers=(8, 8, 8),
            activations=("linear",) * 3,
            initializer="normal",
            init_sigma=3.0,
            learning_rate=10.0,
            batch_size=2000,
        ),
        TrainingConfig(dataset="plane", hidden_layers=(8, 8), activations=("relu", "relu"), learning_rate=3.0),
        TrainingConfig(
            dataset="blobs",
            n_classes=4,
            hidden_layers=(8, 8),
            activations=("linear", "linear"),
            initializer="normal",
            init_sigma=3.0,
            learning_rate=10.0,
        ),
    ],
    ids=["bumps-linear-full-batch", "plane-relu", "blobs-4"],
)
def test_divergence_is_caught_within_an_epoch_however_often_rows_are_recorded(config):
    """Between rows the trainer watches the parameters and the last batch's logits (taken before its
    step), so it may see a blow-up one epoch after a row would have: never more."""
    every_epoch, default = Trainer(config, record_every=1), Trainer(config)
    every_epoch.train(2000)
    default.train(2000)
    assert every_epoch.diverged and default.record_every > 1
    assert 0 <= default.diverged_at - every_epoch.diverged_at <= 1
    assert default.history.latest["epoch"] == default.diverged_at
