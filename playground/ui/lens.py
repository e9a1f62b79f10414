"""The gradient-flow panel: where the gradient goes, layer by layer, live.

Four views, one shown at a time (so a frame redraws only what is on screen):
  Gradient flow    layer x epoch heatmaps of ‖∂L/∂W‖ and of the back-propagated error, and a readout
  Layer health     a verdict per layer with its reason; update/weight ratio, saturation or dead units, distance
  Histograms       activations and back-propagated errors of every hidden layer at the shown epoch
  Predict & check  the initialisation's predicted gain per layer next to the measured one; gradient check
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from playground.plots import flow as flow_plots
from playground.plots import history as history_plots
from playground.plots import style as plot_style
from playground.teaching import diagnostics
from playground.training.history import DEAD, DELTA_MEAN_ABS, DISTANCE, EPOCH, GRAD_NORM, SATURATION, UPDATE_RATIO
from playground.training.trainer import Trainer
from playground.ui.charts import (
    compared_runs,
    history_chart,
    history_columns,
    layer_columns,
    shown_epoch,
    superscript_powers,
    version_of,
)
from playground.ui.live import live_chart, live_html, streamed
from playground.ui.state import PlaygroundState
from playground.ui.widgets import bind

LENSES = ("Gradient flow", "Layer health", "Histograms", "Predict & check")

VERDICT_COLOURS = {  # background, text: readable without colour thanks to the words themselves
    "healthy": ("#DCEFE0", "#14532D"),
    "too slow": ("#FFF4CE", "#5C4400"),
    "too fast": ("#FFE2CC", "#7A2E00"),
    "vanishing": ("#DCE9F7", "#0B3C6E"),
    "exploding": ("#FAD4D4", "#7F1D1D"),
    "saturated": ("#EDE0F5", "#4A1D6B"),
    "dead units": ("#E5E7EB", "#1F2933"),
    "diverged": ("#7F1D1D", "#FFFFFF"),
}
CHECK_COLOURS = {
    "good": "#DCEFE0",
    "fine with kinks": "#E8F3D8",
    "uncomfortable": "#FFF4CE",
    "wrong": "#FAD4D4",
}

HEATMAP_CAPTION = (
    "Each row is one layer (input at the bottom), each column an epoch; the colour is the **power of ten** "
    "of the size (−3 means 0.001). Left: how big each layer's weight gradient is. Right: how big the error "
    "signal δ = ∂ℓ/∂z reaching that layer is. In a deep sigmoid network the bottom rows are several colours "
    "darker: the error fades on its way down (Glorot & Bengio, 2010). The weight gradients fade less than δ "
    "because each one also multiplies δ by the layer's input."
)
HEALTH_CAPTION = (
    "Thresholds: **vanishing** if the layer's ‖∂L/∂W‖ is below 1/1000 of the output layer's (**exploding** above "
    f"1000×); **saturated** if more than {diagnostics.SATURATION_LIMIT:.0%} of tanh/sigmoid outputs are in the flat "
    f"tails (|a| > 0.97); **dead units** if more than {diagnostics.DEAD_LIMIT:.0%} of ReLU units output 0 on every "
    "training point; **too slow / too fast** if one step changes the weights by less than "
    f"{diagnostics.UPDATE_RATIO_LOW:g} / more than {diagnostics.UPDATE_RATIO_HIGH:g} of their size "
    f"(healthy ≈ {diagnostics.UPDATE_RATIO_HEALTHY:g}). Hover a verdict for the numbers behind it."
)


def panel(state: PlaygroundState) -> None:
    st.subheader("Gradient-flow lens")
    bind("w_lens", state.lens)
    st.segmented_control(
        "Look at",
        LENSES,
        key="w_lens",
        on_change=lambda: setattr(state, "lens", st.session_state["w_lens"] or state.lens),
        label_visibility="collapsed",
    )
    runs = state.runs
    for name, trainer in runs:
        container = st.container(border=state.comparing)
        with container:
            if state.comparing:
                st.markdown(f"**Run {name}**")
            {
                "Gradient flow": gradient_flow,
                "Layer health": layer_health,
                "Histograms": histograms,
                "Predict & check": predict_and_check,
            }[state.lens](state, name, trainer)


def _row_at(state: PlaygroundState, trainer: Trainer) -> dict[str, float]:
    """The history row shown: the latest, or the last kept row at or before the replay epoch.

    Read from the history's arrays (no DataFrame per frame: this runs in the play loop).
    """
    history = trainer.history
    if state.replay_epoch is None:
        return history.latest
    epochs = history.column(EPOCH)
    index = max(int(np.searchsorted(epochs, state.replay_epoch, side="right")) - 1, 0)
    return {name: float(history.column(name)[index]) for name in history.columns}


# ---- Gradient flow ------------------------------------------------------------------------------
def gradient_flow(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    gradient_readout(state, name, trainer)
    left, right = st.columns(2, gap="medium")
    for column, prefix, title in (
        (left, GRAD_NORM, "log₁₀ ‖∂L/∂W‖"),
        (right, DELTA_MEAN_ABS, "log₁₀ mean |δ|"),
    ):
        with column:
            flow_heatmap(state, name, trainer, prefix, title)
    st.caption(HEATMAP_CAPTION)


@streamed
def gradient_readout(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    """'Layer 1 receives 10⁻ᵏ of the gradient of the last layer', at the shown epoch."""
    text = superscript_powers(diagnostics.gradient_ratio_readout(_row_at(state, trainer)))
    live_html(state, f"readout_{name}", f'<p class="bp-readout"><strong>{html.escape(text)}</strong></p>', priority=4)


@streamed
def flow_heatmap(state: PlaygroundState, name: str, trainer: Trainer, prefix: str, title: str) -> None:
    """A layer x epoch heatmap of one per-layer history column (the weight gradient or δ)."""
    upto = state.replay_epoch
    names = layer_columns(trainer, prefix)
    key = f"heat_{prefix}_{name}"
    sync = state.chart(key)

    def shared_scale(epochs) -> tuple[tuple[float, float] | None, float]:
        """(colour range, epoch axis end): in compare mode over both runs, so that A's and B's heatmaps share
        their colours and axis; else (None: fitted and widened as the values grow, this run's end)."""
        runs = compared_runs(state, trainer)
        if len(runs) == 1:
            return None, flow_plots.heatmap_axis_end(epochs)
        values, ends = [], []
        for run in runs:
            run_epochs, run_columns = history_columns(run, layer_columns(run, prefix), upto=upto)
            values.append(np.column_stack(run_columns))
            ends.append(flow_plots.heatmap_axis_end(run_epochs))
        return flow_plots.shared_log_range(*values), max(ends)

    def figure() -> dict:
        epochs, columns = history_columns(trainer, names, upto=upto)
        value_range, axis_end = shared_scale(epochs)
        result, sync.memory["range"] = flow_plots.layer_heatmap_figure(
            epochs, np.column_stack(columns), title, 300, value_range=value_range, axis_end=axis_end
        )
        sync.memory["axis_end"] = axis_end
        return result

    def update(sync) -> dict:
        epochs, columns = history_columns(trainer, names, upto=upto)
        # The hover grid is restyled when the epoch axis steps (its columns move); between steps the
        # browser reads the hover values from each frame's image.
        shared_range, axis_end = shared_scale(epochs)
        result, sync.memory["range"] = flow_plots.layer_heatmap_update(
            epochs,
            np.column_stack(columns),
            sync.memory["range"],
            refresh_hover=axis_end != sync.memory["axis_end"],
            shared_range=shared_range,
            axis_end=axis_end,
        )
        sync.memory["axis_end"] = axis_end
        return result

    live_chart(
        state,
        key,
        version_of(state, trainer, key),
        shown_epoch(state, trainer),
        figure,
        update,
        300,
        subtitle="Weight gradient per layer" if prefix == GRAD_NORM else "Back-propagated error δ per layer",
    )


# ---- Layer health -------------------------------------------------------------------------------
def health_table_html(health: pd.DataFrame) -> str:
    """The verdicts as an HTML table: layer, verdict (coloured, reason on hover), reason."""
    rows = []
    for _, item in health.iterrows():
        background, colour = VERDICT_COLOURS.get(item["verdict"], ("#EEE", "#111"))
        reason = html.escape(str(item["reason"]))
        layer = "output" if item["kind"] == "output" else f"hidden {int(item['layer'])}"
        activation = html.escape(str(item["activation"]))
        rows.append(
            f"<tr><td style='padding:4px 10px'>W{int(item['layer'])} ({layer}, {activation})</td>"
            f"<td style='padding:4px 10px'><span title='{reason}' style='background:{background};color:{colour};"
            f"padding:2px 10px;border-radius:10px;font-weight:600'>{html.escape(item['verdict'])}</span></td>"
            f"<td style='padding:4px 10px;color:#3E4C59'>{reason}</td></tr>"
        )
    return (
        "<table style='border-collapse:collapse;width:100%;font-size:0.95rem'>"
        "<tr><th style='text-align:left;padding:4px 10px'>Layer</th><th style='text-align:left;padding:4px 10px'>"
        "Verdict</th><th style='text-align:left;padding:4px 10px'>Why</th></tr>" + "".join(rows) + "</table>"
    )


@streamed
def health_table(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    """The verdict per layer at the shown epoch."""
    row = _row_at(state, trainer)
    health = diagnostics.layer_health(row, list(trainer.network.hidden_activation_names), trainer.network.head.output)
    live_html(state, f"health_{name}", health_table_html(health), priority=4)


def layer_health(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    health_table(state, name, trainer)
    st.caption(HEALTH_CAPTION)
    left, right = st.columns(2, gap="medium")
    with left:
        history_chart(
            state,
            f"update_ratio_{name}",
            trainer,
            layer_columns(trainer, UPDATE_RATIO),
            lambda epochs, c: flow_plots.update_ratio_figure(
                epochs,
                np.column_stack(c),
                diagnostics.UPDATE_RATIO_HEALTHY,
                diagnostics.UPDATE_RATIO_LOW,
                diagnostics.UPDATE_RATIO_HIGH,
            ),
            lambda epochs, c: history_plots.gradient_norm_update(epochs, np.column_stack(c)),
            300,
            y_axis="log",
            y_include=(diagnostics.UPDATE_RATIO_LOW, diagnostics.UPDATE_RATIO_HIGH),
            same_scale=lambda run: layer_columns(run, UPDATE_RATIO),
            subtitle="Update-to-weight ratio per step",
            caption="How much one optimiser step changes each layer's weights, relative to their size (log scale). "
            "About 0.001 (green band) is healthy; far below, the layer hardly learns; far above, it is unstable.",
        )
    with right:
        hidden = trainer.network.n_layers - 1
        kinds = set(trainer.network.hidden_activation_names)
        if hidden and "relu" in kinds:
            prefix, title, limit = DEAD, "dead ReLU units", diagnostics.DEAD_LIMIT
            explanation = "Share of ReLU units that output 0 on every training point: they get no gradient, ever."
        elif hidden and kinds & {"tanh", "sigmoid"}:
            prefix, title, limit = SATURATION, "saturated outputs", diagnostics.SATURATION_LIMIT
            explanation = "Share of tanh/sigmoid outputs in the flat tails, where the derivative is nearly 0."
        else:
            prefix = None
        if prefix:
            names = [f"{prefix}{layer}" for layer in range(1, hidden + 1)]
            labels = [f"hidden {layer}" for layer in range(1, hidden + 1)]
            history_chart(
                state,
                f"{prefix}_{name}",
                trainer,
                names,
                lambda epochs, c: flow_plots.share_figure(epochs, np.column_stack(c), labels, title, limit),
                lambda epochs, c: history_plots.extend_update(epochs, [np.nan_to_num(v, nan=0.0) for v in c]),
                280,
                y_axis="fixed",
                subtitle=f"Share of {title} per hidden layer",
                caption=explanation + " The red dashed line is the warning threshold.",
            )
        history_chart(
            state,
            f"distance_{name}",
            trainer,
            layer_columns(trainer, DISTANCE),
            lambda epochs, c: history_plots.gradient_norm_figure(
                epochs, np.column_stack(c), 260, "‖W − W₀‖ / ‖W₀‖ (log)"
            ),
            lambda epochs, c: history_plots.gradient_norm_update(epochs, np.column_stack(c)),
            260,
            y_axis="log",
            same_scale=lambda run: layer_columns(run, DISTANCE),
            subtitle="Distance travelled since initialisation",
            caption="How far each layer's weights have moved from where they started. A frozen layer stays flat.",
        )


# ---- Histograms ---------------------------------------------------------------------------------
def histograms(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    if trainer.network.n_layers < 2:
        st.info("This network has no hidden layer: there is nothing between the input and the output to look at.")
        return
    left, right = st.columns(2, gap="medium")
    with left:
        histogram_chart(state, name, trainer, "activation")
    with right:
        histogram_chart(state, name, trainer, "delta")


HISTOGRAM_TEXT = {  # kind -> x-axis title, subtitle, caption
    "activation": (
        "activation a",
        "Activations",
        "Activations of each hidden layer over the training points. Piles at ±1 (tanh) or 0 and 1 (sigmoid) are "
        "saturated units; a spike at 0 for ReLU is dead or silent units.",
    ),
    "delta": (
        "log₁₀ |δ| (back-propagated error)",
        "Back-propagated errors",
        "Size of the error δ reaching each hidden layer, per point and unit, as a power of ten. Curves sliding left "
        "from the output side (light) to the input side (dark) are the gradient vanishing.",
    ),
}


@streamed
def histogram_chart(state: PlaygroundState, name: str, trainer: Trainer, kind: str) -> None:
    """Histograms of every hidden layer's activations (kind "activation") or log₁₀|δ| ("delta") at the shown epoch."""
    epoch, network = trainer.network_at(state.replay_epoch)
    with np.errstate(all="ignore"):
        if kind == "activation":
            hists = diagnostics.activation_histograms(network, trainer.X_train, bins=40)
        else:
            hists = diagnostics.gradient_histograms(network, trainer.X_train, trainer.y_train, bins=40, scale="log10")
    x_title, subtitle, caption = HISTOGRAM_TEXT[kind]
    key = f"hist_{kind}_{name}"
    edges = f"{hists[0].edges[0]:.3g}:{hists[0].edges[-1]:.3g}"  # new axis range: redraw whole
    version = f"{key}:{state.run_id}:{network.n_layers}:{state.replay_epoch}:{edges}"

    def update(sync) -> dict:
        totals = [max(int(h.counts.sum()), 1) for h in hists]
        return {
            "restyle": {
                "update": {
                    "x": [plot_style.round_decimals(h.centers, 4) for h in hists],
                    "y": [plot_style.round_decimals(h.counts / t, 4) for h, t in zip(hists, totals)],
                },
                "traces": list(range(len(hists))),
            }
        }

    live_chart(
        state,
        key,
        version,
        epoch,
        lambda: flow_plots.histogram_figure(hists, x_title),
        update,
        300,
        subtitle=subtitle,
        caption=caption,
    )


# ---- Predict & check ----------------------------------------------------------------------------
def predict_text(epoch: int) -> str:
    """What the Predict & check table is: prediction and measurement both at the weights of ``epoch``
    (``diagnostics.predicted_gains`` reads the network of the shown epoch, not the initial one)."""
    when = "the initial weights (epoch 0)" if epoch == 0 else f"the weights at epoch {epoch:,}"
    return (
        f"**Predict, then measure, both at {when}.** From those weights alone, theory predicts how much each "
        "layer scales the error on its way back: gain = fan_out × Var(W) × E[f′(z)²]. Multiply the gains from the "
        "output down and you get the predicted variance of δ in every layer; the last column is what backprop "
        "measures with the same weights. At epoch 0 this is the initialisation's prediction; later it says "
        "whether the trained weights still pass the error down."
    )


def design_note(network) -> str | None:
    """What the gain formula leaves out for a network with skip connections or normalisation (None: plain)."""
    parts = []
    if any(network.skips):
        layers = ", ".join(f"W{h + 1}" for h, skip in enumerate(network.skips) if skip)
        parts.append(
            f"Layers {layers} have a skip connection: the error reaching the layer below is δ from the skip "
            "*plus* the gated path, so it does not shrink by the gain shown"
        )
    if network.normalization != "none":
        kind = "Batch" if network.normalization == "batch" else "Layer"
        parts.append(
            f"{kind} norm rescales each layer's signal to unit variance times γ, so the scale of W no longer sets "
            "the gain (the check below covers γ and β with each layer's W and b)"
        )
    if not parts:
        return None
    return "The predicted gains are those of a plain stack. " + "; ".join(parts) + ": read the measured column."


def predict_and_check(state: PlaygroundState, name: str, trainer: Trainer) -> None:
    epoch, network = trainer.network_at(state.replay_epoch)
    gains = diagnostics.predicted_gains(network, trainer.X_train, trainer.y_train)
    st.markdown(predict_text(epoch))
    design = design_note(network)
    if design:
        st.info(design, icon=":material/info:")
    table = pd.DataFrame(
        {
            "layer": [f"W{int(layer)}" for layer in gains["layer"]],
            "activation": gains["activation"],
            "Var(W)": gains["weight_variance"],
            "E[f′(z)²]": gains["derivative_sq_mean"],
            "gain per layer": gains["backward_gain"],
            "predicted Var(δ)": gains["predicted_delta_variance"],
            "measured Var(δ)": gains["measured_delta_variance"],
        }
    )
    st.dataframe(
        table.style.format({column: "{:.3g}" for column in table.columns[2:]}),
        hide_index=True,
        width="stretch",
    )
    st.markdown(
        "**Check the gradients.** Backprop's gradient is compared with central differences "
        "(L(θ + h) − L(θ − h)) / 2h, h = 1e-5, on 8 training points. Relative error below 1e-7 is good, below "
        "1e-4 fine for ReLU-like kinks, above 1e-2 wrong."
    )
    if st.button("Check gradients", key=f"check_gradients_{name}"):
        with np.errstate(all="ignore"):
            result = diagnostics.gradient_check(
                network,
                trainer.X_train,
                trainer.y_train,
                trainer.config.regularization,
                trainer.config.regularization_rate,
            )
        state.gradient_checks[name] = (epoch, result)
    if name in state.gradient_checks:
        checked_epoch, result = state.gradient_checks[name]
        shown = pd.DataFrame(
            {
                "layer": [f"W{int(layer)}" for layer in result["layer"]],
                "entries checked": result["n_checked"],
                "relative error": result["relative_error"],
                "verdict": result["verdict"],
            }
        )
        st.caption(f"Checked at epoch {checked_epoch:,}.")
        st.dataframe(
            shown.style.format({"relative error": "{:.2e}"}).apply(
                lambda column: [f"background-color: {CHECK_COLOURS.get(v, '#FFF')}" for v in column], subset=["verdict"]
            ),
            hide_index=True,
            width="stretch",
        )
