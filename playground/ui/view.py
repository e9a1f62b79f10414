"""The live view: the status, the charts and the lens, drawn by a fragment and patched while playing.

While playing, the live stream (stream.py) trains each frame and replays this view's live elements
(every function marked ``@streamed``) outside any script run. Without a stream (AppTest, or a proxy
that drops websockets) the fragment falls back to a rerun timer that trains a few epochs per run.
Training lives in the trainer, how many epochs fit in a frame in pacing.py; this module lays out the
page's live part and decides what each chart needs (the numbers: status.py; the image problems' gallery,
confusion matrix and first-layer weights: digits_view.py). In compare mode every chart is drawn for run A
and run B; while paused, the replay slider shows the run as it was at an earlier epoch (from the trainer's
snapshots).
"""

from __future__ import annotations

import html
import math

import numpy as np
import streamlit as st

from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import INITIALIZERS
from playground.engine.optimizers import OPTIMIZERS
from playground.plots import boundary as boundary_plots
from playground.plots import history as history_plots
from playground.plots import regression as regression_plots
from playground.plots import style as plot_style
from playground.teaching.lessons import LESSONS
from playground.teaching.notes import chart_notes
from playground.training.history import GRAD_NORM, LEARNING_RATE, TEST_LOSS, TRAIN_LOSS
from playground.training.trainer import RECORD_POINTS, Trainer
from playground.ui import diagram_view, lens, own_data, rate_panel, session, walkthrough_panel
from playground.ui.charts import history_chart, history_columns, layer_columns, shown_epoch
from playground.ui.digits_view import DIGITS_CAPTION, digits_chart, digits_panels
from playground.ui.live import live_chart, live_html, streamed
from playground.ui.pacing import pace_frame, train_frame
from playground.ui.state import (
    FRAME_INTERVAL_SECONDS,
    ROW_CHART_HEIGHT,
    STREAM_PATH,
    ChartSync,
    PlaygroundState,
)
from playground.ui.status import status_html
from playground.ui.widgets import bind

GRID_AXIS, GRID_POINTS = boundary_plots.boundary_grid()

BOUNDARY_CAPTION = (
    "**What you see:** the colour at each spot is the network's predicted probability that a point there is "
    "**blue** (class 1): deep blue = sure it is blue, deep orange = sure it is orange, white = unsure. "
    "The black line is where the prediction is exactly 50 %: the **decision boundary**. "
    "Circles are training points; diamonds are test points, which the network never trains on."
)
MULTICLASS_CAPTION = (
    "**What you see:** each spot takes the colour of the class the network predicts there; the paler it is, "
    "the less sure the network is (white = all classes equally likely). Black lines are the **decision "
    "boundaries**, where two classes are equally likely. Circles are training points; diamonds are test points."
)
REGRESSION_CAPTION = (
    "**What you see:** the network's predicted value at each spot (colour bar on the right); the points are "
    "coloured by their true value on the same scale. Where a point's colour matches the background, the "
    "network predicts it well. Circles are training points; diamonds are test points."
)
LOSS_CAPTIONS = {
    "binary": (
        "**Loss** measures how wrong the network is on average (binary cross-entropy). A network that guesses "
        "50/50 scores ln 2 ≈ 0.69; a perfect one scores 0. Test loss rising while train loss falls means the "
        "network is memorising the training points (overfitting)."
    ),
    "multiclass": (
        "**Loss** measures how wrong the network is on average (cross-entropy). A network that guesses all "
        "{k} classes equally scores ln {k} ≈ {ln_k:.2f}; a perfect one scores 0. Test loss rising while train "
        "loss falls means the network is memorising the training points (overfitting)."
    ),
    "regression": (
        "**Loss** is half the mean squared error, ½·mean((prediction − target)²); 0 is a perfect fit. The "
        "status above also gives R² (1 = perfect, 0 = no better than predicting the mean) and the RMSE, in the "
        "target's units."
    ),
}
SAMPLE_NOTE = (
    " The curves are measured on a fixed sample of up to {n} training and {n} test points; the "
    "numbers above are exact, on the whole sets, while paused."
)


def loss_caption(trainer: Trainer) -> str:
    """The loss chart's caption for the run's problem (the multi-class one names ln K)."""
    k = trainer.config.classes
    text = LOSS_CAPTIONS[trainer.problem].format(k=k, ln_k=float(np.log(max(k, 2))))
    if max(trainer.y_train.shape[0], trainer.y_test.shape[0]) > RECORD_POINTS:
        text += SAMPLE_NOTE.format(n=RECORD_POINTS)
    return text


def boundary_caption(trainer: Trainer) -> str:
    text = {"binary": BOUNDARY_CAPTION, "multiclass": MULTICLASS_CAPTION, "regression": REGRESSION_CAPTION}[
        trainer.problem
    ]
    flipped = int(trainer.flipped.sum())
    if flipped:
        share = trainer.flipped_loss_share()
        text += (
            f" **Ringed:** the {flipped} training points whose label was flipped (label noise); they carry "
            f"{share:.0%} of the training loss now ({flipped / trainer.flipped.size:.0%} of the points)."
            if math.isfinite(share)
            else f" **Ringed:** the {flipped} training points whose label was flipped (label noise)."
        )
    return text


def boundary_title(trainer: Trainer) -> str:
    return "Predicted surface" if trainer.problem == "regression" else "Decision boundary"


GRADIENT_CAPTION = (
    "**Gradient magnitude per layer:** how hard each layer's weights are being pushed, ‖∂L/∂W‖ over the "
    "training points, on a **log scale** (grid lines at powers of ten: 10⁻³ is a thousandth). Dark lines are "
    "layers near the input, light ones near the output. Input-side lines far below the others mean those "
    "layers barely learn: **vanishing gradients**. Lines shooting upwards mean **exploding gradients**."
)


def grid_outputs(trainer: Trainer, epoch: int | None = None) -> np.ndarray:
    """The head's outputs on the display grid, (g, g, n_outputs) indexed [x2, x1], now or at a snapshot epoch."""
    _, network = trainer.network_at(epoch)
    with np.errstate(all="ignore"):
        outputs = network.predict_outputs(trainer.features(GRID_POINTS))
    return outputs.reshape(len(GRID_AXIS), len(GRID_AXIS), -1)


def regression_range(trainer: Trainer) -> tuple[float, float]:
    """The colour scale's fixed value range: the targets' range, padded (so colours do not jump per frame)."""
    return regression_plots.regression_value_range(trainer.labels)


# ---- the charts (history_chart: see charts.py) --------------------------------------------------------
@streamed
def boundary_chart(
    state: PlaygroundState,
    key: str = "boundary",
    trainer: Trainer | None = None,
    height: int = 520,
    **frame_text,
):
    """The output over the plane: the probability field and the 0.5 line (binary), class regions and their
    boundaries (multi-class) or the predicted surface (regression). ``frame_text``: title, subtitle, caption."""
    trainer = trainer or state.trainer
    outputs = grid_outputs(trainer, state.replay_epoch)
    points = (trainer.train_points, trainer.y_train, trainer.test_points, trainer.y_test)
    problem = trainer.problem
    if problem == "binary":
        probabilities = outputs[:, :, 0]

        def figure():
            return boundary_plots.boundary_figure(GRID_AXIS, probabilities, *points, state.show_test, height)

        def update(sync):
            return boundary_plots.boundary_update(GRID_AXIS, probabilities)

        shape = "binary"
    elif problem == "multiclass":

        def figure():
            return boundary_plots.multiclass_boundary_figure(GRID_AXIS, outputs, *points, state.show_test, height)

        def update(sync):
            return boundary_plots.multiclass_boundary_update(GRID_AXIS, outputs, refresh_hover=not state.playing)

        shape = f"classes{outputs.shape[2]}"
    else:
        value_range = regression_range(trainer)
        values = outputs[:, :, 0]

        def figure():
            return regression_plots.regression_surface_figure(
                GRID_AXIS, values, *points, value_range=value_range, show_test=state.show_test, height=height
            )

        def update(sync):
            return regression_plots.regression_surface_update(GRID_AXIS, values, value_range)

        shape = f"regression{value_range}"
    picked = walkthrough_panel.followed_point(state, trainer)  # ringed: the point the walkthrough follows
    flipped = trainer.train_points[trainer.flipped]  # ringed too, thinner: label noise's wrong labels
    return live_chart(
        state,
        key,
        version=f"{key}:{state.run_id}:{state.show_test}:{id(trainer.points)}:{state.replay_epoch}:{shape}:{picked}",
        last_epoch=shown_epoch(state, trainer),
        build_figure=lambda: boundary_plots.with_picked_point(
            boundary_plots.with_flipped_points(figure(), flipped), picked
        ),
        build_update=update,
        height=height,
        priority=0,
        **frame_text,
    )


@streamed
def loss_chart(
    state: PlaygroundState, key: str = "loss", trainer: Trainer | None = None, height: int = 300, **frame_text
):
    trainer = trainer or state.trainer
    config = trainer.config
    scheduled = config.lr_schedule != "constant"
    # Early stopping's best epoch, while it watches (up to the replay epoch when replaying).
    best = None
    if config.early_stopping and (state.replay_epoch is None or trainer.best_epoch <= state.replay_epoch):
        best = (trainer.best_epoch, trainer.best_test_loss)
    names = [TRAIN_LOSS, TEST_LOSS] + ([LEARNING_RATE] if scheduled else [])

    def figure(epochs, c):
        rates = c[2] if scheduled else None
        rate_range = (0.0, config.learning_rate)  # no schedule goes above its base rate
        title = history_plots.LOSS_AXIS_TITLES[trainer.problem]
        return history_plots.loss_figure(epochs, c[0], c[1], height, title, rates, rate_range, best)

    return history_chart(
        state,
        key,
        trainer,
        names,
        figure,
        history_plots.extend_update,
        height,
        priority=1,
        y_axis="linear",
        note=chart_note(state, trainer, "loss"),
        range_columns=2,
        shape=f"rate={config.lr_schedule}:{config.learning_rate}:best={best}",
        **frame_text,
    )


def chart_note(state: PlaygroundState, trainer: Trainer, chart: str) -> str | None:
    """The few words written on ``chart`` ("loss" or "gradients") of ``trainer`` when it is empty or flat for a
    reason (a dead layer, a zero gradient, an oscillating loss: playground/teaching/notes.py), at the shown epoch."""
    shorts = [note.short for note in chart_notes(trainer, state.replay_epoch) if note.chart == chart]
    return "<br>".join(shorts) or None


@streamed
def gradient_chart(
    state: PlaygroundState,
    key: str = "gradients",
    trainer: Trainer | None = None,
    height: int = 330,
    legend: str = "right",
    **frame_text,
):
    """``legend``: see history_plots.gradient_norm_figure ("ends" for a narrow chart)."""
    trainer = trainer or state.trainer
    return history_chart(
        state,
        key,
        trainer,
        layer_columns(trainer, GRAD_NORM),
        lambda epochs, c: history_plots.gradient_norm_figure(epochs, np.column_stack(c), height, legend=legend),
        lambda epochs, c: history_plots.gradient_norm_update(epochs, np.column_stack(c)),
        height,
        priority=2,
        y_axis="log",
        same_scale=lambda run: layer_columns(run, GRAD_NORM),  # compare mode: A's and B's axes are the same
        note=chart_note(state, trainer, "gradients"),
        **frame_text,
    )


@streamed
def compare_loss_chart(state: PlaygroundState, key: str = "loss_compare", height: int = 320, **frame_text):
    """Both runs' loss curves overlaid; the runs advance together (a diverged one stops)."""
    upto = state.replay_epoch
    names = [TRAIN_LOSS, TEST_LOSS]
    version = f"{key}:{state.run_id}:{state.trainer.history.generation}:{state.trainer_b.history.generation}:{upto}"
    last_epoch = max(shown_epoch(state, trainer) for _, trainer in state.runs)
    notes = [(name, chart_note(state, trainer, "loss")) for name, trainer in state.runs]
    note = "<br>".join(f"Run {name}: {text}" for name, text in notes if text) or None
    if note:
        version += f":note={note}"  # a new note is a new figure (sent whole)
    # Early stopping's best epoch of each run that watches for it (up to the replay epoch).
    bests = [
        (name, trainer.best_epoch)
        for name, trainer in state.runs
        if trainer.config.early_stopping and (upto is None or trainer.best_epoch <= upto)
    ]
    version += f":best={bests}" if bests else ""

    def ranges() -> dict:
        epochs, losses = [], []
        for _, trainer in state.runs:
            run_epochs, (train, test) = history_columns(trainer, names, upto=upto)
            epochs.append(run_epochs)
            losses += [train, test]
        return history_plots.live_axis_ranges(np.concatenate(epochs), np.concatenate(losses), "linear")

    def figure() -> dict:
        runs = []
        for name, trainer in state.runs:
            epochs, (train, test) = history_columns(trainer, names, upto=upto)
            runs.append((name, epochs, train, test))  # legend "A train", "A test": two entries a line
        y_title = history_plots.LOSS_AXIS_TITLES[state.trainer.problem]  # the runs share their data, so their problem
        result = history_plots.with_note(
            history_plots.with_ranges(history_plots.compare_loss_figure(runs, height, y_title), ranges()), note
        )
        for name, best in bests:
            history_plots.with_best_epoch(result, best, f"{name} best", left=best > 0.5 * last_epoch)
        return history_plots.epoch_marker(result, upto) if upto is not None else result

    def update(sync: ChartSync) -> dict | None:
        xs, ys = [], []
        for _, trainer in state.runs:
            epochs, (train, test) = history_columns(trainer, names, after=sync.window_start, upto=upto)
            xs += [plot_style.round_decimals(epochs, 0)] * 2
            ys += [plot_style.round_decimals(train, 5), plot_style.round_decimals(test, 5)]
        if not any(xs):
            return None
        return {"extend": {"update": {"x": xs, "y": ys}, "traces": list(range(len(xs)))}, "ranges": ranges()}

    return live_chart(state, key, version, last_epoch, figure, update, height, priority=1, **frame_text)


def replay_slot(state: PlaygroundState, stacked: bool = False) -> None:
    """One slot, always present, for the replay slider (shown while paused): the charts after it keep
    their place in the page, so pressing Play does not remount them."""
    with st.container():
        if not state.playing and state.shows("replay"):
            replay_slider(state, stacked)


def replay_slider(state: PlaygroundState, stacked: bool = False) -> None:
    """While paused: pick an earlier epoch (one of the kept snapshots) to see the run as it was."""
    epochs = sorted({epoch for _, trainer in state.runs for epoch, _ in trainer.snapshots} | {state.trainer.epoch})
    epochs = [epoch for epoch in epochs if epoch <= state.trainer.epoch]
    if len(epochs) < 2:
        return
    current = state.trainer.epoch if state.replay_epoch is None else state.replay_epoch
    bind("w_replay", min(epochs, key=lambda e: abs(e - current)))

    def moved() -> None:
        session.set_replay_epoch(state, st.session_state["w_replay"])

    # The label beside the slider, not above it: the row of charts below stays on a projector's first screen
    # (stacked in compare mode's narrow column, where the width is short and the height is not).
    label, slider = (
        (st.container(), st.container()) if stacked else st.columns([1.1, 5], vertical_alignment="center", gap="small")
    )
    label.markdown(
        '<p class="bp-replay-label">Replay: show epoch</p>',
        unsafe_allow_html=True,
        help=f"Snapshots are kept at {len(epochs)} epochs (spread over the whole run). The far right is now.",
    )
    slider.select_slider(
        "Replay: show the run as it was at epoch",
        epochs,
        key="w_replay",
        on_change=moved,
        label_visibility="collapsed",
    )
    if state.replay_epoch is not None:
        st.info(
            f"Replaying epoch {state.replay_epoch:,} of {state.trainer.epoch:,}: the boundary, charts and "
            "gradient-flow panel show the run as it was then. Move the slider to the right end, or press Play "
            "or Step, to return to the present."
        )


def live_view() -> None:
    """One frame, guarded: an error becomes a message and pauses the run; the page never shows a traceback.

    (Streamlit reports an exception raised in a fragment itself, so the app's own guard does not see it.)
    """
    state = session.get_state()
    try:
        with state.lock:  # a fragment-only run does not pass through main()'s lock
            _live_frame(state)
    except Exception as error:
        state.playing = False
        st.error(
            f"Something went wrong while drawing this frame ({type(error).__name__}: {error}). Training is paused "
            "and your settings are kept; press Reset or change a setting to continue."
        )


def stream_info(state: PlaygroundState) -> dict:
    """What the page's stream needs: where to connect, this session's token, whether to expect frames."""
    return {"path": STREAM_PATH, "token": state.stream_token, "playing": state.playing}


@streamed
def status_block(state: PlaygroundState) -> None:
    """The numbers above the charts; it also carries the stream's connection details to the browser."""
    live_html(state, "status", status_html(state), stream=stream_info(state))


def _live_frame(state: PlaygroundState) -> None:
    """Train (if playing on the timer), then draw the numbers and the charts, recording them for the stream."""
    stale_timer = state.timer_running and (not state.playing or state.stream_connection is not None)
    if stale_timer or state.app_rerun_due:
        # Paused by a click handled in a timer-driven run of this fragment, a stream that took over from
        # the timer, or a run stopped on the stream (a divergence): only a full run stops the timer,
        # relabels the button and shows the message.
        state.app_rerun_due = False
        st.rerun(scope="app")
    state.stream_recipes = []
    if state.playing and state.stream_connection is None:
        pace_frame(state)
        if train_frame(state):
            st.rerun(scope="app")  # show the divergence message (outside the fragment)
    if state.comparing:
        compare_layout(state)  # its status and replay slider sit beside the runs' rows
    else:
        status_block(state)
        replay_slot(state)
        single_layout(state)
    if state.shows("diagram"):
        diagram_view.diagram_section(state)
    if state.shows("lens"):
        lens.panel(state)
    rate_panel.landscape_section(state)  # the loss landscape, live (it says itself when a link hides it)
    state.render_pending = False  # the stream may replay what was just drawn


SINGLE_GALLERY_IMAGES, SINGLE_GALLERY_COLUMNS = 12, 4  # three rows of test digits, labels readable in a third


def single_layout(state: PlaygroundState) -> None:
    """Picture | loss | gradients in one row, each caption below its chart. The picture is the decision boundary,
    or for image data a gallery of 12 test digits (3 rows of 4), so that a lesson on digits fits a projector's first
    screen too; the confusion matrix and the weight pictures follow below."""
    trainer = state.trainer
    image = trainer.inputs == "image"
    picture, loss, gradients = st.columns([1.35, 1, 1], gap="small")  # the square plane needs the width
    with picture:
        if image:
            digits_chart(
                state,
                height=ROW_CHART_HEIGHT,
                max_images=SINGLE_GALLERY_IMAGES,
                columns=SINGLE_GALLERY_COLUMNS,
                title="Test digits: the network's answers",
                caption=DIGITS_CAPTION,
            )
        else:
            boundary_chart(
                state,
                height=ROW_CHART_HEIGHT,
                title=boundary_title(trainer),
                caption=f"**Click:** {own_data.click_hint(state)} " + boundary_caption(trainer),  # own_data.py
            )
    with loss:
        loss_chart(state, height=ROW_CHART_HEIGHT, title="Loss over epochs", caption=loss_caption(trainer))
    with gradients:
        gradient_chart(
            state, height=ROW_CHART_HEIGHT, legend="ends", title="Gradient per layer", caption=GRADIENT_CAPTION
        )
    if image:
        digits_panels(state)


# Compare mode on a 1280x720 projector: each run's picture and gradient chart in a row of its own, the
# status table and the overlaid loss beside both rows, so the two runs' boundaries, gradients and losses
# share the first screen (tests/browser/test_projector_layout.py). The captions follow, below the fold.
COMPARE_ROW_HEIGHT = 220
COMPARE_LOSS_HEIGHT = 210  # below the status table and the replay slider, level with run B's row
COMPARE_GALLERY_IMAGES, COMPARE_GALLERY_COLUMNS = 12, 6  # two rows of test digits fit a row's height


def compare_layout(state: PlaygroundState) -> None:
    """Two rows, one per run (its picture, its gradient chart) and the loss of both beside them."""
    image = state.trainer.inputs == "image"
    lesson = LESSONS.get(state.lesson) if state.lesson else None
    runs, loss = st.columns([2.15, 1], gap="small")
    with runs, st.container(gap="xsmall"):  # a run's heading close above its row
        for name, trainer in state.runs:
            label = (lesson.label_a if name == "A" else lesson.label_b) if lesson and lesson.compare else None
            run_heading(name, trainer, label)
            picture, gradients = st.columns([1.15, 1], gap="small")
            with picture:
                if image:
                    digits_chart(
                        state,
                        f"digits_{name}",
                        trainer,
                        height=COMPARE_ROW_HEIGHT,
                        max_images=COMPARE_GALLERY_IMAGES,
                        columns=COMPARE_GALLERY_COLUMNS,
                    )
                else:
                    boundary_chart(state, f"boundary_{name}", trainer, height=COMPARE_ROW_HEIGHT)
            with gradients:
                gradient_chart(state, f"gradients_{name}", trainer, height=COMPARE_ROW_HEIGHT, legend="ends")
    with loss, st.container(gap="xsmall"):
        status_block(state)
        compare_loss_chart(state, height=COMPARE_LOSS_HEIGHT, title="Loss: A blue, B vermillion")
        replay_slot(state, stacked=True)  # below the loss: showing it does not move a chart
    with st.expander("What these charts show", icon=":material/help:", expanded=not state.lesson):
        left, middle, right = st.columns(3, gap="medium")
        left.markdown(DIGITS_CAPTION if image else boundary_caption(state.trainer))
        middle.markdown(GRADIENT_CAPTION)
        right.markdown(loss_caption(state.trainer) + " Solid lines: training loss; dotted: test loss.")
    if image:
        digits_panels(state)


def run_heading(name: str, trainer: Trainer, label: str | None) -> None:
    """One line above a run's row: 'Run A · Sigmoid + Glorot · 8 × 16 sigmoid · Glorot uniform · SGD, lr 0.03'."""
    parts = [f"<b>Run {name}</b>", *([html.escape(label)] if label else []), html.escape(describe(trainer))]
    if trainer.diverged:  # first after the name: a long heading is cut at its end, never here
        parts.insert(1, f'<span class="bp-diverged">⚠ diverged at epoch {trainer.diverged_at:,}</span>')
    elif trainer.stopped_early:
        stopped = f"⏹ stopped early at epoch {trainer.stopped_early_at:,}, best {trainer.best_epoch:,}"
        parts.insert(1, f'<span class="bp-stopped">{stopped}</span>')
    st.markdown(f'<p class="bp-run-heading bp-run-{name.lower()}">{" · ".join(parts)}</p>', unsafe_allow_html=True)


def describe(trainer: Trainer) -> str:
    """One line naming a run's settings, e.g. '8 × 16 sigmoid · Glorot/Xavier uniform · SGD, lr 0.03'."""
    c = trainer.config
    if c.hidden_layers:
        kinds = sorted(set(c.activations), key=c.activations.index)
        sizes = sorted(set(c.hidden_layers))
        shape = f"{len(c.hidden_layers)} × {sizes[0]}" if len(sizes) == 1 else "-".join(map(str, c.hidden_layers))
        network = f"{shape} {'/'.join(ACTIVATIONS[k].label for k in kinds)}"
    else:
        network = "no hidden layer"
    init = INITIALIZERS[c.initializer].label + (
        f" σ={c.init_sigma:.3g}" if INITIALIZERS[c.initializer].uses_sigma else ""
    )
    cures = [
        *(["skips"] if c.residual else []),
        *([{"batch": "batch norm", "layer": "layer norm"}[c.normalization]] if c.normalization != "none" else []),
        *([f"dropout {c.dropout:g}"] if c.dropout else []),
        *([f"clip {c.gradient_clip:g}"] if c.gradient_clip else []),
    ]
    cures += [  # a rate with regularization "none" changes nothing: not shown
        *(
            [f"L{c.regularization[-1]} {c.regularization_rate:g}"]
            if c.regularization != "none" and c.regularization_rate
            else []
        ),
        *([f"early stop {c.early_stopping}"] if c.early_stopping else []),
    ]
    network += "".join(f" + {cure}" for cure in cures)
    rate = f"lr {c.learning_rate:g}" + (f" ({c.lr_schedule})" if c.lr_schedule != "constant" else "")
    noise = f" · {c.label_noise:.0%} labels flipped" if c.label_noise else ""
    return f"{network} · {init} · {OPTIMIZERS[c.optimizer].label}, {rate}{noise}"


def render_live(state: PlaygroundState) -> None:
    """Run the live view as a fragment; on a rerun timer only while playing without a stream."""
    state.timer_running = state.playing and state.stream_connection is None
    st.fragment(live_view, run_every=FRAME_INTERVAL_SECONDS if state.timer_running else None)()
