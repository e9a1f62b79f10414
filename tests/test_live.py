"""What the live charts send: the whole figure once, then only what changed."""

from __future__ import annotations

import json

import pytest

from playground.config import TrainingConfig
from playground.trainer import Trainer
from playground.ui import live, view
from playground.ui.state import PlaygroundState


@pytest.fixture
def sent(monkeypatch):
    payloads: dict[str, list[dict]] = {}

    def record(*, key, data, **callbacks):
        assert "on_need_full_change" in callbacks
        payloads.setdefault(key, []).append(json.loads(json.dumps(data)))  # must be JSON-able

    monkeypatch.setattr(live, "_live_plot_component", record)
    return payloads


def draw_all(state: PlaygroundState) -> None:
    view.boundary_chart(state)
    view.loss_chart(state)
    view.gradient_chart(state)


def test_first_frame_sends_whole_figures_and_later_frames_only_new_rows(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    draw_all(state)
    assert all("base" in sent[key][0] for key in ("boundary", "loss", "gradients"))
    state.trainer.train(4)
    draw_all(state)
    boundary, loss, gradients = sent["boundary"][-1], sent["loss"][-1], sent["gradients"][-1]
    # The boundary is a new image and line (layout edits); the hover grid only every tenth frame.
    assert "base" not in boundary and "image" in boundary and len(boundary["image"]["line"]) % 4 == 0
    assert len(boundary["image"]["b64"]) < 10_000 and "restyle" not in boundary
    assert "base" not in loss and loss["extend"]["from_epoch"] == 0
    assert loss["extend"]["update"]["x"][0] == [1, 2, 3, 4]  # only the 4 new epochs
    assert len(gradients["extend"]["update"]["y"]) == state.trainer.network.n_layers
    # An update is far smaller than the whole figure.
    assert (
        len(json.dumps(loss)) < len(json.dumps(sent["loss"][0])) / 2
        or len(sent["loss"][0]["base"]["data"][0]["x"]) < 10
    )


def test_a_new_full_app_run_resends_whole_figures(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    draw_all(state)
    state.full_run_id += 1
    draw_all(state)
    assert all("base" in sent[key][-1] for key in ("boundary", "loss", "gradients"))


def test_browser_request_for_the_whole_figure_is_honoured(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    draw_all(state)
    live._ask_for_full_figure(state, "loss")
    state.trainer.train(1)
    draw_all(state)
    assert "base" in sent["loss"][-1]
    assert "base" not in sent["gradients"][-1]


def test_reset_or_new_architecture_changes_the_version(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    draw_all(state)
    version = sent["gradients"][-1]["version"]
    state.trainer.apply_config(TrainingConfig(hidden_layers=(4, 4, 4), activations=("tanh",) * 3))
    state.run_id += 1
    draw_all(state)
    assert sent["gradients"][-1]["version"] != version
    assert len(sent["gradients"][-1]["base"]["data"]) == 4  # one line per weight layer


def test_sequence_numbers_increase_per_chart(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    for _ in range(3):
        draw_all(state)
    assert [p["seq"] for p in sent["loss"]] == [1, 2, 3]


def test_the_boundary_refreshes_its_hover_grid_about_once_a_second(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    for _ in range(21):
        view.boundary_chart(state)
    with_hover = [payload["seq"] for payload in sent["boundary"] if "restyle" in payload]
    assert with_hover == [11, 21]  # every tenth update after the whole figure (payload 1)


def test_probability_image_is_one_byte_per_cell_top_row_first():
    import base64

    import numpy as np

    from playground import plots

    probabilities = np.zeros((4, 3))
    probabilities[-1] = 1.0  # the top row of the square (largest x2) is sure of blue
    image = plots.probability_image(probabilities)
    pixels = np.frombuffer(base64.b64decode(image["b64"]), dtype=np.uint8).reshape(4, 3)
    assert (image["rows"], image["cols"]) == (4, 3)
    assert pixels[0].tolist() == [255, 255, 255] and pixels[1:].max() == 0
    table = plots.colour_table()
    assert len(table) == 256 and table[0] == [0xC2, 0x41, 0x0C] and table[-1] == [0x0B, 0x5C, 0x99]


def test_the_boundary_figure_carries_its_image_and_line(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    view.boundary_chart(state)
    base = sent["boundary"][0]["base"]
    assert base["image"]["target"] == "images[0].source" and len(base["image"]["colours"]) == 256
    assert base["layout"]["images"][0]["sizing"] == "stretch"
    assert len(base["image"]["line"]) > 0 and base["image"]["frame"][2] > 12  # the line is painted in the image
    assert base["data"][0]["type"] == "heatmap" and base["data"][0]["opacity"] == 0


def test_layer_heatmap_resamples_a_thinned_history_onto_even_epochs():
    import numpy as np

    from playground import plots

    epochs = np.array([0, 1, 2, 4, 8, 16])  # a thinned history: uneven steps
    values = np.column_stack([10.0**-epochs, np.ones(6)])  # layer 1 shrinks, layer 2 constant
    grid, logs = plots.layer_heatmap_grid(epochs, values, columns=5)
    np.testing.assert_allclose(grid, [0, 4, 8, 12, 16])
    # Each column shows the latest row at or before its epoch: epoch 12 shows the row of epoch 8.
    np.testing.assert_allclose(logs[0], [0, -4, -8, -8, -16])
    np.testing.assert_allclose(logs[1], 0)


def test_layer_heatmap_colour_range_only_widens_and_then_refreshes_the_hover_grid():
    import numpy as np

    from playground import plots

    epochs = np.arange(5.0)
    figure, value_range = plots.layer_heatmap_figure(epochs, np.full((5, 3), 1e-2), "log")
    assert value_range[0] <= -2 <= value_range[1]
    update, same = plots.layer_heatmap_update(epochs, np.full((5, 3), 1e-2), value_range)
    assert same == value_range and "restyle" not in update and update["image"]["rows"] == 3
    update, wider = plots.layer_heatmap_update(epochs, np.full((5, 3), 1e-6), value_range)
    assert wider[0] <= -6 and wider[1] == value_range[1] and "restyle" in update
    assert update["restyle"]["update"]["zmin"] == [wider[0]]


def test_updates_overlap_the_last_few_payloads_so_a_skipped_one_is_covered(sent):
    from playground.ui.state import OVERLAP_FRAMES

    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    view.loss_chart(state)  # whole figure at epoch 0
    for _ in range(OVERLAP_FRAMES + 2):
        state.trainer.train(2)
        view.loss_chart(state)
    last = sent["loss"][-1]["extend"]
    # The window starts OVERLAP_FRAMES payloads back, not at the previous payload.
    assert last["from_epoch"] == state.trainer.epoch - 2 * OVERLAP_FRAMES
    assert last["update"]["x"][0] == list(range(last["from_epoch"] + 1, state.trainer.epoch + 1))


def test_play_and_pause_are_idempotent():
    from playground.ui.controls import set_playing

    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    set_playing(state, True)
    set_playing(state, True)  # the same click delivered twice must not pause again
    assert state.playing
    set_playing(state, False)
    set_playing(state, False)
    assert not state.playing
