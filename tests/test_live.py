"""What the live charts send: the whole figure once, then only what changed."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer
from playground.ui import live, pacing, status, view
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


def test_first_frames_send_whole_figures_and_later_frames_only_new_rows(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig(), record_every=1))
    for _ in range(live.WHOLE_FIGURE_REPEATS):  # a new figure goes out a few frames running
        draw_all(state)
    for key in ("boundary", "loss", "gradients"):
        assert ["base" in payload for payload in sent[key]] == [True] * live.WHOLE_FIGURE_REPEATS
    state.trainer.train(4)
    draw_all(state)
    boundary, loss, gradients = sent["boundary"][-1], sent["loss"][-1], sent["gradients"][-1]
    # The boundary is a new image and line (layout edits).
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


def test_browser_request_for_the_whole_figure_is_honoured_once(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    for _ in range(live.WHOLE_FIGURE_REPEATS):
        draw_all(state)
    live._ask_for_full_figure(state, "loss")
    state.trainer.train(1)
    draw_all(state)
    assert "base" in sent["loss"][-1]
    assert "base" not in sent["gradients"][-1]
    state.trainer.train(1)
    draw_all(state)
    assert "base" not in sent["loss"][-1]  # a request is answered once, not a few times like a new shape


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


def test_boundary_updates_are_an_image_that_also_carries_the_hover_values(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    for _ in range(live.WHOLE_FIGURE_REPEATS + 3):
        view.boundary_chart(state)
    updates = sent["boundary"][live.WHOLE_FIGURE_REPEATS :]
    # No restyle of the hover heatmap (a full Plotly recalculation): the browser reads the hover
    # values of trace 0 from the image's bytes.
    assert all("restyle" not in update and update["image"]["hover_trace"] == 0 for update in updates)
    assert sent["boundary"][0]["base"]["data"][0]["type"] == "heatmap"


def test_probability_image_is_one_byte_per_cell_top_row_first():
    import base64

    import numpy as np

    from playground.plots import boundary as boundary_plots
    from playground.plots import style as plot_style

    probabilities = np.zeros((4, 3))
    probabilities[-1] = 1.0  # the top row of the square (largest x2) is sure of blue
    image = boundary_plots.probability_image(probabilities)
    pixels = np.frombuffer(base64.b64decode(image["b64"]), dtype=np.uint8).reshape(4, 3)
    assert (image["rows"], image["cols"]) == (4, 3)
    assert pixels[0].tolist() == [255, 255, 255] and pixels[1:].max() == 0
    table = plot_style.colour_table()
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

    from playground.plots import flow as flow_plots

    epochs = np.array([0, 1, 2, 4, 8, 16])  # a thinned history: uneven steps
    values = np.column_stack([10.0**-epochs, np.ones(6)])  # layer 1 shrinks, layer 2 constant
    grid, logs = flow_plots.layer_heatmap_grid(epochs, values, columns=5)
    np.testing.assert_allclose(grid, [0, 4, 8, 12, 16])
    # Each column shows the latest row at or before its epoch: epoch 12 shows the row of epoch 8.
    np.testing.assert_allclose(logs[0], [0, -4, -8, -8, -16])
    np.testing.assert_allclose(logs[1], 0)


def test_layer_heatmap_colour_range_only_widens_and_then_refreshes_the_hover_grid():
    import numpy as np

    from playground.plots import flow as flow_plots

    epochs = np.arange(5.0)
    figure, value_range = flow_plots.layer_heatmap_figure(epochs, np.full((5, 3), 1e-2), "log")
    assert value_range[0] <= -2 <= value_range[1]
    update, same = flow_plots.layer_heatmap_update(epochs, np.full((5, 3), 1e-2), value_range)
    assert same == value_range and "restyle" not in update and update["image"]["rows"] == 3
    update, wider = flow_plots.layer_heatmap_update(epochs, np.full((5, 3), 1e-6), value_range)
    assert wider[0] <= -6 and wider[1] == value_range[1] and "restyle" in update
    assert update["restyle"]["update"]["zmin"] == [wider[0]]


def test_updates_overlap_the_last_few_payloads_so_a_skipped_one_is_covered(sent):
    from playground.ui.state import OVERLAP_FRAMES

    state = PlaygroundState(trainer=Trainer(TrainingConfig(), record_every=1))
    view.loss_chart(state)  # whole figure at epoch 0
    for _ in range(OVERLAP_FRAMES + 2):
        state.trainer.train(2)
        view.loss_chart(state)
    last = sent["loss"][-1]["extend"]
    # The window starts OVERLAP_FRAMES payloads back, not at the previous payload.
    assert last["from_epoch"] == state.trainer.epoch - 2 * OVERLAP_FRAMES
    assert last["update"]["x"][0] == list(range(last["from_epoch"] + 1, state.trainer.epoch + 1))


def test_play_and_pause_are_idempotent():
    from playground.ui.session import set_playing

    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    set_playing(state, True)
    set_playing(state, True)  # the same click delivered twice must not pause again
    assert state.playing
    set_playing(state, False)
    set_playing(state, False)
    assert not state.playing


def test_a_playback_click_delivered_with_a_fragment_run_is_ignored(monkeypatch):
    """Streamlit can deliver a click twice: early, with the live view's timer run, and with the click's
    own full run. Only the full run's copy counts, so Pause, Step and Reset act once."""
    from types import SimpleNamespace

    from playground.ui import session

    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    in_fragment = SimpleNamespace(fragment_ids_this_run=["live_view"])
    in_full_run = SimpleNamespace(fragment_ids_this_run=None)
    monkeypatch.setattr(session, "get_script_run_ctx", lambda: in_fragment)
    session.set_playing(state, True)
    session.step(state, 1)
    assert not state.playing and state.trainer.epoch == 0  # the early copies do nothing
    monkeypatch.setattr(session, "get_script_run_ctx", lambda: in_full_run)
    session.set_playing(state, True)
    session.step(state, 1)
    assert state.playing and state.trainer.epoch == 1
    monkeypatch.setattr(session, "get_script_run_ctx", lambda: in_fragment)
    session.reset(state)
    assert state.trainer.epoch == 1  # an early copy of Reset does not reset
    monkeypatch.setattr(session, "get_script_run_ctx", lambda: in_full_run)
    session.reset(state)
    assert state.trainer.epoch == 0 and not state.playing


# ---- stepped axis ranges: most frames only append points -------------------------------------------
NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


@pytest.mark.parametrize("value", [0.003, 0.69, 1.0, 7.0, 10.0, 11.0, 137.0, 999.0, 1001.0, 4096.0, 123456.0])
def test_nice_ceiling_is_the_next_nice_number_at_or_above(value):
    import math

    from playground.plots import history as history_plots

    bound = history_plots.nice_ceiling(value)
    assert value <= bound <= value * 4 / 3 + 1e-12  # the widest gap between nice numbers is 3 -> 4
    mantissa = bound / 10 ** math.floor(math.log10(bound))
    assert any(math.isclose(mantissa, nice) for nice in NICE), bound
    assert history_plots.nice_ceiling(bound) == bound  # already nice: unchanged


def test_epoch_and_value_axis_ranges():
    import numpy as np

    from playground.plots import history as history_plots

    assert history_plots.epoch_axis_range(0) == [0.0, 10.0] and history_plots.epoch_axis_range(11) == [0.0, 12.0]
    assert history_plots.value_axis_range(np.array([0.69, 0.2, np.nan]), log=False) == [0.0, 0.8]
    # Log axes: whole decades (as exponents) with some room above and below the data.
    assert history_plots.value_axis_range(np.array([2e-3, 0.5]), log=True) == [-3.0, 0.0]
    assert history_plots.value_axis_range(np.array([1e-3, 0.95]), log=True) == [-4.0, 1.0]
    assert history_plots.value_axis_range(np.array([0.0, np.nan, -1.0]), log=True) is None
    assert history_plots.value_axis_range(np.array([np.inf]), log=False) is None
    ranges = history_plots.live_axis_ranges(np.arange(5), np.ones((5, 2)), "fixed")
    assert ranges == {"xaxis.range": [0.0, 10.0]}  # a fixed y axis is left alone


def test_history_charts_carry_stepped_ranges_that_rarely_change(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    figure = None
    for _ in range(300):
        view.loss_chart(state)
        view.gradient_chart(state)
        state.trainer.train(1)
    loss, gradients = sent["loss"], sent["gradients"]
    figure = loss[0]["base"]["layout"]
    assert figure["xaxis"]["range"] == [0.0, 10.0] and figure["yaxis"]["range"][0] == 0.0
    updates = [payload for payload in loss if "extend" in payload]
    assert all(payload["ranges"]["xaxis.range"][1] >= payload["last_epoch"] for payload in updates)
    # 300 frames of one epoch each, yet the epoch axis moved only at nice numbers (10, 12, 15, ..., 300).
    x_ranges = {tuple(payload["ranges"]["xaxis.range"]) for payload in updates}
    assert len(x_ranges) <= 16
    log_ranges = {tuple(payload["ranges"]["yaxis.range"]) for payload in gradients if "ranges" in payload}
    assert all(low == int(low) and high == int(high) for low, high in log_ranges)  # whole decades


def test_a_thinned_history_keeps_the_chart_and_sends_its_stride(sent):
    trainer = Trainer(TrainingConfig(), max_history_rows=16, record_every=1)
    state = PlaygroundState(trainer=trainer)
    for _ in range(live.WHOLE_FIGURE_REPEATS):
        view.loss_chart(state)
    trainer.train(40)  # past 16 rows: the history keeps every 2nd, then every 4th epoch
    view.loss_chart(state)
    update = sent["loss"][-1]
    assert trainer.history.generation >= 2
    assert "base" not in update and update["version"] == sent["loss"][0]["version"]
    assert update["extend"]["stride"] == trainer.history.stride >= 4
    assert sent["loss"][0]["base"]["stride"] == 1


def test_chart_headings_and_captions_travel_with_whole_figures_only(sent):
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    for _ in range(live.WHOLE_FIGURE_REPEATS + 1):
        view.loss_chart(state, title="Loss over epochs", caption="**Loss** <b>measures</b> *how* wrong")
    first, last = sent["loss"][0], sent["loss"][-1]
    assert first["frame_text"] == {
        "title": "Loss over epochs",
        "subtitle": "",
        "caption": "<strong>Loss</strong> &lt;b&gt;measures&lt;/b&gt; <em>how</em> wrong",
    }
    assert "frame_text" not in last


def test_inline_markdown_html_escapes_everything_but_bold_and_italic():
    assert live.inline_markdown_html("a **b** *c* 2*3*4 <script>") == (
        "a <strong>b</strong> <em>c</em> 2*3*4 &lt;script&gt;"
    )


def test_the_component_modules_are_served_together_under_their_version(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "STATIC_DIR", tmp_path)
    monkeypatch.setattr(live, "_last_kept_fresh", 0.0)
    versions = tmp_path / live.SERVED_ROOT
    stale, recent = versions / "0123456789ab", versions / "ba9876543210"  # other code's versions
    for other in (stale, recent):
        (other / "live").mkdir(parents=True)
        (other / "live_plot.js").write_text("// old")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    live.ensure_live_plot_served()
    served = versions / live._VERSION
    # Laid out as in assets/, so that the modules' relative imports stay within one version.
    for module in live.SERVED_MODULES:
        assert (served / module.relative_to(live.ASSETS_DIR)).read_bytes() == module.read_bytes()
    assert {"live_plot.js", "network_diagram.js", "live/plotly_adapter.js"} <= {
        path.relative_to(served).as_posix() for path in served.rglob("*.js")
    }
    for path in served.rglob("*.js"):
        for specifier in re.findall(r'(?:from |import\()"(\.\.?/[^"]+)"', path.read_text()):
            assert (path.parent / specifier).resolve().is_file(), f"{path.name} imports {specifier}"
    # A directory unused for an hour goes; one in use by another process stays; no partial copy is left.
    assert sorted(entry.name for entry in versions.iterdir()) == sorted([live._VERSION, recent.name])
    entry_file = (served / "live_plot.js").stat()
    live.ensure_live_plot_served()  # already there: nothing written again
    assert (served / "live_plot.js").stat().st_ino == entry_file.st_ino
    # The inline stub is small (it travels with every chart update) and names the version's directory.
    assert len(live._STUB_JS) < 600 and f"app/static/live/{live._VERSION}/live_plot.js" in live._STUB_JS


def test_status_block_shows_every_number_and_the_speed_only_while_playing():
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    state.trainer.train(3)
    paused = status.status_html(state)
    for label in ("Epoch", "Train loss", "Test loss", "Train accuracy", "Test accuracy"):
        assert f'data-metric="{label}"' in paused
    assert '<div class="bp-metric-value">3</div>' in paused and "epochs per second" not in paused
    state.playing, state.epochs_per_second, state.speed = True, 1234.4, "max"
    playing = status.status_html(state)
    assert "Training at about 1,234 epochs per second (max per frame)." in playing


def test_frames_are_paced_to_the_frame_period(monkeypatch):
    from playground.ui import state as state_module

    clock = {"now": 100.0}
    slept = []
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: clock["now"])
    monkeypatch.setattr(pacing.time, "sleep", lambda seconds: slept.append(seconds))
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))
    pacing.pace_frame(state)  # the first frame does not wait
    clock["now"] += 0.03  # the next request comes 30 ms later: it waits for the rest of the period
    pacing.pace_frame(state)
    clock["now"] += 0.5  # a late frame (a slow browser, a pause) does not wait at all
    pacing.pace_frame(state)
    assert slept == [pytest.approx(state_module.FRAME_PERIOD_SECONDS - 0.03)]


def test_streamlit_settings_the_live_view_relies_on():
    from pathlib import Path

    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True  # plotly.min.js and live_plot.js
    assert config["runner"]["postScriptGC"] is False  # a full gc.collect() per frame halves the frame rate
    assert config["runner"]["fastReruns"] is False  # else a click and a training frame run concurrently
