// Applying one (merged) payload to a live element: a whole figure, its patches (restyle, image, relayout,
// extend, ranges), an HTML block or the network diagram; and asking Python for the whole figure when the
// updates do not follow what the chart holds. The payload format is described in ../live_plot.js.

import { FULL_DRAW_EVERY_MS, appendInPlace, lastNumber, logAxisDtick, newPoints, rangeEdits, thinPoints } from "./history.js";
import { imageParts, paintCanvas, paintImage, paintSoon, refreshHover } from "./images.js";
import { watchPlaneClicks, watchZoom } from "./pointer.js";
import { askOnStream } from "./stream.js";

const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

const REQUEST_SPACING_MS = 400; // at most one request for a whole figure per chart this often
const REQUEST_RETRY_MS = 1500; // no whole figure yet: the request or its answer was lost, ask again

// keepDrawing: the chart can go on taking updates meanwhile (it only missed some rows); otherwise
// (updates for another figure) it ignores them until the whole figure arrives.
function requestFullFigure(host, setTriggerValue, reason, keepDrawing = false) {
  const chart = host.__chart;
  if (!keepDrawing) chart.version = null;
  chart.awaitingBase = true;
  const requests = (host.__chart.requests = host.__chart.requests || {});
  requests[reason] = (requests[reason] || 0) + 1; // read by the benchmark
  const now = Date.now();
  const wait = host.__lastRequest ? REQUEST_SPACING_MS - (now - host.__lastRequest) : 0;
  clearTimeout(host.__requestTimer);
  // Ask now, or as soon as the spacing allows; and again later while no whole figure has come
  // (when paused, no further frame would otherwise ever bring one).
  host.__requestTimer = setTimeout(
    () => {
      if (!chart.awaitingBase || !host.isConnected) return;
      host.__lastRequest = Date.now();
      // While playing on the stream, ask there: a Streamlit trigger would rerun the script.
      if (!askOnStream({ type: "need_full", name: host.dataset.chart })) {
        (host.__setTriggerValue || setTriggerValue)("need_full", reason + ":" + host.__lastRequest);
      }
      host.__requestTimer = setTimeout(
        () => chart.awaitingBase && requestFullFigure(host, setTriggerValue, "retry", keepDrawing),
        REQUEST_RETRY_MS,
      );
    },
    Math.max(0, wait),
  );
}

// layout["images[0].x"] -> layout.images[0].x (undefined when any step is missing).
function nestedValue(object, path) {
  let value = object;
  for (const part of path.split(/[.[\]]+/).filter(Boolean)) {
    if (value === null || value === undefined) return undefined;
    value = value[part];
  }
  return value;
}

// The network diagram's drawer (a canvas, not Plotly), loaded the first time one is drawn; from the same
// versioned directory as this module, so it is always the matching version.
let networkDiagram = null;
function loadNetworkDiagram() {
  networkDiagram = networkDiagram || import("../network_diagram.js");
  return networkDiagram;
}

export async function applyPayload(Plotly, host, payload, setTriggerValue) {
  const chart = host.__chart;
  const started = performance.now();
  if (payload.kind === "network") {
    // Drawn whole from every payload: nothing to patch, nothing to ask for again.
    const { drawNetwork } = await loadNetworkDiagram();
    if (payload.height && host.style.height !== payload.height + "px") host.style.height = payload.height + "px";
    drawNetwork(host, payload);
    chart.seq = payload.seq;
    chart.redraws += 1;
    host.dataset.redraws = String(chart.redraws);
    host.dataset.drawMs = (performance.now() - started).toFixed(1);
    host.dataset.epoch = String(payload.last_epoch);
    window.__backpropRedraws = (window.__backpropRedraws || 0) + 1;
    return;
  }
  if (payload.kind === "html") {
    // Our own markup, escaped by Python (status.status_html, lens readouts).
    if (chart.html !== payload.html) host.innerHTML = chart.html = payload.html;
    chart.seq = payload.seq;
    chart.redraws += 1;
    host.dataset.redraws = String(chart.redraws);
    return;
  }
  if (payload.base) {
    // The last epoch each trace holds: updates overlap, and only later points are appended.
    chart.lastX = payload.base.data.map((trace) => lastNumber(trace.x));
    const image = payload.base.image;
    if (image) {
      host.__colours = image.colours;
      const layout = payload.base.layout;
      const index = Number(image.target.match(/\[(\d+)\]/)[1]);
      layout.images[index].source = paintImage(host, image);
    }
    await Plotly.react(host, payload.base.data, payload.base.layout, PLOT_CONFIG);
    if ((host.dataset.chart || "").startsWith("boundary")) watchPlaneClicks(host);
    // Layer x epoch heatmaps want crisp cells; the probability field wants smooth interpolation.
    host.classList.toggle("pixelated", Boolean(payload.base.pixelated));
    watchZoom(Plotly, host);
    chart.version = payload.version;
    chart.lastEpoch = payload.last_epoch;
    chart.lastFullDraw = performance.now();
    chart.penUp = {};
    chart.stride = payload.base.stride || 1;
    chart.needsRedraw = false;
    chart.awaitingBase = false;
  } else if (chart.version !== payload.version) {
    requestFullFigure(host, setTriggerValue, "version");
    return;
  }
  if (payload.restyle) {
    // A value shared by several traces (the boundary's grid) travels once and is fanned out here.
    const update = {};
    for (const [name, value] of Object.entries(payload.restyle.shared || {})) {
      update[name] = payload.restyle.traces.map(() => value);
    }
    Object.assign(update, payload.restyle.update || {});
    await Plotly.restyle(host, update, payload.restyle.traces);
  }
  if (payload.image || payload.relayout) {
    const edits = Object.assign({}, payload.relayout || {});
    const image = payload.image && host.__colours ? payload.image : null;
    for (const axis of ["xaxis", "yaxis"]) {
      const range = edits[`${axis}.range`];
      if (!range) continue;
      const current = (host.layout[axis] || {}).range;
      // Keep a user's zoom; skip an unchanged range (a relayout would redraw the axis for nothing).
      const same = current && current[0] === range[0] && current[1] === range[1];
      if ((host.__userZoom && host.__userZoom[axis]) || same) delete edits[`${axis}.range`];
    }
    // Layout values that did not change need no relayout either (an image's placement, mostly).
    for (const [key, value] of Object.entries(edits)) {
      if (!key.includes("range") && nestedValue(host.layout, key) === value) delete edits[key];
    }
    if (image !== null) {
      const parts = Object.keys(edits).length === 0 && imageParts(host, image.target);
      if (parts) paintSoon(host, parts, image);
      else {
        const painted = paintCanvas(host, image);
        if (image.hover_trace != null) refreshHover(host, image);
        host.__imageTicket = (host.__imageTicket || 0) + 1; // a pending swap must not undo this picture
        edits[image.target] = painted.canvas.toDataURL(painted.type, painted.quality);
      }
    }
    if (Object.keys(edits).length) {
      host.__applying = true;
      try {
        await Plotly.relayout(host, edits);
      } finally {
        host.__applying = false;
      }
    }
  }
  if (payload.extend) {
    if (payload.extend.stride > (chart.stride || 1)) thinPoints(host, payload.extend.stride);
    const fresh = newPoints(host, payload.extend);
    if (fresh.gap) requestFullFigure(host, setTriggerValue, "gap", true);
    const edits = rangeEdits(host, payload.ranges);
    if (fresh.traces.length || edits || chart.needsRedraw) {
      const due = chart.needsRedraw || performance.now() - (chart.lastFullDraw || 0) > FULL_DRAW_EVERY_MS;
      if (edits || due || !appendInPlace(host, fresh)) {
        // New ranges go straight into the layout, so that the one redraw below also moves the axes.
        for (const [key, value] of Object.entries(edits || {})) {
          const axis = key.split(".")[0];
          host.layout[axis] = Object.assign(host.layout[axis] || {}, { range: value, autorange: false });
          if (host.layout[axis].type === "log") host.layout[axis].dtick = logAxisDtick(value);
        }
        if (fresh.traces.length) await Plotly.extendTraces(host, fresh.update, fresh.traces);
        else await Plotly.redraw(host);
        chart.lastFullDraw = performance.now();
        chart.penUp = {};
        chart.needsRedraw = false;
      }
      fresh.traces.forEach((trace, j) => (chart.lastX[trace] = fresh.update.x[j][fresh.update.x[j].length - 1]));
    }
  } else if (payload.ranges) {
    // Only the axes move: in compare mode the other run's values widened the range both charts share.
    const edits = rangeEdits(host, payload.ranges);
    if (edits) {
      for (const [key, value] of Object.entries(edits)) {
        const axis = key.split(".")[0];
        if ((host.layout[axis] || {}).type === "log") edits[`${axis}.dtick`] = logAxisDtick(value);
      }
      host.__applying = true;
      try {
        await Plotly.relayout(host, edits);
      } finally {
        host.__applying = false;
      }
    }
  }
  if (payload.last_epoch !== undefined) chart.lastEpoch = payload.last_epoch;
  chart.seq = payload.seq;
  chart.redraws += 1;
  host.dataset.drawMs = (performance.now() - started).toFixed(1);
  host.dataset.redraws = String(chart.redraws);
  host.dataset.epoch = String(payload.last_epoch);
  window.__backpropRedraws = (window.__backpropRedraws || 0) + 1;
}

// Merge payloads that arrived while the previous draw was running into one:
// the newest base wins, restyles keep the newest values, extends concatenate.
// A slow browser then draws less often instead of falling further behind.
export function mergePayloads(payloads) {
  let merged = null;
  for (const payload of payloads) {
    if (!merged || payload.base || payload.kind === "html" || payload.kind === "network" || payload.version !== merged.version) {
      merged = payload.kind === "network" ? payload : JSON.parse(JSON.stringify(payload)); // drawn as it is
      continue;
    }
    if (payload.restyle) merged.restyle = payload.restyle;
    if (payload.image) merged.image = payload.image;
    if (payload.relayout) merged.relayout = Object.assign({}, merged.relayout || {}, payload.relayout);
    if (payload.ranges) merged.ranges = payload.ranges;
    if (payload.extend) {
      if (!merged.extend) {
        merged.extend = payload.extend;
      } else {
        merged.extend.stride = payload.extend.stride;
        const target = merged.extend.update;
        payload.extend.update.x.forEach((xs, i) => (target.x[i] = target.x[i].concat(xs)));
        payload.extend.update.y.forEach((ys, i) => (target.y[i] = target.y[i].concat(ys)));
      }
    }
    merged.seq = payload.seq;
    merged.last_epoch = payload.last_epoch;
  }
  return merged;
}

// The chart's heading, a line under it and its caption live beside the plot in the component,
// so the static text is not re-rendered by Streamlit on every frame. Sent with whole figures only.
export function setFrameText(parentElement, host, text) {
  const parts = [
    ["title", "backprop-chart-title", host],
    ["subtitle", "backprop-chart-subtitle", host],
    ["caption", "backprop-chart-caption", null],
  ];
  for (const [name, className, before] of parts) {
    let element = parentElement.querySelector(`:scope > .${className}`);
    const value = text[name] || "";
    if (!value) {
      if (element) element.remove();
      continue;
    }
    if (!element) {
      element = document.createElement(name === "title" ? "h3" : "div");
      element.className = className;
      parentElement.insertBefore(element, before);
    }
    // The caption is HTML built by Python from our own text (escaped there); the rest is plain text.
    if (name === "caption") {
      if (element.innerHTML !== value) element.innerHTML = value;
    } else if (element.textContent !== value) {
      element.textContent = value;
    }
  }
}
