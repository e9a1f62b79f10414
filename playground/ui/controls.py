"""Sidebar controls (compare mode included) and the playback bar. Widgets show ``state.config``; callbacks change it.

Each widget's session key is set from the config just before the widget is
drawn (so a lesson, a URL or a reset can move every control at once), and its
callback writes the new value back through ``session.apply_change`` (then
``Trainer.apply_config``, which rebuilds only what the change needs).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import streamlit as st

from playground.data.datasets import DATASETS, FEATURES, MNIST_EXAMPLES, MNIST_TEST_SIZE
from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import INITIALIZERS
from playground.engine.losses import REGULARIZERS
from playground.engine.optimizers import OPTIMIZERS
from playground.links.hiding import GROUPS, expand
from playground.training.config import DEFAULT_FEATURES, FIELDS, next_seed
from playground.ui import own_data
from playground.ui.session import (
    MAX_STEP_COUNT,
    added_layer_width,
    apply_change,
    new_weights,
    reset,
    set_compare,
    set_layers,
    set_playing,
    show_all_controls,
    step,
)
from playground.ui.state import SPEED_CHOICES, PlaygroundState, speed_label
from playground.ui.widgets import bind, keep


def _log_choices(field: str, mantissas=(1, 2, 3, 5), low: float | None = None) -> list[float]:
    """Log-spaced slider choices within the field's bounds in the config's table."""
    bound = FIELDS[field]
    low = bound.low if low is None else low
    low_exponent, high_exponent = math.floor(math.log10(low)), math.ceil(math.log10(bound.high))
    values = [m * 10.0**e for e in range(low_exponent, high_exponent + 1) for m in mantissas]
    return [float(f"{v:.6g}") for v in values if low <= v <= bound.high]


LEARNING_RATES = _log_choices("learning_rate")  # 1e-5 ... 10, log-spaced
REGULARIZATION_RATES = [0.0, *_log_choices("regularization_rate", (1, 3), low=1e-5)]
SIGMAS = _log_choices("init_sigma")
MAX_DEPTH, MAX_WIDTH = FIELDS["hidden_layers"].max_length, int(FIELDS["hidden_layers"].high)
DROPOUTS = [round(0.05 * step, 2) for step in range(int(round(FIELDS["dropout"].high / 0.05)) + 1)]  # 0 ... 0.5
GRADIENT_CLIPS = [0.0, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]  # 0: off; else the largest global gradient norm
PATIENCES = [0, 10, 20, 50, 100, 200, 500]  # early stopping: epochs without a better test loss; 0 is off
DECAY_EPOCHS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
STEP_FACTORS = [0.1, 0.2, 0.5, 0.8]
WARMUP_EPOCHS = [5, 10, 20, 50, 100, 200]
SCHEDULE_LABELS = {
    "constant": "Constant",
    "step": "Step decay",
    "cosine": "Cosine decay",
    "warmup": "Warm-up, then cosine",
}
NORMALIZATION_LABELS = {"none": "None", "batch": "Batch norm", "layer": "Layer norm"}
BATCH_NORM_MIN_BATCH = 2  # one example has no spread to standardise (TrainingConfig refuses batch_size 1)
MAX_SEED = int(FIELDS["data_seed"].high)
MAX_TRAIN_SIZE = int(FIELDS["train_size"].high)
TRAIN_SIZES = [250, 500, 1000, 2000, 4000, MAX_TRAIN_SIZE]  # MNIST training images; doubling, up to all of them
IMAGE_SOURCES = {  # the caption under the Dataset picker: where each image set comes from, and its licence
    "digits": "UCI handwritten digits, CC BY 4.0",
    "digits_3v8": "UCI handwritten digits, CC BY 4.0",
    "mnist": "LeCun, Cortes and Burges, CC BY-SA 3.0",
}


def _with_current(choices: list[float], value: float) -> list[float]:
    """The slider's choices plus the current value (a lesson, a URL or a file may set 1.5, between 1 and 2)."""
    return sorted(set(choices) | {float(value)})


def _format_number(value: float) -> str:
    return f"{value:g}"


def _format_or_off(value: float) -> str:
    """0 means the cure is off (dropout, gradient clipping)."""
    return "off" if value == 0 else f"{value:g}"


def _on_widget(state: PlaygroundState, widget_key: str, to_changes: Callable[[Any], dict]) -> None:
    try:
        changes = to_changes(st.session_state[widget_key])
    except Exception as error:
        state.say("error", f"Could not read that control ({error}).")
        return
    apply_change(state, **changes)


def _callback(state: PlaygroundState, widget_key: str, to_changes: Callable[[Any], dict]) -> dict:
    return {"key": widget_key, "on_change": _on_widget, "args": (state, widget_key, to_changes)}


# ---- sidebar sections ---------------------------------------------------------------------------
def _run_suffix(state: PlaygroundState) -> str:
    return f" (run {state.editing})" if state.comparing else ""


def compare_controls(state: PlaygroundState) -> None:
    """Sidebar: compare mode and which run the controls edit."""
    bind("w_compare", state.comparing)
    if state.shows("compare"):
        st.toggle(
            "Compare two runs (A vs B)",
            key="w_compare",
            on_change=lambda: set_compare(state, st.session_state["w_compare"]),
            help="Train two settings side by side on identical data and seeds: sigmoid vs ReLU, Glorot vs He, "
            "SGD vs Adam…",
        )
    if state.comparing and state.shows("edit_run"):
        bind("w_editing", state.editing)
        st.segmented_control(
            "Settings below apply to",
            ["A", "B"],
            format_func=lambda run: f"Run {run}",
            key="w_editing",
            on_change=lambda: setattr(state, "editing", st.session_state["w_editing"] or state.editing),
            help="Data and seeds are shared by both runs; network and training settings are per run.",
        )


DATASET_HELP = (
    "Binary: two classes of 2D points, orange (class 0) and blue (class 1). Spiral and blobs: 2 to 5 classes "
    "(softmax output). Plane and six bumps: regression, predicting a number at each point (linear output). "
    "Digits: 8x8 images of handwritten digits, 64 pixel inputs, 10 classes (or just 3 vs 8). MNIST: the classic "
    "28x28 handwritten digits, 784 pixel inputs, 10 classes; 10,000 of them, 2,000 held out for testing."
)
TRAIN_SIZE_HELP = (
    "How many of MNIST's 8,000 training images the network learns from. The 2,000 test images stay the same "
    "whatever the size (the data seed picks them), and a smaller training set is part of a larger one. Fewer "
    "images: quicker epochs, and more overfitting."
)


def _format_train_size(size: int) -> str:
    return f"{size:,} (all)" if size == MAX_TRAIN_SIZE else f"{size:,}"


def _image_caption(name: str, images: int) -> str:
    """The caption of an image set: how many images of what size, their source and licence, the inputs."""
    side = DATASETS[name].image_side
    pixels = f"{side}x{side} pixels ({IMAGE_SOURCES[name]})"
    inputs = f"the network's {side * side} inputs are the pixel intensities, scaled to 0-1."
    if name == "mnist":
        return f"{MNIST_EXAMPLES:,} MNIST digits of {pixels}, {MNIST_TEST_SIZE:,} held out for testing; {inputs}"
    return f"{images:,} images of {pixels}; {inputs}"


def data_controls(state: PlaygroundState) -> None:
    c = state.config
    dataset = DATASETS[c.dataset]
    if _section_shown(state, "data"):
        st.header("Data (both runs)" if state.comparing else "Data")
    bind("w_dataset", c.dataset)
    if state.shows("dataset"):
        st.selectbox(
            "Dataset",
            list(DATASETS),
            format_func=lambda name: DATASETS[name].label,
            help=DATASET_HELP,
            **_callback(state, "w_dataset", lambda v: own_data.dataset_changes(state, v)),
        )
    if dataset.n_classes is None and state.shows("n_classes"):
        classes = FIELDS["n_classes"]
        bind("w_n_classes", c.n_classes)
        st.slider(
            "Number of classes",
            int(classes.low),
            int(classes.high),
            step=1,
            help="2 classes train a sigmoid output with binary cross-entropy; more, a softmax with cross-entropy.",
            **_callback(state, "w_n_classes", lambda v: {"n_classes": int(v)}),
        )
    if dataset.inputs == "image" and state.shows("dataset"):
        st.caption(_image_caption(c.dataset, state.trainer.points.shape[0]))
    if c.dataset == "mnist":
        bind("w_train_size", c.train_size)
        if state.shows("train_size"):
            st.select_slider(
                "Training images",
                sorted(set(TRAIN_SIZES) | {c.train_size}),  # a lesson or a link may ask for a size in between
                format_func=_format_train_size,
                help=TRAIN_SIZE_HELP,
                **_callback(state, "w_train_size", lambda v: {"train_size": int(v)}),
            )
    elif dataset.inputs != "image" and c.user_data is None:  # your own points have no size or noise
        points, noise = FIELDS["n_points"], FIELDS["noise"]
        bind("w_n_points", c.n_points)
        if state.shows("n_points"):
            st.slider(
                "Number of points",
                int(points.low),
                int(points.high),
                step=10,
                **_callback(state, "w_n_points", lambda v: {"n_points": v}),
            )
        bind("w_noise", int(round(c.noise * 100)))
        if state.shows("noise"):
            st.slider(
                "Noise (%)",
                0,
                int(noise.high * 100),
                step=5,
                **_callback(state, "w_noise", lambda v: {"noise": v / 100}),
            )
    fraction = FIELDS["train_fraction"]
    bind("w_train_percent", int(round(c.train_fraction * 100)))
    # Your own points keep their split; MNIST's test set is fixed (train_size chooses its training set).
    if state.shows("train_fraction") and c.user_data is None and c.dataset != "mnist":
        st.slider(
            "Training data (%)",
            int(round(fraction.low * 100)),
            int(round(fraction.high * 100)),
            step=5,
            help="The rest is held out as test data: the network never trains on it.",
            **_callback(state, "w_train_percent", lambda v: {"train_fraction": v / 100}),
        )
    bind("w_label_noise", int(round(c.label_noise * 100)))
    if state.shows("label_noise"):
        st.slider(
            "Label noise (% of training labels flipped)",
            0,
            int(FIELDS["label_noise"].high * 100),
            step=5,
            help=LABEL_NOISE_HELP,
            **_callback(state, "w_label_noise", lambda v: {"label_noise": v / 100}),
        )
    if c.user_data is None:
        _seed_row(
            state,
            "data_seed",
            "Data seed",
            "New data" if dataset.inputs == "points" else "New split",
            "Draw a fresh sample of points (next data seed)."
            if dataset.inputs == "points"
            else "Split the images into training and test sets afresh (next data seed).",
            lambda: apply_change(state, data_seed=next_seed(state.config.data_seed)),
        )
    if state.shows("own_data"):
        own_data.own_data_controls(state)  # clicks on the plane, CSV upload and download (own_data.py)
    if dataset.inputs == "image":
        return
    bind("w_show_test", state.show_test)
    if state.shows("show_test"):
        st.toggle(
            "Show test data",
            key="w_show_test",
            on_change=lambda: setattr(state, "show_test", st.session_state["w_show_test"]),
        )
    bind("w_features", list(c.features))
    if state.shows("features"):
        st.pills(
            "Input features",
            list(FEATURES),
            selection_mode="multi",
            format_func=lambda name: FEATURES[name][0],
            help="What the network sees of each point. X₁, X₂ alone make the network learn every curve itself.",
            **_callback(state, "w_features", lambda v: {"features": tuple(v) or DEFAULT_FEATURES}),
        )


def network_controls(state: PlaygroundState) -> None:
    c = state.config
    depth = len(c.hidden_layers)
    if _section_shown(state, "network"):
        st.header(f"Network{_run_suffix(state)}")
    if state.shows("hidden_layers"):
        _layer_controls(state, depth)
    if state.shows("activations"):
        _activation_controls(state, depth)
    _deep_network_controls(state)
    _initialisation_controls(state)


def _layer_controls(state: PlaygroundState, depth: int) -> None:
    """The number of hidden layers (＋/－) and each layer's neurons."""
    c = state.config
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="center")
    left.markdown(f"**{depth} hidden layer{'s' if depth != 1 else ''}**")
    middle.button(
        "+",
        help="Add a hidden layer (as wide as the widest so far)",
        disabled=depth >= MAX_DEPTH,
        on_click=lambda: set_layers(
            state, (*state.config.hidden_layers, added_layer_width(state.config.hidden_layers))
        ),
        key="add_layer",
        width="stretch",
    )
    right.button(
        "-",
        help="Remove the last hidden layer",
        disabled=depth == 0,
        on_click=lambda: set_layers(state, state.config.hidden_layers[:-1]),
        key="remove_layer",
        width="stretch",
    )
    for index, width in enumerate(c.hidden_layers):
        key = f"w_layer_{index}"
        bind(key, width)

        def neurons_changed(value: int, index: int = index) -> dict:
            hidden = list(state.config.hidden_layers)
            hidden[index] = int(value)
            return {"hidden_layers": tuple(hidden)}

        st.number_input(
            f"Neurons in hidden layer {index + 1}", 1, MAX_WIDTH, step=1, **_callback(state, key, neurons_changed)
        )


def _activation_controls(state: PlaygroundState, depth: int) -> None:
    """One activation for all hidden layers, or one per layer."""
    c = state.config
    bind("w_per_layer", state.per_layer_activations)

    def per_layer_changed() -> None:
        state.per_layer_activations = st.session_state["w_per_layer"]
        if not state.per_layer_activations and state.config.activations:
            apply_change(state, activations=(state.config.activations[0],) * len(state.config.hidden_layers))

    if depth:
        st.toggle("A different activation per layer", key="w_per_layer", on_change=per_layer_changed)
    activation_names = list(ACTIVATIONS)
    if depth and not state.per_layer_activations:
        bind("w_activation_all", c.activations[0])
        st.selectbox(
            "Activation (hidden layers)",
            activation_names,
            format_func=lambda name: ACTIVATIONS[name].label,
            help="The output layer follows the problem: one sigmoid unit (two classes), a softmax over the classes, "
            "or one linear unit (regression).",
            **_callback(state, "w_activation_all", lambda v: {"activations": (v,) * len(state.config.hidden_layers)}),
        )
    elif depth:
        for index, name in enumerate(c.activations):
            key = f"w_activation_{index}"
            bind(key, name)

            def activation_changed(value: str, index: int = index) -> dict:
                activations = list(state.config.activations)
                activations[index] = value
                return {"activations": tuple(activations)}

            st.selectbox(
                f"Activation of hidden layer {index + 1}",
                activation_names,
                format_func=lambda n: ACTIVATIONS[n].label,
                **_callback(state, key, activation_changed),
            )


# ---- the cures for deep networks (playground.engine.layers): two network settings, two training settings ----
RESIDUAL_HELP = (
    "Adds each hidden layer's input to its output, a = f(z) + input (He et al. 2016): the gradient reaches "
    "early layers through the additions undiminished, however many layers it crosses. Changing it starts the "
    "run again at epoch 0."
)
NORMALIZATION_HELP = (
    "Standardises each hidden layer's pre-activations, then scales and shifts them by trained γ and β (batch "
    "norm: over the examples of a batch, Ioffe & Szegedy 2015; layer norm: over one example's neurons, Ba et al. "
    "2016), so every layer's inputs keep a healthy spread and the gradients of all layers stay alike. Changing it "
    "starts the run again at epoch 0."
)
DROPOUT_HELP = (
    "While training, each hidden neuron's output is dropped (set to 0) with this probability and the rest "
    "scaled by 1/(1 − p) (Srivastava et al. 2014), so no neuron can rely on another and the network overfits "
    "less; predictions and the charts' losses use every neuron. Changing it keeps the current weights."
)
LABEL_NOISE_HELP = (
    "Gives this share of the training points a wrong label (the same points for the same data seed); the test "
    "points keep their true labels. A big network bends its boundary around the wrong ones (memorising): train "
    "loss falls, test loss rises. Flipped points are ringed on the plane. Changing it starts the run again."
)
EARLY_STOPPING_HELP = (
    "Stops training when the test loss has not improved for this many epochs, and puts the weights back to "
    "the epoch with the lowest test loss (marked on the loss chart). This playground watches its test set for "
    "it (a real project keeps a separate validation set, so that the test loss stays an honest estimate)."
)
SCHEDULE_HELP = (
    "How the learning rate changes while training, drawn on the loss chart (grey, right axis). Step: "
    "multiplied by a factor every few epochs. Cosine: down to 1 % of the rate along half a cosine. Warm-up: "
    "a linear ramp up first (tames the first large steps), then cosine."
)
GRADIENT_CLIP_HELP = (
    "Before each step, a gradient whose global norm (all weights, biases, γ and β together) exceeds this is "
    "scaled down to it, keeping its direction (Pascanu et al. 2013), so one exploding gradient cannot throw "
    "the weights far. Changing it keeps the current weights."
)


def _layer_ranges(layers: list[int]) -> str:
    """1-based layer numbers as ranges: [1, 2, 3, 5] -> "1-3, 5"."""
    runs: list[list[int]] = []
    for layer in layers:
        if runs and layer == runs[-1][-1] + 1:
            runs[-1].append(layer)
        else:
            runs.append([layer])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


def skip_summary(layer_sizes: list[int], skips: list[bool]) -> str:
    """Which hidden layers get a skip connection and which cannot, in one sentence.

    layer_sizes: [n_inputs, *hidden, n_outputs]; skips: one bool per hidden layer (``Network.skips``). A skip
    adds a layer's input to its output, so only a layer whose input and output widths match can have one.
    """
    if not skips:
        return "There is no hidden layer to skip: add one with ＋."

    def widths(layer: int) -> str:  # 1-based hidden layer
        fan_in, fan_out = layer_sizes[layer - 1], layer_sizes[layer]
        return f"{fan_in} input{'s' if fan_in != 1 else ''} → {fan_out}" if layer == 1 else f"{fan_in} → {fan_out}"

    with_skip = [h + 1 for h, skip in enumerate(skips) if skip]
    without = [h + 1 for h, skip in enumerate(skips) if not skip]
    if not without:
        return f"Every hidden layer gets a skip (layer{'s' if len(skips) > 1 else ''} {_layer_ranges(with_skip)})."
    shown = without[:3]
    listed = ", ".join(f"{layer} ({widths(layer)})" for layer in shown)
    more = f" and {len(without) - len(shown)} more" if len(without) > len(shown) else ""
    cannot = f"layer{'s' if len(without) > 1 else ''} {listed}{more}"
    if not with_skip:
        return (
            f"No hidden layer gets a skip: each changes width ({cannot}), and a skip adds a layer's input to its "
            "output. Give neighbouring layers the same number of neurons."
        )
    return (
        f"Layer{'s' if len(with_skip) > 1 else ''} {_layer_ranges(with_skip)} get{'' if len(with_skip) > 1 else 's'} "
        f"a skip; {cannot} cannot (input and output widths differ)."
    )


def _deep_network_controls(state: PlaygroundState) -> None:
    """Skip connections and normalisation: network settings (changing one builds the network afresh)."""
    c = state.config
    bind("w_residual", c.residual)
    if state.shows("residual"):
        # The skips the network would have with residual=True (Network.skips: matching widths); the caption
        # below, drawn when they are on, reads the network's own.
        would_skip = [c.layer_sizes[h] == c.layer_sizes[h + 1] for h in range(len(c.hidden_layers))]
        st.checkbox(
            "Skip connections",
            help=f"{RESIDUAL_HELP} Only a layer whose input and output widths match can have one. With these "
            f"layers: {skip_summary(c.layer_sizes, would_skip)}",
            **_callback(state, "w_residual", lambda v: {"residual": bool(v)}),
        )
        if c.residual:
            st.caption(skip_summary(c.layer_sizes, state.edited.network.skips))
    bind("w_normalization", c.normalization)
    if state.shows("normalization"):
        st.selectbox(
            "Normalisation",
            list(NORMALIZATION_LABELS),
            format_func=NORMALIZATION_LABELS.get,
            help=NORMALIZATION_HELP,
            key="w_normalization",
            on_change=_on_normalization,
            args=(state,),
        )


def _on_normalization(state: PlaygroundState) -> None:
    """Batch norm with a batch of 1 cannot standardise: the batch size moves to 2, and the page says so."""
    value = st.session_state["w_normalization"]
    raise_batch = value == "batch" and state.config.batch_size < BATCH_NORM_MIN_BATCH
    apply_change(state, normalization=value, **({"batch_size": BATCH_NORM_MIN_BATCH} if raise_batch else {}))
    if raise_batch and state.config.normalization == "batch":
        state.say(
            "warning",
            f"Batch norm standardises each neuron over the examples of a batch, and one example has no spread: "
            f"the batch size was set to {BATCH_NORM_MIN_BATCH}.",
        )


def _initialisation_controls(state: PlaygroundState) -> None:
    c = state.config
    if any(state.shows(name) for name in ("initializer", "init_sigma", "weight_seed")):
        st.subheader("Initialisation")
    bind("w_initializer", c.initializer)
    if state.shows("initializer"):
        st.selectbox(
            "Weight initialisation",
            list(INITIALIZERS),
            format_func=lambda name: INITIALIZERS[name].label,
            help="Half of the vanishing-gradient story: the scale of the initial weights decides whether signals "
            "shrink or grow from layer to layer. Biases start at zero.",
            **_callback(state, "w_initializer", lambda v: {"initializer": v}),
        )
    if INITIALIZERS[c.initializer].uses_sigma and state.shows("init_sigma"):
        bind("w_sigma", c.init_sigma)
        st.select_slider(
            "σ (scale of the initial weights)",
            _with_current(SIGMAS, c.init_sigma),
            format_func=_format_number,
            **_callback(state, "w_sigma", lambda v: {"init_sigma": float(v)}),
        )
    _seed_row(
        state,
        "weight_seed",
        "Weight seed",
        "New weights",
        "Draw new initial weights (next weight seed) and start again at epoch 0.",
        lambda: new_weights(state),
    )


def _seed_row(state: PlaygroundState, field: str, label: str, button: str, button_help: str, on_next) -> None:
    """A seed box and a button that moves to the next seed, side by side (the pair is hidden by ``field``)."""
    if not state.shows(field):
        return
    # At [3, 2] the sidebar cut "New weights" to "New wei…"; at [1, 1] the seed box lost its − / + steppers.
    # [5, 4] and a narrower button padding (style.css, .st-key-next_weight_seed) fit both.
    left, right = st.columns([5, 4], gap="small", vertical_alignment="bottom")
    key = f"w_{field}"
    bind(key, getattr(state.config, field))
    left.number_input(label, 0, MAX_SEED, step=1, **_callback(state, key, lambda v: {field: int(v)}))
    right.button(button, on_click=on_next, help=button_help, width="stretch", key=f"next_{field}")


def training_controls(state: PlaygroundState) -> None:
    c = state.config
    if _section_shown(state, "training"):
        st.header(f"Training{_run_suffix(state)}")
    bind("w_optimizer", c.optimizer)
    if state.shows("optimizer"):
        st.selectbox(
            "Optimiser",
            list(OPTIMIZERS),
            format_func=lambda name: OPTIMIZERS[name].label,
            **_callback(state, "w_optimizer", lambda v: {"optimizer": v}),
        )
    bind("w_learning_rate", c.learning_rate)
    if state.shows("learning_rate"):
        st.select_slider(
            "Learning rate (log scale)",
            _with_current(LEARNING_RATES, c.learning_rate),
            format_func=_format_number,
            help="Changing it keeps the current weights: training continues with the new rate.",
            **_callback(state, "w_learning_rate", lambda v: {"learning_rate": float(v)}),
        )
    n_train = c.n_train
    # Batch norm needs two examples per batch (TrainingConfig refuses fewer): the slider starts at 2.
    smallest = BATCH_NORM_MIN_BATCH if c.normalization == "batch" else 1
    bind("w_batch", max(min(c.batch_size, n_train), min(smallest, n_train)))
    if state.shows("batch_size") and n_train <= smallest:  # your own data can have one training point: no range
        text = f"Batch size: {n_train} ({'the only training point' if n_train == 1 else 'all training points'})."
        if c.normalization == "batch" and n_train == 1:
            text += " Batch norm needs at least 2: with one example, each normalised neuron outputs its β."
        st.caption(text)
    elif state.shows("batch_size"):
        st.slider(
            "Batch size",
            smallest,
            n_train,
            help=f"Points per weight update. {n_train} (all training points) is full-batch gradient descent."
            + (" Batch norm needs at least 2 (one example has no spread to standardise)." if smallest > 1 else ""),
            **_callback(state, "w_batch", lambda v: {"batch_size": int(v)}),
        )
    bind("w_regularization", c.regularization)
    if state.shows("regularization"):
        st.selectbox(
            "Regularisation",
            list(REGULARIZERS),
            format_func=lambda name: REGULARIZERS[name].label,
            **_callback(state, "w_regularization", lambda v: {"regularization": v}),
        )
    if c.regularization != "none" and state.shows("regularization_rate"):
        bind("w_regularization_rate", c.regularization_rate)
        st.select_slider(
            "Regularisation rate",
            _with_current(REGULARIZATION_RATES, c.regularization_rate),
            format_func=_format_number,
            **_callback(state, "w_regularization_rate", lambda v: {"regularization_rate": float(v)}),
        )
    bind("w_dropout", c.dropout)
    if state.shows("dropout"):
        st.select_slider(
            "Dropout (share of hidden outputs)",
            _with_current(DROPOUTS, c.dropout),
            format_func=_format_or_off,
            help=DROPOUT_HELP,
            **_callback(state, "w_dropout", lambda v: {"dropout": float(v)}),
        )
    bind("w_gradient_clip", c.gradient_clip)
    if state.shows("gradient_clip"):
        st.select_slider(
            "Gradient clipping (max global norm)",
            _with_current(GRADIENT_CLIPS, c.gradient_clip),
            format_func=_format_or_off,
            help=GRADIENT_CLIP_HELP,
            **_callback(state, "w_gradient_clip", lambda v: {"gradient_clip": float(v)}),
        )
    bind("w_early_stopping", c.early_stopping)
    if state.shows("early_stopping"):
        st.select_slider(
            "Early stopping (patience, epochs)",
            sorted(set(PATIENCES) | {c.early_stopping}),
            format_func=_format_or_off,
            help=EARLY_STOPPING_HELP,
            **_callback(state, "w_early_stopping", lambda v: {"early_stopping": int(v)}),
        )
    if state.shows("lr_schedule"):
        _schedule_controls(state)


def _schedule_controls(state: PlaygroundState) -> None:
    """The learning-rate schedule and, when it is not constant, its own settings."""
    c = state.config
    bind("w_lr_schedule", c.lr_schedule)
    st.selectbox(
        "Learning-rate schedule",
        list(SCHEDULE_LABELS),
        format_func=SCHEDULE_LABELS.get,
        help=SCHEDULE_HELP,
        **_callback(state, "w_lr_schedule", lambda v: {"lr_schedule": v}),
    )
    if c.lr_schedule == "constant":
        return
    if c.lr_schedule == "warmup":
        bind("w_lr_warmup_epochs", c.lr_warmup_epochs)
        st.select_slider(
            "Warm-up epochs",
            sorted(set(WARMUP_EPOCHS) | {c.lr_warmup_epochs}),
            help="The rate climbs in a straight line from learning rate / warm-up epochs to the learning rate.",
            **_callback(state, "w_lr_warmup_epochs", lambda v: {"lr_warmup_epochs": int(v)}),
        )
    bind("w_lr_decay_epochs", c.lr_decay_epochs)
    st.select_slider(
        "Drop every (epochs)" if c.lr_schedule == "step" else "Decay over (epochs)",
        sorted(set(DECAY_EPOCHS) | {c.lr_decay_epochs}),
        **_callback(state, "w_lr_decay_epochs", lambda v: {"lr_decay_epochs": int(v)}),
    )
    if c.lr_schedule == "step":
        bind("w_lr_step_factor", c.lr_step_factor)
        st.select_slider(
            "Multiply the rate at each drop by",
            _with_current(STEP_FACTORS, c.lr_step_factor),
            format_func=_format_number,
            **_callback(state, "w_lr_step_factor", lambda v: {"lr_step_factor": float(v)}),
        )


# ---- playback (the transitions are in session.py) ------------------------------------------------
# The keyboard shortcuts (assets/live/keyboard.js clicks these buttons); ignored while typing in a field.
KEYBOARD_HELP = "Keys: **Space** plays and pauses, **→** steps one epoch, **R** resets (not while typing in a field)."


def playback_bar(state: PlaygroundState) -> None:
    """Play/Pause, Step, Step ×N, Reset and the speed, in one row; each can be hidden by a link."""
    columns = st.columns([1.2, 1, 1.3, 1, 1, 1.5], vertical_alignment="bottom")
    if state.shows("play"):
        columns[0].button(
            "Pause" if state.playing else "Play",
            on_click=set_playing,
            args=(state, not state.playing),
            type="primary",
            key="play_pause",
            width="stretch",
            help="Train continuously; the charts update as it learns, as many epochs between two redraws as "
            "the speed menu (right) says ('max speed': as many as fit in a frame). " + KEYBOARD_HELP,
        )
    if state.shows("step"):
        columns[1].button(
            "Step", on_click=step, args=(state, 1), key="step_one", width="stretch", help="Train one epoch (key: →)."
        )
    bind("w_step_count", state.step_count)

    def step_count_changed() -> None:
        state.step_count = int(st.session_state["w_step_count"])

    if state.shows("step_n"):
        # Labels collapsed (the button beside names the number; the speed's options say their unit): the
        # bar is one control high, so on a 1280x720 projector the charts below stay on the first screen.
        columns[2].number_input(
            "Epochs for Step ×N",
            1,
            MAX_STEP_COUNT,
            key="w_step_count",
            on_change=step_count_changed,
            label_visibility="collapsed",
        )
        columns[3].button(
            f"Step ×{state.step_count}",
            on_click=lambda: step(state, state.step_count),
            key="step_n",
            width="stretch",
            help="Train this many epochs at once (the number beside sets it).",
        )
    if state.shows("reset"):
        columns[4].button(
            "Reset",
            on_click=reset,
            args=(state,),
            key="reset",
            width="stretch",
            help="Back to epoch 0 with the same initial weights and data: the run replays exactly (key: R).",
        )
    # The speed is only ever set by this widget, so the widget is the source of truth: it is seeded from
    # the state once and read back on every run (widgets.keep). (Writing state.speed into it on every run, as
    # the other controls write theirs, let a run that started just before a change put the old speed back.)
    if not state.shows("speed"):
        return
    keep("w_speed", state.speed, SPEED_CHOICES)
    state.speed = columns[5].selectbox(
        "Speed (epochs/frame)",
        SPEED_CHOICES,
        format_func=speed_label,
        label_visibility="collapsed",
        key="w_speed",
        on_change=lambda: setattr(state, "speed", st.session_state["w_speed"]),
        help="How many epochs are trained between two redraws while playing. 'max' trains as many as fit "
        "in a frame (about 10 frames per second).",
    )


def _section_shown(state: PlaygroundState, group: str) -> bool:
    """A section's heading is drawn while any of its controls is (see playground.links.hiding.GROUPS)."""
    return any(state.shows(name) for name in GROUPS[group])


def hidden_controls_note(state: PlaygroundState) -> None:
    """A discreet line at the top of the sidebar: how many controls the link hides, and a way to show them."""
    count = len(expand(state.hidden_controls))
    if not count:
        return
    text, button = st.columns([3, 1.4], vertical_alignment="center", gap="small")
    source = "lesson" if state.lesson else "link"  # a lesson picked in the page hides its controls too
    text.caption(f"{count} control{'s are' if count != 1 else ' is'} hidden by this {source}")
    button.button(
        "Show all",
        on_click=show_all_controls,
        args=(state,),
        key="show_all_controls",
        type="tertiary",
        help="Show every control again (the lesson or link had hidden the ones beside its point).",
    )


def sidebar(state: PlaygroundState) -> None:
    with st.sidebar:
        hidden_controls_note(state)
        compare_controls(state)
        data_controls(state)
        network_controls(state)
        training_controls(state)
        st.caption(KEYBOARD_HELP)
