"""Which lesson runs are chaotic at their stops, and the page saying so.

A run is chaotic at a stop when a nudge of 1e-13 to its starting weights (``tests/perturbed.py``) has grown
to a visible difference there: the last digits of another processor's arithmetic do the same, so the
figures a student sees differ from the text's unless the text gives a range. Each lesson names its chaotic
runs (``Lesson.chaotic``); this finds them, so a change to a lesson's config cannot make it quote an exact
figure that another computer will not show.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from playground.teaching.lessons import DEEP_SIGMOID, LESSON_LIST, LESSONS, MEMORISING, SHALLOW_TANH, VALLEY
from tests.perturbed import distance, perturbed
from tests.test_app import assert_clean, start

# ‖θ − θ'‖ / ‖θ‖ between the run and its nudged copy at a stop. Measured: stable runs stay at 1e-13 to 3e-9,
# chaotic ones reach 6e-3 to 0.5, so any threshold in between separates them.
CHAOTIC_DISTANCE = 1e-6


def marked_chaotic(lesson, run: str, epoch: int) -> bool:
    return any(name == run and epoch >= first for name, first in lesson.chaotic)


@pytest.mark.parametrize("lesson", LESSON_LIST, ids=lambda lesson: lesson.key)
def test_a_lesson_marks_exactly_the_runs_that_are_chaotic_at_its_stops(lesson):
    for run, config in (("A", lesson.config_a), ("B", lesson.config_b)):
        if config is None:
            continue
        here, elsewhere = perturbed(config, 0), perturbed(config, 1)
        trained = 0
        for stop in lesson.stop_epochs:
            here.train(stop - trained)
            elsewhere.train(stop - trained)
            trained = stop
            if here.diverged_at is not None:  # a diverging run diverges on every computer, at the same epoch
                assert elsewhere.diverged_at == here.diverged_at and not marked_chaotic(lesson, run, stop)
                continue
            apart = distance(here, elsewhere)
            assert (apart > CHAOTIC_DISTANCE) == marked_chaotic(lesson, run, stop), (run, stop, apart)


# Runs outside the lessons' A and B whose figures the texts quote exactly (the answers, "not on screen"): each
# must be stable at the epoch quoted, for every weight seed the text speaks of.
SIDE_RUNS = [
    ("lesson 9: 3 layers reach 0.19", SHALLOW_TANH, 150, (0,)),
    ("lesson 10: layer norm stays at 0.69", replace(DEEP_SIGMOID, normalization="layer"), 30, (0,)),
    ("lesson 12: early stopping's 0.24", replace(MEMORISING, early_stopping=50), 500, (0,)),
    ("lesson 13: rate 7, 0.01-0.03 over three seeds", replace(VALLEY, learning_rate=7.0), 100, (0, 1, 2)),
    ("lesson 13: rate 0.03 ends at 0.71", replace(VALLEY, learning_rate=0.03), 100, (0,)),
]


@pytest.mark.parametrize(("label", "config", "epochs", "seeds"), SIDE_RUNS, ids=[run[0] for run in SIDE_RUNS])
def test_the_other_runs_a_text_quotes_exactly_are_stable(label, config, epochs, seeds):
    for seed in seeds:
        apart = distance(perturbed(config, 0, epochs, seed), perturbed(config, 1, epochs, seed))
        assert apart < CHAOTIC_DISTANCE, (label, seed, apart)


@pytest.mark.parametrize("key", ["batch_norm", "degradation", "relu_he"])
def test_the_lesson_panel_says_why_some_figures_are_ranges(key):
    lesson = LESSONS[key]
    at = start({"lesson": key})
    assert_clean(at)
    notes = [caption.value for caption in at.caption if caption.value.startswith("Why some figures are ranges")]
    assert notes == ([lesson.variation_note] if lesson.chaotic else [])
