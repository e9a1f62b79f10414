// Pictures painted in the browser: a payload's `image` (one byte per pixel) through the figure's colour
// table into a layout image (the decision boundary, the lens heatmaps), swapped into the drawn chart,
// and the boundary's hover values read from the same bytes.

import { paintPicture } from "./picture.js";
import { drawnImage, heatmapHoverRows, plotArea, setDrawnImageSource } from "./plotly_adapter.js";

// Paint bytes (one per pixel, row 0 at the top) through a colour table into a PNG data URL.
export function paintImage(host, image) {
  const painted = paintCanvas(host, image);
  return painted.canvas.toDataURL(painted.type, painted.quality);
}

// The same picture on a canvas of the chart's own, with how to encode it: {canvas, type, quality}.
export function paintCanvas(host, image) {
  const bytes = atob(image.b64);
  host.__imageBytes = bytes;
  const reuse = (width, height, index) => {
    const key = index ? "__bigCanvas" : "__canvas";
    const canvas = host[key] || (host[key] = document.createElement("canvas"));
    canvas.width = width;
    canvas.height = height;
    return canvas;
  };
  const canvas = paintPicture(pictureJob(host, image, bytes), reuse);
  return image.line ? { canvas, ...BOUNDARY_ENCODING } : { canvas, type: "image/png" };
}

// What paintPicture needs for a payload's image (`bytes` or, for the worker, `b64`).
function pictureJob(host, image, bytes) {
  const job = { bytes, rows: image.rows, cols: image.cols, filled: image.filled_cols, colours: colourBytes(host) };
  if (image.line) Object.assign(job, { line: image.line, frame: image.frame, size: boundarySide(host, image) });
  return job;
}

// JPEG, not PNG: a smooth field encodes about 7x faster and 15x smaller (so it also decodes faster),
// and at this quality the difference is not visible.
const BOUNDARY_ENCODING = { type: "image/jpeg", quality: 0.92 };

// The boundary picture's side in pixels: up to `upscale`, no bigger than the plot area's pixels
// (painting and encoding scale with the area).
function boundarySide(host, image) {
  const area = plotArea(host);
  const plotWidth = area ? area.width : image.upscale;
  return Math.max(64, Math.min(image.upscale, Math.round(plotWidth * (window.devicePixelRatio || 1))));
}

// The drawn layout image a payload's image `target` ("images[0].source") names, for paintSoon;
// null when it cannot be swapped in place (the caller then relayouts).
export function imageParts(host, target) {
  const match = /^images\[(\d+)\]\.source$/.exec(target);
  return match ? drawnImage(host, Number(match[1])) : null;
}

// While playing, a new picture is encoded off the main thread (canvas.toBlob; toDataURL encodes on
// it, 3 ms a frame for the boundary) and shown when ready; a newer picture that is ready first wins.
// Only the newest object URL is kept: Plotly's copies point at it, for its next real redraw.
function swapImageSoon(host, parts, painted) {
  const ticket = (host.__imageTicket = (host.__imageTicket || 0) + 1);
  painted.canvas.toBlob(
    (blob) => blob && showPicture(host, parts, ticket, blob) && (pictures.page += 1),
    painted.type,
    painted.quality,
  );
}

// While playing, pictures are painted and encoded by a worker (image_worker.js), off the main thread:
// on a slow laptop painting and encoding the boundary and the two lens heatmaps took about a tenth of
// the page's main thread (canvas.toBlob copies the picture on it before encoding elsewhere). Where
// workers or OffscreenCanvas are missing, or the worker fails, swapImageSoon paints on the page.
let imageWorker = null;
let imageWorkerFailed = false;
// Pictures shown, by who painted them (read by the browser tests).
const pictures = window.__backpropPictures || (window.__backpropPictures = { worker: 0, page: 0 });
const workerJobs = new Map(); // job id -> {host, parts}
let nextJobId = 0;

function startImageWorker() {
  if (imageWorker || imageWorkerFailed) return imageWorker;
  if (typeof Worker === "undefined" || typeof OffscreenCanvas === "undefined") {
    imageWorkerFailed = true;
    return null;
  }
  try {
    imageWorker = new Worker(new URL("./image_worker.js", import.meta.url), { type: "module" });
  } catch (error) {
    imageWorkerFailed = true;
    return null;
  }
  imageWorker.onmessage = (event) => {
    const { id, ticket, blob, error } = event.data;
    const job = workerJobs.get(id);
    workerJobs.delete(id);
    if (!job) return;
    job.host.__workerBusy = false;
    if (blob && !error && showPicture(job.host, job.parts, ticket, blob)) pictures.worker += 1; // else the next frame's
    const next = job.host.__workerNext;
    job.host.__workerNext = null;
    if (next && imageWorker) sendToWorker(imageWorker, job.host, next.parts, next.image); // its hover is shown
  };
  imageWorker.onerror = () => {
    imageWorkerFailed = true; // from now on the page paints; pictures in flight are dropped
    imageWorker = null;
    for (const job of workerJobs.values()) job.host.__workerBusy = false;
    workerJobs.clear();
  };
  return imageWorker;
}

// The colour table as 3 bytes per level, for the worker (made once per whole figure).
function colourBytes(host) {
  if (host.__colourBytesOf !== host.__colours) {
    const table = new Uint8Array(3 * host.__colours.length);
    host.__colours.forEach((colour, level) => table.set(colour.slice(0, 3), 3 * level));
    host.__colourBytes = table;
    host.__colourBytesOf = host.__colours;
  }
  return host.__colourBytes;
}

// A new picture for the drawn layout image `parts`: painted and encoded by the worker and shown when
// ready (a newer picture that is ready first wins), or on the page where there is no worker. The
// boundary's hover values are read from the same bytes at once.
export function paintSoon(host, parts, image) {
  const worker = startImageWorker();
  if (!worker) {
    swapImageSoon(host, parts, paintCanvas(host, image)); // paintCanvas keeps the bytes for the hover
  } else {
    if (image.hover_trace != null) {
      host.__imageBytes = atob(image.b64); // the hover's values, read below
    }
    sendToWorker(worker, host, parts, image);
  }
  if (image.hover_trace != null) refreshHover(host, image);
}

function sendToWorker(worker, host, parts, image) {
  const ticket = (host.__imageTicket = (host.__imageTicket || 0) + 1);
  if (host.__workerBusy) {
    host.__workerNext = { parts, image }; // one picture in the worker per chart: no backlog, the newest waits
    return;
  }
  host.__workerBusy = true;
  const id = ++nextJobId;
  workerJobs.set(id, { host, parts });
  const encoding = image.line ? BOUNDARY_ENCODING : { type: "image/png" };
  worker.postMessage({ ...pictureJob(host, image, undefined), b64: image.b64, id, ticket, ...encoding });
}

// True when shown (not overtaken by a newer picture, the chart still on the page).
function showPicture(host, parts, ticket, blob) {
  if (ticket !== host.__imageTicket || !parts.element.isConnected) return false;
  const url = URL.createObjectURL(blob);
  setDrawnImageSource(parts, url);
  if (host.__objectUrl) URL.revokeObjectURL(host.__objectUrl);
  host.__objectUrl = url;
  return true;
}

// The boundary's hover values (a transparent heatmap over the image) follow the image: P = byte/255,
// or hover_offset + hover_scale * byte/255 (a regression surface's value range), written straight
// into Plotly's computed copy of the heatmap, so hover is current on every frame and no trace is
// recomputed. Does nothing unless that copy has the image's shape.
export function refreshHover(host, image) {
  const low = image.hover_offset ?? 0;
  const span = image.hover_scale ?? 1;
  const z = heatmapHoverRows(host, image.hover_trace);
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
