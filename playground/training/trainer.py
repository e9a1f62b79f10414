"""Config in, trained network and history out: the scripting API of the playground.

    from playground import Trainer, TrainingConfig
    trainer = Trainer(TrainingConfig(dataset="xor", hidden_layers=(8, 8), activations=("relu", "relu")))
    trainer.train(100)
    trainer.history.tail()

One epoch is one shuffled pass over the training set in mini-batches (a full batch is the whole
set in its stored order: shuffling one batch would change nothing but rounding). Every batch
runs the same ``Pass`` (playground.engine.network), the one implementation of forward and backward.

History rows (see ``_record`` and the README's "History columns") are measured at an epoch's
final weights on a fixed *record sample*: the first ``RECORD_POINTS`` training points and as many
test points (the whole set when smaller; the split is already random, so these are a random
sample, and fixed, so the curves do not jitter with the choice of points). ``evaluate()`` gives
exact full-set values whenever they are wanted (the app shows them when paused).

How often: the last epoch of every ``train(n)`` call is always recorded (so a Step, a Step xN and
every frame of the live view end on a current row), and in between every ``record_every``-th
epoch. ``record_every`` is 1 unless a record would cost more than ``RECORD_SHARE`` of an epoch;
it is worked out from the network's and the data's sizes (``record_interval``), never from a
clock, so the same config and the same calls give the same history. Divergence is watched after
every epoch all the same (``_may_have_diverged``: non-finite parameters or last-batch logits make
the epoch record at once, and the record decides), so it is reported at most one epoch later than
with a row every epoch.
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from playground.data.datasets import (
    DATASETS,
    USER_DATASET,
    flip_labels,
    make_dataset,
    make_features,
    split_examples,
)
from playground.data.userdata import UserData
from playground.engine.network import Network, Pass, layer_views, parameter_count
from playground.engine.optimizers import make_optimizer
from playground.training.config import DATA_FIELDS, NETWORK_FIELDS, TrainingConfig, next_seed
from playground.training.history import (
    CLIPPED,
    DEFAULT_MAX_ROWS,
    EPOCH,
    GLOBAL_GRAD_NORM,
    LAYER_FIGURES,
    LEARNING_RATE,
    METRICS,
    TEST_LOSS,
    TRAIN_LOSS,
    History,
    history_columns,
    layer_column,
    metric_column,
)
from playground.training.schedules import learning_rate_at
from playground.training.trajectory import Trajectory

MAX_SNAPSHOTS = 64  # parameter snapshots kept for replay (thinned like the history)
RECORD_POINTS = 256  # training (and test) points the per-epoch record is measured on
MAX_EDITED_PARAMETER = 100.0  # a weight set by hand (the diagram): larger is a typo, not an experiment
RECORD_SHARE = 0.05  # a record may cost at most about this share of the training time
# Rough costs on a laptop CPU, for ``record_interval``: one NumPy call's fixed overhead, one
# multiply-add inside a matrix product, one element of an elementwise operation (fitted on this
# project's benchmark configurations; only their ratios matter).
CALL_SECONDS, MULTIPLY_ADD_SECONDS, ELEMENT_SECONDS = 7e-7, 1.7e-11, 3.7e-10


def record_interval(layer_sizes: list[int], n_train: int, n_test: int, batch_size: int) -> int:
    """Epochs per history row so that recording costs at most about RECORD_SHARE of training.

    A cost model (deterministic: the same sizes give the same interval on every machine). Per
    batch an epoch makes about 9 NumPy calls per layer; per example 6 multiply-adds per parameter
    (forward, and backward's two products) and about 12 elementwise operations per unit. A record
    makes about 90 calls per layer plus a forward-backward pass over the training sample and a
    forward pass over the test sample.
    """
    n_layers = len(layer_sizes) - 1
    parameters, units = parameter_count(layer_sizes), sum(layer_sizes[1:])
    train_example = 6 * parameters * MULTIPLY_ADD_SECONDS + 12 * units * ELEMENT_SECONDS
    test_example = 2 * parameters * MULTIPLY_ADD_SECONDS + 5 * units * ELEMENT_SECONDS
    epoch = epoch_seconds_estimate(layer_sizes, n_train, batch_size)
    record = (
        (90 * n_layers + 60) * CALL_SECONDS
        + min(RECORD_POINTS, n_train) * train_example
        + min(RECORD_POINTS, n_test) * test_example
    )
    return max(1, math.ceil(record / (RECORD_SHARE * epoch)))


def epoch_seconds_estimate(layer_sizes: list[int], n_train: int, batch_size: int) -> float:
    """An epoch's cost by ``record_interval``'s model (seconds on a laptop CPU; only ratios are meant)."""
    n_layers = len(layer_sizes) - 1
    parameters, units = parameter_count(layer_sizes), sum(layer_sizes[1:])
    n_batches = -(-n_train // max(1, min(batch_size, n_train)))
    train_example = 6 * parameters * MULTIPLY_ADD_SECONDS + 12 * units * ELEMENT_SECONDS
    return n_batches * (9 * n_layers + 4) * CALL_SECONDS + n_train * train_example


def clip_by_global_norm(grad: np.ndarray, max_norm: float) -> tuple[float, float]:
    """Gradient clipping by global norm (Pascanu et al. 2013), in place on ``grad`` (n_parameters,): when
    ||grad|| > max_norm, grad <- grad * max_norm / ||grad||, so its direction is kept and only the step's
    length is capped. Returns (the norm before clipping, the factor applied: 1.0 when not clipped).
    NaN compares False: a diverged gradient is left for the divergence check."""
    norm = math.sqrt(np.dot(grad, grad))
    if norm > max_norm:
        scale = max_norm / norm
        np.multiply(grad, scale, grad)
        return norm, scale
    return norm, 1.0


@dataclass
class SingleStep:
    """What one optimiser step on chosen points did (``Trainer.step_on``), every number of it.

    network: the network stepped: the trainer's own when applied, else a copy (its theta is now theta_after).
    batch_pass: its layers bound to the points, every buffer as this step's forward and backward left it
        (the forward values are those at theta_before).
    X: (n, n_inputs) the inputs; T: (n, n_outputs) the head's targets; mode: the pass's mode.
    loss: the head's mean loss; penalty: the regulariser's term (both at theta_before).
    data_gradient: dL/dtheta of the data loss, (n_parameters,) in ``network.layout``.
    gradient: data_gradient plus the regulariser's term: what clipping and the optimiser start from.
    gradient_norm: ||gradient||; clip_scale: the factor clipping applied (1.0: not clipped or off).
    theta_before / theta_after: the parameters before and after the optimiser's step (n_parameters,).
    optimizer: the optimiser after its step (the trainer's own when applied, else a copy).
    """

    network: Network
    batch_pass: Pass
    X: np.ndarray
    T: np.ndarray
    mode: str
    loss: float
    penalty: float
    data_gradient: np.ndarray
    gradient: np.ndarray
    gradient_norm: float
    clip_scale: float
    theta_before: np.ndarray
    theta_after: np.ndarray
    optimizer: object

    @property
    def update(self) -> np.ndarray:
        """theta_after - theta_before, (n_parameters,)."""
        return self.theta_after - self.theta_before


class Trainer:
    """Owns the data, the network, the optimiser and the history of one experiment."""

    def __init__(
        self,
        config: TrainingConfig | None = None,
        max_history_rows: int = DEFAULT_MAX_ROWS,
        record_every: int | None = None,
    ):
        """``record_every``: epochs between history rows within a ``train`` call; None chooses it so
        that recording costs about RECORD_SHARE of training (see ``record_interval``); 1 records
        every epoch."""
        config = TrainingConfig() if config is None else config
        if record_every is not None and (not isinstance(record_every, int) or record_every < 1):
            raise ValueError(f"record_every must be None or a whole number >= 1, got {record_every!r}")
        self._chosen_record_every = record_every
        if not isinstance(config, TrainingConfig):
            raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}")
        self.config = config
        self.max_history_rows = max_history_rows
        self._build_data()
        self._build_network()

    # ---- what the config implies -------------------------------------------------------------
    @property
    def problem(self) -> str:
        return self.config.problem

    @property
    def inputs(self) -> str:
        """ "points" (2D, plotted as a plane) or "image" (digit images, ``image_side`` pixels a side)."""
        return DATASETS[self.config.dataset].inputs

    # ---- building --------------------------------------------------------------------------
    def _build_data(self) -> None:
        c = self.config
        if c.user_data is not None:  # your own data: its points, labels and split as they are
            self.train_points, self.y_train, self.test_points, self.y_test = c.user_data.arrays()
            self.points = np.vstack([self.train_points, self.test_points])
            self.labels = np.concatenate([self.y_train, self.y_test])
        else:
            rng = np.random.default_rng(c.data_seed)
            self.points, self.labels = make_dataset(c.dataset, c.n_points, c.noise, rng, c.n_classes)
            (self.train_points, self.y_train, self.test_points, self.y_test) = split_examples(
                c.dataset, self.points, self.labels, c.train_fraction, c.train_size, rng
            )
        self._add_label_noise()
        self._build_features()

    def _add_label_noise(self) -> None:
        """Flip ``config.label_noise`` of the training labels (``flip_labels``; test labels stay clean), from
        their own seeded stream, so the same seed flips the same points. ``y_train_clean`` keeps the true
        labels; ``flipped`` (n_train,) marks the changed ones."""
        self.y_train_clean = self.y_train
        self.flipped = np.zeros(self.y_train.shape[0], dtype=bool)
        if self.config.label_noise > 0:
            rng = np.random.default_rng([self.config.data_seed, 4])
            self.y_train, self.flipped = flip_labels(self.y_train, self.config.label_noise, self.config.classes, rng)

    def _build_features(self) -> None:
        self.X_train = np.ascontiguousarray(self.features(self.train_points))
        self.X_test = np.ascontiguousarray(self.features(self.test_points))

    def _build_network(self) -> None:
        c = self.config
        # Separate streams for weights and batch order, both from the weight seed: replayable.
        self.network = Network.initialized(
            c.layer_sizes,
            list(c.activations),
            c.initializer,
            np.random.default_rng([c.weight_seed, 1]),
            c.init_sigma,
            c.head,
            residual=c.residual,
            normalization=c.normalization,
            dropout=c.dropout,
        )
        self.initial_theta = self.network.theta.copy()
        self.initial_statistics = self.network.statistics.copy()
        network = self.network
        self.T_train, self.T_test = network.targets(self.y_train), network.targets(self.y_test)
        # The record sample: contiguous leading rows, so these are views, not copies.
        self._build_record_passes()
        self._batches_for: int | None = None
        self._record_every_for: int | None = None
        # [start, stop] of each W in theta, for np.add.reduceat: the even segments are the weights
        self._weight_starts = np.ravel(network.layout.weight_spans())
        self._squares = np.empty((4, network.theta.size))
        self._theta_before = np.empty_like(network.theta)
        self.reset()

    def _sample(
        self, X: np.ndarray, T: np.ndarray, y: np.ndarray, mode: str
    ) -> tuple[Pass, np.ndarray, np.ndarray, np.ndarray]:
        n = min(RECORD_POINTS, y.shape[0])
        return Pass(self.network, n, mode), X[:n], T[:n], y[:n]

    def _build_record_passes(self) -> None:
        """The record's passes: gradients on the training sample as a step computes them, without dropout
        ("measure"); losses and metrics as predictions are made ("predict": with batch norm's running
        averages, so a separate pass over the training sample only when the network has batch norm)."""
        self._record_train = self._sample(self.X_train, self.T_train, self.y_train, "measure")
        self._record_test = self._sample(self.X_test, self.T_test, self.y_test, "predict")
        self._record_train_predict = (
            self._sample(self.X_train, self.T_train, self.y_train, "predict")
            if self.network.normalization == "batch"
            else None
        )

    def reset(self) -> None:
        """Back to epoch 0 with the same initial weights, optimiser state and batch order."""
        self.network.theta[...] = self.initial_theta
        self.network.statistics[...] = self.initial_statistics
        self.network.dropout_rng = np.random.default_rng([self.config.weight_seed, 3])  # masks replay too
        initial_squares = np.add.reduceat(self.initial_theta * self.initial_theta, self._weight_starts)[::2]
        self._initial_norms = np.sqrt(initial_squares).tolist()  # for the distance travelled
        self.optimizer = make_optimizer(self.config.optimizer, self.config.learning_rate, self.network.theta.size)
        self.shuffle_rng = np.random.default_rng([self.config.weight_seed, 2])
        self.epoch = 0
        self._epoch_position: int | None = None  # the next batch of an epoch stopped mid-way (train_until)
        self.diverged_at: int | None = None
        self.history = History(history_columns(self.network.n_layers, self.problem), self.max_history_rows)
        self.snapshots: list[tuple[int, np.ndarray]] = []  # (epoch, theta and then batch norm's statistics)
        self._clipped_since_record = 0
        self._last_global_norm = math.nan
        self._snapshot_stride = 1
        self.trajectory = Trajectory(self.network.theta.size)  # the loss landscape's path
        self.trajectory.add(self.epoch, self.network.theta)
        self._last_update = np.zeros_like(self.network.theta)
        self.stopped_early_at: int | None = None
        self._start_watching_test_loss()
        self._record()

    def start_from(
        self,
        weights: list[tuple[np.ndarray, np.ndarray]],
        gammas: list[np.ndarray] | None = None,
        betas: list[np.ndarray] | None = None,
        statistics: np.ndarray | None = None,
    ) -> None:
        """Make ``weights`` (as ``get_weights`` gives them) the run's initial weights and restart at epoch 0:
        Reset then returns to them (a loaded model: ``playground.links.model_file``).

        A normalised network's gamma and beta (one (width,) array per hidden layer, as ``network.gammas`` and
        ``network.betas``) and batch norm's running averages (``network.statistics``' layout) start from the
        given ones too; None keeps the network's own (gamma 1, beta 0, no batch seen). Wrong shapes raise
        ValueError before anything changes."""
        network = self.network
        for name, given, views in (("gammas", gammas, network.gammas), ("betas", betas, network.betas)):
            shapes = [view.shape for view in views]
            if given is not None and [np.shape(array) for array in given] != shapes:
                raise ValueError(f"{name} must be one array per hidden layer of shapes {shapes}")
        if statistics is not None and np.shape(statistics) != network.statistics.shape:
            raise ValueError(f"statistics must have shape {network.statistics.shape}, got {np.shape(statistics)}")
        self.set_weights(weights)
        for given, views in ((gammas, network.gammas), (betas, network.betas)):
            for array, view in zip(given or [], views):
                view[...] = array
        if statistics is not None:
            network.statistics[...] = statistics
        self.initial_theta = self.network.theta.copy()
        self.initial_statistics = self.network.statistics.copy()
        self.reset()

    def reinitialize(self, weight_seed: int | None = None) -> None:
        """Draw new initial weights (a new seed, or the next one) and restart at epoch 0."""
        seed = next_seed(self.config.weight_seed) if weight_seed is None else weight_seed
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
        if not isinstance(config, TrainingConfig):
            raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}")
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
        if config.dropout != old.dropout:  # before a restart too: the restarted run uses the new share
            self.network.set_dropout(config.dropout)
            self._batches_for = None  # the training passes get (or lose) their dropout layers
        if config.dropout != old.dropout or config.batch_size != old.batch_size:
            self._epoch_position = None  # an epoch stopped mid-way ends there: its batches are no longer these
        if self.diverged:
            self.reset()
            return "restarted"
        if config.optimizer != old.optimizer:
            self.optimizer = make_optimizer(config.optimizer, config.learning_rate, self.network.theta.size)
        self.optimizer.learning_rate = self.scheduled_learning_rate
        if config.early_stopping != old.early_stopping or self.stopped_early:
            # A new patience (or any change after a stop) goes on from here, the restored best weights.
            self.stopped_early_at = None
            self._start_watching_test_loss()
        return "training"

    def edit_data(self, user_data: UserData) -> str:
        """Train on ``user_data`` from now on (points added or erased, a built-in dataset made editable).

        When the network's shape and head stay the same (same problem and classes), the weights, the
        optimiser's state, the epoch, the history and the snapshots are kept: training simply goes on with
        the new points (the next history row is measured on them). Rebuilt: the data arrays, their
        features and targets, the batches and the record sample. Returns "edited"; with another shape
        (e.g. regression data for a classifier) the run restarts as for any data change ("data").
        """
        # The points' labels are taken as they are: noise flipped before is part of them now.
        config = replace(self.config, dataset=USER_DATASET, user_data=user_data, label_noise=0.0)
        same_shape = config.layer_sizes == self.config.layer_sizes and config.head == self.config.head
        if not same_shape or self.inputs == "image":
            return self.apply_config(config)
        self.config = config
        self._build_data()
        network = self.network
        self.T_train, self.T_test = network.targets(self.y_train), network.targets(self.y_test)
        self._build_record_passes()
        self._batches_for = None  # batch buffers follow the training set's size
        self._record_every_for = None
        self._epoch_position = None  # an epoch stopped mid-way ends there: its batches were the old points
        return "edited"

    def add_training_examples(self, points: np.ndarray, y: np.ndarray) -> None:
        """Append examples to the training set: points (k, 2) or images (k, side²), labels (k,) (a digit drawn on
        the pad). Weights, optimiser state, epoch and history are kept: training goes on with them in the set
        (the next epoch's batches include them). Until a data setting changes: that draws the data afresh.
        ValueError names a wrong shape or a label the problem does not have."""
        X = self.features(points)
        y = np.asarray(y, dtype=np.float64).ravel()
        classes = self.config.classes
        if y.shape != (X.shape[0],) or not np.all(np.isfinite(y)):
            raise ValueError(f"labels must be {X.shape[0]} finite numbers, got shape {y.shape}")
        if classes and not np.all((y == np.round(y)) & (y >= 0) & (y < classes)):
            raise ValueError(f"labels must be classes from 0 to {classes - 1}")
        self.train_points = np.vstack([self.train_points, np.asarray(points, dtype=np.float64)])
        self.y_train = np.concatenate([self.y_train, y])
        self.y_train_clean = np.concatenate([self.y_train_clean, y])
        self.flipped = np.concatenate([self.flipped, np.zeros(y.shape[0], dtype=bool)])
        self.X_train = np.ascontiguousarray(np.vstack([self.X_train, X]))
        self.T_train = self.network.targets(self.y_train)
        self._build_record_passes()
        self._batches_for = None  # batch buffers follow the training set's size
        self._record_every_for = None
        self._epoch_position = None

    # ---- training --------------------------------------------------------------------------
    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def train(self, epochs: int = 1) -> int:
        """Train up to ``epochs`` epochs; stops early if training diverges. Returns epochs run.

        The last epoch is always recorded in the history, and every ``record_every``-th one
        before it (see the module notes). An epoch that ``train_until`` stopped mid-way is finished
        first, as the first of the ``epochs``.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
            raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
        return self._train(int(epochs), None)

    def train_until(self, deadline: float, max_epochs: int) -> int:
        """Train batch by batch until ``time.perf_counter()`` reaches ``deadline`` (checked after every batch) or
        ``max_epochs`` epochs have ended; the first batch always runs. Returns the epochs that ended.

        For data whose epoch takes longer than a frame (MNIST): the page can redraw and Pause within a frame
        while an epoch is under way. A stop mid-epoch leaves ``epoch_progress`` between 0 and 1 and the weights
        as the batches so far left them; the next ``train_until`` or ``train`` goes on from the next batch, so
        the run is the same, batch for batch, as one ``train`` call. An epoch that ends when the time is up is
        recorded, so the history's last row is the current epoch whenever no epoch is under way.
        """
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, numbers.Integral) or max_epochs < 1:
            raise ValueError(f"max_epochs must be a whole number >= 1, got {max_epochs!r}")
        if not isinstance(deadline, numbers.Real) or math.isnan(deadline):
            raise ValueError(f"deadline must be a time.perf_counter() value, got {deadline!r}")
        return self._train(int(max_epochs), float(deadline))

    def _train(self, epochs: int, deadline: float | None) -> int:
        done = 0
        with np.errstate(all="ignore"):  # overflow is detected and reported, not warned about
            every = self.record_every
            time_up = False  # read once per epoch: an epoch that ends the call is the one recorded as ending it
            while done < epochs and self.can_train:
                if deadline is not None:
                    if time_up:
                        break
                    if not self._train_batches_until(deadline):
                        break  # the time is up mid-epoch
                    time_up = time.perf_counter() >= deadline
                done += 1
                record = done == epochs or (self.epoch + 1) % every == 0
                self._train_one_epoch(record=record or time_up)
                if self.config.early_stopping:
                    self._watch_test_loss()
                self.trajectory.add(self.epoch, self.network.theta)
        return done

    @property
    def epoch_seconds_estimate(self) -> float:
        """What an epoch costs by the cost model (``epoch_seconds_estimate``): known before the first epoch, the
        same on every machine (big matrix products take longer than it says)."""
        return epoch_seconds_estimate(self.network.layer_sizes, self.y_train.shape[0], self.config.batch_size)

    @property
    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """The run's trajectory: (epochs (k,), the parameters theta after each (k, n_parameters)), epoch 0 first:
        every epoch of a short run, evenly thinned on a long one (``playground.training.trajectory``). Weights
        moved outside ``train`` (a walkthrough step, a weight set by hand) join at the next epoch."""
        return self.trajectory.points()

    @property
    def epoch_progress(self) -> float:
        """The share (0 to 1) of the next epoch's batches already trained (0 unless ``train_until`` stopped
        mid-epoch)."""
        if self._epoch_position is None:
            return 0.0
        return self._epoch_position / len(self._batch_list)

    @property
    def scheduled_learning_rate(self) -> float:
        """The rate the next epoch (0-based ``self.epoch``) trains with (``config.lr_schedule``)."""
        return learning_rate_at(self.config, self.epoch)

    # ---- early stopping --------------------------------------------------------------------
    @property
    def stopped_early(self) -> bool:
        return self.stopped_early_at is not None

    @property
    def can_train(self) -> bool:
        """False after a divergence or an early stop: ``train`` then trains nothing until Reset or a new setting."""
        return self.diverged_at is None and self.stopped_early_at is None

    def _test_loss_now(self) -> float:
        """The history's test loss (the record's test sample, with the regulariser's term) at the current weights."""
        c = self.config
        test, X_test = self._record_test[0], self._record_test[1]
        test.forward(X_test)
        penalty = self.network.regularization_penalty(c.regularization, c.regularization_rate)
        return self._measure(self._record_test, penalty)[0]

    def _start_watching_test_loss(self) -> None:
        """Early stopping counts from now: the current weights are the best so far."""
        self.best_epoch = self.epoch
        self.best_test_loss = self._test_loss_now() if self.config.early_stopping else math.nan
        self._best_state = np.concatenate((self.network.theta, self.network.statistics))

    def _watch_test_loss(self) -> None:
        """After each epoch with early stopping on: keep the best weights (by the test loss the chart shows);
        after ``config.early_stopping`` epochs without a better one, go back to them and stop."""
        loss = self._test_loss_now()
        if loss < self.best_test_loss or not math.isfinite(self.best_test_loss):
            if math.isfinite(loss):
                self.best_epoch, self.best_test_loss = self.epoch, loss
                size = self.network.theta.size
                self._best_state[:size], self._best_state[size:] = self.network.theta, self.network.statistics
                return
        if self.epoch - self.best_epoch < self.config.early_stopping or self.diverged:
            return
        size = self.network.theta.size
        np.subtract(self._best_state[:size], self.network.theta, out=self._last_update)
        self.network.theta[...], self.network.statistics[...] = self._best_state[:size], self._best_state[size:]
        self.stopped_early_at = self.epoch
        # The row at the stop shows the restored weights (what the run now is), in place of the epoch's own.
        latest = self.history.latest.get(EPOCH)
        self._record(replace_latest=latest == self.epoch)

    @property
    def record_every(self) -> int:
        """Epochs between history rows within one ``train`` call (see ``record_interval``)."""
        if self._chosen_record_every is not None:
            return self._chosen_record_every
        batch = max(1, min(self.config.batch_size, self.y_train.shape[0]))
        if self._record_every_for != batch:
            sizes = self.network.layer_sizes
            self._record_every = record_interval(sizes, self.y_train.shape[0], self.y_test.shape[0], batch)
            self._record_every_for = batch
        return self._record_every

    def _batches(self) -> list[tuple[Pass, np.ndarray, np.ndarray]]:
        """This epoch's batches as (pass, X_batch, T_batch), views into the (shuffled) training set."""
        n_train = self.y_train.shape[0]
        batch = max(1, min(self.config.batch_size, n_train))
        if self._batches_for != batch:
            self._shuffle = batch < n_train
            if self._shuffle:
                self._shuffled_X, self._shuffled_T = np.empty_like(self.X_train), np.empty_like(self.T_train)
                X, T = self._shuffled_X, self._shuffled_T
            else:
                X, T = self.X_train, self.T_train
            passes: dict[int, Pass] = {}
            self._batch_list = []
            starts = list(range(0, n_train, batch))
            if self.network.normalization == "batch" and len(starts) > 1 and n_train - starts[-1] == 1:
                starts.pop()  # batch norm cannot standardise one example: it joins the batch before it
            for start, stop in zip(starts, starts[1:] + [n_train]):
                size = stop - start
                if size not in passes:
                    passes[size] = Pass(self.network, size, "train")
                self._batch_list.append((passes[size], X[start:stop], T[start:stop]))
            self._batches_for = batch
        if self._shuffle:
            order = self.shuffle_rng.permutation(n_train)
            np.take(self.X_train, order, axis=0, out=self._shuffled_X)
            np.take(self.T_train, order, axis=0, out=self._shuffled_T)
        return self._batch_list

    def _start_epoch(self) -> list[tuple[Pass, np.ndarray, np.ndarray]]:
        """The epoch's learning rate (a schedule's) and batches (shuffled): called once before its first batch."""
        if self.config.lr_schedule != "constant":
            self.optimizer.learning_rate = self.scheduled_learning_rate
        self._epoch_position = 0
        return self._batches()

    def _train_batch(self, batch_pass: Pass, X_batch: np.ndarray, T_batch: np.ndarray) -> None:
        """One batch but an epoch's last (whose update and gradient norm are kept for the record)."""
        network, c = self.network, self.config
        batch_pass.forward(X_batch)
        batch_pass.backward(X_batch, T_batch)
        if c.regularization != "none" and c.regularization_rate > 0:
            network.add_regularization_gradient(c.regularization, c.regularization_rate)
        if c.gradient_clip:
            self._clip(network.grad, c.gradient_clip)
        self.optimizer.step(network.theta, network.grad)

    def _train_batches_until(self, deadline: float) -> bool:
        """Train the epoch's batches but its last until ``deadline`` (at least one when any is left). True when
        only the last batch is left (``_train_one_epoch`` ends the epoch); False: stopped mid-epoch."""
        batches = self._start_epoch() if self._epoch_position is None else self._batch_list
        last = len(batches) - 1
        while self._epoch_position < last:
            self._train_batch(*batches[self._epoch_position])
            self._epoch_position += 1
            if self._epoch_position < last and time.perf_counter() >= deadline:
                return False
        return True

    def _train_one_epoch(self, record: bool = True) -> None:
        """Train the epoch's batches (from where ``train_until`` stopped, if it did), then its last one."""
        c, network = self.config, self.network
        theta, grad, step = network.theta, network.grad, self.optimizer.step
        rule, rate = c.regularization, c.regularization_rate
        regularize = rule != "none" and rate > 0
        clip = c.gradient_clip
        if self._epoch_position is None:
            batches = self._start_epoch()
            remaining = batches[:-1]
        else:  # an epoch stopped mid-way: its batches were shuffled when it started
            batches = self._batch_list
            remaining = batches[self._epoch_position : -1]
        # (The loop of _train_batch, inlined: a function call per batch costs a few per cent on small networks.)
        for batch_pass, X_batch, T_batch in remaining:
            batch_pass.forward(X_batch)
            batch_pass.backward(X_batch, T_batch)
            if regularize:
                network.add_regularization_gradient(rule, rate)
            if clip:
                self._clip(grad, clip)
            step(theta, grad)
        self._epoch_position = None
        batch_pass, X_batch, T_batch = batches[-1]  # the last batch: its update is recorded
        batch_pass.forward(X_batch)
        batch_pass.backward(X_batch, T_batch)
        if regularize:
            network.add_regularization_gradient(rule, rate)
        if clip:
            self._last_global_norm = self._clip(grad, clip)
        elif record:
            self._last_global_norm = math.sqrt(np.dot(grad, grad))
        if record:
            np.copyto(self._theta_before, theta)
            step(theta, grad)
            np.subtract(theta, self._theta_before, out=self._last_update)
        else:
            step(theta, grad)
        self.epoch += 1
        if record or self._may_have_diverged(batch_pass):
            if not record:
                self._last_update.fill(np.nan)  # unknown: the update was not kept
                if not clip:
                    self._last_global_norm = math.nan  # not measured either (only clipping measures every epoch)
            self._record()  # decides divergence on the record sample, as on every recorded epoch

    def _clip(self, grad: np.ndarray, max_norm: float) -> float:
        """``clip_by_global_norm`` (before the optimiser's step), counting the clipped batches for the
        history. Returns the norm before clipping."""
        norm, scale = clip_by_global_norm(grad, max_norm)
        if scale != 1.0:
            self._clipped_since_record += 1
        return norm

    def _may_have_diverged(self, last_batch: Pass) -> bool:
        """A cheap watch between records: the parameters, or the last batch's logits, are no longer finite.

        Finite logits keep every head's loss finite (short of squares overflowing, which the sum of
        squares catches too). One finite sum means finite values; a non-finite one is checked exactly
        (it may just overflow). A hit makes the epoch record, and the record decides.
        """
        theta, logits = self.network.theta, last_batch.logits_flat
        if math.isfinite(np.add.reduce(theta) + np.dot(logits, logits)):
            return False
        return not (np.all(np.isfinite(theta)) and math.isfinite(np.dot(logits, logits)))

    # ---- recording -------------------------------------------------------------------------
    def _measure(self, sample, penalty: float) -> tuple[float, dict[str, float]]:
        """Loss and metrics of the network on a (pass, X, T, y) sample, after its forward pass."""
        batch_pass, _, T, y = sample
        loss = self.network.head.loss(batch_pass.logits, T) + penalty
        return loss, self.network.head.metrics(batch_pass.outputs, y)

    def _record(self, replace_latest: bool = False) -> None:
        """Append one history row, measured on the record sample (see the module notes).

        Columns (README, "History columns"): losses and metrics on the train and test samples;
        per weight layer: the norm of dL/dW of the data loss, mean |n delta| and Var(n delta)
        (the per-example error signal), the last update's norm over the weights' norm, the
        distance travelled from the initial weights (relative), and for hidden layers the share of
        saturated units and of dead ReLUs (zero on every sample point).
        """
        c, network = self.config, self.network
        train, X_train, T_train, _ = self._record_train
        train.forward(X_train)
        train.backward(X_train, T_train)
        penalty = network.regularization_penalty(c.regularization, c.regularization_rate)
        if self._record_train_predict is None:
            train_loss, train_metrics = self._measure(self._record_train, penalty)
        else:  # batch norm: the loss as predictions are made, with its running averages
            predict_pass, X_predict = self._record_train_predict[0], self._record_train_predict[1]
            predict_pass.forward(X_predict)
            train_loss, train_metrics = self._measure(self._record_train_predict, penalty)
        test, X_test = self._record_test[0], self._record_test[1]
        test.forward(X_test)
        test_loss, test_metrics = self._measure(self._record_test, penalty)
        row = {EPOCH: self.epoch, TRAIN_LOSS: train_loss, TEST_LOSS: test_loss}
        row[CLIPPED], row[GLOBAL_GRAD_NORM] = self._clipped_since_record, self._last_global_norm
        row[LEARNING_RATE] = learning_rate_at(self.config, max(self.epoch - 1, 0))
        self._clipped_since_record = 0
        for metric in METRICS[self.problem]:
            row[metric_column("train", metric)] = train_metrics[metric]
            row[metric_column("test", metric)] = test_metrics[metric]
        # Sums of squares of W, dL/dW, the last update and W - W_initial, every layer at once.
        theta, squares = network.theta, self._squares
        np.multiply(theta, theta, out=squares[0])
        np.multiply(network.grad, network.grad, out=squares[1])
        np.multiply(self._last_update, self._last_update, out=squares[2])
        np.subtract(theta, self.initial_theta, out=squares[3])
        np.multiply(squares[3], squares[3], out=squares[3])
        sums = np.add.reduceat(squares, self._weight_starts, axis=1)[:, ::2]  # (4, L): weights only
        W_norms, grad_norms, update_norms, distances = np.sqrt(sums).tolist()
        theta_finite = math.isfinite(float(sums[0].sum())) or bool(np.all(np.isfinite(theta)))
        n, deltas, activated = train.n, train.deltas, train.activated
        grad_key, abs_key, var_key, ratio_key, distance_key, saturation_key, dead_key = LAYER_FIGURES
        for layer in range(network.n_layers):
            name = layer + 1
            delta = deltas[layer]
            W_norm, initial_norm = W_norms[layer], self._initial_norms[layer]
            row[layer_column(grad_key, name)] = grad_norms[layer]
            # n delta: the per-example error signal (delta of the mean loss times n), independent of n.
            row[layer_column(abs_key, name)] = float(np.abs(delta).mean()) * n
            row[layer_column(var_key, name)] = float(delta.var()) * (n * n)
            row[layer_column(ratio_key, name)] = update_norms[layer] / W_norm if W_norm else np.nan
            row[layer_column(distance_key, name)] = distances[layer] / initial_norm if initial_norm else np.nan
            if layer < network.n_layers - 1:
                a = activated[layer]
                activation = network.hidden_activations[layer]
                if activation.saturation_test is not None:
                    row[layer_column(saturation_key, name)] = float(np.mean(activation.saturation_test(a)))
                if activation.name == "relu":
                    row[layer_column(dead_key, name)] = float(np.mean(np.all(a <= 0.0, axis=0)))
        if not (math.isfinite(train_loss) and theta_finite):
            self.diverged_at = self.epoch
        self.history.append(row, replace_latest)
        self._maybe_snapshot()

    def _maybe_snapshot(self) -> None:
        if self.snapshots and self.snapshots[-1][0] == self.epoch:
            self.snapshots.pop()  # the same epoch again (early stopping's restore, a walkthrough step): the newest
        if self.epoch % self._snapshot_stride:
            return
        if len(self.snapshots) == MAX_SNAPSHOTS:
            self.snapshots = self.snapshots[::2]
            self._snapshot_stride *= 2
            if self.epoch % self._snapshot_stride:
                return
        self.snapshots.append((self.epoch, np.concatenate((self.network.theta, self.network.statistics))))

    def evaluate(self, network: Network | None = None) -> dict[str, float]:
        """Exact loss and metrics on the whole training and test sets (the record uses a sample).

        Returns {"train_loss", "test_loss", "train_<metric>", "test_<metric>"} as in the history.
        """
        network = self.network if network is None else network
        c = self.config
        penalty = network.regularization_penalty(c.regularization, c.regularization_rate)
        result = {}
        with np.errstate(all="ignore"):
            for split, X, T, y in (
                ("train", self.X_train, self.T_train, self.y_train),
                ("test", self.X_test, self.T_test, self.y_test),
            ):
                cache = network.forward(X)
                result[f"{split}_loss"] = network.head.loss(cache.logits, T) + penalty
                for metric, value in network.head.metrics(cache.outputs, y).items():
                    result[metric_column(split, metric)] = value
        return result

    def flipped_loss_share(self) -> float:
        """The share of the training data loss (whole training set, as predictions are made) that the points
        with a flipped label carry: 0 with no label noise. The points a network bends around: a memorising
        network drives it down, a generalising one leaves them wrong (share well above their share of points)."""
        flipped = self.flipped
        if not flipped.any():
            return 0.0
        with np.errstate(all="ignore"):
            cache = self.network.forward(self.X_train)
            loss = self.network.head.loss
            total = loss(cache.logits, self.T_train) * flipped.size
            part = loss(cache.logits[flipped], self.T_train[flipped]) * flipped.sum()
        return float(part / total) if total > 0 else math.nan

    # ---- reading ---------------------------------------------------------------------------
    @property
    def history_frame(self) -> pd.DataFrame:
        """The per-epoch history as a DataFrame (see ``playground.training.history.history_columns``)."""
        return self.history.to_frame()

    @property
    def image_side(self) -> int:
        """Pixels per side of the dataset's images (8 for the UCI digits, 28 for MNIST); 0 for 2D points."""
        return DATASETS[self.config.dataset].image_side

    def features(self, points: np.ndarray) -> np.ndarray:
        """Network inputs for points in data coordinates: (n, 2) -> (n, n_features); images (n, side²) as they are."""
        points = np.asarray(points, dtype=np.float64)
        side = self.image_side
        width = side * side if self.inputs == "image" else 2
        if points.ndim != 2 or points.shape[1] != width:
            kind = f"{side}x{side} images as rows of {width} pixels" if side else "2D points"
            raise ValueError(f"{self.config.dataset} takes {kind}: inputs of shape (n, {width}), got {points.shape}")
        return points if self.inputs == "image" else make_features(points, self.config.features)

    def predict_outputs(self, points: np.ndarray) -> np.ndarray:
        """The head's outputs (probabilities or values) for points (n, 2) or images (n, 64) -> (n, n_outputs)."""
        with np.errstate(all="ignore"):
            return self.network.predict_outputs(self.features(points))

    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """Binary: P(class 1), (n,); multi-class: (n, K) class probabilities. Regression raises."""
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

    def record_update(self, update: np.ndarray) -> None:
        """Add a history row now, after the parameters were moved by ``update`` (n_parameters,) outside
        ``train`` (one optimiser step on one example: ``playground.teaching.walkthrough.apply_walkthrough``).

        The epoch count stays (no epoch was trained): the row has the current epoch, measured at the new
        weights, and its update ratio is that of ``update``.
        """
        np.copyto(self._last_update, update)
        self._record()

    # ---- one step on chosen points (the backprop walkthrough's step; scripting) ---------------------
    def step_on(self, points: np.ndarray, y: np.ndarray, mode: str = "train", apply: bool = True) -> SingleStep:
        """One optimiser step on ``points`` alone: (n, 2) points or (n, 64) images, labels y (n,).

        The calls of one batch of ``train`` (``_train_one_epoch``) on a batch of exactly these points: a
        ``Pass`` in ``mode`` forward and backward, the regulariser's gradient, clipping by global norm
        (``config.gradient_clip``), the optimiser's step. ``mode`` (``playground.engine.layers.MODES``):
        "train" as an epoch's batches (batch norm on the batch's statistics and its running averages
        updated; dropout masks drawn from the network's generator); "predict": batch norm's running
        averages as fixed numbers and no dropout, the backprop walkthrough's step on one example (batch
        statistics of one example are degenerate: every standardised value 0); "measure" as "train"
        without side effects. Batch norm in "train" or "measure" needs at least 2 points (ValueError).

        apply=True: the trainer's own network and optimiser take the step; the epoch count stays (no epoch
        was trained) and the history gets a row at the new weights (``record_update``). apply=False: a
        preview on copies (parameters, running averages, dropout generator, optimiser); nothing in the
        trainer changes. Both run the same calls on the same numbers, so they agree bit for bit.
        """
        X = self.features(points)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (X.shape[0],):
            raise ValueError(f"labels must have shape ({X.shape[0]},) to match the inputs, got {y.shape}")
        if self.network.normalization == "batch" and mode != "predict" and X.shape[0] < 2:
            raise ValueError(
                "batch norm standardises each unit over the batch: a step on one point needs mode='predict' "
                "(its running averages) or at least 2 points"
            )
        c, network, optimizer = self.config, self.network, self.optimizer
        if not apply:
            network, optimizer = network.copy(), copy.deepcopy(optimizer)
            network.dropout_rng = copy.deepcopy(self.network.dropout_rng)  # the same masks the real step draws
        T = network.targets(y)
        with np.errstate(all="ignore"):  # a diverged run steps to NaN: reported by the record, not warned about
            batch_pass = Pass(network, X.shape[0], mode)
            batch_pass.forward(X)
            batch_pass.backward(X, T)
            data_gradient = network.grad.copy()
            network.add_regularization_gradient(c.regularization, c.regularization_rate)
            gradient = network.grad.copy()
            loss = network.head.loss(batch_pass.logits, T)
            penalty = network.regularization_penalty(c.regularization, c.regularization_rate)
            if c.gradient_clip:
                norm, scale = clip_by_global_norm(network.grad, c.gradient_clip)
            else:
                norm, scale = math.sqrt(np.dot(gradient, gradient)), 1.0
            theta_before = network.theta.copy()
            optimizer.step(network.theta, network.grad)
        numbers = (loss, penalty, data_gradient, gradient, norm, scale, theta_before, network.theta.copy())
        step = SingleStep(network, batch_pass, X, T, mode, *numbers, optimizer)
        if apply:
            self._clipped_since_record += int(scale != 1.0)
            self._last_global_norm = norm
            self.record_update(step.update)
        return step

    def set_parameter(self, kind: str, layer: int, row: int, col: int, value: float) -> float:
        """Set one weight (``kind`` "weight": W_layer[row, col]) or bias ("bias": b_layer[col]), 0-based
        weight layer; training continues from it and Reset returns to the initial weights. Returns the
        old value. Raises ValueError naming what is wrong (an index out of range, a value that is not
        a finite number of at most MAX_EDITED_PARAMETER in size)."""
        if kind not in ("weight", "bias"):
            raise ValueError(f"kind must be 'weight' or 'bias', got {kind!r}")
        n_layers = self.network.n_layers
        if not (isinstance(layer, numbers.Integral) and 0 <= layer < n_layers):
            raise ValueError(f"layer must be a weight layer from 0 to {n_layers - 1}, got {layer!r}")
        W, b = self.network.weights[layer], self.network.biases[layer]
        fan_in, fan_out = W.shape
        if not (isinstance(col, numbers.Integral) and 0 <= col < fan_out):
            raise ValueError(f"unit {col!r} does not exist: layer {layer + 1} has {fan_out} units")
        if kind == "weight" and not (isinstance(row, numbers.Integral) and 0 <= row < fan_in):
            raise ValueError(f"input {row!r} does not exist: layer {layer + 1} has {fan_in} inputs")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"a weight must be a finite number, got {value!r}")
        if abs(value) > MAX_EDITED_PARAMETER:
            raise ValueError(f"a weight can be set to at most ±{MAX_EDITED_PARAMETER:g}, got {value:g}")
        if kind == "weight":
            old, W[row, col] = float(W[row, col]), value
        else:
            old, b[col] = float(b[col]), value
        return old

    def loss_and_gradients(
        self, points: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Loss (with the regulariser) and [(dL/dW_l, dL/db_l)] for points (n, 2) or images (n, 64), labels y (n,)."""
        c = self.config
        X = self.features(points)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (X.shape[0],):
            raise ValueError(f"labels must have shape ({X.shape[0]},) to match the inputs, got {y.shape}")
        loss, grad = self.network.loss_and_gradient(X, y, c.regularization, c.regularization_rate)
        grad_W, grad_b = layer_views(grad, self.network.layer_sizes)
        return loss, [(gW.copy(), gb.copy()) for gW, gb in zip(grad_W, grad_b)]

    def network_at(self, epoch: int | None = None) -> tuple[int, Network]:
        """The network as it was at the latest snapshot at or before ``epoch``: (that epoch, a copy).

        The one way to see a run at a replay epoch. For ``epoch`` None (or not before now) it is the
        trainer's own network, not a copy: read it, do not change it.
        """
        if epoch is None or self.epoch <= epoch:
            return self.epoch, self.network
        chosen_epoch, saved = self.snapshots[0]
        for snapshot_epoch, snapshot in self.snapshots:
            if snapshot_epoch > epoch:
                break
            chosen_epoch, saved = snapshot_epoch, snapshot
        size = self.network.theta.size
        return chosen_epoch, self.network.copy(saved[:size], saved[size:])
