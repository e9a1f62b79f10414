"""The learning rate, seen two ways: a sweep of rates around the current one, and the loss landscape.

- The sweep (``sweep_section``, below the live view): on request, nine log-spaced rates around the run's own
  trained from the same initial weights and batch order (``playground.training.sweep``, one batched
  computation); the final loss against the rate and every rate's curve; a click on a rate adopts it.
- The landscape (``landscape_section``, inside the live view): the training loss on a plane through the current
  weights, spanned by the principal directions of the run's own path, with that path drawn on it
  (``playground.teaching.landscape``); recomputed when paused and about once a second while playing. In compare
  mode one per run, on one colour scale.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from playground.plots import sweep as sweep_plots
from playground.plots.landscape import landscape_figure_dict, landscape_loss_range
from playground.teaching.landscape import Landscape, loss_landscape
from playground.training.config import FIELDS, TrainingConfig, config_values
from playground.training.sweep import learning_rate_sweep
from playground.training.trainer import Trainer
from playground.ui.live import live_chart, streamed
from playground.ui.session import apply_change, transition
from playground.ui.state import PlaygroundState
from playground.ui.widgets import bind, keep

SWEEP_RATES = 9
SWEEP_EPOCHS = (25, 50, 100, 200, 500)
DEFAULT_SWEEP_EPOCHS = 100
LANDSCAPE_RESOLUTION = 25
LANDSCAPE_REFRESH_SECONDS = 1.0  # while playing, a new landscape at most this often (it costs a few frames)
LANDSCAPE_HEIGHT = 420

SWEEP_CAPTION = (
    "Each rate trains the same network from the **same initial weights**, on the same batches in the same order, "
    "for the chosen number of epochs. **Left:** the loss each rate reached (log scales): too small a rate has "
    "barely moved, too large a one bounces or **diverges** (red crosses); the best lies in between, usually a "
    "little below the largest rate that still trains. **Right:** every rate's training loss over the epochs, dark "
    "for small rates, light for large. Click a rate below to use it."
)
LANDSCAPE_CAPTION = (
    "The **training loss** around the current weights (★, the centre), on a plane through them; dark is low. Its "
    "two directions are the ones the run's weights moved along most (the principal directions of its path, Li et "
    "al. 2018; the axis titles say how much of the path each holds), so the **path** of the run (white, from ● "
    "its start, a point per epoch, every few on a long run) lies nearly in the plane. A small learning rate "
    "creeps down the valley; a "
    "large one bounces from wall to wall across it; momentum and Adam take their own route. The landscape is of "
    "the current weights (not the replay epoch's) and is redrawn about once a second while playing."
)


# ---- the sweep ------------------------------------------------------------------------------------
def sweep_rates(current: float, count: int = SWEEP_RATES, steps_per_decade: int = 2) -> list[float]:
    """``count`` log-spaced rates, ``steps_per_decade`` to a decade, one of them ``current`` itself, centred on
    it as far as the config's bounds allow (at an end of the range, the window slides inside it). Rounded to 3
    significant digits; smallest first."""
    bound = FIELDS["learning_rate"]
    current = min(max(current, bound.low), bound.high)
    lowest = math.ceil(steps_per_decade * math.log10(bound.low / current) - 1e-9)  # steps below current
    highest = math.floor(steps_per_decade * math.log10(bound.high / current) + 1e-9)  # steps above
    first = min(max(-(count // 2), lowest), highest - count + 1)
    steps = range(max(first, lowest), min(first + count, highest + 1))
    return sorted({float(f"{current * 10.0 ** (step / steps_per_decade):.3g}") for step in steps})


@dataclass
class SweepResult:
    """One run's sweep: the config it swept (at its own rate), the epochs and the sweep's rows."""

    config: TrainingConfig
    epochs: int
    frame: pd.DataFrame
    seconds: float

    def is_for(self, config: TrainingConfig) -> bool:
        """Whether it still describes ``config`` (anything but the learning rate unchanged)."""
        mine, theirs = config_values(self.config), config_values(config)
        return all(mine[name] == theirs[name] for name in mine if name != "learning_rate")


@transition
def run_sweep(state: PlaygroundState, name: str, trainer: Trainer, epochs: int) -> None:
    config = trainer.config
    started = time.perf_counter()
    try:
        frame = learning_rate_sweep(config, sweep_rates(config.learning_rate), epochs)
    except Exception as error:  # a message, never a traceback
        state.say("error", f"The sweep could not run ({error}).")
        return
    state.sweeps[name] = SweepResult(config, epochs, frame, time.perf_counter() - started)


@transition
def adopt_rate(state: PlaygroundState, name: str, widget_key: str) -> None:

    rate = st.session_state.get(widget_key)
    if rate is None:
        return
    editing = state.editing
    state.editing = name  # the rate goes to the run whose sweep was clicked
    try:
        apply_change(state, learning_rate=float(rate))
    finally:
        state.editing = editing
    st.session_state[widget_key] = None
    state.say(
        "info",
        f"Run {name} now trains with learning rate {float(rate):g}."
        if state.comparing
        else f"Now training with learning rate {float(rate):g}.",
    )


def sweep_section(state: PlaygroundState) -> None:
    """Below the live view: a sweep per run, on request."""
    with st.expander("Learning-rate sweep: which rate trains best?", icon=":material/tune:"):
        for name, trainer in state.runs:
            if state.comparing:
                st.markdown(f"**Run {name}**")
            _sweep_for(state, name, trainer)
        st.caption(SWEEP_CAPTION)


def _sweep_for(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    config = trainer.config
    rates = sweep_rates(config.learning_rate)
    epochs_key = f"w_sweep_epochs_{name}"
    keep(epochs_key, DEFAULT_SWEEP_EPOCHS)
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    epochs = left.select_slider("Epochs per rate", SWEEP_EPOCHS, key=epochs_key)
    right.button(
        f"Sweep {len(rates)} rates",
        key=f"sweep_{name}",
        on_click=run_sweep,
        args=(state, name, trainer, int(epochs)),
        help=f"Rates {rates[0]:g} to {rates[-1]:g}, log-spaced around the current {config.learning_rate:g}.",
        width="stretch",
    )
    result = state.sweeps.get(name)
    if result is None:
        st.caption(f"Rates {', '.join(f'{rate:g}' for rate in rates)}.")
        return
    if not result.is_for(config):
        st.info("The settings changed since this sweep (other than the learning rate): sweep again to see them.")
    best = sweep_plots.best_rate(result.frame)
    diverged = sweep_plots.final_losses(result.frame)
    n_diverged = int(np.isfinite(diverged["diverged_at"]).sum())
    summary = f"{len(diverged)} rates × {result.epochs} epochs in {result.seconds:.1f} s"
    summary += f"; lowest training loss at rate **{best:g}**" if best is not None else "; every rate diverged"
    summary += f"; {n_diverged} diverged." if n_diverged else "."
    st.markdown(summary)
    final_column, curves_column = st.columns(2, gap="medium")
    with final_column:
        st.plotly_chart(
            sweep_plots.sweep_final_figure(result.frame, config.learning_rate),
            key=f"sweep_final_{name}",
            config={"displayModeBar": False},
        )
    with curves_column:
        st.plotly_chart(
            sweep_plots.sweep_curves_figure(result.frame), key=f"sweep_curves_{name}", config={"displayModeBar": False}
        )
    swept = sorted(result.frame["learning_rate"].unique())
    widget_key = f"w_adopt_{name}"
    st.pills(
        "Use a rate",
        swept,
        format_func=lambda rate: f"{rate:g}" + (" ★" if best is not None and rate == best else ""),
        key=widget_key,
        on_change=adopt_rate,
        args=(state, name, widget_key),
        help="Sets this run's learning rate (the weights trained so far are kept). ★: the lowest training loss.",
    )


# ---- the landscape --------------------------------------------------------------------------------
def _landscape_of(state: PlaygroundState, name: str, trainer: Trainer) -> tuple[str, Landscape]:
    """The run's landscape now, computed again only when it is due (paused: at a new epoch; playing: at most
    every LANDSCAPE_REFRESH_SECONDS). Returns (its version, the landscape)."""
    memory = state.chart(f"landscape_{name}").memory
    cached = memory.get("landscape")
    due_epoch = (state.run_id, trainer.epoch, len(trainer.history))
    now = time.perf_counter()
    fresh = cached is not None and cached[0] == due_epoch
    waiting = state.playing and cached is not None and now - memory.get("at", 0.0) < LANDSCAPE_REFRESH_SECONDS
    if not fresh and not waiting:
        with np.errstate(all="ignore"):
            landscape = loss_landscape(trainer, LANDSCAPE_RESOLUTION)
        memory["landscape"], memory["at"] = (due_epoch, landscape), now
        cached = memory["landscape"]
    key = cached[0]
    return f"landscape_{name}:{key}", cached[1]


def landscape_section(state: PlaygroundState) -> None:
    """Inside the live view, below the lens: one landscape per run, side by side in compare mode."""
    if not state.shows("landscape"):
        return
    st.subheader("Loss landscape")
    bind("w_show_landscape", state.show_landscape)
    st.toggle(
        "Draw the loss landscape",
        key="w_show_landscape",
        on_change=lambda: setattr(state, "show_landscape", st.session_state["w_show_landscape"]),
        help="The training loss around the current weights, with the run's path on it. Computing it takes a "
        "few frames' time, so it is off until asked for (lesson 13 turns it on).",
    )
    if not state.show_landscape:
        return
    columns = st.columns(len(state.runs), gap="medium")
    for column, (name, trainer) in zip(columns, state.runs):
        with column:
            landscape_chart(state, name, trainer)


@streamed
def landscape_chart(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    versions = [_landscape_of(state, run, run_trainer) for run, run_trainer in state.runs]
    version, landscape = dict(zip([run for run, _ in state.runs], versions))[name]
    zrange = landscape_loss_range(*(shown for _, shown in versions)) if state.comparing else None
    title = f"Run {name}: training loss around the current weights" if state.comparing else None
    live_chart(
        state,
        f"landscape_{name}",
        version + f":{zrange}",
        trainer.epoch,
        lambda: landscape_figure_dict(landscape, title=title, zrange=zrange, height=LANDSCAPE_HEIGHT),
        lambda sync: None,  # nothing between two landscapes: each is a whole figure
        LANDSCAPE_HEIGHT,
        priority=8,
        caption=LANDSCAPE_CAPTION if name == state.runs[-1][0] else None,
    )
