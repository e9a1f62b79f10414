"""One scale for what is compared: in compare mode run A's and run B's gradient charts share their axes and
the lens heatmaps their colour range and epoch axis, live; the network diagram's gradient colouring has one
fixed absolute scale for every run; and its short headings say what they leave out."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from playground.plots import flow as flow_plots
from playground.teaching import diagram
from playground.teaching.lessons import LESSONS
from playground.training.config import TrainingConfig
from playground.training.history import GRAD_NORM
from playground.training.trainer import Trainer
from playground.ui import diagram_view, lens, live, view
from playground.ui.charts import compared_runs, history_columns, layer_columns
from playground.ui.state import PlaygroundState


@pytest.fixture
def sent(monkeypatch):
    payloads: dict[str, list[dict]] = {}

    def record(*, key, data, **callbacks):
        payloads.setdefault(key, []).append(json.loads(json.dumps(data)))

    monkeypatch.setattr(live, "_live_plot_component", record)
    return payloads


def _lesson(key: str):
    return LESSONS[key] if isinstance(LESSONS, dict) else next(lesson for lesson in LESSONS if lesson.key == key)


@pytest.fixture
def compared() -> PlaygroundState:
    """Lesson 2's runs: A's gradients span far more decades than B's (10⁻⁸…1 against 10⁻⁵…1 on the issue)."""
    lesson = _lesson("relu_he")
    return PlaygroundState(trainer=Trainer(lesson.config_a), trainer_b=Trainer(lesson.config_b))


def _log_span(trainer: Trainer) -> tuple[float, float]:
    _, columns = history_columns(trainer, layer_columns(trainer, GRAD_NORM))
    values = np.concatenate(columns)
    values = values[values > 0]
    return math.log10(values.min()), math.log10(values.max())


def _ranges(payload: dict) -> dict:
    """The axis ranges a payload gives its chart: a whole figure's layout, or an update's ranges."""
    if "base" in payload:
        layout = payload["base"]["layout"]
        return {"xaxis.range": layout["xaxis"]["range"], "yaxis.range": layout["yaxis"]["range"]}
    return payload["ranges"]


def _draw_gradients(state: PlaygroundState) -> None:
    for name, trainer in state.runs:
        view.gradient_chart(state, f"gradients_{name}", trainer)


def test_compare_mode_gradient_charts_share_one_log_axis_that_holds_both_runs(sent, compared):
    for _ in range(30):
        _draw_gradients(compared)
        for _, trainer in compared.runs:
            trainer.train(1)
    _draw_gradients(compared)
    a, b = sent["gradients_A"], sent["gradients_B"]
    assert a[0]["base"]["layout"]["yaxis"]["range"] == b[0]["base"]["layout"]["yaxis"]["range"]
    assert a[0]["base"]["layout"]["xaxis"]["range"] == b[0]["base"]["layout"]["xaxis"]["range"]
    # Every frame: the same ranges in A's chart and B's (they move together while playing).
    for payload_a, payload_b in zip(a[1:], b[1:]):
        assert _ranges(payload_a) == _ranges(payload_b)
    assert any("extend" in payload for payload in a)  # live frames, not only whole figures
    low, high = _ranges(a[-1])["yaxis.range"]
    for trainer in (compared.trainer, compared.trainer_b):
        span = _log_span(trainer)
        assert low <= span[0] and span[1] <= high
    # The runs' own ranges differ (why sharing matters): B alone would get a narrower axis.
    assert _log_span(compared.trainer)[0] < _log_span(compared.trainer_b)[0] - 1


def test_outside_compare_mode_the_chart_fits_its_own_run(sent):
    state = PlaygroundState(trainer=Trainer(_lesson("relu_he").config_b))
    state.trainer.train(5)
    assert compared_runs(state, state.trainer) == [state.trainer]
    view.gradient_chart(state)
    low, high = sent["gradients"][0]["base"]["layout"]["yaxis"]["range"]
    span = _log_span(state.trainer)
    assert low == math.floor(span[0] - 0.15) and high == math.ceil(span[1] + 0.15)


def test_when_only_the_other_run_moves_the_shared_range_is_still_sent(sent, compared):
    for _ in range(live.WHOLE_FIGURE_REPEATS + 1):
        _draw_gradients(compared)  # past the repeated whole figures
    compared.trainer_b.train(25)  # A stands still (as a diverged run does): no new rows for its chart
    _draw_gradients(compared)
    last_a, last_b = sent["gradients_A"][-1], sent["gradients_B"][-1]
    assert "base" not in last_a and "extend" not in last_a
    assert last_a["ranges"] == _ranges(last_b) and last_a["ranges"]["xaxis.range"][1] >= 25
    _draw_gradients(compared)
    assert "ranges" not in sent["gradients_A"][-1]  # sent once, not every frame


def _heatmaps(state: PlaygroundState, prefix: str = GRAD_NORM) -> None:
    for name, trainer in state.runs:
        lens.flow_heatmap(state, name, trainer, prefix, "log₁₀ ‖∂L/∂W‖")


def test_compare_mode_lens_heatmaps_share_colour_range_and_epoch_axis(sent, compared):
    compared.trainer.train(12)
    compared.trainer_b.train(12)
    _heatmaps(compared)
    a, b = sent[f"heat_{GRAD_NORM}_A"][0]["base"], sent[f"heat_{GRAD_NORM}_B"][0]["base"]
    for key in ("zmin", "zmax"):
        assert a["data"][0][key] == b["data"][0][key]
    assert a["layout"]["xaxis"]["range"] == b["layout"]["xaxis"]["range"]
    low, high = a["data"][0]["zmin"], a["data"][0]["zmax"]
    for trainer in (compared.trainer, compared.trainer_b):
        span = _log_span(trainer)
        assert low <= span[0] and span[1] <= high
    # Live frames keep them equal: the colour bar and the image's byte scale, and the epoch axis.
    for _ in range(6):
        compared.trainer.train(4)
        compared.trainer_b.train(4)
        _heatmaps(compared)
        assert _scale(sent[f"heat_{GRAD_NORM}_A"][-1]) == _scale(sent[f"heat_{GRAD_NORM}_B"][-1])
    assert "base" not in sent[f"heat_{GRAD_NORM}_A"][-1]  # the last ones were live updates


def _scale(payload: dict) -> tuple:
    """A heatmap payload's colour range (low, high) and epoch axis range."""
    if "base" in payload:
        base = payload["base"]
        return base["data"][0]["zmin"], base["data"][0]["zmax"], base["layout"]["xaxis"]["range"]
    image = payload["image"]
    low = image["hover_offset"]
    return low, low + image["hover_scale"], payload["relayout"]["xaxis.range"]


def test_shared_log_range_covers_every_array_and_ignores_zeros():
    low, high = flow_plots.shared_log_range(np.array([1e-6, 0.0, 1e-3]), np.array([[0.5, np.nan]]))
    assert low <= -6 and high >= math.log10(0.5)
    figure, value_range = flow_plots.layer_heatmap_figure(
        np.arange(4.0), np.full((4, 2), 1e-2), "t", value_range=(low, high), axis_end=50.0
    )
    assert value_range == (low, high) and figure["data"][0]["zmin"] == low
    assert figure["layout"]["xaxis"]["range"][1] >= 50
    update, kept = flow_plots.layer_heatmap_update(
        np.arange(4.0), np.full((4, 2), 1e-9), value_range, shared_range=(low, high), axis_end=50.0
    )
    assert kept == (low, high) and "restyle" not in update  # a fixed range does not widen


def test_the_diagrams_gradient_colouring_has_one_fixed_scale_for_every_run(compared):
    compared.trainer.train(3)
    payloads = [diagram_view.diagram_payload(compared, trainer) for _, trainer in compared.runs]
    assert [p["gradient_range"] for p in payloads] == [list(diagram.GRADIENT_LOG_RANGE)] * 2
    assert diagram.GRADIENT_LOG_RANGE == (-8, 0)
    single = PlaygroundState(trainer=Trainer(TrainingConfig(hidden_layers=(3,), activations=("tanh",))))
    assert diagram_view.diagram_payload(single, single.trainer)["gradient_range"] == [-8, 0]


def test_the_diagram_reserves_more_legend_room_at_half_width(compared):
    picture = diagram_view.picture_of(compared, compared.trainer)
    assert diagram_view.diagram_height(picture, True) > diagram_view.diagram_height(picture, False)
    assert diagram_view.diagram_payload(compared, compared.trainer)["height"] == diagram_view.diagram_height(
        picture, True
    )


def test_short_headings_and_the_layer_summary():
    trainer = Trainer(TrainingConfig(hidden_layers=(8,) * 16, activations=("sigmoid",) * 16))
    picture = diagram_view.picture_of(PlaygroundState(trainer=trainer), trainer)
    short = diagram_view.short_titles(picture)
    assert short[0] == ("In", "2") and short[1] == ("L1", "8") and short[16] == ("L16", "8") and short[-1][0] == "Out"
    assert diagram_view.layer_summary(trainer) == "L1–L16: 8 Sigmoid units each"
    mixed = Trainer(TrainingConfig(hidden_layers=(16, 16, 8), activations=("tanh", "tanh", "relu")))
    assert diagram_view.layer_summary(mixed) == "L1–L2: 16 tanh · L3: 8 ReLU"
    none = Trainer(TrainingConfig(hidden_layers=(), activations=()))
    assert diagram_view.layer_summary(none) == ""
