"""The ?hide= parameter: which controls a link hides, parsed without ever raising, and written back the same."""

from __future__ import annotations

import pytest

from playground.links.hiding import CONTROLS, GROUPS, NAMES, expand, hide_value, is_hidden, parse_hide
from playground.teaching.lessons import LESSON_LIST
from playground.training.config import MAX_MESSAGE_VALUE_CHARS, MAX_QUERY_CHARS, quoted


def test_valid_names_are_hidden_without_a_message():
    hidden, problems = parse_hide({"hide": "dataset,optimizer,learning_rate"})
    assert hidden == {"dataset", "optimizer", "learning_rate"}
    assert problems == []
    assert is_hidden(hidden, "optimizer") and not is_hidden(hidden, "batch_size")


def test_names_are_trimmed_case_insensitive_and_may_repeat_the_parameter():
    hidden, problems = parse_hide({"hide": [" Dataset , NOISE", "speed,,", "dataset"]})
    assert hidden == {"dataset", "noise", "speed"}
    assert problems == []


def test_a_group_hides_its_whole_section_and_counts_its_controls():
    hidden, _ = parse_hide({"hide": "training"})
    assert hidden == {"training"}
    assert all(is_hidden(hidden, name) for name in GROUPS["training"])
    assert not is_hidden(hidden, "dataset")
    assert expand(hidden) == set(GROUPS["training"])
    assert expand({"training", "optimizer", "reset"}) == set(GROUPS["training"]) | {"reset"}


def test_no_parameter_or_an_empty_one_hides_nothing():
    assert parse_hide({}) == (frozenset(), [])
    assert parse_hide({"hide": ""}) == (frozenset(), [])
    assert parse_hide({"hide": []}) == (frozenset(), [])
    assert parse_hide({"hide": " , ,"}) == (frozenset(), [])


def test_unknown_names_are_skipped_and_named_in_one_warning():
    hidden, problems = parse_hide({"hide": "dataset,optimiser,colour,dataset"})
    assert hidden == {"dataset"}
    assert len(problems) == 1
    assert "'optimiser'" in problems[0] and "'colour'" in problems[0]
    assert "data, network, training, playback" in problems[0]  # says what is allowed


def test_many_unknown_names_are_quoted_a_few_at_a_time():
    names = [f"nope{i}" for i in range(50)]
    hidden, problems = parse_hide({"hide": ",".join(names)})
    assert hidden == frozenset()
    assert "'nope0'" in problems[0] and "'nope3'" not in problems[0] and "47 more" in problems[0]


@pytest.mark.parametrize(
    "value",
    ["x" * 3000, "<script>alert(1)</script>", "\x00,\u202e,💥", "dataset\n,learning_rate", "1e309", "a" * 61],
)
def test_hostile_values_never_raise_and_are_quoted_short(value):
    hidden, problems = parse_hide({"hide": value})
    assert hidden <= set(NAMES)
    assert all(len(problem) < 300 + 3 * MAX_MESSAGE_VALUE_CHARS for problem in problems)
    wanted = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in NAMES]
    assert bool(problems) == bool(unknown)  # an unknown name is always reported, a known one never
    if unknown:
        assert quoted(unknown[0]) in problems[0]  # named as quoted() cuts it: at most 60 characters


def test_a_newline_between_names_still_hides_the_valid_one():
    hidden, _ = parse_hide({"hide": "dataset\n,learning_rate"})
    assert hidden == {"dataset", "learning_rate"}


def test_an_overlong_link_hides_nothing_as_the_settings_are_ignored_too():
    query = {"hide": "dataset", "hidden_layers": "8," * MAX_QUERY_CHARS}
    assert parse_hide(query) == (frozenset(), [])


def test_the_written_value_is_canonical_and_parses_back():
    hidden = frozenset({"learning_rate", "data", "reset", "dataset"})
    value = hide_value(hidden)
    assert value == "data,dataset,learning_rate,reset"  # groups first, then the controls in page order
    assert parse_hide({"hide": value}) == (hidden, [])
    assert hide_value(frozenset()) == ""


def test_every_name_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in NAMES:
        assert f"`{name}`" in readme, name
    for member in (m for members in GROUPS.values() for m in members):
        assert member in CONTROLS


@pytest.mark.parametrize("lesson", LESSON_LIST, ids=lambda lesson: lesson.key)
def test_each_lesson_hides_known_controls_and_its_link_says_so(lesson):
    assert lesson.hides, "a lesson hides the controls beside its point"
    assert set(lesson.hides) <= set(NAMES)
    # Nothing a lesson is about is hidden: it compares or shows the network and the learning rate.
    assert not {"hidden_layers", "activations", "learning_rate", "play", "reset"} & expand(frozenset(lesson.hides))
    query = dict(part.split("=", 1) for part in lesson.link.removeprefix("?").split("&"))
    assert query["lesson"] == lesson.key
    assert parse_hide(query) == (frozenset(lesson.hides), [])


def test_each_lesson_link_is_listed_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for lesson in LESSON_LIST:
        assert lesson.link in readme, lesson.link


def test_deep_hides_the_four_cures_which_also_belong_to_their_sections():
    hidden, problems = parse_hide({"hide": "deep"})
    assert hidden == {"deep"} and problems == []
    assert expand(hidden) == {"residual", "normalization", "dropout", "gradient_clip"}
    # Each sits in the section it is drawn in, so hiding a section hides it (and the section's heading goes).
    assert {"residual", "normalization"} <= set(GROUPS["network"])
    assert {"dropout", "gradient_clip"} <= set(GROUPS["training"])
    assert is_hidden(frozenset({"training"}), "gradient_clip") and not is_hidden(frozenset({"network"}), "dropout")
    # A group and one of its members together count each control once.
    assert expand({"deep", "network"}) == set(GROUPS["network"]) | {"dropout", "gradient_clip"}
    assert hide_value(frozenset({"dropout", "deep"})) == "deep,dropout"
