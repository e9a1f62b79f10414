"""A network as a sequence of layers over one flat parameter vector, for any output head.

Notation (used throughout the engine):
  layer_sizes = [n_inputs, *hidden, n_outputs]; weight layer l (1-based in the UI, 0-based here)
  maps fan_in = layer_sizes[l] units to fan_out = layer_sizes[l + 1] units.
  z       pre-activation of a layer (the dense part's output), (n_samples, fan_out)
  a       activation (the layer's output), (n_samples, fan_out); a_0 is the input X
  delta   dL/dz for a layer, (n_samples, fan_out)
  grad_W  dL/dW, (fan_in, fan_out);  grad_b  dL/db, (fan_out,)
  logits  the last layer's z, (n_samples, n_outputs); the head (``playground.engine.heads``) turns them
          into outputs and owns the loss, so that the output delta is (outputs - T) / n.

Each hidden layer is a block of the layers in ``playground.engine.layers``:

    dense -> [batch norm | layer norm] -> activation -> [dropout]   (+ its input, with a skip connection)

and the output layer is a dense layer followed by the head. With ``residual=True`` every hidden layer whose
input and output widths match gets a skip connection (the first hidden layer has one only when its width
equals the number of inputs; the output layer never has one).

All parameters live in one flat float64 vector ``theta`` laid out by ``ParameterLayout`` (the one place that
knows where each W, b, gamma and beta sits); ``weights[l]``, ``biases[l]``, ``gammas[h]``, ``betas[h]`` are
views into it, and the gradients likewise into one flat ``grad`` vector, so an optimiser step is one vector
operation. Batch norm's running averages are not trained: they live in a second flat vector ``statistics``.

There is one implementation of forward and backward: the layers'. ``Pass`` binds them to a batch size
(buffers allocated once); the trainer keeps one per batch size, ``Network.forward`` makes a throwaway one.
Correctness is checked in the tests against central differences and an independent autodiff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.engine.activations import Activation, get_activation
from playground.engine.heads import HEADS, Head
from playground.engine.initializers import get_initializer
from playground.engine.layers import (
    MODES,
    ActivationLayer,
    Dense,
    Dropout,
    HiddenBlock,
    Normalization,
    RunningStatistics,
)
from playground.engine.losses import REGULARIZERS

NORMALIZATIONS = ("none", "batch", "layer")
MAX_DROPOUT = 0.5


@dataclass(frozen=True)
class ParameterBlock:
    """One named parameter array in the flat vector: W (fan_in, fan_out), b (fan_out,), gamma or beta
    (width,). ``layer`` is the 0-based weight layer it belongs to."""

    kind: str  # "weight", "bias", "gamma" or "beta"
    layer: int
    start: int
    shape: tuple[int, ...]

    @property
    def stop(self) -> int:
        return self.start + int(np.prod(self.shape))

    @property
    def name(self) -> str:
        symbol = {"weight": "W", "bias": "b", "gamma": "γ", "beta": "β"}[self.kind]
        return f"{symbol}{self.layer + 1}"


class ParameterLayout:
    """Where every parameter sits in the flat vector, defined once:

        [W_1, b_1, W_2, b_2, ..., W_L, b_L,  gamma_1, beta_1, ..., gamma_H, beta_H]

    (W row-major). The dense layers come first and in the order they always had, so a flat vector or a
    model file of a network without normalisation reads the same; each normalised hidden layer's gamma
    and beta (one per unit) follow after all of them.
    """

    def __init__(self, layer_sizes: list[int], normalized: bool = False):
        self.layer_sizes = list(layer_sizes)
        blocks, offset = [], 0
        for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
            blocks.append(ParameterBlock("weight", layer, offset, (fan_in, fan_out)))
            offset += fan_in * fan_out
            blocks.append(ParameterBlock("bias", layer, offset, (fan_out,)))
            offset += fan_out
        self.dense_size = offset
        if normalized:
            for layer, width in enumerate(layer_sizes[1:-1]):
                blocks.append(ParameterBlock("gamma", layer, offset, (width,)))
                blocks.append(ParameterBlock("beta", layer, offset + width, (width,)))
                offset += 2 * width
        self.blocks = blocks
        self.size = offset

    def of_kind(self, kind: str) -> list[ParameterBlock]:
        return [block for block in self.blocks if block.kind == kind]

    def views(self, vector: np.ndarray, kind: str) -> list[np.ndarray]:
        """Views of ``vector`` (n_parameters,) shaped like each parameter of one kind, layer by layer."""
        return [vector[block.start : block.stop].reshape(block.shape) for block in self.of_kind(kind)]

    def weight_spans(self) -> list[tuple[int, int]]:
        """(start, stop) of each weight matrix W_l in the flat vector."""
        return [(block.start, block.stop) for block in self.of_kind("weight")]

    def layer_span(self, layer: int) -> tuple[int, int]:
        """(start, stop) of weight layer ``layer``'s W and b, which lie end to end."""
        weight = self.of_kind("weight")[layer]
        return weight.start, self.of_kind("bias")[layer].stop


def parameter_count(layer_sizes: list[int], normalized: bool = False) -> int:
    return ParameterLayout(layer_sizes, normalized).size


def layer_views(vector: np.ndarray, layer_sizes: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Split a flat vector into per-layer (W, b) views: W_l (fan_in, fan_out), b_l (fan_out,)."""
    layout = ParameterLayout(layer_sizes)
    return layout.views(vector, "weight"), layout.views(vector, "bias")


@dataclass
class ForwardCache:
    """What backprop needs from the forward pass.

    activations: [a_0 = X (n, n_inputs), a_1, ..., a_{L-1}] (hidden layers' outputs), each (n, fan_out)
    logits: (n, n_outputs);  outputs: (n, n_outputs), the head's probabilities or values
    pass_: the bound layers, with every intermediate value of the pass
    """

    activations: list[np.ndarray]
    logits: np.ndarray
    outputs: np.ndarray
    pass_: "Pass"


class Network:
    """Parameters, layout and the layers' maths of one network; no training loop, no UI.

    residual: a skip connection around every hidden layer whose input and output widths match.
    normalization: "none", "batch" or "layer", between each hidden layer's dense part and its activation.
    dropout: the share of each hidden layer's outputs dropped while training (0 to 0.5).
    """

    def __init__(
        self,
        layer_sizes: list[int],
        hidden_activations: list[str],
        theta: np.ndarray | None = None,
        head: str = "sigmoid_bce",
        residual: bool = False,
        normalization: str = "none",
        dropout: float = 0.0,
        statistics: np.ndarray | None = None,
    ):
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError(
                f"layer_sizes must be [n_inputs, *hidden, n_outputs] with positive sizes, got {layer_sizes}"
            )
        if len(hidden_activations) != len(layer_sizes) - 2:
            raise ValueError(
                f"one activation per hidden layer is needed: {len(layer_sizes) - 2} hidden layers, "
                f"{len(hidden_activations)} activations"
            )
        if head not in HEADS:
            raise ValueError(f"Unknown head {head!r}; choose one of {sorted(HEADS)}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
        self.head: Head = HEADS[head]
        if self.head.name != "softmax_ce" and layer_sizes[-1] != 1:
            raise ValueError(f"the {head} head has one output unit, got {layer_sizes[-1]}")
        if self.head.name == "softmax_ce" and layer_sizes[-1] < 2:
            raise ValueError("the softmax_ce head needs at least two output units")
        self.layer_sizes = list(layer_sizes)
        self.hidden_activation_names = list(hidden_activations)
        self.hidden_activations: list[Activation] = [get_activation(n) for n in hidden_activations]
        self.residual, self.normalization = bool(residual), normalization
        self.set_dropout(dropout)
        self.dropout_rng = np.random.default_rng(0)  # the trainer seeds its own (see Trainer.reset)
        # skips[h]: hidden layer h (0-based) has a skip connection
        self.skips = [self.residual and i == o for i, o in zip(layer_sizes[:-2], layer_sizes[1:-1])]
        self.layout = ParameterLayout(self.layer_sizes, normalized=normalization != "none")
        size = self.layout.size
        if theta is None:
            self.theta = np.zeros(size)
        else:
            self.theta = np.array(theta, dtype=np.float64)
        if self.theta.shape != (size,):
            raise ValueError(f"theta must have {size} entries, got {self.theta.shape}")
        self.grad = np.zeros(size)
        self.weights, self.biases = self.layout.views(self.theta, "weight"), self.layout.views(self.theta, "bias")
        self.gammas, self.betas = self.layout.views(self.theta, "gamma"), self.layout.views(self.theta, "beta")
        self.grad_weights, self.grad_biases = (
            self.layout.views(self.grad, "weight"),
            self.layout.views(self.grad, "bias"),
        )
        self.grad_gammas, self.grad_betas = self.layout.views(self.grad, "gamma"), self.layout.views(self.grad, "beta")
        if theta is None:
            for gamma in self.gammas:
                gamma[...] = 1.0  # normalisation starts as the plain standardisation
        # 1 where theta holds a weight, 0 for a bias, gamma or beta: regularisers touch weights only.
        self.weight_mask = np.zeros(size)
        for mask_w in self.layout.views(self.weight_mask, "weight"):
            mask_w[...] = 1.0
        # Batch norm's running averages, per hidden layer [mean (w), variance (w), steps (1)]: not trained.
        widths = self.layer_sizes[1:-1] if normalization == "batch" else []
        self.statistics = np.zeros(sum(2 * w + 1 for w in widths))
        if statistics is not None:
            self.statistics[...] = statistics
        self.running: list[RunningStatistics] = []
        offset = 0
        for width in widths:
            self.running.append(RunningStatistics(self.statistics[offset : offset + 2 * width + 1], width))
            offset += 2 * width + 1

    def set_dropout(self, dropout: float) -> None:
        """Change the dropout share (0 to 0.5); passes built before keep the layers they had (rebuild them)."""
        dropout = float(dropout)
        if not 0.0 <= dropout <= MAX_DROPOUT:
            raise ValueError(f"dropout must be from 0 to {MAX_DROPOUT}, got {dropout}")
        self.dropout = dropout

    @classmethod
    def initialized(
        cls,
        layer_sizes: list[int],
        hidden_activations: list[str],
        initializer: str,
        rng: np.random.Generator,
        sigma: float = 0.1,
        head: str = "sigmoid_bce",
        **design,
    ) -> "Network":
        """A network with weights drawn by a named scheme (biases and betas zero, gammas one).
        ``design``: residual, normalization, dropout as in the constructor."""
        network = cls(layer_sizes, hidden_activations, head=head, **design)
        scheme = get_initializer(initializer)
        for W in network.weights:
            W[...] = scheme.function(W.shape[0], W.shape[1], rng, sigma)
        return network

    @property
    def design(self) -> dict:
        """The keyword arguments beyond sizes, activations and head that build this network's layers."""
        return {"residual": self.residual, "normalization": self.normalization, "dropout": self.dropout}

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + output)."""
        return len(self.layer_sizes) - 1

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def copy(self, theta: np.ndarray | None = None, statistics: np.ndarray | None = None) -> "Network":
        """A network of the same design with a copy of ``theta`` and ``statistics`` (default: this one's)."""
        return Network(
            self.layer_sizes,
            self.hidden_activation_names,
            self.theta if theta is None else theta,
            self.head.name,
            statistics=self.statistics if statistics is None else statistics,
            **self.design,
        )

    # ---- checks ----------------------------------------------------------------------------
    def check_inputs(self, X: np.ndarray) -> np.ndarray:
        """X as a float (n, n_inputs) array, or ValueError saying what shape was expected."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"inputs must have shape (n, {self.n_inputs}), got {X.shape}")
        return X

    def targets(self, y: np.ndarray) -> np.ndarray:
        """Checked labels y (n,) as the head's targets T (n, n_outputs)."""
        return self.head.targets(self.head.check_labels(y, self.n_outputs), self.n_outputs)

    # ---- forward and backward --------------------------------------------------------------
    def forward(self, X: np.ndarray, mode: str = "predict") -> ForwardCache:
        """X: (n, n_inputs) -> cache with every hidden layer's output, the logits and the outputs.
        ``mode`` (``playground.engine.layers.MODES``): "predict" by default, as predictions are made."""
        X = self.check_inputs(X)
        batch_pass = Pass(self, X.shape[0], mode)
        batch_pass.forward(X)
        return ForwardCache([X, *batch_pass.hidden], batch_pass.logits, batch_pass.outputs, batch_pass)

    def predict_outputs(self, X: np.ndarray) -> np.ndarray:
        """The head's outputs for each row of X: (n, n_inputs) -> (n, n_outputs)."""
        return self.forward(X).outputs

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities: binary (n,) P(class 1); multi-class (n, K). Not for regression."""
        if self.head.problem == "regression":
            raise ValueError("a regression network predicts values, not probabilities: use predict_outputs")
        outputs = self.predict_outputs(X)
        return outputs[:, 0] if self.head.problem == "binary" else outputs

    def backward(self, cache: ForwardCache, y: np.ndarray, keep_deltas: bool = False) -> list[np.ndarray] | None:
        """Fill ``self.grad`` with dL/dtheta of the mean loss for labels y: (n,), through the layers of
        ``cache`` in the mode they ran. Returns copies of the per-layer deltas [delta_1, ..., delta_L]
        (each (n, fan_out)) when ``keep_deltas``, else None.
        """
        T = self.targets(y)
        if T.shape[0] != cache.logits.shape[0]:
            raise ValueError(f"{cache.logits.shape[0]} inputs but {T.shape[0]} labels")
        cache.pass_.backward(cache.activations[0], T)
        return [delta.copy() for delta in cache.pass_.deltas] if keep_deltas else None

    def add_regularization_gradient(self, regularization: str, rate: float) -> None:
        if regularization != "none" and rate > 0:
            self.grad += rate * self.weight_mask * REGULARIZERS[regularization].gradient(self.theta)

    def regularization_penalty(self, regularization: str, rate: float) -> float:
        if regularization == "none" or rate == 0:
            return 0.0
        return rate * REGULARIZERS[regularization].value(self.theta[self.weight_mask == 1.0])

    def loss(
        self, X: np.ndarray, y: np.ndarray, regularization: str = "none", rate: float = 0.0, mode: str = "predict"
    ) -> float:
        """Mean loss of the head (plus the penalty) on X: (n, n_inputs), y: (n,)."""
        logits = self.forward(X, mode).logits
        return self.head.loss(logits, self.targets(y)) + self.regularization_penalty(regularization, rate)

    def loss_and_gradient(
        self, X: np.ndarray, y: np.ndarray, regularization: str = "none", rate: float = 0.0, mode: str = "measure"
    ) -> tuple[float, np.ndarray]:
        """Loss and a copy of the flat gradient dL/dtheta, shape (n_parameters,) (layout: ``self.layout``).

        ``mode`` "measure" (the default) is a training step's maths without its noise or side effects:
        batch norm on the batch's statistics, no dropout. "train" draws dropout masks from
        ``dropout_rng`` and updates batch norm's running averages, as a training step does.
        """
        cache = self.forward(X, mode)
        self.backward(cache, y)
        self.add_regularization_gradient(regularization, rate)
        loss = self.head.loss(cache.logits, self.targets(y)) + self.regularization_penalty(regularization, rate)
        return loss, self.grad.copy()


class Pass:
    """The network's layers bound to exactly ``n`` samples, in buffers allocated once.

    ``mode`` ("train", "measure" or "predict", see ``playground.engine.layers``) is the pass's purpose.
    After ``forward(X)`` (X: (n, n_inputs)): ``hidden[l]`` (n, units) is the output of hidden layer l + 1,
    ``blocks[l]`` its layers with every intermediate value, ``logits`` and ``outputs`` (n, n_outputs).
    After ``backward(X, T)`` (T: the head's targets, (n, n_outputs)): ``network.grad`` holds dL/dtheta of
    the mean loss and ``deltas[l]`` (n, fan_out) is dL/dz of weight layer l + 1. The next call reuses the
    buffers.
    """

    def __init__(self, network: Network, n: int, mode: str = "train"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.network, self.n, self.mode = network, n, mode
        self.head = network.head
        sizes = network.layer_sizes
        self.blocks: list[HiddenBlock] = []
        for h, (fan_in, fan_out) in enumerate(zip(sizes[:-2], sizes[1:-1])):
            parts = [
                Dense(
                    network.weights[h],
                    network.biases[h],
                    network.grad_weights[h],
                    network.grad_biases[h],
                    n,
                    needs_dx=h > 0,
                )
            ]
            if network.normalization != "none":
                running = network.running[h] if network.normalization == "batch" else None
                parts.append(
                    Normalization(
                        network.normalization,
                        network.gammas[h],
                        network.betas[h],
                        network.grad_gammas[h],
                        network.grad_betas[h],
                        running,
                        n,
                        fan_out,
                    )
                )
            parts.append(ActivationLayer(network.hidden_activations[h], n, fan_out))
            if network.dropout > 0:
                parts.append(Dropout(network.dropout, network, n, fan_out))
            self.blocks.append(HiddenBlock(parts, network.skips[h], n, fan_in, fan_out))
        last = network.n_layers - 1
        self.output = Dense(
            network.weights[last],
            network.biases[last],
            network.grad_weights[last],
            network.grad_biases[last],
            n,
            needs_dx=last > 0,
        )
        self.hidden: list[np.ndarray] = [block.activation.a for block in self.blocks]
        self.logits = self.output.z
        self.logits_flat = self.logits.reshape(-1)  # a view, for whole-array checks
        self.outputs = np.empty((n, sizes[-1]))
        self.output_delta = np.empty((n, sizes[-1]))
        self._scale = np.array(1.0 / n)  # 0-d: no conversion per call

    def forward(self, X: np.ndarray) -> None:
        """X: (n, n_inputs) -> ``hidden``, ``logits``, ``outputs`` (see the class notes)."""
        mode, hidden, a = self.mode, self.hidden, X
        for h, block in enumerate(self.blocks):
            a = hidden[h] = block.forward(a, mode)
        self.output.forward(a, mode)
        self.head.output_into(self.logits, self.outputs)

    def backward(self, X: np.ndarray, T: np.ndarray) -> None:
        """Fill ``network.grad`` and ``deltas`` for targets T: (n, n_outputs), after ``forward(X)``."""
        delta = self.output_delta
        np.subtract(self.outputs, T, delta)  # (outputs - T) / n: dL/dz of the output, for every head
        np.multiply(delta, self._scale, delta)
        self.backward_from(delta)

    def backward_from(self, output_delta: np.ndarray) -> None:
        """Back-propagate a given dL/dlogits (n, n_outputs) through every layer, filling ``network.grad``
        and ``deltas``. In "predict" mode the examples do not interact (batch norm's statistics are
        fixed), so an unscaled per-example error gives each example's own dL_i/dz (the diagnostics)."""
        d = self.output.backward(output_delta)
        for block in reversed(self.blocks):
            d = block.backward(d)

    @property
    def deltas(self) -> list[np.ndarray]:
        """[delta_1, ..., delta_L]: dL/dz of each weight layer, (n, fan_out), from the last backward."""
        return [block.dense.delta for block in self.blocks] + [self.output.delta]

    @property
    def activated(self) -> list[np.ndarray]:
        """Each hidden layer's activation output (n, units), before dropout and the skip."""
        return [block.activation.a for block in self.blocks]
