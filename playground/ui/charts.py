"""Helpers the page sections share: what a chart shows (live or the replay epoch), history charts, text.

The live view (view.py) and the gradient-flow lens (lens.py) both draw history charts from these, so
neither section imports the other's helpers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from playground.plots import history as history_plots
from playground.training.history import layer_columns as history_layer_columns
from playground.training.trainer import Trainer
from playground.ui.live import live_chart, streamed
from playground.ui.state import ChartSync, PlaygroundState

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript_powers(text: str) -> str:
    """'10^-4' -> '10⁻⁴' (Markdown has no superscript; a projector audience reads these at a glance)."""
    return re.sub(r"\^(-?\d+)", lambda match: match.group(1).translate(_SUPERSCRIPTS), text)


# ---- what a chart shows: live, or the replay epoch ---------------------------------------------
def shown_epoch(state: PlaygroundState, trainer: Trainer) -> int:
    if state.replay_epoch is None:
        return trainer.epoch
    return min(state.replay_epoch, trainer.epoch)


def compared_runs(state: PlaygroundState, trainer: Trainer) -> list[Trainer]:
    """The runs a chart of ``trainer`` shares its scales with: both runs in compare mode (so that the heights
    and colours of A's and B's panels compare), else the run alone."""
    runs = [run for _, run in state.runs]
    return runs if state.comparing and any(run is trainer for run in runs) else [trainer]


def history_columns(trainer: Trainer, names: list[str], after: int | None = None, upto: int | None = None):
    """Epochs (k,) and the named columns (each (k,)) of the kept rows, optionally after/up to an epoch."""
    history = trainer.history
    rows = history.rows_after(-1 if after is None else after)
    if upto is not None:
        rows = rows[rows[:, 0] <= upto]
    index = [history.columns.index(name) for name in names]
    return rows[:, 0], [rows[:, i] for i in index]


def version_of(state: PlaygroundState, trainer: Trainer, name: str) -> str:
    """A chart's shape: changes with a restarted run, depth, or the replay epoch.

    Not with a thinned history: updates carry the history's stride and the browser thins the
    points it holds the same way (every stride-th epoch), which costs far less than a whole figure.
    """
    return f"{name}:{state.run_id}:{trainer.network.n_layers}:{state.replay_epoch}"


def layer_columns(trainer: Trainer, prefix: str) -> list[str]:
    """The history columns of one per-layer figure (``playground.training.history.LAYER_FIGURES``), layer 1 first."""
    return history_layer_columns(prefix, trainer.network.n_layers)


# ---- a chart over epochs ----------------------------------------------------------------------
@streamed
def history_chart(
    state,
    key,
    trainer,
    names,
    build,
    build_update,
    height,
    priority: int = 5,
    y_axis: str = "linear",
    y_include: tuple[float, ...] = (),
    same_scale: Callable[[Trainer], list[str]] | None = None,
    note: str | None = None,  # why the chart is empty or flat (history_plots.with_note; playground/teaching/notes.py)
    range_columns: int | None = None,
    shape: str = "",
    **frame_text,
):
    """A chart over epochs: whole figure from every kept row, then only the rows after the last sent.

    The axes get stepped ranges (``history_plots.live_axis_ranges``; ``y_axis`` "linear", "log" or "fixed"),
    sent with every update, so that most frames only append points. ``same_scale(run)``: the columns of
    any run, for a chart of which compare mode draws one per run: the axes then hold both runs' values
    (the same ranges in A's chart and B's, moving together while playing). ``range_columns``: how many of
    the leading ``names`` set the value axis (the rest are on a second axis with a range of its own).
    ``shape``: what else the figure depends on (a new value sends the whole figure).
    """
    upto = state.replay_epoch
    sync = state.chart(key)

    def ranges(epochs, columns) -> dict:
        columns = columns[:range_columns]
        last, values = (epochs[-1] if len(epochs) else 0), [np.ravel(np.column_stack(columns))]
        for other in compared_runs(state, trainer) if same_scale is not None else []:
            if other is not trainer:
                other_epochs, other_columns = history_columns(other, same_scale(other)[:range_columns], upto=upto)
                if len(other_epochs):
                    last = max(last, other_epochs[-1])
                    values.append(np.ravel(np.column_stack(other_columns)))
        sync.memory["ranges"] = history_plots.live_axis_ranges(
            np.array([last]), np.concatenate(values), y_axis, y_include
        )
        return sync.memory["ranges"]

    def figure() -> dict:
        epochs, columns = history_columns(trainer, names, upto=upto)
        result = history_plots.with_ranges(build(epochs, columns), ranges(epochs, columns))
        result["stride"] = trainer.history.stride  # the browser thins its points to match (assets/live/history.js)
        history_plots.with_note(result, note)
        return history_plots.epoch_marker(result, upto) if upto is not None else result

    def update(sync: ChartSync) -> dict | None:
        all_epochs, all_columns = history_columns(trainer, names, upto=upto)
        keep = all_epochs > sync.window_start if sync.window_start is not None else slice(None)
        payload = build_update(all_epochs[keep], [column[keep] for column in all_columns])
        sent = sync.memory.get("ranges")
        if payload:
            payload["ranges"] = ranges(all_epochs, all_columns)
            payload["extend"]["stride"] = trainer.history.stride
        elif same_scale is not None and ranges(all_epochs, all_columns) != sent:
            payload = {"ranges": sync.memory["ranges"]}  # no new rows here (a run that stopped), but the other's
        return payload

    epoch = shown_epoch(state, trainer)
    version = version_of(state, trainer, key) + (f":note={note}" if note else "") + (f":{shape}" if shape else "")
    return live_chart(state, key, version, epoch, figure, update, height, priority, **frame_text)
