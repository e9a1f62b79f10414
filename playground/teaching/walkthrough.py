"""One training step on one example, read from the engine: the numbers of the backprop walkthrough.

``walkthrough(trainer, index)`` follows training row ``index`` (a row of ``trainer.train_points``)
through one optimiser step on that single example. It does not compute the maths again: it asks the
trainer for that step as a preview (``Trainer.step_on(..., apply=False)``: the engine's ``Pass``
forward and backward, the regulariser, clipping and the optimiser, on copies) and READS the layers'
buffers: each dense layer's z and delta, each normalisation's x_hat and output, each activation's output
and f', each block's output with its skip, the gradients and the update. ``playground.teaching.
walkthrough_steps`` turns those numbers into the steps the panel shows, with each layer kind's formula.
``apply_walkthrough`` then makes that step for real: ``trainer.step_on`` on the trainer itself, the same
calls on the same numbers, so the update applied is the update shown, bit for bit.

What one example's step uses (``STEP_MODE = "predict"``, the layers' prediction mode):
  batch norm   the running averages of the training batches' mean and variance, as fixed numbers (one
               example has no batch statistics worth the name: its mean is itself, every x_hat 0);
               before the first epoch they are mean 0, variance 1. The step does not update them.
  layer norm   the example's own mean and variance over the layer's units: exact, as in training.
  dropout      off, as at prediction time: no mask, every unit kept (no 1 / (1 - p) scaling).
  skip         y = x + f(x), as always.
  clipping     as in training: when the gradient's global norm exceeds ``gradient_clip``, the whole
               gradient is scaled by gradient_clip / norm before the optimiser's step.
Training batches run in "train" mode (batch statistics, dropout masks); for a network without batch
norm and dropout the two modes are the same maths.

Notation (one example, so vectors (n_l,); ``playground.engine.network`` has the batch form):
  unit layer k: 0 = the inputs, 1 .. L-1 the hidden layers, L the outputs; n_k units each
  weight layer l (1-based in the text, as the UI counts): W_l = network.weights[l - 1], (n_{l-1}, n_l)
  z_l = W_l^T a_{l-1} + b_l;  [x_hat_l = (z_l - mu) / sigma;  z~_l = gamma_l x_hat_l + beta_l];
  h_l = f(z~_l or z_l);  a_l = h_l (+ a_{l-1} with a skip);  a_0 = x;  a_L = y_hat, the outputs
  delta_l = dL/dz_l;  dL/dW_l = a_{l-1} delta_l^T (+ the regulariser's term);  dL/db_l = delta_l
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from playground.data.datasets import FEATURES
from playground.engine.network import Network
from playground.teaching.walkthrough_steps import (
    LOSS_NAMES,
    Step,
    build_steps,
    input_scaling_text,
)
from playground.training.trainer import SingleStep, Trainer

__all__ = [
    "STEP_MODE",
    "LayerNumbers",
    "Step",
    "Walkthrough",
    "apply_walkthrough",
    "check_index",
    "input_scaling_text",
    "largest_change",
    "step_count",
    "unit_labels",
    "walkthrough",
]

STEP_MODE = "predict"  # the layers' mode for one example's step: see the module notes
GIVEN = -1  # the "row" of an example given as it is (a digit drawn on the pad), not one of the training set

# ---- units as the walkthrough and the network diagram name them ---------------------------------


def unit_labels(trainer: Trainer) -> list[list[str]]:
    """Labels of every unit, per unit layer 0 .. L: inputs by feature (X₁, X₁², ...) or pixel
    (px3,4 = row 3, column 4 of the 8x8 or 28x28 image), hidden units h{layer}.{unit} (both 1-based: h2.3 is
    layer 2's third unit), outputs "out" (one output) or out.{class} (the class label, 0-based like
    the data's labels: out.7 is the output for digit 7)."""
    sizes = trainer.network.layer_sizes
    if trainer.inputs == "image":
        side = int(round(sizes[0] ** 0.5))
        inputs = [f"px{row + 1},{column + 1}" for row in range(side) for column in range(side)]
    else:
        inputs = [FEATURES[name][0] for name in trainer.config.features]
    hidden = [[f"h{layer}.{unit + 1}" for unit in range(width)] for layer, width in enumerate(sizes[1:-1], 1)]
    outputs = ["out"] if sizes[-1] == 1 else [f"out.{k}" for k in range(sizes[-1])]
    return [inputs, *hidden, outputs]


# ---- the numbers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerNumbers:
    """Hidden layer l's numbers for the example, copied from the engine's ``HiddenBlock`` after the step's
    forward and backward. Each (n_l,) unless said; the normalisation fields are None without it.

    forward:  z (the dense part's output); mean, std: the statistics x_hat used (batch norm: per unit,
        the running averages; layer norm: 0-d, this example's over the units; std = sqrt(var + eps));
        x_hat; gamma, beta; normalized = gamma x_hat + beta; h = f(normalized or z), the activation's
        output; a, the layer's output as the next layer sees it (h + a_{l-1} with a skip).
    backward: grad_a = dL/da_l, what the layer above sends down; backpropagated = W_{l+1} delta_{l+1}
        (the dense part above's dx); skip_grad = dL/da_{l+1}, the part that came down the skip of the
        layer above (None: no skip there), so grad_a = backpropagated (+ skip_grad); f_prime = f' at the
        activation's input; grad_normalized = dL/d(normalized) (the activation's dz); delta = dL/dz;
        grad_gamma, grad_beta.
    """

    normalization: str  # "none", "batch" or "layer"
    skip: bool  # a skip connection around this layer: a = a_{l-1} + h
    dropout: float  # the network's dropout rate (off in this step)
    z: np.ndarray
    mean: np.ndarray | None
    std: np.ndarray | None
    x_hat: np.ndarray | None
    gamma: np.ndarray | None
    beta: np.ndarray | None
    normalized: np.ndarray | None
    h: np.ndarray
    a: np.ndarray
    grad_a: np.ndarray | None
    backpropagated: np.ndarray | None
    skip_grad: np.ndarray | None
    f_prime: np.ndarray
    grad_normalized: np.ndarray | None
    delta: np.ndarray
    grad_gamma: np.ndarray | None
    grad_beta: np.ndarray | None


@dataclass(frozen=True)
class Walkthrough:
    """One training step on training row ``index`` at ``epoch``, every number of it (read from the engine).

    point: the row as stored (2D point (2,) in data coordinates, or an image (side²,)); label: its y.
    inputs: a_0 = x (n_0,), the features the network sees; target: t (n_L,) (one-hot for softmax).
    pre_activations: [z_1, ..., z_L], each (n_l,) (z_L: the logits); activations: [a_0, ..., a_L], each
        hidden a_l the layer's output as the next layer sees it; a_L = outputs (n_L,).
    hidden: [LayerNumbers] of hidden layers 1 .. L-1 (normalisation, activation, skip, their gradients).
    loss: the head's loss of this example; penalty: the regulariser's term (0 when off).
    deltas: [delta_1, ..., delta_L], each (n_l,).
    weights / biases: [W_l (n_{l-1}, n_l)] / [b_l (n_l,)] before the step; gammas / betas: [(n_l,)] per
        hidden layer with normalisation, else [].
    grad_weights / grad_biases / grad_gammas / grad_betas: dL/d of each, regulariser included, before
        clipping; data_gradient / gradient: the same flat (n_parameters,) without / with the regulariser;
        regularizer_gradient: the regulariser's term (gradient = data_gradient + it); step_gradient: what the
        optimiser was given (gradient after clipping); data_grad_weights / regularizer_grad_weights: the
        weights' parts of data_gradient / regularizer_gradient.
    gradient_norm: ||gradient||; clip_max: the config's gradient_clip (0: off); clip_scale: the factor
        the gradient was scaled by (1.0: not clipped).
    update (flat, n_parameters) and update_weights / update_biases / update_gammas / update_betas (its
        views, shaped as above): what the optimiser's step adds; theta_before / theta_after.
    statistics: batch norm's running averages the step used (the network's flat ``statistics``).
    optimizer_state: the optimiser's state the step used or made (flat arrays, e.g. "velocity").
    optimizer_after: a copy of the run's optimiser after this step (its velocity or moments moved on).
    mode: the layers' mode of the step (``STEP_MODE``); normalization, dropout: the network's design.
    steps: what the panel walks through, in order.
    """

    index: int
    epoch: int
    head: str
    loss_name: str
    regularization: str | None
    regularization_rate: float
    mode: str
    normalization: str
    dropout: float
    point: np.ndarray
    label: float
    inputs: np.ndarray
    target: np.ndarray
    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    hidden: list[LayerNumbers]
    loss: float
    penalty: float
    deltas: list[np.ndarray]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    gammas: list[np.ndarray]
    betas: list[np.ndarray]
    data_gradient: np.ndarray
    regularizer_gradient: np.ndarray
    gradient: np.ndarray
    step_gradient: np.ndarray
    data_grad_weights: list[np.ndarray]
    regularizer_grad_weights: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    grad_gammas: list[np.ndarray]
    grad_betas: list[np.ndarray]
    gradient_norm: float
    clip_max: float
    clip_scale: float
    update: np.ndarray
    update_weights: list[np.ndarray]
    update_biases: list[np.ndarray]
    update_gammas: list[np.ndarray]
    update_betas: list[np.ndarray]
    optimizer_state: dict[str, np.ndarray]
    theta_before: np.ndarray
    theta_after: np.ndarray
    statistics: np.ndarray
    optimizer_after: object
    labels: list[list[str]]
    steps: list[Step]

    @property
    def outputs(self) -> np.ndarray:
        return self.activations[-1]

    @property
    def total_loss(self) -> float:
        return self.loss + self.penalty

    @property
    def clipped(self) -> bool:
        return self.clip_scale != 1.0

    @property
    def skips(self) -> list[bool]:
        """skips[h]: hidden layer h + 1 has a skip connection."""
        return [layer.skip for layer in self.hidden]


def step_count(network: Network) -> int:
    """How many steps a walkthrough of ``network`` has: inputs, L forward, the loss, L backward, the update."""
    return 2 * network.n_layers + 3


def check_index(trainer: Trainer, index) -> int:
    """``index`` as a valid training row, or ValueError saying which rows exist."""
    n_train = trainer.y_train.shape[0]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n_train:
        raise ValueError(f"training row must be a whole number from 0 to {n_train - 1}, got {index!r}")
    return int(index)


def _one_example(trainer: Trainer, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Training row ``index`` as ``step_on`` takes it: points (1, 2) or images (1, side²), labels (1,)."""
    return trainer.train_points[index : index + 1], trainer.y_train[index : index + 1]


def given_example(trainer: Trainer, point: np.ndarray, label: float) -> tuple[np.ndarray, np.ndarray]:
    """An example not in the training set, as ``step_on`` takes it: (1, 2) or (1, side²), labels (1,).
    ValueError names a wrong shape or a label the problem does not have."""
    points = np.asarray(point, dtype=np.float64).reshape(1, -1)
    trainer.features(points)  # the shape check, with its message
    label = float(label)
    classes = trainer.config.classes
    if not np.isfinite(label) or (classes and (label != int(label) or not 0 <= label < classes)):
        raise ValueError(f"the label must be a class from 0 to {classes - 1}, got {label!r}")
    return points, np.array([label])


def walkthrough(trainer: Trainer, index: int, example: tuple[np.ndarray, float] | None = None) -> Walkthrough:
    """The steps of one training step on training row ``index`` alone, at the trainer's current weights; or on
    ``example`` = (point or image, label), an example given as it is (its index is then ``GIVEN``).

    Nothing in the trainer changes: the step is ``trainer.step_on(..., mode=STEP_MODE, apply=False)``.
    """
    if example is None:
        index = check_index(trainer, index)
        points, y = _one_example(trainer, index)
    else:
        index = GIVEN
        points, y = given_example(trainer, *example)
    one = trainer.step_on(points, y, mode=STEP_MODE, apply=False)
    network, batch_pass, layout = one.network, one.batch_pass, one.network.layout
    c = trainer.config
    rule = c.regularization if c.regularization != "none" and c.regularization_rate > 0 else None
    before = {kind: [v.copy() for v in layout.views(one.theta_before, kind)] for kind in ("weight", "bias")}
    before |= {kind: [v.copy() for v in layout.views(one.theta_before, kind)] for kind in ("gamma", "beta")}
    update = one.update
    state = _optimizer_state(trainer.optimizer, one.optimizer)
    # The regulariser's term as the engine adds it (onto a zero gradient here): data_gradient + it = gradient.
    probe = network.copy(theta=one.theta_before)
    probe.grad[...] = 0.0
    probe.add_regularization_gradient(c.regularization, c.regularization_rate)
    regularizer = probe.grad.copy()
    hidden = _read_hidden_layers(one)
    shown = Walkthrough(
        index=index,
        epoch=trainer.epoch,
        head=network.head.name,
        loss_name=LOSS_NAMES.get(network.head.name, network.head.label),
        regularization=rule,
        regularization_rate=c.regularization_rate if rule else 0.0,
        mode=one.mode,
        normalization=network.normalization,
        dropout=network.dropout,
        point=np.array(points[0], dtype=np.float64),
        label=float(y[0]),
        inputs=one.X[0].copy(),
        target=one.T[0].copy(),
        pre_activations=[layer.z for layer in hidden] + [batch_pass.logits[0].copy()],
        activations=[one.X[0].copy(), *(layer.a for layer in hidden), batch_pass.outputs[0].copy()],
        hidden=hidden,
        loss=float(one.loss),
        penalty=float(one.penalty),
        deltas=[delta[0].copy() for delta in batch_pass.deltas],
        weights=before["weight"],
        biases=before["bias"],
        gammas=before["gamma"],
        betas=before["beta"],
        data_gradient=one.data_gradient,
        regularizer_gradient=regularizer,
        gradient=one.gradient,
        step_gradient=network.grad.copy(),
        data_grad_weights=layout.views(one.data_gradient, "weight"),
        regularizer_grad_weights=layout.views(regularizer, "weight"),
        grad_weights=layout.views(one.gradient, "weight"),
        grad_biases=layout.views(one.gradient, "bias"),
        grad_gammas=layout.views(one.gradient, "gamma"),
        grad_betas=layout.views(one.gradient, "beta"),
        gradient_norm=float(one.gradient_norm),
        clip_max=float(c.gradient_clip),
        clip_scale=float(one.clip_scale),
        update=update,
        update_weights=layout.views(update, "weight"),
        update_biases=layout.views(update, "bias"),
        update_gammas=layout.views(update, "gamma"),
        update_betas=layout.views(update, "beta"),
        optimizer_state=state,
        theta_before=one.theta_before,
        theta_after=one.theta_after,
        statistics=network.statistics.copy(),
        optimizer_after=one.optimizer,
        labels=unit_labels(trainer),
        steps=[],
    )
    return dataclasses.replace(shown, steps=build_steps(trainer, shown, network.layout))


def _read_hidden_layers(one: SingleStep) -> list[LayerNumbers]:
    """Every hidden block's buffers for the one example (row 0), copied (see ``LayerNumbers``)."""
    batch_pass, network = one.batch_pass, one.network
    blocks, output = batch_pass.blocks, batch_pass.output
    layout = network.layout
    # gamma and beta as the forward pass used them: the layers' own views show them after the optimiser's step
    gammas, betas = layout.views(one.theta_before, "gamma"), layout.views(one.theta_before, "beta")
    gammas_grad, betas_grad = layout.views(one.gradient, "gamma"), layout.views(one.gradient, "beta")
    # received[h]: dL/d(block h's output), what the layer above sent down: its dense part's dx, plus, with a
    # skip there, the gradient that reached that layer's output, passed on unchanged (HiddenBlock.dx).
    dense_dx = [block.dense.dx for block in blocks[1:]] + [output.dx]
    received = [above.dx if above.skip else dx for dx, above in zip(dense_dx[:-1], blocks[1:])]
    received.append(output.dx)
    layers = []
    for h, block in enumerate(blocks):
        skip_above = h + 1 < len(blocks) and blocks[h + 1].skip
        activation, norm = block.activation, block.norm
        factor = activation.factor  # f' at the activation's input, as the backward pass filled it
        f_prime = np.ones_like(activation.a[0]) if factor is None else factor[0].astype(np.float64)
        mean = std = None
        if norm is not None:
            # sqrt(var + eps) per unit of the example: inverse_std is (width,) or (1, width) for batch norm,
            # (n, 1) for layer norm (one number per example)
            std = 1.0 / np.broadcast_to(norm.inverse_std, norm.x_hat.shape)[0]
            if not norm.batch_statistics:  # batch norm as predictions run: its running averages
                mean = network.running[h].averages()[0].copy()
            else:  # the statistics of the values standardised: x_hat = (z - mean) / std, so mean = z - std x_hat
                mean = block.dense.z[0] - std * norm.x_hat[0]
            if network.normalization == "layer":  # one mean and std for the example, over its units
                std, mean = np.float64(std[0]), np.float64(np.mean(mean))
        layers.append(
            LayerNumbers(
                normalization=network.normalization,
                skip=block.skip,
                dropout=network.dropout,
                z=block.dense.z[0].copy(),
                mean=mean,
                std=std,
                x_hat=None if norm is None else norm.x_hat[0].copy(),
                gamma=None if norm is None else gammas[h].copy(),
                beta=None if norm is None else betas[h].copy(),
                normalized=None if norm is None else norm.y[0].copy(),
                h=activation.a[0].copy(),
                a=batch_pass.hidden[h][0].copy(),
                grad_a=None if received[h] is None else received[h][0].copy(),
                backpropagated=None if dense_dx[h] is None else dense_dx[h][0].copy(),
                skip_grad=received[h + 1][0].copy() if skip_above else None,
                f_prime=f_prime,
                grad_normalized=None if norm is None else activation.dz[0].copy(),
                delta=block.dense.delta[0].copy(),
                grad_gamma=None if norm is None else gammas_grad[h].copy(),
                grad_beta=None if norm is None else betas_grad[h].copy(),
            )
        )
    return layers


def _optimizer_state(optimizer, after) -> dict[str, np.ndarray]:
    """The optimiser's state the step used and made, read from the optimiser before and after (flat arrays)."""
    if hasattr(optimizer, "velocity"):
        return {"velocity_before": optimizer.velocity.copy(), "velocity": after.velocity.copy()}
    if hasattr(optimizer, "first_moment"):
        return {"first_moment": after.first_moment.copy(), "second_moment": after.second_moment.copy()}
    return {}


# ---- after the step --------------------------------------------------------------------------------


def largest_change(shown: Walkthrough) -> tuple[int, str, str, float, float]:
    """The weight the update moves most: (weight layer, 1-based; the unit it comes from; the unit it goes
    to, labelled as the tables label them; its value before; its change). NaN updates count as 0."""
    best = (1, 0, 0, -1.0)
    for layer, dW in enumerate(shown.update_weights, 1):
        size = np.nan_to_num(np.abs(dW), nan=0.0, posinf=0.0)
        row, column = np.unravel_index(int(np.argmax(size)), size.shape)
        if size[row, column] > best[3]:
            best = (layer, int(row), int(column), float(size[row, column]))
    layer, row, column, _ = best
    old = float(shown.weights[layer - 1][row, column])
    delta = float(shown.update_weights[layer - 1][row, column])
    return layer, shown.labels[layer - 1][row], shown.labels[layer][column], old, delta


def apply_walkthrough(trainer: Trainer, shown: Walkthrough) -> None:
    """Make the step ``shown`` describes, for real: ``trainer.step_on`` on that one training row, in the
    same mode, on the trainer's own network and optimiser.

    The weights become ``shown.theta_after`` (the update shown, bit for bit: the same calls on the same
    numbers), the optimiser's state moves on as that step moves it (momentum's velocity, Adam's moments
    and step count), and the history gets a row measured at the new weights. The epoch count does not
    change: one step on one example is not an epoch. Raises ValueError when the trainer is no longer
    where ``shown`` was computed (other weights, running averages, data, network or training settings),
    so a stale update is never applied, and when the update is not finite (a diverged run).
    """
    network = trainer.network
    if (
        shown.theta_before.shape != network.theta.shape
        or not np.array_equal(shown.theta_before, network.theta, equal_nan=True)
        or not np.array_equal(shown.statistics, network.statistics, equal_nan=True)
        or (
            shown.index != GIVEN
            and (
                shown.index >= trainer.y_train.shape[0]
                or not np.array_equal(shown.point, trainer.train_points[shown.index])
                or not np.array_equal(shown.inputs, trainer.X_train[shown.index])
            )
        )
    ):
        raise ValueError("the weights or the data changed since this update was worked out; it was not applied")
    if not np.all(np.isfinite(shown.update)):
        raise ValueError("this update is not a finite number (training has diverged); it was not applied")
    if shown.index == GIVEN:
        points, y = shown.point.reshape(1, -1), np.array([shown.label])
    else:
        points, y = _one_example(trainer, shown.index)
    preview = trainer.step_on(points, y, mode=shown.mode, apply=False)
    if not np.array_equal(preview.theta_after, shown.theta_after):
        raise ValueError("the training settings changed since this update was worked out; it was not applied")
    trainer.step_on(points, y, mode=shown.mode)
