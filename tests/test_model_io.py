"""Saving and loading models: round trip, and a clear reason for every malformed file."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from playground.links.model_file import ModelFileError, model_from_json, model_to_json, read_model
from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer


def saved(config: TrainingConfig | None = None, epochs: int = 3) -> tuple[Trainer, str]:
    trainer = Trainer(config or TrainingConfig(hidden_layers=(5, 3), activations=("relu", "tanh")))
    trainer.train(epochs)
    return trainer, model_to_json(trainer.config, trainer.get_weights(), trainer.epoch)


def test_round_trip_restores_config_weights_and_predictions():
    trainer, text = saved()
    config, weights, epoch = model_from_json(text.encode())
    assert config == trainer.config and epoch == 3
    clone = Trainer(config)
    clone.set_weights(weights)
    points = np.random.default_rng(0).uniform(-6, 6, (50, 2))
    np.testing.assert_array_equal(clone.predict_proba(points), trainer.predict_proba(points))


def _mutate(change) -> bytes:
    _, text = saved()
    document = json.loads(text)
    change(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff\xfe\x00garbage", "not text"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "not a Backprop Playground model"),
        (b'{"format": "something-else"}', "not a Backprop Playground model"),
        (_mutate(lambda d: d.update(version=99)), "version 99"),
        (_mutate(lambda d: d.pop("config")), "no 'config'"),
        (_mutate(lambda d: d["config"].update(hidden_layers=[500])), "outside what this playground supports"),
        (_mutate(lambda d: d["config"].update(learning_rate="fast")), "should be a number"),
        (_mutate(lambda d: d["layers"].pop()), "holds 2"),
        (_mutate(lambda d: d["layers"][0].update(W=[[1.0, 2.0]])), "has shape (1, 2)"),
        (_mutate(lambda d: d["layers"][1].update(b=["a", "b", "c"])), "not an array of numbers"),
        (_mutate(lambda d: d["layers"][2].update(b=[float("nan")])), "NaN"),
        (b" " * 6_000_000, "at most 5 MB"),
    ],
)
def test_malformed_files_are_rejected_with_a_reason(data, reason):
    with pytest.raises(ModelFileError, match=None) as error:
        model_from_json(data)
    assert reason in str(error.value)


def test_loading_into_the_app_state_replaces_the_run_and_reset_returns_to_the_loaded_weights():
    from playground.ui.export import load_model_file
    from playground.ui.state import PlaygroundState

    source, text = saved(epochs=10)
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    assert load_model_file(state, "model.json", text.encode())
    assert state.trainer.config == source.config and state.trainer.epoch == 0
    np.testing.assert_array_equal(state.trainer.network.theta, source.network.theta)
    state.trainer.train(2)
    state.trainer.reset()
    np.testing.assert_array_equal(state.trainer.network.theta, source.network.theta)
    assert state.messages[-1].level == "success"


def test_a_bad_file_leaves_the_session_untouched_and_says_why():
    from playground.ui.export import load_model_file
    from playground.ui.state import PlaygroundState

    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    state.trainer.train(4)
    before = state.trainer
    assert not load_model_file(state, "notes.json", b'{"format": "backprop-playground-model", "version": 1}')
    assert state.trainer is before and state.trainer.epoch == 4
    assert state.messages[-1].level == "error" and "notes.json" in state.messages[-1].text


# ---- deep networks: skip connections, normalisation, dropout ---------------------------------------

DEEP = TrainingConfig(
    dataset="xor",
    n_points=200,
    hidden_layers=(6, 6, 6),
    activations=("relu", "tanh", "relu"),
    residual=True,
    normalization="batch",
    dropout=0.2,
    gradient_clip=2.0,
    batch_size=16,
)


def saved_deep(config: TrainingConfig = DEEP, epochs: int = 4) -> tuple[Trainer, str]:
    trainer = Trainer(config)
    trainer.train(epochs)
    return trainer, model_to_json(trainer.config, trainer.get_weights(), trainer.epoch, trainer.network)


@pytest.mark.parametrize("normalization", ["batch", "layer"])
def test_a_deep_model_round_trips_to_identical_predictions(normalization):
    source, text = saved_deep(replace(DEEP, normalization=normalization))
    document = json.loads(text)
    assert document["version"] == 2 and document["config"]["residual"] is True
    model = read_model(text.encode())
    assert model.config == source.config and model.epoch == 4
    loaded = model.trainer()
    assert loaded.epoch == 0 and loaded.network.skips == source.network.skips == [False, True, True]
    np.testing.assert_array_equal(loaded.network.theta, source.network.theta)  # W, b, gamma and beta
    np.testing.assert_array_equal(loaded.network.statistics, source.network.statistics)
    if normalization == "batch":  # the running averages moved away from their start, and were kept
        assert source.network.statistics.any()
    points = np.random.default_rng(0).uniform(-6, 6, (50, 2))
    np.testing.assert_array_equal(loaded.predict_proba(points), source.predict_proba(points))
    # Reset returns to the loaded parameters and running averages, not to fresh ones.
    loaded.train(2)
    loaded.reset()
    np.testing.assert_array_equal(loaded.network.theta, source.network.theta)
    np.testing.assert_array_equal(loaded.network.statistics, source.network.statistics)
    # The three-part reading gives the dense layers of the same file.
    config, weights, epoch = model_from_json(text)
    assert config == source.config and epoch == 4
    for (W, b), (W_source, b_source) in zip(weights, source.get_weights()):
        np.testing.assert_array_equal(W, W_source)
        np.testing.assert_array_equal(b, b_source)


def test_the_app_loads_a_deep_model_with_its_gamma_beta_and_running_averages():
    from playground.ui.export import load_model_file
    from playground.ui.state import PlaygroundState

    source, text = saved_deep()
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    assert load_model_file(state, "deep.json", text.encode()), state.messages[-1].text
    np.testing.assert_array_equal(state.trainer.network.theta, source.network.theta)
    np.testing.assert_array_equal(state.trainer.network.statistics, source.network.statistics)
    points = np.random.default_rng(1).uniform(-6, 6, (30, 2))
    np.testing.assert_array_equal(state.trainer.predict_proba(points), source.predict_proba(points))


def test_a_normalised_model_is_not_saved_without_its_network():
    trainer = Trainer(DEEP)
    with pytest.raises(ValueError, match="gamma and beta"):
        model_to_json(trainer.config, trainer.get_weights(), 0)


def test_a_plain_model_is_still_written_as_version_1_and_old_files_load():
    _, text = saved()
    document = json.loads(text)
    assert document["version"] == 1 and "gamma" not in document["layers"][0]
    for name in ("residual", "normalization", "dropout", "gradient_clip"):  # a file from before these fields
        document["config"].pop(name)
    config, weights, _ = model_from_json(json.dumps(document))
    assert (config.residual, config.normalization, config.dropout, config.gradient_clip) == (False, "none", 0.0, 0.0)
    assert len(weights) == 3
    # A plain network may still have skips: that needs version 2.
    _, text = saved(replace(TrainingConfig(hidden_layers=(3, 3), activations=("tanh", "tanh")), residual=True))
    assert json.loads(text)["version"] == 2


def _mutate_deep(change) -> bytes:
    _, text = saved_deep(epochs=1)
    document = json.loads(text)
    change(document)
    return json.dumps(document).encode()


def _set_running(layer: int, **values):
    return lambda d: d["layers"][layer]["running"].update(values)


@pytest.mark.parametrize(
    "data, reason",
    [
        (_mutate_deep(lambda d: d["layers"][0].update(gamma=[1.0, 1.0])), "layer 1 gamma has shape (2,)"),
        (_mutate_deep(lambda d: d["layers"][1].update(beta=[[0.0] * 6])), "layer 2 beta has shape (1, 6)"),
        (_mutate_deep(lambda d: d["layers"][2].pop("gamma")), "Layer 3 has no 'gamma'"),
        (_mutate_deep(lambda d: d["layers"][0].update(gamma=[float("inf")] * 6)), "layer 1 gamma contains NaN"),
        (_mutate_deep(lambda d: d["layers"][0].pop("running")), "no 'running' averages"),
        (_mutate_deep(_set_running(1, mean=[0.0])), "layer 2 running mean has shape (1,)"),
        (_mutate_deep(_set_running(0, variance=[-1.0] * 6)), "layer 1 running variance has negative values"),
        (_mutate_deep(_set_running(0, batches=-2)), "layer 1 running batches should be a whole number"),
        (_mutate_deep(_set_running(0, batches=2.5)), "layer 1 running batches should be a whole number"),
        (_mutate_deep(lambda d: d["config"].update(residual=1)), "config.residual should be true or false"),
        (_mutate_deep(lambda d: d["config"].update(residual="yes")), "config.residual should be true or false"),
        (_mutate_deep(lambda d: d["config"].update(normalization="group")), "normalization"),
        (_mutate_deep(lambda d: d["config"].update(dropout=0.9)), "dropout"),
        (_mutate_deep(lambda d: d["config"].update(dropout=True)), "config.dropout should be a number"),
        (_mutate_deep(lambda d: d["config"].update(gradient_clip=-1)), "gradient_clip"),
        (_mutate_deep(lambda d: d["config"].update(batch_size=1)), "batch_size must be at least 2"),
        (_mutate_deep(lambda d: d.update(version=3)), "version 3 is not supported"),
        (_mutate_deep(lambda d: d.update(version=True)), "version True is not supported"),
    ],
)
def test_malformed_deep_files_are_rejected_naming_what_is_wrong(data, reason):
    with pytest.raises(ModelFileError) as error:
        read_model(data)
    assert reason in str(error.value)


def test_a_false_residual_in_a_file_loads_a_network_without_skips():
    def flip(d):
        d["config"]["residual"] = False

    model = read_model(_mutate_deep(flip))
    assert model.config.residual is False and model.trainer().network.skips == [False, False, False]
