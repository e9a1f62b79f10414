"""Why a chart is empty or flat: plain-words notes from a trainer's history. NumPy only, no streamlit.

A log axis cannot draw a gradient of exactly 0, and a loss that swings up and down without ever
becoming NaN sets off no divergence message: without a word, the student sees empty axes or a
zigzag and draws their own (wrong) conclusion. ``chart_notes`` looks at the history rows up to the
shown epoch and says why, in the words the app shows in a message and, shortened, on the chart.

Notation as in ``diagnostics.py``: weight layer l (W1 from the input, WL into the output); hidden
layer l is W_l's output. Every threshold is a module constant next to the reason for its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from playground.training.history import DEAD, EPOCH, GRAD_NORM, TRAIN_LOSS, layer_column

# ---- thresholds ------------------------------------------------------------------------------

# A hidden ReLU layer is dead when every one of its units outputs 0 on every point of the record
# sample: the trainer's ``dead{l}`` column is then exactly 1 (a share of units). Nothing is passed
# through it: its output a_l is 0, so dL/dW_{l+1} = a_l^T delta = 0, and relu'(z) = 0 for all its
# units, so delta_l = 0 and no error signal reaches W_1 ... W_l. Exact zeros, not a small number:
# no threshold to choose.
DEAD_SHARE = 1.0

# Loss oscillation, judged on the last OSCILLATION_ROWS history rows (at least OSCILLATION_MIN_ROWS;
# rows are recorded every few epochs while playing, every epoch when stepping; see trainer.py). The swing
# is the spread between the window's 10th and 90th percentiles (one spike does not make it: a loss that
# jumps once and recovers is not oscillating, and a chaotic one is judged by its typical values).
#  - the swing is at least OSCILLATION_AMPLITUDE times the loss's own scale: the initial loss (epoch 0:
#    about ln 2 = 0.69 for two classes, ln K for K; for regression the targets' spread), or the window's
#    median when the history no longer starts at epoch 0. Normal noisy SGD moves the recorded loss by a
#    few per cent of that (default network, batch size 1: under 10 %, and at a learning rate of 0.3 still
#    well under 75 %); a learning rate of 10 swings it by 2 to 10 times that scale (0.7 to 7, or 6 to 9).
#  - it goes up and down repeatedly: at least OSCILLATION_REVERSALS changes of direction between steps
#    of at least OSCILLATION_STEP times the swing. A loss still falling fast at the start of training
#    has none.
#  - it is not settling: the window's total travel (sum of |step|) is at least OSCILLATION_TRAVEL times
#    the swing, i.e. it crosses its own range back and forth, rather than once.
OSCILLATION_ROWS = 12
OSCILLATION_MIN_ROWS = 8
OSCILLATION_AMPLITUDE = 0.75
OSCILLATION_STEP = 0.25
OSCILLATION_REVERSALS = 3
OSCILLATION_TRAVEL = 3.0
# A note that came and went with every frame would make the chart flicker (and resend its whole figure):
# it stays while any of the windows ending at the last OSCILLATION_HOLD rows oscillates.
OSCILLATION_HOLD = 4
# How much smaller a learning rate the note suggests: one decade, the learning-rate slider's step.
LEARNING_RATE_CUT = 10.0


@dataclass(frozen=True)
class Note:
    """One reason a chart looks empty or wrong. ``level``: "warning" (st.warning) or "info".

    ``text``: the message (Markdown, bold allowed); ``short``: a few words drawn on the chart itself
    (``<br>`` breaks its lines: a chart in the projector's row of three is about 300 px wide);
    ``chart``: which chart it belongs on, "gradients" or "loss"; ``kind``: "dead", "zero_gradient"
    or "oscillation" (for tests and the browser: the annotation's name).
    """

    level: str
    text: str
    short: str
    chart: str
    kind: str

    def __iter__(self):  # ("warning", "text"), as the brief's examples read
        return iter((self.level, self.text))


def _span(layers: Sequence[int], prefix: str = "W") -> str:
    """[1, 2, 3] -> 'W1–W3'; [4] -> 'W4'; [1, 3] -> 'W1 and W3'."""
    layers = sorted(layers)
    if len(layers) == 1:
        return f"{prefix}{layers[0]}"
    if layers == list(range(layers[0], layers[-1] + 1)):
        return f"{prefix}{layers[0]}–{prefix}{layers[-1]}"
    return ", ".join(f"{prefix}{layer}" for layer in layers[:-1]) + f" and {prefix}{layers[-1]}"


def _number(value: float) -> str:
    """A loss or learning rate to 2 significant figures, as a student reads it: 3.1, 0.69, 1e-05."""
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.3g}"


def _row(history_rows: np.ndarray, columns: list[str]) -> dict[str, float]:
    return dict(zip(columns, history_rows[-1].tolist()))


def dead_network_note(row: dict[str, float], n_layers: int, first_row: dict[str, float] | None = None) -> Note | None:
    """The top-most fully dead hidden ReLU layer of this history row, and the weights it cuts off."""
    dead = [l for l in range(1, n_layers) if row.get(layer_column(DEAD, l), math.nan) >= DEAD_SHARE]
    if not dead:
        return None
    top = max(dead)
    cut_off = [l for l in range(1, top + 2) if row.get(layer_column(GRAD_NORM, l)) == 0.0]
    if not cut_off:
        return None
    below = dead[:-1]
    others = f"; so {'is hidden layer' if len(below) == 1 else 'are hidden layers'} {_span(below, '')}" if below else ""
    born_dead = first_row is not None and first_row.get(layer_column(DEAD, top), math.nan) >= DEAD_SHARE
    if born_dead and row.get(EPOCH, 0) > 0:
        when = " It was dead from the start (epoch 0)."
    else:
        when = ""
    remedy = (
        "Try leaky ReLU, wider layers or another weight seed."
        if born_dead
        else "Try leaky ReLU, a smaller learning rate or wider layers."
    )
    reach = "any weight" if len(cut_off) == n_layers else _span(cut_off)
    text = (
        f"**No gradient reaches {reach}:** every unit of hidden layer {top} outputs 0 on every training point "
        f"(dead ReLUs{others}), so nothing below it learns and every point gets the same answer.{when} {remedy}"
    )
    where = "" if reach == "any weight" else f" in {reach}"
    short = f"No gradient{where}:<br>hidden layer {top} is dead<br>(all its units output 0)"
    return Note("warning", text, short, "gradients", "dead")


def zero_gradient_note(row: dict[str, float], n_layers: int, initializer: str | None = None) -> Note | None:
    """Weight layers whose gradient is exactly 0 (a dead layer explains it: ``dead_network_note``)."""
    norms = [row.get(layer_column(GRAD_NORM, l), math.nan) for l in range(1, n_layers + 1)]
    if not all(math.isfinite(norm) for norm in norms):
        return None  # not measured, or diverged (the divergence message says so)
    zero = [l for l, norm in zip(range(1, n_layers + 1), norms) if norm == 0.0]
    if not zero:
        return None
    everything = len(zero) == n_layers
    subject = "any weight" if everything else _span(zero)
    reason = ""
    if initializer == "zeros":
        reason = (
            " The weights started at 0: every unit of a layer computes the same, and a unit whose output is 0 "
            "passes no error back. Pick another initialisation."
        )
    text = (
        f"**No gradient reaches {subject}:** ‖∂L/∂W‖ is exactly 0 there, so those weights cannot learn (and the "
        f"gradient chart's log axis cannot draw 0).{reason}"
    )
    short = f"No gradient{'' if everything else ' in ' + subject}:<br>‖∂L/∂W‖ = 0 cannot be drawn<br>on a log axis"
    return Note("warning", text, short, "gradients", "zero_gradient")


@dataclass(frozen=True)
class Oscillation:
    low: float
    high: float
    first_epoch: int
    last_epoch: int


def oscillation(epochs: np.ndarray, losses: np.ndarray, initial_loss: float) -> Oscillation | None:
    """Whether the last rows' loss swings up and down without settling (thresholds above); None if not."""
    epochs = np.asarray(epochs, dtype=float)[-OSCILLATION_ROWS:]
    losses = np.asarray(losses, dtype=float)[-OSCILLATION_ROWS:]
    if len(losses) < OSCILLATION_MIN_ROWS or not np.all(np.isfinite(losses)):
        return None
    steps = np.diff(losses)
    # Asked on every live frame: a loss that never turns (the usual case) is settled here, before the
    # percentiles. Exact: a reversal between big steps implies one between the nonzero steps around it.
    turns = np.sign(steps[steps != 0])
    if np.count_nonzero(turns[1:] != turns[:-1]) < OSCILLATION_REVERSALS:
        return None
    scale = float(initial_loss) if math.isfinite(initial_loss) and initial_loss > 0 else float(np.median(losses))
    low, high = float(losses.min()), float(losses.max())
    p10, p90 = np.percentile(losses, [10, 90])
    swing = float(p90 - p10)
    if scale <= 0 or swing <= 0 or swing < OSCILLATION_AMPLITUDE * scale:
        return None
    if np.abs(steps).sum() < OSCILLATION_TRAVEL * swing:
        return None
    big = np.sign(steps[np.abs(steps) >= OSCILLATION_STEP * swing])
    if np.count_nonzero(big[1:] != big[:-1]) < OSCILLATION_REVERSALS:
        return None
    return Oscillation(low, high, int(epochs[0]), int(epochs[-1]))


def oscillation_note(epochs: np.ndarray, losses: np.ndarray, initial_loss: float, learning_rate: float) -> Note | None:
    found = None
    for end in range(len(losses), max(len(losses) - OSCILLATION_HOLD, 0), -1):
        found = oscillation(epochs[:end], losses[:end], initial_loss)
        if found is not None:
            break
    if found is None:
        return None
    smaller = learning_rate / LEARNING_RATE_CUT
    span = found.last_epoch - found.first_epoch
    text = (
        f"**The loss is oscillating** (between {_number(found.low)} and {_number(found.high)} over the last "
        f"{span} epoch{'s' if span != 1 else ''}) without settling: the learning rate ({learning_rate:g}) is too "
        f"large, so each step overshoots the valley it is descending. Try {LEARNING_RATE_CUT:g}× smaller "
        f"({smaller:g})."
    )
    short = f"Oscillating: learning rate<br>{learning_rate:g} is too large"
    return Note("warning", text, short, "loss", "oscillation")


def chart_notes(trainer, upto: int | None = None) -> list[Note]:
    """What the live charts of ``trainer`` need said, at the latest row (or the last row at or before ``upto``).

    A diverged run gets none: the divergence message says what happened.
    """
    history = trainer.history
    rows = history.rows_after(-1)
    if upto is not None:
        rows = rows[rows[:, 0] <= upto]
    if not len(rows) or trainer.diverged and (upto is None or upto >= trainer.diverged_at):
        return []
    columns = history.columns
    row = _row(rows, columns)
    first = dict(zip(columns, rows[0].tolist())) if rows[0][0] == 0 else None
    n_layers = trainer.network.n_layers
    notes = []
    gradient = dead_network_note(row, n_layers, first) or zero_gradient_note(row, n_layers, trainer.config.initializer)
    if gradient is not None:
        notes.append(gradient)
    epochs, losses = rows[:, 0], rows[:, columns.index(TRAIN_LOSS)]
    initial = float(rows[0, columns.index(TRAIN_LOSS)]) if rows[0][0] == 0 else math.nan
    loss = oscillation_note(epochs, losses, initial, trainer.config.learning_rate)
    if loss is not None:
        notes.append(loss)
    return notes
