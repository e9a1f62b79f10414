"""The network diagram on the page: a live element (``@streamed``) drawn on a canvas by
assets/network_diagram.js, and the weight edits a click on it sends back.

Python computes the picture (playground/teaching/diagram.py) and packs its arrays as base64 bytes: a
12 x 64 network's frame is about 60 KB, a default one about 2 KB, a [64] network on MNIST about 8 KB
(its first layer's 28x28 weight pictures sent as 14x14: ``payload_picture``). The browser redraws the canvas
whole from each payload; nothing is remounted while playing.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import streamlit as st

from playground.data.datasets import DOMAIN_HALF_WIDTH, FEATURES
from playground.engine.activations import ACTIVATIONS
from playground.engine.network import Network
from playground.teaching import diagram
from playground.training.trainer import RECORD_POINTS, Trainer
from playground.ui import session, walkthrough_panel
from playground.ui.charts import shown_epoch
from playground.ui.live import element_trigger_value, live_element, on_element_event, streamed
from playground.ui.state import PlaygroundState
from playground.ui.widgets import bind, choice_switch

THUMBNAIL_POINTS = diagram.thumbnail_grid(DOMAIN_HALF_WIDTH)
COLOURINGS = {"weights": "Weights and outputs", "gradients": "Gradients (log scale)"}
DIAGRAM_CAPTIONS = {
    "weights": (
        "**What you see:** each square is one unit (neuron), drawn as its output over the whole input square "
        "(orange = −1, white = 0, blue = +1; hover for its scale). Lines are weights: **blue positive, "
        "vermillion negative, thicker = larger |w|**. Hover a line for its value and gradient; click it (or a "
        "unit, for its bias) to set it: the run continues from your weights, and Reset restores the initial ones."
    ),
    "gradients": (
        "**What you see:** the same network coloured by how hard backprop pushes it, on a **log scale** (dark = "
        "tiny, yellow = large): lines by |∂L/∂w| of each weight, units by the error signal mean |n·δ| that "
        "reaches them. In a network whose gradients vanish, the columns near the input turn dark while those "
        "near the output stay bright. The scale is **fixed, 10⁻⁸ to 1**, the same for every run and network, so "
        "one colour is one size everywhere; smaller values get the darkest colour, larger (exploding) the "
        "brightest, and hovering gives the exact value."
    ),
}
LEGEND_NOTES = {
    "points": "line width = |w| · unit pictures: the unit's output over the input square (orange −1, white 0, blue +1)",
    "image": "line width = |w| · layer 1 pictures: each unit's {pixels} incoming weights as the {side}×{side} image",
}
# The marks of the new layer kinds, one short legend line each (drawn with their mark: an arc, a "BN" badge,
# a dashed unit outline). What the arc's colour means depends on the colouring.
SKIP_LEGEND = {
    "weights": "skip: output = input + layer",
    "gradients": "skip: output = input + layer; colour: the error signal mean |n·∂L/∂y| it passes down",
}
NORM_BADGES = {"batch": "BN", "layer": "LN"}
NORM_LEGEND = {
    "batch": "batch norm in every hidden layer, before its activation (pictures: running averages)",
    "layer": "layer norm in every hidden layer, before its activation",
}
DROPOUT_LEGEND = "dropout: {share} of the outputs zeroed in each training step (none in the pictures)"
WIDE_NOTE = (
    " Layers wider than {n} units show their first {m}; the **+k** square stands for the rest (hover it for "
    "their error signal), and only the drawn units' lines are drawn."
)


# A unit is drawn at most 40 px wide (assets/network_diagram.js): a 28x28 weight picture there is about one
# screen pixel per weight, and 12 KB a frame for 15 units. Sent as 14x14 (2x2 means), a quarter of the bytes.
MAX_PAYLOAD_SIDE = 14


def image_side(picture: diagram.NetworkPicture) -> int:
    """Pixels per side of an image input (8 for the digits, 28 for MNIST); 0 for 2D points."""
    return math.isqrt(picture.sizes[0]) if picture.image_inputs else 0


def payload_side(side: int) -> int:
    """The side a picture of ``side`` pixels is sent at: itself up to MAX_PAYLOAD_SIDE, else side / f for the
    smallest factor f of side that brings it within (28 -> 14)."""
    if side <= MAX_PAYLOAD_SIDE:
        return side
    return side // next(f for f in range(2, side + 1) if side % f == 0 and side // f <= MAX_PAYLOAD_SIDE)


def payload_picture(thumbnails: np.ndarray) -> np.ndarray:
    """Unit pictures (n, s, s) as the payload sends them, (n, p, p) with p = ``payload_side(s)``: each
    pixel the mean of an (s/p) x (s/p) block (MNIST's 28x28 weights: of 2 x 2)."""
    side = thumbnails.shape[1]
    small = payload_side(side)
    factor = side // small
    return thumbnails.reshape(-1, small, factor, small, factor).mean(axis=(2, 4))


def _b64(values: np.ndarray, dtype) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def unit_labels(trainer: Trainer, picture: diagram.NetworkPicture) -> list[list[str]]:
    """Each drawn unit's name, per unit layer: x₁ (features), h2.3 (hidden layer 2, unit 3), the outputs."""
    labels = []
    sizes = picture.sizes
    for k, shown in enumerate(picture.shown):
        if k == 0:
            if picture.image_inputs:
                labels.append([""])  # the node itself says 8×8 or 28×28
            else:
                labels.append([FEATURES[name][0] for name in trainer.config.features])
        elif k == len(sizes) - 1:
            problem = trainer.problem
            if problem == "binary":
                labels.append(["P(blue)"])
            elif problem == "multiclass":
                labels.append([f"P(class {i})" for i in range(shown)])
            else:
                labels.append(["ŷ (value)"])
        else:
            labels.append([f"h{k}.{i + 1}" for i in range(shown)])
    return labels


def column_titles(trainer: Trainer, picture: diagram.NetworkPicture) -> list[tuple[str, str]]:
    """(heading, second line) per column: 'Layer 2', '16 tanh'."""
    c = trainer.config
    titles = []
    last = len(picture.sizes) - 1
    for k, width in enumerate(picture.sizes):
        if k == 0:
            titles.append(
                ("Input", f"{width} pixels" if picture.image_inputs else f"{width} feature{'s' if width > 1 else ''}")
            )
        elif k == last:
            output = trainer.network.head.output
            titles.append(("Output", f"{width} {output}"))
        else:
            titles.append((f"Layer {k}", f"{width} {ACTIVATIONS[c.activations[k - 1]].label}"))
    return titles


def short_titles(picture: diagram.NetworkPicture) -> list[tuple[str, str]]:
    """The headings for narrow columns (a deep network, or half a page in compare mode): ('L2', '16'),
    with 'In' and 'Out'; the canvas uses them when the full ones would touch (see ``layer_summary``)."""
    last, side = len(picture.sizes) - 1, image_side(picture)
    return [
        ("In" if k == 0 else "Out" if k == last else f"L{k}", f"{side}×{side}" if k == 0 and side else str(width))
        for k, width in enumerate(picture.sizes)
    ]


def column_badges(picture: diagram.NetworkPicture) -> list[str]:
    """The normalisation's badge under each column heading: 'BN' or 'LN' on every hidden layer, '' elsewhere."""
    badge = NORM_BADGES.get(picture.normalization, "")
    last = len(picture.sizes) - 1
    return [badge if 0 < k < last else "" for k in range(len(picture.sizes))]


def marks_legend(picture: diagram.NetworkPicture | Network, colouring: str) -> list[dict]:
    """The legend's line for the layer kinds this network has: [{mark, text, badge?}], mark 'arc' (a skip
    connection), 'badge' (normalisation) or 'dashed' (dropout); empty for a plain network. Reads the
    picture's (or the network's) skips, normalization and dropout."""
    items = []
    if any(picture.skips):
        items.append({"mark": "arc", "text": SKIP_LEGEND[colouring]})
    if picture.normalization in NORM_BADGES:
        badge = NORM_BADGES[picture.normalization]
        items.append({"mark": "badge", "badge": badge, "text": NORM_LEGEND[picture.normalization]})
    if picture.dropout > 0:
        items.append({"mark": "dashed", "text": DROPOUT_LEGEND.format(share=f"{picture.dropout:.0%}")})
    return items


def layer_summary(trainer: Trainer) -> str:
    """What the short headings leave out, in one line: 'L1–L16: 8 Sigmoid units each' or 'L1–L2: 16 tanh ·
    L3: 8 ReLU' (runs of equal hidden layers); empty without hidden layers."""
    c = trainer.config
    layers = [(width, ACTIVATIONS[name].label) for width, name in zip(c.hidden_layers, c.activations)]
    groups: list[list] = []
    for k, layer in enumerate(layers, start=1):
        if groups and groups[-1][2] == layer:
            groups[-1][1] = k
        else:
            groups.append([k, k, layer])
    parts = []
    for first, last, (width, label) in groups:
        span = f"L{first}" if first == last else f"L{first}–L{last}"
        parts.append(f"{span}: {width} {label}" + (" units each" if len(groups) == 1 and last > first else ""))
    return " · ".join(parts)


# Pixels for the headings, and for the legend, which wraps onto more lines at half a page's width (compare
# mode): the canvas gives the units whatever the legend leaves (assets/network_diagram.js). The badge row
# and the band the skip arcs rise into sit between the headings and the units (BADGE_ROW and ARC_BAND
# there), and the marks' legend items take more lines (``MARKS_LEGEND_LINES``).
HEADINGS_HEIGHT = 44
LEGEND_HEIGHT = {False: 96, True: 130}
BADGE_ROW_HEIGHT = 20
ARC_BAND_HEIGHT = 24
LEGEND_LINE = 19  # as assets/network_diagram.js
# Legend lines per mark's item: items share lines at full width; at half width each wraps onto about two.
MARKS_LEGEND_LINES = {False: 0.7, True: 1.7}


def diagram_height(picture: diagram.NetworkPicture, half_width: bool = False, reserve: dict | None = None) -> int:
    """Pixels: room for the tallest column (its units and a '+k' node), the headings, the badges and the
    skip arcs when there are any, and the legend. ``reserve`` (``shared_reserve``; in compare mode over
    both runs) makes room for the marks the other run has too, so that the two diagrams' rows line up."""
    rows = max(shown + (1 if size > shown else 0) for shown, size in zip(picture.shown[1:], picture.sizes[1:]))
    rows = max(rows, picture.shown[0] + (0 if picture.image_inputs or picture.sizes[0] == picture.shown[0] else 1))
    per_row = 46 if rows <= 6 else 36 if rows <= 10 else 30
    reserve = reserve or shared_reserve([picture], "weights")
    marks = (
        (BADGE_ROW_HEIGHT if reserve["badge_row"] else 0)
        + (ARC_BAND_HEIGHT if reserve["arc_band"] else 0)
        + LEGEND_LINE * math.ceil(MARKS_LEGEND_LINES[half_width] * len(reserve["marks"]))
    )
    return HEADINGS_HEIGHT + rows * per_row + LEGEND_HEIGHT[half_width] + marks


def shared_reserve(designs: list, colouring: str) -> dict:
    """The room for marks that the diagrams shown side by side need, each reserving it all:
    {badge_row, arc_band: bool, marks: the legend items of every run (``marks_legend``, each once)}.
    ``designs``: networks or pictures (anything with skips, normalization and dropout)."""
    marks: list[dict] = []
    for design in designs:
        marks += [item for item in marks_legend(design, colouring) if item not in marks]
    return {
        "badge_row": any(design.normalization in NORM_BADGES for design in designs),
        "arc_band": any(any(design.skips) for design in designs),
        "marks": marks,
    }


def picture_of(state: PlaygroundState, trainer: Trainer) -> diagram.NetworkPicture:
    """The diagram of the run at the shown epoch, gradients measured on the record sample."""
    _, network = trainer.network_at(state.replay_epoch)
    grid = None if trainer.inputs == "image" else trainer.features(THUMBNAIL_POINTS)
    n = min(RECORD_POINTS, trainer.y_train.shape[0])
    return diagram.network_picture(network, grid, trainer.X_train[:n], trainer.y_train[:n])


def _per_unit(picture: diagram.NetworkPicture, values: list[np.ndarray]) -> np.ndarray:
    """Per drawn unit of layers 1..L, in the order of the payload's biases: ``values[k]``, NaN where a
    layer has none (the outputs; every layer without normalisation)."""
    return np.concatenate(
        [v if v.size == shown else np.full(shown, np.nan) for v, shown in zip(values[1:], picture.shown[1:])]
    )


def diagram_payload(state: PlaygroundState, trainer: Trainer, walkthrough: dict | None = None) -> dict:
    """The canvas's payload (see the header of assets/network_diagram.js)."""
    picture = picture_of(state, trainer)
    pictures = [None if t is None else payload_picture(t) for t in picture.thumbnails]
    thumbs = [t for t in pictures if t is not None]
    thumb_bytes = np.concatenate([np.rint((t.reshape(-1) + 1.0) * 127.5) for t in thumbs]) if thumbs else np.zeros(0)
    editable = state.replay_epoch is None and not trainer.diverged
    runs = [t for _, t in state.runs] if state.comparing else [trainer]
    reserve = shared_reserve([t.network for t in runs], state.diagram_colouring)
    payload = {
        "colouring": state.diagram_colouring,
        "sizes": picture.sizes,
        "shown": picture.shown,
        "labels": unit_labels(trainer, picture),
        "titles": column_titles(trainer, picture),
        "short_titles": short_titles(picture),
        "layer_summary": layer_summary(trainer),
        "gradient_range": list(diagram.GRADIENT_LOG_RANGE),  # log10: one fixed scale for every run
        "thumb_side": diagram.THUMBNAIL_SIDE,
        "thumb_sides": [0 if t is None else int(t.shape[1]) for t in pictures],
        # Input-square pictures are stored bottom row first (x₂ grows upwards); weight images top row first.
        "thumb_flip": [bool(t is not None and not (picture.image_inputs and k == 1)) for k, t in enumerate(pictures)],
        "thumb_scales": [np.round(s, 4).tolist() for s in picture.thumb_scale],
        "thumbs": _b64(thumb_bytes, np.uint8),
        "weights": _b64(np.concatenate([w.ravel() for w in picture.weights]), np.float32),
        "grads": _b64(np.concatenate([g.ravel() for g in picture.gradients]), np.float32),
        "biases": _b64(np.concatenate(picture.biases[1:]), np.float32),
        "errors": _b64(np.concatenate(picture.unit_error[1:]), np.float32),
        "hidden_error": [None if not np.isfinite(v) else round(v, 8) for v in picture.hidden_error],
        "edges_drawn": picture.edges_drawn,
        # A "+k" node stands for the units not drawn (not for the pixels: the image input is one node).
        "aggregate": [
            size > shown and not (picture.image_inputs and k == 0)
            for k, (size, shown) in enumerate(zip(picture.sizes, picture.shown))
        ],
        "legend_note": LEGEND_NOTES["image" if picture.image_inputs else "points"].format(
            pixels=picture.sizes[0], side=image_side(picture)
        ),
        "image_side": image_side(picture),  # the input node's label (side×side); 0 for points
        "gradient_norms": [float(f"{v:.4g}") if np.isfinite(v) else None for v in picture.gradient_norms],
        # The new layer kinds: skip arcs (per hidden layer, and the error signal each passes down), the
        # normalisation's badges and gamma, beta per unit (NaN for the outputs), dropout's share.
        "skips": picture.skips,
        "skip_signal": [
            float(f"{v:.6g}") if skip and np.isfinite(v) else None
            for skip, v in zip(picture.skips, picture.output_signal)
        ],
        "badges": column_badges(picture),
        "normalization": picture.normalization,
        "gammas": _b64(_per_unit(picture, picture.gammas), np.float32),
        "betas": _b64(_per_unit(picture, picture.betas), np.float32),
        "dropout": picture.dropout,
        "marks_legend": marks_legend(picture, state.diagram_colouring),
        "editable": editable,
        "height": diagram_height(picture, state.comparing, reserve),
        "reserve": reserve,  # room for marks, kept in step with the other run's in compare mode
    }
    if walkthrough is not None:
        payload["walkthrough"] = walkthrough
    return payload


def walkthrough_overlay(state: PlaygroundState, trainer: Trainer) -> dict | None:
    """The walkthrough's current step on the diagram: numbers at the units, an edge layer coloured by its values."""
    step = walkthrough_panel.current_step(state)
    if step is None or state.playing or trainer is not state.trainer:  # it follows run A only
        return None
    picture_shown = [diagram.drawn_units(width) for width in trainer.network.layer_sizes]
    if trainer.inputs == "image":
        picture_shown[0] = 1
    overlay: dict = {"title": step.title, "highlight": step.highlight_layer}
    unit_values = {}
    for k, values in step.unit_values.items():
        values = np.asarray(values, dtype=float).ravel()
        if trainer.inputs == "image" and k == 0:
            continue  # the pixels are one node
        unit_values[str(k)] = [float(f"{v:.4g}") if np.isfinite(v) else None for v in values[: picture_shown[k]]]
    overlay["unit_values"] = unit_values
    overlay["unit_label"] = step.unit_label
    # The update step has numbers for every layer's edges; the others for one layer at most.
    by_layer = dict(step.edge_values_by_layer)
    if step.edge_values is not None:
        by_layer.setdefault(step.edge_values[0], step.edge_values[1])
    edges = {}
    for layer, values in by_layer.items():
        if trainer.inputs == "image" and layer == 0:
            continue  # the pixels' edges are not drawn
        values = np.asarray(values, dtype=float)[: picture_shown[layer], : picture_shown[layer + 1]]
        edges[str(layer)] = {"values": _b64(values.ravel(), np.float32), "scale": float(np.max(np.abs(values))) or 1.0}
    overlay["edges"] = edges
    overlay["edge_label"] = step.edge_label
    return overlay


@streamed
def network_diagram(state: PlaygroundState, key: str = "network", trainer: Trainer | None = None) -> dict:
    """The live network diagram of one run (run A unless given)."""
    trainer = trainer or state.trainer
    payload = diagram_payload(state, trainer, walkthrough_overlay(state, trainer))
    return live_element(state, key, "network", payload, shown_epoch(state, trainer), priority=4)


def _caption(trainer: Trainer, colouring: str) -> str:
    text = DIAGRAM_CAPTIONS[colouring]
    network = trainer.network
    if any(network.skips):
        text += (
            " An **arc** over two columns is a skip connection: that layer's output is its input plus what the "
            "layer computes, so the gradient passes down the arc undiminished"
            + (" (its colour: the error signal it carries)." if colouring == "gradients" else ".")
        )
    if network.normalization in NORM_BADGES:
        badge, kind = NORM_BADGES[network.normalization], network.normalization
        text += f" **{badge}** marks {kind} norm between a layer's weights and its activation."
    if network.dropout > 0:
        text += f" **Dashed** units drop {network.dropout:.0%} of their outputs in each training step."
    if max(trainer.network.layer_sizes) > diagram.MAX_DRAWN_UNITS:
        text += WIDE_NOTE.format(n=diagram.MAX_DRAWN_UNITS, m=diagram.MAX_DRAWN_UNITS - 1)
    if trainer.inputs == "image":
        side = trainer.image_side
        text += (
            f" With digit images the {side * side} pixels are one input node, and each first-layer unit is drawn "
            f"as its {side * side} incoming weights laid out as the {side}×{side} image"
            + (
                f" (drawn {drawn}×{drawn}, each square the mean of {side // drawn}×{side // drawn} weights)."
                if (drawn := payload_side(side)) < side
                else "."
            )
        )
    return text


def diagram_section(state: PlaygroundState) -> None:
    """The section: heading, the colouring switch, the diagram (one per run in compare mode), the caption.

    It can be switched off (a slow laptop, or a lesson about something else): it then costs nothing per frame.
    """
    # The switch gets the room to write both choices whole at 1280 px ("Gradients (log scale)" was cut).
    heading, switch, shown = st.columns([2, 3.2, 0.8], vertical_alignment="bottom")
    heading.markdown("#### The network, live")
    bind("w_show_diagram", state.show_diagram)
    shown.toggle(
        "Show",
        key="w_show_diagram",
        on_change=lambda: session.set_show_diagram(state, st.session_state["w_show_diagram"]),
        help="Draw the network diagram (it redraws with every frame while playing).",
    )
    if not state.show_diagram:
        return
    choice_switch(
        switch,
        "Colour the network by",
        COLOURINGS,
        "w_diagram_colouring",
        state.diagram_colouring,
        lambda colouring: session.set_diagram_colouring(state, colouring),
        label_visibility="collapsed",
    )
    if state.comparing:
        columns = st.columns(2, gap="medium")
        for column, (name, trainer) in zip(columns, state.runs):
            with column:
                st.markdown(f"**Run {name}**")
                network_diagram(state, f"network_{name}", trainer)
    else:
        network_diagram(state)
    st.markdown(_caption(state.trainer, state.diagram_colouring))


def edit_from_browser(state: PlaygroundState, key: str) -> None:
    """The canvas sent a weight edit (the ``edit_weight`` trigger of element ``key``)."""
    raw = element_trigger_value(key, "edit_weight")
    if raw is None:
        return
    run = key.rsplit("_", 1)[-1] if key.startswith("network_") else "A"
    try:
        edit = json.loads(raw) if isinstance(raw, str) else dict(raw)
        layer, row, col = int(edit["layer"]), int(edit["row"]), int(edit["col"])
        value = float(edit["value"])
        kind = str(edit.get("kind", "weight"))
    except (ValueError, TypeError, KeyError):
        state.say("warning", "That weight edit could not be read; nothing was changed.")
        state.app_rerun_due = True
        return
    trainer = state.trainer_b if run == "B" and state.trainer_b is not None else state.trainer
    session.edit_parameter(state, run, kind, layer, row, col, value, parameter_name(trainer, kind, layer, row, col))
    state.app_rerun_due = True  # the trigger reruns the live fragment only; the message is drawn outside it


def unit_name(trainer: Trainer, k: int, i: int) -> str:
    """The diagram's name of unit i of unit layer k (0 = inputs): x₁, h2.3, the output."""
    sizes = trainer.network.layer_sizes
    if not (0 <= k < len(sizes) and 0 <= i < sizes[k]):
        return f"unit {i + 1} of layer {k}"
    if k == 0:
        return f"pixel {i + 1}" if trainer.inputs == "image" else FEATURES[trainer.config.features[i]][0]
    if k == len(sizes) - 1:
        return "the output" if sizes[k] == 1 else f"output {i}"
    return f"h{k}.{i + 1}"


def parameter_name(trainer: Trainer, kind: str, layer: int, row: int, col: int) -> str:
    """'the weight x₁ → h1.2' or 'the bias of h1.2' (``layer``: 0-based weight layer)."""
    if kind == "bias":
        return f"the bias of {unit_name(trainer, layer + 1, col)}"
    return f"the weight {unit_name(trainer, layer, row)} → {unit_name(trainer, layer + 1, col)}"


on_element_event("edit_weight", edit_from_browser)
