"""The link is the state: a session's view -> URL -> a new session shows the same runs, compare mode, lesson
and hidden controls; old links mean what they meant; any link opens (Hypothesis); Back/Forward follow it."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.links.url import PER_RUN_FIELDS, RUN_B_PREFIX, SHARED_FIELDS, link_query, parse_link
from playground.teaching.lessons import LESSON_LIST, LESSONS
from playground.training.config import FIELDS, MAX_MESSAGE_VALUE_CHARS, MAX_QUERY_CHARS, TrainingConfig
from playground.ui import session
from playground.ui.state import url_query


def round_trip(state):
    """The state a new session gets from ``state``'s URL, through a real query string (lists of str)."""
    query = parse_qs(urlencode(url_query(state)), keep_blank_values=True)
    return session.create_state(query)


def view(state) -> tuple:
    runs = tuple(trainer.config for _, trainer in state.runs)
    return runs, state.comparing, state.lesson, state.hidden_controls


def test_a_default_session_has_an_empty_link():
    state = session.create_state({})
    assert url_query(state) == {} and not state.messages


def test_compare_mode_and_both_runs_round_trip():
    state = session.create_state({"hidden_layers": "8,8", "learning_rate": "0.1", "dataset": "xor"})
    session.set_compare(state, True)
    session.apply_change(state, activations=("relu", "relu"), initializer="he_normal", learning_rate=0.01)
    session.apply_change(state, noise=0.2)  # shared: both runs
    query = url_query(state)
    assert query["compare"] == "1"
    assert query["b.activations"] == "relu,relu" and query["b.learning_rate"] == "0.01"
    assert "b.noise" not in query and "b.hidden_layers" not in query  # shared, or the same as run A's
    again = round_trip(state)
    assert view(again) == view(state) and not again.messages
    assert again.trainer_b.config.noise == 0.2 and again.trainer.config.learning_rate == 0.1


def test_run_b_may_differ_in_depth_features_and_optimiser():
    state = session.create_state({})
    session.set_compare(state, True)
    session.set_layers(state, (6, 6, 6, 6))
    session.apply_change(state, optimizer="adam", features=("x1", "x2", "x1x2"), batch_size=1)
    assert view(round_trip(state)) == view(state)


def test_each_runs_deep_settings_round_trip():
    state = session.create_state({"hidden_layers": "8,8,8", "residual": "1", "dropout": "0.2"})
    session.set_compare(state, True)  # run B starts as a copy of run A, and the sidebar edits it
    session.apply_change(state, residual=False, normalization="batch", gradient_clip=1.0)
    query = url_query(state)
    assert query["residual"] == "1" and query["dropout"] == "0.2"
    assert query["b.residual"] == "0" and query["b.normalization"] == "batch" and query["b.gradient_clip"] == "1.0"
    assert "b.dropout" not in query  # the same as run A's
    again = round_trip(state)
    assert view(again) == view(state) and not again.messages
    assert again.trainer_b.network.normalization == "batch" and again.trainer.network.skips == [False, True, True]


def test_run_b_with_batch_norm_and_a_batch_of_one_is_moved_to_two_with_a_message():
    state = session.create_state({"compare": "1", "batch_size": "1", "b.normalization": "batch"})
    assert state.trainer.config.batch_size == 1 and state.trainer_b.config.batch_size == 2
    said = [m.text for m in state.messages]
    assert any(
        text.startswith("Run B: b.batch_size=1") and "normalization='batch'" in text and "set to 2" in text
        for text in said
    ), said


@pytest.mark.parametrize("key", list(LESSONS))
def test_a_lesson_link_stays_short_until_a_setting_changes(key):
    lesson = LESSONS[key]
    link = {name: values[-1] for name, values in parse_qs(lesson.link.removeprefix("?")).items()}
    state = session.create_state(link)
    assert url_query(state) == link  # ?lesson=key&hide=...
    assert state.comparing == lesson.compare and not state.messages
    session.apply_change(state, learning_rate=0.5)  # run A's
    query = url_query(state)
    assert query["learning_rate"] == "0.5" and query["lesson"] == key
    assert view(round_trip(state)) == view(state)
    if lesson.compare:
        state.editing = "B"
        session.apply_change(state, batch_size=3)
        assert url_query(state)["b.batch_size"] == "3" and "batch_size" not in url_query(state)
        assert view(round_trip(state)) == view(state)
        session.set_compare(state, False)  # a compare lesson seen as one run
        assert url_query(state)["compare"] == "0"
    else:
        session.set_compare(state, True)  # a single-run lesson compared with a copy of itself
        assert url_query(state)["compare"] == "1"
    again = round_trip(state)
    assert view(again) == view(state) and again.lesson == key


def test_a_lesson_link_with_changed_widths_keeps_the_lessons_activations():
    state = session.create_state({"lesson": "vanishing_sigmoid", "hidden_layers": ",".join(["8"] * 8)})
    assert state.trainer.config.activations == ("sigmoid",) * 8 and not state.messages
    state = session.create_state({"lesson": "vanishing_sigmoid", "hidden_layers": "8,8,8"})
    assert state.trainer.config.activations == ("sigmoid",) * 3


OLD_LINKS = [  # (link, what run A is): links as the app wrote them before compare mode was in them
    ({"learning_rate": "0.1", "hidden_layers": "3,3,3"}, TrainingConfig(learning_rate=0.1, hidden_layers=(3, 3, 3))),
    (
        {"dataset": "spiral", "n_classes": "3", "activations": "relu,relu"},
        TrainingConfig(dataset="spiral", n_classes=3, activations=("relu", "relu")),
    ),
    ({"hide": "optimizer,learning_rate", "optimizer": "adam"}, TrainingConfig(optimizer="adam")),
    ({"lesson": "relu_he"}, LESSONS["relu_he"].config_a),
    ({"lesson": "relu_he", "hide": "data,compare"}, LESSONS["relu_he"].config_a),
    ({"lesson": "vanishing_sigmoid", "hide": "data"}, LESSONS["vanishing_sigmoid"].config_a),
]


@pytest.mark.parametrize(("query", "config_a"), OLD_LINKS)
def test_old_links_open_as_before_and_write_themselves_back(query, config_a):
    state = session.create_state(query)
    assert not state.messages and state.trainer.config == config_a
    lesson = LESSONS.get(query.get("lesson"))
    config_b = state.trainer_b.config if state.trainer_b is not None else None
    assert config_b == (lesson.config_b if lesson is not None else None)
    assert url_query(state).items() >= query.items()  # plus, at most, what was implied (e.g. activations)
    assert view(round_trip(state)) == view(state)


def test_a_lesson_link_that_changes_a_setting_opens_the_lesson_with_it():
    state = session.create_state({"lesson": "relu_he", "learning_rate": "0.1", "b.learning_rate": "0.003"})
    assert state.lesson == "relu_he" and not state.messages
    assert state.trainer.config == replace(LESSONS["relu_he"].config_a, learning_rate=0.1)
    assert state.trainer_b.config == replace(LESSONS["relu_he"].config_b, learning_rate=0.003)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"compare": "maybe"}, "compare="),
        ({"compare": "1", "b.learning_rate": "fast"}, "Run B: Ignored b.learning_rate"),
        ({"compare": "1", "b.hidden_layers": "9999"}, "Run B: b.hidden_layers"),
        ({"compare": "1", "b.noise": "0.3"}, "shared by both runs"),
        ({"compare": "1", "b.colour": "red"}, "no such setting"),
        ({"b.learning_rate": "0.1"}, "not in compare mode"),
        ({"lesson": "nope"}, "no lesson called"),
    ],
)
def test_a_malformed_link_gives_a_warning(query, said):
    state = session.create_state(query)
    assert any(said in message.text for message in state.messages), [m.text for m in state.messages]
    if "b.noise" in query:
        assert state.trainer_b.config.noise == state.trainer.config.noise == 0.0


def test_a_link_over_the_limit_is_refused_whole_even_in_compare_mode():
    query = {"compare": "1", "b.learning_rate": "0.1", "b.activations": "relu," * (MAX_QUERY_CHARS // 5)}
    link = parse_link(query)
    assert link.config_b is None and link.config_a == TrainingConfig()
    assert len(link.problems) == 1 and "characters long" in link.problems[0]


def test_run_b_shares_run_as_data_and_seed_in_every_link():
    a = TrainingConfig(dataset="moons", noise=0.2, weight_seed=4)
    b = replace(TrainingConfig(dataset="moons", noise=0.2, weight_seed=4), learning_rate=0.3)
    query = link_query(a, b)
    assert not any(name.removeprefix(RUN_B_PREFIX) in SHARED_FIELDS for name in query if name.startswith("b."))
    assert parse_link(query).config_b == b


# ---- hostile links (as tests/test_hostile_input.py, with compare mode and run B's names) ----------------
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["1", "0", "nan", "-inf", "1e309", "", ",,", "relu,relu", "9" * 300, "on", "yes", "\x00"]),
)
KEYS = st.one_of(
    st.sampled_from(
        ["compare", "lesson", "hide", "b.", "b", *FIELDS, *(RUN_B_PREFIX + name for name in FIELDS)]
        + [lesson.key for lesson in LESSON_LIST]
    ),
    st.text(max_size=12).map(lambda text: RUN_B_PREFIX + text),
)
LESSON_OR_TEXT = st.one_of(st.sampled_from(list(LESSONS)), TEXT)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, st.one_of(TEXT, st.lists(TEXT, max_size=3))), LESSON_OR_TEXT, st.booleans())
def test_any_link_opens_and_what_it_writes_back_opens_the_same(query, lesson, with_lesson):
    if with_lesson:
        query["lesson"] = lesson
    state = session.create_state(query)
    assert all(len(m.text) < 600 + MAX_MESSAGE_VALUE_CHARS for m in state.messages)
    again = session.create_state(url_query(state))
    assert view(again) == view(state) and not again.messages


def test_per_run_fields_are_the_rest():
    assert set(PER_RUN_FIELDS) | SHARED_FIELDS == set(FIELDS)


# ---- Back and Forward: a session follows the link the browser went to ---------------------------------
def test_following_a_link_replaces_the_view_and_keeps_the_session():
    state = session.create_state({})
    token, lock, run_id = state.stream_token, state.lock, state.run_id
    state.speed, state.playing = "max", True
    session.follow_link(state, {"compare": "1", "learning_rate": "0.1", "b.optimizer": "adam", "hide": "data"})
    assert state.comparing and state.trainer_b.config.optimizer == "adam"
    assert state.trainer.config.learning_rate == 0.1 and state.hidden_controls == {"data"}
    assert (state.stream_token, state.lock, state.speed) == (token, lock, "max")
    assert not state.playing and state.run_id > run_id
    assert state.last_query == url_query(state)
    session.follow_link(state, {})
    assert view(state) == view(session.create_state({}))


def test_back_into_a_lesson_closes_to_the_view_before_it():
    state = session.create_state({"learning_rate": "0.3"})
    before = state.trainer
    session.follow_link(state, {"lesson": "relu_he"})  # Forward into a lesson opened from the playground
    assert state.lesson == "relu_he"
    session.close_lesson(state)
    assert state.trainer is before and not state.comparing


def test_closing_twice_keeps_the_restored_view():
    state = session.create_state({"learning_rate": "0.3"})
    session.set_compare(state, True)
    session.start_lesson(state, "vanishing_sigmoid")
    session.close_lesson(state)
    session.close_lesson(state)  # the same click delivered again
    assert state.comparing and state.trainer.config.learning_rate == 0.3
