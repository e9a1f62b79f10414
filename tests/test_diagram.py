"""The network diagram's numbers (playground/teaching/diagram.py) and its payload (playground/ui/diagram_view.py):
what it draws is the engine's network, its gradients are the gradient chart's, and a weight set by
hand is the one training continues from."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from playground import Trainer, TrainingConfig
from playground.data.datasets import DOMAIN_HALF_WIDTH
from playground.engine.network import Pass
from playground.teaching.diagram import MAX_DRAWN_UNITS, THUMBNAIL_SIDE, drawn_units, network_picture, thumbnail_grid
from playground.training.config import config_values
from playground.training.history import DELTA_MEAN_ABS, GRAD_NORM, layer_column
from playground.training.trainer import MAX_EDITED_PARAMETER, RECORD_POINTS
from playground.ui import diagram_view, session
from playground.ui.state import PlaygroundState


def _picture(trainer: Trainer):
    grid = None if trainer.inputs == "image" else trainer.features(thumbnail_grid(DOMAIN_HALF_WIDTH))
    n = min(RECORD_POINTS, trainer.y_train.shape[0])
    return network_picture(trainer.network, grid, trainer.X_train[:n], trainer.y_train[:n])


def _floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.float32)


@pytest.fixture
def trained() -> Trainer:
    trainer = Trainer(TrainingConfig(dataset="xor", hidden_layers=(5, 3), activations=("relu", "tanh")))
    trainer.train(7)
    return trainer


def test_drawn_weights_and_biases_are_the_networks(trained):
    picture = _picture(trained)
    assert picture.shown == trained.network.layer_sizes  # nothing aggregated in a small network
    for layer, W in enumerate(trained.network.weights):
        np.testing.assert_array_equal(picture.weights[layer], W)
        np.testing.assert_array_equal(picture.biases[layer + 1], trained.network.biases[layer])


def test_gradients_equal_the_engines_on_the_record_sample_and_the_gradient_charts_norms(trained):
    picture = _picture(trained)
    n = min(RECORD_POINTS, trained.y_train.shape[0])
    _, gradients = trained.network.copy().loss_and_gradient(trained.X_train[:n], trained.y_train[:n])
    expected = trained.network.copy(gradients).weights  # the flat gradient laid out as per-layer W
    latest = trained.history.latest
    for layer in range(trained.network.n_layers):
        np.testing.assert_allclose(picture.gradients[layer], expected[layer], rtol=1e-12, atol=1e-15)
        # The gradient chart plots ||dL/dW_l|| of the record row: the diagram's edges add up to the same.
        assert math.isclose(picture.gradient_norms[layer], latest[layer_column(GRAD_NORM, layer + 1)], rel_tol=1e-9)
        # Per unit mean |n delta|, averaged over the units: the history's mean |n delta| of the layer.
        assert math.isclose(
            float(picture.unit_error[layer + 1].mean()), latest[layer_column(DELTA_MEAN_ABS, layer + 1)], rel_tol=1e-9
        )


def test_the_picture_leaves_the_network_unchanged(trained):
    theta, grad = trained.network.theta.copy(), trained.network.grad.copy()
    _picture(trained)
    np.testing.assert_array_equal(trained.network.theta, theta)
    np.testing.assert_array_equal(trained.network.grad, grad)


def test_thumbnails_are_each_units_output_over_the_input_square(trained):
    picture = _picture(trained)
    points = thumbnail_grid(DOMAIN_HALF_WIDTH)
    # Input x1 (unbounded: scaled by its largest |value|): the grid's first coordinate, left to right.
    x1 = trained.features(points)[:, 0]
    np.testing.assert_allclose(picture.thumbnails[0][0].ravel(), x1 / np.abs(x1).max())
    # The tanh layer keeps its own scale; the ReLU layer is scaled per unit.
    cache = trained.network.forward(trained.features(points))
    np.testing.assert_allclose(picture.thumbnails[2].reshape(3, -1), cache.activations[2].T)
    relu = cache.activations[1].T
    scale = np.where(np.abs(relu).max(axis=1) > 0, np.abs(relu).max(axis=1), 1.0)
    np.testing.assert_allclose(picture.thumbnails[1].reshape(5, -1), relu / scale[:, None])
    # The output: P(blue) drawn as 2p - 1, so 0.5 is white, as on the decision boundary.
    np.testing.assert_allclose(picture.thumbnails[3].ravel(), 2 * cache.outputs[:, 0] - 1)
    assert picture.thumbnails[0].shape == (2, THUMBNAIL_SIDE, THUMBNAIL_SIDE)


def test_wide_deep_networks_aggregate_what_does_not_fit():
    config = TrainingConfig(hidden_layers=(64,) * 12, activations=("sigmoid",) * 12)
    trainer = Trainer(config)
    picture = _picture(trainer)
    assert picture.shown == [2] + [MAX_DRAWN_UNITS - 1] * 12 + [1]
    assert all(w.shape == (r, c) for w, r, c in zip(picture.weights, picture.shown, picture.shown[1:]))
    # The units not drawn still count: the layer's norm is over all 64 x 64 weights, and their error
    # signal is summarised.
    assert picture.gradient_norms[5] > np.linalg.norm(picture.gradients[5])
    assert all(np.isfinite(picture.hidden_error[k]) for k in range(1, 13))
    # Vanishing gradients, seen on the picture: the first hidden layer's error signal is far below the last's.
    assert picture.unit_error[1].mean() < 1e-3 * picture.unit_error[12].mean()
    state = PlaygroundState(trainer=trainer)
    payload = diagram_view.diagram_payload(state, trainer)
    assert len(json.dumps(payload)) < 120_000  # a frame of the biggest picture stays small
    assert payload["aggregate"] == [False] + [True] * 12 + [False]


def test_digits_first_layer_units_are_their_weights_as_images():
    trainer = Trainer(TrainingConfig(dataset="digits", hidden_layers=(20, 6)))
    picture = _picture(trainer)
    assert picture.image_inputs and picture.shown[0] == 1 and not picture.edges_drawn[0]
    W = trainer.network.weights[0]
    unit = 4
    expected = W[:, unit] / np.abs(W[:, unit]).max()
    np.testing.assert_allclose(picture.thumbnails[1][unit], expected.reshape(8, 8))
    assert picture.shown[1] == drawn_units(20) == MAX_DRAWN_UNITS - 1
    payload = diagram_view.diagram_payload(PlaygroundState(trainer=trainer), trainer)
    assert payload["aggregate"][0] is False and payload["aggregate"][1] is True


def test_mnist_first_layer_units_are_their_28x28_weights_sent_as_14x14_means():
    trainer = Trainer(TrainingConfig(dataset="mnist", train_size=500, hidden_layers=(64,), activations=("relu",)))
    trainer.train(1)
    picture = _picture(trainer)
    assert picture.image_inputs and picture.shown[0] == 1 and not picture.edges_drawn[0]
    W = trainer.network.weights[0]
    unit = 6
    expected = (W[:, unit] / np.abs(W[:, unit]).max()).reshape(28, 28)
    np.testing.assert_allclose(picture.thumbnails[1][unit], expected)
    payload = diagram_view.diagram_payload(PlaygroundState(trainer=trainer), trainer)
    # the pixels: one node, labelled with the image's size; no edges from them
    assert payload["image_side"] == 28 and payload["titles"][0] == ("Input", "784 pixels")
    assert payload["short_titles"][0] == ("In", "28×28") and payload["edges_drawn"][0] is False
    assert "784 incoming weights as the 28×28 image" in payload["legend_note"]
    # layer 1's pictures travel as 14 x 14: each pixel the mean of 2 x 2 weights (scaled to [-1, 1], as bytes)
    assert payload["thumb_sides"] == [0, 14, 0] and payload["thumb_flip"][1] is False
    thumbs = np.frombuffer(base64.b64decode(payload["thumbs"]), dtype=np.uint8)
    assert thumbs.size == picture.shown[1] * 14 * 14
    sent = thumbs.reshape(picture.shown[1], 14, 14)[unit] / 127.5 - 1
    means = expected.reshape(14, 2, 14, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(sent, means, atol=0.5 / 127.5 + 1e-9)
    assert len(json.dumps(payload)) < 12_000  # a frame while playing (28 x 28 bytes per unit would be 20 KB)


def test_payload_arrays_decode_to_the_pictures_numbers(trained):
    state = PlaygroundState(trainer=trained)
    payload = diagram_view.diagram_payload(state, trained)
    picture = _picture(trained)
    np.testing.assert_allclose(
        _floats(payload["weights"]), np.concatenate([w.ravel() for w in picture.weights]), rtol=1e-6
    )
    np.testing.assert_allclose(
        _floats(payload["grads"]), np.concatenate([g.ravel() for g in picture.gradients]), rtol=1e-6, atol=1e-30
    )
    thumbs = np.frombuffer(base64.b64decode(payload["thumbs"]), dtype=np.uint8)
    assert thumbs.size == sum(s * THUMBNAIL_SIDE**2 for s in picture.shown)
    assert payload["labels"][0] == ["X₁", "X₂"] and payload["labels"][1][0] == "h1.1"
    assert payload["editable"] is True
    state.replay_epoch = 0
    assert diagram_view.diagram_payload(state, trained)["editable"] is False


def test_a_weight_set_by_hand_is_where_training_continues(trained):
    initial = trained.initial_theta.copy()
    old = trained.set_parameter("weight", 1, 2, 0, 1.25)
    assert trained.network.weights[1][2, 0] == 1.25 and old != 1.25
    old_bias = float(trained.network.biases[0][3])
    assert trained.set_parameter("bias", 0, -1, 3, -0.5) == old_bias
    assert trained.network.biases[0][3] == -0.5
    edited = trained.network.theta.copy()
    trained.train(1)
    # The epoch started from the edited weights: the same as a fresh copy trained from them.
    twin = Trainer(trained.config)
    twin.train(7)
    twin.set_parameter("weight", 1, 2, 0, 1.25)
    twin.set_parameter("bias", 0, -1, 3, -0.5)
    np.testing.assert_array_equal(twin.network.theta, edited)
    twin.train(1)
    np.testing.assert_array_equal(twin.network.theta, trained.network.theta)
    trained.reset()
    np.testing.assert_array_equal(trained.network.theta, initial)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("weight", 5, 0, 0, 1.0), "layer must be a weight layer"),
        (("weight", 0, 2, 0, 1.0), "input 2 does not exist"),
        (("weight", 0, 0, 9, 1.0), "unit 9 does not exist"),
        (("weight", 0, 0, 0, float("nan")), "finite number"),
        (("weight", 0, 0, 0, float("inf")), "finite number"),
        (("weight", 0, 0, 0, MAX_EDITED_PARAMETER * 2), "at most"),
        (("colour", 0, 0, 0, 1.0), "kind must be"),
        (("weight", 0, 0, 0, True), "finite number"),
    ],
)
def test_a_weight_that_cannot_be_set_is_refused_with_the_reason(trained, args, message):
    theta = trained.network.theta.copy()
    with pytest.raises(ValueError, match=message):
        trained.set_parameter(*args)
    np.testing.assert_array_equal(trained.network.theta, theta)


def test_editing_from_the_diagram_says_what_changed_and_refuses_a_replay(trained):
    state = PlaygroundState(trainer=trained)
    what = diagram_view.parameter_name(trained, "weight", 0, 1, 2)
    assert what == "the weight X₂ → h1.3"
    assert session.edit_parameter(state, "A", "weight", 0, 1, 2, 0.75, what)
    assert trained.network.weights[0][1, 2] == 0.75
    assert "X₂ → h1.3" in state.messages[-1].text and "0.75" in state.messages[-1].text
    assert not session.edit_parameter(state, "A", "weight", 0, 1, 2, 1e9)
    assert state.messages[-1].level == "error" and trained.network.weights[0][1, 2] == 0.75
    state.replay_epoch = 0
    assert not session.edit_parameter(state, "A", "weight", 0, 1, 2, 0.1)
    assert "replay" in state.messages[-1].text and trained.network.weights[0][1, 2] == 0.75


def test_the_browsers_edit_message_is_parsed_and_junk_changes_nothing(trained, monkeypatch):
    state = PlaygroundState(trainer=trained)
    values = {}
    monkeypatch.setattr(diagram_view.st, "session_state", values)
    values["network"] = {"edit_weight": json.dumps({"kind": "bias", "layer": 1, "row": -1, "col": 0, "value": 2.5})}
    diagram_view.edit_from_browser(state, "network")
    assert trained.network.biases[1][0] == 2.5 and "the bias of h2.1" in state.messages[-1].text
    theta = trained.network.theta.copy()
    for junk in ["not json", json.dumps({"layer": "x"}), json.dumps([1, 2]), json.dumps({"kind": "weight"})]:
        values["network"] = {"edit_weight": junk}
        diagram_view.edit_from_browser(state, "network")
        np.testing.assert_array_equal(trained.network.theta, theta)


# ---- skip connections, normalisation and dropout --------------------------------------------------------
# Three hidden layers of 4 after 2 inputs: residual=True gives skips around layers 2 and 3 (equal widths).
DESIGNS = {
    "skips+batch-norm": {"residual": True, "normalization": "batch"},
    "skips+layer-norm+dropout": {"residual": True, "normalization": "layer", "dropout": 0.2},
    "batch-norm+dropout": {"normalization": "batch", "dropout": 0.3},
}


@pytest.fixture(params=list(DESIGNS.values()), ids=list(DESIGNS))
def designed(request) -> Trainer:
    """A run trained for 5 epochs (batch norm's running averages have moved, dropout has drawn masks)."""
    config = TrainingConfig(
        dataset="xor", hidden_layers=(4, 4, 4), activations=("tanh", "relu", "tanh"), **request.param
    )
    trainer = Trainer(config)
    trainer.train(5)
    return trainer


def _loss_with_nudged_output(network, X: np.ndarray, T: np.ndarray, h: int, i: int, j: int, eps: float) -> float:
    """The mean loss in "measure" mode when hidden layer h's output y[i, j] (after its skip) is moved by eps:
    the layers run one by one, so batch norm's statistics above h see the nudge, as backprop accounts for."""
    batch_pass = Pass(network, X.shape[0], "measure")
    a = X
    for k, block in enumerate(batch_pass.blocks):
        a = block.forward(a, "measure")
        if k == h:
            a = a.copy()
            a[i, j] += eps
    batch_pass.output.forward(a, "measure")
    return network.head.loss(batch_pass.output.z, T)


def test_new_layers_gradients_equal_the_engines_measure_pass_and_the_gradient_charts(designed):
    picture = _picture(designed)
    network = designed.network
    n = min(RECORD_POINTS, designed.y_train.shape[0])
    X, y = designed.X_train[:n], designed.y_train[:n]
    _, gradients = network.copy().loss_and_gradient(X, y, mode="measure")
    expected = network.copy(gradients).weights
    latest = designed.history.latest
    for layer in range(network.n_layers):
        np.testing.assert_allclose(picture.gradients[layer], expected[layer], rtol=1e-12, atol=1e-15)
        assert math.isclose(picture.gradient_norms[layer], latest[layer_column(GRAD_NORM, layer + 1)], rel_tol=1e-9)
        assert math.isclose(
            float(picture.unit_error[layer + 1].mean()), latest[layer_column(DELTA_MEAN_ABS, layer + 1)], rel_tol=1e-9
        )
    if network.normalization == "batch":
        # The mode matters: with the running averages ("predict") batch norm's gradients are other numbers.
        _, predicted = network.copy().loss_and_gradient(X, y, mode="predict")
        assert not np.allclose(network.copy(predicted).weights[0], expected[0], rtol=1e-6)
    np.testing.assert_array_equal(picture.gammas[1], network.gammas[0])
    np.testing.assert_array_equal(picture.betas[3], network.betas[2])
    assert picture.gammas[0].size == picture.gammas[4].size == 0  # no gamma for the inputs or the output


def test_unit_pictures_are_predictions_with_batch_norms_running_averages_as_the_boundary(designed):
    picture = _picture(designed)
    points = thumbnail_grid(DOMAIN_HALF_WIDTH)
    # The output's picture is the decision boundary's own function: P(blue) as 2p - 1.
    np.testing.assert_allclose(picture.thumbnails[4].ravel(), 2 * designed.predict_proba(points) - 1)
    predicted = designed.network.forward(designed.features(points), mode="predict")
    for k in (2, 3):
        y = predicted.activations[k]  # the layer's output after its skip
        bounded = designed.network.hidden_activation_names[k - 1] == "tanh" and not designed.network.skips[k - 1]
        # tanh keeps its own scale; x + tanh(z) (a skip) and ReLU have no fixed bound: scaled per unit
        scale = np.ones(y.shape[1]) if bounded else np.abs(y).max(axis=0)
        np.testing.assert_allclose(picture.thumbnails[k].reshape(4, -1), (y / scale).T)
    if designed.network.normalization == "batch":
        measured = designed.network.forward(designed.features(points), mode="measure")
        assert not np.allclose(picture.thumbnails[4].ravel(), 2 * measured.outputs[:, 0] - 1, atol=1e-3)


def test_the_skip_arcs_signal_is_the_gradient_of_the_layers_output_by_central_differences(designed):
    network = designed.network.copy()
    X, y = designed.X_train[:8], designed.y_train[:8]
    T = network.targets(y)
    picture = network_picture(network, designed.features(thumbnail_grid(DOMAIN_HALF_WIDTH)), X, y)
    assert picture.skips == network.skips == ([False, True, True] if network.residual else [False] * 3)
    eps = 1e-6
    for h in range(3):
        numeric = np.empty((8, 4))
        for i in range(8):
            for j in range(4):
                up = _loss_with_nudged_output(network, X, T, h, i, j, eps)
                down = _loss_with_nudged_output(network, X, T, h, i, j, -eps)
                numeric[i, j] = (up - down) / (2 * eps)
        # mean over the sample and the units of the per-example signal |n dL/dy|
        assert math.isclose(picture.output_signal[h], float(np.abs(numeric).mean()) * 8, rel_tol=1e-5), h


def test_the_payload_carries_the_arcs_badges_and_dropout_and_reserves_their_room():
    plain = TrainingConfig(hidden_layers=(8,) * 6, activations=("relu",) * 6)
    deep = TrainingConfig(**{**config_values(plain), "residual": True, "normalization": "batch", "dropout": 0.2})
    trainer = Trainer(deep)
    state = PlaygroundState(trainer=trainer)
    picture = diagram_view.picture_of(state, trainer)
    payload = diagram_view.diagram_payload(state, trainer)
    assert payload["skips"] == [False] + [True] * 5  # 2 inputs -> 8: no skip around the first layer
    assert payload["skip_signal"][0] is None
    assert payload["skip_signal"][1:] == pytest.approx(picture.output_signal[1:], rel=1e-5)
    assert payload["badges"] == [""] + ["BN"] * 6 + [""]
    gammas = _floats(payload["gammas"])
    np.testing.assert_allclose(gammas[:8], trainer.network.gammas[0], rtol=1e-6)
    assert gammas.size == 6 * 8 + 1 and np.isnan(gammas[-1])  # the output has no gamma
    assert payload["dropout"] == 0.2
    marks = [item["mark"] for item in payload["marks_legend"]]
    assert marks == ["arc", "badge", "dashed"]
    assert "output = input + layer" in payload["marks_legend"][0]["text"]
    assert "20%" in payload["marks_legend"][2]["text"]
    state.diagram_colouring = "gradients"
    assert "∂L/∂y" in diagram_view.diagram_payload(state, trainer)["marks_legend"][0]["text"]
    # The badge row, the arc band and the marks' legend add to the height; a plain network reserves none.
    plain_trainer = Trainer(plain)
    plain_state = PlaygroundState(trainer=plain_trainer)
    plain_payload = diagram_view.diagram_payload(plain_state, plain_trainer)
    assert plain_payload["marks_legend"] == [] and not any(plain_payload["skips"])
    assert payload["height"] > plain_payload["height"]
    # Compare mode, a plain run A beside run B with skips: both reserve the same room, so their rows line up.
    compared = PlaygroundState(trainer=plain_trainer, trainer_b=trainer)
    payloads = [diagram_view.diagram_payload(compared, t) for _, t in compared.runs]
    assert payloads[0]["reserve"] == payloads[1]["reserve"] and payloads[0]["reserve"]["arc_band"]
    assert payloads[0]["height"] == payloads[1]["height"]
    assert payloads[0]["marks_legend"] == [] and payloads[0]["reserve"]["marks"] == payloads[1]["marks_legend"]
