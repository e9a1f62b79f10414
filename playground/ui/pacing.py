"""How much a frame trains: epochs per frame at a set speed, as many as fit at max speed, batches of an epoch
longer than a frame (MNIST), and a lesson's stop epoch that Play never trains past.

Used by the live view's fragment (a frame per rerun, without a stream) and by the live stream (stream.py),
which also trains on between frames. Training itself lives in the trainer.
"""

from __future__ import annotations

import time

from playground.training.trainer import Trainer
from playground.ui import session
from playground.ui.state import FRAME_PERIOD_SECONDS, MAX_TRAINING_SECONDS_PER_FRAME, PlaygroundState


def train_frame(state: PlaygroundState, max_seconds: float = MAX_TRAINING_SECONDS_PER_FRAME) -> bool:
    """Train one frame (``frame_epochs``); True when the page must redraw its controls: a run diverged in
    it, or an open lesson's stop epoch was reached.

    After a divergence, playing goes on only for a run that still can (compare mode); at a lesson's stop,
    playing pauses with a message (Play again goes on). The caller reruns the page, which shows the messages.
    """
    finished_before = sum(not trainer.can_train for _, trainer in state.runs)
    stop = session.next_lesson_stop(state)
    frame_epochs(state, max_seconds)
    finished_now = sum(not trainer.can_train for _, trainer in state.runs)  # diverged or stopped early
    redraw = False
    if finished_now != finished_before:
        state.playing = finished_now < len(state.runs)
        redraw = True
    if stop is not None and state.playing and session.lesson_epoch(state) >= stop:
        state.playing = False
        state.say("toast", session.lesson_stop_text(state, stop, stopped=True))
        redraw = True
    return redraw


# Epochs trained by batches within frames: those the trainer's cost model (known before the first epoch, the same
# on every machine, so a lesson plays the same everywhere) estimates above LONG_EPOCH_ESTIMATE. MNIST's are (20 ms
# and up), the 8x8 digits' and the 2D datasets' in the lessons are not (7 ms at most), so their counters stay whole.
LONG_EPOCH_ESTIMATE = 0.015
# A frame of long epochs trains at least this long: MNIST's frame costs about 25 ms to draw (the diagram, the
# status), so a 16 ms slice would leave training a third of the time; 60 ms keeps Pause well within a frame.
LONG_EPOCH_FRAME_SECONDS = 0.06


def has_long_epochs(trainer: Trainer) -> bool:
    """Whether ``trainer``'s epochs are longer than a frame should wait for (or one is under way): then a frame
    trains batches until its time is up, and Pause answers mid-epoch."""
    return trainer.epoch_progress > 0 or trainer.epoch_seconds_estimate > LONG_EPOCH_ESTIMATE


def frame_epochs(state: PlaygroundState, max_seconds: float = MAX_TRAINING_SECONDS_PER_FRAME) -> int:
    """Train this frame's epochs on every run still training; returns epochs per run.

    At "max" speed the frame trains for ``max_seconds``; otherwise ``state.speed`` epochs. An open lesson's
    next stop epoch caps the frame: Play never trains past where the lesson's text looks.
    """
    active = [trainer for _, trainer in state.runs if trainer.can_train]
    started = time.perf_counter()
    if not active:
        return 0
    stop = session.next_lesson_stop(state)
    limit = None if stop is None else max(stop - session.lesson_epoch(state), 0)
    long_epochs = [trainer for trainer in active if has_long_epochs(trainer)]
    if long_epochs:
        # An epoch longer than a frame (MNIST): train batches until the frame's time is up, so the page redraws
        # and Pause answers within a frame; the epoch counter shows how far the epoch has got.
        most = session.MAX_STEP_COUNT if state.speed == "max" else int(state.speed)
        most = most if limit is None else min(most, limit)
        done = 0
        budget = max(max_seconds, LONG_EPOCH_FRAME_SECONDS)
        for index, trainer in enumerate(active if most > 0 else []):
            now = time.perf_counter()  # each run its share of what is left of the frame (compare mode)
            deadline = now + (started + budget - now) / (len(active) - index)
            done = max(done, trainer.train_until(deadline, most))
    elif state.speed != "max":
        done = int(state.speed) if limit is None else min(int(state.speed), limit)
        for trainer in active:
            trainer.train(done)
    else:
        done, chunk = 0, 1
        while all(trainer.can_train for trainer in active):
            if limit is not None:
                chunk = min(chunk, limit - done)
                if chunk <= 0:
                    break
            for trainer in active:
                trainer.train(chunk)
            done += chunk
            elapsed = time.perf_counter() - started
            if elapsed > max_seconds:
                break
            per_epoch = elapsed / done
            chunk = max(1, int((max_seconds - elapsed) / per_epoch))
    # Visible speed: epochs over the wall time since the previous frame (drawing included).
    now = time.perf_counter()
    if state.last_frame_time is not None and done:
        rate = done / max(now - state.last_frame_time, 1e-6)
        state.epochs_per_second = rate if not state.epochs_per_second else 0.8 * state.epochs_per_second + 0.2 * rate
    state.last_frame_time = now
    return done


def pace_frame(state: PlaygroundState) -> None:
    """Hold a frame until FRAME_PERIOD_SECONDS after the previous one started (see state.py)."""
    now = time.perf_counter()
    wait = state.next_frame_due - now
    if 0 < wait <= FRAME_PERIOD_SECONDS:
        time.sleep(wait)
        now += wait
    state.next_frame_due = now + FRAME_PERIOD_SECONDS
