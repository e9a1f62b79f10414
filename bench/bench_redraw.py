"""Server-side cost of one redraw of the live view, training excluded.

One frame of the default layout (decision boundary, loss, per-layer gradients and the
gradient-flow lens's two heatmaps) computes the boundary grid, every chart's payload and
JSON-encodes them (Streamlit sends the component's data as JSON). Streamlit runs in bare
mode here (no server), and the component call is replaced by the JSON encoding it would do,
so the figure is the app's own work per frame.

    python -m bench.bench_redraw [--frames N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import statistics
import time
import warnings


def measure_redraw_cost(frames: int = 300, epochs_between_frames: int = 5) -> dict:
    """Median and 90th-percentile milliseconds per frame and bytes sent per frame.

    The first frame (whole figures) is reported apart from the steady state (updates only).
    """
    import streamlit  # noqa: F401  (configures its loggers on import; quieten them after)

    for name in ("streamlit", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    from playground.training.config import TrainingConfig
    from playground.training.trainer import Trainer
    from playground.ui import lens, live, view
    from playground.ui.state import PlaygroundState

    sent_bytes: list[int] = []

    def encode_like_streamlit(*, key, data, **callbacks):
        sent_bytes.append(len(json.dumps(data)))

    live._live_plot_component = encode_like_streamlit
    state = PlaygroundState(trainer=Trainer(TrainingConfig()))

    def frame() -> float:
        sent_bytes.clear()
        started = time.perf_counter()
        view.single_layout(state)
        lens.panel(state)
        return (time.perf_counter() - started) * 1000

    # Streamlit prints "run it with streamlit run" notices in bare mode: keep them out of the report.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        first_ms = frame()
        first_bytes = sum(sent_bytes)
        times, sizes = [], []
        for _ in range(frames):
            state.trainer.train(epochs_between_frames)  # training excluded from the timing
            times.append(frame())
            sizes.append(sum(sent_bytes))
    times.sort()
    return {
        "first_frame_ms": first_ms,
        "first_frame_bytes": first_bytes,
        "median_ms": statistics.median(times),
        "p90_ms": times[int(0.9 * (len(times) - 1))],
        "median_bytes": statistics.median(sizes),
        "frames": frames,
        "epochs": state.trainer.epoch,
    }


def print_redraw_cost(frames: int = 300) -> dict:
    result = measure_redraw_cost(frames)
    print(
        "Server-side cost of one redraw (default layout: boundary, loss, gradients, lens heatmaps; training excluded)"
    )
    print(
        f"  first frame (whole figures): {result['first_frame_ms']:.1f} ms, "
        f"{result['first_frame_bytes'] / 1024:.0f} KiB"
    )
    print(
        f"  steady frames (updates only): median {result['median_ms']:.1f} ms, "
        f"90th percentile {result['p90_ms']:.1f} ms, "
        f"{result['median_bytes'] / 1024:.1f} KiB sent per frame "
        f"({result['frames']} frames, up to epoch {result['epochs']})"
    )
    print(f"  target: at most 15 ms -> {'met' if result['median_ms'] <= 15 else 'NOT met'}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    print_redraw_cost(parser.parse_args().frames)
