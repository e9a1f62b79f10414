"""The weights after every epoch of a run, bounded: the loss landscape's path (playground.teaching.landscape).

Thinned as the history is: when ``max_points`` are held, every other point goes and from then on only every
``stride``-th epoch is kept (the stride doubles each time), so the start is always kept and the points stay
evenly spaced in epochs.
"""

from __future__ import annotations

import numpy as np

MAX_PATH_POINTS = 512
# The path's weights take at most this many bytes: an MNIST network's 50,000 parameters would otherwise hold
# 208 MB per run for 512 points (a class of 30 on one laptop); it keeps about 40, plenty for two principal axes.
MAX_PATH_BYTES = 16_000_000
MIN_PATH_POINTS = 16


def path_points_for(n_parameters: int) -> int:
    """How many points a path of ``n_parameters`` weights keeps: MAX_PATH_POINTS, fewer (even, at least
    MIN_PATH_POINTS) when they would take more than MAX_PATH_BYTES."""
    fitting = MAX_PATH_BYTES // (8 * max(n_parameters, 1))
    return max(MIN_PATH_POINTS, min(MAX_PATH_POINTS, fitting - fitting % 2))


class Trajectory:
    def __init__(self, n_parameters: int, max_points: int | None = None):
        """``max_points``: None chooses ``path_points_for(n_parameters)``."""
        max_points = path_points_for(n_parameters) if max_points is None else max_points
        if max_points < 4 or max_points % 2:
            raise ValueError("max_points must be an even number >= 4")
        self.max_points = max_points
        self._thetas = np.empty((max_points, n_parameters))
        self._epochs = np.empty(max_points, dtype=np.int64)
        self._length, self.stride = 0, 1

    def add(self, epoch: int, theta: np.ndarray) -> None:
        """Keep ``theta`` (n_parameters,) as the weights after ``epoch`` when the stride keeps that epoch. The
        same epoch again (early stopping restored the best weights) replaces the newest point."""
        if epoch % self.stride:
            return
        if self._length and self._epochs[self._length - 1] == epoch:
            self._length -= 1
        if self._length == self.max_points:
            half = self.max_points // 2
            self._thetas[:half], self._epochs[:half] = self._thetas[::2], self._epochs[::2]
            self._length, self.stride = half, self.stride * 2
            if epoch % self.stride:
                return
        self._thetas[self._length] = theta
        self._epochs[self._length] = epoch
        self._length += 1

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(epochs (k,), thetas (k, n_parameters)), oldest first: read-only views (copy to keep them)."""
        epochs, thetas = self._epochs[: self._length], self._thetas[: self._length]
        epochs.flags.writeable = thetas.flags.writeable = False
        return epochs, thetas
