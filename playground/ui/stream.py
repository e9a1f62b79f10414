"""The live stream: while playing, frames travel on their own websocket, outside Streamlit's rerun loop.

One script run per frame was the ceiling of the old live view: React re-rendered the page and the
server ran the whole live view per frame per student. Now ``app.py`` serves the page with one more
route, ``STREAM_PATH``; the page's status element (assets/live/stream.js) connects to it with its session's
token, and while that session plays, the server trains a frame off the event loop, replays the live
view's elements (``live.streamed``) to collect their payloads, and sends them. Streamlit reruns only
when a control changes.

- **Backpressure:** at most ``MAX_FRAMES_IN_FLIGHT`` frames are unacknowledged; the browser acknowledges
  a frame once every chart on its screen has drawn it. A slow browser slows the frames, not the controls.
- **Only what is seen:** the page says which elements are on its screen ("visible"); a frame builds only
  their payloads (``collect_payloads``).
- **Tied to its session:** the token (``PlaygroundState.stream_token``, 256 random bits) is checked on
  connect, and so is the page's origin; a stream whose Streamlit session has ended closes.
- **Per-user state stays in st.session_state:** the registry here maps a token to a *weak* reference
  to the session's state and its session id, nothing more; it never keeps a state alive.

Close codes: 4401 (unknown token, or another site's page), 4409 (replaced by a newer connection of the
same session), 4410 (the session has ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from playground.ui import live, pacing
from playground.ui.state import MAX_STREAM_TRAINING_SECONDS_PER_FRAME, STATUS_PATH, STREAM_PATH, PlaygroundState

MAX_FRAMES_IN_FLIGHT = 2  # one being drawn, one on its way: never a queue
# At max speed (and for epochs longer than a frame: MNIST) the server trains on while the browser draws, in
# slices this long, instead of idling until a frame is acknowledged: the browser's drawing no longer sets the
# training speed. Short, because the acknowledgement that frees the next frame waits for the slice to end.
BETWEEN_FRAMES_SLICE_SECONDS = 0.006
# A class on one machine: the playing sessions of this process share this many frames a second. A session alone
# is not held back (more than a display's rate); with 15 playing each gets up to 8 a second, and the process
# leaves room for script runs (a Pause must show within a second) and for the browsers beside it. Without it 30
# students on two replicas took 163 % of the two cores and Pause's 95th percentile was 1.7 s (bench_load).
PROCESS_FRAMES_PER_SECOND = 120.0
IDLE_CHECK_SECONDS = 0.25  # while paused: how often the stream checks its session is still there
PLAYING_CHECK_SECONDS = 0.02  # while playing and held back: how often it looks again (messages wake it at once)
MAX_MESSAGE_BYTES = 4096  # what the browser sends (acknowledgements, requests) is tiny

CLOSE_UNKNOWN = 4401
CLOSE_REPLACED = 4409
CLOSE_SESSION_ENDED = 4410


# ---- script runs go before frames ---------------------------------------------------------------
# A click's script run shares this process's interpreter (one GIL) with every session's frame production.
# With a class playing, it got a sliver of it: Pause took 1-2 s to show (bench/bench_load.py). While any
# script run is under way here, frames and training slices wait before they start, for at most this long
# (a long script run, MNIST's first load, must not freeze everyone's charts). A scheduling gate for the
# process, not per-user state: it holds a count, no session's data.
SCRIPT_RUN_PRIORITY_SECONDS = 0.3
_script_runs = 0
_script_runs_lock = threading.Lock()
_no_script_run = threading.Event()
_no_script_run.set()


@contextlib.contextmanager
def script_run():
    """Mark a script run (app.py wraps the page in it): frames wait for it (``yield_to_script_runs``)."""
    global _script_runs
    with _script_runs_lock:
        _script_runs += 1
        _no_script_run.clear()
    try:
        yield
    finally:
        with _script_runs_lock:
            _script_runs -= 1
            if _script_runs == 0:
                _no_script_run.set()


def yield_to_script_runs(seconds: float | None = None) -> bool:
    """Wait until no script run is under way in this process, at most ``seconds`` (default
    SCRIPT_RUN_PRIORITY_SECONDS); True if none is."""
    return _no_script_run.wait(SCRIPT_RUN_PRIORITY_SECONDS if seconds is None else seconds)


# ---- which session a token belongs to ------------------------------------------------------------
@dataclass
class _Entry:
    state: weakref.ref
    session_id: str


_registry: dict[str, _Entry] = {}
_registry_lock = threading.Lock()


def register(state: PlaygroundState, session_id: str) -> None:
    """Let this session's page connect to the stream with ``state.stream_token`` (called every script run)."""
    with _registry_lock:
        entry = _registry.get(state.stream_token)
        if entry is None or entry.state() is not state or entry.session_id != session_id:
            _registry[state.stream_token] = _Entry(weakref.ref(state), session_id)
        if len(_registry) > 1:
            _forget_ended_sessions()


def _forget_ended_sessions() -> None:
    for token, entry in list(_registry.items()):
        if entry.state() is None or not session_exists(entry.session_id):
            del _registry[token]


def lookup(token: str) -> tuple[PlaygroundState, str] | None:
    """The state and session id of ``token``, or None (unknown, or its session has ended)."""
    with _registry_lock:
        entry = _registry.get(token) if isinstance(token, str) else None
        state = entry.state() if entry else None
    if state is None or not session_alive(entry.session_id):
        return None
    return state, entry.session_id


def registered_tokens() -> int:
    with _registry_lock:
        return len(_registry)


def session_counts() -> dict[str, int]:
    """How many sessions this server holds: states still in memory, their browsers connected, streaming now.

    "In memory" counts every PlaygroundState still reachable, registered or not: a full garbage collection
    first (a session Streamlit dropped is garbage in cycles until the collector's oldest generation runs),
    then a walk over the collector's objects. Tens of milliseconds: for an occasional check, not per frame.
    """
    gc.collect()
    with _registry_lock:
        entries = [(entry.state(), entry.session_id) for entry in _registry.values()]
    states = [(state, session_id) for state, session_id in entries if state is not None]
    return {
        "sessions_in_memory": sum(isinstance(item, PlaygroundState) for item in gc.get_objects()),
        "sessions_connected": sum(session_alive(session_id) for _, session_id in states),
        "sessions_streaming": sum(state.stream_connection is not None for state, _ in states),
    }


def playing_streams() -> int:
    """Sessions of this process playing with a stream connected (a few dozen at most: cheap per frame)."""
    with _registry_lock:
        states = [entry.state() for entry in _registry.values()]
    return sum(1 for state in states if state is not None and state.playing and state.stream_connection is not None)


def frame_spacing() -> float:
    """Seconds from one frame of a playing session to its next, at least: its share of the process's frames."""
    return playing_streams() / PROCESS_FRAMES_PER_SECOND


def session_alive(session_id: str) -> bool:
    """Whether the Streamlit session is connected now (its browser tab is open)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def session_exists(session_id: str) -> bool:
    """Whether Streamlit still keeps the session (connected, or disconnected but not yet cleaned up)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False
    manager = getattr(Runtime.instance(), "_session_mgr", None)
    if manager is None:  # AppTest's stand-in runtime has no session manager: keep the entry
        return True
    return manager.get_session_info(session_id) is not None


# ---- one frame ------------------------------------------------------------------------------------
class Connection:
    """One browser's stream of one session: what has been sent and acknowledged."""

    def __init__(self) -> None:
        self.sent = 0
        self.acknowledged = 0
        self.replaced = False  # the same session connected again (a reload, a reconnect): this one ends
        # Training between frames stopped the run (a lesson's stop, a divergence): one more frame must tell the
        # page to redraw its controls, in flight or not.
        self.final_frame_due = False
        # The elements on the page's screen (it says so when that changes), None until it has: every element.
        # A frame builds only the payloads of these (see collect_payloads).
        self.visible: set[str] | None = None
        self.recipe_elements: dict[Callable, set[str]] = {}  # recipe -> the elements it drew last time
        self.recipes: list | None = None  # the script run's recipes those are of (a new run: a new list)
        self.next_frame_at = 0.0  # time.monotonic(): no playing frame before (frame_spacing)

    @property
    def in_flight(self) -> int:
        return self.sent - self.acknowledged


MAX_VISIBLE_NAMES = 200  # a page has a few dozen live elements at most


def collect_payloads(state: PlaygroundState, connection: Connection) -> dict[str, dict]:
    """Replay the live view's recipes; skip a recipe whose elements (those it drew last time) are all off the
    page's screen. A skipped chart's sync does not move, so when it is back on screen its next update carries
    everything since the last one it got (the history charts' rows) or is whole anyway (pictures)."""
    if connection.recipes is not state.stream_recipes:
        connection.recipes, connection.recipe_elements = state.stream_recipes, {}
    with live.collecting_payloads() as payloads:
        for recipe in state.stream_recipes:
            drawn = connection.recipe_elements.get(recipe)
            if connection.visible is not None and drawn and not drawn & connection.visible:
                continue
            before = set(payloads)
            recipe()
            connection.recipe_elements[recipe] = set(payloads) - before
    return payloads


def produce_frame(state: PlaygroundState, connection: Connection) -> dict | None:
    """Train one frame and collect every live element's payload; None when there is nothing to send.

    Runs in a worker thread, holding the session's lock (the script thread holds it while it runs),
    so a control's change and a frame's training never interleave. Waits first while a script run is
    under way (any session's: see ``script_run``).
    """
    yield_to_script_runs()
    with state.lock:
        if state.stream_connection is not connection or state.render_pending:
            return None
        if not state.playing and not connection.final_frame_due:
            return None
        connection.final_frame_due = False
        if state.playing and pacing.train_frame(state, MAX_STREAM_TRAINING_SECONDS_PER_FRAME):
            state.app_rerun_due = True  # the page shows the divergence message (a script run)
        payloads = collect_payloads(state, connection)
        state.stream_frames += 1
        return {
            "type": "frame",
            "frame": connection.sent + 1,
            "charts": payloads,
            "rerun": state.app_rerun_due,
        }


def trains_between_frames(state: PlaygroundState) -> bool:
    """Whether this run trains on while its frames are being drawn: at max speed, or epochs longer than a frame.

    At a set speed (epochs per frame) of short epochs, no: the speed is what the student chose to watch.
    """
    return state.speed == "max" or any(pacing.has_long_epochs(trainer) for _, trainer in state.runs)


def train_between_frames(state: PlaygroundState, connection: Connection) -> bool:
    """Train one slice while the browser draws the frames in flight; False when there was nothing to train.

    Runs in a worker thread under the session's lock, as ``produce_frame`` does; a lesson's stop or a divergence
    met here makes the next frame go out at once (``final_frame_due``) to tell the page.
    """
    if not yield_to_script_runs():
        return True  # a script run is still under way: look again (the caller's loop), train later
    with state.lock:
        if state.stream_connection is not connection or not state.playing or state.render_pending:
            return False
        if not trains_between_frames(state):
            return False
        if pacing.train_frame(state, BETWEEN_FRAMES_SLICE_SECONDS):
            state.app_rerun_due = True
            connection.final_frame_due = True
        return True


def encode(message: dict) -> str:
    """JSON for the browser; NaN and infinities (a diverging run) become null, which JSON.parse accepts."""
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(message), separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def handle_message(state: PlaygroundState, connection: Connection, text: str) -> None:
    """Apply one message from the browser: an acknowledgement, Pause, or a chart asking for its whole figure."""
    if len(text) > MAX_MESSAGE_BYTES:
        return
    try:
        message = json.loads(text)
    except ValueError:
        return
    if not isinstance(message, dict):
        return
    kind = message.get("type")
    if kind == "ack" and isinstance(message.get("frame"), int):
        connection.acknowledged = max(connection.acknowledged, min(message["frame"], connection.sent))
    elif kind == "visible" and isinstance(message.get("elements"), list):
        names = message["elements"][:MAX_VISIBLE_NAMES]
        connection.visible = {name for name in names if isinstance(name, str)}
    elif kind == "pause":
        # The Pause button was clicked (assets/live/keyboard.js): stop training now, not when the click's script run
        # arrives. No lock, as below: one assignment; the frame under way finishes, the next sees it. The click's
        # run then calls set_playing(state, False), which finds the run paused and redraws the controls.
        state.playing = False
    elif kind == "need_full" and isinstance(message.get("name"), str):
        # No lock: this runs on the server's event loop, which must never wait for a script run; setting
        # one flag is atomic, and the next frame (or script run) reads it under the lock.
        sync = state.charts.get(message["name"])
        if sync is not None:
            sync.needs_full = True


# ---- the route ------------------------------------------------------------------------------------
def same_origin(headers) -> bool:
    """Whether the page that opened the socket was served by this server (browsers always send Origin)."""
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser (a test client, a benchmark): the token alone admits it
    return urlsplit(origin).netloc == headers.get("host", "")


async def stream_endpoint(websocket) -> None:
    """Serve one browser's stream (a Starlette websocket endpoint)."""
    from starlette.websockets import WebSocketDisconnect

    # Accept before refusing: a socket closed during the handshake reaches the page as code 1006,
    # with no reason; after accept() it gets ours.
    await websocket.accept()
    found = lookup(websocket.query_params.get("token", "")) if same_origin(websocket.headers) else None
    if found is None:
        await websocket.close(CLOSE_UNKNOWN, "unknown stream token: reload the page")
        return
    state, session_id = found
    connection = Connection()
    # Only this event loop's thread sets stream_connection (script runs read it), so no lock: the event
    # loop serves every session and must never wait for one session's script run.
    previous = state.stream_connection
    state.stream_connection = connection
    if isinstance(previous, Connection):
        previous.replaced = True
        previous_wake = getattr(previous, "wake", None)
        if previous_wake is not None:
            previous_wake.set()
    connection.wake = wake = asyncio.Event()
    closed = asyncio.Event()

    async def receive() -> None:
        try:
            while True:
                handle_message(state, connection, await websocket.receive_text())
                wake.set()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            closed.set()
            wake.set()

    receiver = asyncio.create_task(receive())
    last_alive_check = time.monotonic()
    try:
        while not closed.is_set():
            if connection.replaced:
                await websocket.close(CLOSE_REPLACED, "this session opened a newer stream")
                return
            now = time.monotonic()
            if now - last_alive_check > IDLE_CHECK_SECONDS:
                last_alive_check = now
                if not session_alive(session_id):
                    await websocket.close(CLOSE_SESSION_ENDED, "this session has ended: reload the page")
                    return
            due = connection.final_frame_due or (state.playing and connection.in_flight < MAX_FRAMES_IN_FLIGHT)
            held = 0.0 if connection.final_frame_due else max(0.0, connection.next_frame_at - time.monotonic())
            if due and not held:
                frame = await asyncio.to_thread(produce_frame, state, connection)
                if frame is not None and not closed.is_set():
                    connection.sent += 1
                    connection.next_frame_at = time.monotonic() + frame_spacing()
                    await websocket.send_text(encode(frame))
                    continue
            if state.playing and await asyncio.to_thread(train_between_frames, state, connection):
                continue  # an acknowledgement that came meanwhile frees the next frame at once
            wake.clear()
            try:
                # Playing but held (a frame in flight, or a control's rerun still drawing): look again soon.
                timeout = PLAYING_CHECK_SECONDS if state.playing else IDLE_CHECK_SECONDS
                await asyncio.wait_for(wake.wait(), min(timeout, held) if due and held else timeout)
            except asyncio.TimeoutError:
                pass
    except (WebSocketDisconnect, RuntimeError):
        pass  # the browser went away mid-send
    finally:
        receiver.cancel()
        if state.stream_connection is connection:
            state.stream_connection = None


async def status_endpoint(request):
    """GET /bp/status: the session counts (numbers only), for whoever runs the server for a class."""
    from starlette.responses import JSONResponse

    return JSONResponse(session_counts())


def routes() -> list:
    """The routes app.py adds to Streamlit's own."""
    from starlette.routing import Route, WebSocketRoute

    return [WebSocketRoute(STREAM_PATH, stream_endpoint), Route(STATUS_PATH, status_endpoint)]
