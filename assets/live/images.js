// Pictures painted in the browser: a payload's `image` (one byte per pixel) through the figure's colour
// table into a layout image (the decision boundary, the lens heatmaps), swapped into the drawn chart,
// and the boundary's hover values read from the same bytes.

import { drawnImage, heatmapHoverRows, plotArea, setDrawnImageSource } from "./plotly_adapter.js";

// Paint bytes (one per pixel, row 0 at the top) through a colour table into a PNG data URL.
export function paintImage(host, image) {
  const painted = paintCanvas(host, image);
  return painted.canvas.toDataURL(painted.type, painted.quality);
}

// The same picture on a canvas, with how to encode it: {canvas, type, quality}.
export function paintCanvas(host, image) {
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
  const area = plotArea(host);
  const plotWidth = area ? area.width : image.upscale;
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

// The drawn layout image a payload's image `target` ("images[0].source") names, for swapImageSoon;
// null when it cannot be swapped in place (the caller then relayouts).
export function imageParts(host, target) {
  const match = /^images\[(\d+)\]\.source$/.exec(target);
  return match ? drawnImage(host, Number(match[1])) : null;
}

// While playing, a new picture is encoded off the main thread (canvas.toBlob; toDataURL encodes on
// it, 3 ms a frame for the boundary) and shown when ready; a newer picture that is ready first wins.
// Only the newest object URL is kept: Plotly's copies point at it, for its next real redraw.
export function swapImageSoon(host, parts, painted) {
  const ticket = (host.__imageTicket = (host.__imageTicket || 0) + 1);
  painted.canvas.toBlob(
    (blob) => {
      if (!blob || ticket !== host.__imageTicket || !parts.element.isConnected) return;
      const url = URL.createObjectURL(blob);
      setDrawnImageSource(parts, url);
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
