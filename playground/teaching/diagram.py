"""What the network diagram shows, as plain arrays: every drawn unit's output over the input square,
the weights between drawn units, and the gradients of both.

The picture follows the TensorFlow Playground's (one column of units per layer, edges with width by
|w| and colour by sign) and adds a second colouring: |dL/dw| per edge and the error signal |delta|
per unit, on a log scale, so vanishing gradients show on the network itself.

Wide layers do not fit a column: a layer of more than ``MAX_DRAWN_UNITS`` units shows its first
``MAX_DRAWN_UNITS - 1`` units and one *aggregate* node standing for the rest (its count, and the
root mean square of their error signal), so a 12 x 64 network stays readable. Edges are drawn
between drawn units only; the layer's totals (‖W‖, ‖dL/dW‖ over every weight) travel alongside.

Image inputs (the 8x8 digits' 64 pixels, MNIST's 784) are one node in the input column, and each
first-layer unit is drawn as its incoming weights laid out as the side x side image (what that unit
looks for); no edges are drawn from the pixels.

The new layer kinds (playground/engine/layers.py) are drawn on the hidden layers they belong to: a skip
connection as an arc from the layer's input column to its output column, coloured in the gradient view
by the error signal that reaches the block's output y (``output_signal``: the skip hands mean |n dL/dy|
down to the layer's input unchanged); normalisation and dropout as marks on the layer's column, with
gamma and beta per unit.

Two passes, each in the mode its numbers are about (``playground.engine.layers.MODES``):
  - the unit pictures are predictions, made as the decision boundary is drawn: "predict" mode, so batch
    norm uses its running averages and dropout is off;
  - the gradients and error signals are a training step's: "measure" mode on the record sample, as the
    trainer's record measures them (batch norm on the sample's own statistics, no dropout noise), so the
    diagram's ‖dL/dW_l‖ and mean |n delta| are the gradient chart's at the same epoch.
The numbers are read from the engine's layers after these passes; nothing here restates their maths.

No UI here: the app turns a ``NetworkPicture`` into its chart payload (playground/ui/diagram_view.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from playground.engine.layers import Dense, HiddenBlock
from playground.engine.network import Network, Pass

MAX_DRAWN_UNITS = 16  # units drawn per column; wider layers aggregate the rest into one node
# The gradient colouring's fixed scale, log10 of |dL/dw| and of the error signal mean |n delta|: the same
# for every run, network and frame, so that one colour means one size everywhere (two runs side by side
# compare by colour). The top: a classifier's output error signal |p - y| is at most 1, and a weight's
# gradient is a mean of delta times an input or activation of about that size, so a healthy network
# stays below 1; above it the gradient explodes (the brightest colour, "≥1"). The bottom: 10^-8, where
# a step of any learning rate offered (at most 10) moves a weight by under a millionth, no learning;
# the gradient charts span the same eight decades. Values outside are clamped; hover gives the exact one.
GRADIENT_LOG_RANGE = (-8, 0)
THUMBNAIL_SIDE = 12  # each unit's output is sampled on a 12 x 12 grid over the input square


def drawn_units(width: int, max_units: int = MAX_DRAWN_UNITS) -> int:
    """How many of a layer's ``width`` units get their own node (the rest share an aggregate node)."""
    return width if width <= max_units else max_units - 1


@dataclass
class NetworkPicture:
    """The diagram of one network at one moment.

    Per unit layer k = 0 (inputs) .. L (outputs), with ``shown[k]`` = units drawn of ``sizes[k]``:
      thumbnails[k]  (shown[k], side, side) the unit's output over the input square, scaled to [-1, 1]
                     (or None: no picture for this layer, e.g. the pixels of an image input)
      thumb_scale[k] (shown[k],) what 1 on that scale stands for (the unit's largest |output|, or the
                     activation's bound)
      unit_error[k]  (shown[k],) mean over the sample of |n delta| (the per-example error signal
                     reaching the unit; k >= 1), NaN for the inputs
      hidden_error[k] root mean square of that signal over the units not drawn (NaN if all are drawn)
      biases[k]      (shown[k],) (k >= 1; empty for the inputs)
      gammas[k], betas[k]  (shown[k],) the normalisation's scale and shift of each hidden unit (empty for
                     the inputs, the outputs and a network without normalisation)
    Per weight layer l = 0 .. L-1 (from unit layer l to l + 1):
      weights[l], gradients[l]  (shown[l], shown[l + 1]) W and dL/dW between drawn units
      weight_norms[l], gradient_norms[l]  ‖W_l‖ and ‖dL/dW_l‖ over every weight of the layer
    ``edges_drawn[l]`` is False where the edges are not drawn (the pixels of an image input).
    For image inputs ``thumbnails[1]`` is (shown[1], side, side), side² = the number of pixels.
    Per hidden layer h = 0 .. L-2 (unit layer h + 1, whose input is unit layer h):
      skips[h]          True: the layer has a skip connection, y = x + block(x) (an arc from column h to h + 1)
      output_signal[h]  mean over the sample and all the layer's units of |n dL/dy|, y the layer's output
                        (after the skip): the error signal the skip carries down to the input unchanged
    normalization: "none", "batch" or "layer" (every hidden layer); dropout: the share dropped while training.
    """

    sizes: list[int]
    shown: list[int]
    thumbnails: list[np.ndarray | None]
    thumb_scale: list[np.ndarray]
    unit_error: list[np.ndarray]
    hidden_error: list[float]
    biases: list[np.ndarray]
    weights: list[np.ndarray]
    gradients: list[np.ndarray]
    weight_norms: list[float]
    gradient_norms: list[float]
    edges_drawn: list[bool]
    image_inputs: bool
    gammas: list[np.ndarray]
    betas: list[np.ndarray]
    skips: list[bool]
    output_signal: list[float]
    normalization: str
    dropout: float


def _scaled(values: np.ndarray, bound: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Columns of ``values`` (n, units) on [-1, 1], and what 1 stands for per unit (units,).

    A bounded activation keeps its own scale (tanh's ±1, so colours compare across units); an
    unbounded one (ReLU, linear, a feature like X₁²) is scaled by each unit's largest |value|.
    """
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    if bound is not None:
        scale = np.full(values.shape[1], bound)
    else:
        scale = np.abs(values).max(axis=0)
        scale[scale == 0] = 1.0
    return np.clip(values / scale, -1.0, 1.0), scale


# The output range of each activation, where it has one: sigmoid's (0, 1) is drawn as 2a - 1.
_BOUNDS = {"tanh": 1.0, "sigmoid": 1.0}


def _output_gradients(batch_pass: Pass) -> list[np.ndarray]:
    """dL/dy of each hidden layer's output y, (n, width) per hidden layer, after ``batch_pass.backward``.

    It is what the layer above handed down: the output layer's dx for the last hidden layer; for the
    others the next block's dx (its dense part's dx, plus dy itself when that block has a skip: the
    buffer HiddenBlock.backward returns)."""
    blocks = batch_pass.blocks
    above: list[Dense | HiddenBlock] = [*blocks[1:], batch_pass.output][: len(blocks)]
    return [layer.dx if isinstance(layer, Dense) or layer.skip else layer.dense.dx for layer in above]


def network_picture(
    network: Network,
    grid_inputs: np.ndarray | None,
    sample_inputs: np.ndarray,
    sample_labels: np.ndarray,
    max_units: int = MAX_DRAWN_UNITS,
) -> NetworkPicture:
    """The diagram of ``network``.

    grid_inputs: (THUMBNAIL_SIDE², n_inputs) the network inputs at a grid over the input square, rows
    ordered [x2][x1] (None for image inputs: the first layer is drawn from its weights instead);
    sample_inputs (n, n_inputs), sample_labels (n,): the training sample the gradients are measured on
    (the gradient chart's record sample, so ‖dL/dW_l‖ here equals that chart's value at this epoch).

    The unit pictures come from a "predict" pass over the grid (with batch norm: its running averages,
    as the decision boundary is drawn; dropout off); the gradients, error signals and the skips' signal
    from a "measure" pass over the sample (batch statistics, no dropout), as the trainer's record.
    A hidden unit's picture is the layer's output y, after the skip where there is one (y = x + block(x),
    what the next layer receives). The network is not changed: its gradient buffer is a copy's.
    """
    network = network.copy()
    sizes = network.layer_sizes
    n_layers = network.n_layers
    shown = [drawn_units(width, max_units) for width in sizes]
    image_inputs = grid_inputs is None
    if image_inputs:
        shown[0] = 1  # the pixels (8 x 8 or 28 x 28) are one node
        image_side = math.isqrt(sizes[0])
    with np.errstate(all="ignore"):
        cache = network.forward(sample_inputs, mode="measure")
        deltas = network.backward(cache, sample_labels, keep_deltas=True)
        output_gradients = _output_gradients(cache.pass_)
        grid = None if image_inputs else network.forward(grid_inputs, mode="predict")

    thumbnails: list[np.ndarray | None] = []
    thumb_scale: list[np.ndarray] = []
    for k in range(n_layers + 1):
        if image_inputs and k == 0:
            thumbnails.append(None)
            thumb_scale.append(np.ones(1))
            continue
        if image_inputs and k == 1:
            # What each first-layer unit looks for: its incoming weights as the side x side image.
            values, scale = _scaled(network.weights[0][:, : shown[1]], None)
            thumbnails.append(values.T.reshape(shown[1], image_side, image_side))
            thumb_scale.append(scale)
            continue
        if image_inputs:
            thumbnails.append(None)
            thumb_scale.append(np.ones(shown[k]))
            continue
        if k == 0:
            layer_values, bound = grid.activations[0], None
        elif k < n_layers:
            layer_values = grid.activations[k]
            # x + tanh(z) is not bounded by tanh's bound: a layer with a skip is scaled per unit.
            bound = None if network.skips[k - 1] else _BOUNDS.get(network.hidden_activation_names[k - 1])
        else:
            layer_values, bound = grid.outputs, (1.0 if network.head.problem != "regression" else None)
        layer_values = layer_values[:, : shown[k]]
        if bound is not None and (k == n_layers or network.hidden_activation_names[k - 1] == "sigmoid"):
            layer_values = 2.0 * layer_values - 1.0  # probabilities and sigmoid outputs: 0.5 is the middle
        values, scale = _scaled(layer_values, bound)
        thumbnails.append(values.T.reshape(shown[k], THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        thumb_scale.append(scale)

    n = sample_inputs.shape[0]
    unit_error: list[np.ndarray] = [np.full(shown[0], np.nan)]
    hidden_error: list[float] = [float("nan")]
    for layer, delta in enumerate(deltas):
        signal = np.abs(delta) * n  # the per-example error signal, as the history's mean |n delta|
        mean_signal = signal.mean(axis=0)
        unit_error.append(mean_signal[: shown[layer + 1]])
        rest = mean_signal[shown[layer + 1] :]
        hidden_error.append(float(np.sqrt(np.mean(rest * rest))) if rest.size else float("nan"))
    output_signal = [float(np.abs(gradient).mean()) * n for gradient in output_gradients]

    weights, gradients, edges_drawn = [], [], []
    for layer in range(n_layers):
        rows, cols = shown[layer], shown[layer + 1]
        drawn = not (image_inputs and layer == 0)
        edges_drawn.append(drawn)
        weights.append(network.weights[layer][:rows, :cols].copy() if drawn else np.zeros((1, cols)))
        gradients.append(network.grad_weights[layer][:rows, :cols].copy() if drawn else np.zeros((1, cols)))
    # gamma and beta per unit layer: none for the inputs and the output, nor without normalisation
    no_units = [np.zeros(0)] * (n_layers + 1)
    gammas, betas = list(no_units), list(no_units)
    for h, (gamma, beta) in enumerate(zip(network.gammas, network.betas)):
        gammas[h + 1], betas[h + 1] = gamma[: shown[h + 1]].copy(), beta[: shown[h + 1]].copy()
    return NetworkPicture(
        sizes=list(sizes),
        shown=shown,
        thumbnails=thumbnails,
        thumb_scale=thumb_scale,
        unit_error=unit_error,
        hidden_error=hidden_error,
        biases=[np.zeros(0)] + [b[: shown[k + 1]].copy() for k, b in enumerate(network.biases)],
        weights=weights,
        gradients=gradients,
        weight_norms=[float(np.linalg.norm(W)) for W in network.weights],
        gradient_norms=[float(np.linalg.norm(G)) for G in network.grad_weights],
        edges_drawn=edges_drawn,
        image_inputs=image_inputs,
        gammas=gammas,
        betas=betas,
        skips=list(network.skips),
        output_signal=output_signal,
        normalization=network.normalization,
        dropout=network.dropout,
    )


def thumbnail_grid(half_width: float, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """Points (side², 2) of a side x side grid over the square [-half_width, half_width]², rows [x2][x1]
    from the bottom row up (as the decision boundary's grid)."""
    axis = np.linspace(-half_width, half_width, side)
    x1, x2 = np.meshgrid(axis, axis)
    return np.column_stack([x1.ravel(), x2.ravel()])
