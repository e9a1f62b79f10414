"""Learning-rate schedules: the rate each epoch trains with, from the config's base rate.

The rate is held for a whole epoch (every batch of epoch e uses ``learning_rate_at(config, e)``) and
the history records it (column ``learning_rate``), so the loss chart can draw it beside the loss.
Epochs are counted from 0 (the first epoch trained is epoch 0; the history row of that epoch is 1).

- "constant": the base rate.
- "step": the base rate times ``lr_step_factor`` after every ``lr_decay_epochs`` epochs
  (0.03, 0.015, 0.0075, ... with the defaults: halved every 100 epochs).
- "cosine": from the base rate down to ``COSINE_FLOOR`` x the base rate along half a cosine over
  ``lr_decay_epochs`` epochs, then held there (Loshchilov & Hutter 2017, without restarts). The floor
  is not 0 so that Play after the decay still visibly trains.
- "warmup": linear from base / ``lr_warmup_epochs`` up to the base rate over ``lr_warmup_epochs``
  epochs (large rates and Adam's first steps are tamed; Goyal et al. 2017), then "cosine" over the
  next ``lr_decay_epochs``.
"""

from __future__ import annotations

import math

import numpy as np

LR_SCHEDULES = ("constant", "step", "cosine", "warmup")
COSINE_FLOOR = 0.01  # the cosine decays to 1 % of the base rate and stays there


def schedule_factor(
    schedule: str, epoch: int, decay_epochs: int, step_factor: float = 0.5, warmup_epochs: int = 0
) -> float:
    """The multiplier of the base rate for 0-based ``epoch`` (see the module notes)."""
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return step_factor ** (epoch // decay_epochs)
    if schedule == "warmup":
        if epoch < warmup_epochs:
            return (epoch + 1) / warmup_epochs
        epoch -= warmup_epochs
    elif schedule != "cosine":
        raise ValueError(f"lr_schedule must be one of {list(LR_SCHEDULES)}, got {schedule!r}")
    progress = min(epoch, decay_epochs) / decay_epochs
    return COSINE_FLOOR + (1.0 - COSINE_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * progress))


def learning_rate_at(config, epoch: int) -> float:
    """The rate a ``TrainingConfig`` trains 0-based ``epoch`` with."""
    return config.learning_rate * schedule_factor(
        config.lr_schedule, epoch, config.lr_decay_epochs, config.lr_step_factor, config.lr_warmup_epochs
    )


def learning_rates(config, epochs: int) -> np.ndarray:
    """The rates of epochs 0 .. epochs - 1, shape (epochs,)."""
    return np.array([learning_rate_at(config, epoch) for epoch in range(epochs)])
