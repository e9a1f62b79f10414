"""The controls of the cures for deep networks, driven with AppTest: skip connections, normalisation, dropout and
gradient clipping reach the trainer's config (per run in compare mode), a link carries them both ways, a link can
hide them, and bad values in a link or batch norm with a batch of one give a message, never a traceback.

AppTest runs the live-view fragment once per ``run()``; a Step is one click and one run.
"""

from __future__ import annotations

import numpy as np
import pytest

from playground.data.userdata import from_arrays, to_url_text
from playground.engine.network import Network
from playground.links.hiding import GROUPS
from playground.training.history import CLIPPED
from playground.ui.controls import DROPOUTS, GRADIENT_CLIPS, skip_summary
from tests.test_app import assert_clean, metric, start, state_of
from tests.test_app_hiding import query_value, widget_keys

DEEP_WIDGETS = {
    "residual": "w_residual",
    "normalization": "w_normalization",
    "dropout": "w_dropout",
    "gradient_clip": "w_gradient_clip",
}
DEEP_URL = {"residual": "1", "normalization": "batch", "dropout": "0.2", "gradient_clip": "1"}


def shown_values(at) -> dict:
    """What the four deep controls show now, by setting name."""
    return {
        "residual": at.checkbox(key="w_residual").value,
        "normalization": at.selectbox(key="w_normalization").value,
        "dropout": at.select_slider(key="w_dropout").value,
        "gradient_clip": at.select_slider(key="w_gradient_clip").value,
    }


# ---- a link carries them both ways ------------------------------------------------------------------
def test_a_link_with_the_deep_settings_opens_with_the_controls_showing_them():
    at = start(DEEP_URL | {"hidden_layers": "8,8,8"})
    assert_clean(at)
    assert not at.warning, [w.value for w in at.warning]
    assert shown_values(at) == {"residual": True, "normalization": "batch", "dropout": 0.2, "gradient_clip": 1.0}
    config = state_of(at).trainer.config
    assert (config.residual, config.normalization, config.dropout, config.gradient_clip) == (True, "batch", 0.2, 1.0)
    network = state_of(at).trainer.network
    assert network.skips == [False, True, True] and network.normalization == "batch" and network.dropout == 0.2


def test_each_control_changes_the_trainers_config_and_the_url():
    at = start({"hidden_layers": "8,8,8"})
    assert all(query_value(at, name) is None for name in DEEP_WIDGETS)  # the defaults are not in the link

    at.checkbox(key="w_residual").check().run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.config.residual and trainer.network.skips == [False, True, True]
    assert query_value(at, "residual") == "1"

    at.selectbox(key="w_normalization").set_value("layer").run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.config.normalization == trainer.network.normalization == "layer"
    assert len(trainer.network.gammas) == 3  # one gamma per hidden layer, now in theta
    assert query_value(at, "normalization") == "layer"

    at.button(key="step_one").click().run()
    weights = state_of(at).trainer.network.theta.copy()
    at.select_slider(key="w_dropout").set_value(0.3).run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.config.dropout == trainer.network.dropout == 0.3
    assert trainer.epoch == 1 and np.array_equal(trainer.network.theta, weights)  # a training setting: kept
    assert query_value(at, "dropout") == "0.3"

    at.select_slider(key="w_gradient_clip").set_value(0.5).run()
    assert_clean(at)
    trainer = state_of(at).trainer
    assert trainer.config.gradient_clip == 0.5 and trainer.epoch == 1
    assert query_value(at, "gradient_clip") == "0.5"

    at.select_slider(key="w_gradient_clip").set_value(0.0).run()  # "off" takes it out of the link again
    assert state_of(at).trainer.config.gradient_clip == 0.0 and query_value(at, "gradient_clip") is None


def test_the_url_the_app_writes_opens_the_same_controls_in_a_new_session():
    at = start({"hidden_layers": "6,6"})
    at.checkbox(key="w_residual").check().run()
    at.selectbox(key="w_normalization").set_value("batch").run()
    at.select_slider(key="w_dropout").set_value(0.15).run()
    at.select_slider(key="w_gradient_clip").set_value(5.0).run()
    again = start({name: query_value(at, name) for name in at.query_params})
    assert_clean(again)
    assert (
        shown_values(again)
        == shown_values(at)
        == {
            "residual": True,
            "normalization": "batch",
            "dropout": 0.15,
            "gradient_clip": 5.0,
        }
    )
    assert state_of(again).trainer.config == state_of(at).trainer.config


def test_a_value_between_the_sliders_choices_is_shown_exactly():
    at = start({"dropout": "0.23", "gradient_clip": "37"})
    assert_clean(at)
    assert at.select_slider(key="w_dropout").value == 0.23 and at.select_slider(key="w_gradient_clip").value == 37
    assert 0.23 not in DROPOUTS and 37.0 not in GRADIENT_CLIPS  # added to the choices, not rounded to one


# ---- what the settings do, seen through the app ------------------------------------------------------
def test_clipping_set_in_the_sidebar_clips_the_steps_a_step_trains():
    # A tight norm on a 3-layer network at a high learning rate: its gradients exceed 0.01 from the start.
    at = start({"hidden_layers": "8,8,8", "learning_rate": "1", "batch_size": "50"})
    at.button(key="step_one").click().run()
    assert sum(state_of(at).trainer.history.column(CLIPPED)) == 0  # off: nothing clipped
    at.select_slider(key="w_gradient_clip").set_value(0.1).run()
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert state_of(at).trainer.history.column(CLIPPED)[-1] > 0


def test_the_skip_caption_names_the_layers_with_and_without_a_skip():
    at = start({"hidden_layers": ",".join(["8"] * 16), "residual": "1"})
    assert_clean(at)
    captions = [caption.value for caption in at.sidebar.caption]
    assert "Layers 2-16 get a skip; layer 1 (2 inputs → 8) cannot (input and output widths differ)." in captions
    at.checkbox(key="w_residual").uncheck().run()
    assert not any("get a skip" in caption.value for caption in at.sidebar.caption)  # off: no caption


def test_each_control_says_what_it_does_and_why():
    at = start({"hidden_layers": "8,8,4"})
    helps = {
        "residual": at.checkbox(key="w_residual").help,
        "normalization": at.selectbox(key="w_normalization").help,
        "dropout": at.select_slider(key="w_dropout").help,
        "gradient_clip": at.select_slider(key="w_gradient_clip").help,
    }
    for name, cited in [
        ("residual", "He et al. 2016"),
        ("normalization", "Ioffe & Szegedy 2015"),
        ("dropout", "Srivastava et al. 2014"),
        ("gradient_clip", "Pascanu et al. 2013"),
    ]:
        assert cited in helps[name], name
    # The skip's help says which of these layers would get one, before it is switched on.
    assert "Layer 2 gets a skip; layers 1 (2 inputs → 8), 3 (8 → 4) cannot" in helps["residual"]


@pytest.mark.parametrize(
    ("hidden", "said"),
    [
        ([8] * 16, "Layers 2-16 get a skip; layer 1 (2 inputs → 8) cannot (input and output widths differ)."),
        ([2, 2, 2], "Every hidden layer gets a skip (layers 1-3)."),
        ([2], "Every hidden layer gets a skip (layer 1)."),
        ([4, 2], "No hidden layer gets a skip: each changes width (layers 1 (2 inputs → 4), 2 (4 → 2))"),
        ([2, 4, 4, 3, 3, 3], "Layers 1, 3, 5-6 get a skip; layers 2 (2 → 4), 4 (4 → 3) cannot"),
        ([1, 3, 5, 7, 7], "Layer 5 gets a skip; layers 1 (2 inputs → 1), 2 (1 → 3), 3 (3 → 5) and 1 more cannot"),
        ([], "There is no hidden layer to skip"),
    ],
)
def test_the_skip_summary_agrees_with_the_networks_own_skips(hidden, said):
    sizes = [2, *hidden, 1]
    network = Network(sizes, ["tanh"] * len(hidden), residual=True)
    assert skip_summary(sizes, network.skips).startswith(said)


# ---- batch norm needs two examples per batch -------------------------------------------------------------
def test_choosing_batch_norm_with_a_batch_of_one_sets_batch_two_and_says_why():
    at = start({"batch_size": "1", "hidden_layers": "4,4"})
    assert at.slider(key="w_batch").value == 1 and at.slider(key="w_batch").min == 1
    at.selectbox(key="w_normalization").set_value("batch").run()
    assert_clean(at)
    config = state_of(at).trainer.config
    assert config.normalization == "batch" and config.batch_size == 2
    assert any("one example has no spread" in w.value and "set to 2" in w.value for w in at.warning)
    assert at.slider(key="w_batch").value == 2 and at.slider(key="w_batch").min == 2  # 1 is no longer offered
    assert query_value(at, "batch_size") == "2"
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "1"
    at.selectbox(key="w_normalization").set_value("layer").run()  # layer norm works per example: 1 again
    assert at.slider(key="w_batch").min == 1 and state_of(at).trainer.config.batch_size == 2


def test_a_link_with_batch_norm_and_a_batch_of_one_opens_with_batch_two_and_a_message():
    at = start({"normalization": "batch", "batch_size": "1"})
    assert_clean(at)
    assert state_of(at).trainer.config.batch_size == 2
    assert any("batch norm needs at least 2 examples per batch" in w.value for w in at.warning), [
        w.value for w in at.warning
    ]


def test_batch_norm_with_a_single_training_point_trains_and_says_what_happens():
    # Your own data with one training point (and one test point): every batch is that point, whatever the setting.
    data, _ = from_arrays(np.array([[1.0, 1.0]]), np.array([1.0]), np.array([[-1.0, -1.0]]), np.array([0.0]), 2)
    at = start({"dataset": "custom", "user_data": to_url_text(data), "normalization": "batch"})
    assert_clean(at)
    assert state_of(at).trainer.y_train.shape == (1,)
    assert "w_batch" not in widget_keys(at)  # no range to choose from
    assert any("Batch norm needs at least 2" in caption.value for caption in at.sidebar.caption)
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "1" and not state_of(at).trainer.diverged


# ---- compare mode: per run -------------------------------------------------------------------------------
def test_in_compare_mode_the_controls_edit_the_chosen_run_only():
    at = start({"hidden_layers": "8,8,8"})
    at.toggle(key="w_compare").set_value(True).run()  # edits run B
    at.checkbox(key="w_residual").check().run()
    at.selectbox(key="w_normalization").set_value("batch").run()
    at.select_slider(key="w_dropout").set_value(0.1).run()
    at.select_slider(key="w_gradient_clip").set_value(2.0).run()
    assert_clean(at)
    a, b = state_of(at).trainer.config, state_of(at).trainer_b.config
    assert (b.residual, b.normalization, b.dropout, b.gradient_clip) == (True, "batch", 0.1, 2.0)
    assert (a.residual, a.normalization, a.dropout, a.gradient_clip) == (False, "none", 0.0, 0.0)
    assert query_value(at, "b.residual") == "1" and query_value(at, "b.normalization") == "batch"
    assert query_value(at, "b.dropout") == "0.1" and query_value(at, "b.gradient_clip") == "2.0"
    assert query_value(at, "residual") is None  # run A's are the defaults
    at.button_group(key="w_editing").set_value("A").run()
    assert shown_values(at) == {"residual": False, "normalization": "none", "dropout": 0.0, "gradient_clip": 0.0}
    at.button_group(key="w_editing").set_value("B").run()
    assert shown_values(at) == {"residual": True, "normalization": "batch", "dropout": 0.1, "gradient_clip": 2.0}


def test_a_compare_link_opens_each_runs_deep_settings():
    at = start({"compare": "1", "normalization": "layer", "b.normalization": "batch", "b.gradient_clip": "2"})
    assert_clean(at)
    assert not at.warning, [w.value for w in at.warning]
    at.button_group(key="w_editing").set_value("A").run()
    assert shown_values(at)["normalization"] == "layer" and shown_values(at)["gradient_clip"] == 0.0
    at.button_group(key="w_editing").set_value("B").run()
    assert shown_values(at)["normalization"] == "batch" and shown_values(at)["gradient_clip"] == 2.0


# ---- hidden by a link ------------------------------------------------------------------------------------
def test_hide_deep_hides_the_four_controls_and_nothing_else():
    at = start({"hide": "deep"})
    assert_clean(at)
    keys = widget_keys(at)
    assert not set(DEEP_WIDGETS.values()) & keys
    assert {"w_layer_0", "w_activation_all", "w_initializer", "w_optimizer", "w_batch", "w_regularization"} <= keys
    assert [header.value for header in at.sidebar.header] == ["Data", "Network", "Training"]
    assert any("4 controls are hidden by this link" in caption.value for caption in at.sidebar.caption)


@pytest.mark.parametrize("name", sorted(DEEP_WIDGETS))
def test_each_deep_control_can_be_hidden_alone(name):
    at = start({"hide": name, "residual": "1"})
    assert_clean(at)
    keys = widget_keys(at)
    assert DEEP_WIDGETS[name] not in keys
    assert {key for other, key in DEEP_WIDGETS.items() if other != name} <= keys
    if name == "residual":  # its caption goes with it
        assert not any("get a skip" in caption.value for caption in at.sidebar.caption)


def test_hiding_a_section_hides_its_deep_controls_with_it():
    at = start({"hide": "network"})
    keys = widget_keys(at)
    assert not {"w_residual", "w_normalization"} & keys and {"w_dropout", "w_gradient_clip"} <= keys
    assert set(GROUPS["deep"]) <= set(GROUPS["network"]) | set(GROUPS["training"])


# ---- bad values in a link --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ({"residual": "maybe"}, "residual", False),
        ({"normalization": "group"}, "normalization", "none"),
        ({"normalization": "<script>alert(1)</script>"}, "normalization", "none"),
        ({"dropout": "0.9"}, "dropout", 0.5),
        ({"dropout": "-1"}, "dropout", 0.0),
        ({"dropout": "banana"}, "dropout", 0.0),
        ({"gradient_clip": "-3"}, "gradient_clip", 0.0),
        ({"gradient_clip": "1e999"}, "gradient_clip", 0.0),
        ({"gradient_clip": "1e6"}, "gradient_clip", 100.0),
        ({"compare": "1", "b.dropout": "2"}, "dropout", 0.5),
    ],
)
def test_a_bad_value_in_a_link_is_a_message_and_the_control_shows_what_is_used(query, field, value):
    at = start(query)
    assert_clean(at)
    name = f"b.{field}" if "compare" in query else field
    assert any(name in w.value for w in at.warning), [w.value for w in at.warning]
    trainer = state_of(at).trainer_b if "compare" in query else state_of(at).trainer
    assert getattr(trainer.config, field) == value
    if "compare" in query:  # a compare link opens editing run A
        at.button_group(key="w_editing").set_value("B").run()
    assert shown_values(at)[field] == value
    at.button(key="step_one").click().run()
    assert_clean(at)
    assert trainer.epoch == 1 and not trainer.diverged
