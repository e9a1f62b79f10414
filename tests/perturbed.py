"""The same run as another computer would train it: a lesson's figures must hold on every student's screen.

Two computers train the same config from the same seeds to different last digits: OpenBLAS picks its
matrix kernels by CPU (AVX2 or AVX-512 sum a row in another order) and NumPy its exp and tanh, so every
step differs by about 1e-16. A stable run keeps that difference at 1e-16; a chaotic one (a large
learning rate, batch norm on batches of 10, 20 layers with Adam) multiplies it at every step, and by the
lesson's stop its figures are as different as another weight seed's would be.

``perturbed(config, member)`` stands in for another computer: member 0 is the run as trained here, and
member k > 0 starts from the same weights multiplied by 1 + 1e-13 N(0, 1) (draws of seed 1000 + k): far
below anything a chart shows, and for a chaotic run enough to land on another trajectory. The lesson
tests check a claim on every member, and ``test_lesson_stability.py`` finds the runs that are chaotic at
their stops, which must be exactly those a lesson marks as varying.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np

from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer

MEMBERS = 8  # the run as trained here and 7 other "computers"
RELATIVE_NUDGE = 1e-13


def perturbed(config: TrainingConfig, member: int, epochs: int = 0, seed: int | None = None) -> Trainer:
    """A trainer for ``config`` (with weight seed ``seed`` if given), its start nudged by ``member``, trained
    ``epochs`` epochs."""
    trainer = Trainer(config if seed is None else replace(config, weight_seed=seed))
    if member:
        theta = trainer.network.theta  # (n_parameters,): the weights' views share it
        theta *= 1.0 + RELATIVE_NUDGE * np.random.default_rng(1000 + member).standard_normal(theta.shape)
    trainer.train(epochs)
    return trainer


@functools.cache
def ensemble(config: TrainingConfig, epochs: int, seed: int | None = None, members: int = MEMBERS) -> tuple:
    """``perturbed`` for members 0 .. members - 1, each trained ``epochs`` epochs (shared by the tests that
    only read the runs)."""
    return tuple(perturbed(config, member, epochs, seed) for member in range(members))


def distance(first: Trainer, second: Trainer) -> float:
    """‖θ₁ − θ₂‖ / ‖θ₁‖: how far two members' weights have drifted apart."""
    return float(np.linalg.norm(first.network.theta - second.network.theta) / np.linalg.norm(first.network.theta))


MOST = 0.75  # "on most computers": the share of members a claim about another weight seed must hold on


def assert_on_members(trainers, claim, share: float = 1.0) -> None:
    """Assert ``claim(trainer)`` on every member (share 1: a figure the text quotes for the lesson's own
    seed) or on at least ``share`` of them (what other weight seeds do, on most computers)."""
    failing = [member for member, trainer in enumerate(trainers) if not claim(trainer)]
    needed = len(trainers) - int(np.ceil(share * len(trainers)))
    assert len(failing) <= needed, f"fails on members {failing} of {len(trainers)}"
