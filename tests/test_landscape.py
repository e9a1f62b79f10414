"""The loss landscape (issue 19): a plane through the weights, its losses, the path in it, and its figure."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import playground
from playground import Trainer, TrainingConfig, loss_landscape
from playground.plots.landscape import landscape_figure, landscape_figure_dict, landscape_loss_range
from playground.teaching import landscape as landscape_module
from playground.teaching.landscape import (
    batched_path_covers,
    explained_shares,
    plane_losses,
    principal_directions,
    random_directions,
)
from playground.training.trainer import RECORD_POINTS

# Small networks on 120 points (60 training): every design the batched evaluation has to get right.
DESIGNS = {
    "dense": TrainingConfig(dataset="xor", n_points=120, hidden_layers=(6, 4)),
    "batch-norm-dropout": TrainingConfig(
        dataset="circle",
        n_points=120,
        hidden_layers=(6, 6),
        activations=("relu", "relu"),
        normalization="batch",
        dropout=0.2,
    ),
    "skips-layer-norm": TrainingConfig(
        dataset="xor", n_points=120, hidden_layers=(6, 6, 6), residual=True, normalization="layer"
    ),
    "softmax-l2": TrainingConfig(
        dataset="spiral", n_points=120, n_classes=3, hidden_layers=(8,), regularization="l2", regularization_rate=0.01
    ),
    "regression-l1": TrainingConfig(
        dataset="bumps", n_points=120, hidden_layers=(8,), regularization="l1", regularization_rate=0.001
    ),
}
DIVERGING = TrainingConfig(
    hidden_layers=(8, 8, 8), activations=("linear",) * 3, initializer="normal", init_sigma=1.0, learning_rate=0.3
)


def trained(config: TrainingConfig, epochs: int = 15) -> Trainer:
    trainer = Trainer(config, record_every=1)  # a row and a snapshot every epoch
    trainer.train(epochs)
    return trainer


def record_sample(trainer: Trainer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = min(RECORD_POINTS, trainer.y_train.shape[0])
    return trainer.X_train[:n], trainer.T_train[:n], trainer.y_train[:n]


def independent_loss(trainer: Trainer, theta: np.ndarray, statistics: np.ndarray) -> float:
    """The training loss at ``theta`` through a fresh network's own forward pass, as predictions are made."""
    c = trainer.config
    network = trainer.network.copy(theta, statistics)
    X, T, _ = record_sample(trainer)
    logits = network.forward(X, "predict").logits
    return network.head.loss(logits, T) + network.regularization_penalty(c.regularization, c.regularization_rate)


@pytest.fixture(scope="module", params=list(DESIGNS), ids=list(DESIGNS))
def run(request):
    trainer = trained(DESIGNS[request.param])
    return trainer, loss_landscape(trainer, 7)


# ---- the centre and the grid ---------------------------------------------------------------------
def test_the_centre_is_the_current_weights_and_its_loss_the_histories_train_loss(run):
    trainer, landscape = run
    latest = trainer.history.latest
    assert latest["epoch"] == trainer.epoch == landscape.center_epoch
    np.testing.assert_array_equal(landscape.center, trainer.network.theta)
    middle = landscape.losses.shape[0] // 2
    assert landscape.alphas[middle] == 0.0 and landscape.betas[middle] == 0.0
    # The same numbers through the same operations (stacked products may differ in the last bit elsewhere).
    assert landscape.center_loss == pytest.approx(latest["train_loss"], rel=1e-12, abs=0)


def test_grid_points_equal_an_independent_network_at_those_weights(run):
    trainer, landscape = run
    d1, d2 = landscape.directions
    statistics = trainer.network.statistics
    last = len(landscape.alphas) - 1
    for j, i in [(0, 0), (last, last), (0, last), (2, 5), (4, 1)]:  # corners and off-centre points
        theta = landscape.center + landscape.alphas[i] * d1 + landscape.betas[j] * d2
        expected = independent_loss(trainer, theta, statistics)
        assert landscape.losses[j, i] == pytest.approx(expected, rel=1e-9), (j, i)


def test_the_grid_is_symmetric_about_the_centre_and_covers_the_path(run):
    _, landscape = run
    for axis in (landscape.alphas, landscape.betas):
        np.testing.assert_array_equal(axis, -axis[::-1])
        assert np.all(np.diff(axis) > 0)
    assert np.all(np.abs(landscape.path[:, 0]) <= landscape.alphas[-1])
    assert np.all(np.abs(landscape.path[:, 1]) <= landscape.betas[-1])


def test_batched_and_one_network_per_point_evaluations_agree(run):
    trainer, landscape = run
    network = trainer.network
    assert batched_path_covers(network)
    X, _, y = record_sample(trainer)
    rng = np.random.default_rng(0)
    coefficients = rng.uniform(-1, 1, (9, 2)) * [landscape.alphas[-1], landscape.betas[-1]]
    c = trainer.config
    arguments = (network, X, y, landscape.center, landscape.directions, coefficients, c.regularization)
    batched = plane_losses(*arguments, c.regularization_rate, batched=True)
    one_by_one = plane_losses(*arguments, c.regularization_rate, batched=False)
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-10)


def test_a_layer_kind_the_batched_evaluation_does_not_know_falls_back_to_one_network_per_point(monkeypatch):
    trainer = trained(DESIGNS["skips-layer-norm"], epochs=5)
    batched = loss_landscape(trainer, 5)
    # Pretend layer norm were a new kind: the evaluation must notice and take the per-point path.
    monkeypatch.setattr(landscape_module, "BATCHED_KINDS", frozenset({"dense", "activation"}))
    assert not batched_path_covers(trainer.network)
    fallback = loss_landscape(trainer, 5)
    np.testing.assert_allclose(fallback.losses, batched.losses, rtol=1e-10)
    assert fallback.center_loss == trainer.history.latest["train_loss"]


def test_only_theta_moves_batch_norm_keeps_the_current_running_averages():
    trainer = trained(DESIGNS["batch-norm-dropout"])
    landscape = loss_landscape(trainer, 5)
    start_statistics = trainer.snapshots[0][1][trainer.network.theta.size :]
    assert not np.array_equal(start_statistics, trainer.network.statistics)  # the averages did move in training
    theta = landscape.center + landscape.alphas[0] * landscape.directions[0]
    now = independent_loss(trainer, theta, trainer.network.statistics)
    then = independent_loss(trainer, theta, start_statistics)
    assert landscape.losses[2, 0] == pytest.approx(now, rel=1e-9)
    assert now != pytest.approx(then, rel=1e-6)


def test_drawing_the_landscape_leaves_the_run_as_it_was():
    # The app draws it while playing: the run must go on exactly as without it (weights, averages, dropout masks).
    config = DESIGNS["batch-norm-dropout"]
    watched, alone = trained(config, epochs=4), trained(config, epochs=4)
    loss_landscape(watched, 5)
    watched.train(4)
    alone.train(4)
    np.testing.assert_array_equal(watched.network.theta, alone.network.theta)
    np.testing.assert_array_equal(watched.network.statistics, alone.network.statistics)
    assert watched.history_frame.equals(alone.history_frame)


# ---- the path ------------------------------------------------------------------------------------
def test_the_path_is_the_snapshots_projected_into_the_plane(run):
    trainer, landscape = run
    size = trainer.network.theta.size
    snapshot_epochs = [epoch for epoch, _ in trainer.snapshots]
    np.testing.assert_array_equal(landscape.path_epochs, snapshot_epochs)  # the last snapshot is now
    assert landscape.method == "pca"
    directions = landscape.directions
    np.testing.assert_allclose(directions @ directions.T, np.eye(2), atol=1e-12)  # orthonormal
    for (_, saved), point in zip(trainer.snapshots, landscape.path):
        np.testing.assert_allclose(point, directions @ (saved[:size] - landscape.center), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(landscape.path[-1], [0.0, 0.0])
    # Each point's loss at its own weights (not the projection's) is the history's train loss at that epoch.
    history = trainer.history_frame.set_index("epoch")["train_loss"]
    np.testing.assert_allclose(landscape.path_losses, history.loc[landscape.path_epochs].to_numpy(), rtol=1e-12)


def test_the_path_starts_on_the_negative_side_so_refreshes_do_not_flip_the_picture():
    trainer = trained(DESIGNS["dense"], epochs=10)
    first = loss_landscape(trainer, 5)
    assert np.all(first.path[0] <= 0)
    trainer.train(3)
    again = loss_landscape(trainer, 5)
    assert np.all(again.path[0] <= 0)


def test_principal_directions_capture_a_nearly_planar_path():
    rng = np.random.default_rng(1)
    center = rng.normal(size=200)
    plane, _ = np.linalg.qr(rng.normal(size=(200, 2)))  # an orthonormal basis (200, 2) of a random plane
    steps = np.linspace(-1, 0, 30)
    curve = np.column_stack((steps, 0.4 * np.sin(3 * steps)))  # (30, 2): a bent path ending at (0, 0)
    points = center + curve @ plane.T + 1e-4 * rng.normal(size=(30, 200))
    points[-1] = center
    directions = principal_directions(points, center)
    path = (points - center) @ directions.T
    explained, each = explained_shares(points, center, directions, path)
    assert explained > 0.9999
    assert each[0] > each[1] > 0.01  # the bend is in the plane too
    # The found plane is the planted one: every planted direction lies in it.
    np.testing.assert_allclose(np.linalg.norm(directions @ plane, axis=0), 1.0, atol=1e-5)


def test_a_trained_run_mostly_lies_in_its_principal_plane():
    trainer = trained(DESIGNS["dense"], epochs=40)
    landscape = loss_landscape(trainer, 5)
    assert landscape.method == "pca"
    assert landscape.explained > 0.9
    assert landscape.explained_by.sum() == pytest.approx(landscape.explained)


@pytest.mark.parametrize("epochs", [0, 1])
def test_with_fewer_than_three_points_the_directions_are_random_and_filter_normalised(epochs):
    trainer = trained(DESIGNS["batch-norm-dropout"], epochs=epochs)
    landscape = loss_landscape(trainer, 5)
    assert landscape.method == "random"
    network = trainer.network
    for d in landscape.directions:
        for block in network.layout.blocks:
            values = d[block.start : block.stop]
            if block.kind != "weight":
                assert not values.any(), f"{block.name}: biases, gammas and betas stay put"
                continue
            unit_norms = np.linalg.norm(values.reshape(block.shape), axis=0)  # one per unit: its incoming weights
            theta_norms = np.linalg.norm(network.theta[block.start : block.stop].reshape(block.shape), axis=0)
            np.testing.assert_allclose(unit_norms, theta_norms, rtol=1e-12)
    assert landscape.alphas[-1] == landscape.betas[-1] == landscape_module.RANDOM_SPAN
    np.testing.assert_array_equal(landscape.path[-1], [0.0, 0.0])
    if epochs == 1:  # not orthogonal: the start's coordinates are its least-squares point of the plane
        start = trainer.snapshots[0][1][: network.theta.size]
        expected = np.linalg.lstsq(landscape.directions.T, start - landscape.center, rcond=None)[0]
        np.testing.assert_allclose(landscape.path[0], expected, rtol=1e-9)


def test_random_directions_can_be_asked_for_on_a_trained_run():
    trainer = trained(DESIGNS["dense"], epochs=10)
    landscape = loss_landscape(trainer, 5, method="random")
    assert landscape.method == "random" and landscape.alphas[-1] >= landscape_module.RANDOM_SPAN
    assert landscape.explained < 0.5  # a random plane misses most of the path


def test_random_directions_are_the_same_for_the_same_run():
    trainer = Trainer(DESIGNS["dense"])
    np.testing.assert_array_equal(loss_landscape(trainer, 3).directions, loss_landscape(trainer, 3).directions)
    other = random_directions(trainer.network, np.random.default_rng(99))
    assert not np.array_equal(other, loss_landscape(trainer, 3).directions)


# ---- divergence --------------------------------------------------------------------------------
def test_a_diverged_run_gives_a_landscape_centred_on_its_last_finite_weights_without_a_warning():
    trainer = Trainer(DIVERGING, record_every=1)
    trainer.train(50)
    assert trainer.diverged and not np.all(np.isfinite(trainer.network.theta))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        landscape = loss_landscape(trainer, 5)
        figure = landscape_figure_dict(landscape)
    assert landscape.center_epoch < trainer.epoch
    snapshot = dict(trainer.snapshots)[landscape.center_epoch]
    np.testing.assert_array_equal(landscape.center, snapshot[: trainer.network.theta.size])
    assert np.all(np.isnan(landscape.path[-1]))  # the current weights are not numbers: no place in the plane
    json.dumps(figure, allow_nan=False)


def test_a_plane_reaching_into_overflow_keeps_inf_and_nan_and_the_figure_copes():
    # ReLU layers do not saturate: weights of 1e200 per layer overflow the logits.
    config = TrainingConfig(dataset="xor", n_points=120, hidden_layers=(6, 4), activations=("relu", "relu"))
    trainer = trained(config, epochs=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        landscape = loss_landscape(trainer, 5, span=1e200)
        figure = landscape_figure_dict(landscape)
    assert np.isnan(landscape.losses).any() and np.isfinite(landscape.center_loss)
    json.dumps(figure, allow_nan=False)
    # Not a number: a gap in the map (not the colour of a valley); the finite ones keep their colour.
    z = np.array(figure["data"][0]["z"], dtype=float)
    np.testing.assert_array_equal(np.isnan(z), np.isnan(landscape.losses))
    landscape_figure(landscape)  # plotly accepts every property


# ---- arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize("resolution", [4, 1, 0, 2.0, True, 1001])
def test_a_resolution_without_a_middle_point_is_refused(resolution):
    with pytest.raises(ValueError, match="resolution"):
        loss_landscape(Trainer(DESIGNS["dense"]), resolution)


def test_a_given_span_sets_the_axes():
    trainer = trained(DESIGNS["dense"], epochs=3)
    landscape = loss_landscape(trainer, 5, span=(0.5, 0.2))
    np.testing.assert_allclose(landscape.alphas, [-0.5, -0.25, 0, 0.25, 0.5])
    np.testing.assert_allclose(landscape.betas, [-0.2, -0.1, 0, 0.1, 0.2])
    for span in (0, -1, np.nan, (1, 2, 3), "wide"):
        with pytest.raises(ValueError, match="span"):
            loss_landscape(trainer, 5, span=span)


def test_loss_landscape_is_importable_from_playground():
    assert "loss_landscape" in playground.__all__
    assert playground.loss_landscape is loss_landscape


# ---- the figure ----------------------------------------------------------------------------------
def test_the_figure_has_a_contour_the_path_its_ends_and_labelled_axes(run):
    _, landscape = run
    figure = landscape_figure_dict(landscape)
    json.dumps(figure, allow_nan=False)
    contour = next(trace for trace in figure["data"] if trace["type"] == "contour")
    assert contour["colorbar"]["title"]["text"] == "training loss"
    assert np.array(contour["z"]).shape == landscape.losses.shape
    names = [trace.get("name", "") for trace in figure["data"] if trace.get("showlegend", True)]
    assert any(name.startswith("path") for name in names)
    assert f"start (epoch {landscape.path_epochs[0]})" in names
    assert f"now (epoch {landscape.center_epoch})" in names
    layout = figure["layout"]
    share = round(100 * landscape.explained_by[0])
    assert layout["xaxis"]["title"]["text"] == f"direction 1 (PC1, {share} % of the path)"
    assert layout["yaxis"]["title"]["text"].startswith("direction 2 (PC2, ")
    # Readable on a projector: no text under 14 px.
    assert min(layout["font"]["size"], layout["legend"]["font"]["size"], contour["colorbar"]["tickfont"]["size"]) >= 14
    landscape_figure(landscape)


def test_the_colours_are_log10_of_the_loss_and_a_shared_range_puts_two_runs_on_one_scale():
    a = loss_landscape(trained(DESIGNS["dense"], epochs=10), 5)
    b = loss_landscape(trained(TrainingConfig(dataset="xor", n_points=120, hidden_layers=(6, 4), learning_rate=0.3)), 5)
    low, high = landscape_loss_range(a, b)
    assert low <= min(a.losses.min(), b.losses.min()) and high >= max(a.losses.max(), b.losses.max())
    figures = [landscape_figure_dict(s, zrange=(low, high)) for s in (a, b)]
    for landscape, figure in zip((a, b), figures):
        contour = figure["data"][0]
        assert (contour["zmin"], contour["zmax"]) == (np.log10(low), np.log10(high))
        middle = len(landscape.alphas) // 2
        assert contour["z"][middle][middle] == pytest.approx(np.log10(landscape.center_loss))
        assert contour["customdata"][middle][middle] == landscape.center_loss  # the hover shows the loss itself


def test_the_path_has_every_epoch_of_a_short_run_whatever_the_record_interval():
    from playground.training.trajectory import MAX_PATH_POINTS

    trainer = Trainer(TrainingConfig(dataset="circle", hidden_layers=(8,), batch_size=250, learning_rate=10.0))
    assert trainer.record_every > 1  # full batch: rows every few epochs, yet the path holds each epoch
    thetas = [trainer.network.theta.copy()]
    for _ in range(40):
        trainer.train(1)
        thetas.append(trainer.network.theta.copy())
    epochs, path = trainer.path
    np.testing.assert_array_equal(epochs, np.arange(41))
    np.testing.assert_array_equal(path, np.array(thetas))
    landscape = loss_landscape(trainer, resolution=5)
    np.testing.assert_array_equal(landscape.path_epochs, np.arange(41))
    # A rate this large bounces across the valley: the path turns back along direction 1 at most epochs.
    steps = np.diff(landscape.path[:, 0])
    assert np.mean(steps[1:] * steps[:-1] < 0) > 0.8
    # A long run keeps a bounded path, thinned evenly, its start and its newest epoch kept.
    trainer.train(3 * MAX_PATH_POINTS)
    epochs, path = trainer.path
    assert len(epochs) <= MAX_PATH_POINTS and epochs[0] == 0 and epochs[-1] == trainer.epoch
    assert len(set(np.diff(epochs))) == 1
    np.testing.assert_array_equal(path[-1], trainer.network.theta)


def test_a_large_networks_path_is_bounded_in_bytes_and_a_small_ones_keeps_every_point():
    from playground.training.trajectory import MAX_PATH_BYTES, MAX_PATH_POINTS, path_points_for

    assert path_points_for(Trainer().network.theta.size) == MAX_PATH_POINTS
    mnist = Trainer(TrainingConfig(dataset="mnist", train_size=200, hidden_layers=(64,), activations=("relu",)))
    kept = mnist.trajectory.max_points
    assert 16 <= kept < MAX_PATH_POINTS and kept % 2 == 0
    assert mnist.trajectory._thetas.nbytes <= MAX_PATH_BYTES
    mnist.train(2 * kept)  # thinned as before: the start kept, evenly spaced (this epoch: a multiple of the stride)
    epochs, thetas = mnist.path
    assert epochs[0] == 0 and epochs[-1] == mnist.epoch and len(epochs) <= kept
    np.testing.assert_array_equal(thetas[-1], mnist.network.theta)
