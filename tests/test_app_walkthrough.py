"""The backprop walkthrough panel driven headlessly with AppTest: real script runs, the engine's numbers.

Opens the walkthrough on a point, goes Next through every step and Back again, checks that the tables,
the formula and the loss on screen are the engine's (``playground.teaching.walkthrough``, itself checked against
the network in tests/test_walkthrough.py), that Apply moves the weights by exactly the update shown, and
that bad rows and vanished points give a message, not a traceback.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.teaching.walkthrough import walkthrough
from playground.teaching.walkthrough_steps import _sub
from playground.ui import session, walkthrough_panel
from playground.ui.walkthrough_panel import APPLY_LABEL, TITLE, significant
from tests.test_app import assert_clean, chart_texts, start, state_of

ROW_LABEL = "Training row"


def row_input(at: AppTest):
    return next(widget for widget in at.number_input if widget.label.startswith(ROW_LABEL))


def open_row(at: AppTest, row: int) -> AppTest:
    row_input(at).set_value(row)
    at.run()
    assert_clean(at)
    return at


def counter(at: AppTest) -> str:
    """The step counter's text, e.g. 'Step 3 of 9: forward pass, layer 2'."""
    found = [m.value for m in at.markdown if "bp-walk-counter" in m.value]
    assert len(found) == 1, found
    return re.sub(r"<[^>]+>", "", found[0])


def button(at: AppTest, key: str):
    return at.button(key=key)


def panel_tables(at: AppTest):
    """The walkthrough's tables: (per-unit tables, weight matrices), in the order drawn."""
    units, matrices = [], []
    for element in at.dataframe:
        frame = element.value
        if frame.index.name == "unit":
            units.append(frame)
        elif frame.index.name == "from \\ to":
            matrices.append(frame)
    return units, matrices


def listed_rows(state, shown, layer: int, values: np.ndarray | None = None) -> np.ndarray:
    """The rows a table whose rows are unit layer ``layer`` lists: all, but for an image of more than 64 pixels
    (MNIST) the pixels' tables list the inked pixels, and a gradient's or update's (``values``) also any row
    not all 0: only rows of zeros are left out."""
    keep = np.ones(len(shown.labels[layer]), dtype=bool)
    if layer == 0 and state.trainer.inputs == "image" and shown.inputs.size > 64:
        keep = shown.inputs != 0
        if values is not None:
            keep = keep | np.any(values != 0, axis=1)
    return keep


def assert_numbers_on_screen_are_the_engines(at: AppTest) -> None:
    state = state_of(at)
    shown = walkthrough(state.trainer, state.walkthrough_index)
    step = shown.steps[state.walkthrough_step]
    assert at.latex[0].value.strip().strip("$").strip() == step.formula.strip()
    assert step.explanation in [m.value for m in at.markdown]
    by_symbol = {symbol: name for name, symbol in step.symbols.items()}
    units, matrices = panel_tables(at)
    if step.kind == "inputs" and state.trainer.inputs == "image":
        return  # an 8x8 grid of the pixels (test_digits_show_the_image_and_all_64_pixels)
    if step.kind != "update":
        shown_names = [name for name in step.unit_layer_of if not (step.kind == "backward" and name == "grad_b")]
        expected_columns = {step.symbols[name] for name in shown_names}
        assert {column for frame in units for column in frame.columns} == expected_columns
    for frame in units:
        for column in frame.columns:
            name = by_symbol[column]
            layer = step.unit_layer_of[name]
            keep = listed_rows(state, shown, layer)
            assert list(frame.index) == list(np.array(shown.labels[layer])[keep])
            np.testing.assert_array_equal(frame[column].to_numpy(), significant(step.numbers[name])[keep])
    main = {"forward": "W", "backward": "grad_W"}.get(step.kind)
    if main is None and step.kind == "update":
        main = f"update_W{int(at.selectbox(key='w_walk_update_layer').value)}"
    if main is not None:
        layer = step.weight_layer_of[main]
        values = step.numbers[main]
        keep = listed_rows(state, shown, layer, None if step.kind == "forward" else values)
        assert list(matrices[0].index) == list(np.array(shown.labels[layer])[keep])
        assert list(matrices[0].columns) == shown.labels[layer + 1]
        np.testing.assert_array_equal(matrices[0].to_numpy(), significant(values)[keep])
    else:
        assert not matrices
    if step.kind == "loss":
        text = " ".join(m.value for m in at.markdown)
        assert f"ℓ ({shown.loss_name}) = **{shown.loss:.4g}**" in text
    # single numbers (the loss, the learning rate, layer norm's μ and σ, clipping's norm and scale) above the tables
    text = " ".join(m.value for m in at.markdown)
    for name, value in step.numbers.items():
        if np.ndim(value) == 0:
            assert f"{step.symbols[name]} = **{float(value):.4g}**" in text, name


def test_the_panel_is_there_and_closed_at_first():
    at = start()
    assert_clean(at)
    assert TITLE in [header.value for header in at.subheader]
    assert state_of(at).walkthrough_index is None
    assert not [m for m in at.markdown if "bp-walk-counter" in m.value]


def test_next_through_every_step_and_back_with_the_engines_numbers():
    at = open_row(start(), 17)
    state = state_of(at)
    assert state.walkthrough_index == 17 and state.walkthrough_step == 0
    shown = walkthrough(state.trainer, 17)
    titles = [step.title for step in shown.steps]
    assert len(titles) == 9  # the default 4-2 network: inputs, 3 forward, loss, 3 backward, update
    point = state.trainer.train_points[17]
    assert any(f"Training row **17**: the point ({point[0]:.3g}, {point[1]:.3g})" in m.value for m in at.markdown)
    assert button(at, "walk_back").disabled
    for number, title in enumerate(titles):
        assert counter(at) == f"Step {number + 1} of 9: {title[0].lower() + title[1:]}"
        assert_numbers_on_screen_are_the_engines(at)
        if number < len(titles) - 1:
            assert not button(at, "walk_next").disabled
            button(at, "walk_next").click().run()
            assert_clean(at)
    assert button(at, "walk_next").disabled
    assert counter(at).startswith("Step 9 of 9: update")
    assert [b for b in at.button if b.label == APPLY_LABEL]
    session.move_walkthrough(state_of(at), 1)  # past the end (the button is disabled there): stays at the end
    at.run()
    assert state_of(at).walkthrough_step == 8
    for number in range(8, 0, -1):
        button(at, "walk_back").click().run()
        assert_clean(at)
        assert counter(at).startswith(f"Step {number} of 9")
    assert state_of(at).walkthrough_step == 0 and button(at, "walk_back").disabled
    assert_numbers_on_screen_are_the_engines(at)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"optimizer": "adam", "learning_rate": "0.01"},
        {"optimizer": "momentum", "regularization": "l2", "regularization_rate": "0.01"},
    ],
    ids=["sgd", "adam", "momentum-l2"],
)
def test_apply_moves_the_weights_by_exactly_the_update_shown(query):
    at = start(query)
    button(at, "step_one").click().run()  # one epoch first: momentum and Adam have state
    at = open_row(at, 3)
    state = state_of(at)
    for _ in range(8):
        button(at, "walk_next").click().run()
    assert counter(at).startswith("Step 9 of 9: update")
    assert_numbers_on_screen_are_the_engines(at)
    trainer = state.trainer
    shown = walkthrough(trainer, 3)
    theta_before = trainer.network.theta.copy()
    epoch, rows = trainer.epoch, len(trainer.history)
    steps_taken = getattr(trainer.optimizer, "steps_taken", None)
    next(b for b in at.button if b.label == APPLY_LABEL).click().run()
    assert_clean(at)
    np.testing.assert_array_equal(trainer.network.theta, theta_before + shown.update)
    assert not np.array_equal(trainer.network.theta, theta_before)
    assert trainer.epoch == epoch and len(trainer.history) == rows + 1
    if steps_taken is not None:
        assert trainer.optimizer.steps_taken == steps_taken + 1
    assert any("Applied: one" in s.value and "row 3" in s.value for s in at.success)
    assert state_of(at).walkthrough_step == 0 and state_of(at).walkthrough_index == 3
    # the panel now shows the next step, from the new weights
    assert_numbers_on_screen_are_the_engines(at)


def test_a_random_point_and_close():
    at = start()
    button(at, "walk_random").click().run()
    assert_clean(at)
    state = state_of(at)
    assert 0 <= state.walkthrough_index < state.trainer.y_train.shape[0]
    assert row_input(at).value == state.walkthrough_index
    assert counter(at).startswith("Step 1 of 9")
    button(at, "walk_close").click().run()
    assert state_of(at).walkthrough_index is None
    assert not [m for m in at.markdown if "bp-walk-counter" in m.value]


def test_bad_rows_are_clamped_with_a_message():
    at = start()
    state = state_of(at)
    last = state.trainer.y_train.shape[0] - 1
    session.open_walkthrough(state, 10**6)  # as any caller might: the nearest row, and a message
    at.run()
    assert_clean(at)
    assert state_of(at).walkthrough_index == last
    assert any("There is no training row 1000000" in w.value and f"row {last}" in w.value for w in at.warning)
    session.open_walkthrough(state, -4)
    at.run()
    assert state_of(at).walkthrough_index == 0
    assert any("There is no training row -4" in w.value for w in at.warning)
    session.open_walkthrough(state, "seven")
    at.run()
    assert_clean(at)
    assert state_of(at).walkthrough_index == 0
    assert any("is not a training row number" in w.value for w in at.warning)
    # A row set directly (a click handler) that does not exist closes the walkthrough, with a message.
    state.walkthrough_index = 10**6
    at.run()
    assert_clean(at)
    assert state_of(at).walkthrough_index is None
    assert any("There is no training row 1000000" in w.value and "closed" in w.value for w in at.warning)
    # A step beyond the end (the network got smaller) is clamped to the last step.
    open_row(at, 2)
    state.walkthrough_step = 99
    at.run()
    assert_clean(at)
    assert state_of(at).walkthrough_step == 8 and counter(at).startswith("Step 9 of 9")


def test_a_data_change_that_removes_the_point_closes_the_walkthrough():
    at = open_row(start(), 5)
    state = state_of(at)
    session.apply_change(state, data_seed=state.trainer.config.data_seed + 1)  # new points
    at.run()
    assert_clean(at)
    assert state_of(at).walkthrough_index is None
    assert any("no longer in the training set" in m.value for m in at.info)


def test_a_network_change_keeps_the_point_and_clamps_the_step():
    at = open_row(start(), 5)
    for _ in range(8):
        button(at, "walk_next").click().run()
    state = state_of(at)
    session.apply_change(state, hidden_layers=(3,), activations=("relu",))
    at.run()
    assert_clean(at)
    assert state_of(at).walkthrough_index == 5
    assert counter(at).startswith("Step 7 of 7: update")
    assert_numbers_on_screen_are_the_engines(at)


def test_while_playing_the_panel_says_to_pause():
    at = open_row(start(), 5)
    at.button(key="play_pause").click().run()
    assert_clean(at)
    assert state_of(at).playing
    assert any("Press **Pause** to follow one example" in c.value for c in at.caption)
    assert not [m for m in at.markdown if "bp-walk-counter" in m.value]


def test_digits_show_the_image_and_all_64_pixels():
    at = open_row(start({"dataset": "digits", "hidden_layers": "16"}), 4)
    state = state_of(at)
    assert_clean(at)
    assert len(at.get("image")) >= 1
    label = int(state.trainer.y_train[4])
    assert any(f"the digit {label}" in m.value for m in at.markdown)
    pixels = next(element.value for element in at.dataframe if element.value.index.name == "pixel")
    assert pixels.shape == (8, 8) and pixels.index[0] == "row 1" and pixels.columns[-1] == "col 8"
    np.testing.assert_array_equal(pixels.to_numpy().ravel(), significant(state.trainer.X_train[4]))
    for _ in range(4):  # to the backward pass of the output layer: 10 softmax outputs
        button(at, "walk_next").click().run()
    assert counter(at).startswith("Step 5 of 7: backward pass, output layer")
    assert_numbers_on_screen_are_the_engines(at)


def test_mnist_shows_the_image_as_a_heat_map_and_lists_only_the_inked_pixels():
    at = start({"dataset": "mnist", "train_size": "500", "hidden_layers": "16", "batch_size": "32"})
    button(at, "step_one").click().run()
    at = open_row(at, 7)
    state = state_of(at)
    image, label = state.trainer.train_points[7], int(state.trainer.y_train[7])
    assert any(f"Training row **7**: a 28x28 image, the digit {label}" in m.value for m in at.markdown)
    # the picture beside it: 4 screen pixels per image pixel, about as big as the 8x8 digits' 12 per pixel
    assert len(at.get("image")) >= 1
    picture = walkthrough_panel._digit_image(image)
    assert picture.shape == (112, 112) and walkthrough_panel._digit_image(np.zeros(64)).shape == (96, 96)
    np.testing.assert_array_equal(picture[::4, ::4], (255 * (1 - image.reshape(28, 28))).astype(np.uint8))
    # the inputs step: the 784 pixels as a 28 x 28 heat map, and a table of the inked ones
    charts = [json.loads(element.proto.spec) for element in at.get("plotly_chart")]
    (pixel_map,) = [chart for chart in charts if chart["data"][0].get("name") == "pixels"]
    np.testing.assert_allclose(np.array(pixel_map["data"][0]["z"]), image.reshape(28, 28), atol=5e-5)
    assert not [element for element in at.dataframe if element.value.index.name == "pixel"]  # no 28-column grid
    (inputs,) = [element.value for element in at.dataframe if "x = a₀" in element.value.columns]
    inked = np.flatnonzero(image)
    assert 30 < len(inked) < 400 and len(inputs) == len(inked)
    labels = walkthrough(state.trainer, 7).labels[0]
    assert list(inputs.index) == [labels[i] for i in inked]
    np.testing.assert_array_equal(inputs["x = a₀"].to_numpy(), significant(image[inked]))
    assert any(f"The {len(inked)} inked pixels of 784" in c.value for c in at.caption)
    # forward, loss, backward and the update: the engine's numbers, the pixels' rows cut to the inked ones
    first_layer_steps = 0
    for _ in range(6):
        button(at, "walk_next").click().run()
        assert_clean(at)
        assert_numbers_on_screen_are_the_engines(at)
        if state_of(at).walkthrough_step in (1, 5):  # forward and backward of layer 1: W₁, ∂L/∂W₁
            assert len(panel_tables(at)[1][0]) == len(inked)  # their rows: the inked pixels' (no L2 here)
            first_layer_steps += 1
    assert counter(at).startswith("Step 7 of 7: update") and first_layer_steps == 2
    at.selectbox(key="w_walk_update_layer").set_value(1).run()
    assert_clean(at)
    assert_numbers_on_screen_are_the_engines(at)
    _, matrices = panel_tables(at)
    assert len(inked) <= len(matrices[0]) < 784


def test_compare_mode_follows_run_a_and_says_so():
    at = start()
    session.set_compare(state_of(at), True)
    at.run()
    at = open_row(at, 8)
    assert any("Compare mode: the walkthrough follows run A." in m.value for m in at.markdown)
    assert_numbers_on_screen_are_the_engines(at)  # computed from state.trainer: run A


# ---- coherent in front of a class (issue 17): the scaling said, a click answered, Apply's effect shown ----
def boundary_figures(at: AppTest) -> list[dict]:
    """The whole boundary figures sent to the browser in the last run."""
    import json

    sent = [json.loads(element.proto.json) for element in at.get("bidi_component")]
    return [data["base"] for data in sent if "base" in data and str(data.get("version", "")).startswith("boundary")]


def test_the_first_step_says_how_the_point_becomes_the_tables_inputs():
    at = open_row(start(), 17)
    state = state_of(at)
    shown = walkthrough(state.trainer, 17)
    text = " ".join(m.value for m in at.markdown)
    x1, x2 = shown.point
    inputs = next(frame for frame in panel_tables(at)[0] if "x = a₀" in frame.columns)["x = a₀"].to_numpy()
    sentence = (
        f"The point (x₁, x₂) = ({x1:.4g}, {x2:.4g}) on the plane enters the network as "
        f"x = ({inputs[0]:.4g}, {inputs[1]:.4g}): X₁ = x₁/6 = {inputs[0]:.4g}, X₂ = x₂/6 = {inputs[1]:.4g}."
    )
    assert sentence in text
    assert "divided by 6 because the plane runs from −6 to 6" in text
    np.testing.assert_array_equal(inputs, significant(np.asarray(shown.point) / 6))  # the table is point / 6


def test_a_click_on_a_point_is_answered_on_the_plane_and_by_a_toast_with_a_link_down():
    at = start()
    state = state_of(at)
    assert not boundary_figures(at)[-1]["data"][-1]["name"].startswith("followed")
    x1, x2 = state.trainer.train_points[12]
    session.pick_point(state, float(x1), float(x2))  # what a click in "pick a point" mode calls
    at.run()
    assert_clean(at)
    row = state_of(at).walkthrough_index
    assert row is not None and np.hypot(*(state.trainer.train_points[row] - [x1, x2])) < 1e-9
    toasts = [toast.value for toast in at.toast]
    assert any(f"Walkthrough opened for training point #{row}" in t and "](#walkthrough)" in t for t in toasts), toasts
    heading = next(h for h in at.subheader if h.value == TITLE)
    assert heading.proto.anchor == "walkthrough"  # the link's target
    assert f"Training point #{row} (ringed in black) is open in the backprop walkthrough" in chart_texts(at)
    ring = boundary_figures(at)[-1]["data"][-1]
    assert ring["marker"]["symbol"] == "circle-open" and (ring["x"][0], ring["y"][0]) == (round(x1, 3), round(x2, 3))
    at.run()  # the toast is for the click: the next run has none
    assert not [t for t in at.toast if "Walkthrough opened" in t.value]
    button(at, "walk_close").click().run()
    assert "Click a training point (circle) to follow it" in chart_texts(at)
    assert not boundary_figures(at)[-1]["data"][-1]["name"].startswith("followed")


def test_apply_shows_its_effect_the_loss_the_weight_and_the_history_row():
    at = open_row(start(), 3)
    for _ in range(8):
        button(at, "walk_next").click().run()
    trainer = state_of(at).trainer
    shown = walkthrough(trainer, 3)
    rows = len(trainer.history)
    from playground.teaching.walkthrough import largest_change

    layer, source, target, old, delta = largest_change(shown)
    next(b for b in at.button if b.label == APPLY_LABEL).click().run()
    assert_clean(at)
    after = walkthrough(trainer, 3)
    message = next(s.value for s in at.success if "Applied: one" in s.value)
    assert f"Its loss went from {shown.total_loss:.4g} to {after.total_loss:.4g}" in message
    assert f"W{layer} from {source} to {target}, {old:.4g} → {old + delta:.4g} ({delta:+.3g})" in message
    assert f"the history has a new row ({rows + 1:,} rows) at epoch 0" in message
    assert any(f"{shown.total_loss:.4g} → {after.total_loss:.4g}" in t.value for t in at.toast)


def test_the_walkthrough_of_a_digit_is_not_ringed_on_any_plane():
    at = open_row(start({"dataset": "digits", "hidden_layers": "8"}), 4)
    from playground.ui.walkthrough_panel import followed_point

    assert followed_point(state_of(at), state_of(at).trainer) is None
    assert "divided by 16" in " ".join(m.value for m in at.markdown)


# ---- every layer kind (issue 18): skip connections, batch and layer norm, dropout, clipping ----------------
DESIGN_QUERIES = {
    "batchnorm-skip-dropout-clip": {
        "hidden_layers": "4,4",
        "residual": "1",
        "normalization": "batch",
        "dropout": "0.2",
        "gradient_clip": "0.05",
        "optimizer": "adam",
        "learning_rate": "0.01",
    },
    "layernorm-skip": {"hidden_layers": "3,3,3", "residual": "1", "normalization": "layer"},
}


@pytest.mark.parametrize("query", list(DESIGN_QUERIES.values()), ids=list(DESIGN_QUERIES))
def test_every_layer_kind_is_walked_through_with_the_engines_numbers_and_applied_exactly(query):
    at = start(query)
    button(at, "step_one").click().run()  # one epoch: running averages and optimiser state to read
    at = open_row(at, 6)
    state = state_of(at)
    trainer = state.trainer
    shown = walkthrough(trainer, 6)
    captions = " ".join(c.value for c in at.caption)
    assert "Skip connections around hidden layer" in captions and "a = input + f(input)" in captions
    if query["normalization"] == "batch":
        assert "running averages" in captions and "Dropout (p = 0.2) is off in this step" in captions
        assert "Gradient clipping at norm 0.05" in captions
    else:
        assert "Layer norm" in captions
    count = len(shown.steps)
    for number in range(count):
        assert_numbers_on_screen_are_the_engines(at)
        step = shown.steps[number]
        if step.kind == "forward" and step.layer < trainer.network.n_layers:
            units, _ = panel_tables(at)
            columns = {column for frame in units for column in frame.columns}
            assert f"ẑ{_sub(step.layer)}" in columns and f"γ{_sub(step.layer)}" in columns
        if number < count - 1:
            button(at, "walk_next").click().run()
            assert_clean(at)
    assert counter(at).startswith(f"Step {count} of {count}: update")
    theta_before = trainer.network.theta.copy()
    statistics = trainer.network.statistics.copy()
    next(b for b in at.button if b.label == APPLY_LABEL).click().run()
    assert_clean(at)
    np.testing.assert_array_equal(theta_before, shown.theta_before)
    np.testing.assert_array_equal(trainer.network.theta, shown.theta_after)  # exactly the step shown
    np.testing.assert_array_equal(trainer.network.statistics, statistics)  # one example's step keeps them
    assert any("Applied: one" in s.value for s in at.success)
