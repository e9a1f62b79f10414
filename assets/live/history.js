// The history charts (loss, gradients, lens): new rows appended to the drawn lines, the points thinned
// as Python's history thins, and the stepped axis ranges that come with the rows.

import { bandPaths, drawnAxis, linePaths } from "./plotly_adapter.js";

export function lastNumber(values) {
  for (let i = (values || []).length - 1; i >= 0; i--) if (typeof values[i] === "number") return values[i];
  return -Infinity;
}

// The points of an extend that each trace does not hold yet. Updates resend the rows after
// `from_epoch` (a few payloads back), so a payload that never reached us is covered; only if
// a trace's last point is older than that window are rows missing (`gap` is then set: the
// chart draws on, joining the ends, and asks for the whole figure to fill the gap in).
export function newPoints(host, extend) {
  const lastX = host.__chart.lastX || [];
  const result = { update: { x: [], y: [] }, traces: [] };
  for (let j = 0; j < extend.traces.length; j++) {
    const trace = extend.traces[j];
    const xs = extend.update.x[j];
    const ys = extend.update.y[j];
    let last = lastX[trace] ?? -Infinity;
    if (!xs.length) continue;
    if (extend.from_epoch !== null && extend.from_epoch !== undefined && last < extend.from_epoch) result.gap = true;
    const keepX = [];
    const keepY = [];
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] > last) {
        keepX.push(xs[i]);
        keepY.push(ys[i]);
        last = xs[i];
      }
    }
    if (keepX.length) {
      result.update.x.push(keepX);
      result.update.y.push(keepY);
      result.traces.push(trace);
    }
  }
  return result;
}

// While the axes hold still, new points are drawn by extending each line's SVG path: a Plotly
// redraw (axes, legend, every point) costs 10-25 ms per chart on a slow machine, this well under
// one. The points also go into the figure's data, so the next Plotly draw has them all; a real
// redraw still runs at least this often, so hover (which reads Plotly's own copy) is never older.
export const FULL_DRAW_EVERY_MS = 2000;

// A "tonexty" band (the loss chart's generalisation gap) is one closed path: the filled trace's line, then
// the line of the trace before it, backwards. Rebuilt from the two lines' drawn paths after they were
// extended; false when a line has a gap (a second "M") or other commands: then Plotly draws it.
const PLAIN_LINE = /^M[-0-9.,eL]*$/;

function refillBands(host, paths) {
  const bands = bandPaths(host);
  for (let index = 1; index < host.data.length; index++) {
    if ((host.data[index] || {}).fill !== "tonexty") continue;
    const upper = paths[index] && paths[index].getAttribute("d");
    const lower = paths[index - 1] && paths[index - 1].getAttribute("d");
    const band = bands[index];
    if (!band || !upper || !lower || !PLAIN_LINE.test(upper) || !PLAIN_LINE.test(lower)) return false;
    const backwards = lower.slice(1).split("L").reverse().join("L");
    band.setAttribute("d", upper + "L" + backwards + "Z");
  }
  return true;
}

export function appendInPlace(host, fresh) {
  const xa = drawnAxis(host, "xaxis");
  if (!xa || !drawnAxis(host, "yaxis")) return false;
  // A filled band other than "tonexty" (which refillBands redraws) is left to Plotly.
  if (fresh.traces.some((trace) => ![undefined, "none", "tonexty"].includes((host.data[trace] || {}).fill))) {
    return false;
  }
  const paths = linePaths(host);
  for (const trace of fresh.traces) {
    const shown = (host.data[trace] || {}).visible;
    if (shown === false || shown === "legendonly") continue;
    const path = paths[trace];
    if (!path || !path.getAttribute("d")) return false; // nothing drawn yet to extend
  }
  const chart = host.__chart;
  chart.penUp = chart.penUp || {};
  fresh.traces.forEach((trace, j) => {
    const xs = fresh.update.x[j];
    const ys = fresh.update.y[j];
    const data = host.data[trace];
    for (let i = 0; i < xs.length; i++) {
      data.x.push(xs[i]);
      data.y.push(ys[i]);
    }
    const path = paths[trace];
    if (!path) return; // hidden from the legend: Plotly draws it when it is shown again
    const ya = drawnAxis(host, (data.yaxis || "y").replace("y", "yaxis")); // "y2" -> yaxis2 (a second axis)
    let segment = "";
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || !Number.isFinite(y) || (ya.type === "log" && y <= 0)) {
        chart.penUp[trace] = true; // a gap, as Plotly draws it
        continue;
      }
      const px = xa.dataToPixel(xs[i]);
      const py = ya.dataToPixel(y);
      segment += (chart.penUp[trace] ? "M" : "L") + px.toFixed(2) + "," + py.toFixed(2);
      chart.penUp[trace] = false;
    }
    if (segment) path.setAttribute("d", path.getAttribute("d") + segment);
  });
  // The bands follow their lines; one a path cannot describe (a gap in a line) waits for the next real draw.
  if (!refillBands(host, paths)) chart.needsRedraw = true;
  return true;
}

// The history in Python keeps every stride-th epoch once it is long (the stride doubles each time
// it fills up); the chart drops the same points, rather than receiving a whole new figure.
export function thinPoints(host, stride) {
  for (const trace of host.data) {
    if (!Array.isArray(trace.x) || !Array.isArray(trace.y)) continue;
    const last = trace.x.length - 1;
    const xs = [];
    const ys = [];
    trace.x.forEach((x, i) => {
      if (i === last || x % stride === 0) {
        xs.push(x);
        ys.push(trace.y[i]);
      }
    });
    trace.x = xs;
    trace.y = ys;
  }
  host.__chart.stride = stride;
  host.__chart.needsRedraw = true;
}

// Decades between a log axis's labels: 1 (each grid line 10x the one below), more on a long range.
// As playground/plots/history.py log_axis_dtick; applied only when a range steps (a redraw happens then anyway).
const MAX_LOG_TICKS = 5;
export function logAxisDtick(range) {
  return Math.max(1, Math.ceil(Math.abs(range[1] - range[0]) / MAX_LOG_TICKS));
}

// The range edits that would change this chart: none on an axis the user has zoomed or panned.
export function rangeEdits(host, ranges) {
  const edits = {};
  for (const [key, value] of Object.entries(ranges || {})) {
    const axis = key.split(".")[0];
    if (host.__userZoom && host.__userZoom[axis]) continue;
    const current = (host.layout[axis] || {}).range;
    if (!current || current[0] !== value[0] || current[1] !== value[1]) edits[key] = value;
  }
  return Object.keys(edits).length ? edits : null;
}
