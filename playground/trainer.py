"""Config in, trained network and history out: the scripting API of the playground.

    from playground import Trainer, TrainingConfig
    trainer = Trainer(TrainingConfig(dataset="xor", hidden_layers=(8, 8), activations=("relu", "relu")))
    trainer.train(100)
    trainer.history.tail()

One epoch is one shuffled pass over the training set in mini-batches. After
each epoch the trainer runs one full pass over the training set (and one over
the test set) to record losses, accuracies and per-layer gradient-flow figures;
those full-set measures are what the charts show, so they do not depend on
which mini-batch came last.

Full batch (``batch_size`` >= the number of training points): the epoch is one
batch, the whole training set in its stored order, not shuffled. Shuffling a
single batch would change nothing but the order in which the gradient sums its
examples, and without it the epoch's gradient is the very one the previous
record pass computed: same theta, same rows, same order, same buffers. So the
fast path reuses the data-loss gradient the record left in ``network.grad``
(the regulariser's gradient is added after it, as on every batch) instead of
recomputing it, bit for bit the same result: a full-batch epoch that does
recompute runs the record's own pass (never the halved-weights pass of
mini-batches, see ``BatchPass``) on the same arrays. It reuses only when theta
and ``network.grad`` are bitwise what the record left (anything that wrote
either in between -- ``set_weights``, ``loss_and_gradients``, a caller writing
``network.theta`` -- makes the epoch recompute) and the training arrays are the
same objects; ``apply_config`` and ``set_weights`` also discard the recorded
gradient explicitly. ``reset``, ``reinitialize`` and rebuilds record again, at
the new theta: that record's gradient is the one the next epoch reuses.
(Writing into ``X_train``/``y_train`` in place is not supported: the data are
rebuilt, never edited, by ``apply_config``.) The reference path
(``_train_one_epoch_reference``) is the plain definition and never reuses.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from playground.config import DATA_FIELDS, MAX_SEED, NETWORK_FIELDS, TrainingConfig, sanitize
from playground.datasets import make_dataset, make_features, train_test_split
from playground.history import DEFAULT_MAX_ROWS, History
from playground.losses import binary_cross_entropy_from_logits
from playground.network import BatchPass, Network
from playground.optimizers import make_optimizer

MAX_SNAPSHOTS = 64  # parameter snapshots kept for replay (thinned like the history)


def history_columns(n_layers: int) -> list[str]:
    """Names of the history columns for a network with ``n_layers`` weight layers (1-based in names)."""
    columns = ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    for prefix in ("grad_norm_W", "delta_mean_abs", "delta_variance", "update_ratio", "distance", "saturation", "dead"):
        columns += [f"{prefix}{layer}" for layer in range(1, n_layers + 1)]
    return columns


class Trainer:
    """Owns the data, the network, the optimiser and the history of one experiment."""

    _fast: _Workspace | None = None  # buffers of the fast training path (see ``_workspace``)

    def __init__(self, config: TrainingConfig | None = None, max_history_rows: int = DEFAULT_MAX_ROWS):
        self.config = sanitize(config or TrainingConfig())
        self.max_history_rows = max_history_rows
        self._build_data()
        self._build_network()

    # ---- building --------------------------------------------------------------------------
    def _build_data(self) -> None:
        c = self.config
        rng = np.random.default_rng(c.data_seed)
        self.points, self.labels = make_dataset(c.dataset, c.n_points, c.noise, rng)
        (self.train_points, self.y_train, self.test_points, self.y_test) = train_test_split(
            self.points, self.labels, c.train_fraction, rng
        )
        self._build_features()

    def _build_features(self) -> None:
        self.X_train = make_features(self.train_points, self.config.features)
        self.X_test = make_features(self.test_points, self.config.features)

    def _build_network(self) -> None:
        c = self.config
        # Separate streams for weights and batch order, both from the weight seed: replayable.
        self.network = Network.initialized(
            c.layer_sizes, list(c.activations), c.initializer, np.random.default_rng([c.weight_seed, 1]), c.init_sigma
        )
        self.initial_theta = self.network.theta.copy()
        self.reset()

    def reset(self) -> None:
        """Back to epoch 0 with the same initial weights, optimiser state and batch order."""
        self.network.theta[...] = self.initial_theta
        self.optimizer = make_optimizer(self.config.optimizer, self.config.learning_rate, self.network.theta.size)
        self.shuffle_rng = np.random.default_rng([self.config.weight_seed, 2])
        self.epoch = 0
        self.diverged_at: int | None = None
        self.history = History(history_columns(self.network.n_layers), self.max_history_rows)
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self._snapshot_stride = 1
        self._last_update = np.zeros_like(self.network.theta)
        self._record()

    def reinitialize(self, weight_seed: int | None = None) -> None:
        """Draw new initial weights (a new seed, or the next one) and restart at epoch 0."""
        # The next seed wraps around at MAX_SEED (sanitize would clamp it back to the same seed).
        seed = (self.config.weight_seed + 1) % (MAX_SEED + 1) if weight_seed is None else weight_seed
        if self.apply_config(replace(self.config, weight_seed=seed)) == "unchanged":
            self.reset()  # the same seed again: still restart at epoch 0, as documented

    def apply_config(self, config: TrainingConfig) -> str:
        """Move to a new config, rebuilding only what the change needs.

        Returns what happened: "unchanged", "data" (new data, network restarted),
        "network" (network rebuilt, epoch 0), "training" (learning rate, batch,
        optimiser or regulariser changed; weights and history kept) or "restarted"
        (a training setting changed after divergence: the weights are NaN, so the
        run restarts from its initial weights with the new setting).
        """
        config = sanitize(config)
        changed = {name for name in config.__dataclass_fields__ if getattr(config, name) != getattr(self.config, name)}
        if not changed:
            return "unchanged"
        # Conservative: none of these changes the data gradient at theta, but the next epoch recomputes it
        # (a rebuild records again, and that record's gradient is then current).
        self._forget_record_gradient()
        old = self.config
        self.config = config
        if changed & DATA_FIELDS:
            self._build_data()
            self._build_network()
            return "data"
        if changed & NETWORK_FIELDS:
            if "features" in changed:
                self._build_features()
            self._build_network()
            return "network"
        if self.diverged:
            self.reset()
            return "restarted"
        if config.optimizer != old.optimizer:
            self.optimizer = make_optimizer(config.optimizer, config.learning_rate, self.network.theta.size)
        else:
            self.optimizer.learning_rate = config.learning_rate
        return "training"

    # ---- training --------------------------------------------------------------------------
    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def train(self, epochs: int = 1) -> int:
        """Train up to ``epochs`` epochs; stops early if training diverges. Returns epochs run."""
        done = 0
        with np.errstate(all="ignore"):  # overflow is detected and reported, not warned about
            while done < epochs and not self.diverged:
                self._train_one_epoch()
                done += 1
        return done

    step = train  # the UI's word for it

    def _train_one_epoch(self) -> None:
        workspace = self._workspace()
        if workspace is None:
            self._train_one_epoch_reference()
            return
        # The fast path: the same epoch as ``_train_one_epoch_reference``, in preallocated buffers.
        c, network = self.config, self.network
        X_train, y_train = self.X_train, self.y_train
        theta, grad, step = network.theta, network.grad, self.optimizer.step
        regularize = c.regularization != "none" and c.regularization_rate > 0
        rule, rate, add_penalty = c.regularization, c.regularization_rate, network.add_regularization_gradient
        if c.batch_size >= y_train.shape[0]:
            # Full batch, unshuffled: the record pass's gradient, unless theta or grad changed since.
            if not workspace.record_gradient_is_current(X_train, y_train):
                workspace.train_pass.gradient(X_train, y_train)  # the record's own pass and call
        else:
            order = self.shuffle_rng.permutation(y_train.shape[0])
            head, (gradient, X_batch, y_batch) = workspace.shuffle(X_train, y_train, order, c.batch_size)
            if regularize:
                for batch_gradient, batch_X, batch_y in head:
                    batch_gradient(batch_X, batch_y)
                    add_penalty(rule, rate)
                    step(theta, grad)
            else:
                for batch_gradient, batch_X, batch_y in head:
                    batch_gradient(batch_X, batch_y)
                    step(theta, grad)
            gradient(X_batch, y_batch)  # the last batch: its update is recorded
        workspace.forget_record_gradient()  # grad is about to hold the penalty, theta to move
        if regularize:
            add_penalty(rule, rate)
        theta_before = workspace.theta_before
        np.copyto(theta_before, theta)
        step(theta, grad)
        np.subtract(theta, theta_before, out=self._last_update)
        self.epoch += 1
        self._record()

    def _workspace(self) -> _Workspace | None:
        """The fast path's buffers, (re)built as needed; None when the reference path must run.

        The fast path re-implements ``Network.forward``/``backward``; when those are replaced
        (a subclass, or a patched instance, e.g. a test counting calls), the reference path runs.
        """
        network = self.network
        cls = type(network)
        if (
            cls.forward is not _NETWORK_FORWARD
            or cls.backward is not _NETWORK_BACKWARD
            or "forward" in network.__dict__
            or "backward" in network.__dict__
        ):
            return None
        workspace = self._fast
        if workspace is None or not workspace.matches(network, self.X_train, self.y_train, self.X_test, self.y_test):
            workspace = self._fast = _Workspace(network, self.X_train, self.X_test)
        return workspace

    def _train_one_epoch_reference(self) -> None:
        """One epoch, written plainly: the definition the fast path in ``_train_one_epoch`` follows."""
        c, network, optimizer = self.config, self.network, self.optimizer
        if c.batch_size >= self.y_train.shape[0]:
            X, y = self.X_train, self.y_train  # full batch: one batch, in the stored order
        else:
            order = self.shuffle_rng.permutation(self.y_train.shape[0])
            X, y = self.X_train[order], self.y_train[order]
        batch = max(1, min(c.batch_size, y.shape[0]))
        starts = range(0, y.shape[0], batch)
        last_start = starts[-1]
        regularize = c.regularization != "none" and c.regularization_rate > 0
        for start in starts:
            X_batch, y_batch = X[start : start + batch], y[start : start + batch]
            network.backward(network.forward(X_batch), y_batch)
            if regularize:
                network.add_regularization_gradient(c.regularization, c.regularization_rate)
            if start == last_start:
                theta_before = network.theta.copy()
                optimizer.step(network.theta, network.grad)
                np.subtract(network.theta, theta_before, out=self._last_update)
            else:
                optimizer.step(network.theta, network.grad)
        self.epoch += 1
        self._record()

    # ---- recording -------------------------------------------------------------------------
    def _record(self) -> None:
        """Append one history row measured on the full training and test sets."""
        workspace = self._workspace()
        if workspace is None:
            self._record_reference()
            return
        # The fast path: the same row as ``_record_reference``, from preallocated buffers. The
        # passes are bit-for-bit the reference's (and so is network.grad after them); the losses
        # and the per-layer figures, computed for all layers at once, are equal to rounding.
        c, network, ws = self.config, self.network, workspace
        X_train, y_train, y_test = self.X_train, self.y_train, self.y_test
        train, test = ws.train_pass, ws.test_pass
        train.forward(X_train)
        train.backward(X_train, y_train)
        if c.batch_size >= y_train.shape[0]:
            ws.keep_record_gradient(X_train, y_train)  # the next full-batch epoch's gradient
        else:
            ws.forget_record_gradient()
        penalty = network.regularization_penalty(c.regularization, c.regularization_rate)
        train_loss = _mean_bce(train.logits, y_train, ws.train_loss_work) + penalty
        test.forward(self.X_test)
        test_loss = _mean_bce(test.logits, y_test, ws.test_loss_work) + penalty
        row = {
            "epoch": self.epoch,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "train_accuracy": ws.accuracy(train.logits, y_train, ws.train_masks),
            "test_accuracy": ws.accuracy(test.logits, y_test, ws.test_masks),
        }
        # Norms of W, dL/dW, the last update, W - W_initial and W_initial for every layer at once.
        theta, initial, squares = network.theta, self.initial_theta, ws.squares
        np.multiply(theta, theta, out=squares[0])
        np.multiply(network.grad, network.grad, out=squares[1])
        np.multiply(self._last_update, self._last_update, out=squares[2])
        np.subtract(theta, initial, out=squares[3])
        np.multiply(squares[3], squares[3], out=squares[3])
        np.multiply(initial, initial, out=squares[4])
        sums = np.add.reduceat(squares, ws.parameter_starts, axis=1)  # (5, 2 L): W_l then b_l
        W_norms, grad_norms, update_norms, distances, initial_norms = np.sqrt(sums[:, ::2]).tolist()
        # A finite sum of squares means a finite theta; otherwise check exactly (it may just overflow).
        theta_finite = math.isfinite(sums[0].sum()) or bool(np.all(np.isfinite(theta)))
        mean_abs, variances = ws.delta_figures(train, np.add.reduceat(network.grad, ws.parameter_starts)[1::2])
        n_layers = network.n_layers
        for layer, (grad_key, abs_key, var_key, ratio_key, distance_key, saturation_key, dead_key) in enumerate(
            ws.keys
        ):
            W_norm, initial_norm = W_norms[layer], initial_norms[layer]
            row[grad_key] = grad_norms[layer]
            row[abs_key] = mean_abs[layer]
            row[var_key] = variances[layer]
            row[ratio_key] = update_norms[layer] / W_norm if W_norm else np.nan
            row[distance_key] = distances[layer] / initial_norm if initial_norm else np.nan
            if layer < n_layers - 1:
                a, mask = train.hidden[layer], train.masks[layer]
                saturation = train.kernels[layer].saturation
                if saturation is not None:
                    row[saturation_key] = saturation(a, train.scratch[layer], mask)
                if train.hidden_activations[layer].name == "relu":
                    dead = np.less_equal(a, 0.0, out=mask).all(axis=0)  # a <= 0 for every example
                    row[dead_key] = np.count_nonzero(dead) / dead.shape[0]
        if not (math.isfinite(train_loss) and theta_finite):
            self.diverged_at = self.epoch
        self.history.append(row)
        self._maybe_snapshot()

    def _record_reference(self) -> None:
        """``_record`` written plainly: the definition its fast path follows."""
        c, network = self.config, self.network
        cache = network.forward(self.X_train)
        deltas = network.backward(cache, self.y_train, keep_deltas=True)
        penalty = network.regularization_penalty(c.regularization, c.regularization_rate)
        train_loss = binary_cross_entropy_from_logits(cache.logits, self.y_train) + penalty
        test_logits = network.forward(self.X_test).logits
        test_loss = binary_cross_entropy_from_logits(test_logits, self.y_test) + penalty
        row = {
            "epoch": self.epoch,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "train_accuracy": float(np.mean((cache.logits > 0) == (self.y_train > 0.5))),
            "test_accuracy": float(np.mean((test_logits > 0) == (self.y_test > 0.5))),
        }
        n_train = self.y_train.shape[0]
        initial_weights = _layer_weights(self.initial_theta, network)
        update_weights = _layer_weights(self._last_update, network)
        for layer in range(network.n_layers):
            name = layer + 1
            W = network.weights[layer]
            W_norm = float(np.linalg.norm(W))
            # Per-example error signal: delta of the mean loss times n, independent of the set size.
            per_example_delta = deltas[layer] * n_train
            row[f"grad_norm_W{name}"] = float(np.linalg.norm(network.grad_weights[layer]))
            row[f"delta_mean_abs{name}"] = float(np.mean(np.abs(per_example_delta)))
            row[f"delta_variance{name}"] = float(np.var(per_example_delta))
            row[f"update_ratio{name}"] = float(np.linalg.norm(update_weights[layer])) / W_norm if W_norm else np.nan
            initial_norm = float(np.linalg.norm(initial_weights[layer]))
            row[f"distance{name}"] = (
                float(np.linalg.norm(W - initial_weights[layer])) / initial_norm if initial_norm else np.nan
            )
            if layer < network.n_layers - 1:
                a = cache.activations[layer + 1]
                activation = network.hidden_activations[layer]
                if activation.saturation_test is not None:
                    row[f"saturation{name}"] = float(np.mean(activation.saturation_test(a)))
                if activation.name == "relu":
                    row[f"dead{name}"] = float(np.mean(np.all(a <= 0.0, axis=0)))
        if not (np.isfinite(train_loss) and np.all(np.isfinite(network.theta))):
            self.diverged_at = self.epoch
        self.history.append(row)
        self._maybe_snapshot()

    def _maybe_snapshot(self) -> None:
        if self.epoch % self._snapshot_stride:
            return
        if len(self.snapshots) == MAX_SNAPSHOTS:
            self.snapshots = self.snapshots[::2]
            self._snapshot_stride *= 2
            if self.epoch % self._snapshot_stride:
                return
        self.snapshots.append((self.epoch, self.network.theta.copy()))

    # ---- reading ---------------------------------------------------------------------------
    @property
    def history_frame(self) -> pd.DataFrame:
        """The per-epoch history as a DataFrame (see ``history_columns``)."""
        return self.history.to_frame()

    def features(self, points: np.ndarray) -> np.ndarray:
        """Network inputs for points in data coordinates: (n, 2) -> (n, n_features)."""
        return make_features(np.asarray(points, dtype=np.float64), self.config.features)

    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """P(class 1) for points (n, 2) in data coordinates -> (n,)."""
        with np.errstate(all="ignore"):
            return self.network.predict_proba(self.features(points))

    def get_weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of [(W_1, b_1), ..., (W_L, b_L)], W_l: (fan_in, fan_out), b_l: (fan_out,)."""
        return [(W.copy(), b.copy()) for W, b in zip(self.network.weights, self.network.biases)]

    def set_weights(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Replace the parameters (shapes must match ``get_weights``); training continues from them."""
        if len(weights) != self.network.n_layers:
            raise ValueError(f"expected {self.network.n_layers} (W, b) pairs, got {len(weights)}")
        for layer, (W, b) in enumerate(weights):
            if np.shape(W) != self.network.weights[layer].shape or np.shape(b) != self.network.biases[layer].shape:
                raise ValueError(
                    f"layer {layer + 1}: expected W {self.network.weights[layer].shape} and "
                    f"b {self.network.biases[layer].shape}, got {np.shape(W)} and {np.shape(b)}"
                )
        self._forget_record_gradient()
        for layer, (W, b) in enumerate(weights):
            self.network.weights[layer][...] = W
            self.network.biases[layer][...] = b

    def loss_and_gradients(
        self, points: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Loss (with the regulariser) and [(dL/dW_l, dL/db_l)] for points (n, 2) and labels y (n,)."""
        c = self.config
        self._forget_record_gradient()  # it writes network.grad (the bitwise check would see that too)
        loss, grad = self.network.loss_and_gradient(
            self.features(points), np.asarray(y, dtype=np.float64), c.regularization, c.regularization_rate
        )
        grad_W, grad_b = _layer_views(grad, self.network)
        return loss, [(gW.copy(), gb.copy()) for gW, gb in zip(grad_W, grad_b)]

    def _forget_record_gradient(self) -> None:
        """Make the next full-batch epoch recompute its gradient instead of reusing the record's."""
        if self._fast is not None:
            self._fast.forget_record_gradient()

    def network_at(self, epoch: int) -> tuple[int, Network]:
        """The network as it was at the latest snapshot at or before ``epoch``: (snapshot epoch, copy)."""
        chosen_epoch, theta = self.snapshots[0]
        for snapshot_epoch, snapshot_theta in self.snapshots:
            if snapshot_epoch > epoch:
                break
            chosen_epoch, theta = snapshot_epoch, snapshot_theta
        if self.epoch <= epoch:
            chosen_epoch, theta = self.epoch, self.network.theta
        network = Network(self.network.layer_sizes, self.network.hidden_activation_names, theta.copy())
        return chosen_epoch, network


_NETWORK_FORWARD, _NETWORK_BACKWARD = Network.forward, Network.backward


def _mean_bce(logits: np.ndarray, y: np.ndarray, work: np.ndarray) -> float:
    """``binary_cross_entropy_from_logits(logits, y)`` in a preallocated (2, n) buffer.

    log(1 + e^z) - y z, with log(1 + e^z) as max(z, 0) + log1p(exp(-|z|)): the formula
    ``np.logaddexp(0, z)`` evaluates, here in vectorised ufuncs (equal to rounding).
    """
    value, other = work
    np.abs(logits, value)
    np.negative(value, value)
    np.exp(value, value)
    np.log1p(value, value)
    np.maximum(logits, 0.0, out=other)
    np.add(value, other, value)
    np.multiply(y, logits, other)
    np.subtract(value, other, value)
    return float(np.add.reduce(value) / y.shape[0])


class _Workspace:
    """Preallocated buffers of the fast training loop and record, for one network and data shape."""

    def __init__(self, network: Network, X_train: np.ndarray, X_test: np.ndarray):
        self.network = network
        self.shapes = (X_train.shape, X_test.shape)
        n_train, n_test = X_train.shape[0], X_test.shape[0]
        self.shuffled_X = np.empty(X_train.shape)  # X_train[order], as the reference builds it: C order
        self.shuffled_y = np.empty(n_train)
        self.theta_before = np.empty_like(network.theta)
        self.train_loss_work, self.test_loss_work = np.empty((2, n_train)), np.empty((2, n_test))
        self.train_pass, self.test_pass = BatchPass(network, n_train), BatchPass(network, n_test)
        self.batch_size = 0
        self.batches: tuple[list, tuple] = ([], ())
        # What the last record pass left in network.grad, for a full-batch epoch to reuse (None: nothing):
        # (X_train, y_train, theta's bytes, grad's bytes). See ``record_gradient_is_current``.
        self.record_state: tuple[np.ndarray, np.ndarray, bytes, bytes] | None = None
        self.train_masks = (np.empty(n_train, dtype=bool), np.empty(n_train, dtype=bool))
        self.test_masks = (np.empty(n_test, dtype=bool), np.empty(n_test, dtype=bool))
        # Record: deltas of all layers in one buffer (see BatchPass.delta_buffer), split by reduceat.
        outputs = network.layer_sizes[1:]
        self.delta_starts = np.cumsum([0] + [units * n_train for units in outputs[:-1]])
        self.delta_sizes = np.array([units * n_train for units in outputs], dtype=np.float64)
        self.delta_flats = [delta.reshape(-1) for delta in self.train_pass.deltas]  # views
        self.delta_work = np.empty(self.train_pass.delta_buffer.shape)
        self.squares = np.empty((5, network.theta.size))
        starts, offset = [], 0
        for fan_in, fan_out in zip(network.layer_sizes[:-1], outputs):
            starts += [offset, offset + fan_in * fan_out]
            offset += (fan_in + 1) * fan_out
        self.parameter_starts = np.array(starts)
        prefixes = ("grad_norm_W", "delta_mean_abs", "delta_variance", "update_ratio", "distance", "saturation", "dead")
        self.keys = [tuple(f"{prefix}{layer}" for prefix in prefixes) for layer in range(1, len(outputs) + 1)]

    def matches(self, network: Network, X_train: np.ndarray, y_train: np.ndarray, X_test, y_test) -> bool:
        """Whether these buffers still fit the trainer's network and data."""
        return (
            self.train_pass.matches(network)
            and self.shapes == (X_train.shape, X_test.shape)
            and y_train.shape[0] == X_train.shape[0]
            and y_test.shape[0] == X_test.shape[0]
        )

    def keep_record_gradient(self, X_train: np.ndarray, y_train: np.ndarray) -> None:
        """After the record's pass over (X_train (n, n_inputs), y_train (n,)): note the theta and grad it left."""
        network = self.network
        self.record_state = (X_train, y_train, network.theta.tobytes(), network.grad.tobytes())

    def forget_record_gradient(self) -> None:
        self.record_state = None

    def record_gradient_is_current(self, X_train: np.ndarray, y_train: np.ndarray) -> bool:
        """Whether network.grad still holds the data gradient of the last record pass, taken at the
        current theta on these (X_train (n, n_inputs), y_train (n,)).

        Compares the bytes of theta and grad (a memcmp of 2 x 8 x n_parameters bytes, well under a
        microsecond for the networks benchmarked): bitwise, so -0.0 for 0.0 also counts as a change.
        """
        state = self.record_state
        if state is None:
            return False
        network = self.network
        return (
            state[0] is X_train
            and state[1] is y_train
            and network.theta.tobytes() == state[2]
            and network.grad.tobytes() == state[3]
        )

    def shuffle(self, X_train: np.ndarray, y_train: np.ndarray, order: np.ndarray, batch_size: int):
        """Lay out one epoch's shuffled batches (two or more: a full batch is not shuffled, see the
        module notes); returns ([(gradient, inputs, y), ...], last batch)."""
        n_train = y_train.shape[0]
        batch = max(1, min(batch_size, n_train))
        if batch != self.batch_size:
            passes: dict[int, BatchPass] = {}
            batches = []
            for start in range(0, n_train, batch):
                stop = min(start + batch, n_train)
                if stop - start not in passes:
                    passes[stop - start] = BatchPass(self.network, stop - start, halve=True)
                X_batch, y_batch = self.shuffled_X[start:stop], self.shuffled_y[start:stop]
                batches.append((passes[stop - start].gradient, X_batch, y_batch))
            self.batches, self.batch_size = (batches[:-1], batches[-1]), batch
        np.take(X_train, order, axis=0, out=self.shuffled_X, mode="clip")
        np.take(y_train, order, out=self.shuffled_y, mode="clip")
        return self.batches

    def delta_figures(self, train: BatchPass, delta_sums: np.ndarray) -> tuple[list[float], list[float]]:
        """mean(|n delta_l|) and var(n delta_l) of every layer, from ``train``'s deltas (n: the set size).

        n delta is the per-example error signal (delta of the mean loss times n), independent of n.
        ``delta_sums``: each layer's sum of deltas, i.e. the sum of its bias gradient. The variance
        is E[d^2] - E[d]^2, or two-pass (as np.var) when the mean is large enough to cost precision.
        """
        n_train, sizes = train.n, self.delta_sizes
        abs_sums = np.add.reduceat(np.abs(train.delta_buffer, self.delta_work), self.delta_starts)
        mean_abs = (abs_sums * n_train / sizes).tolist()
        means = (delta_sums / sizes).tolist()
        mean_squares = (np.array([np.dot(flat, flat) for flat in self.delta_flats]) / sizes).tolist()
        scale, variances = n_train * n_train, []
        for layer, (mean, mean_square) in enumerate(zip(means, mean_squares)):
            variance = mean_square - mean * mean
            if 16.0 * variance >= mean_square and math.isfinite(mean_square):  # cancellation costs < 4 bits
                variances.append(variance * scale)
            else:
                variances.append(float(np.var(train.deltas[layer] * n_train)))
        return mean_abs, variances

    @staticmethod
    def accuracy(logits: np.ndarray, y: np.ndarray, masks: tuple[np.ndarray, np.ndarray]) -> float:
        """mean((logits > 0) == (y > 0.5)), without allocating."""
        predicted, actual = masks
        np.greater(logits, 0, out=predicted)
        np.greater(y, 0.5, out=actual)
        return np.count_nonzero(np.equal(predicted, actual, out=predicted)) / y.shape[0]


def _layer_views(vector: np.ndarray, network: Network) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from playground.network import _views

    return _views(vector, network.layer_sizes)


def _layer_weights(vector: np.ndarray, network: Network) -> list[np.ndarray]:
    return _layer_views(vector, network)[0]
