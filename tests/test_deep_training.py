"""Training deep networks: gradient clipping and its record, replay with dropout and batch norm, batch
norm's batches, the config fields residual, normalization, dropout and gradient_clip (checks, URL codec,
what a change rebuilds), the trainer's gradients and replay for every layer kind."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from playground import Trainer, TrainingConfig
from playground.engine.network import Pass
from playground.training import trainer as trainer_module
from playground.training.config import MAX_GRADIENT_CLIP, from_query, to_query
from playground.training.history import CLIPPED, EPOCH, GLOBAL_GRAD_NORM

SMALL = TrainingConfig(dataset="xor", n_points=100, hidden_layers=(6, 6), activations=("tanh", "tanh"))
DEEP = TrainingConfig(
    dataset="circle",
    n_points=120,
    hidden_layers=(6, 6, 6, 4),
    activations=("relu", "tanh", "relu", "tanh"),
    initializer="he_normal",
    optimizer="adam",
    learning_rate=0.01,
    residual=True,
    normalization="batch",
    dropout=0.3,
    gradient_clip=1.0,
    batch_size=16,
)


def _frames_equal(a, b) -> bool:
    return list(a.columns) == list(b.columns) and np.array_equal(
        a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True
    )


# ---- gradient clipping -----------------------------------------------------------------------------


def _full_batch_gradient(trainer: Trainer) -> np.ndarray:
    """dL/dtheta of one full-batch step, computed apart from the trainer (no dropout, no batch norm here:
    a "measure" pass is a training step's maths), regulariser included."""
    c = trainer.config
    _, grad = trainer.network.loss_and_gradient(
        trainer.X_train, trainer.y_train, c.regularization, c.regularization_rate
    )
    return grad


@pytest.mark.parametrize("clip", [0.01, 0.05])
def test_a_clipped_step_has_at_most_the_maximum_norm_in_the_gradients_direction(clip):
    """Full batch and plain SGD: one step per epoch, theta <- theta - lr * g * min(1, clip / ||g||)."""
    config = replace(
        SMALL, learning_rate=0.5, batch_size=1000, gradient_clip=clip, regularization="l2", regularization_rate=0.01
    )
    trainer = Trainer(config, record_every=1)
    assert trainer.history.latest[CLIPPED] == 0 and math.isnan(trainer.history.latest[GLOBAL_GRAD_NORM])
    for _ in range(3):
        theta_before = trainer.network.theta.copy()
        gradient = _full_batch_gradient(trainer)
        norm = np.linalg.norm(gradient)
        assert norm > clip  # the case clips
        trainer.train(1)
        step = trainer.network.theta - theta_before
        assert np.linalg.norm(step) <= config.learning_rate * clip * (1 + 1e-12)
        np.testing.assert_allclose(step, -config.learning_rate * clip * gradient / norm, rtol=1e-9, atol=1e-15)
        row = trainer.history.latest
        assert row[GLOBAL_GRAD_NORM] == pytest.approx(norm, rel=1e-12)  # the norm before clipping
        assert row[CLIPPED] == 1


@pytest.mark.parametrize("clip", [0.0, MAX_GRADIENT_CLIP])
def test_without_clipping_nothing_is_clipped_and_the_norm_is_still_recorded(clip):
    config = replace(SMALL, batch_size=1000, gradient_clip=clip)
    trainer = Trainer(config, record_every=1)
    unclipped = Trainer(replace(config, gradient_clip=0.0), record_every=1)
    for _ in range(3):
        norm = np.linalg.norm(_full_batch_gradient(trainer))
        trainer.train(1)
        unclipped.train(1)
        assert trainer.history.latest[CLIPPED] == 0
        assert trainer.history.latest[GLOBAL_GRAD_NORM] == pytest.approx(norm, rel=1e-12)
    np.testing.assert_array_equal(trainer.network.theta, unclipped.network.theta)  # a maximum never reached


def test_clipped_batches_count_every_clipped_mini_batch_since_the_previous_row(monkeypatch):
    calls = []  # (norm before, scale, norm after) of every clipping
    clip_by_global_norm = trainer_module.clip_by_global_norm

    def recording(grad, max_norm):
        norm, scale = clip_by_global_norm(grad, max_norm)
        calls.append((norm, scale, float(np.linalg.norm(grad))))
        return norm, scale

    monkeypatch.setattr(trainer_module, "clip_by_global_norm", recording)
    config = replace(SMALL, n_points=100, batch_size=10, learning_rate=0.3)  # 50 training points: 5 batches
    probe = Trainer(replace(config, gradient_clip=MAX_GRADIENT_CLIP), record_every=1)
    probe.train(2)
    median = float(np.median([norm for norm, _, _ in calls]))  # a maximum that some batches exceed
    calls.clear()
    trainer = Trainer(replace(config, gradient_clip=median), record_every=2)
    trainer.train(6)
    assert len(calls) == 6 * 5
    clipped = [scale != 1.0 for _, scale, _ in calls]
    assert 0 < sum(clipped) < len(calls)  # both kinds of batch occur
    for norm, scale, after in calls:
        assert (scale != 1.0) == (norm > median)
        assert after <= median * (1 + 1e-12) if scale != 1.0 else after == pytest.approx(norm, rel=1e-15)
    frame = trainer.history_frame
    assert frame[EPOCH].tolist() == [0, 2, 4, 6]
    for row, start in zip(frame.itertuples(index=False), [None, 0, 10, 20]):
        row = row._asdict()
        if start is None:
            assert row[CLIPPED] == 0
            continue
        assert row[CLIPPED] == sum(clipped[start : start + 10])  # the 10 batches of the row's 2 epochs
        assert row[GLOBAL_GRAD_NORM] == calls[start + 9][0]  # the last batch's norm, before clipping


# ---- replay ------------------------------------------------------------------------------------------


def test_a_run_with_dropout_and_batch_norm_replays_bit_for_bit():
    first, second = Trainer(DEEP), Trainer(DEEP)
    first.train(8)
    second.train(8)
    assert _frames_equal(first.history_frame, second.history_frame)
    np.testing.assert_array_equal(first.network.theta, second.network.theta)
    np.testing.assert_array_equal(first.network.statistics, second.network.statistics)
    frame, theta = first.history_frame, first.network.theta.copy()
    first.reset()
    first.train(8)
    assert _frames_equal(first.history_frame, frame)
    np.testing.assert_array_equal(first.network.theta, theta)
    # Not vacuous: the masks matter (no dropout, or another seed's masks, give another run).
    without = Trainer(replace(DEEP, dropout=0.0))
    without.train(8)
    assert not np.array_equal(without.network.theta, theta)
    reseeded = Trainer(DEEP)
    reseeded.network.dropout_rng = np.random.default_rng(12345)
    reseeded.train(8)
    assert not np.array_equal(reseeded.network.theta, theta)


def _training_batch_sizes(monkeypatch, trainer: Trainer) -> list[int]:
    sizes = []
    forward = Pass.forward

    def recording(self, X):
        if self.mode == "train":
            sizes.append(X.shape[0])
        return forward(self, X)

    monkeypatch.setattr(Pass, "forward", recording)
    trainer.train(1)
    return sizes


@pytest.mark.parametrize(
    "normalization, expected", [("batch", [10, 11]), ("layer", [10, 10, 1]), ("none", [10, 10, 1])]
)
def test_with_batch_norm_a_last_batch_of_one_joins_the_batch_before_it(normalization, expected, monkeypatch):
    config = replace(SMALL, n_points=70, train_fraction=0.3, batch_size=10, normalization=normalization)
    trainer = Trainer(config)
    assert trainer.y_train.shape[0] == 21
    assert _training_batch_sizes(monkeypatch, trainer) == expected
    assert math.isfinite(trainer.history.latest["train_loss"]) and not trainer.diverged


def test_replay_gives_back_batch_norms_running_averages_of_that_epoch():
    trainer = Trainer(replace(DEEP, dropout=0.0), record_every=1)
    saved = {0: (trainer.network.theta.copy(), trainer.network.statistics.copy())}
    points = np.random.default_rng(0).uniform(-6, 6, (40, 2))
    predictions = {0: trainer.predict_proba(points)}
    for epoch in range(1, 6):
        trainer.train(1)
        saved[epoch] = (trainer.network.theta.copy(), trainer.network.statistics.copy())
        predictions[epoch] = trainer.predict_proba(points)
    for epoch in (0, 3):
        at, network = trainer.network_at(epoch)
        assert at == epoch and network is not trainer.network
        np.testing.assert_array_equal(network.theta, saved[epoch][0])
        np.testing.assert_array_equal(network.statistics, saved[epoch][1])
        np.testing.assert_array_equal(network.predict_proba(trainer.features(points)), predictions[epoch])
    assert not np.array_equal(saved[3][1], saved[5][1])  # the averages did move between those epochs
    assert trainer.network_at(None)[1] is trainer.network


# ---- the config fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, field",
    [
        ({"residual": "yes"}, "residual"),
        ({"residual": 1}, "residual"),
        ({"normalization": "group"}, "normalization"),
        ({"normalization": None}, "normalization"),
        ({"dropout": 0.7}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"dropout": True}, "dropout"),
        ({"gradient_clip": -1}, "gradient_clip"),
        ({"gradient_clip": math.nan}, "gradient_clip"),
        ({"gradient_clip": MAX_GRADIENT_CLIP * 2}, "gradient_clip"),
        ({"batch_size": 1, "normalization": "batch"}, "batch_size"),
    ],
)
def test_bad_deep_settings_raise_a_value_error_naming_the_field(values, field):
    with pytest.raises(ValueError, match=field):
        TrainingConfig(**values)


def test_batch_norm_with_batches_of_one_is_allowed_without_batch_norm():
    assert TrainingConfig(batch_size=1, normalization="layer").batch_size == 1


def test_the_deep_fields_round_trip_through_the_url():
    config = replace(DEEP, normalization="layer", dropout=0.25, gradient_clip=1.5)
    query = to_query(config)
    assert query["residual"] == "1" and query["normalization"] == "layer"
    assert query["dropout"] == "0.25" and query["gradient_clip"] == "1.5"
    assert from_query(query) == (config, [])
    # Off against a base that has it on: written as 0.
    query = to_query(replace(config, residual=False), base=config)
    assert query == {"residual": "0"}
    assert from_query(query, base=config) == (replace(config, residual=False), [])


@pytest.mark.parametrize("text, value", [("1", True), ("true", True), ("On", True), ("0", False), ("no", False)])
def test_residual_reads_the_usual_spellings_of_on_and_off(text, value):
    config, problems = from_query({"residual": text}, base=TrainingConfig(residual=not value))
    assert config.residual is value and problems == []


@pytest.mark.parametrize(
    "query, field, expected",
    [
        ({"residual": "maybe"}, "residual", False),
        ({"dropout": "0.9"}, "dropout", 0.5),
        ({"dropout": "-1"}, "dropout", 0.0),
        ({"dropout": "nan"}, "dropout", 0.0),
        ({"gradient_clip": "500"}, "gradient_clip", MAX_GRADIENT_CLIP),
        ({"gradient_clip": "-3"}, "gradient_clip", 0.0),
        ({"normalization": "group"}, "normalization", "none"),
        ({"batch_size": "1", "normalization": "batch"}, "batch_size", 2),
    ],
)
def test_the_url_clamps_deep_settings_with_a_message(query, field, expected):
    config, problems = from_query(query)
    assert getattr(config, field) == expected
    assert problems and any(field.split("_")[0] in problem.lower() for problem in problems), problems


# ---- what a change rebuilds ------------------------------------------------------------------------


@pytest.mark.parametrize("change", [{"dropout": 0.4}, {"dropout": 0.0}, {"gradient_clip": 0.5}, {"gradient_clip": 0.0}])
def test_dropout_and_clipping_are_training_settings_that_keep_weights_and_history(change):
    trainer = Trainer(DEEP)
    trainer.train(3)
    theta, statistics, rows = trainer.network.theta.copy(), trainer.network.statistics.copy(), trainer.history.n_rows
    assert trainer.apply_config(replace(DEEP, **change)) == "training"
    assert trainer.epoch == 3 and trainer.history.n_rows == rows
    np.testing.assert_array_equal(trainer.network.theta, theta)
    np.testing.assert_array_equal(trainer.network.statistics, statistics)
    if "dropout" in change:
        assert trainer.network.dropout == change["dropout"]


def test_a_changed_dropout_share_is_used_from_the_next_batch_on():
    """The same run continued with dropout 0.4 instead of 0.3 (same masks' generator) goes elsewhere, and
    continued with dropout off it goes where a run without dropout from those weights goes."""
    runs = [Trainer(DEEP) for _ in range(3)]
    for run in runs:
        run.train(2)
    runs[1].apply_config(replace(DEEP, dropout=0.4))
    runs[2].apply_config(replace(DEEP, dropout=0.0))
    for run in runs:
        run.train(1)
    assert not np.array_equal(runs[0].network.theta, runs[1].network.theta)
    assert all(block.dropout is None for block in Pass(runs[2].network, 4).blocks)
    assert not np.array_equal(runs[0].network.theta, runs[2].network.theta)


def test_a_clipping_maximum_set_mid_run_clips_the_next_epochs_batches():
    trainer = Trainer(replace(SMALL, gradient_clip=0.0), record_every=1)
    trainer.train(2)
    assert trainer.history_frame[CLIPPED].sum() == 0
    trainer.apply_config(replace(SMALL, gradient_clip=1e-6))
    trainer.train(1)
    assert trainer.history.latest[CLIPPED] == math.ceil(trainer.y_train.shape[0] / SMALL.batch_size)


@pytest.mark.parametrize(
    "change, check",
    [
        ({"residual": False}, lambda network: network.skips == [False] * 4),
        ({"normalization": "layer"}, lambda network: network.normalization == "layer" and network.statistics.size == 0),
        ({"normalization": "none"}, lambda network: network.gammas == [] and network.theta.size == network.layout.size),
    ],
)
def test_skips_and_normalisation_rebuild_the_network_at_epoch_zero(change, check):
    trainer = Trainer(DEEP)
    assert trainer.network.skips == [False, True, True, False]  # 2 -> 6 -> 6 -> 6 -> 4: the equal ones
    trainer.train(2)
    assert trainer.apply_config(replace(DEEP, **change)) == "network"
    assert trainer.epoch == 0 and trainer.history.n_rows == 1
    assert check(trainer.network)


# ---- the trainer's gradients for every layer kind ------------------------------------------------------


@pytest.mark.parametrize(
    "design",
    [
        {},
        {"residual": True},
        {"normalization": "batch"},
        {"normalization": "layer"},
        {"dropout": 0.4},
        {"residual": True, "normalization": "batch", "dropout": 0.2},
    ],
    ids=["dense", "skips", "batch-norm", "layer-norm", "dropout", "all"],
)
def test_trainer_loss_and_gradients_give_the_dense_layers_of_the_network_gradient(design):
    config = replace(
        SMALL,
        hidden_layers=(4, 4, 4),
        activations=("tanh",) * 3,
        regularization="l2",
        regularization_rate=0.01,
        **design,
    )
    trainer = Trainer(config)
    trainer.train(1)
    network = trainer.network
    rng = np.random.default_rng(0)
    points = rng.uniform(-6, 6, (12, 2))
    y = (rng.uniform(size=12) > 0.5).astype(float)
    rng_state, statistics = network.dropout_rng.bit_generator.state, network.statistics.copy()
    loss, gradients = trainer.loss_and_gradients(points, y)
    # A step's maths without its noise or side effects: no mask drawn, no running average moved.
    assert network.dropout_rng.bit_generator.state == rng_state
    np.testing.assert_array_equal(network.statistics, statistics)
    expected_loss, flat = network.loss_and_gradient(trainer.features(points), y, "l2", 0.01)
    assert loss == pytest.approx(expected_loss, rel=1e-14)
    assert len(gradients) == network.n_layers
    for (gW, gb), W_block, b_block in zip(gradients, network.layout.of_kind("weight"), network.layout.of_kind("bias")):
        np.testing.assert_array_equal(gW, flat[W_block.start : W_block.stop].reshape(W_block.shape))
        np.testing.assert_array_equal(gb, flat[b_block.start : b_block.stop])
    again_loss, again = trainer.loss_and_gradients(points, y)
    assert again_loss == loss and all(np.array_equal(a[0], b[0]) for a, b in zip(again, gradients))


# ---- after a divergence ------------------------------------------------------------------------------

DIVERGING = TrainingConfig(
    dataset="bumps",
    hidden_layers=(8, 8, 8),
    activations=("linear",) * 3,
    initializer="normal",
    init_sigma=3.0,
    learning_rate=10.0,
    batch_size=2000,
    dropout=0.2,
)


def test_a_dropout_change_after_divergence_restarts_with_the_new_share():
    trainer = Trainer(DIVERGING)
    trainer.train(50)
    assert trainer.diverged
    changed = replace(DIVERGING, dropout=0.0, learning_rate=0.01)
    assert trainer.apply_config(changed) == "restarted"
    assert trainer.network.dropout == 0.0
    fresh = Trainer(changed)
    trainer.train(3)
    fresh.train(3)
    np.testing.assert_array_equal(trainer.network.theta, fresh.network.theta)


def test_a_divergence_seen_between_rows_does_not_report_an_old_gradient_norm():
    """Without clipping the norm is measured on recorded epochs only: a row that divergence forces in
    between says it is unknown (NaN) rather than repeating an earlier epoch's."""
    trainer = Trainer(replace(DIVERGING, dropout=0.0), record_every=1000)
    trainer.train(1)
    assert math.isfinite(trainer.history.latest[GLOBAL_GRAD_NORM])
    trainer.train(50)
    assert trainer.diverged and trainer.history.latest[EPOCH] == trainer.diverged_at > 1
    assert math.isnan(trainer.history.latest[GLOBAL_GRAD_NORM])
