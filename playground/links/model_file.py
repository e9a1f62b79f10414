"""Save and load a model (its settings and parameters) as JSON; every malformed file gets a clear reason.

Format:
    {"format": "backprop-playground-model", "version": 2, "epoch": 120,
     "config": {...TrainingConfig fields...},
     "layers": [{"W": [[...], ...], "b": [...]}, ...]}   # W_l: (fan_in, fan_out), b_l: (fan_out,)
A normalised network's hidden layers (config.normalization "batch" or "layer") also hold "gamma" and
"beta" (width,); with batch norm also "running": {"mean": (width,), "variance": (width,), "batches": t},
its running averages as stored (bias-corrected when used: ``playground.engine.layers.RunningStatistics``).
config.residual is a JSON true or false.
config.user_data (your own data, dataset "custom"): null, or {"classes": K, "based_on": name,
"points": [[x1, x2, label or target, 1 = train / 0 = test], ...]} (playground.data.userdata.to_json_value).

Versions: a model with skip connections or normalisation is written as version 2, so that a playground
older than those layers refuses it instead of silently loading a different network; any other model is
written as version 1, as before (an older playground ignores the config fields it does not know, dropout
and gradient_clip, which are training settings). Both versions are read; a version 1 file holds no
gamma, beta or running averages (its network had none).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields

import numpy as np

from playground.data.userdata import UserDataError, from_json_value, to_json_value
from playground.engine.network import Network, parameter_count
from playground.training.config import TrainingConfig, quoted
from playground.training.trainer import Trainer

FORMAT = "backprop-playground-model"
VERSION = 2  # the newest version written (see the notes above for which one a model gets)
PLAIN_VERSION = 1  # a network without skips or normalisation: readable by every playground
SUPPORTED_VERSIONS = (1, 2)
MAX_FILE_BYTES = 5_000_000  # the largest network (32 x 64, ~135k parameters) saves to about 3 MB


class ModelFileError(ValueError):
    """The file is not a model this playground can load; the message says why, for the user."""


@dataclass
class SavedModel:
    """A model file's content.

    weights: [(W_l (fan_in, fan_out), b_l (fan_out,)), ...] per weight layer, as ``Trainer.get_weights``.
    gammas, betas: one (width,) array per hidden layer of a normalised network (else empty lists).
    statistics: batch norm's running averages in ``network.statistics``' layout (else empty).
    """

    config: TrainingConfig
    weights: list[tuple[np.ndarray, np.ndarray]]
    epoch: int
    gammas: list[np.ndarray]
    betas: list[np.ndarray]
    statistics: np.ndarray

    def trainer(self) -> Trainer:
        """A Trainer of the saved config starting from the saved parameters at epoch 0 (Reset returns to them)."""
        trainer = Trainer(self.config)
        trainer.start_from(self.weights, self.gammas, self.betas, self.statistics)
        return trainer


def _layout_network(config: TrainingConfig) -> Network:
    """A network of the config's design: its views say where gamma, beta and the running averages go."""
    return Network(
        config.layer_sizes,
        list(config.activations),
        head=config.head,
        residual=config.residual,
        normalization=config.normalization,
    )


def model_to_json(
    config: TrainingConfig,
    weights: list[tuple[np.ndarray, np.ndarray]],
    epoch: int,
    network: Network | None = None,
) -> str:
    """JSON text of a config and its weights [(W_l (fan_in, fan_out), b_l (fan_out,)), ...].

    ``network``: the network the weights are from (``trainer.network``); its gamma, beta and batch norm's
    running averages are saved with them. Needed when ``config.normalization`` is not "none" (ValueError
    otherwise: the file would not give back the same predictions).
    """
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    values["user_data"] = None if config.user_data is None else to_json_value(config.user_data)
    layers = [{"W": W.tolist(), "b": b.tolist()} for W, b in weights]
    if config.normalization != "none":
        if network is None or network.normalization != config.normalization:
            raise ValueError(
                f"a network with normalization={config.normalization!r} is saved with its gamma and beta: "
                "pass network= (the trainer's network)"
            )
        for h, (gamma, beta) in enumerate(zip(network.gammas, network.betas)):
            layers[h]["gamma"], layers[h]["beta"] = gamma.tolist(), beta.tolist()
        for h, running in enumerate(network.running):
            layers[h]["running"] = {
                "mean": running.mean.tolist(),
                "variance": running.variance.tolist(),
                "batches": int(running.steps[0]),
            }
    document = {
        "format": FORMAT,
        "version": VERSION if config.residual or config.normalization != "none" else PLAIN_VERSION,
        "epoch": int(epoch),
        "config": {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()},
        "layers": layers,
    }
    return json.dumps(document)


def model_from_json(data: bytes | str) -> tuple[TrainingConfig, list[tuple[np.ndarray, np.ndarray]], int]:
    """Parse a model file: (config, the dense layers' weights, epoch). ``read_model`` gives everything,
    gamma, beta and batch norm's running averages included. Raises ModelFileError with a reason."""
    model = read_model(data)
    return model.config, model.weights, model.epoch


def read_model(data: bytes | str) -> SavedModel:
    """Parse a model file. Raises ModelFileError with a reason a user can act on."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise ModelFileError(
                f"The file is {len(data) / 1e6:.1f} MB; a model file is at most {MAX_FILE_BYTES // 1_000_000} MB."
            )
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError("The file is not text (UTF-8): it is not a model saved by this playground.") from None
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"The file is not valid JSON ({error.msg} at line {error.lineno}).") from None
    except RecursionError:
        raise ModelFileError("The file nests lists or objects too deeply to be a model file.") from None
    except ValueError:  # a number of thousands of digits (Python refuses to convert it)
        raise ModelFileError("The file holds a number too long to read: it is not a model file.") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(
            "This JSON file is not a Backprop Playground model (its 'format' field is missing or different)."
        )
    version = document.get("version")
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        raise ModelFileError(
            f"Model file version {quoted(version)} is not supported (expected one of {list(SUPPORTED_VERSIONS)})."
        )
    config = _config_from(document.get("config"))
    layers = document.get("layers")
    sizes = config.layer_sizes
    if not isinstance(layers, list) or len(layers) != len(sizes) - 1:
        held = len(layers) if isinstance(layers, list) else "none"
        raise ModelFileError(f"The file's settings need {len(sizes) - 1} weight layers, but it holds {held}.")
    weights = []
    for index, (layer, fan_in, fan_out) in enumerate(zip(layers, sizes[:-1], sizes[1:]), start=1):
        if not isinstance(layer, dict):
            raise ModelFileError(f"Layer {index} is not an object with 'W' and 'b'.")
        W = _array(layer.get("W"), (fan_in, fan_out), f"layer {index} W")
        b = _array(layer.get("b"), (fan_out,), f"layer {index} b")
        weights.append((W, b))
    assert sum(W.size + b.size for W, b in weights) == parameter_count(sizes)
    gammas, betas, statistics = _normalization_from(layers, config)
    epoch = document.get("epoch", 0)
    epoch = int(epoch) if isinstance(epoch, (int, float)) and math.isfinite(epoch) and epoch >= 0 else 0
    return SavedModel(config, weights, epoch, gammas, betas, statistics)


def _normalization_from(layers: list, config: TrainingConfig) -> tuple[list, list, np.ndarray]:
    """The hidden layers' gamma and beta and batch norm's running averages (``network.statistics``)."""
    network = _layout_network(config)
    if config.normalization == "none":
        return [], [], network.statistics
    norm = f"{config.normalization} norm"
    gammas, betas = [], []
    for index, (layer, width) in enumerate(zip(layers, config.hidden_layers), start=1):
        for key, arrays in (("gamma", gammas), ("beta", betas)):
            if key not in layer:
                raise ModelFileError(f"Layer {index} has no '{key}', which its {norm} needs.")
            arrays.append(_array(layer[key], (width,), f"layer {index} {key}"))
        if config.normalization == "batch":
            running = layer.get("running")
            if not isinstance(running, dict):
                raise ModelFileError(
                    f"Layer {index} has no 'running' averages (mean, variance), which batch norm needs."
                )
            stored = network.running[index - 1]
            stored.mean[...] = _array(running.get("mean"), (width,), f"layer {index} running mean")
            variance = _array(running.get("variance"), (width,), f"layer {index} running variance")
            if np.any(variance < 0):
                raise ModelFileError(f"layer {index} running variance has negative values.")
            stored.variance[...] = variance
            batches = running.get("batches")
            if isinstance(batches, bool) or not isinstance(batches, int) or batches < 0:
                raise ModelFileError(
                    f"layer {index} running batches should be a whole number of batches, got {quoted(batches)}."
                )
            stored.steps[...] = batches
    return gammas, betas, network.statistics


def _config_from(raw) -> TrainingConfig:
    if not isinstance(raw, dict):
        raise ModelFileError("The file has no 'config' object describing the network.")
    known = {f.name: f for f in fields(TrainingConfig)}
    values = {}
    for name, value in raw.items():
        if name not in known:
            continue
        if name == "user_data":
            try:
                values[name] = None if value is None else from_json_value(value)
            except UserDataError as error:
                raise ModelFileError(f"The file's own data (config.user_data) cannot be used: {error}.") from None
            continue
        default = getattr(TrainingConfig(), name)
        if isinstance(default, bool):  # before the numbers: a bool is an int to Python
            if not isinstance(value, bool):
                raise ModelFileError(f"config.{name} should be true or false, got {value!r:.40}.")
        elif isinstance(default, tuple):
            if not isinstance(value, list):
                raise ModelFileError(f"config.{name} should be a list.")
            value = tuple(value)
        elif isinstance(default, (int, float)) and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise ModelFileError(f"config.{name} should be a number, got {value!r:.40}.")
        values[name] = value
    try:
        return TrainingConfig(**values)
    except (TypeError, ValueError) as error:
        if any(name in str(error) for name in ("hidden_layers", "activations", "features")):
            raise ModelFileError(
                "The file's network (layers, activations or input features) is outside what this playground "
                f"supports: {error}."
            ) from None
        raise ModelFileError(f"The file's settings are not valid ({error}).") from None


def _array(value, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelFileError(f"{name} is not an array of numbers.") from None
    if array.shape != shape:
        raise ModelFileError(f"{name} has shape {array.shape}, but the network needs {shape}.")
    if not np.all(np.isfinite(array)):
        raise ModelFileError(f"{name} contains NaN or infinite values.")
    return array
