"""The drawing pad's figures (playground/plots/pad.py), from plain arrays."""

from __future__ import annotations

import numpy as np

from playground.plots import pad as pad_plots

NAMES = [str(k) for k in range(10)]


def test_the_bars_are_the_probabilities_with_the_guess_marked():
    probabilities = np.full(10, 0.02)
    probabilities[5] = 0.82
    figure = pad_plots.probability_figure(probabilities, NAMES)
    (bars,) = figure["data"]
    assert bars["y"] == np.round(probabilities, 4).tolist()
    assert figure["layout"]["meta"]["guess"] == 5
    assert bars["marker"]["color"][5] == pad_plots.GUESS_COLOUR
    assert {bars["marker"]["color"][k] for k in range(10) if k != 5} == {pad_plots.OTHER_COLOUR}
    assert bars["text"][5] == "82%" and bars["text"][0] == ""
    assert figure["layout"]["yaxis"]["title"]["text"] == "probability"


def test_before_and_after_a_step_side_by_side_with_the_true_class_marked():
    before, after = np.full(10, 0.05), np.full(10, 0.05)
    before[5], after[8] = 0.55, 0.55
    figure = pad_plots.probability_figure(after, NAMES, before=before, label=8)
    first, second = figure["data"]
    assert first["name"] == "before the step" and first["y"][5] == 0.55
    assert second["name"] == "after the step" and second["marker"]["color"][8] == pad_plots.TRUE_COLOUR
    assert second["x"][8] == "<b>8</b> ✓" and figure["layout"]["showlegend"]
    assert figure["layout"]["meta"] == {"guess": 8, "label": 8, "probabilities": after.tolist()}


def test_a_binary_heads_output_is_two_class_probabilities():
    np.testing.assert_allclose(pad_plots.class_probabilities(np.array([0.3])), [0.7, 0.3])
    np.testing.assert_allclose(pad_plots.class_probabilities(np.array([0.1, 0.9])), [0.1, 0.9])


def test_the_update_pictures_show_the_units_that_moved_most_first():
    rng = np.random.default_rng(0)
    update = rng.normal(0, 1e-4, (784, 12))
    update[:, 7] *= 50
    update[:, 2] *= 20
    figure = pad_plots.first_layer_update_figure(update, max_units=4)
    assert figure["layout"]["meta"]["units"][:2] == [8, 3]  # 1-based unit numbers, largest change first
    titles = [a["text"] for a in figure["layout"]["annotations"] if a["text"].startswith("unit")]
    assert titles[:2] == ["unit 8", "unit 3"]
