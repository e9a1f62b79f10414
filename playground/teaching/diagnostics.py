"""Gradient-flow diagnostics: gradient check, predicted gains, readouts, verdicts, histograms.

Pure functions of a ``Network`` and data, or of a history row; NumPy and pandas only.

Notation (as in ``network.py``):
  layer l          1-based weight layer; layer L = ``network.n_layers`` is the output layer
  fan_in, fan_out  W_l has shape (fan_in, fan_out) = (layer_sizes[l-1], layer_sizes[l])
  z_l, a_l         pre-activation and activation of layer l, (n_samples, fan_out); a_0 = X
  delta_l          per-example error dL_i/dz_l, (n_samples, fan_out): the delta of the
                   *mean* loss times n, exactly what the trainer's ``delta_*`` columns record,
                   so figures do not depend on how many points were used.

Every threshold is a named module constant next to the reason it has that value (sources: CS231n's
gradient-check and update-ratio rules of thumb, Glorot & Bengio 2010, He et al. 2015), so the UI
can quote them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from playground.engine.network import ForwardCache, Network
from playground.training.history import (
    DEAD,
    GRAD_NORM,
    SATURATION,
    TRAIN_LOSS,
    UPDATE_RATIO,
    layer_column,
    metric_column,
)

# ---- thresholds ------------------------------------------------------------------------------

# Gradient check, relative error |a - n| / max(|a|, |n|) (ANCHORS, CS231n's rule of thumb):
GRADIENT_CHECK_GOOD = 1e-7  # below: "good" (smooth network, float64, h = 1e-5)
GRADIENT_CHECK_KINKS = 1e-4  # below: "fine with kinks" (ReLU, L1: central differences straddle a kink)
GRADIENT_CHECK_WRONG = 1e-2  # below: "uncomfortable"; at or above: "wrong"
RELATIVE_ERROR_FLOOR = 1e-12  # denominator floor, so that 0 vs 0 is an error of 0, not 0/0

# Gradient ratio |grad W_l| / |grad W_L| (layer l against the output layer).
# Three orders of magnitude: with one learning rate for every layer, a layer whose gradient is
# 1000x smaller than the top's moves 1000x slower; if the top moves at the healthy update ratio
# 1e-3, that layer moves at 1e-6 per step, i.e. it is effectively frozen (lesson 1 measures
# 1e-6..1e-4; a ReLU + He network of the same depth stays above 1e-1, lesson 2).
VANISHING_GRADIENT_RATIO = 1e-3
EXPLODING_GRADIENT_RATIO = 1e3  # the mirror image: the lower layers take 1000x larger steps

# Update-to-weight ratio |delta W| / |W| of one optimiser step. About 1e-3 is healthy (ANCHORS,
# Karpathy's CS231n notes). The band is two orders of magnitude either side: below 1e-5 a layer
# needs over 10^5 steps to change its weights by their own size (too slow to see in a lesson);
# above 1e-1 one step rewrites 10 % of the weights, so successive steps no longer refine the
# previous ones (too fast, on the way to divergence).
UPDATE_RATIO_HEALTHY = 1e-3
UPDATE_RATIO_LOW = 1e-5
UPDATE_RATIO_HIGH = 1e-1
# Below this training loss (cross-entropy; ln 2 = 0.693 is chance for two classes, ln K for K) small
# steps are expected: the net has nearly fitted the training set, so a tiny update ratio is
# convergence, not a problem. Regression's loss has the target's units, so there R^2 decides.
CONVERGED_LOSS = 0.05
CONVERGED_R2 = 0.98

# Saturation share of a tanh/sigmoid layer: (sample, unit) values with |a| > 0.97 (sigmoid: a < 0.03
# or a > 0.97), as the trainer measures it. There f'(z) is at most 0.06 (tanh: 1 - 0.97^2) or 0.03
# (sigmoid: 0.97 * 0.03), so each saturated value passes back at most 6 % of its error. Above a
# half, most of the layer passes back almost nothing: the state Glorot & Bengio (2010) saw in the
# top sigmoid layer of a deep net with the old initialisation.
SATURATION_LIMIT = 0.5

# Dead share of a ReLU layer: units that are zero on every training point (they get no gradient
# ever again). ANCHORS: with a too-high learning rate as many as 40 % can die (lesson 5 measures
# 65-95 % over its three layers). A freshly He-initialised layer of 16-32 units has 0-20 % by chance (its inputs are
# all non-negative, so a unit whose weights are mostly negative can be born dead). We warn at
# more than a quarter: clearly above the birth rate, and well before the 40 % of a ruined run.
DEAD_LIMIT = 0.25

# Verdicts, most serious first: a layer gets the first one whose test it fails.
VERDICTS = ("diverged", "dead units", "saturated", "exploding", "vanishing", "too fast", "too slow", "healthy")

# Fixed histogram ranges for bounded activations, so successive frames share their axes.
ACTIVATION_RANGES: dict[str, tuple[float, float]] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
# Range of log10 |delta| for the log-scale gradient histogram: from far below float noise in a
# loss of order 1 up to errors 100x the largest an output unit can have (|p - y| <= 1).
LOG_DELTA_RANGE = (-12.0, 2.0)


# ---- helpers ---------------------------------------------------------------------------------


def _layer_indices(network: Network, layer: int) -> np.ndarray:
    """Indices in ``network.theta`` of weight layer ``layer``'s (0-based) parameters: W and b, and gamma
    and beta when that hidden layer is normalised (``network.layout``)."""
    indices = [np.arange(*network.layout.layer_span(layer))]
    indices += [
        np.arange(block.start, block.stop)
        for block in network.layout.blocks
        if block.layer == layer and block.kind in ("gamma", "beta")
    ]
    return np.concatenate(indices)


def _per_example_deltas(network: Network, cache: ForwardCache, output_error: np.ndarray) -> list[np.ndarray]:
    """Back-propagate a per-example output error ``(n, n_outputs)`` (or ``(n,)`` for one output)
    into [delta_1, ..., delta_L], each (n, fan_out), through the layers of ``cache`` (a "predict"
    pass: every example on its own, batch norm on its running averages, no dropout).

    The engine's own backward (``Pass.backward_from``); the network's gradient buffer is left as it was.
    """
    delta = np.asarray(output_error, dtype=np.float64).reshape(cache.logits.shape[0], -1)  # (n, n_outputs)
    saved_grad = network.grad.copy()
    try:
        cache.pass_.backward_from(np.ascontiguousarray(delta))
        return [d.copy() for d in cache.pass_.deltas]
    finally:
        network.grad[...] = saved_grad


def _latest_row(source: Any) -> Mapping[str, float]:
    """A history row from a Trainer (its latest row), a DataFrame (last row), a Series or a dict."""
    history = getattr(source, "history", None)
    if history is not None and hasattr(history, "latest"):
        return history.latest
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise ValueError("the history frame has no rows")
        return source.iloc[-1]
    if isinstance(source, (pd.Series, Mapping)):
        return source
    raise TypeError(f"expected a Trainer, a history DataFrame, a row (Series) or a dict, got {type(source).__name__}")


def _n_layers_in_row(row: Mapping[str, float]) -> int:
    keys = row.index if isinstance(row, pd.Series) else row.keys()
    numbers = [int(k[len(GRAD_NORM) :]) for k in keys if str(k).startswith(GRAD_NORM)]
    if not numbers:
        raise ValueError("the row has no grad_norm_W<l> columns")
    return max(numbers)


def _value(row: Mapping[str, float], key: str) -> float:
    try:
        value = row[key]
    except KeyError:
        return math.nan
    return math.nan if value is None else float(value)


def _sci(x: float) -> str:
    """1.2e-05 style, short enough for a sentence."""
    return f"{x:.1e}"


# ---- gradient check --------------------------------------------------------------------------


def classify_relative_error(err: float) -> str:
    """'good' (< 1e-7), 'fine with kinks' (< 1e-4), 'uncomfortable' (< 1e-2) or 'wrong' (>= 1e-2, or NaN)."""
    if not err < GRADIENT_CHECK_WRONG:  # also catches NaN
        return "wrong"
    if err < GRADIENT_CHECK_GOOD:
        return "good"
    if err < GRADIENT_CHECK_KINKS:
        return "fine with kinks"
    return "uncomfortable"


def gradient_check(
    network: Network,
    X: np.ndarray,
    y: np.ndarray,
    regularization: str = "none",
    rate: float = 0.0,
    n_points: int = 8,
    h: float = 1e-5,
    rng: np.random.Generator | None = None,
    max_entries_per_layer: int | None = 256,
) -> pd.DataFrame:
    """Compare backprop with central differences, layer by layer.

    X: (n_samples, n_inputs), y: (n_samples,). The check uses ``n_points`` training points drawn
    without replacement by ``rng`` (default: a fixed seed, so the check is repeatable) and the same
    loss the trainer minimises (the head's mean loss over those points plus the regulariser's penalty).
    Each checked parameter theta_i gets the numeric derivative (L(theta_i + h) - L(theta_i - h)) / 2h.

    The relative error of a layer is taken on the layer's whole vector (its W_l and b_l entries
    together): ``|a - n| / max(|a|, |n|, 1e-12)`` with Euclidean norms. A per-entry maximum is also
    given (``worst_entry_error``) but not used for the verdict: an entry whose true derivative is
    ~1e-10 has a finite-difference noise (~1e-16 / h = 1e-11) of its own size and would look
    "wrong" in a perfectly correct network. Caveat that remains: in a layer whose whole gradient
    has vanished to that level (deep sigmoid nets), no finite-difference check can be precise.

    Layers with more than ``max_entries_per_layer`` parameters are checked on that many entries
    drawn at random (``None``: all); the UI must stay responsive on a 12 x 64 network.

    The network is left exactly as it was: ``theta`` and the ``grad`` buffer are restored bit for bit.

    Returns one row per weight layer: layer (1-based), n_checked, analytic_norm, numeric_norm,
    abs_error (|a - n|), relative_error, worst_entry_error, verdict (``classify_relative_error``),
    at_noise_floor (True when abs_error is within 10x of the rounding noise central differences
    carry, ~ sqrt(n_checked) * eps * |L| / h: the discrepancy is explained by float rounding, so a
    poor relative error there says "this layer's gradient is too small to check precisely", not
    "backprop is wrong"; the verdict itself is left as computed).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    count = max(1, min(int(n_points), y.shape[0]))
    chosen = np.sort(rng.choice(y.shape[0], size=count, replace=False))
    X_check, y_check = X[chosen], y[chosen]

    theta, saved_theta, saved_grad = network.theta, network.theta.copy(), network.grad.copy()
    rows = []
    try:
        with np.errstate(all="ignore"):
            loss, analytic = network.loss_and_gradient(X_check, y_check, regularization, rate)
            # Rounding noise of one central difference: two losses each off by ~eps |L|, over 2h.
            entry_noise = np.finfo(np.float64).eps * max(abs(loss), np.finfo(np.float64).tiny) / h
            for layer in range(1, network.n_layers + 1):
                indices = _layer_indices(network, layer - 1)
                if max_entries_per_layer is not None and indices.size > max_entries_per_layer:
                    indices = np.sort(rng.choice(indices, size=max_entries_per_layer, replace=False))
                numeric = np.empty(indices.size)
                for k, i in enumerate(indices):
                    theta[i] = saved_theta[i] + h
                    loss_plus = network.loss(X_check, y_check, regularization, rate, mode="measure")
                    theta[i] = saved_theta[i] - h
                    loss_minus = network.loss(X_check, y_check, regularization, rate, mode="measure")
                    theta[i] = saved_theta[i]  # exact restore, not (theta + h) - h
                    numeric[k] = (loss_plus - loss_minus) / (2.0 * h)
                a = analytic[indices]
                difference = float(np.linalg.norm(a - numeric))
                a_norm, n_norm = float(np.linalg.norm(a)), float(np.linalg.norm(numeric))
                relative = difference / max(a_norm, n_norm, RELATIVE_ERROR_FLOOR)
                per_entry = np.abs(a - numeric) / np.maximum(
                    np.maximum(np.abs(a), np.abs(numeric)), RELATIVE_ERROR_FLOOR
                )
                rows.append(
                    {
                        "layer": layer,
                        "n_checked": int(indices.size),
                        "analytic_norm": a_norm,
                        "numeric_norm": n_norm,
                        "abs_error": difference,
                        "relative_error": relative,
                        "worst_entry_error": float(np.max(per_entry)) if per_entry.size else 0.0,
                        "verdict": classify_relative_error(relative),
                        "at_noise_floor": bool(difference <= 10.0 * np.sqrt(indices.size) * entry_noise),
                    }
                )
    finally:
        network.theta[...] = saved_theta
        network.grad[...] = saved_grad
    return pd.DataFrame(rows)


# ---- predict, then measure -------------------------------------------------------------------


def predicted_gains(network: Network, X: np.ndarray, y: np.ndarray | None = None) -> pd.DataFrame:
    """Per layer, the variance gains the theory predicts, next to what the network measures.

    X: (n_samples, n_inputs); y: (n_samples,) labels, optional (see ``measured_delta_variance``).

    ``weight_variance`` is the empirical Var(W_l) of the network's *actual* weights, taken about
    zero, i.e. mean(W_l^2): the quantity the initialisation formulas set (Glorot 2/(fan_in+fan_out),
    He 2/fan_in, ...) and that the theory assumes (zero-mean weights). Using the actual weights makes
    the prediction valid at any epoch and for any scheme (identity x sigma included), not just at
    initialisation. ``derivative_sq_mean`` is E[f'(z_l)^2] over the data and the layer's units; for
    the output layer it is 1, because the loss is taken at the logit (delta_L = p - y: the sigmoid's
    derivative cancels against the cross-entropy's), so the output's forward gain is to the logit.

    Forward view (how the signal's size grows layer by layer, linear-regime approximation):
      forward_gain_l = fan_in_l * Var(W_l) * E[f'(z_l)^2]
      forward_gain_product_l = prod_{k<=l} forward_gain_k   ~ E[a_l^2] / E[x^2]
      measured_signal_ratio_l = mean(a_l^2) / mean(x^2)   (output: the logits); second moments,
      not variances, since ReLU and sigmoid outputs are not zero-mean (sigmoid's offset of 0.5 is
      also why this view is poor for sigmoid layers).
    Backward view (how the error's size shrinks from the output down):
      backward_gain_l = fan_out_{l+1} * Var(W_{l+1}) * E[f'(z_l)^2]   for l < L; 1 for the output
      backward_gain_product_l = prod_{k=l}^{L} backward_gain_k   ~ Var(delta_l) / Var(delta_L)
      predicted_delta_variance_l = backward_gain_product_l * measured Var(delta_L)
    Measured: ``measured_delta_variance`` is np.var of the per-example deltas over all (sample, unit)
    entries, as the trainer's delta_variance column. With labels the output error is p - y (the
    trainer's figure); without, a fixed N(0, 1) probe error per example is back-propagated, which
    measures the backward gains without needing labels.

    Returns one row per weight layer (1-based ``layer``), columns: layer, fan_in, fan_out,
    activation, weight_variance, derivative_sq_mean, forward_gain, forward_gain_product,
    measured_signal_mean_square, measured_signal_ratio, backward_gain, backward_gain_product,
    predicted_delta_variance, measured_delta_variance, measured_delta_ratio.
    """
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(all="ignore"):
        cache = network.forward(X)
        if y is None:
            output_error = np.random.default_rng(0).standard_normal(cache.logits.shape)
        else:
            output_error = cache.outputs - network.targets(y)
        deltas = _per_example_deltas(network, cache, output_error)
        L = network.n_layers
        sizes = network.layer_sizes
        weight_variance = [float(np.mean(W * W)) for W in network.weights]
        derivative_sq = [
            float(np.mean(network.hidden_activations[l].derivative(cache.pass_.activated[l]) ** 2))
            for l in range(L - 1)
        ] + [1.0]
        forward_gain = [sizes[l] * weight_variance[l] * derivative_sq[l] for l in range(L)]
        backward_gain = [sizes[l + 2] * weight_variance[l + 1] * derivative_sq[l] for l in range(L - 1)] + [1.0]
        backward_product = list(np.cumprod(backward_gain[::-1])[::-1])
        signals = [*cache.activations[1:], cache.logits]
        input_power = float(np.mean(X * X))
        delta_variance = [float(np.var(d)) for d in deltas]
        rows = []
        for l in range(L):
            power = float(np.mean(signals[l] ** 2))
            rows.append(
                {
                    "layer": l + 1,
                    "fan_in": sizes[l],
                    "fan_out": sizes[l + 1],
                    "activation": network.hidden_activation_names[l] if l < L - 1 else "output (logit)",
                    "weight_variance": weight_variance[l],
                    "derivative_sq_mean": derivative_sq[l],
                    "forward_gain": forward_gain[l],
                    "forward_gain_product": float(np.prod(forward_gain[: l + 1])),
                    "measured_signal_mean_square": power,
                    "measured_signal_ratio": power / input_power if input_power else math.nan,
                    "backward_gain": backward_gain[l],
                    "backward_gain_product": float(backward_product[l]),
                    "predicted_delta_variance": float(backward_product[l]) * delta_variance[-1],
                    "measured_delta_variance": delta_variance[l],
                    "measured_delta_ratio": delta_variance[l] / delta_variance[-1] if delta_variance[-1] else math.nan,
                }
            )
    return pd.DataFrame(rows)


# ---- readouts --------------------------------------------------------------------------------


def gradient_ratio(source: Any) -> float:
    """|grad W_1| / |grad W_L| from a Trainer, a history frame (last row), a row or a dict.

    NaN when either norm is not finite or the last layer's is zero.
    """
    row = _latest_row(source)
    L = _n_layers_in_row(row)
    first, last = _value(row, layer_column(GRAD_NORM, 1)), _value(row, layer_column(GRAD_NORM, L))
    if not (math.isfinite(first) and math.isfinite(last)) or last == 0.0:
        return math.nan
    return first / last


def gradient_ratio_readout(source: Any) -> str:
    """The plain sentence: "Layer 1 receives 10^-5 of the gradient of the last layer (...)".

    ``source``: a Trainer (its latest row), a history DataFrame (its last row), a row or a dict with
    grad_norm_W<l> columns. k is log10(|grad W_1| / |grad W_L|) rounded to the nearest integer.
    """
    row = _latest_row(source)
    L = _n_layers_in_row(row)
    first, last = _value(row, layer_column(GRAD_NORM, 1)), _value(row, layer_column(GRAD_NORM, L))
    if L == 1:
        return "The network has a single weight layer, so there is no gradient ratio to show."
    figures = f"(|grad W1| / |grad W{L}| = "
    if not (math.isfinite(first) and math.isfinite(last)):
        return (
            "The gradients are not finite numbers: training has diverged. "
            "Reset, then lower the learning rate or the initial weights."
        )
    if first == 0.0 and last == 0.0:
        return "No layer receives any gradient: the output is stuck (dead units or a perfectly fitted training set)."
    if last == 0.0:
        return f"The last layer receives no gradient while layer 1 receives {_sci(first)}."
    if first == 0.0:
        return "Layer 1 receives no gradient at all (|grad W1| = 0): it cannot learn."
    ratio = first / last
    k = round(math.log10(ratio))
    figures += f"{_sci(ratio)})"
    if k == 0:
        return f"Layer 1 receives about as much gradient as the last layer {figures}."
    if k < 0:
        sentence = f"Layer 1 receives 10^{k} of the gradient of the last layer {figures}"
        return sentence + (": vanishing." if ratio < VANISHING_GRADIENT_RATIO else ".")
    sentence = f"Layer 1 receives 10^{k} times more gradient than the last layer {figures}"
    return sentence + (": exploding." if ratio > EXPLODING_GRADIENT_RATIO else ".")


def layer_health(
    source: Any, activations: Sequence[str] | None = None, output_activation: str | None = None
) -> pd.DataFrame:
    """A verdict in plain words for every weight layer, with the threshold that decided it.

    ``source``: a Trainer (its latest history row, and its activations), a history DataFrame (last
    row), a row (Series) or a dict with the trainer's columns (grad_norm_W<l>, update_ratio<l>,
    saturation<l>, dead<l>, optionally train_loss and epoch). ``activations``: the hidden layers'
    activation names, and ``output_activation`` the output's (sigmoid, softmax, linear), used for
    wording only (the saturation/dead columns are NaN where they do not apply); taken from the
    trainer when omitted.

    Tests, first failed wins (order of ``VERDICTS``):
      diverged    loss or the layer's gradient norm not finite
      dead units  ReLU layer with dead share > DEAD_LIMIT (0.25)
      saturated   tanh/sigmoid layer with saturation share > SATURATION_LIMIT (0.5)
      exploding   |grad W_l| / |grad W_L| > EXPLODING_GRADIENT_RATIO (1e3)
      vanishing   |grad W_l| / |grad W_L| < VANISHING_GRADIENT_RATIO (1e-3)
      too fast    update/weight ratio > UPDATE_RATIO_HIGH (1e-1)
      too slow    update/weight ratio < UPDATE_RATIO_LOW (1e-5), unless the training loss is
                  already below CONVERGED_LOSS (regression: R^2 above CONVERGED_R2); skipped at epoch 0
      healthy     none of the above
    Returns one row per layer: layer, kind ('hidden'/'output'), activation, verdict, reason (the
    deciding finding, e.g. "update/weight ratio 3.0e-06 < 1e-05: learning too slowly"), findings
    (every failed test, '; '-joined), gradient_ratio, update_ratio, saturation, dead.
    """
    row = _latest_row(source)
    if activations is None:
        network = getattr(source, "network", None)
        activations = getattr(network, "hidden_activation_names", None)
    if output_activation is None:
        head = getattr(getattr(source, "network", None), "head", None)
        output_activation = head.output if head is not None else "sigmoid"
    output = output_activation
    L = _n_layers_in_row(row)
    last_grad = _value(row, layer_column(GRAD_NORM, L))
    loss = _value(row, TRAIN_LOSS)
    epoch = _value(row, "epoch")
    loss_diverged = TRAIN_LOSS in row and not math.isfinite(loss)
    # Converged: small steps are expected (cross-entropy near 0; regression: R^2 near 1).
    r2 = _value(row, metric_column("train", "r2"))
    if metric_column("train", "r2") in row:
        converged = math.isfinite(r2) and r2 > CONVERGED_R2
        converged_text = f"the training R² {r2:.3f} > {CONVERGED_R2}"
    else:
        converged = math.isfinite(loss) and loss < CONVERGED_LOSS
        converged_text = f"the training loss {loss:.3f} < {CONVERGED_LOSS}"
    rows = []
    for layer in range(1, L + 1):
        kind = "output" if layer == L else "hidden"
        name = activations[layer - 1] if activations is not None and layer < L else (output if layer == L else "")
        grad = _value(row, layer_column(GRAD_NORM, layer))
        update = _value(row, layer_column(UPDATE_RATIO, layer))
        saturation = _value(row, layer_column(SATURATION, layer))
        dead = _value(row, layer_column(DEAD, layer))
        ratio = grad / last_grad if math.isfinite(grad) and math.isfinite(last_grad) and last_grad > 0 else math.nan
        findings: dict[str, str] = {}
        if loss_diverged or not math.isfinite(grad):
            findings["diverged"] = "loss or gradient is not a finite number: training diverged"
        if math.isfinite(dead) and dead > DEAD_LIMIT:
            findings["dead units"] = (
                f"{dead:.0%} of the units are zero on every training point > {DEAD_LIMIT:.0%}: dead units"
            )
        if math.isfinite(saturation) and saturation > SATURATION_LIMIT:
            findings["saturated"] = (
                f"{saturation:.0%} of the activations are saturated > {SATURATION_LIMIT:.0%}: saturated"
            )
        if layer < L and math.isfinite(ratio):
            if ratio > EXPLODING_GRADIENT_RATIO:
                findings["exploding"] = (
                    f"gradient {_sci(ratio)} x the last layer's > {EXPLODING_GRADIENT_RATIO:.0e}: exploding"
                )
            elif ratio < VANISHING_GRADIENT_RATIO:
                findings["vanishing"] = (
                    f"gradient {_sci(ratio)} of the last layer's < {VANISHING_GRADIENT_RATIO:.0e}: vanishing"
                )
        stepped = not (math.isfinite(epoch) and epoch == 0)
        if stepped and math.isfinite(update):
            if update > UPDATE_RATIO_HIGH:
                findings["too fast"] = (
                    f"update/weight ratio {_sci(update)} > {UPDATE_RATIO_HIGH:.0e}: learning too fast"
                )
            elif update < UPDATE_RATIO_LOW and not converged:
                findings["too slow"] = (
                    f"update/weight ratio {_sci(update)} < {UPDATE_RATIO_LOW:.0e}: learning too slowly"
                )
        verdict = next((v for v in VERDICTS if v in findings), "healthy")
        if verdict == "healthy":
            parts = []
            if layer < L and math.isfinite(ratio):
                parts.append(
                    f"gradient {_sci(ratio)} of the last layer's, within "
                    f"{VANISHING_GRADIENT_RATIO:.0e}..{EXPLODING_GRADIENT_RATIO:.0e}"
                )
            if stepped and math.isfinite(update):
                if update < UPDATE_RATIO_LOW:  # only reached when the loss is already low
                    parts.append(
                        f"update/weight ratio {_sci(update)} < {UPDATE_RATIO_LOW:.0e}, expected with {converged_text}"
                    )
                else:
                    parts.append(
                        f"update/weight ratio {_sci(update)} within {UPDATE_RATIO_LOW:.0e}..{UPDATE_RATIO_HIGH:.0e}"
                    )
            elif not stepped:
                parts.append("no update yet (epoch 0)")
            reason = "; ".join(parts) + ": healthy" if parts else "no warning sign: healthy"
        else:
            reason = findings[verdict]
        rows.append(
            {
                "layer": layer,
                "kind": kind,
                "activation": name,
                "verdict": verdict,
                "reason": reason,
                "findings": "; ".join(findings[v] for v in VERDICTS if v in findings),
                "gradient_ratio": ratio,
                "update_ratio": update,
                "saturation": saturation,
                "dead": dead,
            }
        )
    return pd.DataFrame(rows)


# ---- histograms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerHistogram:
    """Counts of one hidden layer's values: ``counts`` (bins,) int, ``edges`` (bins + 1,).

    ``counts.sum() + n_nonfinite == n_samples * fan_out``: values outside ``edges`` are counted in
    the end bins (so nothing silently disappears), non-finite ones (a diverged run) only in
    ``n_nonfinite``. ``scale`` is 'linear' (values) or 'log10' (log10 |value|).
    """

    layer: int  # 1-based hidden layer (= weight layer) number
    activation: str
    counts: np.ndarray
    edges: np.ndarray
    n_nonfinite: int = 0
    scale: str = "linear"

    @property
    def centers(self) -> np.ndarray:
        return 0.5 * (self.edges[:-1] + self.edges[1:])


def _histogram(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, int]:
    values = values.ravel()
    finite = np.isfinite(values)
    clipped = np.clip(values[finite], edges[0], edges[-1])
    counts, _ = np.histogram(clipped, bins=edges)
    return counts.astype(np.int64), int(values.size - finite.sum())


def _range_of(arrays: Sequence[np.ndarray], symmetric: bool) -> tuple[float, float]:
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return (-1.0, 1.0)
    low, high = min(float(a.min()) for a in finite), max(float(a.max()) for a in finite)
    if symmetric:
        high = max(abs(low), abs(high))
        low = -high
    if high - low <= 0:  # all values equal (e.g. an all-dead ReLU layer)
        low, high = low - 0.5, high + 0.5
    return low, high


def activation_histograms(
    network: Network, X: np.ndarray, bins: int = 30, value_range: tuple[float, float] | None = None
) -> list[LayerHistogram]:
    """Histogram of each hidden layer's activations a_l over the data, X: (n_samples, n_inputs).

    Edges: tanh [-1, 1] and sigmoid [0, 1] always (so frames of a training run are comparable);
    other activations use ``value_range`` when given (the UI can freeze the first frame's range),
    else the layer's own min..max. One list item per hidden layer; counts sum to n_samples * fan_out.
    """
    with np.errstate(all="ignore"):
        cache = network.forward(np.asarray(X, dtype=np.float64))
    result = []
    for layer, (name, a) in enumerate(zip(network.hidden_activation_names, cache.activations[1:]), start=1):
        low, high = ACTIVATION_RANGES.get(name) or value_range or _range_of([a], symmetric=False)
        edges = np.linspace(low, high, bins + 1)
        counts, nonfinite = _histogram(a, edges)
        result.append(LayerHistogram(layer, name, counts, edges, nonfinite))
    return result


def gradient_histograms(
    network: Network,
    X: np.ndarray,
    y: np.ndarray,
    bins: int = 30,
    value_range: tuple[float, float] | None = None,
    scale: str = "linear",
) -> list[LayerHistogram]:
    """Histogram of each hidden layer's back-propagated errors delta_l, X: (n, n_inputs), y: (n,).

    The values are the per-example deltas dL_i/dz_l (delta of the mean loss times n, as the
    trainer's delta columns), one per (sample, unit): n_samples * fan_out values per layer. Not the
    dW entries: the deltas are what shrinks layer by layer (Glorot & Bengio's back-propagated
    gradients), while dW_l = a_{l-1}^T delta_l / n mixes in the activations.

    scale='linear': values on edges shared by all layers, symmetric [-m, m] with m the largest
      |delta| of any hidden layer (or ``value_range``), so a vanishing layer shows as a spike at 0
      next to a wide upper layer, as in Glorot & Bengio's figure.
    scale='log10': log10 |delta| on fixed edges LOG_DELTA_RANGE (-12..2) (or ``value_range``), the
      view that separates 1e-6 from 1e-3 at all; exact zeros (dead ReLU units) fall in the lowest bin.
    """
    if scale not in ("linear", "log10"):
        raise ValueError("scale must be 'linear' or 'log10'")
    with np.errstate(all="ignore"):
        cache = network.forward(np.asarray(X, dtype=np.float64))
        output_error = cache.outputs - network.targets(y)
        hidden = _per_example_deltas(network, cache, output_error)[:-1]
        if scale == "log10":
            values = [np.log10(np.abs(d)) for d in hidden]  # -inf for exact zeros: clipped to the lowest bin
            values = [np.where(np.isneginf(v), LOG_DELTA_RANGE[0], v) for v in values]
            low, high = value_range or LOG_DELTA_RANGE
        else:
            values = hidden
            low, high = value_range or _range_of(values, symmetric=True)
    edges = np.linspace(low, high, bins + 1)
    result = []
    for layer, (name, v) in enumerate(zip(network.hidden_activation_names, values), start=1):
        counts, nonfinite = _histogram(v, edges)
        result.append(LayerHistogram(layer, name, counts, edges, nonfinite, scale))
    return result
