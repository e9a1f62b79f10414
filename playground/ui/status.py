"""The numbers above the charts: each run's epoch, losses and metrics as one HTML block (a table of the two
runs in compare mode), and the line under them (the training speed, or a lesson's stop)."""

from __future__ import annotations

import html

import numpy as np

from playground.teaching.lessons import LESSONS
from playground.training.history import METRICS, TEST_LOSS, TRAIN_LOSS, metric_column
from playground.training.trainer import Trainer
from playground.ui import session
from playground.ui.state import PlaygroundState


def _format_loss(value: float) -> str:
    """Four decimals while a loss reads like one; a huge one (an exploding run) as 866,016 or 1.23e+09."""
    if not np.isfinite(value):
        return "diverged"
    if abs(value) < 1_000:
        return f"{value:.4f}"
    return f"{value:,.0f}" if abs(value) < 10_000_000 else f"{value:.2e}"


METRIC_LABELS = {"accuracy": "accuracy", "r2": "R²", "rmse": "RMSE"}


def _format_metric(metric: str, value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.1%}" if metric == "accuracy" else f"{value:.3f}"


def status_metrics(state: PlaygroundState, trainer: Trainer) -> list[tuple[str, str]]:
    """(label, value) of the numbers shown above the charts for one run.

    While playing: the latest history row (measured on the record sample). Paused: exact, on the
    whole training and test sets (``Trainer.evaluate``), at the replayed epoch if one is shown.
    """
    if state.playing:
        values = trainer.history.latest
        epoch = trainer.epoch
    else:
        epoch, network = trainer.network_at(state.replay_epoch)
        values = trainer.evaluate(network)
    progress = trainer.epoch_progress if epoch == trainer.epoch else 0.0
    # Mid-epoch (an epoch longer than a frame: MNIST) the count goes on by batches: 12.4 = 40 % into epoch 13.
    rows = [
        ("Epoch", f"{epoch + progress:,.1f}" if progress else f"{epoch:,}"),
        ("Train loss", _format_loss(values[TRAIN_LOSS])),
        ("Test loss", _format_loss(values[TEST_LOSS])),
    ]
    for metric in METRICS[trainer.problem]:
        for split in ("train", "test"):
            label = f"{split.capitalize()} {METRIC_LABELS[metric]}"
            rows.append((label, _format_metric(metric, values[metric_column(split, metric)])))
    return rows


def status_html(state: PlaygroundState) -> str:
    """The status numbers of every run (and the training speed while playing) as one HTML block.

    One element instead of a row of st.metric per run: the status changes every frame, and
    each Streamlit element costs the browser a re-render per frame. Every number carries
    ``data-metric`` (its label, "Run A · Train loss" in compare mode) for tests. In compare mode the
    numbers form a table (a header row of labels, a row per run): two runs' figures in the height of one.
    """
    if state.comparing:
        return f'<div class="bp-status bp-status-compare">{compare_status_table(state)}{playing_note(state)}</div>'
    cells = "".join(
        f'<div class="bp-metric" data-metric="{html.escape(label)}">'
        f'<div class="bp-metric-label">{html.escape(label)}</div>'
        f'<div class="bp-metric-value">{html.escape(value)}</div></div>'
        for label, value in status_metrics(state, state.trainer)
    )
    return f'<div class="bp-status"><div class="bp-status-row">{cells}{playing_note(state)}</div></div>'


def compare_status_table(state: PlaygroundState) -> str:
    """A metric per row, a run per column: narrow enough for the column beside the two runs' charts."""
    rows = {name: status_metrics(state, trainer) for name, trainer in state.runs}
    header = "".join(f'<th class="bp-run-{name.lower()}">Run {name}</th>' for name in rows)
    labels = [label for label, _ in rows["A"]]
    body = "".join(
        f'<tr><th scope="row">{html.escape(label)}</th>'
        + "".join(
            f'<td class="bp-metric" data-metric="{html.escape(f"Run {name} · {label}")}">'
            f'<div class="bp-metric-value">{html.escape(dict(metrics).get(label, ""))}</div></td>'
            for name, metrics in rows.items()
        )
        + "</tr>"
        for label in labels
    )
    return f'<table class="bp-status-table"><thead><tr><th></th>{header}</tr></thead><tbody>{body}</tbody></table>'


def playing_note(state: PlaygroundState) -> str:
    """The line under the numbers: the training speed while playing; paused at a lesson's stop, that this is
    where its text looks. Always drawn (empty when there is nothing to say), so the charts below never move
    when Play starts or stops."""
    text = ""
    if state.playing:
        stop = session.next_lesson_stop(state)
        speed = f"{state.epochs_per_second:,.0f} epochs per second ({html.escape(str(state.speed))} per frame)"
        if state.comparing:  # two lines in the narrow column beside the runs
            text = f"About {speed}." + (f" Stops at epoch {stop:,}." if stop is not None else "")
        else:
            stops = f" Stops at epoch {stop:,}, where the lesson's text looks." if stop is not None else ""
            text = f"Training at about {speed}.{stops}"
    elif state.lesson and session.lesson_epoch(state) in LESSONS[state.lesson].stop_epochs:
        text = html.escape(session.lesson_stop_text(state, session.lesson_epoch(state), stopped=False))
    return f'<div class="bp-status-note">{text}</div>'
