"""Saving and loading models: round trip, and a clear reason for every malformed file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from playground.links.model_file import ModelFileError, model_from_json, model_to_json
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
