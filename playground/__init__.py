"""Backprop Playground: a NumPy backprop engine and a Streamlit app to watch it learn.

The engine (everything here but ``ui``) imports NumPy and pandas only.
"""

from playground.config import TrainingConfig
from playground.trainer import Trainer

__all__ = ["Trainer", "TrainingConfig"]
