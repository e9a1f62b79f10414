"""The live stream's websocket route (playground/ui/stream.py), served by Starlette's test client.

A real session's state comes from an AppTest run (its script run records the live view's recipes);
the test registers it under a made-up session id and decides, through ``session_alive``, whether that
session is still connected. The browser tests (tests/browser) drive the same route from Chromium.
"""

from __future__ import annotations

import gc
import json
import time

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from playground.ui import live, session, stream
from playground.ui.state import STATUS_PATH, STREAM_PATH
from tests.test_app import DIVERGING_URL, start, state_of

SESSION_ID = "session-under-test"


@pytest.fixture
def alive_sessions(monkeypatch) -> set[str]:
    """The session ids the stream believes are connected; remove one to end its session."""
    alive = {SESSION_ID}
    monkeypatch.setattr(stream, "_registry", {})  # only this test's sessions
    monkeypatch.setattr(stream, "session_alive", lambda session_id: session_id in alive)
    monkeypatch.setattr(stream, "session_exists", lambda session_id: session_id in alive)
    return alive


@pytest.fixture
def playing(alive_sessions):
    """A session that pressed Play, registered with the stream (its AppTest is kept alive with it)."""
    at = start()
    at.button(key="play_pause").click().run()
    state = state_of(at)
    assert state.playing and not state.render_pending and state.stream_recipes
    stream.register(state, SESSION_ID)
    yield state
    state.playing = False


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=stream.routes()))


def connect(client: TestClient, token: str, **kwargs):
    return client.websocket_connect(f"{STREAM_PATH}?token={token}", **kwargs)


def close_code(websocket) -> int:
    """Wait for the server to close the socket; the close code it gave."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            websocket.receive_text()
    return closed.value.code


def wait_until(condition, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_playing_session_gets_frames_with_every_live_element(playing, client):
    epoch_before = playing.edited.epoch
    with connect(client, playing.stream_token) as websocket:
        frame = json.loads(websocket.receive_text())
        assert frame["type"] == "frame" and frame["frame"] == 1 and frame["rerun"] is False
        # Every element the script drew live is in the frame, recomputed after this frame's training.
        script_keys = _script_payload_keys(playing)
        assert set(frame["charts"]) == script_keys
        assert {"status", "boundary", "loss", "gradients"} <= set(frame["charts"])
        # The first frame shows the first frame's training (a second one may be on its way already).
        frame_epoch = epoch_before + int(playing.speed)
        assert f'bp-metric-value">{frame_epoch}</div>' in frame["charts"]["status"]["html"]
        assert frame["charts"]["loss"]["last_epoch"] == frame_epoch
    assert wait_until(lambda: playing.stream_connection is None)


def _script_payload_keys(state) -> set[str]:
    with live.collecting_payloads() as payloads:
        for recipe in state.stream_recipes:
            recipe()
    return set(payloads)


def test_the_stream_never_runs_more_than_two_frames_ahead_of_the_browser(playing, client):
    with connect(client, playing.stream_token) as websocket:
        first, second = (json.loads(websocket.receive_text()) for _ in range(2))
        assert (first["frame"], second["frame"]) == (1, 2)
        time.sleep(0.3)  # no acknowledgement: the stream waits, and trains nothing more
        epoch_held = playing.edited.epoch
        assert playing.stream_frames == 2
        time.sleep(0.2)
        assert playing.edited.epoch == epoch_held
        websocket.send_text(json.dumps({"type": "ack", "frame": 1}))
        assert json.loads(websocket.receive_text())["frame"] == 3
        assert playing.edited.epoch > epoch_held


def test_paused_sessions_get_no_frames_and_train_nothing(playing, client):
    with connect(client, playing.stream_token) as websocket:
        websocket.receive_text()
        session.set_playing(playing, False)
        websocket.send_text(json.dumps({"type": "ack", "frame": 1}))
        epoch_paused = playing.edited.epoch
        time.sleep(0.4)
        assert playing.edited.epoch == epoch_paused


def test_a_control_holds_the_stream_until_the_script_has_redrawn(playing, client):
    with connect(client, playing.stream_token) as websocket:
        websocket.receive_text()
        session.step(playing, 1)  # a control: render_pending until the next script run of the live view
        assert playing.render_pending
        frames = playing.stream_frames
        websocket.send_text(json.dumps({"type": "ack", "frame": 1}))
        time.sleep(0.3)
        assert playing.stream_frames == frames
        playing.render_pending = False  # what the live view's run does at its end
        assert json.loads(websocket.receive_text())["frame"] == 2


def test_a_wrong_token_is_refused(playing, client):
    epoch = playing.edited.epoch
    for token in ("", "not-a-token", playing.stream_token[:-1], playing.stream_token + "x"):
        with connect(client, token) as websocket:
            assert close_code(websocket) == stream.CLOSE_UNKNOWN
    assert playing.edited.epoch == epoch and playing.stream_connection is None


def test_a_page_from_another_site_is_refused_even_with_the_token(playing, client):
    headers = {"origin": "http://evil.example", "host": "testserver"}
    with connect(client, playing.stream_token, headers=headers) as websocket:
        assert close_code(websocket) == stream.CLOSE_UNKNOWN
    headers = {"origin": "http://testserver", "host": "testserver"}
    with connect(client, playing.stream_token, headers=headers) as websocket:
        assert json.loads(websocket.receive_text())["type"] == "frame"


def test_a_stream_whose_session_has_ended_closes(playing, client, alive_sessions):
    with connect(client, playing.stream_token) as websocket:
        websocket.receive_text()
        alive_sessions.clear()  # the browser tab was closed
        assert close_code(websocket) == stream.CLOSE_SESSION_ENDED
    with connect(client, playing.stream_token) as websocket:
        assert close_code(websocket) == stream.CLOSE_UNKNOWN


def test_a_newer_connection_of_the_same_session_replaces_the_old_one(playing, client):
    with connect(client, playing.stream_token) as old:
        old.receive_text()
        with connect(client, playing.stream_token) as new:
            assert close_code(old) == stream.CLOSE_REPLACED
            assert json.loads(new.receive_text())["frame"] == 1


def test_the_registry_forgets_ended_sessions_and_keeps_no_state_alive(alive_sessions):
    at = start()
    state = state_of(at)
    stream.register(state, SESSION_ID)
    assert stream.lookup(state.stream_token) == (state, SESSION_ID)
    alive_sessions.clear()
    assert stream.lookup(state.stream_token) is None
    other = state_of(start())
    stream.register(other, "another-session")  # registering sweeps sessions that are gone
    assert state.stream_token not in stream._registry


def test_encode_turns_nan_and_infinities_into_null():
    message = {"loss": [1.0, float("nan")], "nested": {"value": float("inf")}, "fine": 2}
    assert json.loads(stream.encode(message)) == {"loss": [1.0, None], "nested": {"value": None}, "fine": 2}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[1, 2]",
        '"ack"',
        '{"type": "ack", "frame": "3"}',
        '{"type": "ack"}',
        "{" * 5000,
        '{"type": "need_full", "name": 5}',
        '{"type": "need_full", "name": "no-such-chart"}',
        '{"type": "other"}',
    ],
)
def test_junk_from_the_browser_changes_nothing(playing, text):
    connection = stream.Connection()
    connection.sent = 2
    before = {name: sync.needs_full for name, sync in playing.charts.items()}
    stream.handle_message(playing, connection, text)
    assert connection.acknowledged == 0
    assert {name: sync.needs_full for name, sync in playing.charts.items()} == before


def test_acknowledgements_never_count_frames_that_were_not_sent(playing):
    connection = stream.Connection()
    connection.sent = 2
    stream.handle_message(playing, connection, '{"type": "ack", "frame": 99}')
    assert connection.acknowledged == 2 and connection.in_flight == 0
    stream.handle_message(playing, connection, '{"type": "ack", "frame": 1}')
    assert connection.acknowledged == 2  # an old acknowledgement arriving late moves nothing back


def test_a_chart_can_ask_for_its_whole_figure_over_the_stream(playing):
    playing.charts["loss"].needs_full = False
    stream.handle_message(playing, stream.Connection(), '{"type": "need_full", "name": "loss"}')
    assert playing.charts["loss"].needs_full


def test_the_status_route_counts_sessions_in_memory_connected_and_streaming(playing, client, alive_sessions):
    def counts():
        return client.get(STATUS_PATH).json()

    gc.collect()  # what is counted then is alive: earlier tests' states still referenced, and this one
    in_memory = counts()["sessions_in_memory"]
    assert in_memory >= 1
    assert counts() == {"sessions_in_memory": in_memory, "sessions_connected": 1, "sessions_streaming": 0}
    with connect(client, playing.stream_token) as websocket:
        websocket.receive_text()
        assert counts()["sessions_streaming"] == 1
    alive_sessions.clear()
    assert wait_until(lambda: counts()["sessions_connected"] == 0 and counts()["sessions_streaming"] == 0)
    another = state_of(start())
    assert counts()["sessions_in_memory"] >= in_memory + 1
    del another


def test_a_run_that_diverges_on_the_stream_stops_and_asks_the_page_for_a_rerun(alive_sessions, client):
    at = start(DIVERGING_URL)
    state = state_of(at)
    # Play without a script run (AppTest's run would train the first frame on the timer, and diverge there).
    session.set_playing(state, True)
    state.render_pending = False  # what the live view's run does at its end
    assert state.playing and not state.edited.diverged
    stream.register(state, SESSION_ID)
    with connect(client, state.stream_token) as websocket:
        frames = []
        while not (frames and frames[-1]["rerun"]):
            frames.append(json.loads(websocket.receive_text()))
            websocket.send_text(json.dumps({"type": "ack", "frame": frames[-1]["frame"]}))
            assert len(frames) < 50, "the run never diverged"
    assert state.edited.diverged and not state.playing and state.app_rerun_due


def test_pause_on_the_stream_stops_training_at_once_and_the_clicks_own_run_keeps_it_paused(alive_sessions):
    at = start()
    at.button(key="play_pause").click().run()
    state = state_of(at)
    stream.register(state, SESSION_ID)
    connection = stream.Connection()
    state.stream_connection = connection
    assert stream.produce_frame(state, connection) is not None  # playing: a frame trains
    epoch = state.trainer.epoch
    stream.handle_message(state, connection, '{"type": "pause"}')  # the click, as the page sends it at once
    assert not state.playing
    assert stream.produce_frame(state, connection) is None and state.trainer.epoch == epoch
    at.button(key="play_pause").click().run()  # then the same click's script run: Pause, not a toggle
    assert not state_of(at).playing and at.button(key="play_pause").label == "Play"
    assert state_of(at).trainer.epoch == epoch


def test_at_max_speed_the_server_trains_on_while_the_browser_draws(playing, client):
    playing.speed = "max"
    with connect(client, playing.stream_token) as websocket:
        first, second = (json.loads(websocket.receive_text()) for _ in range(2))
        epoch_held = playing.edited.epoch
        time.sleep(0.3)  # two frames unacknowledged: no third frame, but training goes on
        assert playing.stream_frames == 2
        assert playing.edited.epoch > epoch_held
        trained_meanwhile = playing.edited.epoch
        websocket.send_text(json.dumps({"type": "ack", "frame": 1}))
        third = json.loads(websocket.receive_text())
        assert third["frame"] == 3
        assert third["charts"]["loss"]["last_epoch"] >= trained_meanwhile  # the frame shows what was trained


def test_at_a_set_speed_nothing_trains_between_frames(playing):
    connection = stream.Connection()
    playing.stream_connection = connection
    epoch = playing.edited.epoch
    assert playing.speed == "5" and not stream.train_between_frames(playing, connection)
    assert playing.edited.epoch == epoch


def test_a_lesson_stop_met_between_frames_still_reaches_the_page(alive_sessions):
    at = start({"lesson": "linear_chain"})
    at.button(key="play_pause").click().run()
    state = state_of(at)
    state.speed = "max"
    stop = session.next_lesson_stop(state)
    connection = stream.Connection()
    state.stream_connection = connection
    connection.sent = stream.MAX_FRAMES_IN_FLIGHT  # the browser is still drawing two frames
    while state.playing:
        assert stream.train_between_frames(state, connection)
    assert state.trainer.epoch == stop and connection.final_frame_due
    final = stream.produce_frame(state, connection)  # goes out although paused and two are in flight
    assert final is not None and final["rerun"]
    assert {chart.get("last_epoch") for chart in final["charts"].values()} >= {stop}
    assert stream.produce_frame(state, connection) is None and not stream.train_between_frames(state, connection)


def test_frames_wait_while_a_script_run_is_under_way_and_go_on_when_it_ends(playing, monkeypatch):
    import threading

    monkeypatch.setattr(stream, "SCRIPT_RUN_PRIORITY_SECONDS", 30.0)
    connection = stream.Connection()
    playing.stream_connection = connection
    frames = []
    with stream.script_run():  # another session's click, say
        producer = threading.Thread(target=lambda: frames.append(stream.produce_frame(playing, connection)))
        producer.start()
        producer.join(0.5)
        assert producer.is_alive() and frames == []  # the frame has not started: the script run goes first
        epoch = playing.edited.epoch
    producer.join(10)
    assert not producer.is_alive() and frames[0] is not None and frames[0]["frame"] == 1
    assert playing.edited.epoch > epoch


def test_a_long_script_run_holds_frames_back_for_a_bounded_time_only(playing, monkeypatch):
    monkeypatch.setattr(stream, "SCRIPT_RUN_PRIORITY_SECONDS", 0.05)
    connection = stream.Connection()
    playing.stream_connection = connection
    playing.speed = "max"
    with stream.script_run(), stream.script_run():  # two at once: both must end before frames go first again
        frame = stream.produce_frame(playing, connection)
        assert frame is not None and frame["frame"] == 1
        epoch = playing.edited.epoch
        assert stream.train_between_frames(playing, connection)  # waited, then left training for later
        assert playing.edited.epoch == epoch
    assert stream.yield_to_script_runs(0)  # the count is back to none
    assert stream.train_between_frames(playing, connection) and playing.edited.epoch > epoch


def test_a_frame_builds_only_the_elements_on_the_pages_screen_and_a_chart_back_in_view_catches_up(playing):
    connection = stream.Connection()
    playing.stream_connection = connection
    everything = set(stream.produce_frame(playing, connection)["charts"])
    assert {"boundary", "loss", "gradients"} <= everything
    connection.acknowledged = connection.sent = 1
    stream.handle_message(playing, connection, json.dumps({"type": "visible", "elements": ["boundary", "status"]}))
    assert connection.visible == {"boundary", "status"}
    held = stream.produce_frame(playing, connection)
    assert "boundary" in held["charts"] and "loss" not in held["charts"] and "gradients" not in held["charts"]
    loss_epoch_before = playing.chart("loss").last_epoch
    for _ in range(3):
        stream.produce_frame(playing, connection)
    assert playing.chart("loss").last_epoch == loss_epoch_before  # nothing was built for it meanwhile
    stream.handle_message(playing, connection, json.dumps({"type": "visible", "elements": sorted(everything)}))
    back = stream.produce_frame(playing, connection)["charts"]
    assert set(back) == everything
    # The loss chart's rows continue from the last ones it got: nothing missed while it was off screen.
    extend = back["loss"]["extend"]
    assert extend["from_epoch"] <= loss_epoch_before + 1 and back["loss"]["last_epoch"] == playing.trainer.epoch


def test_a_visible_message_that_is_not_a_list_of_names_changes_nothing(playing):
    connection = stream.Connection()
    for text in ('{"type": "visible", "elements": "loss"}', '{"type": "visible"}', "[1, 2]"):
        stream.handle_message(playing, connection, text)
    assert connection.visible is None
    stream.handle_message(playing, connection, json.dumps({"type": "visible", "elements": ["loss", 3, None]}))
    assert connection.visible == {"loss"}


def test_the_playing_sessions_of_a_process_share_its_frames(playing, alive_sessions):
    assert stream.playing_streams() == 0  # registered and playing, but no stream connected yet
    playing.stream_connection = stream.Connection()
    assert stream.playing_streams() == 1
    others = [state_of(start()) for _ in range(2)]
    for index, other in enumerate(others):
        other.playing, other.stream_connection = True, stream.Connection()
        alive_sessions.add(f"other-{index}")
        stream.register(other, f"other-{index}")
    assert stream.playing_streams() == 3
    assert stream.frame_spacing() == pytest.approx(3 / stream.PROCESS_FRAMES_PER_SECOND)
    others[0].playing = False  # a paused session takes no share
    assert stream.playing_streams() == 2


def test_a_playing_stream_holds_its_frames_apart_by_its_share(playing, client, monkeypatch):
    monkeypatch.setattr(stream, "PROCESS_FRAMES_PER_SECOND", 4.0)  # one session: a frame every 0.25 s at most
    with connect(client, playing.stream_token) as websocket:
        first = json.loads(websocket.receive_text())
        websocket.send_text(json.dumps({"type": "ack", "frame": first["frame"]}))  # nothing in flight now
        started = time.monotonic()
        second = json.loads(websocket.receive_text())
        assert second["frame"] == 2 and time.monotonic() - started >= 0.2
