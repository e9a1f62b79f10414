"""Which lesson runs are chaotic at their stops, and the page saying so.

A run is chaotic at a stop when a nudge of 1e-13 to its starting weights (``tests/perturbed.py``) has grown
to a visible difference there: the last digits of another processor's arithmetic do the same, so the
figures a student sees differ from the text's unless the text gives a range. Each lesson names its chaotic
runs (``Lesson.chaotic``); this finds them, so a change to a lesson's config cannot make it quote an exact
figure that another computer will not show.
"""

from __future__ import annotations

import pytest

from playground.teaching.lessons import LESSON_LIST
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


def test_the_lessons_with_chaotic_runs_are_the_ones_whose_figures_vary():
    assert {lesson.key: lesson.chaotic for lesson in LESSON_LIST if lesson.chaotic} == {
        "digits_vanishing": (("B", 30),),
        "degradation": (("A", 150), ("B", 150)),
        "batch_norm": (("B", 30),),
        "memorising": (("A", 500),),
        "learning_rate_landscape": (("B", 100),),
    }


@pytest.mark.parametrize("key", ["batch_norm", "degradation", "relu_he"])
def test_the_lesson_panel_says_why_some_figures_are_ranges(key):
    lesson = next(lesson for lesson in LESSON_LIST if lesson.key == key)
    at = start({"lesson": key})
    assert_clean(at)
    notes = [caption.value for caption in at.caption if caption.value.startswith("Why some figures are ranges")]
    if lesson.chaotic:
        assert notes == [lesson.variation_note]
        first = min(epoch for _, epoch in lesson.chaotic)
        runs = " and ".join(f"run {run}" for run, _ in lesson.chaotic)
        assert f"by epoch {first}, {runs}" in notes[0]
    else:
        assert notes == []
