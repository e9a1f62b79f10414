"""Which controls a link can hide (``?hide=dataset,optimizer,learning_rate``), as data: names, groups, parsing.

A teacher shares a focused setup, as the TensorFlow Playground's tutorials do: the controls named in
the link's ``hide`` parameter are not drawn, and a student can show them all again. Each control has one
stable name (a setting's name where the control edits one, as in the rest of the URL); a group name
(``data``, ``network``, ``training``, ``playback``) hides every control of its section, and ``deep`` hides
the cures for deep networks (skip connections, normalisation, dropout, gradient clipping) in both sections.
The lessons name what they hide (``playground.teaching.lessons``). Pure Python: the UI draws, this only
names and parses.
"""

from __future__ import annotations

from playground.training.config import MAX_QUERY_CHARS, quoted

HIDE_PARAMETER = "hide"

# name -> what it hides (the README's table lists the same). Order: as on the page; the URL keeps it.
CONTROLS: dict[str, str] = {
    # the sidebar
    "compare": "the Compare two runs toggle",
    "edit_run": "compare mode's choice of the run the sidebar edits (A or B)",
    "dataset": "the Dataset picker",
    "n_classes": "Number of classes (spiral, blobs)",
    "n_points": "Number of points",
    "noise": "Noise",
    "train_fraction": "Training data (%)",
    "train_size": "Training images (MNIST)",
    "label_noise": "Label noise (training labels flipped)",
    "data_seed": "the data seed and New data",
    "show_test": "Show test data",
    "features": "Input features",
    "own_data": "your own data: what a click on the plane does (add, erase points) and the CSV upload/download",
    "hidden_layers": "the hidden layers (＋/－) and their neurons",
    "activations": "the activation(s), and A different activation per layer",
    "residual": "Skip connections",
    "normalization": "Normalisation (none, batch norm, layer norm)",
    "initializer": "Weight initialisation",
    "init_sigma": "σ of the initial weights",
    "weight_seed": "the weight seed and New weights",
    "optimizer": "Optimiser",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "regularization": "Regularisation",
    "regularization_rate": "Regularisation rate",
    "dropout": "Dropout",
    "gradient_clip": "Gradient clipping",
    "early_stopping": "Early stopping",
    "lr_schedule": "the learning-rate schedule and its settings",
    # the main area
    "lessons": "the guided-lesson picker",
    "play": "Play / Pause",
    "step": "Step",
    "step_n": "Step ×N and its number of epochs",
    "reset": "Reset",
    "speed": "Speed",
    "replay": "the replay slider",
    "diagram": "the network diagram (the live picture of the network)",
    "walkthrough": "Backprop, step by step (one example through the chain rule)",
    "pad": "the drawing pad (draw a digit; one backprop step on it)",
    "lens": "the gradient-flow lens below the charts",
    "landscape": "the loss landscape (the training loss around the weights, with the run's path)",
    "sweep": "the learning-rate sweep",
    "export": "History table, export and import",
}

# A group hides every control of a section; "deep" hides the deep-network controls of two sections. A control
# may be in several groups: the sections' headings are drawn while any of their group's controls is.
GROUPS: dict[str, tuple[str, ...]] = {
    "data": (
        "dataset",
        "n_classes",
        "n_points",
        "noise",
        "train_fraction",
        "train_size",
        "label_noise",
        "data_seed",
        "own_data",
        "show_test",
        "features",
    ),
    "network": (
        "hidden_layers",
        "activations",
        "residual",
        "normalization",
        "initializer",
        "init_sigma",
        "weight_seed",
    ),
    "training": (
        "optimizer",
        "learning_rate",
        "batch_size",
        "regularization",
        "regularization_rate",
        "dropout",
        "gradient_clip",
        "early_stopping",
        "lr_schedule",
    ),
    "playback": ("play", "step", "step_n", "reset", "speed", "replay"),
    "deep": ("residual", "normalization", "dropout", "gradient_clip"),
}
NAMES: tuple[str, ...] = (*GROUPS, *CONTROLS)  # every name a link may use, in the order the URL writes them
MAX_QUOTED_UNKNOWN = 3  # a message names at most this many of the unknown names


def expand(hidden: frozenset[str] | set[str]) -> frozenset[str]:
    """The controls ``hidden`` hides: its control names and every member of its groups."""
    return frozenset(member for name in hidden for member in (GROUPS.get(name, (name,))) if member in CONTROLS)


def is_hidden(hidden: frozenset[str], control: str) -> bool:
    """Whether the control named ``control`` is hidden by ``hidden`` (by its name or by its group's)."""
    return control in hidden or any(control in GROUPS[group] for group in hidden if group in GROUPS)


def hide_value(hidden: frozenset[str] | set[str]) -> str:
    """The ``hide`` parameter for ``hidden`` (known names only, in NAMES order); "" for nothing hidden."""
    return ",".join(name for name in NAMES if name in hidden)


def parse_hide(query: dict[str, str | list[str]]) -> tuple[frozenset[str], list[str]]:
    """The names a URL's ``hide`` parameter hides, plus a message when some were not known.

    Accepts ``hide=a,b`` and repeated ``hide=a&hide=b``; names are trimmed and case-insensitive. Never
    raises; an unknown name is skipped and named (quoted, cut short) in one message. A query longer
    than MAX_QUERY_CHARS is ignored whole (``config.from_query`` says so): nothing is hidden.
    """
    raw = query.get(HIDE_PARAMETER)
    if raw is None:
        return frozenset(), []
    length = sum(len(str(name)) + len(str(value)) for name, value in query.items())
    if length > MAX_QUERY_CHARS:
        return frozenset(), []
    values = raw if isinstance(raw, list) else [raw]
    wanted = [part.strip().lower() for value in values for part in str(value).split(",")]
    wanted = [name for name in wanted if name]
    known = frozenset(name for name in wanted if name in NAMES)
    unknown = list(dict.fromkeys(name for name in wanted if name not in NAMES))
    problems = []
    if unknown:
        shown = ", ".join(quoted(name) for name in unknown[:MAX_QUOTED_UNKNOWN])
        more = f" and {len(unknown) - MAX_QUOTED_UNKNOWN:,} more" if len(unknown) > MAX_QUOTED_UNKNOWN else ""
        problems.append(
            f"Ignored hide={shown}{more} from the URL: no control has that name. The names a link can hide "
            f"are {', '.join(GROUPS)} (whole sections) and each control's own, listed in the README."
        )
    return known, problems
