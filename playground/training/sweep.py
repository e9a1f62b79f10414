"""A learning-rate sweep: one run per rate from the same start, every rate in one batched computation.

    from playground import TrainingConfig, learning_rate_sweep
    frame = learning_rate_sweep(TrainingConfig(), np.geomspace(0.003, 0.3, 9), epochs=100)
    frame.pivot(index="epoch", columns="learning_rate", values="test_loss")

Every run is the run ``Trainer(replace(config, learning_rate=rate))`` would make: the Trainer's own data,
initial weights (``trainer.initial_theta``) and batch order (``trainer.shuffle_rng``: the same permutation
each epoch for every run, since it depends on the seed and not on the rate), its schedule
(``learning_rate_at(replace(config, learning_rate=rate), epoch)``), regulariser, clipping and optimiser.
The losses are those of the Trainer's history (``Trainer._record``): the head's mean loss on the record
sample (the first ``RECORD_POINTS`` training and test points) plus the regulariser's term.

How: the R runs' parameters are stacked as rows of one (R, n_parameters) matrix in the network's flat
layout (``ParameterLayout``), so each mini-batch is one forward and backward pass for all runs at once:
the batch (n, fan_in) is shared, each layer is a batched matrix product (R, n, fan_in) @ (R, fan_in, fan_out),
and the optimiser is the engine's own (``playground.engine.optimizers``) stepping the (R, n_parameters)
matrix with a learning rate per row, its state (momentum's velocity, Adam's moments) one row per run.
The activations' and heads' in-place kernels and the heads' losses are the engine's too. The arithmetic is
the Trainer's, operation for operation. Only the matrix products could round differently (NumPy need not sum
a batched product in the order BLAS sums a single one): on the configurations tested the runs equal separate
Trainers bit for bit, and the tests allow a relative 1e-9.

What the batched path covers: dense layers with every activation, every head (binary, multi-class,
regression), L1 and L2, gradient clipping (per run), SGD, momentum and Adam, schedules, skip connections
and dropout (every run draws the same masks, as separate Trainers with one seed do). Batch norm and layer
norm are not batched (batch norm's running averages would need their own per-run bookkeeping): such a
config falls back to training one ``Trainer`` per rate (``trainer_sweep``), which gives the same frame,
only more slowly.

Early stopping does not apply: every run trains ``epochs`` epochs (the sweep shows whole curves).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace

import numpy as np
import pandas as pd

from playground.engine.activations import inplace_kernels
from playground.engine.losses import REGULARIZERS
from playground.engine.network import Network, ParameterBlock
from playground.engine.optimizers import make_optimizer
from playground.training.config import MAX_LEARNING_RATE, MIN_LEARNING_RATE, TrainingConfig
from playground.training.history import EPOCH, LEARNING_RATE, TEST_LOSS, TRAIN_LOSS
from playground.training.schedules import learning_rate_at
from playground.training.trainer import RECORD_POINTS, Trainer

MAX_SWEEP_RATES = 32  # rates per sweep: a panel shows about nine
MAX_SWEEP_EPOCHS = 2000  # below the history's DEFAULT_MAX_ROWS, so the fallback's history is never thinned
SWEEP_COLUMNS = (LEARNING_RATE, EPOCH, TRAIN_LOSS, TEST_LOSS)


# ---- the public functions ----------------------------------------------------------------------------


def learning_rate_sweep(config: TrainingConfig, rates, epochs: int) -> pd.DataFrame:
    """Train one run of ``config`` per learning rate and return their loss curves.

    config: a TrainingConfig; its learning_rate is replaced by each rate in turn (early stopping is off).
    rates: 1 to MAX_SWEEP_RATES distinct finite numbers, each within the config's learning-rate bounds
        (MIN_LEARNING_RATE..MAX_LEARNING_RATE); the frame keeps their order.
    epochs: a whole number from 1 to MAX_SWEEP_EPOCHS.

    Returns a DataFrame of R * (epochs + 1) rows, run after run, with columns ``learning_rate``, ``epoch``
    (0 = before training, ..., epochs), ``train_loss`` and ``test_loss`` (as the history measures them).
    A run that diverges (non-finite training loss or parameters, the Trainer's test) has NaN losses from
    that epoch on; the other runs are unaffected. Raises ValueError naming a bad ``rates`` or ``epochs``,
    TypeError when ``config`` is not a TrainingConfig.

    One batched computation over all rates when ``batched_sweep_supports(config)``; else (batch norm, layer
    norm) one Trainer per rate (``trainer_sweep``), the same numbers more slowly.
    """
    rates, epochs = _checked(config, rates, epochs)
    if batched_sweep_supports(config):
        train_loss, test_loss = _batched_losses(config, rates, epochs)
    else:
        train_loss, test_loss = _trainer_losses(config, rates, epochs)
    return _frame(rates, train_loss, test_loss)


def trainer_sweep(config: TrainingConfig, rates, epochs: int) -> pd.DataFrame:
    """The same sweep made the plain way: one ``Trainer`` per rate, ``record_every=1``, one after another.
    The reference the batched sweep is tested and benchmarked against; arguments and frame as
    ``learning_rate_sweep``."""
    rates, epochs = _checked(config, rates, epochs)
    return _frame(rates, *_trainer_losses(config, rates, epochs))


def batched_sweep_supports(config: TrainingConfig) -> bool:
    """Whether the batched path covers ``config``: every design but batch norm and layer norm."""
    return config.normalization == "none"


# ---- arguments -----------------------------------------------------------------------------------------


def _checked(config, rates, epochs) -> tuple[np.ndarray, int]:
    """(rates as a float (R,) array, epochs as an int), or the error naming what is wrong."""
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}")
    if isinstance(rates, (str, bytes)) or not np.iterable(rates):
        raise ValueError(f"rates must be a sequence of learning rates, got {rates!r}")
    rates = list(rates)
    if not 1 <= len(rates) <= MAX_SWEEP_RATES:
        raise ValueError(f"rates must hold 1 to {MAX_SWEEP_RATES} learning rates, got {len(rates)}")
    for rate in rates:
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, numbers.Real) or not math.isfinite(rate):
            raise ValueError(f"rates must be finite numbers, got {rate!r}")
        if not MIN_LEARNING_RATE <= rate <= MAX_LEARNING_RATE:
            raise ValueError(
                f"rates must each be from {MIN_LEARNING_RATE:g} to {MAX_LEARNING_RATE:g} "
                f"(the learning rate's bounds), got {rate!r}"
            )
    rates = np.array(rates, dtype=np.float64)
    if np.unique(rates).size != rates.size:
        raise ValueError(f"rates must be distinct (one curve per rate), got {rates.tolist()}")
    if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, numbers.Integral):
        raise ValueError(f"epochs must be a whole number from 1 to {MAX_SWEEP_EPOCHS}, got {epochs!r}")
    if not 1 <= epochs <= MAX_SWEEP_EPOCHS:
        raise ValueError(f"epochs must be from 1 to {MAX_SWEEP_EPOCHS}, got {epochs}")
    return rates, int(epochs)


def _run_configs(config: TrainingConfig, rates: np.ndarray) -> list[TrainingConfig]:
    """One config per rate: the given one at that rate, without early stopping."""
    return [replace(config, learning_rate=float(rate), early_stopping=0) for rate in rates]


def _frame(rates: np.ndarray, train_loss: np.ndarray, test_loss: np.ndarray) -> pd.DataFrame:
    """The sweep's frame from (R, epochs + 1) loss arrays: one row per rate per epoch, run after run."""
    runs, points = train_loss.shape
    return pd.DataFrame(
        {
            LEARNING_RATE: np.repeat(rates, points),
            EPOCH: np.tile(np.arange(points, dtype=np.int64), runs),
            TRAIN_LOSS: train_loss.ravel(),
            TEST_LOSS: test_loss.ravel(),
        },
        columns=list(SWEEP_COLUMNS),
    )


# ---- one Trainer per rate (the fallback and the reference) -----------------------------------------------


def _trainer_losses(config: TrainingConfig, rates: np.ndarray, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_loss, test_loss), each (R, epochs + 1), from one Trainer per rate; NaN from divergence on."""
    train_loss = np.full((rates.size, epochs + 1), np.nan)
    test_loss = np.full_like(train_loss, np.nan)
    for run, run_config in enumerate(_run_configs(config, rates)):
        trainer = Trainer(run_config, record_every=1)
        trainer.train(epochs)
        history = trainer.history
        rows = history.column(EPOCH).astype(np.int64)
        stop = epochs + 1 if trainer.diverged_at is None else trainer.diverged_at
        kept = rows < stop
        train_loss[run, rows[kept]] = history.column(TRAIN_LOSS)[kept]
        test_loss[run, rows[kept]] = history.column(TEST_LOSS)[kept]
    return train_loss, test_loss


# ---- the batched path ------------------------------------------------------------------------------------


def _stacked_view(matrix: np.ndarray, block: ParameterBlock) -> np.ndarray:
    """One parameter block of every run: a view (R, *block.shape) of the (R, n_parameters) matrix."""
    view = matrix[:, block.start : block.stop].reshape(matrix.shape[0], *block.shape)
    assert np.shares_memory(view, matrix), "a parameter block must be a view, not a copy"
    return view


class _StackedRuns:
    """R networks of one design with their parameters stacked: ``theta`` and ``grad`` (R, n_parameters),
    each row laid out as ``network.theta``. ``W[l]`` (R, fan_in, fan_out), ``b[l]`` (R, 1, fan_out) and the
    gradients' ``grad_W[l]``, ``grad_b[l]`` (R, fan_out) are views into them."""

    def __init__(self, network: Network, initial_theta: np.ndarray, runs: int):
        self.network, self.runs = network, runs
        self.head = network.head
        self.theta = np.tile(initial_theta, (runs, 1))
        self.grad = np.zeros_like(self.theta)
        weights, biases = network.layout.of_kind("weight"), network.layout.of_kind("bias")
        self.W = [_stacked_view(self.theta, block) for block in weights]
        self.W_T = [W.transpose(0, 2, 1) for W in self.W]
        self.b = [_stacked_view(self.theta, block)[:, None, :] for block in biases]
        self.grad_W = [_stacked_view(self.grad, block) for block in weights]
        self.grad_b = [_stacked_view(self.grad, block) for block in biases]
        self.kernels = [inplace_kernels(activation) for activation in network.hidden_activations]
        self.dropout_rng = np.random.default_rng(0)  # replaced by the Trainer's seed (see _batched_losses)


class _StackedPass:
    """The forward and backward pass of ``playground.engine.network.Pass`` for R runs on the same n
    examples, in buffers allocated once. Hidden values (R, n, units); ``logits``, ``outputs`` (R, n, K).
    ``train``: dropout draws its masks (one (n, units) mask per hidden layer, shared by every run); else
    the pass is the record's (no dropout)."""

    def __init__(self, runs: _StackedRuns, n: int, train: bool):
        self.runs, self.n = runs, n
        R, sizes, network = runs.runs, runs.network.layer_sizes, runs.network
        hidden = sizes[1:-1]
        self.dropout = network.dropout if train else 0.0
        self.z = [np.empty((R, n, width)) for width in hidden]
        self.a = [np.empty((R, n, width)) for width in hidden]
        self.dz = [np.empty((R, n, width)) for width in hidden]
        # f'(z) into a float buffer, or a bool mask for ReLU, or nothing (linear), as ActivationLayer
        self.factor = [
            {"scratch": np.empty((R, n, width)), "mask": np.empty((R, n, width), dtype=bool)}.get(kernels.factor)
            for kernels, width in zip(runs.kernels, hidden)
        ]
        self.masks = [np.empty((n, width)) for width in hidden] if self.dropout > 0 else None
        self.dropped = [np.empty((R, n, width)) for width in hidden] if self.dropout > 0 else None
        self.dropped_dy = [np.empty((R, n, width)) for width in hidden] if self.dropout > 0 else None
        self.skips = list(network.skips)
        self.skip_y = [np.empty((R, n, width)) if skip else None for skip, width in zip(self.skips, hidden)]
        self.skip_dx = [np.empty((R, n, width)) if skip else None for skip, width in zip(self.skips, hidden)]
        # dL/dx of each weight layer's input; none for the first layer (nothing below it learns)
        self.dx = [None] + [np.empty((R, n, fan_in)) for fan_in in sizes[1:-1]]
        self.inputs: list[np.ndarray | None] = [None] * network.n_layers  # what each weight layer last read
        self.logits = np.empty((R, n, sizes[-1]))
        self.outputs = np.empty_like(self.logits)
        self.delta = np.empty_like(self.logits)
        # The head's kernels work on (rows, K): every run's examples as rows (softmax is per row)
        self.logits_rows, self.outputs_rows = self.logits.reshape(R * n, -1), self.outputs.reshape(R * n, -1)
        self._scale = np.array(1.0 / n)

    def forward(self, X: np.ndarray, outputs: bool = True) -> None:
        """X: (n, n_inputs), shared by the runs -> ``logits`` and (unless not ``outputs``: the record reads only
        the logits) ``outputs``, each (R, n, K)."""
        runs, x = self.runs, X
        for h, kernels in enumerate(runs.kernels):
            self.inputs[h] = x
            z, a = self.z[h], self.a[h]
            np.matmul(x, runs.W[h], out=z)
            np.add(z, runs.b[h], z)
            kernels.value(z, a)
            y = a
            if self.masks is not None:  # inverted dropout, as layers.Dropout: the same draws, in the same order
                mask = self.masks[h]
                runs.dropout_rng.random(out=mask)
                np.greater_equal(mask, self.dropout, mask)
                np.multiply(mask, 1.0 / (1.0 - self.dropout), mask)
                y = np.multiply(a, mask, self.dropped[h])
            if self.skips[h]:
                y = np.add(x, y, self.skip_y[h])
            x = y
        self.inputs[-1] = x
        np.matmul(x, runs.W[-1], out=self.logits)
        np.add(self.logits, runs.b[-1], self.logits)
        if outputs:
            runs.head.output_into(self.logits_rows, self.outputs_rows)

    def backward(self, T: np.ndarray) -> None:
        """Fill the runs' ``grad`` (R, n_parameters) for targets T: (n, K), after ``forward``."""
        delta = self.delta
        np.subtract(self.outputs, T, delta)  # (outputs - T) / n: dL/dz of the output, for every head
        np.multiply(delta, self._scale, delta)
        d = self._dense_backward(len(self.inputs) - 1, delta)
        for h in reversed(range(len(self.a))):
            dy = d
            if self.masks is not None:
                d = np.multiply(d, self.masks[h], self.dropped_dy[h])
            factor = self.factor[h]
            if factor is not None:  # linear: f'(z) = 1, dL/dz is dL/da itself
                self.runs.kernels[h].derivative(self.a[h], factor, factor)
                d = np.multiply(d, factor, self.dz[h])
            d = self._dense_backward(h, d)
            if self.skips[h] and d is not None:
                d = np.add(dy, d, self.skip_dx[h])

    def _dense_backward(self, layer: int, delta: np.ndarray) -> np.ndarray | None:
        """dL/dW = x^T delta, dL/db = delta summed over the batch, and dL/dx = delta W^T (None for layer 0)."""
        runs, x = self.runs, self.inputs[layer]
        x_T = x.T if x.ndim == 2 else x.transpose(0, 2, 1)  # the shared batch (n, fan_in), or (R, n, fan_in)
        np.matmul(x_T, delta, out=runs.grad_W[layer])
        np.add.reduce(delta, 1, None, runs.grad_b[layer])
        if layer == 0:
            return None
        return np.matmul(delta, runs.W_T[layer], out=self.dx[layer])


def _stacked_optimizer(name: str, runs: int, size: int):
    """The engine's optimiser stepping an (R, size) parameter matrix: its state vectors (velocity, moments:
    every (size,) array it holds, all zero at the start) become (R, size), one row per run, and its
    learning rate an (R, 1) column (set each epoch)."""
    optimizer = make_optimizer(name, 1.0, size)
    for attribute, value in vars(optimizer).items():
        if isinstance(value, np.ndarray) and value.shape == (size,):
            setattr(optimizer, attribute, np.zeros((runs, size)))
    return optimizer


def _batched_losses(config: TrainingConfig, rates: np.ndarray, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_loss, test_loss), each (R, epochs + 1), from one batched computation over the runs."""
    configs = _run_configs(config, rates)
    trainer = Trainer(configs[0])  # data, initial weights and batch order: the same for every rate
    network, R = trainer.network, rates.size
    runs = _StackedRuns(network, trainer.initial_theta, R)
    runs.dropout_rng = np.random.default_rng([config.weight_seed, 3])  # Trainer.reset's dropout stream
    theta, grad = runs.theta, runs.grad
    optimizer = _stacked_optimizer(config.optimizer, R, theta.shape[1])
    rule, rate = config.regularization, config.regularization_rate
    regularize = rule != "none" and rate > 0
    regularizer, weight_mask = REGULARIZERS[rule], network.weight_mask
    weights = weight_mask == 1.0
    clip = config.gradient_clip
    shuffle_rng = trainer.shuffle_rng
    X_train, T_train = trainer.X_train, trainer.T_train
    n_train = X_train.shape[0]
    batch = max(1, min(config.batch_size, n_train))
    shuffle = batch < n_train
    X, T = (np.empty_like(X_train), np.empty_like(T_train)) if shuffle else (X_train, T_train)
    passes: dict[int, _StackedPass] = {}
    batches = []
    for start in range(0, n_train, batch):
        stop = min(start + batch, n_train)
        if stop - start not in passes:
            passes[stop - start] = _StackedPass(runs, stop - start, train=True)
        batches.append((passes[stop - start], X[start:stop], T[start:stop]))
    n_record_train, n_record_test = min(RECORD_POINTS, n_train), min(RECORD_POINTS, trainer.X_test.shape[0])
    samples = [
        (_StackedPass(runs, n_record_train, train=False), X_train[:n_record_train], T_train[:n_record_train]),
        (
            _StackedPass(runs, n_record_test, train=False),
            trainer.X_test[:n_record_test],
            trainer.T_test[:n_record_test],
        ),
    ]
    losses = np.full((2, R, epochs + 1), np.nan)  # [train, test]
    live = np.ones(R, dtype=bool)

    def record(epoch: int) -> None:
        """The history's losses of the live runs at ``epoch``; a run whose training loss or parameters are
        not finite has diverged (Trainer._record's test) and stays NaN from here on."""
        for sample_pass, X_sample, _ in samples:
            sample_pass.forward(X_sample, outputs=False)
        finite = np.isfinite(theta).all(axis=1)
        for run in np.flatnonzero(live):
            penalty = rate * regularizer.value(theta[run, weights]) if regularize else 0.0
            row = [
                network.head.loss(sample_pass.logits[run], T_sample) + penalty for sample_pass, _, T_sample in samples
            ]
            if not (math.isfinite(row[0]) and finite[run]):
                live[run] = False
            else:
                losses[:, run, epoch] = row

    with np.errstate(all="ignore"):  # a diverging run overflows: it is reported as NaN, not warned about
        record(0)
        for epoch in range(epochs):
            if not live.any():
                break
            optimizer.learning_rate = np.array([[learning_rate_at(c, epoch)] for c in configs])
            if shuffle:  # Trainer._batches: one permutation per epoch from the shuffle stream
                order = shuffle_rng.permutation(n_train)
                np.take(X_train, order, axis=0, out=X)
                np.take(T_train, order, axis=0, out=T)
            for batch_pass, X_batch, T_batch in batches:
                batch_pass.forward(X_batch)
                batch_pass.backward(T_batch)
                if regularize:  # Network.add_regularization_gradient, every run at once
                    grad += rate * weight_mask * regularizer.gradient(theta)
                if clip:  # clip_by_global_norm per run (a NaN norm is not clipped: left for the divergence test)
                    # vecdot sums as np.dot does (einsum does not: an ulp apart, which a large rate amplifies)
                    norms = np.sqrt(np.vecdot(grad, grad))
                    scale = np.where(norms > clip, clip / norms, 1.0)
                    np.multiply(grad, scale[:, None], grad)
                optimizer.step(theta, grad)
            record(epoch + 1)
    return losses[0], losses[1]
