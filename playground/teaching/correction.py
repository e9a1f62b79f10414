"""Learning from one example: a digit drawn on the pad, its true label, and one backprop step on it alone.

The step is the backprop walkthrough's (``playground.teaching.walkthrough``, ``GIVEN`` example): the trainer's
own ``step_on`` with its optimiser, learning rate, regulariser and clipping, on a batch of that one image, so the
update applied is exactly the one the walkthrough shows. What this module adds is what a student asks next: what
did the network answer before and after, how much did the loss fall, and which weights moved.

For the first layer the answer is a picture: dL/dW_1[i, j] = x_i · delta_j, so with plain SGD unit j's update
is the drawn digit itself, scaled by -rate · delta_j, and the weights of blank pixels (x_i = 0) do not move at
all. Momentum and Adam add what their state carries, so with them every weight may move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.engine.heads import predicted_classes
from playground.teaching.walkthrough import Walkthrough, apply_walkthrough, walkthrough
from playground.training.trainer import Trainer


@dataclass(frozen=True)
class Correction:
    """One step on one given example, before and after.

    label: the true class given; guess_before / guess_after: the network's class for the example.
    probabilities_before / probabilities_after: the head's outputs (n_outputs,).
    loss_before / loss_after: the head's loss of the example (without the regulariser).
    first_layer_update: W_1 after - before, one picture per first-layer unit: (n_units, side, side).
    weights_changed / weights: how many of the network's weights (all layers, biases not counted) moved, of how
        many. step: the walkthrough of the step (``shown.update`` is the whole update, (n_parameters,)).
    """

    label: int
    guess_before: int
    guess_after: int
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    loss_before: float
    loss_after: float
    first_layer_update: np.ndarray
    weights_changed: int
    weights: int
    step: Walkthrough


def _guess(outputs: np.ndarray) -> int:
    """The class the head's outputs (n_outputs,) stand for, by the engine's own rule (``predicted_classes``)."""
    return int(predicted_classes(outputs[None, :])[0])


def learn_from_example(trainer: Trainer, image: np.ndarray, label: int) -> Correction:
    """Apply one optimiser step on ``image`` (side²,) with class ``label`` alone, to the trainer's own network.

    The step is ``apply_walkthrough`` of ``walkthrough(trainer, GIVEN, (image, label))``: the history gets a row
    at the same epoch (one step on one example is not an epoch). ValueError: a wrong image shape or label, a
    diverged run (its update is not finite), or data that are not images.
    """
    if trainer.inputs != "image":
        raise ValueError("learning from a drawn digit needs an image dataset (digits or mnist)")
    image = np.asarray(image, dtype=np.float64).ravel()
    shown = walkthrough(trainer, 0, example=(image, label))
    loss_before = shown.loss
    probabilities_before = shown.activations[-1].copy()
    apply_walkthrough(trainer, shown)
    after = walkthrough(trainer, 0, example=(image, label))  # the same example at the new weights (no step)
    side = trainer.image_side
    first = shown.update_weights[0]  # (side², n_units)
    changed = sum(int(np.count_nonzero(update)) for update in shown.update_weights)
    return Correction(
        label=int(label),
        guess_before=_guess(probabilities_before),
        guess_after=_guess(after.activations[-1]),
        probabilities_before=probabilities_before,
        probabilities_after=after.activations[-1].copy(),
        loss_before=float(loss_before),
        loss_after=float(after.loss),
        first_layer_update=np.ascontiguousarray(first.T.reshape(-1, side, side)),
        weights_changed=changed,
        weights=sum(update.size for update in shown.update_weights),
        step=shown,
    )


def steps_to_learn(trainer: Trainer, image: np.ndarray, label: int, max_steps: int = 50) -> int | None:
    """Steps of ``learn_from_example`` until the network answers ``label`` for ``image`` (None: not within
    ``max_steps``). The steps are applied to the trainer."""
    for count in range(1, max_steps + 1):
        if learn_from_example(trainer, image, label).guess_after == int(label):
            return count
    return None
