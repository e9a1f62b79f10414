"""The one per-session state object, kept under a single ``st.session_state`` key.

Everything a browser session owns (its trainer, whether it is playing, what
each live chart already holds) lives in ``PlaygroundState``; widgets are views
of ``state.trainer.config`` and write back through callbacks. Nothing per-user
is ever stored in module globals or ``st.cache_resource``: every student in a
class trains their own network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from playground.config import TrainingConfig, from_query, to_query
from playground.trainer import Trainer

STATE_KEY = "backprop_playground"

# Epochs per redraw offered by the speed control; "max" fills a time budget per frame.
SPEED_CHOICES = ("1", "2", "5", "10", "20", "50", "100", "max")
DEFAULT_SPEED = "5"
FRAME_INTERVAL_SECONDS = 0.1  # ~10 redraws per second while playing
MAX_TRAINING_SECONDS_PER_FRAME = 0.06  # "max" speed: leave time for drawing within the frame


@dataclass
class ChartSync:
    """What one live chart in the browser holds, so only what changed is sent."""

    version: str = ""
    seq: int = 0
    last_epoch: int | None = None
    full_run_id: int = -1  # the full app run in which the whole figure was last sent
    needs_full: bool = False  # the browser asked for the whole figure (it missed a frame)


@dataclass
class Message:
    level: str  # "error", "warning", "info", "success"
    text: str


@dataclass
class PlaygroundState:
    trainer: Trainer
    playing: bool = False
    speed: str = DEFAULT_SPEED
    step_count: int = 10
    show_test: bool = True
    per_layer_activations: bool = False
    messages: list[Message] = field(default_factory=list)
    # Bumped whenever the history restarts (reset, new network, new data): charts redraw whole.
    run_id: int = 0
    full_run_id: int = 0
    charts: dict[str, ChartSync] = field(default_factory=dict)
    last_query: dict[str, str] = field(default_factory=dict)
    epochs_per_second: float = 0.0  # smoothed visible training speed while playing
    last_frame_time: float | None = None

    @property
    def config(self) -> TrainingConfig:
        return self.trainer.config

    def chart(self, key: str) -> ChartSync:
        return self.charts.setdefault(key, ChartSync())

    def say(self, level: str, text: str) -> None:
        self.messages.append(Message(level, text))


def create_state(query: dict[str, str | list[str]]) -> PlaygroundState:
    config, problems = from_query(query)
    state = PlaygroundState(trainer=Trainer(config))
    state.per_layer_activations = len(set(config.activations)) > 1
    for problem in problems:
        state.say("warning", problem)
    state.last_query = to_query(config)
    return state


def get_state() -> PlaygroundState:
    """This session's state, created on first use from the URL's parameters."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = create_state(st.query_params.to_dict())
    return st.session_state[STATE_KEY]
