"""TrainingConfig: strict checks for scripts, clamping for the URL/UI (one table), and the URL round trip."""

import math
import re
from dataclasses import fields, replace
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest

from playground.data.datasets import DATASETS, FEATURES, MAX_NOISE, MAX_POINTS, MIN_POINTS
from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import INITIALIZERS
from playground.engine.losses import REGULARIZERS
from playground.engine.optimizers import OPTIMIZERS
from playground.training.config import (
    MAX_HIDDEN_LAYERS,
    MAX_LEARNING_RATE,
    MAX_NEURONS,
    MAX_REGULARIZATION_RATE,
    MAX_SEED,
    MAX_SIGMA,
    MAX_TRAIN_FRACTION,
    MIN_LEARNING_RATE,
    MIN_SIGMA,
    MIN_TRAIN_FRACTION,
    TrainingConfig,
    clamp_values,
    config_values,
    from_query,
    to_query,
)

# field, (value below range, its clamp), (value above range, its clamp)
NUMERIC_BOUNDS = [
    ("n_points", (3, MIN_POINTS), (10**6, MAX_POINTS)),
    ("noise", (-0.3, 0.0), (2.0, MAX_NOISE)),
    ("train_fraction", (0.0, MIN_TRAIN_FRACTION), (1.0, MAX_TRAIN_FRACTION)),
    ("data_seed", (-5, 0), (2**40, MAX_SEED)),
    ("init_sigma", (0.0, MIN_SIGMA), (1e6, MAX_SIGMA)),
    ("weight_seed", (-1, 0), (2**63, MAX_SEED)),
    ("learning_rate", (0.0, MIN_LEARNING_RATE), (1e3, MAX_LEARNING_RATE)),
    ("batch_size", (0, 1), (10**7, MAX_POINTS)),
    ("regularization_rate", (-1.0, 0.0), (1e9, MAX_REGULARIZATION_RATE)),
]


def _clamp(**values):
    """What the URL and the UI get: the nearest valid config."""
    return clamp_values(values)[0]


def sanitize(config):
    """Clamping an already valid config must change nothing."""
    return _clamp(**config_values(config))


def _is_valid(config):
    """Every field within its documented range (independent of sanitize)."""
    return (
        config.dataset in DATASETS
        and MIN_POINTS <= config.n_points <= MAX_POINTS
        and 0.0 <= config.noise <= MAX_NOISE
        and MIN_TRAIN_FRACTION <= config.train_fraction <= MAX_TRAIN_FRACTION
        and 0 <= config.data_seed <= MAX_SEED
        and 0 <= config.weight_seed <= MAX_SEED
        and len(config.features) >= 1
        and all(f in FEATURES for f in config.features)
        and len(set(config.features)) == len(config.features)
        and len(config.hidden_layers) <= MAX_HIDDEN_LAYERS
        and all(1 <= h <= MAX_NEURONS for h in config.hidden_layers)
        and len(config.activations) == len(config.hidden_layers)
        and all(a in ACTIVATIONS for a in config.activations)
        and config.initializer in INITIALIZERS
        and MIN_SIGMA <= config.init_sigma <= MAX_SIGMA
        and config.optimizer in OPTIMIZERS
        and MIN_LEARNING_RATE <= config.learning_rate <= MAX_LEARNING_RATE
        and 1 <= config.batch_size <= MAX_POINTS
        and config.regularization in REGULARIZERS
        and 0.0 <= config.regularization_rate <= MAX_REGULARIZATION_RATE
    )


def test_default_config_is_valid_and_unchanged_by_sanitize():
    assert _is_valid(TrainingConfig())
    assert sanitize(TrainingConfig()) == TrainingConfig()


@pytest.mark.parametrize("field, low, high", NUMERIC_BOUNDS, ids=[b[0] for b in NUMERIC_BOUNDS])
def test_sanitize_clamps_numbers(field, low, high):
    for value, expected in (low, high):
        clean = _clamp(**{field: value})
        assert getattr(clean, field) == expected
        assert type(getattr(clean, field)) is type(getattr(TrainingConfig(), field))
        assert _is_valid(clean)


@pytest.mark.parametrize(
    "field",
    ["noise", "train_fraction", "init_sigma", "learning_rate", "regularization_rate"],
)
def test_sanitize_replaces_nan_and_clamps_infinities(field):
    assert math.isfinite(getattr(_clamp(**{field: float("nan")}), field))
    assert _is_valid(_clamp(**{field: float("nan")}))
    assert _is_valid(_clamp(**{field: float("inf")}))
    assert _is_valid(_clamp(**{field: float("-inf")}))


@pytest.mark.parametrize("field, low, high", NUMERIC_BOUNDS, ids=[b[0] for b in NUMERIC_BOUNDS])
def test_sanitize_keeps_in_range_values(field, low, high):
    # The clamps themselves are in range and must be kept as they are.
    for _, bound in (low, high):
        config = replace(TrainingConfig(), **{field: bound})
        assert sanitize(config) == config


def test_sanitize_clamps_hidden_layers():
    clean = _clamp(hidden_layers=(0, 100, -3, 7), activations=("relu",) * 4)
    assert clean.hidden_layers == (1, MAX_NEURONS, 1, 7)
    many = _clamp(hidden_layers=(5,) * 40, activations=("tanh",) * 40)
    assert many.hidden_layers == (5,) * MAX_HIDDEN_LAYERS
    assert many.activations == ("tanh",) * MAX_HIDDEN_LAYERS
    assert _clamp(hidden_layers=(), activations=()).hidden_layers == ()


@pytest.mark.parametrize(
    "field, bad, fixed",
    [
        ("dataset", "squares", "circle"),
        ("dataset", "<script>alert(1)</script>", "circle"),
        ("initializer", "magic", "glorot_uniform"),
        ("optimizer", "rmsprop", "sgd"),
        ("regularization", "dropout", "none"),
    ],
)
def test_sanitize_fixes_bad_names(field, bad, fixed):
    clean = _clamp(**{field: bad})
    assert getattr(clean, field) == fixed
    assert _is_valid(clean)


@pytest.mark.parametrize(
    "features, expected",
    [
        (("x1", "bogus", "x2"), ("x1", "x2")),
        (("bogus",), ("x1", "x2")),
        ((), ("x1", "x2")),
        (("x2", "x1", "x2", "sin_x1"), ("x2", "x1", "sin_x1")),
    ],
)
def test_sanitize_fixes_features(features, expected):
    assert _clamp(features=features).features == expected


@pytest.mark.parametrize(
    "hidden, activations, expected",
    [
        ((4, 2), ("relu",), ("relu", "relu")),
        ((4, 2, 3), ("sigmoid", "elu"), ("sigmoid", "elu", "elu")),
        ((4,), ("relu", "sigmoid", "elu"), ("relu",)),
        ((4, 2), (), ("tanh", "tanh")),
        ((4, 2), ("swish", "relu"), ("tanh", "relu")),
        ((), ("relu",), ()),
    ],
)
def test_sanitize_matches_activations_to_layers(hidden, activations, expected):
    clean = _clamp(hidden_layers=hidden, activations=activations)
    assert clean.activations == expected
    assert len(clean.activations) == len(clean.hidden_layers)


def _random_config(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(0, MAX_HIDDEN_LAYERS + 1))
    dataset = str(rng.choice(sorted(set(DATASETS) - {"custom"})))  # custom needs user data (test_userdata)
    features = tuple(str(f) for f in rng.choice(list(FEATURES), size=int(rng.integers(1, 8)), replace=False))
    return TrainingConfig(
        dataset=dataset,
        n_classes=int(rng.integers(2, 6)),
        n_points=int(rng.integers(MIN_POINTS, MAX_POINTS + 1)),
        noise=float(rng.uniform(0, MAX_NOISE)),
        train_fraction=float(rng.uniform(MIN_TRAIN_FRACTION, MAX_TRAIN_FRACTION)),
        data_seed=int(rng.integers(0, MAX_SEED)),
        features=features if DATASETS[dataset].inputs == "points" else ("x1", "x2"),
        hidden_layers=tuple(int(h) for h in rng.integers(1, MAX_NEURONS + 1, depth)),
        activations=tuple(str(a) for a in rng.choice(sorted(ACTIVATIONS), size=depth)),
        initializer=str(rng.choice(sorted(INITIALIZERS))),
        init_sigma=float(rng.uniform(MIN_SIGMA, MAX_SIGMA)),
        weight_seed=int(rng.integers(0, MAX_SEED)),
        optimizer=str(rng.choice(sorted(OPTIMIZERS))),
        learning_rate=float(10 ** rng.uniform(-5, 1)),
        batch_size=int(rng.integers(1, MAX_POINTS + 1)),
        regularization=str(rng.choice(sorted(REGULARIZERS))),
        regularization_rate=float(rng.uniform(0, MAX_REGULARIZATION_RATE)),
    )


@pytest.mark.parametrize("seed", range(25))
def test_sanitize_is_idempotent_and_valid(seed):
    config = _random_config(seed)
    assert _is_valid(config)
    assert sanitize(config) == config
    wild = config_values(config) | {
        "n_points": -config.n_points,
        "learning_rate": -1.0,
        "hidden_layers": config.hidden_layers + (999,),
    }
    clean = _clamp(**wild)
    assert _is_valid(clean)
    assert sanitize(clean) == clean


def test_to_query_of_default_is_empty():
    assert to_query(TrainingConfig()) == {}
    assert from_query({}) == (TrainingConfig(), [])


def test_to_query_lists_only_changed_fields_as_strings():
    config = replace(TrainingConfig(), dataset="xor", hidden_layers=(8, 8), learning_rate=0.1)
    query = to_query(config)
    assert query == {"dataset": "xor", "hidden_layers": "8,8", "learning_rate": "0.1"}


@pytest.mark.parametrize("seed", range(25))
def test_from_query_round_trips_to_query(seed):
    config = _random_config(seed)
    assert config != TrainingConfig()
    clean, problems = from_query(to_query(config))
    assert problems == []
    assert clean == config


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_through_a_real_url(seed):
    config = _random_config(seed)
    parsed = parse_qs(urlencode(to_query(config)), keep_blank_values=True)  # values are lists of str
    clean, problems = from_query(parsed)
    assert problems == []
    assert clean == config


@pytest.mark.parametrize(
    "hidden, activations",
    [((8, 8), ("tanh", "tanh")), ((3,), ("relu",)), ((), ()), ((4, 2), ("relu", "tanh")), ((5, 5, 5), ("elu",) * 3)],
)
def test_round_trip_of_network_shapes(hidden, activations):
    config = replace(TrainingConfig(), hidden_layers=hidden, activations=activations)
    assert from_query(to_query(config)) == (config, [])


def test_from_query_ignores_unknown_parameters():
    clean, problems = from_query({"lesson": "vanishing", "dataset": "xor"})
    assert clean == replace(TrainingConfig(), dataset="xor")
    assert problems == []


def test_from_query_hidden_layers_without_activations_uses_tanh():
    clean, problems = from_query({"hidden_layers": "3,3,3"})
    assert clean.hidden_layers == (3, 3, 3)
    assert clean.activations == ("tanh",) * 3
    assert problems == []


GARBAGE = [
    {"learning_rate": "nan"},
    {"learning_rate": "inf"},
    {"learning_rate": "-1e400"},
    {"learning_rate": "0x1p-3"},
    {"noise": "lots"},
    {"hidden_layers": "a,b"},
    {"hidden_layers": "4.5,2"},
    {"n_points": "1e99"},
    {"n_points": "inf"},
    {"n_points": "nan"},
    {"n_points": ""},
    {"batch_size": "-1e400"},
    {"data_seed": "1e30"},
    {"weight_seed": "-7"},
    {"dataset": "<script>"},
    {"dataset": "circle'; DROP TABLE"},
    {"hidden_layers": ",".join(["100"] * 20)},
    {"hidden_layers": "0,-5,99999999999999999999"},
    {"features": "<script>,x9"},
    {"features": ",,,"},
    {"activations": "softmax,relu,relu"},
    {"initializer": "\x00"},
    {"optimizer": "", "regularization": "L9"},
    {"regularization_rate": "1e308", "init_sigma": "0"},
    {"train_fraction": "2", "noise": "-1"},
    {"learning_rate": ["0.1", "nan"]},
    {"n_points": ["ten"]},
    {"features": [1, 2]},
    {"hidden_layers": None},
]


@pytest.mark.parametrize("query", GARBAGE, ids=[str(i) for i in range(len(GARBAGE))])
def test_from_query_never_raises_and_reports(query):
    clean, problems = from_query(query)
    assert _is_valid(clean)
    assert sanitize(clean) == clean
    assert isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)
    assert problems, f"no problem reported for {query!r}"
    for name in query:
        if getattr(clean, name) == getattr(TrainingConfig(), name) and name not in " ".join(problems):
            pytest.fail(f"{name} neither applied nor reported")


def test_from_query_treats_an_empty_list_as_absent():
    # e.g. {name: st.query_params.get_all(name)} for a parameter that is not in the URL.
    assert from_query({"dataset": [], "n_points": [], "hidden_layers": []}) == (TrainingConfig(), [])
    assert from_query({"dataset": [], "noise": ["0.25"]}) == (replace(TrainingConfig(), noise=0.25), [])


@pytest.mark.parametrize(
    "query, field, expected",
    [
        ({"learning_rate": "nan"}, "learning_rate", TrainingConfig().learning_rate),
        ({"hidden_layers": "a,b"}, "hidden_layers", TrainingConfig().hidden_layers),
        ({"n_points": "1e99"}, "n_points", MAX_POINTS),
        ({"dataset": "<script>"}, "dataset", "circle"),
        ({"hidden_layers": ",".join(["100"] * 20)}, "hidden_layers", (MAX_NEURONS,) * 20),
        ({"hidden_layers": ",".join(["3"] * 40)}, "hidden_layers", (3,) * MAX_HIDDEN_LAYERS),
        ({"batch_size": "0"}, "batch_size", 1),
    ],
)
def test_from_query_garbage_outcomes(query, field, expected):
    clean, problems = from_query(query)
    assert getattr(clean, field) == expected
    assert any(field in p for p in problems)


def test_from_query_reads_integers_written_as_floats():
    assert from_query({"weight_seed": "3.9", "n_points": "1e3"}) == (
        replace(TrainingConfig(), weight_seed=3, n_points=1000),
        [],
    )


def test_from_query_uses_the_last_of_repeated_values():
    clean, problems = from_query({"learning_rate": ["0.5", "0.25"], "dataset": ["xor", "spiral"]})
    assert clean.learning_rate == 0.25 and clean.dataset == "spiral"
    assert problems == []


def test_config_properties():
    config = replace(
        TrainingConfig(), features=("x1", "x2", "sin_x1"), hidden_layers=(5, 3), n_points=333, train_fraction=0.3
    )
    assert config.layer_sizes == [3, 5, 3, 1]
    assert config.n_train == round(0.3 * 333)
    assert config.with_activation_for_all("relu").activations == ("relu", "relu")
    assert {f.name for f in fields(TrainingConfig)} >= {"dataset", "hidden_layers", "learning_rate"}


# ---- scripts: what cannot be honoured raises, naming the field ------------------------------------

STRICT_CASES = [
    ({"activations": "relu"}, "activations must be a tuple, not the string 'relu'"),
    ({"hidden_layers": (8, 8), "activations": ("relu",)}, "one name per hidden layer"),
    ({"activations": ("relu", "swish")}, "unknown activation 'swish'"),
    ({"initializer": "magic"}, "initializer must be one of"),
    ({"dataset": "squares"}, "dataset must be one of"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of"),
    ({"hidden_layers": (0, 4), "activations": ("tanh", "tanh")}, "each width must be a whole number from 1 to 64"),
    ({"hidden_layers": (100,), "activations": ("tanh",)}, "each width"),
    ({"hidden_layers": (2.5,), "activations": ("tanh",)}, "each width"),
    ({"hidden_layers": (4,) * (MAX_HIDDEN_LAYERS + 1)}, f"at most {MAX_HIDDEN_LAYERS} hidden layers"),
    ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
    ({"learning_rate": 100.0}, "learning_rate must be a number from 1e-05 to 10"),
    ({"n_points": 10}, "n_points must be a number from 50 to 2000"),
    ({"n_points": 100.5}, "n_points must be a whole number"),
    ({"batch_size": True}, "batch_size must be a whole number"),
    ({"features": ()}, "features must be a non-empty tuple"),
    ({"features": ("x1", "x1")}, "features must be a non-empty tuple of distinct names"),
    ({"n_classes": 7}, "n_classes must be a number from 2 to 5"),
    ({"dataset": "digits", "features": ("x1", "sin_x1")}, "features do not apply to digits"),
]


@pytest.mark.parametrize("values, message", STRICT_CASES, ids=[str(i) for i in range(len(STRICT_CASES))])
def test_scripts_get_a_value_error_naming_the_field(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainingConfig(**values)
    # replace() checks too, so no invalid config can be made from a valid one.
    with pytest.raises(ValueError, match=re.escape(message)):
        replace(TrainingConfig(), **values)
    # ...while the URL / UI path clamps the same values into a valid config, with a message.
    clean, messages = clamp_values(values)
    assert _is_valid(clean) and messages


def test_scripts_may_use_lists_and_none_for_tanh():
    config = TrainingConfig(hidden_layers=[8, 8, 8], features=["x1", "x2"])
    assert config.hidden_layers == (8, 8, 8) and config.activations == ("tanh",) * 3
    assert hash(config) == hash(TrainingConfig(hidden_layers=(8, 8, 8)))


def test_thirty_layers_are_allowed_from_scripts():
    config = TrainingConfig(hidden_layers=(16,) * 30, activations=("relu",) * 30, initializer="he_normal")
    assert len(config.layer_sizes) == 32


@pytest.mark.parametrize(
    "values, problem, layer_sizes",
    [
        ({}, "binary", [2, 4, 2, 1]),
        ({"dataset": "spiral", "n_classes": 4}, "multiclass", [2, 4, 2, 4]),
        ({"dataset": "blobs", "n_classes": 2}, "binary", [2, 4, 2, 1]),
        ({"dataset": "digits"}, "multiclass", [64, 4, 2, 10]),
        ({"dataset": "digits", "n_classes": 3}, "multiclass", [64, 4, 2, 10]),  # digits fixes its classes
        ({"dataset": "digits_3v8"}, "binary", [64, 4, 2, 1]),
        ({"dataset": "bumps", "features": ("x1", "x2", "x1_squared")}, "regression", [3, 4, 2, 1]),
    ],
)
def test_the_dataset_implies_the_problem_and_the_layer_sizes(values, problem, layer_sizes):
    config = TrainingConfig(**values)
    assert config.problem == problem and config.layer_sizes == layer_sizes


def test_url_moves_features_of_an_image_dataset_to_the_default():
    clean, problems = from_query({"dataset": "digits", "features": "x1,sin_x1"})
    assert clean.dataset == "digits" and clean.features == ("x1", "x2")
    assert any("features" in p for p in problems)
