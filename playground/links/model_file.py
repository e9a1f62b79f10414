"""Save and load a model (its settings and weights) as JSON; every malformed file gets a clear reason.

Format (version 1):
    {"format": "backprop-playground-model", "version": 1, "epoch": 120,
     "config": {...TrainingConfig fields...},
     "layers": [{"W": [[...], ...], "b": [...]}, ...]}   # W_l: (fan_in, fan_out), b_l: (fan_out,)
config.user_data (your own data, dataset "custom"): null, or {"classes": K, "based_on": name,
"points": [[x1, x2, label or target, 1 = train / 0 = test], ...]} (playground.data.userdata.to_json_value).
"""

from __future__ import annotations

import json
import math
from dataclasses import fields

import numpy as np

from playground.data.userdata import UserDataError, from_json_value, to_json_value
from playground.engine.network import parameter_count
from playground.training.config import TrainingConfig, quoted

FORMAT = "backprop-playground-model"
VERSION = 1
MAX_FILE_BYTES = 5_000_000  # the largest network (32 x 64, ~135k parameters) saves to about 3 MB


class ModelFileError(ValueError):
    """The file is not a model this playground can load; the message says why, for the user."""


def model_to_json(config: TrainingConfig, weights: list[tuple[np.ndarray, np.ndarray]], epoch: int) -> str:
    """JSON text of a config and its weights [(W_l (fan_in, fan_out), b_l (fan_out,)), ...]."""
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    values["user_data"] = None if config.user_data is None else to_json_value(config.user_data)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": int(epoch),
        "config": {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()},
        "layers": [{"W": W.tolist(), "b": b.tolist()} for W, b in weights],
    }
    return json.dumps(document)


def model_from_json(data: bytes | str) -> tuple[TrainingConfig, list[tuple[np.ndarray, np.ndarray]], int]:
    """Parse a model file: (config, weights, epoch). Raises ModelFileError with a reason a user can act on."""
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
    if document.get("version") != VERSION:
        version = quoted(document.get("version"))
        raise ModelFileError(f"Model file version {version} is not supported (expected {VERSION}).")
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
    epoch = document.get("epoch", 0)
    epoch = int(epoch) if isinstance(epoch, (int, float)) and math.isfinite(epoch) and epoch >= 0 else 0
    return config, weights, epoch


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
        if isinstance(default, tuple):
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
