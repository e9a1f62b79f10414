"""Backprop Playground: a NumPy backprop engine and a Streamlit app to watch it learn.

Sub-packages, with dependencies flowing one way (ui -> teaching, plots, links -> training -> data, engine):
``engine`` (layers, network, optimisers: pure NumPy), ``data``, ``training`` (config, trainer, history,
schedules, sweep),
``teaching`` (lessons, walkthrough, diagnostics, diagram), ``links`` (URL and model file), ``plots`` and
``ui`` (the only one that imports streamlit).
"""

from playground.teaching.landscape import loss_landscape
from playground.training.config import TrainingConfig
from playground.training.sweep import learning_rate_sweep
from playground.training.trainer import Trainer

__all__ = ["Trainer", "TrainingConfig", "learning_rate_sweep", "loss_landscape"]
