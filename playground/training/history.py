"""A bounded per-epoch history: numeric columns in preallocated arrays, and the columns' names.

Column names are defined here once (``history_columns``, ``metric_column``, ``layer_column``);
every other module asks for them instead of spelling them out.

When ``max_rows`` is reached, every other row is dropped and from then on only
every ``stride``-th epoch is kept (the stride doubles each time), so a
100,000-epoch run costs the same memory as a 5,000-epoch one while the curves
keep their shape. The newest row is always kept, whatever the stride.
``generation`` counts those thinnings, so a consumer holding a copy of the rows
knows when to fetch them again.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import pandas as pd

DEFAULT_MAX_ROWS = 4096

EPOCH, TRAIN_LOSS, TEST_LOSS = "epoch", "train_loss", "test_loss"
SPLITS = ("train", "test")
# The metric each problem reports, per split: accuracy for classification, R^2 and RMSE for regression.
METRICS = {"binary": ("accuracy",), "multiclass": ("accuracy",), "regression": ("r2", "rmse")}
# Per weight layer l (1-based), column f"{figure}{l}": see the README's "History columns".
GRAD_NORM, DELTA_MEAN_ABS, DELTA_VARIANCE = "grad_norm_W", "delta_mean_abs", "delta_variance"
UPDATE_RATIO, DISTANCE, SATURATION, DEAD = "update_ratio", "distance", "saturation", "dead"
LAYER_FIGURES = (GRAD_NORM, DELTA_MEAN_ABS, DELTA_VARIANCE, UPDATE_RATIO, DISTANCE, SATURATION, DEAD)
# Gradient clipping: the mini-batches whose gradient was clipped since the previous row (0 when clipping is
# off), and the global gradient norm of the row's epoch's last batch, before clipping.
CLIPPED, GLOBAL_GRAD_NORM = "clipped_batches", "grad_norm_global"
# The learning rate the row's epoch trained with (it changes under a schedule: playground.training.schedules).
LEARNING_RATE = "learning_rate"


def metric_column(split: str, metric: str) -> str:
    """e.g. ("test", "accuracy") -> "test_accuracy"."""
    return f"{split}_{metric}"


def layer_column(figure: str, layer: int) -> str:
    """e.g. ("grad_norm_W", 1) -> "grad_norm_W1" (layers are 1-based)."""
    return f"{figure}{layer}"


def layer_columns(figure: str, n_layers: int) -> list[str]:
    return [layer_column(figure, layer) for layer in range(1, n_layers + 1)]


def history_columns(n_layers: int, problem: str = "binary") -> list[str]:
    """Names of the history columns for a network with ``n_layers`` weight layers."""
    columns = [EPOCH, TRAIN_LOSS, TEST_LOSS]
    columns += [metric_column(split, metric) for metric in METRICS[problem] for split in SPLITS]
    for figure in LAYER_FIGURES:
        columns += layer_columns(figure, n_layers)
    return columns + [CLIPPED, GLOBAL_GRAD_NORM, LEARNING_RATE]


class History:
    def __init__(self, columns: list[str], max_rows: int = DEFAULT_MAX_ROWS):
        if max_rows < 4 or max_rows % 2:
            raise ValueError("max_rows must be an even number >= 4")
        self.columns = list(columns)
        self.max_rows = max_rows
        self._data = np.full((max_rows, len(columns)), np.nan)
        self._index = {name: i for i, name in enumerate(columns)}
        self.n_rows = 0
        self.stride = 1
        self.generation = 0
        self._frame_cache: pd.DataFrame | None = None
        # The latest row is also held apart: a row that the stride skips is still shown as "now".
        self.latest: dict[str, float] = {}
        self._last_row_is_provisional = False

    def append(self, row: dict[str, float], replace_latest: bool = False) -> None:
        """Add one epoch's row (keys must be the columns; 'epoch' included). ``replace_latest``: the row
        takes the newest row's place (the same epoch measured again, e.g. after early stopping restored
        the best weights)."""
        self.latest = row
        self._frame_cache = None
        values = list(map(row.get, self.columns, repeat(np.nan)))  # row.get(name, nan) per column
        if self._last_row_is_provisional or (replace_latest and self.n_rows):
            # The previous row was kept only because it was the newest; replace it.
            self.n_rows -= 1
        if self.n_rows == self.max_rows:
            self._data[: self.max_rows // 2] = self._data[::2]
            self._data[self.max_rows // 2 :] = np.nan
            self.n_rows = self.max_rows // 2
            self.stride *= 2
            self.generation += 1
        self._data[self.n_rows] = values
        self.n_rows += 1
        self._last_row_is_provisional = int(row[EPOCH]) % self.stride != 0

    def column(self, name: str) -> np.ndarray:
        """A read-only view of one column over the kept rows, shape (n_rows,)."""
        view = self._data[: self.n_rows, self._index[name]]
        view.flags.writeable = False
        return view

    def rows_after(self, epoch: float) -> np.ndarray:
        """Kept rows with an epoch greater than ``epoch``: (k, n_columns), for incremental charts."""
        epochs = self._data[: self.n_rows, self._index[EPOCH]]
        start = int(np.searchsorted(epochs, epoch, side="right"))
        return self._data[start : self.n_rows]

    def to_frame(self) -> pd.DataFrame:
        """The kept rows as a DataFrame (cached until the next append)."""
        if self._frame_cache is None:
            frame = pd.DataFrame(self._data[: self.n_rows].copy(), columns=self.columns)
            frame[EPOCH] = frame[EPOCH].astype(np.int64)
            self._frame_cache = frame
        return self._frame_cache

    def __len__(self) -> int:
        return self.n_rows

    @property
    def nbytes(self) -> int:
        return self._data.nbytes
