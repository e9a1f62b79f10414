"""The whole experiment as one frozen dataclass, with its bounds and URL form.

Every control in the UI is a field here; ``sanitize`` clamps any value into
its range (so a strange URL or a script cannot produce an impossible network),
and ``to_query``/``from_query`` round-trip the config through URL parameters.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from playground.activations import ACTIVATIONS
from playground.datasets import DATASETS, FEATURES, MAX_NOISE, MAX_POINTS, MIN_POINTS
from playground.initializers import INITIALIZERS
from playground.losses import REGULARIZERS
from playground.optimizers import OPTIMIZERS

MAX_HIDDEN_LAYERS = 12
MAX_NEURONS = 64
MIN_LEARNING_RATE, MAX_LEARNING_RATE = 1e-5, 10.0
MAX_REGULARIZATION_RATE = 10.0
MIN_SIGMA, MAX_SIGMA = 1e-3, 10.0
MIN_TRAIN_FRACTION, MAX_TRAIN_FRACTION = 0.1, 0.9
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class TrainingConfig:
    # Data
    dataset: str = "circle"
    n_points: int = 500  # TF Playground's 500 points
    noise: float = 0.0  # fraction 0-0.5 of the domain, like its 0-50 % slider
    train_fraction: float = 0.5  # its default 50 % train
    data_seed: int = 0  # same seed, same points: a class sees one dataset
    features: tuple[str, ...] = ("x1", "x2")
    # Network
    hidden_layers: tuple[int, ...] = (4, 2)  # TF Playground's default
    activations: tuple[str, ...] = ("tanh", "tanh")  # one per hidden layer
    initializer: str = "glorot_uniform"  # a sane default; the lessons change it
    init_sigma: float = 0.1  # only for N(0, sigma^2) and identity x sigma
    weight_seed: int = 0  # same seed, same initial weights and batch order: exact replay
    # Training
    optimizer: str = "sgd"
    learning_rate: float = 0.03  # TF Playground's default
    batch_size: int = 10  # TF Playground's default
    regularization: str = "none"
    regularization_rate: float = 0.0

    @property
    def layer_sizes(self) -> list[int]:
        return [len(self.features), *self.hidden_layers, 1]

    @property
    def n_train(self) -> int:
        n_train = int(round(self.train_fraction * self.n_points))
        return min(max(n_train, 1), self.n_points - 1)

    def with_activation_for_all(self, activation: str) -> "TrainingConfig":
        return replace(self, activations=(activation,) * len(self.hidden_layers))


def _clamp(value: float, low: float, high: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return low
    if math.isnan(value):
        return low
    return min(max(value, low), high)


def _clamp_int(value: float, low: int, high: int) -> int:
    return int(round(_clamp(value, low, high)))


def sanitize(config: TrainingConfig) -> TrainingConfig:
    """The nearest valid config: every number clamped, every name checked, lengths matched."""
    hidden = tuple(_clamp_int(h, 1, MAX_NEURONS) for h in config.hidden_layers[:MAX_HIDDEN_LAYERS])
    activations = tuple(a if a in ACTIVATIONS else "tanh" for a in config.activations)[: len(hidden)]
    activations += (activations[-1] if activations else "tanh",) * (len(hidden) - len(activations))
    features = tuple(dict.fromkeys(f for f in config.features if f in FEATURES)) or ("x1", "x2")
    n_points = _clamp_int(config.n_points, MIN_POINTS, MAX_POINTS)
    return replace(
        config,
        dataset=config.dataset if config.dataset in DATASETS else "circle",
        n_points=n_points,
        noise=_clamp(config.noise, 0.0, MAX_NOISE),
        train_fraction=_clamp(config.train_fraction, MIN_TRAIN_FRACTION, MAX_TRAIN_FRACTION),
        data_seed=_clamp_int(config.data_seed, 0, MAX_SEED),
        features=features,
        hidden_layers=hidden,
        activations=activations,
        initializer=config.initializer if config.initializer in INITIALIZERS else "glorot_uniform",
        init_sigma=_clamp(config.init_sigma, MIN_SIGMA, MAX_SIGMA),
        weight_seed=_clamp_int(config.weight_seed, 0, MAX_SEED),
        optimizer=config.optimizer if config.optimizer in OPTIMIZERS else "sgd",
        learning_rate=_clamp(config.learning_rate, MIN_LEARNING_RATE, MAX_LEARNING_RATE),
        batch_size=_clamp_int(config.batch_size, 1, MAX_POINTS),
        regularization=config.regularization if config.regularization in REGULARIZERS else "none",
        regularization_rate=_clamp(config.regularization_rate, 0.0, MAX_REGULARIZATION_RATE),
    )


# Fields that, when changed, need new data / a new network; the rest apply to a running trainer.
DATA_FIELDS = frozenset({"dataset", "n_points", "noise", "train_fraction", "data_seed"})
NETWORK_FIELDS = frozenset({"features", "hidden_layers", "activations", "initializer", "init_sigma", "weight_seed"})


def to_query(config: TrainingConfig) -> dict[str, str]:
    """URL query parameters for the fields that differ from the defaults."""
    default = asdict(TrainingConfig())
    query = {}
    for name, value in asdict(config).items():
        if value != default[name]:
            query[name] = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return query


def from_query(query: dict[str, str | list[str]]) -> tuple[TrainingConfig, list[str]]:
    """Parse URL parameters into a sanitized config, plus a message per value that was ignored.

    Never raises: a malformed value keeps the default and is reported.
    """
    defaults = TrainingConfig()
    values, problems = {}, []
    by_name = {f.name: f for f in fields(TrainingConfig)}
    for name, raw in query.items():
        if name not in by_name or (isinstance(raw, list) and not raw):
            continue  # other parameters (e.g. a lesson name) belong to the UI; an empty list carries no value
        text = str(raw[-1]) if isinstance(raw, list) else str(raw)
        default = getattr(defaults, name)
        try:
            if isinstance(default, tuple):
                parts = [p.strip() for p in text.split(",") if p.strip()]
                values[name] = tuple(int(p) for p in parts) if name == "hidden_layers" else tuple(parts)
            elif isinstance(default, bool):
                values[name] = text.lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                values[name] = int(float(text))
            elif isinstance(default, float):
                number = float(text)
                if not math.isfinite(number):
                    raise ValueError("not a finite number")
                values[name] = number
            else:
                values[name] = text
        except (ValueError, OverflowError):
            problems.append(f"Ignored {name}={text!r} from the URL: not a valid value.")
    config = replace(defaults, **values)
    if "hidden_layers" in values and "activations" not in values:
        config = config.with_activation_for_all("tanh")
    clean = sanitize(config)
    for name in values:
        if getattr(clean, name) != getattr(config, name):
            problems.append(f"{name} from the URL was out of range and was set to {getattr(clean, name)!r}.")
    return clean, problems
