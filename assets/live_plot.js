// A Plotly chart that stays mounted and is updated in place.
//
// Loaded once from the app's static route by the component's inline stub (see
// playground/ui/live.py); Streamlit then calls `default` with new `data` on every
// rerun. The chart's <div> and Plotly's state live on the host element, so nothing
// is rebuilt per frame. A payload carries some of:
//   {base: {data, layout, stride}}   the whole figure (first draw, new shape, full app run): Plotly.react
//   {image: {target, b64, rows, cols, filled_cols, hover_trace, hover_offset, hover_scale}}  one byte per pixel,
//                                    painted through the figure's colour table into a layout image and
//                                    swapped into the SVG (the decision boundary, the lens heatmaps); the
//                                    boundary's hover values are read from the same bytes (only when
//                                    hover_trace is given: not for the multi-class boundary)
//   {extend: {update, traces, from_epoch, stride}}  new history rows: appended to the drawn lines
//                                    while the axes hold (see live/history.js), else Plotly.extendTraces
//   {ranges: {"xaxis.range": [..]}}  the stepped axis ranges the history chart should have
//   {relayout: {...}}, {restyle: {update, traces}}  other layout or trace edits (the heatmaps)
//   {frame_text: {title, subtitle, caption}}  the heading, a line and the caption around the chart
//   {kind: "html", html}             an HTML block instead of a chart (the status numbers, lens readouts)
// `seq` orders payloads and drops repeats; `version` names the figure the updates
// apply to. When an update does not follow what this chart holds (a whole figure
// was missed, or rows older than the overlap window), the chart asks Python for
// the whole figure again.
//
// While playing, payloads come on the live stream instead (see live/stream.js and
// playground/ui/stream.py): a websocket of this session's, whose frames carry one
// payload per element, by name. The page draws them on animation frames and
// acknowledges each frame once every element on screen has drawn it (one off screen waits until
// scrolled into view, and the server is told not to build it); the server never has more than two
// frames unacknowledged, so a slow browser slows the frames down.
//
// This module wires the parts in live/: payload.js applies a payload (history.js: the history charts'
// rows and ranges; images.js: painted pictures; pointer.js: zoom and plane clicks), scheduler.js decides
// which chart draws when, stream.js is the websocket, keyboard.js the shortcuts. Plotly's undocumented
// internals are used only in live/plotly_adapter.js. live.py serves all of them from one versioned
// directory, so the relative imports always load one consistent version.

import { installShortcuts } from "./live/keyboard.js";
import { setFrameText } from "./live/payload.js";
import { enqueue, isOffScreen, onVisibilityChange, runScheduler, scheduler, watchVisibility } from "./live/scheduler.js";
import {
  acknowledgeFrames,
  configureStream,
  onStreamFrame,
  setVisibleElements,
  triggerStreamEvent,
} from "./live/stream.js";

const hosts = window.__backpropHosts || (window.__backpropHosts = new Map()); // element name -> host

// The server builds payloads only for the elements on screen (or nearly): tell it when that changes.
onVisibilityChange(() => {
  const names = [...hosts].filter(([, host]) => host.isConnected && !isOffScreen(host)).map(([name]) => name);
  setVisibleElements(names.sort());
});

// A stream frame: each element's payload goes to its host, to be drawn by the scheduler.
onStreamFrame((message) => {
  for (const [name, payload] of Object.entries(message.charts || {})) {
    const host = hosts.get(name);
    if (!host || !host.isConnected) continue; // an element no longer on the page
    enqueue(host, payload);
  }
  if (message.rerun) triggerStreamEvent("rerun"); // the run stopped on the stream: Streamlit redraws the controls
  if (scheduler.running || scheduler.waiting.size) runScheduler();
  else acknowledgeFrames();
});

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  installShortcuts();
  if (!data) return;
  const className = data.kind === "html" ? "backprop-live-html" : "backprop-live-plot";
  let host = parentElement.querySelector(`:scope > .${className}`);
  if (!host) {
    host = document.createElement("div");
    host.className = className;
    host.dataset.chart = data.name || "";
    host.__chart = { version: null, seq: null, lastEpoch: null, redraws: 0 };
    host.__pending = [];
    parentElement.appendChild(host);
    watchVisibility(host);
  }
  hosts.set(data.name || "", host); // where the stream's payloads for this element go
  if (data.frame_text) setFrameText(parentElement, host, data.frame_text);
  if (data.kind !== "html") {
    host.style.height = (data.height || 400) + "px";
    host.style.width = "100%";
  }
  host.__received = (host.__received || 0) + 1; // payloads Streamlit handed over (read by the benchmark)
  host.__setTriggerValue = setTriggerValue;
  enqueue(host, data);
  if (data.stream) configureStream(data.stream, setTriggerValue, host);
  runScheduler();
}
