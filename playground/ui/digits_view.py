"""The image problems' views (the 8x8 digits, MNIST): the gallery of test digits with the network's answers,
the confusion matrix and the first layer's weights as images, redrawn whole about once a second while
playing."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from playground.engine.heads import predicted_classes
from playground.plots import images as image_plots
from playground.training.trainer import Trainer
from playground.ui import session
from playground.ui.charts import shown_epoch
from playground.ui.live import live_chart, streamed
from playground.ui.state import ROW_CHART_HEIGHT, PlaygroundState
from playground.ui.widgets import choice_switch

DIGITS_CAPTION = (
    "**What you see:** test images the network never trained on, each with the network's answer (pred) and the "
    "truth. Mistakes are framed in vermillion and marked ✗."
)
CONFUSION_CAPTION = (
    "**Confusion matrix** (whole test set): row = the true digit, column = the network's answer. A perfect "
    "network puts every count on the diagonal (darker blue = more examples); a shaded cell off it is a pair "
    "the network mixes up (often 3/8, 4/9, 1/7)."
)
WEIGHTS_CAPTION = (
    "**What the first layer looks for:** each tile is one hidden unit's {pixels} incoming weights laid out as the "
    "{side}×{side} image: blue pixels (positive weights) push the unit up when the pen covers them, vermillion ones "
    "(negative) push it down. At initialisation they are noise; as the "
    "network learns, strokes and blobs appear."
)
CHANGE_CAPTION = (
    "**What the first layer has learned:** each tile is one hidden unit's {pixels} incoming weights minus their "
    "initial values, W − W₀, laid out as the {side}×{side} image: blue where training raised a weight (ink there "
    "now pushes the unit up), vermillion where it lowered one; blank at epoch 0. With {pixels} inputs the random "
    "initial weights are about as large as what the first epochs add, so W itself looks like noise with faint "
    "strokes; its change shows the strokes and blobs. Pixels blank in every training image (the border) get no "
    "gradient and stay white (unless L2 shrinks their weights)."
)
FIRST_LAYER_VIEWS = {"weights": "Weights W", "change": "Change since the start, W − W₀"}
SMALL_IMAGE_SIDE = 8  # the 8x8 digits show W itself by default; bigger images (MNIST) its change W − W₀


PANEL_HEIGHT = 560  # the confusion matrix and the first-layer weights (16 tiles, 4 to a row), side by side
DIGITS_REFRESH_SECONDS = 1.0  # the digits views are whole figures: redrawn about once a second while playing


def _digits_version(state: PlaygroundState, key: str, trainer: Trainer) -> str:
    epoch = shown_epoch(state, trainer)
    moment = int(time.monotonic() / DIGITS_REFRESH_SECONDS) if state.playing else epoch
    return f"{key}:{state.run_id}:{id(trainer.points)}:{state.replay_epoch}:{moment}"


# What the labels of an image dataset stand for, where they are not the digits themselves.
DIGIT_CLASS_NAMES = {"digits_3v8": ["3", "8"]}  # y = 1 for an 8


def digit_class_names(trainer: Trainer) -> list[str] | None:
    return DIGIT_CLASS_NAMES.get(trainer.config.dataset)


def digits_predictions(trainer: Trainer, epoch: int | None = None) -> np.ndarray:
    """Predicted class of every test image, (n_test,), now or at a snapshot epoch."""
    _, network = trainer.network_at(epoch)
    with np.errstate(all="ignore"):
        outputs = network.predict_outputs(trainer.X_test)
    return np.nan_to_num(predicted_classes(outputs), nan=0.0)


@streamed
def digits_chart(
    state: PlaygroundState,
    key: str = "digits",
    trainer: Trainer | None = None,
    height=None,
    max_images: int = 24,
    columns: int = 6,
    **text,
):
    """A gallery of test digits with the network's answers (in place of the boundary for image data)."""
    trainer = trainer or state.trainer

    def figure():
        predicted = digits_predictions(trainer, state.replay_epoch)
        return image_plots.digit_gallery_figure(
            trainer.test_points,
            trainer.y_test,
            predicted,
            max_images=max_images,
            columns=columns,
            height=height or ROW_CHART_HEIGHT,
            class_names=digit_class_names(trainer),
        )

    return live_chart(
        state,
        key,
        _digits_version(state, key, trainer),
        shown_epoch(state, trainer),
        figure,
        lambda sync: None,
        height or ROW_CHART_HEIGHT,
        priority=0,
        **text,
    )


@streamed
def confusion_chart(state: PlaygroundState, key: str, trainer: Trainer, **text) -> None:
    """The test set's confusion matrix at the shown epoch (image data)."""

    def figure():
        predicted = digits_predictions(trainer, state.replay_epoch)
        return image_plots.confusion_matrix_figure(
            trainer.y_test,
            predicted,
            max(trainer.config.classes, 2),
            class_names=digit_class_names(trainer),
            height=PANEL_HEIGHT,
        )

    version = _digits_version(state, key, trainer)
    live_chart(state, key, version, shown_epoch(state, trainer), figure, lambda sync: None, PANEL_HEIGHT, 3, **text)


def first_layer_view(state: PlaygroundState, trainer: Trainer) -> str:
    """What the first-layer panel draws: "weights" (W) or "change" (W − W₀), the user's choice or else the
    image size's default (W for the 8x8 digits; its change for MNIST's 28x28, where W looks like noise)."""
    if state.first_layer_view in FIRST_LAYER_VIEWS:
        return state.first_layer_view
    return "change" if trainer.image_side > SMALL_IMAGE_SIDE else "weights"


def weights_caption(state: PlaygroundState, trainer: Trainer) -> str:
    """The first-layer panel's caption for the run's image size and what the panel draws."""
    side = trainer.image_side
    template = CHANGE_CAPTION if first_layer_view(state, trainer) == "change" else WEIGHTS_CAPTION
    return template.format(pixels=side * side, side=side)


def first_layer_figure(state: PlaygroundState, trainer: Trainer) -> dict:
    """The first layer's incoming weights W (side², units), or their change since the start W − W₀, as
    side x side images at the shown epoch: the first 16 units, 4 to a row."""
    _, network = trainer.network_at(state.replay_epoch)
    weights, units = network.weights[0], network.weights[0].shape[1]
    if first_layer_view(state, trainer) == "weights":
        return image_plots.first_layer_weights_figure(weights, max_units=16, columns=4, height=PANEL_HEIGHT)
    initial = trainer.network.copy(theta=trainer.initial_theta).weights[0]
    return image_plots.first_layer_weights_figure(
        weights - initial,
        max_units=16,
        columns=4,
        height=PANEL_HEIGHT,
        title=f"{min(16, units)} of {units} units: change W − W₀",  # short: a compare-mode column
        quantity="change",
    )


def first_layer_chart(state: PlaygroundState, key: str, trainer: Trainer, **text) -> None:
    """The first layer's incoming weights as side x side images at the shown epoch (image data)."""
    if not trainer.config.hidden_layers:
        st.info("This network has no hidden layer: its output units read the pixels directly.")
        return
    first_layer_weights(state, key, trainer, **text)


@streamed
def first_layer_weights(state: PlaygroundState, key: str, trainer: Trainer, **text) -> None:
    # The view in the version: switching it while paused draws the other figure whole.
    version = f"{_digits_version(state, key, trainer)}:{first_layer_view(state, trainer)}"
    live_chart(
        state,
        key,
        version,
        shown_epoch(state, trainer),
        lambda: first_layer_figure(state, trainer),
        lambda sync: None,
        PANEL_HEIGHT,
        3,
        **text,
    )


def first_layer_switch(state: PlaygroundState) -> None:
    """Weights W or their change W − W₀ (image data with a hidden layer): one switch for every run's panel."""
    if not state.trainer.config.hidden_layers:
        return
    shown = first_layer_view(state, state.trainer)
    choice_switch(
        st,
        "First-layer pictures",
        FIRST_LAYER_VIEWS,
        "w_first_layer_view",
        shown,
        lambda view: session.set_first_layer_view(state, view),
        help="The weights themselves, or how far training has moved them from their random start.",
    )


def digits_panels(state: PlaygroundState) -> None:
    """Below the main charts (image data): confusion matrix and first-layer weights, side by side for one
    run; in compare mode each for run A and run B side by side."""
    if not state.comparing:
        left, right = st.columns(2, gap="medium")
        with left:
            confusion_chart(
                state, "confusion", state.trainer, title="Confusion matrix (test set)", caption=CONFUSION_CAPTION
            )
        with right:
            first_layer_chart(
                state,
                "first_layer",
                state.trainer,
                title="First-layer weights as images",
                caption=weights_caption(state, state.trainer),
            )
            first_layer_switch(state)
        return
    for chart, title, caption in (
        (confusion_chart, "confusion matrix (test set)", CONFUSION_CAPTION),
        (first_layer_chart, "first-layer weights", weights_caption(state, state.trainer)),
    ):
        columns = st.columns(2, gap="medium")
        for column, (name, trainer) in zip(columns, state.runs):
            with column:
                chart(
                    state,
                    f"{chart.__name__}_{name}",
                    trainer,
                    title=f"Run {name}: {title}",
                    caption=caption if name == "A" else None,
                )
    first_layer_switch(state)
