"""Hostile input, property-based (Hypothesis): whatever a URL or a model file holds, the parsers never
raise out, always say why they refused something, and a refused file never changes the current run.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.links.hiding import NAMES, hide_value, parse_hide
from playground.links.model_file import MAX_FILE_BYTES, ModelFileError, model_from_json, model_to_json
from playground.training.config import FIELDS, MAX_MESSAGE_VALUE_CHARS, MAX_QUERY_CHARS, TrainingConfig, from_query
from playground.training.trainer import Trainer
from playground.ui.session import create_state, load_model_file

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values a user (or a crafted link) can put in a URL: numbers of every size, NaN and infinities,
# lists, unicode, control characters and long strings.
NASTY_TEXT = st.one_of(
    st.text(max_size=50),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e309", "-0", "0x10", "1_000", "", " ", ",,,", "8,8,8,",
                     "\x00", "\u202e", "💥", "1" * 5000, "9" * 400, "-1", "1e-400", "relu,relu", "tanh" * 1000]),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.lists(st.integers(-(10**6), 10**6), max_size=40).map(lambda xs: ",".join(map(str, xs))),
)  # fmt: skip
QUERY_KEYS = st.one_of(
    st.sampled_from(
        [*sorted(FIELDS), *(f"b.{name}" for name in sorted(FIELDS)), "lesson", "hide", "compare", "foo", ""]
    ),
    st.text(max_size=20),
)  # b.<name>: run B's settings in compare mode (playground.links.url)
QUERIES = st.dictionaries(QUERY_KEYS, st.one_of(NASTY_TEXT, st.lists(NASTY_TEXT, max_size=3)), max_size=12)


@SETTINGS
@given(QUERIES)
def test_the_url_parser_never_raises_and_gives_a_valid_config(query):
    config, problems = from_query(query)
    assert isinstance(config, TrainingConfig)
    TrainingConfig(**{name: getattr(config, name) for name in FIELDS})  # valid: a script could pass it
    assert all(isinstance(problem, str) and problem for problem in problems)
    # A message quotes at most a short piece of what the user sent: never a megabyte back at them.
    assert all(len(problem) < 400 + MAX_MESSAGE_VALUE_CHARS for problem in problems)


@SETTINGS
@given(QUERIES)
def test_a_session_can_always_start_from_any_url(query):
    state = create_state(query)
    assert state.trainer.epoch == 0 and math.isfinite(float(state.trainer.history.column("train_loss")[-1]))
    assert all(len(message.text) < 600 + MAX_MESSAGE_VALUE_CHARS for message in state.messages)


# A hide list: known names, group names, unknown and nasty ones, in any case, spaced, repeated.
HIDE_VALUES = st.one_of(
    NASTY_TEXT,
    st.lists(st.one_of(st.sampled_from(NAMES), st.sampled_from(NAMES).map(str.upper), NASTY_TEXT), max_size=12).map(
        " , ".join
    ),
)


@SETTINGS
@given(st.one_of(HIDE_VALUES, st.lists(HIDE_VALUES, max_size=3)), QUERIES)
def test_the_hide_parser_never_raises_and_hides_only_known_names(value, others):
    query = {**others, "hide": value}
    hidden, problems = parse_hide(query)
    assert hidden <= set(NAMES)
    assert len(problems) <= 1 and all(len(problem) < 400 + 3 * MAX_MESSAGE_VALUE_CHARS for problem in problems)
    assert parse_hide({"hide": hide_value(hidden)}) == (hidden, [])  # what the app writes back parses the same
    state = create_state(query)  # and a session starts from it, hiding exactly that, whatever else the link holds
    assert state.hidden_controls == hidden
    assert all(len(message.text) < 600 + 3 * MAX_MESSAGE_VALUE_CHARS for message in state.messages)


# Settings that follow from another one (hidden layers imply one activation each).
FOLLOWERS = {"hidden_layers": {"activations"}}


@SETTINGS
@given(st.sampled_from(sorted(FIELDS)), NASTY_TEXT)
def test_a_bad_url_value_touches_only_its_own_setting_and_is_named(name, text):
    config, problems = from_query({name: text})
    defaults = TrainingConfig()
    for other in set(FIELDS) - {name} - FOLLOWERS.get(name, set()):
        assert getattr(config, other) == getattr(defaults, other), other
    for problem in problems:  # each names its setting, or (an overlong link) says why all were ignored
        assert name in problem or (len(name) + len(text) > MAX_QUERY_CHARS and "all ignored" in problem), problem


def test_an_overlong_url_is_refused_as_a_whole_with_a_reason():
    query = {"learning_rate": "0.1", "hidden_layers": "8," * (MAX_QUERY_CHARS // 2)}
    config, problems = from_query(query)
    assert config == TrainingConfig()
    assert len(problems) == 1 and f"{MAX_QUERY_CHARS:,}" in problems[0]


# ---- model files ------------------------------------------------------------------------------
def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@st.composite
def damaged_model_files(draw) -> bytes:
    """A valid model file with one part replaced by something else."""
    config = TrainingConfig(hidden_layers=(3,), activations=("tanh",))
    trainer = Trainer(config)
    document = json.loads(model_to_json(config, trainer.get_weights(), 0))
    where = draw(st.sampled_from(["config", "layers", "format", "version", "epoch", "W", "b", "config_field"]))
    value = draw(JSON_VALUES)
    if where in ("W", "b"):
        document["layers"][0][where] = value
    elif where == "config_field":
        document["config"][draw(st.sampled_from(sorted(FIELDS)))] = value
    else:
        document[where] = value
    return json.dumps(document, allow_nan=True).encode()


MODEL_FILES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    JSON_VALUES.map(lambda value: json.dumps(value, allow_nan=True).encode()),
    damaged_model_files(),
    st.sampled_from([
        _nested(100_000).encode(),
        ('{"format": "backprop-playground-model", "version": ' + "9" * 5000 + "}").encode(),
        b'{"format": "backprop-playground-model", "version": 1, "config": ' + _nested(50_000).encode() + b"}",
        b"\xef\xbb\xbf{}",
        b"\xff\xfe{\x00}\x00",
        b'{"a": "' + b"x" * 1_000_000 + b'"}',
        b" " * (MAX_FILE_BYTES + 1),
    ]),
)  # fmt: skip


@SETTINGS
@given(MODEL_FILES)
def test_the_model_loader_refuses_anything_else_with_a_reason(data):
    try:
        config, weights, epoch = model_from_json(data)
    except ModelFileError as error:
        assert str(error) and len(str(error)) < 500
        return
    # Accepted: then it is a whole, usable model.
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in weights)
    Trainer(config).start_from(weights)


@SETTINGS
@given(MODEL_FILES)
def test_a_refused_model_file_changes_nothing_in_the_session(data):
    state = create_state({"hidden_layers": "5", "learning_rate": "0.1"})
    state.trainer.train(3)
    before = (state.trainer, state.trainer.epoch, state.trainer.network.theta.copy(), state.config)
    if load_model_file(state, "upload.json", data):
        return
    assert (state.trainer, state.trainer.epoch, state.config) == (before[0], before[1], before[3])
    assert np.array_equal(state.trainer.network.theta, before[2])
    assert state.messages and state.messages[-1].level == "error" and "Nothing was changed" in state.messages[-1].text
    assert "Error" not in state.messages[-1].text.split("(")[0]  # a reason, not an exception's class name first


def test_the_server_refuses_uploads_larger_than_a_model_file_can_be():
    config = (Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text()
    limit = re.search(r"^maxUploadSize\s*=\s*(\d+)\s*$", config, re.MULTILINE)  # in MB, under [server]
    assert limit and int(limit.group(1)) * 1_000_000 == MAX_FILE_BYTES
