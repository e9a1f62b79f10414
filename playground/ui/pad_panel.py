"""Draw a digit: the pad, what the network sees, its probabilities live, and one backprop step on your digit.

Shown below the live view for the image datasets (MNIST and the 8x8 digits), for run A (compare mode: the step
changes run A). The pad (``playground.ui.draw_pad``) sends the ink while the pen moves; it is preprocessed as
MNIST was made (``playground.data.handwriting``) and the network's probabilities follow as bars. "It is a ___"
makes one optimiser step on the drawn digit alone with its true label (``playground.teaching.correction``): the
guess and the loss before and after, how many weights moved, the first layer's change as pictures, and the
walkthrough of that very step one click away. "Add it to the training data" keeps the digit for the next epochs.

The section is a fragment: drawing reruns only it, not the charts above; a step reruns the whole page (its
history row and the gallery change).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.data.handwriting import image_for
from playground.plots import pad as pad_plots
from playground.teaching.correction import learn_from_example
from playground.teaching.walkthrough import GIVEN
from playground.ui.draw_pad import draw_pad
from playground.ui.session import transition
from playground.ui.state import PlaygroundState

PREVIEW_PIXELS = 168  # the preprocessed image on screen: 6 screen pixels per MNIST pixel, 21 per 8x8 pixel

CAPTION = (
    "**Draw a digit** with the mouse, a finger or a pen. The network sees it the way MNIST digits were made: the "
    "ink fitted into a 20×20 box and centred by its centre of mass in 28×28 pixels (for the 8×8 digits, the same "
    "image shrunk to 8×8). The bars are the network's probabilities, updated as you draw. Wrong? Tell it what it "
    "is: that makes **one backprop step on your digit alone**, with the run's own optimiser and learning rate."
)


def class_names(trainer) -> list[str]:
    return ["3", "8"] if trainer.config.dataset == "digits_3v8" else [str(k) for k in range(trainer.config.classes)]


def _preview(image: np.ndarray, side: int) -> np.ndarray:
    """The network's input (side²,) in [0, 1] as dark ink on white, enlarged to about PREVIEW_PIXELS: uint8."""
    scale = max(1, PREVIEW_PIXELS // side)
    ink = np.clip(image.reshape(side, side), 0.0, 1.0)
    return np.kron((255 * (1.0 - ink)).astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))


@transition
def learn_drawn_digit(state: PlaygroundState, label: int) -> None:
    """One step on the drawn digit with class ``label`` (run A, paused); the walkthrough can then follow it."""
    trainer, image = state.trainer, state.drawn_image
    if image is None:
        state.pad_message = ("info", "Draw a digit first.")
        return
    if state.playing:
        state.pad_message = ("warning", "Press Pause first: the step is applied to a paused run.")
        return
    try:
        state.correction = learn_from_example(trainer, image, label)
    except ValueError as error:
        state.pad_message = ("warning", f"The step was not made: {error}.")
        return
    state.correction_steps = state.correction_steps + 1 if state.correction_label == label else 1
    state.correction_label, state.pad_message = label, None
    state.restart_charts()  # a history row at the same epoch: the charts redraw whole
    state.pad_changed_run = True


@transition
def add_drawn_digit(state: PlaygroundState, label: int) -> None:
    trainer, image = state.trainer, state.drawn_image
    if image is None:
        return
    trainer.add_training_examples(image[None, :], np.array([label]))
    state.pad_changed_run = True
    state.pad_message = (
        "success",
        f"Added as training row {trainer.y_train.shape[0] - 1:,} (a {class_names(trainer)[label]}): the next epochs "
        f"train on it too. It stays until a data setting changes.",
    )


@transition
def walk_through_drawn_digit(state: PlaygroundState, label: int) -> None:
    """Open the backprop walkthrough on the drawn digit (the next step it would make)."""
    if state.drawn_image is None:
        return
    state.walkthrough_example = (state.drawn_image.copy(), float(label))
    state.walkthrough_index, state.walkthrough_followed, state.walkthrough_step = GIVEN, None, 0
    state.walkthrough_message = None
    state.pad_changed_run = True


def _correction_view(state: PlaygroundState) -> None:
    correction, trainer = state.correction, state.trainer
    names = class_names(trainer)
    before, after = names[correction.guess_before], names[correction.guess_after]
    verdict = "**corrected**" if correction.guess_after == correction.label else "not yet corrected: step again"
    steps = f"{state.correction_steps} steps" if state.correction_steps > 1 else "one step"
    st.markdown(
        f"After {steps} on your {names[correction.label]}: the guess went **{before} → {after}** ({verdict}); its "
        f"loss **{correction.loss_before:.3f} → {correction.loss_after:.3f}**. "
        f"**{correction.weights_changed:,} of {correction.weights:,} weights** changed in the last step."
    )
    bars, update = st.columns([2, 3])
    bars.plotly_chart(
        pad_plots.probability_figure(
            pad_plots.class_probabilities(correction.probabilities_after),
            names,
            before=pad_plots.class_probabilities(correction.probabilities_before),
            label=correction.label,
            height=280,
        ),
        key="pad_correction_bars",
        config={"displayModeBar": False},
    )
    update.plotly_chart(
        pad_plots.first_layer_update_figure(correction.step.update_weights[0]),
        key="pad_update_pictures",
        config={"displayModeBar": False},
    )
    pixels = int(np.count_nonzero(correction.step.inputs))
    update.caption(
        f"**How the first layer's weights moved** (the units that moved most): for each unit, ∂L/∂W is your "
        f"image times the unit's error δ, so with plain SGD each picture is your digit, in blue or vermillion by "
        f"the sign of δ, and the weights of blank pixels do not move ({pixels} of {correction.step.inputs.size} "
        f"pixels have ink). Momentum and Adam add what they carry from earlier steps."
    )


@st.fragment
def _pad_section(state: PlaygroundState) -> None:
    if state.pad_changed_run:  # a step or an added digit: the charts above show the run, so the whole page reruns
        state.pad_changed_run = False
        st.rerun(scope="app")
    trainer = state.trainer
    side, names = trainer.image_side, class_names(trainer)
    pad_column, seen_column, bars_column = st.columns([5, 3, 6])
    with pad_column:
        ink = draw_pad("pad")
    image = None if ink is None else image_for(side, ink)
    if image is not None and not np.any(image):
        image = None
    if state.drawn_image is None or image is None or not np.array_equal(image, state.drawn_image):
        state.correction = None  # a new drawing: the last step's figures were of another digit
    state.drawn_image = image
    with seen_column:
        if image is None:
            st.markdown("*What the network sees appears here.*")
        else:
            st.image(_preview(image, side), caption=f"What the network sees: {side}×{side}", width=PREVIEW_PIXELS)
    with bars_column:
        if image is None:
            st.markdown("*Its answer appears here as you draw.*")
        else:
            outputs = trainer.predict_proba(image[None, :])[0]
            probabilities = pad_plots.class_probabilities(outputs)
            st.plotly_chart(
                pad_plots.probability_figure(probabilities, names),
                key="pad_bars",
                config={"displayModeBar": False},
            )
            guess = names[int(np.argmax(probabilities))]
            st.markdown(f"The network says **{guess}** ({probabilities.max():.0%}).")
    if image is None:
        return
    st.pills(
        "It is a …",
        names,
        key="w_pad_label",
        selection_mode="single",
        help="One backprop step on your digit alone with this label (the run must be paused). Again: one more step.",
        on_change=_label_picked,
        args=(state,),
    )
    if state.pad_message is not None:
        level, text = state.pad_message
        getattr(st, level)(text)
    if state.correction is not None:
        _correction_view(state)
        label = state.correction.label
        again, add, walk = st.columns(3)
        again.button(
            f"One more step on it ({names[label]})", on_click=learn_drawn_digit, args=(state, label), key="pad_again"
        )
        add.button("Add it to the training data", on_click=add_drawn_digit, args=(state, label), key="pad_add")
        if state.shows("walkthrough"):
            walk.button(
                "Follow the next step in the walkthrough",
                on_click=walk_through_drawn_digit,
                args=(state, label),
                key="pad_walk",
                help="The backprop walkthrough below opens on your digit: every number of its next step.",
            )


def _label_picked(state: PlaygroundState) -> None:
    picked = st.session_state.get("w_pad_label")
    st.session_state["w_pad_label"] = None  # a pill is an action here, not a setting: the same label steps again
    if picked is None:
        return
    learn_drawn_digit(state, class_names(state.trainer).index(picked))


def panel(state: PlaygroundState) -> None:
    """The pad section, for image datasets only."""
    if state.trainer.inputs != "image":
        return
    st.markdown("### Draw a digit")
    st.markdown(CAPTION)
    if state.comparing:
        st.caption("Compare mode: the pad shows and steps run A.")
    _pad_section(state)
