"""Server side of a playing page, frame by frame: what one live-stream frame costs for the default page and for
MNIST, and how soon Pause takes effect (the frame under way holds the session's lock; Pause's callback waits for it).

    python -m bench.bench_live_frames                 # default page, MNIST [64] Adam batch 32, lesson 14
    python -m bench.bench_live_frames --frames 60

Each page is the real app run once by AppTest (its live elements' recipes recorded), then played by calling the
stream's ``produce_frame`` back to back, as the stream's thread does when the browser keeps up, and encoding each
frame as it is sent. Reported per page: milliseconds per frame (median and 95th percentile), the share of it spent
training, epochs per second in frames against the same trainer training alone for the same time (no browser: the
browser's own drawing is bench/bench_browser.py's), and the longest frame, which bounds how long a Pause waits
for the lock once the server has the click.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_engine import _single_blas_thread  # noqa: E402

PAGES = {
    "default [4,2]": {},
    "MNIST [64] Adam b32": {
        "dataset": "mnist",
        "hidden_layers": "64",
        "activations": "relu",
        "batch_size": "32",
        "optimizer": "adam",
        "learning_rate": "0.001",
    },
    "lesson 14 (MNIST b1)": {"lesson": "learning_from_a_mistake"},
}


def measure(query: dict[str, str], frames: int) -> dict[str, float]:
    import copy

    from playground.ui import pacing, stream
    from tests.test_app import start, state_of

    state = state_of(start(query))
    state.playing, state.lesson = True, None  # no lesson stop in the way
    connection = stream.Connection()
    state.stream_connection, state.render_pending = connection, False
    trainer = state.trainer
    alone = copy.deepcopy(trainer)
    training_seconds, frame_seconds = [], []
    original = pacing.frame_epochs

    def timed_frame_epochs(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            training_seconds.append(time.perf_counter() - started)

    pacing.frame_epochs = timed_frame_epochs
    try:
        position = trainer.epoch + trainer.epoch_progress
        started = time.perf_counter()
        for _ in range(frames):
            begun = time.perf_counter()
            stream.encode(stream.produce_frame(state, connection))
            frame_seconds.append(time.perf_counter() - begun)
        elapsed = time.perf_counter() - started
        in_frames = trainer.epoch + trainer.epoch_progress - position
    finally:
        pacing.frame_epochs = original
    deadline = time.perf_counter() + elapsed  # the trainer alone, for the same time, by the same slices
    begun_alone = alone.epoch + alone.epoch_progress
    while time.perf_counter() < deadline:
        alone.train_until(min(deadline, time.perf_counter() + 0.06), 1000)
    alone_epochs = alone.epoch + alone.epoch_progress - begun_alone
    frame_seconds.sort()
    return {
        "frame_ms_median": 1000 * statistics.median(frame_seconds),
        "frame_ms_p95": 1000 * frame_seconds[int(0.95 * (len(frame_seconds) - 1))],
        "frame_ms_max": 1000 * frame_seconds[-1],
        "training_share": sum(training_seconds) / elapsed,
        "epochs_per_s_in_frames": in_frames / elapsed,
        "epochs_per_s_alone": alone_epochs / elapsed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=40, help="frames per page (default 40)")
    args = parser.parse_args(argv)
    print(f"{'page':24} {'frame ms p50':>12} {'p95':>7} {'max':>7} {'training':>9} {'ep/s frames':>12} {'alone':>8}")
    for name, query in PAGES.items():
        with _single_blas_thread():
            row = measure(query, args.frames)
        print(
            f"{name:24} {row['frame_ms_median']:12.1f} {row['frame_ms_p95']:7.1f} {row['frame_ms_max']:7.1f} "
            f"{row['training_share']:9.0%} {row['epochs_per_s_in_frames']:12.2f} {row['epochs_per_s_alone']:8.2f}"
        )


if __name__ == "__main__":
    main()
