"""The layers a network is made of, each kind's forward and backward side by side.

A layer is bound to one batch size ``n`` and works in buffers allocated once (on networks this small
the fixed cost of a NumPy call outweighs its arithmetic, so nothing is allocated per batch). Every layer
has the same two methods:

    forward(x, mode) -> y     x: (n, width_in), y: (n, width_out); y is the layer's own buffer
    backward(dy) -> dx        dy = dL/dy: (n, width_out) -> dx = dL/dx: (n, width_in); fills the
                              layer's parameter gradients (views into the network's flat ``grad``)

``mode`` says what the forward pass is for (``MODES``):
    "train"    a training step: batch norm uses the batch's statistics and updates its running averages;
               dropout draws a new mask from the network's seeded generator.
    "measure"  the same maths without side effects or noise: batch statistics, no running update, no
               dropout. The record's gradients and the gradient check use it.
    "predict"  predictions and evaluation: batch norm uses its running averages, dropout is off.

Notation as in ``playground.engine.network``: z the pre-activation (a dense layer's output), a the
activation, delta = dL/dz. A hidden layer of the network is the block

    dense -> [batch norm | layer norm] -> activation -> [dropout]      (+ its input, with a skip)

so its delta (dL/dz) is what the dense layer's backward receives.
"""

from __future__ import annotations

import numpy as np

from playground.engine.activations import Activation, inplace_kernels

MODES = ("train", "measure", "predict")
NORM_EPSILON = 1e-5  # added to the variance before the square root (as PyTorch and Keras do)
RUNNING_DECAY = 0.9  # running average <- 0.9 * running average + 0.1 * this batch's statistic


class Dense:
    """z = x W + b.    W: (fan_in, fan_out), b: (fan_out,).

    Backward, for dz = delta (n, fan_out):  dL/dW = x^T delta,  dL/db = sum of delta over the batch,
    dL/dx = delta W^T. ``needs_dx`` is False for the first layer (nothing below it learns from dx).
    """

    kind = "dense"

    def __init__(self, W, b, grad_W, grad_b, n: int, needs_dx: bool = True):
        self.W, self.b, self.grad_W, self.grad_b = W, b, grad_W, grad_b
        fan_in, fan_out = W.shape
        self.z = np.empty((n, fan_out))
        self.dx = np.empty((n, fan_in)) if needs_dx else None
        self.x = self.delta = None

    def forward(self, x: np.ndarray, mode: str) -> np.ndarray:
        self.x = x
        np.dot(x, self.W, self.z)
        np.add(self.z, self.b, self.z)
        return self.z

    def backward(self, delta: np.ndarray) -> np.ndarray | None:
        self.delta = delta  # dL/dz of this weight layer: the history's error signal reads it
        np.dot(self.x.T, delta, self.grad_W)
        np.add.reduce(delta, 0, None, self.grad_b)
        if self.dx is not None:
            np.dot(delta, self.W.T, self.dx)
        return self.dx


class ActivationLayer:
    """a = f(z), elementwise.  Backward: dL/dz = dL/da * f'(z), with f'(z) written in terms of the
    output a (``playground.engine.activations``), so only a is kept."""

    kind = "activation"

    def __init__(self, activation: Activation, n: int, width: int):
        self.activation = activation
        self.kernels = inplace_kernels(activation)
        self.a = np.empty((n, width))
        self.dz = np.empty((n, width))
        # f'(z) goes into a float buffer, or a bool mask for ReLU (multiplying by it casts it)
        self.factor = {"scratch": np.empty((n, width)), "mask": np.empty((n, width), dtype=bool)}.get(
            self.kernels.factor
        )  # None: f'(z) is exactly 1 (linear)

    def forward(self, z: np.ndarray, mode: str) -> np.ndarray:
        self.kernels.value(z, self.a)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        if self.factor is None:
            np.copyto(self.dz, da)
            return self.dz
        self.kernels.derivative(self.a, self.factor, self.factor)  # fills whichever buffer it uses
        np.multiply(da, self.factor, self.dz)
        return self.dz


class Normalization:
    """Batch norm (statistics over the batch, per unit) or layer norm (over the units, per example).

        mean, var over ``axis``;  x_hat = (x - mean) / sqrt(var + eps);  y = gamma * x_hat + beta

    gamma, beta: (width,), trained. Batch norm in "predict" mode uses running averages of the training
    batches' mean and variance instead (bias-corrected like Adam's moments, so the first epochs' averages
    are not pulled towards their zero start). Backward (m = the number of values each statistic averages):

        dL/dbeta = sum over the batch of dy;  dL/dgamma = sum over the batch of dy * x_hat
        dL/dx_hat = dy * gamma
        dL/dx = (dL/dx_hat - mean(dL/dx_hat) - x_hat * mean(dL/dx_hat * x_hat)) / sqrt(var + eps)

    the means taken over ``axis``: the statistics depend on every value they average, hence the two
    correction terms. With fixed statistics (predict mode) dL/dx is just dL/dx_hat / sqrt(var + eps).
    """

    def __init__(self, kind: str, gamma, beta, grad_gamma, grad_beta, running, n: int, width: int):
        if kind not in ("batch", "layer"):
            raise ValueError(f"normalization must be 'batch' or 'layer', got {kind!r}")
        self.kind = f"{kind}_norm"
        self.axis = 0 if kind == "batch" else 1
        self.gamma, self.beta, self.grad_gamma, self.grad_beta = gamma, beta, grad_gamma, grad_beta
        self.running = running  # batch norm: RunningStatistics of this layer; layer norm: None
        self.x_hat = np.empty((n, width))
        self.y = np.empty((n, width))
        self.dx = np.empty((n, width))
        self.scratch = np.empty((n, width))
        # One statistic per unit for batch norm (1, width), per example for layer norm (n, 1)
        statistic = (1, width) if kind == "batch" else (n, 1)
        self.mean, self.variance, self.inverse_std = np.empty(statistic), np.empty(statistic), np.empty(statistic)
        self.mean_dx_hat, self.mean_dx_hat_x_hat = np.empty(statistic), np.empty(statistic)
        self.count = np.array(float(n if kind == "batch" else width))  # values each statistic averages
        self.batch_statistics = True

    def _average(self, values: np.ndarray, out: np.ndarray) -> np.ndarray:
        """out <- the mean of values over ``axis`` (what np.mean(values, axis, keepdims=True) computes,
        the same sum divided by the same count, into a buffer allocated once)."""
        np.add.reduce(values, self.axis, None, out, True)
        return np.divide(out, self.count, out)

    def forward(self, x: np.ndarray, mode: str) -> np.ndarray:
        self.batch_statistics = self.running is None or mode != "predict"
        if self.batch_statistics:
            mean = self._average(x, self.mean)
            np.subtract(x, mean, self.x_hat)  # x - mean, standardised below
            np.multiply(self.x_hat, self.x_hat, self.scratch)
            variance = self._average(self.scratch, self.variance)
            if mode == "train" and self.running is not None:
                self.running.update(mean.ravel(), variance.ravel())
        else:
            mean, variance = self.running.averages()
            np.subtract(x, mean, self.x_hat)
        np.add(variance, NORM_EPSILON, self.inverse_std)  # 1 / sqrt(var + eps)
        np.sqrt(self.inverse_std, self.inverse_std)
        np.divide(1.0, self.inverse_std, self.inverse_std)
        np.multiply(self.x_hat, self.inverse_std, self.x_hat)
        np.multiply(self.x_hat, self.gamma, self.y)
        np.add(self.y, self.beta, self.y)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        np.add.reduce(dy, 0, None, self.grad_beta)
        np.multiply(dy, self.x_hat, self.scratch)
        np.add.reduce(self.scratch, 0, None, self.grad_gamma)
        dx_hat = np.multiply(dy, self.gamma, self.dx)
        if self.batch_statistics:
            # correction = mean(dx_hat) + x_hat * mean(dx_hat * x_hat), then dx_hat - correction
            self._average(dx_hat, self.mean_dx_hat)
            np.multiply(dx_hat, self.x_hat, self.scratch)
            self._average(self.scratch, self.mean_dx_hat_x_hat)
            correction = np.multiply(self.x_hat, self.mean_dx_hat_x_hat, self.scratch)
            np.add(self.mean_dx_hat, correction, correction)
            np.subtract(dx_hat, correction, self.dx)
        np.multiply(self.dx, self.inverse_std, self.dx)
        return self.dx


class RunningStatistics:
    """Batch norm's running averages of the batch mean and variance for one layer, as views into the
    network's flat ``statistics`` vector [mean (width), variance (width), steps (1)] so that a snapshot
    or a model file keeps them with the weights. Bias-corrected: after t batches the average is
    sum_k 0.1 * 0.9^(t-k) stat_k / (1 - 0.9^t), so after one batch it is that batch's statistic."""

    def __init__(self, vector: np.ndarray, width: int):
        self.mean, self.variance, self.steps = vector[:width], vector[width : 2 * width], vector[2 * width :]

    def update(self, mean: np.ndarray, variance: np.ndarray) -> None:
        self.mean *= RUNNING_DECAY
        self.mean += (1 - RUNNING_DECAY) * mean
        self.variance *= RUNNING_DECAY
        self.variance += (1 - RUNNING_DECAY) * variance
        self.steps += 1

    def averages(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance), each (width,); before any training batch: mean 0, variance 1."""
        steps = float(self.steps[0])
        if steps == 0:
            return np.zeros_like(self.mean), np.ones_like(self.variance)
        correction = 1.0 - RUNNING_DECAY**steps
        return self.mean / correction, self.variance / correction


class Dropout:
    """Inverted dropout: in "train" mode each unit is kept with probability 1 - p and scaled by
    1 / (1 - p), so the expected output equals the input and nothing changes at prediction time;
    in the other modes it passes its input on. Backward: dL/dx = dL/dy * the same scaled mask.
    Masks come from the network's seeded generator: the same config replays bit for bit."""

    kind = "dropout"

    def __init__(self, rate: float, rng_holder, n: int, width: int):
        self.rate = rate
        self.rng_holder = rng_holder  # the network: its ``dropout_rng`` is replaced on reset
        self.scaled_mask = np.empty((n, width))
        self.y = np.empty((n, width))
        self.dx = np.empty((n, width))
        self.active = False

    def forward(self, x: np.ndarray, mode: str) -> np.ndarray:
        self.active = mode == "train" and self.rate > 0
        if not self.active:
            return x
        self.rng_holder.dropout_rng.random(out=self.scaled_mask)
        np.greater_equal(self.scaled_mask, self.rate, self.scaled_mask)  # 1.0 kept, 0.0 dropped
        np.multiply(self.scaled_mask, 1.0 / (1.0 - self.rate), self.scaled_mask)
        np.multiply(x, self.scaled_mask, self.y)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if not self.active:
            return dy
        np.multiply(dy, self.scaled_mask, self.dx)
        return self.dx


class HiddenBlock:
    """One hidden layer: dense -> [normalisation] -> activation -> [dropout], and with a skip
    connection (He et al. 2016) the block's input is added to its output:

        y = x + block(x)       so       dL/dx = dL/dy + (dL/dy back through the block)

    the first term is the skip: the gradient reaches the layer below undiminished, however small the
    block's own factor is. A skip needs fan_in == fan_out."""

    kind = "hidden"

    def __init__(self, parts: list, skip: bool, n: int, fan_in: int, fan_out: int):
        if skip and fan_in != fan_out:
            raise ValueError(f"a skip connection needs equal widths, got {fan_in} -> {fan_out}")
        self.parts, self.skip = parts, skip
        self.dense, self.activation = parts[0], next(p for p in parts if p.kind == "activation")
        self.norm = next((p for p in parts if p.kind.endswith("_norm")), None)
        self.dropout = next((p for p in parts if p.kind == "dropout"), None)
        self.y = np.empty((n, fan_out)) if skip else None
        self.dx = np.empty((n, fan_in)) if skip else None

    def forward(self, x: np.ndarray, mode: str) -> np.ndarray:
        h = x
        for part in self.parts:
            h = part.forward(h, mode)
        if not self.skip:
            return h
        np.add(x, h, self.y)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        d = dy
        for part in reversed(self.parts):
            d = part.backward(d)
        if not self.skip or d is None:  # d is None below the first layer: nothing there learns from it
            return d
        np.add(dy, d, self.dx)
        return self.dx

    @property
    def activated(self) -> np.ndarray:
        """The activation's output (n, fan_out), before dropout and the skip: what saturates or dies."""
        return self.activation.a
