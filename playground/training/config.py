"""The whole experiment as one frozen dataclass, with every field's bounds in one table.

``FIELDS`` says, per field, what values are allowed. Both ways of building a config read it:
- from code, ``TrainingConfig(...)`` (and ``dataclasses.replace``) raises ``ValueError`` naming the
  field and what it allows for anything it cannot honour: a scripting user sees no warnings, so a
  setting must never be silently changed;
- from the URL, a model file or the UI, ``clamp_values`` moves each value to the nearest allowed
  one and says what it changed, so a strange URL never breaks the app.
``to_query``/``from_query`` round-trip the config through URL parameters.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

import numpy as np

from playground.data.datasets import (
    DATASETS,
    DEFAULT_FEATURES,
    FEATURES,
    MAX_CLASSES,
    MAX_NOISE,
    MAX_POINTS,
    MAX_TRAIN_SIZE,
    MIN_CLASSES,
    MIN_POINTS,
    MIN_TRAIN_SIZE,
    MNIST_TEST_SIZE,
    USER_DATASET,
)
from playground.data.userdata import MAX_LINK_DATA_CHARS, UserData, UserDataError, from_url_text, to_url_text
from playground.engine.activations import ACTIVATIONS
from playground.engine.heads import HEAD_FOR_PROBLEM
from playground.engine.initializers import INITIALIZERS
from playground.engine.losses import REGULARIZERS
from playground.engine.network import MAX_DROPOUT, NORMALIZATIONS
from playground.engine.optimizers import OPTIMIZERS
from playground.training.schedules import LR_SCHEDULES

# Deep enough for He et al.'s 30-layer ReLU experiment (Xavier stalls, He trains).
MAX_HIDDEN_LAYERS = 32
MAX_NEURONS = 64
MIN_LEARNING_RATE, MAX_LEARNING_RATE = 1e-5, 10.0
MAX_REGULARIZATION_RATE = 10.0
MIN_SIGMA, MAX_SIGMA = 1e-3, 10.0
MIN_TRAIN_FRACTION, MAX_TRAIN_FRACTION = 0.1, 0.9
MAX_SEED = 2**31 - 1
MAX_GRADIENT_CLIP = 100.0  # a larger global norm never binds on these networks' gradients
MAX_LABEL_NOISE = 0.5  # beyond half the labels flipped, the "noise" is the signal
MAX_PATIENCE = 10_000  # early stopping's patience, in epochs
MAX_SCHEDULE_EPOCHS = 100_000


def next_seed(seed: int) -> int:
    """The seed after ``seed`` (New data, New weights), wrapping around to 0 after MAX_SEED."""
    return (seed + 1) % (MAX_SEED + 1)


@dataclass(frozen=True)
class Bound:
    """What one field allows. kind: "int", "float", "choice" (one of ``choices``), "names" (a
    non-empty tuple of distinct ``choices``), "layers" (a tuple of ints in [low, high], at most
    ``max_length`` long), "per_layer" (one of ``choices`` per hidden layer) or "user_data" (None or a
    ``playground.data.userdata.UserData``, which checks itself)."""

    kind: str
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()
    max_length: int = 0

    def describe(self) -> str:
        if self.kind in ("int", "float"):
            return f"a number from {self.low:g} to {self.high:g}"
        if self.kind == "choice":
            return f"one of {list(self.choices)}"
        if self.kind == "bool":
            return "True or False"
        if self.kind == "names":
            return f"a non-empty tuple of distinct names from {list(self.choices)}"
        if self.kind == "user_data":
            return f"None, or a playground.data.userdata.UserData with dataset={USER_DATASET!r}"
        if self.kind == "layers":
            return f"a tuple of up to {self.max_length} layer widths, each from {self.low:g} to {self.high:g}"
        return f"a tuple with one name per hidden layer, each one of {list(self.choices)}"


FIELDS: dict[str, Bound] = {
    "dataset": Bound("choice", choices=tuple(DATASETS)),
    "n_classes": Bound("int", MIN_CLASSES, MAX_CLASSES),
    "n_points": Bound("int", MIN_POINTS, MAX_POINTS),
    "noise": Bound("float", 0.0, MAX_NOISE),
    "train_fraction": Bound("float", MIN_TRAIN_FRACTION, MAX_TRAIN_FRACTION),
    "data_seed": Bound("int", 0, MAX_SEED),
    "train_size": Bound("int", MIN_TRAIN_SIZE, MAX_TRAIN_SIZE),
    "features": Bound("names", choices=tuple(FEATURES)),
    "hidden_layers": Bound("layers", 1, MAX_NEURONS, max_length=MAX_HIDDEN_LAYERS),
    "activations": Bound("per_layer", choices=tuple(ACTIVATIONS)),
    "initializer": Bound("choice", choices=tuple(INITIALIZERS)),
    "init_sigma": Bound("float", MIN_SIGMA, MAX_SIGMA),
    "weight_seed": Bound("int", 0, MAX_SEED),
    "optimizer": Bound("choice", choices=tuple(OPTIMIZERS)),
    "learning_rate": Bound("float", MIN_LEARNING_RATE, MAX_LEARNING_RATE),
    "batch_size": Bound("int", 1, MAX_POINTS),
    "regularization": Bound("choice", choices=tuple(REGULARIZERS)),
    "regularization_rate": Bound("float", 0.0, MAX_REGULARIZATION_RATE),
    "residual": Bound("bool"),
    "normalization": Bound("choice", choices=NORMALIZATIONS),
    "dropout": Bound("float", 0.0, MAX_DROPOUT),
    "gradient_clip": Bound("float", 0.0, MAX_GRADIENT_CLIP),
    "label_noise": Bound("float", 0.0, MAX_LABEL_NOISE),
    "early_stopping": Bound("int", 0, MAX_PATIENCE),
    "lr_schedule": Bound("choice", choices=LR_SCHEDULES),
    "lr_decay_epochs": Bound("int", 1, MAX_SCHEDULE_EPOCHS),
    "lr_step_factor": Bound("float", 0.01, 1.0),
    "lr_warmup_epochs": Bound("int", 1, MAX_SCHEDULE_EPOCHS),
    "user_data": Bound("user_data"),
}


@dataclass(frozen=True)
class TrainingConfig:
    # Data
    dataset: str = "circle"  # see playground.data.datasets.DATASETS; the dataset implies the problem
    n_classes: int = 2  # classes of "spiral" and "blobs" (2 is binary); other datasets fix their own
    n_points: int = 500  # TF Playground's 500 points (the image sets have their own size; MNIST: train_size)
    noise: float = 0.0  # fraction 0-0.5 of the domain, like its 0-50 % slider (2D datasets only)
    train_fraction: float = 0.5  # its default 50 % train (not MNIST: its 2,000 test images are fixed)
    data_seed: int = 0  # same seed, same points: a class sees one dataset (MNIST: which 2,000 are the test set)
    # MNIST only: training images (100-8,000, the first of the 8,000 not in its test set); n_points, noise and
    # train_fraction do not apply to MNIST, and train_size applies to nothing else.
    train_size: int = MAX_TRAIN_SIZE
    features: tuple[str, ...] = DEFAULT_FEATURES  # 2D datasets only; images feed their pixels
    # Network
    hidden_layers: tuple[int, ...] = (4, 2)  # TF Playground's default
    activations: tuple[str, ...] | None = None  # one per hidden layer; None: tanh everywhere
    initializer: str = "glorot_uniform"  # a sane default; the lessons change it
    init_sigma: float = 0.1  # only for N(0, sigma^2) and identity x sigma
    weight_seed: int = 0  # same seed, same initial weights and batch order: exact replay
    # Training
    optimizer: str = "sgd"
    learning_rate: float = 0.03  # TF Playground's default
    batch_size: int = 10  # TF Playground's default
    regularization: str = "none"
    regularization_rate: float = 0.0
    # Deep networks: the cures for vanishing and exploding gradients (playground.engine.layers)
    residual: bool = False  # a skip connection around every hidden layer whose input and output widths match
    normalization: str = "none"  # "batch" or "layer": between each hidden layer's dense part and its activation
    dropout: float = 0.0  # share of hidden outputs dropped while training (inverted: predictions use all)
    gradient_clip: float = 0.0  # 0: off; else the largest global gradient norm a step may use
    # Overfitting and the learning rate
    label_noise: float = 0.0  # share of *training* labels flipped (seeded by data_seed); test labels stay clean
    early_stopping: int = 0  # 0: off; else stop when the test loss has not improved for this many epochs
    lr_schedule: str = "constant"  # "step", "cosine" or "warmup" (playground.training.schedules)
    lr_decay_epochs: int = 100  # step: epochs between drops; cosine and warmup: epochs of the decay
    lr_step_factor: float = 0.5  # step: the rate is multiplied by this at each drop
    lr_warmup_epochs: int = 20  # warmup: epochs of the linear ramp up to learning_rate
    # Your own data (dataset "custom"): the points, labels or targets and split (playground.data.userdata).
    # With it, n_classes, n_points, noise, train_fraction and data_seed do not apply.
    user_data: UserData | None = None

    def __post_init__(self) -> None:
        # Lists are accepted from code and stored as tuples, so configs stay hashable and comparable.
        for name in ("features", "hidden_layers", "activations"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.activations is None and isinstance(self.hidden_layers, tuple):
            object.__setattr__(self, "activations", ("tanh",) * len(self.hidden_layers))
        problems = config_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        # Whole numbers given as floats (10.0) or NumPy scalars are stored as plain int and float.
        for name, bound in FIELDS.items():
            value = getattr(self, name)
            if bound.kind == "int":
                object.__setattr__(self, name, int(value))
            elif bound.kind == "float":
                object.__setattr__(self, name, float(value))
            elif bound.kind == "layers":
                object.__setattr__(self, name, tuple(int(width) for width in value))
            elif bound.kind == "bool":
                object.__setattr__(self, name, bool(value))

    # ---- what the settings imply -------------------------------------------------------------
    @property
    def problem(self) -> str:
        """ "binary", "multiclass" or "regression", implied by the dataset (and n_classes)."""
        if self.user_data is not None:
            return self.user_data.problem
        return DATASETS[self.dataset].problem_for(self.n_classes)

    @property
    def head(self) -> str:
        return HEAD_FOR_PROBLEM[self.problem].name

    @property
    def classes(self) -> int:
        """How many classes the labels have (0 for regression)."""
        if self.user_data is not None:
            return self.user_data.classes
        return DATASETS[self.dataset].classes(self.n_classes)

    @property
    def n_inputs(self) -> int:
        return DATASETS[self.dataset].n_inputs or len(self.features)

    @property
    def n_outputs(self) -> int:
        return self.classes if self.problem == "multiclass" else 1

    @property
    def layer_sizes(self) -> list[int]:
        return [self.n_inputs, *self.hidden_layers, self.n_outputs]

    @property
    def n_examples(self) -> int:
        """Examples in the dataset: ``n_points``, the image set's fixed size, or the user data's points (MNIST:
        the training images used and its test set)."""
        if self.user_data is not None:
            return len(self.user_data)
        if self.dataset == "mnist":
            return self.train_size + MNIST_TEST_SIZE
        return DATASETS[self.dataset].examples(self.n_points)

    @property
    def n_train(self) -> int:
        if self.user_data is not None:
            return self.user_data.n_train
        if self.dataset == "mnist":
            return self.train_size
        n_train = int(round(self.train_fraction * self.n_examples))
        return min(max(n_train, 1), self.n_examples - 1)

    def with_activation_for_all(self, activation: str) -> "TrainingConfig":
        return replace(self, activations=(activation,) * len(self.hidden_layers))


def _is_number(value) -> bool:
    """A real number (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _field_problem(name: str, value, config_values: dict) -> str | None:
    """Why ``value`` is not allowed for field ``name`` (None: allowed)."""
    bound = FIELDS[name]
    allowed = f"{name} must be {bound.describe()}, got {quoted(value)}"
    if bound.kind == "int":
        if not _is_number(value) or value != value or not float(value).is_integer():
            return f"{name} must be a whole number from {bound.low:g} to {bound.high:g}, got {quoted(value)}"
        return None if bound.low <= value <= bound.high else allowed
    if bound.kind == "float":
        if not _is_number(value) or not math.isfinite(value):
            return f"{name} must be a finite number from {bound.low:g} to {bound.high:g}, got {quoted(value)}"
        return None if bound.low <= value <= bound.high else allowed
    if bound.kind == "choice":
        return None if isinstance(value, str) and value in bound.choices else allowed
    if bound.kind == "bool":
        return None if isinstance(value, (bool, np.bool_)) else allowed
    if bound.kind == "user_data":
        return None if value is None or isinstance(value, UserData) else allowed
    if isinstance(value, str):
        hint = " (use a tuple, e.g. ('relu',) * n, or config.with_activation_for_all)" if name == "activations" else ""
        return f"{name} must be a tuple, not the string {quoted(value)}{hint}"
    if not isinstance(value, tuple):
        return allowed
    if bound.kind == "names":
        ok = value and len(set(value)) == len(value) and all(v in bound.choices for v in value)
        return None if ok else allowed
    if bound.kind == "layers":
        if len(value) > bound.max_length:
            return f"{name} may have at most {bound.max_length} hidden layers, got {len(value)}"
        # The range first: float() of a huge integer overflows.
        bad = [v for v in value if not _is_number(v) or not bound.low <= v <= bound.high or not float(v).is_integer()]
        return (
            None
            if not bad
            else f"{name}: each width must be a whole number from 1 to {bound.high:g}, got {quoted(bad)}"
        )
    # per_layer
    unknown = [v for v in value if v not in bound.choices]
    if unknown:
        return f"{name}: unknown activation {quoted(unknown[0])}; each must be one of {list(bound.choices)}"
    hidden = config_values.get("hidden_layers")
    layers = len(hidden) if isinstance(hidden, tuple) else len(value)  # a bad hidden_layers is reported itself
    if len(value) != layers:
        return f"{name} needs one name per hidden layer: {layers} hidden layers, {len(value)} activations"
    return None


def config_problems(config: TrainingConfig) -> list[str]:
    """Every reason the config cannot be honoured as given (empty: valid)."""
    values = {name: getattr(config, name) for name in FIELDS}
    problems = [p for name, value in values.items() if (p := _field_problem(name, value, values))]
    dataset = DATASETS.get(config.dataset)
    if dataset is not None and dataset.inputs == "image" and config.features != DEFAULT_FEATURES:
        problems.append(f"features do not apply to {config.dataset} (its inputs are the {dataset.n_inputs} pixels)")
    if config.normalization == "batch" and _is_number(config.batch_size) and config.batch_size < 2:
        problems.append(
            "batch_size must be at least 2 with normalization='batch': batch norm standardises each unit over the "
            "batch, and one example has no spread"
        )
    if config.dataset == USER_DATASET and config.user_data is None:
        problems.append(f"dataset={USER_DATASET!r} needs user_data (a playground.data.userdata.UserData: your points)")
    if config.dataset != USER_DATASET and config.user_data is not None:
        problems.append(f"user_data applies only to dataset={USER_DATASET!r}, got dataset={quoted(config.dataset)}")
    return problems


def _clamp(value, low: float, high: float, default: float) -> float:
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float: beyond either end
        return high if value > 0 else low
    except (TypeError, ValueError):
        return default
    if math.isnan(value):
        return default
    return min(max(value, low), high)


def _clamped(name: str, value, values: dict, default):
    """The nearest allowed value for field ``name`` (``default`` when nothing is near)."""
    bound = FIELDS[name]
    if bound.kind == "int":
        return int(round(_clamp(value, bound.low, bound.high, default)))
    if bound.kind == "float":
        return _clamp(value, bound.low, bound.high, default)
    if bound.kind == "choice":
        return value if value in bound.choices else default
    if bound.kind in ("user_data", "bool"):
        return default
    items = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if bound.kind == "names":
        return tuple(dict.fromkeys(v for v in items if v in bound.choices)) or default
    if bound.kind == "layers":
        if not isinstance(value, (tuple, list)):
            return default
        return tuple(int(round(_clamp(v, bound.low, bound.high, bound.low))) for v in items[: bound.max_length])
    layers = len(values["hidden_layers"])
    names = tuple(v if v in bound.choices else "tanh" for v in items)[:layers]
    return names + (names[-1] if names else "tanh",) * (layers - len(names))


MAX_MESSAGE_VALUE_CHARS = 60  # how much of a refused value a message quotes back


def quoted(value: object) -> str:
    """``value`` as a message quotes it: its repr, cut to MAX_MESSAGE_VALUE_CHARS (a URL can hold megabytes)."""
    shown = repr(value)
    return shown if len(shown) <= MAX_MESSAGE_VALUE_CHARS else shown[: MAX_MESSAGE_VALUE_CHARS - 1] + "…"


def clamp_values(values: dict, base: TrainingConfig | None = None) -> tuple[TrainingConfig, list[str]]:
    """A valid config from raw values (the URL, a file, a widget), and a message per value moved.

    Unknown keys are ignored; missing ones take ``base``'s values (default: the defaults). Never raises.
    """
    defaults = base if base is not None else TrainingConfig()
    merged = {name: values.get(name, getattr(defaults, name)) for name in FIELDS}
    if merged["activations"] is None:
        hidden = merged["hidden_layers"]
        merged["activations"] = ("tanh",) * (len(hidden) if isinstance(hidden, (tuple, list)) else 0)
    clean, messages = {}, []
    for name in FIELDS:  # hidden_layers before activations: the table's order
        value = merged[name]
        fixed = (
            value
            if _field_problem(name, value, clean) is None
            else _clamped(name, value, clean, getattr(defaults, name))
        )
        if name == "features" and DATASETS[clean["dataset"]].inputs == "image":
            fixed = DEFAULT_FEATURES
        if (fixed != value or type(fixed) is not type(value)) and name in values:
            messages.append(
                f"{name}={quoted(value)} is not allowed ({FIELDS[name].describe()}); it was set to {quoted(fixed)}."
            )
        clean[name] = fixed
    if clean["normalization"] == "batch" and clean["batch_size"] < 2:
        messages.append(
            f"batch_size={quoted(clean['batch_size'])} is not allowed with normalization='batch' (batch norm "
            "needs at least 2 examples per batch); it was set to 2."
        )
        clean["batch_size"] = 2
    if clean["dataset"] == USER_DATASET and clean["user_data"] is None:
        messages.append(
            f"dataset={USER_DATASET} (your own points) came without its points; showing the default dataset. "
            "A link carries only a few hundred points: load the exported model file (JSON) to get them all."
        )
        clean["dataset"] = defaults.dataset
    elif clean["dataset"] != USER_DATASET:
        clean["user_data"] = None  # your points belong to the "custom" dataset only
    return TrainingConfig(**clean), messages


# Fields that, when changed, need new data / a new network; the rest apply to a running trainer.
DATA_FIELDS = frozenset(
    {"dataset", "n_classes", "n_points", "noise", "train_fraction", "data_seed", "train_size", "user_data"}
    | {"label_noise"}
)
NETWORK_FIELDS = frozenset(
    {"features", "hidden_layers", "activations", "initializer", "init_sigma", "weight_seed"}
    | {"residual", "normalization"}
)


def config_values(config: TrainingConfig) -> dict:
    """The fields of the table as a plain dict."""
    return {name: getattr(config, name) for name in FIELDS}


def _parse_bool(text: str) -> bool:
    """A link's on/off value: 1, true, yes, on or 0, false, no, off (any case)."""
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not on or off: {text!r}")


def to_query(config: TrainingConfig, base: TrainingConfig | None = None, prefix: str = "") -> dict[str, str]:
    """URL query parameters for the fields that differ from ``base`` (default: the defaults), each
    name preceded by ``prefix`` (run B's are ``b.``: ``playground.links.url``).

    The user's points go in when they fit (``link_holds_user_data``); otherwise the link names the dataset
    without them, and opening it says so.
    """
    default = config_values(base if base is not None else TrainingConfig())
    query = {}
    for name, value in config_values(config).items():
        if name == "user_data":
            if value is not None and value != default[name] and link_holds_user_data(config):
                query[prefix + name] = to_url_text(value)
        elif value != default[name]:
            if isinstance(value, bool):
                query[prefix + name] = "1" if value else "0"
            else:
                query[prefix + name] = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return query


def link_holds_user_data(config: TrainingConfig) -> bool:
    """Whether the config's user data fits in a link (MAX_LINK_DATA_CHARS of the MAX_QUERY_CHARS)."""
    return config.user_data is not None and len(to_url_text(config.user_data)) <= MAX_LINK_DATA_CHARS


# A shareable URL of every setting is under 400 characters; browsers and proxies cut URLs at a few
# thousand. Longer is not a link this app made: refused whole, rather than parsed piece by piece.
MAX_QUERY_CHARS = 4000


def from_query(
    query: dict[str, str | list[str]], base: TrainingConfig | None = None, prefix: str = ""
) -> tuple[TrainingConfig, list[str]]:
    """Parse URL parameters into a valid config, plus a message per value that was ignored or moved.

    Reads the parameters named ``prefix`` + a field's name (run B's are ``b.``: ``playground.links.url``); a
    field the query does not name keeps ``base``'s value (default: the defaults). Never raises: a
    malformed value keeps ``base``'s and is reported.
    """
    defaults = base if base is not None else TrainingConfig()
    length = sum(len(str(name)) + len(str(raw)) for name, raw in query.items())
    if length > MAX_QUERY_CHARS:
        return defaults, [
            f"The link's settings are {length:,} characters long, more than the {MAX_QUERY_CHARS:,} a link of this "
            "playground can have: all ignored, and the default settings are shown."
        ]
    values, problems = {}, []
    for key, raw in query.items():
        name = key[len(prefix) :] if isinstance(key, str) and key.startswith(prefix) else None
        if name not in FIELDS or (isinstance(raw, list) and not raw):
            continue  # other parameters (e.g. a lesson name) belong to the UI; an empty list carries no value
        text = str(raw[-1]) if isinstance(raw, list) else str(raw)
        default = getattr(defaults, name)
        if name == "user_data":
            try:
                values[name] = from_url_text(text)
            except UserDataError as error:
                problems.append(f"Ignored {prefix}user_data from the URL: {error}.")
            continue
        try:
            if isinstance(default, bool):
                values[name] = _parse_bool(text)
            elif isinstance(default, tuple):
                parts = [p.strip() for p in text.split(",") if p.strip()]
                values[name] = tuple(int(p) for p in parts) if name == "hidden_layers" else tuple(parts)
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
            problems.append(f"Ignored {prefix}{name}={quoted(text)} from the URL: not a valid value.")
    if "hidden_layers" in values and "activations" not in values:
        # New widths, the same activations: base's, one per layer (the defaults': tanh everywhere).
        layers = len(values["hidden_layers"])
        fill = defaults.activations[-1] if defaults.activations else "tanh"
        values["activations"] = (defaults.activations + (fill,) * layers)[:layers]
    clean, messages = clamp_values(values, defaults)
    problems += [prefix + message.replace(" is not allowed", " from the URL is not allowed") for message in messages]
    return clean, problems
