"""The live view: a fragment that trains a few epochs per frame and patches the charts.

The fragment reruns on a timer only while playing (``run_every`` is passed only
then), so Pause just stops passing it. Training lives in the trainer; this
module decides how many epochs fit in a frame and what each chart needs.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from playground import plots
from playground.trainer import Trainer
from playground.ui.live import live_chart
from playground.ui.state import (
    FRAME_INTERVAL_SECONDS,
    MAX_TRAINING_SECONDS_PER_FRAME,
    ChartSync,
    PlaygroundState,
)

GRID_AXIS, GRID_POINTS = plots.boundary_grid()

BOUNDARY_CAPTION = (
    "**What you see:** the colour at each spot is the network's predicted probability that a point there is "
    "**blue** (class 1): deep blue = sure it is blue, deep orange = sure it is orange, white = unsure. "
    "The black line is where the prediction is exactly 50 %: the **decision boundary**. "
    "Circles are training points; diamonds are test points, which the network never trains on."
)
LOSS_CAPTION = (
    "**Loss** measures how wrong the network is on average (binary cross-entropy). A network that guesses "
    "50/50 scores ln 2 ≈ 0.69; a perfect one scores 0. Test loss rising while train loss falls means the "
    "network is memorising the training points (overfitting)."
)
GRADIENT_CAPTION = (
    "**Gradient magnitude per layer:** how hard each layer's weights are being pushed, ‖∂L/∂W‖ over the whole "
    "training set, on a **log scale** (each grid line is 10× the one below). Dark lines are layers near the "
    "input, light ones near the output. Input-side lines far below the others mean those layers barely learn: "
    "**vanishing gradients**. Lines shooting upwards mean **exploding gradients**."
)


def frame_epochs(state: PlaygroundState) -> int:
    """Train this frame's epochs (a fixed count, or as many as fit the time budget for 'max')."""
    trainer = state.trainer
    started = time.perf_counter()
    if state.speed != "max":
        done = trainer.train(int(state.speed))
    else:
        done, chunk = 0, 1
        while not trainer.diverged:
            done += trainer.train(chunk)
            elapsed = time.perf_counter() - started
            if elapsed > MAX_TRAINING_SECONDS_PER_FRAME:
                break
            # Grow the chunk towards what the remaining budget allows.
            per_epoch = elapsed / max(done, 1)
            chunk = max(1, int((MAX_TRAINING_SECONDS_PER_FRAME - elapsed) / per_epoch))
    # Visible speed: epochs over the wall time since the previous frame (drawing included).
    now = time.perf_counter()
    if state.last_frame_time is not None and done:
        rate = done / max(now - state.last_frame_time, 1e-6)
        state.epochs_per_second = rate if not state.epochs_per_second else 0.8 * state.epochs_per_second + 0.2 * rate
    state.last_frame_time = now
    return done


def boundary_probabilities(trainer: Trainer) -> np.ndarray:
    """P(class 1) on the display grid, (g, g) indexed [x2, x1]."""
    probabilities = trainer.predict_proba(GRID_POINTS)
    return probabilities.reshape(len(GRID_AXIS), len(GRID_AXIS))


def history_version(state: PlaygroundState, trainer: Trainer, name: str) -> str:
    return f"{name}:{state.run_id}:{trainer.history.generation}:{trainer.network.n_layers}"


def _history_columns(trainer: Trainer, names: list[str], after: int | None = None):
    """Epochs and the named columns, for all kept rows or only those after an epoch."""
    history = trainer.history
    if after is None:
        epochs = history.column("epoch")
        return epochs, [history.column(name) for name in names]
    rows = history.rows_after(after)
    index = [history.columns.index(name) for name in names]
    return rows[:, 0], [rows[:, i] for i in index]


def boundary_chart(state: PlaygroundState, key: str = "boundary", trainer: Trainer | None = None, height: int = 520) -> dict:
    trainer = trainer or state.trainer
    probabilities = boundary_probabilities(trainer)
    return live_chart(
        state,
        key,
        version=f"boundary:{state.run_id}:{state.show_test}:{id(trainer.points)}",
        last_epoch=trainer.epoch,
        build_figure=lambda: plots.boundary_figure(
            GRID_AXIS,
            probabilities,
            trainer.train_points,
            trainer.y_train,
            trainer.test_points,
            trainer.y_test,
            state.show_test,
            height,
        ),
        build_update=lambda sync: plots.boundary_update(GRID_AXIS, probabilities),
        height=height,
    )


def loss_chart(state: PlaygroundState, key: str = "loss", trainer: Trainer | None = None, height: int = 300) -> dict:
    trainer = trainer or state.trainer
    names = ["train_loss", "test_loss"]

    def figure() -> dict:
        epochs, (train, test) = _history_columns(trainer, names)
        return plots.loss_figure(epochs, train, test, height)

    def update(sync: ChartSync) -> dict | None:
        epochs, series = _history_columns(trainer, names, after=sync.last_epoch)
        return plots.extend_update(epochs, series)

    return live_chart(state, key, history_version(state, trainer, key), trainer.epoch, figure, update, height)


def gradient_chart(state: PlaygroundState, key: str = "gradients", trainer: Trainer | None = None, height: int = 330) -> dict:
    trainer = trainer or state.trainer
    names = [f"grad_norm_W{layer}" for layer in range(1, trainer.network.n_layers + 1)]

    def figure() -> dict:
        epochs, columns = _history_columns(trainer, names)
        return plots.gradient_norm_figure(epochs, np.column_stack(columns), height)

    def update(sync: ChartSync) -> dict | None:
        epochs, columns = _history_columns(trainer, names, after=sync.last_epoch)
        return plots.gradient_norm_update(epochs, np.column_stack(columns))

    return live_chart(state, key, history_version(state, trainer, key), trainer.epoch, figure, update, height)


def _format_loss(value: float) -> str:
    return f"{value:.4f}" if np.isfinite(value) else "diverged"


def status_row(state: PlaygroundState) -> None:
    latest = state.trainer.history.latest
    columns = st.columns(5)
    columns[0].metric("Epoch", f"{state.trainer.epoch:,}")
    columns[1].metric("Train loss", _format_loss(latest["train_loss"]))
    columns[2].metric("Test loss", _format_loss(latest["test_loss"]))
    columns[3].metric("Train accuracy", f"{latest['train_accuracy']:.1%}")
    columns[4].metric("Test accuracy", f"{latest['test_accuracy']:.1%}")


def live_view() -> None:
    """One frame: train (if playing), then update the numbers and the charts."""
    from playground.ui.state import get_state

    state = get_state()
    trainer = state.trainer
    if state.playing:
        frame_epochs(state)
        if trainer.diverged:
            state.playing = False
            st.rerun(scope="app")  # stop the timer and show the message outside the fragment
    status_row(state)
    if state.playing:
        st.caption(f"Training at about {state.epochs_per_second:,.0f} epochs per second ({state.speed} per frame).")
    left, right = st.columns([1.05, 1], gap="medium")
    with left:
        st.subheader("Decision boundary")
        boundary_chart(state)
        st.caption(BOUNDARY_CAPTION)
    with right:
        st.subheader("Loss over epochs")
        loss_chart(state)
        st.caption(LOSS_CAPTION)
        st.subheader("Gradient magnitude per layer")
        gradient_chart(state)
        st.caption(GRADIENT_CAPTION)


def render_live(state: PlaygroundState) -> None:
    """Run the live view as a fragment, on a timer only while playing."""
    st.fragment(live_view, run_every=FRAME_INTERVAL_SECONDS if state.playing else None)()
