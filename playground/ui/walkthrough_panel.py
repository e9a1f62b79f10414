"""Backprop, step by step: one training example through the chain rule, with the engine's numbers.

Drawn outside the live fragment (``playground.ui._draw_page``), while paused. The numbers come from
``playground.teaching.walkthrough`` (read from the engine's layers on each run: one pass of one example),
the words and formulas from ``playground.teaching.walkthrough_steps``, the state changes from the
transitions in session.py (open, random point, Next / Back, close, apply the update). A network with skip
connections, normalisation, dropout or clipping gets a line saying what this one-example step uses.
It follows run A, in compare mode too. ``current_step(state)`` gives the network diagram the step on
screen.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from playground.plots import images as image_plots
from playground.teaching.walkthrough import GIVEN, Step, Walkthrough, step_count, walkthrough
from playground.teaching.walkthrough_steps import design_note
from playground.ui import session
from playground.ui.state import PlaygroundState
from playground.ui.widgets import bind

TITLE = "Backprop, step by step: one example through the chain rule"
ANCHOR = "walkthrough"  # the panel heading's id: the toasts' "go to it" links scroll there (#walkthrough)
SIGNIFICANT = 4  # digits shown in the tables
TABLE_ROW_PX = 38  # st.dataframe's row height with the app's style, and a little room: no scrollbar for a few rows
# dL/db_l is delta_l itself: the backward tables leave it out (the formula says so) to keep the numbers readable.
SAME_AS_DELTA = ("grad_b",)
MATRIX_BESIDE_COLUMNS = 4  # a weight matrix this narrow sits beside the unit tables; wider ones go below
# ...and only when the row stays readable: at most this many columns in all (a batch-norm layer's table has 10)
ROW_COLUMNS = 12
MAX_TABLE_HEIGHT = 390  # taller tables scroll (wide layers: 64 units)
# Images of up to this many pixels (the 8x8 digits) list every pixel in the tables. Bigger ones (MNIST's 784,
# mostly blank paper) list the followed image's inked pixels, and in a gradient or update every row not all 0.
FULL_PIXEL_TABLES = 64
DIGIT_SCREEN_PIXELS = 96  # the followed image is drawn about this wide: 12 screen pixels per 8x8 pixel, 4 per 28x28
APPLY_LABEL = "Apply this update (one Step on this point)"


def significant(values: np.ndarray, digits: int = SIGNIFICANT) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (what the tables show); NaN and inf kept."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        magnitude = np.where(np.isfinite(values) & (values != 0), np.floor(np.log10(np.abs(values))), 0.0)
        scale = 10.0 ** (digits - 1 - magnitude)
        rounded = np.round(values * scale) / scale
    return np.where(np.isfinite(values), rounded, values)


def _format(value: float) -> str:
    return f"{value:.{SIGNIFICANT}g}"


def current_walkthrough(state: PlaygroundState) -> Walkthrough | None:
    """The walkthrough of run A's followed row at its current weights (None: closed, or playing)."""
    if state.playing:
        return None
    index = session.follow_walkthrough(state)
    if index is None:
        return None
    example = state.walkthrough_example if index == GIVEN else None
    return walkthrough(state.trainer, index, example=example)


def followed_point(state: PlaygroundState, trainer) -> tuple[float, float] | None:
    """The point (x1, x2) the walkthrough follows, to ring on ``trainer``'s plane: run A's chart only (the
    walkthrough follows run A), 2D data only; None when closed or the row no longer exists."""
    index = state.walkthrough_index
    if index is None or trainer is not state.trainer or trainer.inputs == "image":
        return None
    points = trainer.train_points
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(points):
        return None
    return float(points[index][0]), float(points[index][1])


def go_to_link(text: str = "go to it ↓") -> str:
    """A Markdown link that scrolls the page to the walkthrough panel."""
    return f"[{text}](#{ANCHOR})"


def current_step(state: PlaygroundState) -> Step | None:
    """The step on screen, for the network diagram (None when the walkthrough is closed or the run plays)."""
    shown = current_walkthrough(state)
    return None if shown is None else shown.steps[state.walkthrough_step]


# ---- tables ---------------------------------------------------------------------------------------


def unit_table(step: Step, shown: Walkthrough, unit_layer: int) -> pd.DataFrame | None:
    """The per-unit numbers of one unit layer in this step: a row per unit (labelled as the diagram
    labels it), a column per quantity, rounded to SIGNIFICANT digits."""
    skipped = SAME_AS_DELTA if step.kind == "backward" else ()
    # in the step's reading order (the order of ``numbers``)
    names = [name for name in step.numbers if step.unit_layer_of.get(name) == unit_layer and name not in skipped]
    if not names:
        return None
    frame = pd.DataFrame(
        {step.symbols[name]: significant(step.numbers[name]) for name in names},
        index=pd.Index(shown.labels[unit_layer], name="unit"),
    )
    return frame


def weight_table(step: Step, shown: Walkthrough, name: str) -> pd.DataFrame:
    """A (fan_in, fan_out) matrix: rows the units it comes from, columns the units it goes to."""
    layer = step.weight_layer_of[name]
    return pd.DataFrame(
        significant(step.numbers[name]),
        index=pd.Index(shown.labels[layer], name="from \\ to"),
        columns=shown.labels[layer + 1],
    )


def pixel_rows(state: PlaygroundState, shown: Walkthrough, unit_layer: int, values=None) -> np.ndarray | None:
    """Which rows of a table whose rows are unit layer ``unit_layer`` are listed: None for all (2D points,
    the 8x8 digits, any layer but the pixels). For a bigger image (MNIST) the followed image's inked pixels
    (n_pixels,) bool, and every other row of ``values`` (n_pixels, m) that is not all 0 (a gradient under L2,
    Adam's momentum), so that only rows of zeros are left out."""
    x = np.asarray(shown.inputs)
    if unit_layer != 0 or state.trainer.inputs != "image" or x.size <= FULL_PIXEL_TABLES:
        return None
    keep = x != 0
    if values is not None:
        keep = keep | np.any(np.asarray(values) != 0, axis=1)
    return keep


def _show_pixel_rows(
    state: PlaygroundState, shown: Walkthrough, frame: pd.DataFrame, unit_layer: int, key: str, values=None
) -> None:
    """``_show_table``, listing only the rows ``pixel_rows`` keeps, with a line saying what was left out.
    ``values``: the matrix shown (gradients, updates: rows of zeros left out); None: the inputs or W itself
    (the pixels without ink left out: they add nothing to this example's z₁)."""
    keep = pixel_rows(state, shown, unit_layer, values)
    if keep is not None and not keep.all():
        total, count = keep.size, int(keep.sum())
        if values is None:
            st.caption(
                f"The {count} inked pixels of {total}: the other pixels are 0 (paper), so their weights add "
                "nothing to this image's z₁."
            )
        else:
            st.caption(f"{count} of {total} pixel rows: the others are all 0 (a pixel without ink gets x·δ = 0).")
        frame = frame[keep]
    _show_table(frame, key)


def _show_table(frame: pd.DataFrame, key: str) -> None:
    height = min(MAX_TABLE_HEIGHT, TABLE_ROW_PX * (len(frame) + 1) + 4)
    st.dataframe(
        frame,
        key=key,
        height=height,
        column_config={column: st.column_config.NumberColumn(format="%.4g") for column in frame.columns},
    )


def _layer_name(shown: Walkthrough, unit_layer: int) -> str:
    last = len(shown.labels) - 1
    return "inputs" if unit_layer == 0 else "outputs" if unit_layer == last else f"hidden layer {unit_layer}"


def _short_layer_name(shown: Walkthrough, unit_layer: int) -> str:
    last = len(shown.labels) - 1
    return "inputs" if unit_layer == 0 else "outputs" if unit_layer == last else f"layer {unit_layer}"


def _scalars(step: Step) -> list[str]:
    return [
        f"{step.symbols[name]} = **{_format(float(value))}**"
        for name, value in step.numbers.items()
        if np.ndim(value) == 0
    ]


def _step_tables(state: PlaygroundState, step: Step, shown: Walkthrough) -> None:
    """The step's numbers: the per-unit tables of the layers it touches, then its main matrix."""
    if step.kind == "update":
        _update_tables(state, step, shown)
        return
    if step.kind == "inputs":
        _inputs_table(state, step, shown)
        return
    main_matrix = {"forward": "W", "backward": "grad_W"}.get(step.kind)
    unit_layers = sorted(set(step.unit_layer_of.values()), reverse=step.kind == "backward")
    # the layer the step is about first, then its inputs (and in a backward step the layer above)
    tables = [(layer, unit_table(step, shown, layer)) for layer in unit_layers]
    tables = [(layer, frame) for layer, frame in tables if frame is not None]
    # Each table gets room in proportion to its columns (the unit labels count as one and a bit). A wide
    # matrix (more than MATRIX_BESIDE_COLUMNS columns), or one beside a crowded row (more than ROW_COLUMNS in all:
    # normalisation adds six columns), gets a row of its own below, where it can scroll.
    widths = [1.3 + frame.shape[1] for _, frame in tables]
    matrix_columns = 0 if main_matrix is None else step.numbers[main_matrix].shape[1]
    matrix_beside = (
        main_matrix is not None
        and matrix_columns <= MATRIX_BESIDE_COLUMNS
        and sum(frame.shape[1] for _, frame in tables) + matrix_columns <= ROW_COLUMNS
    )
    if matrix_beside:
        widths.append(1.5 + step.numbers[main_matrix].shape[1])
    columns = st.columns(widths, gap="small")
    for column, (layer, frame) in zip(columns, tables):
        with column:
            st.markdown(f"**{_layer_name(shown, layer).capitalize()}**")
            _show_pixel_rows(state, shown, frame, layer, f"walk_units_{step.key}_{layer}")
    if main_matrix:
        with columns[-1] if matrix_beside else st.container():
            layer = step.weight_layer_of[main_matrix]
            st.markdown(
                f"**{step.symbols[main_matrix]}** · rows: {_short_layer_name(shown, layer)}, "
                f"columns: {_short_layer_name(shown, layer + 1)}"
            )
            # W itself: the rows of the pixels without ink; a gradient: its rows of zeros
            values = None if step.kind == "forward" else step.numbers[main_matrix]
            frame = weight_table(step, shown, main_matrix)
            _show_pixel_rows(state, shown, frame, layer, f"walk_matrix_{step.key}", values)
    if step.kind == "backward":
        layer = step.layer
        st.caption(f"∂L/∂b{_sub(layer)} = δ{_sub(layer)}: the bias gradients are the δ{_sub(layer)} column itself.")
    others = [name for name in step.weight_layer_of if name != main_matrix]
    if others:
        with st.expander("More numbers of this step: " + ", ".join(step.symbols[name] for name in others)):
            for name in others:
                st.markdown(f"**{step.symbols[name]}**")
                frame, layer = weight_table(step, shown, name), step.weight_layer_of[name]
                _show_pixel_rows(state, shown, frame, layer, f"walk_more_{step.key}_{name}", step.numbers[name])


def pixel_grid(pixels: np.ndarray) -> pd.DataFrame:
    """An image's inputs (side²,) as the side x side grid it is (rows and columns 1-based, as the px labels
    count): the 8x8 digits' table."""
    side = int(round(pixels.size**0.5))
    return pd.DataFrame(
        significant(pixels).reshape(side, side),
        index=pd.Index([f"row {r}" for r in range(1, side + 1)], name="pixel"),
        columns=[f"col {c}" for c in range(1, side + 1)],
    )


def _inputs_table(state: PlaygroundState, step: Step, shown: Walkthrough) -> None:
    pixels = np.asarray(step.numbers["x"])
    if state.trainer.inputs == "image" and pixels.size > FULL_PIXEL_TABLES:
        # 784 numbers do not fit a grid of cells: the image as a heat map (hover: a pixel's value), and the
        # inked pixels' numbers in a table
        picture, table, _ = st.columns([3, 2, 1], gap="medium")
        with picture:
            st.markdown(
                f"**Inputs**: the {pixels.size} pixel intensities x = a₀, laid out as the image (hover a pixel: "
                "px3,4 = row 3, col 4)"
            )
            st.plotly_chart(image_plots.pixel_map_figure(pixels), key="walk_pixel_map", config={"displaylogo": False})
        with table:
            st.markdown("**x = a₀**, pixel by pixel")
            _show_pixel_rows(state, shown, unit_table(step, shown, 0), 0, "walk_units_inputs_0")
        return
    narrow, _ = st.columns([3, 2] if state.trainer.inputs == "image" else [1, 2])
    with narrow:
        if state.trainer.inputs == "image":
            side = math.isqrt(pixels.size)
            st.markdown(
                f"**Inputs**: the {pixels.size} pixel intensities x = a₀, laid out as the {side}x{side} image "
                "(px3,4 = row 3, col 4)"
            )
            _show_table(pixel_grid(step.numbers["x"]), "walk_pixels")
        else:
            st.markdown("**Inputs**")
            _show_table(unit_table(step, shown, 0), "walk_units_inputs_0")


def _update_tables(state: PlaygroundState, step: Step, shown: Walkthrough) -> None:
    n_layers = len(shown.update_weights)
    summary = pd.DataFrame(
        {
            "‖ΔW‖": significant([np.linalg.norm(dW) for dW in shown.update_weights]),
            "‖W‖ (now)": significant([np.linalg.norm(step.numbers[f"W{l}"]) for l in range(1, n_layers + 1)]),
            "largest |ΔW|": significant([np.max(np.abs(dW)) for dW in shown.update_weights]),
        },
        index=pd.Index([f"layer {l}" for l in range(1, n_layers + 1)], name="weights"),
    )
    left, right = st.columns([1.3, 1.7], gap="small")
    with left:
        st.markdown("**Every layer moves at once**")
        _show_table(summary, "walk_update_summary")
        layer = st.selectbox(
            "Show the update of layer",
            list(range(1, n_layers + 1)),
            index=n_layers - 1,
            key="w_walk_update_layer",
            format_func=lambda l: f"layer {l} ({'output' if l == n_layers else 'hidden'})",
        )
        frame = unit_table(step, shown, layer)
        if frame is not None:
            _show_table(frame, f"walk_update_units_{layer}")
    with right:
        st.markdown(f"**ΔW{_sub(layer)}**: what each weight of layer {layer} changes by")
        name = f"update_W{layer}"
        frame = weight_table(step, shown, name)
        _show_pixel_rows(state, shown, frame, layer - 1, f"walk_update_matrix_{layer}", step.numbers[name])
        extra = [name for name in step.weight_layer_of if name.endswith(f"_W{layer}") and not name.startswith("update")]
        with st.expander("The gradient and the optimiser's state behind it"):
            for name in extra:
                st.markdown(f"**{step.symbols[name]}**")
                frame = weight_table(step, shown, name)
                _show_pixel_rows(state, shown, frame, layer - 1, f"walk_update_more_{name}", step.numbers[name])


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# ---- the panel ------------------------------------------------------------------------------------


def _describe_point(state: PlaygroundState, shown: Walkthrough) -> str:
    trainer = state.trainer
    problem = trainer.problem
    if problem == "regression":
        answer = f"target value {shown.label:.4g}"
    elif trainer.inputs == "image":
        names = {"digits_3v8": ["3", "8"]}.get(trainer.config.dataset)
        digit = names[int(shown.label)] if names else str(int(shown.label))
        answer = f"the digit {digit} (class {int(shown.label)})"
    else:
        answer = f"class {int(shown.label)}"
    side = trainer.image_side
    where = f"a {side}x{side} image" if side else f"the point ({shown.point[0]:.3g}, {shown.point[1]:.3g})"
    if shown.index == GIVEN:
        return f"**Your drawn digit**, labelled {answer}, at epoch {trainer.epoch:,}."
    return f"Training row **{shown.index}**: {where}, {answer}, at epoch {trainer.epoch:,}."


def _digit_image(pixels: np.ndarray) -> np.ndarray:
    """An image (side²,) in [0, 1] as dark ink on white, about DIGIT_SCREEN_PIXELS wide: each pixel a square of
    ceil(96 / side) screen pixels (12 for the 8x8 digits, 4 for MNIST): (96, 96) or (112, 112) uint8."""
    side = math.isqrt(pixels.size)
    scale = math.ceil(DIGIT_SCREEN_PIXELS / side)
    ink = np.clip(pixels.reshape(side, side), 0.0, 1.0)
    return np.kron((255 * (1.0 - ink)).astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))


def _picker(state: PlaygroundState) -> None:
    trainer = state.trainer
    n_train = trainer.y_train.shape[0]
    shown_row = None if state.walkthrough_index == GIVEN else state.walkthrough_index  # the drawn digit has no row
    bind("w_walk_row", shown_row)

    def picked() -> None:
        row = st.session_state.get("w_walk_row")
        if row is None:
            session.close_walkthrough(state)
        else:
            session.open_walkthrough(state, row)

    row_column, random_column, close_column = st.columns([2, 2, 1], vertical_alignment="bottom")
    row_column.number_input(
        f"Training row (0 to {n_train - 1})",
        min_value=0,
        max_value=n_train - 1,
        step=1,
        key="w_walk_row",
        on_change=picked,
        placeholder="type a row number",
        help="Which training example to follow. In inspect mode a click on a training point picks it too.",
    )
    random_column.button(
        "Pick a random training point",
        on_click=session.open_random_walkthrough,
        args=(state,),
        key="walk_random",
        width="stretch",
    )
    if state.walkthrough_index is not None:
        close_column.button(
            "Close", on_click=session.close_walkthrough, args=(state,), key="walk_close", width="stretch"
        )


def _navigation(state: PlaygroundState, shown: Walkthrough) -> None:
    step_index, count = state.walkthrough_step, len(shown.steps)
    step = shown.steps[step_index]
    back, counter, forward = st.columns([1, 4, 1], vertical_alignment="center")
    back.button(
        "◀ Back",
        on_click=session.move_walkthrough,
        args=(state, -1),
        key="walk_back",
        disabled=step_index == 0,
        width="stretch",
    )
    counter.markdown(
        f'<div class="bp-walk-counter" data-step="{step.key}" style="font-size: 1.3rem; text-align: center">'
        f"<b>Step {step_index + 1} of {count}:</b> {step.title[0].lower() + step.title[1:]}</div>",
        unsafe_allow_html=True,
    )
    forward.button(
        "Next ▶",
        on_click=session.move_walkthrough,
        args=(state, 1),
        key="walk_next",
        disabled=step_index == count - 1,
        width="stretch",
    )


def panel(state: PlaygroundState) -> None:
    """The walkthrough section: pick a point, then Back / Next through one training step on it."""
    st.subheader(TITLE, anchor=ANCHOR)
    if state.playing:
        st.caption("Press **Pause** to follow one example through a training step.")
        return
    try:
        shown = current_walkthrough(state)
    except Exception as error:  # never a traceback: say what happened and close
        session.close_walkthrough(state)
        st.warning(f"The walkthrough could not be computed ({type(error).__name__}: {error}); it was closed.")
        return
    message, state.walkthrough_message = state.walkthrough_message, None
    # (level, text) or (level, text, toast): the text in the panel (level None: none), the toast where the eye
    # is (a click on the plane, Apply: the panel may be screens away). Apply's "success" goes at the bottom of
    # the step's box, where its button was and the page still is (the box gets shorter: step 1 again).
    level, text, *toast = message if message is not None else (None, None)
    if toast and toast[0]:
        icon = ":material/arrow_downward:" if level is None else ":material/check_circle:"
        st.toast(toast[0], icon=icon, duration="long")
    if level and text and (level != "success" or shown is None):
        getattr(st, level)(text)
    _picker(state)
    if shown is None:
        st.caption(
            "Pick a training example (type its row or pick one at random"
            + (", or click a training point on the plane in inspect mode" if state.trainer.inputs != "image" else "")
            + "): the panel walks through one training step on it alone: the forward pass, the loss, the backward "
            "pass layer by layer by the chain rule, and the update, with the network's own numbers."
        )
        return
    notes = []
    if state.comparing:
        notes.append("Compare mode: the walkthrough follows run A.")
    if state.replay_epoch is not None:
        notes.append(f"It uses the current weights (epoch {state.trainer.epoch:,}), not the replayed epoch.")
    if state.trainer.diverged:
        notes.append("Training has diverged: the numbers are NaN or infinite; press Reset.")
    if state.trainer.inputs == "image":
        image, text = st.columns([1, 8], vertical_alignment="center")
        caption = "your digit" if shown.index == GIVEN else f"row {shown.index}"
        picture = _digit_image(shown.point)
        image.image(picture, width=picture.shape[1], caption=caption)
        text.markdown(_describe_point(state, shown) + (" " + " ".join(notes) if notes else ""))
    else:
        st.markdown(_describe_point(state, shown) + (" " + " ".join(notes) if notes else ""))
    design = design_note(shown)
    if design:
        st.caption(design)
    step = shown.steps[min(state.walkthrough_step, step_count(state.trainer.network) - 1)]
    _navigation(state, shown)
    with st.container(border=True):
        st.latex(step.formula)
        st.markdown(step.explanation)
        # (the inputs step's explanation names the point on the plane and how it becomes x: not repeated here)
        scalars = _scalars(step)
        if scalars:
            st.markdown(" · ".join(scalars))
        _step_tables(state, step, shown)
        if step.kind == "update":
            st.button(
                APPLY_LABEL,
                on_click=session.apply_walkthrough_update,
                args=(state,),
                key="walk_apply",
                type="primary",
                disabled=state.trainer.diverged,
                help="Changes the weights by exactly the update shown (and moves the optimiser's state on as that "
                "step would). The epoch count stays; the history gets a row at the new weights.",
            )
        if level == "success" and text:
            st.success(text, icon=":material/check_circle:")
