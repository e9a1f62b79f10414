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
//                                    while the axes hold (see appendInPlace), else Plotly.extendTraces
//   {ranges: {"xaxis.range": [..]}}  the stepped axis ranges the history chart should have
//   {relayout: {...}}, {restyle: {update, traces}}  other layout or trace edits (the heatmaps)
//   {frame_text: {title, subtitle, caption}}  the heading, a line and the caption around the chart
//   {kind: "html", html}             an HTML block instead of a chart (the status numbers, lens readouts)
// `seq` orders payloads and drops repeats; `version` names the figure the updates
// apply to. When an update does not follow what this chart holds (a whole figure
// was missed, or rows older than the overlap window), the chart asks Python for
// the whole figure again.
//
// While playing, payloads come on the live stream instead (see connectStream and
// playground/ui/stream.py): a websocket of this session's, whose frames carry one
// payload per element, by name. The page draws them on animation frames and
// acknowledges each frame once every element has drawn it; the server never has
// more than two frames unacknowledged, so a slow browser slows the frames down.

const PLOTLY_URL = "/app/static/plotly.min.js";
const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__backpropPlotly) {
    window.__backpropPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_URL;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__backpropPlotly = null;
        reject(new Error("the chart library could not be loaded from " + PLOTLY_URL));
      };
      document.head.appendChild(script);
    });
  }
  return window.__backpropPlotly;
}

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

function lastNumber(values) {
  for (let i = (values || []).length - 1; i >= 0; i--) if (typeof values[i] === "number") return values[i];
  return -Infinity;
}

// The points of an extend that each trace does not hold yet. Updates resend the rows after
// `from_epoch` (a few payloads back), so a payload that never reached us is covered; only if
// a trace's last point is older than that window are rows missing (`gap` is then set: the
// chart draws on, joining the ends, and asks for the whole figure to fill the gap in).
function newPoints(host, extend) {
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
const FULL_DRAW_EVERY_MS = 2000;

function linePaths(host, selector = "path.js-line") {
  const paths = {};
  for (const group of host.querySelectorAll(".scatterlayer .trace")) {
    const calcdata = group.__data__; // bound by Plotly (d3): [{trace: the full trace, ...}, ...]
    const trace = calcdata && calcdata[0] && calcdata[0].trace;
    if (trace) paths[trace.index] = group.querySelector(selector);
  }
  return paths;
}

// A "tonexty" band (the loss chart's generalisation gap) is one closed path: the filled trace's line, then
// the line of the trace before it, backwards. Plotly keeps it in the *previous* trace's group (its
// path.js-fill, Plotly's `_nextFill`). Rebuilt from the two lines' drawn paths after they were extended;
// false when a line has a gap (a second "M") or other commands: then Plotly draws it.
const PLAIN_LINE = /^M[-0-9.,eL]*$/;

function refillBands(host, paths) {
  const fills = linePaths(host, "path.js-fill");
  for (let index = 1; index < host.data.length; index++) {
    if ((host.data[index] || {}).fill !== "tonexty") continue;
    const upper = paths[index] && paths[index].getAttribute("d");
    const lower = paths[index - 1] && paths[index - 1].getAttribute("d");
    const band = fills[index - 1];
    if (!band || !upper || !lower || !PLAIN_LINE.test(upper) || !PLAIN_LINE.test(lower)) return false;
    const backwards = lower.slice(1).split("L").reverse().join("L");
    band.setAttribute("d", upper + "L" + backwards + "Z");
  }
  return true;
}

function appendInPlace(host, fresh) {
  const layout = host._fullLayout;
  const xa = layout && layout.xaxis;
  if (!xa || !layout.yaxis || typeof xa.c2p !== "function") return false;
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
    const ya = layout[(data.yaxis || "y").replace("y", "yaxis")]; // "y2" -> layout.yaxis2 (a second axis)
    let segment = "";
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || !Number.isFinite(y) || (ya.type === "log" && y <= 0)) {
        chart.penUp[trace] = true; // a gap, as Plotly draws it
        continue;
      }
      const px = xa.c2p(xa.d2c(xs[i]));
      const py = ya.c2p(ya.d2c(y));
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
function thinPoints(host, stride) {
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
function logAxisDtick(range) {
  return Math.max(1, Math.ceil(Math.abs(range[1] - range[0]) / MAX_LOG_TICKS));
}

// The range edits that would change this chart: none on an axis the user has zoomed or panned.
function rangeEdits(host, ranges) {
  const edits = {};
  for (const [key, value] of Object.entries(ranges || {})) {
    const axis = key.split(".")[0];
    if (host.__userZoom && host.__userZoom[axis]) continue;
    const current = (host.layout[axis] || {}).range;
    if (!current || current[0] !== value[0] || current[1] !== value[1]) edits[key] = value;
  }
  return Object.keys(edits).length ? edits : null;
}

// Paint bytes (one per pixel, row 0 at the top) through a colour table into a PNG data URL.
function paintImage(host, image) {
  const painted = paintCanvas(host, image);
  return painted.canvas.toDataURL(painted.type, painted.quality);
}

// The same picture on a canvas, with how to encode it: {canvas, type, quality}.
function paintCanvas(host, image) {
  const colours = host.__colours;
  const bytes = atob(image.b64);
  host.__imageBytes = bytes;
  const canvas = host.__canvas || (host.__canvas = document.createElement("canvas"));
  canvas.width = image.cols;
  canvas.height = image.rows;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(image.cols, image.rows);
  const filled = image.filled_cols ?? image.cols; // later columns: epochs not trained yet (transparent)
  for (let i = 0; i < bytes.length; i++) {
    const colour = colours[bytes.charCodeAt(i)];
    pixels.data[4 * i] = colour[0];
    pixels.data[4 * i + 1] = colour[1];
    pixels.data[4 * i + 2] = colour[2];
    pixels.data[4 * i + 3] = i % image.cols < filled ? 255 : 0;
  }
  context.putImageData(pixels, 0, 0);
  if (!image.line) return { canvas, type: "image/png" };
  // The boundary chart: smooth the field up to `upscale` pixels, then stroke the P = 0.5 line on it.
  // No bigger than the plot area's pixels: painting and encoding scale with the area.
  const plotWidth = host._fullLayout && host._fullLayout._size ? host._fullLayout._size.w : image.upscale;
  const size = Math.max(64, Math.min(image.upscale, Math.round(plotWidth * (window.devicePixelRatio || 1))));
  const big = host.__bigCanvas || (host.__bigCanvas = document.createElement("canvas"));
  big.width = size;
  big.height = size;
  const painter = big.getContext("2d");
  painter.imageSmoothingEnabled = true;
  painter.imageSmoothingQuality = "high";
  painter.drawImage(canvas, 0, 0, size, size);
  const [left, top, side] = image.frame;
  const scale = size / side;
  painter.strokeStyle = "#1F2933";
  painter.lineWidth = 3;
  painter.lineCap = "round";
  painter.beginPath();
  for (let i = 0; i + 3 < image.line.length; i += 4) {
    painter.moveTo((image.line[i] - left) * scale, (top - image.line[i + 1]) * scale);
    painter.lineTo((image.line[i + 2] - left) * scale, (top - image.line[i + 3]) * scale);
  }
  painter.stroke();
  // JPEG, not PNG: a smooth field encodes about 7x faster and 15x smaller (so it also decodes faster),
  // and at this quality the difference is not visible.
  return { canvas: big, type: "image/jpeg", quality: 0.92 };
}

// A new picture for a layout image, without Plotly.relayout (which recomputes every layout default,
// several ms): set the <image> element's href and keep Plotly's copies of the source in step, so
// that its next real redraw (a zoom, a whole figure) finds the image already current.
// imageParts: the drawn <image> element of layout image `target` and Plotly's two copies of its item,
// or null (the caller then relayouts).
function imageParts(host, target) {
  const match = /^images\[(\d+)\]\.source$/.exec(target);
  if (!match) return null;
  const index = Number(match[1]);
  const element = [...host.querySelectorAll(".imagelayer image")].find((image) => {
    const item = image.__data__; // bound by Plotly (d3): the full layout's image item
    return item && item._index === index;
  });
  const userImage = host.layout.images && host.layout.images[index];
  const fullImage = host._fullLayout && host._fullLayout.images && host._fullLayout.images[index];
  return element && userImage && fullImage ? { element, userImage, fullImage } : null;
}

function setImageSource({ element, userImage, fullImage }, url) {
  element.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:href", url);
  element._imgSrc = url; // Plotly's own "already drawn" mark
  userImage.source = url;
  fullImage.source = url;
}

// While playing, a new picture is encoded off the main thread (canvas.toBlob; toDataURL encodes on
// it, 3 ms a frame for the boundary) and shown when ready; a newer picture that is ready first wins.
// Only the newest object URL is kept: Plotly's copies point at it, for its next real redraw.
function swapImageSoon(host, parts, painted) {
  const ticket = (host.__imageTicket = (host.__imageTicket || 0) + 1);
  painted.canvas.toBlob(
    (blob) => {
      if (!blob || ticket !== host.__imageTicket || !parts.element.isConnected) return;
      const url = URL.createObjectURL(blob);
      setImageSource(parts, url);
      if (host.__objectUrl) URL.revokeObjectURL(host.__objectUrl);
      host.__objectUrl = url;
    },
    painted.type,
    painted.quality,
  );
}

// The boundary's hover values (a transparent heatmap over the image) follow the image: P = byte/255,
// or hover_offset + hover_scale * byte/255 (a regression surface's value range), written straight
// into Plotly's computed copy of the heatmap, so hover is current on every frame and no trace is
// recomputed. Does nothing unless that copy has the image's shape.
// A click on a boundary chart's plane goes to Python as the trigger "plane_click" with its data
// coordinates (session.plane_click decides: follow, add or erase a point). Plotly's drag layer eats the
// browser's own click and dispatches a synthetic one on the drag layer after a press without a drag
// (it bubbles to the host), so zooming by dragging still works and is not a click. The pixel is read
// against the axes' own offsets (the plane is square inside its plot area). The nonce makes two clicks
// at one spot two events.
function watchPlaneClicks(host) {
  if (host.__watchingClicks) return;
  host.__watchingClicks = true;
  host.addEventListener("click", (event) => {
    const layout = host._fullLayout;
    const xa = layout && layout.xaxis;
    const ya = layout && layout.yaxis;
    if (!xa || !ya || typeof xa.p2d !== "function" || !host.__setTriggerValue) return;
    if (event.detail > 1) return; // the second click of a double click (Plotly's "reset the zoom") adds nothing
    if (event.target && event.target.closest && event.target.closest(".modebar, .legend")) return;
    const rect = host.getBoundingClientRect();
    const px = event.clientX - rect.left - xa._offset;
    const py = event.clientY - rect.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return; // the margins, the colour bar
    host.__clicks = (host.__clicks || 0) + 1;
    const value = {
      x1: Math.round(xa.p2d(px) * 100) / 100,
      x2: Math.round(ya.p2d(py) * 100) / 100,
      shift: Boolean(event.shiftKey),
      nonce: Date.now().toString(36) + "-" + host.__clicks + "-" + Math.random().toString(36).slice(2, 8),
    };
    host.dataset.lastClick = JSON.stringify(value); // read by the browser tests
    host.__setTriggerValue("plane_click", value);
  });
}

function refreshHover(host, image) {
  const low = image.hover_offset ?? 0;
  const span = image.hover_scale ?? 1;
  const calcdata = host.calcdata && host.calcdata[image.hover_trace];
  const z = calcdata && calcdata[0] && calcdata[0].z;
  const bytes = host.__imageBytes;
  if (!Array.isArray(z) || z.length !== image.rows || !bytes || bytes.length !== image.rows * image.cols) return;
  for (let r = 0; r < image.rows; r++) {
    const row = z[r];
    if (!row || row.length !== image.cols) return;
    const offset = (image.rows - 1 - r) * image.cols; // image rows run top-down, the heatmap's bottom-up
    const filled = image.filled_cols ?? image.cols;
    for (let c = 0; c < image.cols; c++) row[c] = c < filled ? low + (span * bytes.charCodeAt(offset + c)) / 255 : null;
  }
}

// The network diagram's drawer (a canvas, not Plotly), loaded with this module's version.
let networkDiagram = null;
function loadNetworkDiagram() {
  networkDiagram = networkDiagram || import(new URL("network_diagram.js" + new URL(import.meta.url).search, import.meta.url).href);
  return networkDiagram;
}

async function applyPayload(Plotly, host, payload, setTriggerValue) {
  const chart = host.__chart;
  const started = performance.now();
  if (payload.kind === "network") {
    // Drawn whole from every payload: nothing to patch, nothing to ask for again.
    const { drawNetwork } = await loadNetworkDiagram();
    if (payload.height) host.style.height = payload.height + "px";
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
    // Our own markup, escaped by Python (view.status_html, lens readouts).
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
    if (!host.__watchingZoom) {
      // A user's zoom or pan wins over the axis range the updates would set while playing;
      // a double click (autorange) hands the axis back to the live view.
      host.__watchingZoom = true;
      host.__userZoom = {};
      host.on("plotly_relayout", (event) => {
        if (host.__applying) return;
        for (const axis of ["xaxis", "yaxis"]) {
          if (`${axis}.range[0]` in event || `${axis}.range` in event) {
            host.__userZoom[axis] = true;
            // A zoom into a log axis may span less than a decade: hand its ticks back to Plotly.
            const layoutAxis = host.layout[axis] || {};
            if (layoutAxis.type === "log" && layoutAxis.dtick !== undefined) {
              setTimeout(() => Plotly.relayout(host, { [`${axis}.dtick`]: null }), 0);
            }
          }
          if (event[`${axis}.autorange`]) host.__userZoom[axis] = false;
        }
      });
    }
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
    let painted = null;
    if (payload.image && host.__colours) {
      painted = paintCanvas(host, payload.image);
      if (payload.image.hover_trace != null) refreshHover(host, payload.image);
    }
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
    if (painted !== null) {
      const parts = Object.keys(edits).length === 0 && imageParts(host, payload.image.target);
      if (parts) swapImageSoon(host, parts, painted);
      else {
        host.__imageTicket = (host.__imageTicket || 0) + 1; // a pending swap must not undo this picture
        edits[payload.image.target] = painted.canvas.toDataURL(painted.type, painted.quality);
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
function mergePayloads(payloads) {
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

// One scheduler for every live chart on the page. Charts with new data are drawn in
// priority order (the decision boundary first) within a time slice, yielding to the
// browser between draws, so clicks and Streamlit's rerun timer are never held up.
// A chart left out of a slice keeps its merged payload and is drawn in the next one:
// on a slow machine the secondary charts redraw less often instead of everything lagging.
const SLICE_MS = 45;
const scheduler = window.__backpropScheduler || (window.__backpropScheduler = { waiting: new Set(), running: false });

// Between two charts' draws the browser may handle a click. Not setTimeout(0): nested timeouts are
// clamped to 4 ms from the fifth on, which with seven live elements cost about 15 ms a frame (the
// frame rate was capped near 40 a second with the main thread 40 % idle). scheduler.yield() resumes
// right after pending input; a message to ourselves where it is missing.
const yieldChannel = new MessageChannel();
const yieldWaiters = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
function yieldToBrowser() {
  if (window.scheduler && typeof window.scheduler.yield === "function") return window.scheduler.yield();
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

// Draws start on an animation frame: at most one paint per chart per display frame. A hidden tab
// gets no animation frames; the timeout keeps it drawing (slowly), so its stream does not stall.
const HIDDEN_TAB_FRAME_MS = 250;
function nextAnimationFrame() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, HIDDEN_TAB_FRAME_MS);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function drawPending(Plotly, host) {
  const batch = host.__pending.splice(0, host.__pending.length);
  // Drop repeats of payloads already applied (Streamlit may call us again with the same data).
  const fresh = batch.filter((p) => p.base || host.__chart.seq === null || p.seq > host.__chart.seq);
  if (!fresh.length) return;
  try {
    await applyPayload(Plotly, host, mergePayloads(fresh), host.__setTriggerValue);
  } catch (error) {
    host.textContent = "This chart could not be drawn: " + error.message;
  }
}

async function runScheduler() {
  if (scheduler.running) return;
  scheduler.running = true;
  try {
    const Plotly = await loadPlotly();
    while (scheduler.waiting.size) {
      await nextAnimationFrame();
      const sliceStart = performance.now();
      // Ageing: every 200 ms of waiting is worth one priority level, so no chart starves.
      const urgency = (host) => host.__priority - (sliceStart - host.__waitingSince) / 200;
      const hosts = [...scheduler.waiting].filter((host) => host.isConnected).sort((a, b) => urgency(a) - urgency(b));
      scheduler.waiting.clear();
      // The slice counts our own drawing only: what the browser does while we yield (Streamlit
      // rendering the next frame) is not ours to ration.
      let drawing = 0;
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[i];
        if (i > 0 && drawing > SLICE_MS) {
          hosts.slice(i).forEach((left) => scheduler.waiting.add(left));
          break;
        }
        const started = performance.now();
        await drawPending(Plotly, host);
        drawing += performance.now() - started;
        if (host.__pending.length) {
          host.__waitingSince = performance.now();
          scheduler.waiting.add(host); // drawn again on the next animation frame, not this one
        }
        await yieldToBrowser();
      }
    }
  } catch (error) {
    for (const host of scheduler.waiting) host.textContent = "This chart could not be drawn: " + error.message;
    scheduler.waiting.clear();
  } finally {
    scheduler.running = false;
  }
  acknowledgeFrames(); // everything received has been drawn
}

// ---- the live stream -----------------------------------------------------------------------------
// One per page (a module-level object: every component shares this module). The status element's
// payload says where to connect, with which token, and whether the run is playing.
const hosts = window.__backpropHosts || (window.__backpropHosts = new Map()); // element name -> host
const hub =
  window.__backpropStream ||
  (window.__backpropStream = {
    socket: null, token: null, path: null, playing: false, status: "idle",
    received: 0, acked: 0, frames: 0, retries: 0, closes: [], lostSince: null, fellBack: false,
  });
const RECONNECT_MS = [100, 250, 500, 1000, 2000];
const FALL_BACK_AFTER_MS = 1500; // playing with no stream this long: let Streamlit's rerun timer draw

function markStatus(status) {
  hub.status = status;
  if (hub.statusHost) hub.statusHost.dataset.stream = status; // read by the browser tests
}

function trigger(value) {
  if (hub.setTriggerValue) hub.setTriggerValue("stream_event", value + ":" + Date.now());
}

function askOnStream(message) {
  if (!hub.playing || !hub.socket || hub.socket.readyState !== WebSocket.OPEN) return false;
  hub.socket.send(JSON.stringify(message));
  return true;
}

function acknowledgeFrames() {
  if (hub.received > hub.acked && hub.socket && hub.socket.readyState === WebSocket.OPEN && !scheduler.running) {
    hub.acked = hub.received;
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
  for (const [name, payload] of Object.entries(message.charts || {})) {
    const host = hosts.get(name);
    if (!host || !host.isConnected) continue; // an element no longer on the page
    enqueue(host, payload);
  }
  if (message.rerun) trigger("rerun"); // the run stopped on the stream: Streamlit redraws the controls
  if (scheduler.running || scheduler.waiting.size) runScheduler();
  else acknowledgeFrames();
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
    if (hub.fellBack) {
      hub.fellBack = false;
      trigger("back"); // the stream takes over from the rerun timer again
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
        trigger("lost");
      }
    }, FALL_BACK_AFTER_MS);
  };
}

function configureStream(info, setTriggerValue, host) {
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

function enqueue(host, payload) {
  host.__pending.push(payload);
  host.__priority = payload.priority ?? host.__priority ?? 5;
  if (!scheduler.waiting.has(host)) host.__waitingSince = performance.now();
  scheduler.waiting.add(host);
}

// The chart's heading, a line under it and its caption live beside the plot in the component,
// so the static text is not re-rendered by Streamlit on every frame. Sent with whole figures only.
function setFrameText(parentElement, host, text) {
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

// ---- keyboard shortcuts -----------------------------------------------------------------------
// Space plays and pauses, → (ArrowRight) steps one epoch, R resets: each clicks the playback bar's own
// button (so a shortcut is exactly a click: same callback, same lock, nothing when the button is hidden by a
// link or disabled). Components v2 run in the page's own document (no iframe), so one listener on it sees
// every key; it is installed once per page. Keys typed into a field, a select, a slider or a menu are theirs;
// so is Space on a button reached with Tab (the keyboard user presses that button), but not on one last
// clicked with the mouse (Space then means Play, as a presenter expects). Chromium's :focus-visible cannot
// tell the two apart here (any key press makes the focused element match it), so the listener remembers
// whether the focus last moved by Tab or by a pointer.
// Two skip links, first in the tab order, lead past the sidebar: to Play and to the lesson picker.
const SHORTCUTS = { " ": "play_pause", ArrowRight: "step_one", r: "reset", R: "reset" };
const KEYS_OF_THEIR_OWN =
  'input, textarea, select, [contenteditable]:not([contenteditable="false"]), [role="textbox"], ' +
  '[role="combobox"], [role="listbox"], [role="option"], [role="slider"], [role="spinbutton"], [role="menu"], ' +
  '[role="menuitem"], [role="tablist"], [role="tab"], [role="radiogroup"], [role="radio"], [role="dialog"]';
const PRESSABLE = 'button, a[href], summary, label, [role="button"], [role="switch"], [role="checkbox"]';
const SKIP_LINKS = [
  { text: "Skip to Play (Space plays and pauses, → steps, R resets)", target: ".st-key-play_pause button" },
  { text: "Skip to the lessons", target: ".st-key-w_lesson input" },
];

function shortcutButton(name) {
  const button = document.querySelector(`.st-key-${name} button`);
  return button && !button.disabled ? button : null;
}

function onShortcutKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const name = SHORTCUTS[event.key];
  if (!name) return;
  const target = event.target instanceof Element ? event.target : null;
  if (target && target.closest(KEYS_OF_THEIR_OWN)) return;
  if (event.key === " " && target && target.closest(PRESSABLE) && focusByKeyboard) return;
  const button = shortcutButton(name);
  if (!button) return;
  event.preventDefault(); // Space would scroll the page, or press the button the mouse last clicked
  if (event.repeat) return; // a held key is one press
  button.click();
  window.__backpropShortcutPresses = (window.__backpropShortcutPresses || 0) + 1; // read by the browser tests
}

function installSkipLinks() {
  if (document.querySelector(".bp-skip-links")) return;
  const nav = document.createElement("nav");
  nav.className = "bp-skip-links";
  nav.setAttribute("aria-label", "Skip links");
  for (const { text, target } of SKIP_LINKS) {
    const link = document.createElement("a");
    link.href = "#";
    link.className = "bp-skip-link";
    link.textContent = text;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const element = document.querySelector(target);
      if (element) {
        focusByKeyboard = event.detail === 0; // Enter on the link (a mouse click has detail >= 1)
        element.focus();
        element.scrollIntoView({ block: "nearest" });
      }
    });
    nav.appendChild(link);
  }
  document.body.prepend(nav); // outside Streamlit's React root: never re-rendered away
}

let focusByKeyboard = false; // did the focus last move by Tab (true) or by a pointer (false)?

// Pause says so on the stream too, at once: the click's own script run (which relabels the button) waits for
// Streamlit's round trip, a second or more on a slow machine, and meanwhile the stream would go on training.
// Only a pause: it is idempotent (the button's callback sets playing to False, never toggles), so the click's
// run, arriving later, finds the run paused and changes nothing.
function onPlayPauseClick(event) {
  const button = event.target instanceof Element ? event.target.closest(".st-key-play_pause button") : null;
  if (button && button.innerText.trim() === "Pause" && askOnStream({ type: "pause" })) {
    window.__backpropStreamPauses = (window.__backpropStreamPauses || 0) + 1; // read by the browser tests
  }
}

function installShortcuts() {
  if (window.__backpropShortcuts) return;
  window.__backpropShortcuts = true;
  document.addEventListener("keydown", (event) => event.key === "Tab" && (focusByKeyboard = true), true);
  document.addEventListener("pointerdown", () => (focusByKeyboard = false), true);
  document.addEventListener("keydown", onShortcutKey);
  document.addEventListener("click", onPlayPauseClick, true);
  installSkipLinks();
}

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
