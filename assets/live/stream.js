// The live stream (see playground/ui/stream.py): a websocket of this session's whose frames carry one
// payload per element, by name. One per page (a window-level object: every component shares it). The
// status element's payload says where to connect, with which token, and whether the run is playing.
// What a frame's payloads become is the handler's given to onStreamFrame; the page acknowledges a frame
// once every element on screen has drawn it (acknowledgeFrames), and the server never has more than two frames
// unacknowledged, so a slow browser slows the frames down.

export const hub =
  window.__backpropStream ||
  (window.__backpropStream = {
    socket: null, token: null, path: null, playing: false, status: "idle",
    received: 0, acked: 0, frames: 0, retries: 0, closes: [], lostSince: null, fellBack: false,
  });
const RECONNECT_MS = [100, 250, 500, 1000, 2000];
const FALL_BACK_AFTER_MS = 1500; // playing with no stream this long: let Streamlit's rerun timer draw

let frameHandler = () => {};

// handler(message) is called with every frame received ({type: "frame", frame, charts, rerun}).
export function onStreamFrame(handler) {
  frameHandler = handler;
}

function markStatus(status) {
  hub.status = status;
  if (hub.statusHost) hub.statusHost.dataset.stream = status; // read by the browser tests
}

// Tell Python (a Streamlit trigger, so a script run) what happened to the stream.
export function triggerStreamEvent(value) {
  if (hub.setTriggerValue) hub.setTriggerValue("stream_event", value + ":" + Date.now());
}

// Send a message on the stream if it is the way to reach Python now (playing, connected); false if not.
export function askOnStream(message) {
  if (!hub.playing || !hub.socket || hub.socket.readyState !== WebSocket.OPEN) return false;
  hub.socket.send(JSON.stringify(message));
  return true;
}

// The live elements on screen (names), sent now if connected and again on every (re)connection: the server
// builds only their payloads. Called by the page when the set changes.
export function setVisibleElements(names) {
  hub.visible = names;
  sendVisibleElements();
}

function sendVisibleElements() {
  if (hub.visible && hub.socket && hub.socket.readyState === WebSocket.OPEN) {
    hub.socket.send(JSON.stringify({ type: "visible", elements: hub.visible }));
  }
}

// Every frame received up to `upTo` (default: all) has been drawn.
export function acknowledgeFrames(upTo = hub.received) {
  if (upTo > hub.acked && hub.socket && hub.socket.readyState === WebSocket.OPEN) {
    hub.acked = upTo;
    hub.socket.send(JSON.stringify({ type: "ack", frame: hub.acked }));
  }
}

function onStreamMessage(event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch (error) {
    return;
  }
  if (!message || message.type !== "frame") return;
  hub.frames += 1;
  hub.received = message.frame;
  frameHandler(message);
}

function connectStream() {
  clearTimeout(hub.retryTimer);
  hub.retryTimer = null;
  if (hub.socket) {
    hub.socket.onclose = null;
    hub.socket.close();
  }
  const url = new URL(hub.path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", hub.token);
  const socket = new WebSocket(url.href);
  hub.socket = socket;
  hub.received = hub.acked = 0; // frame numbers count per connection
  markStatus("connecting");
  socket.onopen = () => {
    hub.retries = 0;
    hub.lostSince = null;
    markStatus("open");
    sendVisibleElements();
    if (hub.fellBack) {
      hub.fellBack = false;
      triggerStreamEvent("back"); // the stream takes over from the rerun timer again
    }
  };
  socket.onmessage = onStreamMessage;
  socket.onclose = (event) => {
    if (hub.socket !== socket) return;
    hub.socket = null;
    hub.closes.push(event.code);
    if (event.code === 4409) return markStatus("replaced"); // this session opened a newer stream
    const refused = event.code === 4401 || event.code === 4410;
    markStatus(refused ? "refused" : "reconnecting");
    hub.lostSince = hub.lostSince || Date.now();
    // Keep trying (the server may be restarting; a refused token may be registered by the next
    // script run); meanwhile a playing run falls back to Streamlit's rerun timer.
    const wait = refused ? 2000 : RECONNECT_MS[Math.min(hub.retries, RECONNECT_MS.length - 1)];
    hub.retries += 1;
    hub.retryTimer = setTimeout(connectStream, wait);
    setTimeout(() => {
      if (hub.playing && !hub.fellBack && hub.lostSince && Date.now() - hub.lostSince >= FALL_BACK_AFTER_MS) {
        hub.fellBack = true;
        triggerStreamEvent("lost");
      }
    }, FALL_BACK_AFTER_MS);
  };
}

export function configureStream(info, setTriggerValue, host) {
  hub.setTriggerValue = setTriggerValue;
  hub.statusHost = host;
  host.dataset.stream = hub.status;
  hub.playing = Boolean(info.playing);
  if (!window.WebSocket) return;
  // Replaced: another holder of this session's token took its stream over; taking it back on every
  // script run would make the two take turns. A new token (a new session) connects again.
  const idle = !hub.socket && !hub.retryTimer && hub.status !== "replaced";
  if (hub.token !== info.token || hub.path !== info.path || idle) {
    hub.token = info.token;
    hub.path = info.path;
    connectStream();
  } else if (hub.socket && hub.socket.readyState === WebSocket.OPEN) {
    hub.socket.send(JSON.stringify({ type: "wake" })); // a script run just changed the state
  }
}
