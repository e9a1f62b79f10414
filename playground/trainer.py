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
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from playground.config import DATA_FIELDS, NETWORK_FIELDS, TrainingConfig, sanitize
from playground.datasets import make_dataset, make_features, train_test_split
from playground.history import DEFAULT_MAX_ROWS, History
from playground.losses import binary_cross_entropy_from_logits
from playground.network import Network
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
        seed = self.config.weight_seed + 1 if weight_seed is None else weight_seed
        self.apply_config(replace(self.config, weight_seed=seed))

    def apply_config(self, config: TrainingConfig) -> str:
        """Move to a new config, rebuilding only what the change needs.

        Returns what happened: "unchanged", "data" (new data, network restarted),
        "network" (network rebuilt, epoch 0) or "training" (learning rate, batch,
        optimiser or regulariser changed; weights and history kept).
        """
        config = sanitize(config)
        changed = {name for name in config.__dataclass_fields__ if getattr(config, name) != getattr(self.config, name)}
        if not changed:
            return "unchanged"
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
        c, network, optimizer = self.config, self.network, self.optimizer
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
        for layer, (W, b) in enumerate(weights):
            self.network.weights[layer][...] = W
            self.network.biases[layer][...] = b

    def loss_and_gradients(
        self, points: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Loss (with the regulariser) and [(dL/dW_l, dL/db_l)] for points (n, 2) and labels y (n,)."""
        c = self.config
        loss, grad = self.network.loss_and_gradient(
            self.features(points), np.asarray(y, dtype=np.float64), c.regularization, c.regularization_rate
        )
        grad_W, grad_b = _layer_views(grad, self.network)
        return loss, [(gW.copy(), gb.copy()) for gW, gb in zip(grad_W, grad_b)]

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


def _layer_views(vector: np.ndarray, network: Network) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from playground.network import _views

    return _views(vector, network.layer_sizes)


def _layer_weights(vector: np.ndarray, network: Network) -> list[np.ndarray]:
    return _layer_views(vector, network)[0]
