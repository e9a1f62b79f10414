"""The one per-session state object, kept under a single ``st.session_state`` key.

Everything a browser session owns (its trainer, whether it is playing, what
each live chart already holds) lives in ``PlaygroundState``; widgets are views
of ``state.trainer.config`` and write back through callbacks. Nothing per-user
is ever stored in module globals or Streamlit's resource cache: every student in a
class trains their own network. The transitions of this state that draw nothing are in session.py.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Callable

import numpy as np

from playground.links.hiding import is_hidden
from playground.links.url import link_query
from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer

STATE_KEY = "backprop_playground"
STREAM_PATH = "/bp/stream"  # the live stream's websocket route (app.py, stream.py)
STATUS_PATH = "/bp/status"  # how many sessions the server holds (JSON numbers; stream.py)

# Epochs per redraw offered by the speed control; "max" fills a time budget per frame.
SPEED_CHOICES = ("1", "2", "5", "10", "20", "50", "100", "max")
DEFAULT_SPEED = "5"


def speed_label(speed: str) -> str:
    """How the speed menu shows a speed (its label is collapsed, so each option says its unit)."""
    return {"max": "max speed", "1": "1 epoch/frame"}.get(speed, f"{speed} epochs/frame")


# While playing, frames normally travel on the live stream (stream.py), paced by what the browser has
# drawn. Without a stream (a proxy that drops websockets, or AppTest) the page falls back to a rerun
# timer: the browser's timer asks for a frame every FRAME_INTERVAL_SECONDS, more often than
# frames are made: a request is then always waiting when a frame ends, so a busy browser (whose timer
# fires late) does not slow the frames down. The server paces them to one per FRAME_PERIOD_SECONDS.
FRAME_INTERVAL_SECONDS = 0.05
FRAME_PERIOD_SECONDS = 0.08  # ~12 frames per second
MAX_TRAINING_SECONDS_PER_FRAME = 0.07  # "max" speed on the timer: most of a frame (about 11 per second)
# "max" speed on the stream: frames come as fast as the browser draws them (up to one per display
# frame), and a frame trains while the browser draws the one before. Measured (bench_browser): 25 ms
# gave about 33 frames a second, 16 ms about 45, 10 ms about 52 but too few epochs a second.
MAX_STREAM_TRAINING_SECONDS_PER_FRAME = 0.016
# The single run's three charts share one row of this height: with the compact header, playback bar and
# status above them, all three fit a 1280x720 projector's first screen (tests/browser/test_projector_layout.py).
ROW_CHART_HEIGHT = 300
OVERLAP_FRAMES = 10  # history charts resend the rows of the last few payloads (see ChartSync)


@dataclass
class ChartSync:
    """What one live chart in the browser holds, so only what changed is sent."""

    version: str = ""
    seq: int = 0
    last_epoch: int | None = None
    full_run_id: int = -1  # the full app run in which the whole figure was last sent
    needs_full: bool = False  # the browser asked for the whole figure (it missed a frame)
    whole_figures_due: int = 0  # payloads still to carry the whole figure (see live.live_chart)
    memory: dict = field(default_factory=dict)  # what a chart's updates depend on (e.g. its colour range)
    # Epochs the last few payloads ended at: an update resends the rows after the oldest, so a
    # payload Streamlit never delivered to the browser (it may skip intermediate ones) costs nothing.
    recent_epochs: deque = field(default_factory=lambda: deque(maxlen=OVERLAP_FRAMES))

    @property
    def window_start(self) -> int | None:
        """Updates carry the rows after this epoch (overlapping the last few payloads)."""
        return self.recent_epochs[0] if self.recent_epochs else self.last_epoch


@dataclass
class Message:
    level: str  # "error", "warning", "info", "success", or "toast" (shown without moving the page)
    text: str


@dataclass(frozen=True)
class SavedView:
    """The playground as a lesson found it, for Close lesson to restore: the runs (paused where they were),
    compare mode (``trainer_b``), the run the sidebar edits and the hidden controls."""

    trainer: Trainer
    trainer_b: Trainer | None
    editing: str
    hidden_controls: frozenset[str]
    per_layer_activations: bool


@dataclass
class PlaygroundState:
    trainer: Trainer  # run A (the only run outside compare mode)
    trainer_b: Trainer | None = None  # run B in compare mode: same data and seeds, other settings
    editing: str = "A"  # which run the sidebar's network and training controls change
    lesson: str | None = None  # key of the guided lesson on screen
    # The lesson's full text is unfolded. A lesson opens with one line (its question) so that its charts fit
    # a projector's first screen; the text is one click away.
    lesson_text_open: bool = False
    # Controls not drawn: names and group names of playground.links.hiding, from the link's ?hide= or a lesson's.
    hidden_controls: frozenset[str] = frozenset()
    # What a lesson chosen in the playground replaced (Close lesson restores it); None: the default playground.
    before_lesson: SavedView | None = None
    lens: str = "Gradient flow"  # which view of the gradient-flow panel is shown
    replay_epoch: int | None = None  # an earlier epoch shown from snapshots (None: live)
    gradient_checks: dict = field(default_factory=dict)  # run name -> (epoch, DataFrame) of the last check
    sweeps: dict = field(default_factory=dict)  # run name -> rate_panel.SweepResult of its last learning-rate sweep
    playing: bool = False
    speed: str = DEFAULT_SPEED
    step_count: int = 10
    show_test: bool = True
    per_layer_activations: bool = False
    messages: list[Message] = field(default_factory=list)
    # ---- seeing backprop (issue 9) ----
    # What a click on the plane does: "inspect" (pick the training point the backprop walkthrough follows),
    # or edit the data: "add0", "add1", ... (add a point of that class; regression: "add" with a value), "erase".
    click_mode: str = "inspect"
    click_value: float = 0.5  # the target of a point added by a click on a regression plane ("add")
    plane_click_nonce: str = ""  # the last click on the plane handled (a click delivered twice counts once)
    walkthrough_index: int | None = None  # row of trainer.train_points the walkthrough follows (None: closed)
    walkthrough_step: int = 0  # which of the walkthrough's steps is on screen
    # (row, point) the walkthrough last followed: a data edit that moves or removes that point is noticed.
    walkthrough_followed: tuple | None = None
    walkthrough_message: tuple[str, str] | None = None  # (level, text) shown in the walkthrough panel
    # The digit the walkthrough follows when walkthrough_index is walkthrough.GIVEN: (image (side²,), label).
    walkthrough_example: tuple | None = None
    # ---- the drawing pad (issue 21; playground.ui.pad_panel) ----
    drawn_image: np.ndarray | None = None  # the network's input for the pad's drawing (side²,); None: empty
    correction: object | None = None  # the last step on the drawn digit (teaching.correction.Correction)
    correction_label: int | None = None  # the label of that step, and how many steps in a row with it
    correction_steps: int = 0
    pad_message: tuple[str, str] | None = None  # (level, text) shown under the pad
    pad_changed_run: bool = False  # a step or an added digit changed run A: the whole page reruns once
    diagram_colouring: str = "weights"  # the network diagram: "weights" (w, unit outputs) or "gradients"
    # The first-layer picture of image data: "weights" (W), "change" (W - W0), "" the image size's default.
    first_layer_view: str = ""
    show_diagram: bool = True  # the network diagram is drawn (and streamed) at all
    show_landscape: bool = False  # the loss landscape is computed and drawn (off: it costs time every frame)
    # Bumped whenever the history restarts (reset, new network, new data): charts redraw whole.
    run_id: int = 0
    full_run_id: int = 0
    charts: dict[str, ChartSync] = field(default_factory=dict)
    last_query: dict[str, str] = field(default_factory=dict)
    timer_running: bool = False  # the live view was last registered with a rerun timer (while playing)
    epochs_per_second: float = 0.0  # smoothed visible training speed while playing
    last_frame_time: float | None = None
    next_frame_due: float = 0.0  # perf_counter time before which a timer-driven frame waits (pacing)
    # ---- the live stream (stream.py) ----
    # Unguessable: the stream's route finds this session by it, and nothing else admits a connection.
    stream_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    stream_connection: object | None = None  # the connection serving frames now (None: the timer fallback)
    # The live view's elements as drawn by the last script run, each a call that recomputes its payload:
    # the stream replays them per frame (see stream.streamed). Rebuilt by every run of the live view.
    stream_recipes: list[Callable[[], object]] = field(default_factory=list)
    render_pending: bool = False  # a control changed the state; the stream waits for the script to redraw
    app_rerun_due: bool = False  # the stream stopped the run (divergence): the page must redraw its controls
    stream_frames: int = 0
    # The script thread (reruns, callbacks) and the stream's training thread both change the trainers:
    # each holds this lock while it does.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def comparing(self) -> bool:
        return self.trainer_b is not None

    @property
    def runs(self) -> list[tuple[str, Trainer]]:
        """[("A", trainer)] or, in compare mode, [("A", a), ("B", b)]."""
        return [("A", self.trainer)] + ([("B", self.trainer_b)] if self.trainer_b is not None else [])

    @property
    def edited(self) -> Trainer:
        """The run the sidebar's network and training controls apply to."""
        return self.trainer_b if self.editing == "B" and self.trainer_b is not None else self.trainer

    @property
    def config(self) -> TrainingConfig:
        return self.edited.config

    def restart_charts(self) -> None:
        """Histories restarted (reset, new network, lesson): charts redraw whole, replay ends."""
        self.run_id += 1
        self.replay_epoch = None
        self.gradient_checks.clear()

    def chart(self, key: str) -> ChartSync:
        return self.charts.setdefault(key, ChartSync())

    def say(self, level: str, text: str) -> None:
        self.messages.append(Message(level, text))

    def adopt_view(self, other: PlaygroundState) -> None:
        """Show ``other``'s view (its runs, lesson, hidden controls...; a state made from a link), keeping
        what belongs to this browser session: the live stream, the lock, the charts (redrawn whole) and
        the viewing preferences (SESSION_FIELDS). Playing stops; other's messages are added."""
        for name in (f.name for f in fields(self)):
            if name not in SESSION_FIELDS:
                setattr(self, name, getattr(other, name))
        self.messages.extend(other.messages)
        self.playing = False
        self.restart_charts()

    def shows(self, control: str) -> bool:
        """Whether the control named ``control`` (playground.links.hiding.CONTROLS) is drawn."""
        return not is_hidden(self.hidden_controls, control)


# What a browser session keeps when a link's view replaces its own (PlaygroundState.adopt_view): not in links.
SESSION_FIELDS = frozenset(
    {
        "lens", "speed", "step_count", "show_test", "messages", "diagram_colouring", "show_diagram",
        "first_layer_view",
        "click_mode", "click_value", "plane_click_nonce", "run_id", "full_run_id", "charts", "timer_running",
        "epochs_per_second", "last_frame_time", "next_frame_due", "stream_token", "stream_connection",
        "stream_recipes", "render_pending", "app_rerun_due", "stream_frames", "lock",
    }
)  # fmt: skip


def url_query(state: PlaygroundState) -> dict[str, str]:
    """The shareable URL's parameters: both runs' settings and compare mode, the lesson on screen and the
    hidden controls (``playground.links.url``)."""
    config_b = state.trainer_b.config if state.trainer_b is not None else None
    return link_query(state.trainer.config, config_b, state.lesson, state.hidden_controls)
