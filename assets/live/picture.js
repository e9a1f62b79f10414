// Painting one live picture, shared by the page (images.js) and its worker (image_worker.js).

// Paint `bytes` (a binary string, one level per pixel, row 0 at the top) through `colours` (3 bytes per
// level) onto a canvas from makeCanvas(width, height, 0); columns from `filled` on are transparent (epochs
// not trained yet). For the boundary (`line` given) the field is then smoothed up to `size` pixels on a
// second canvas, makeCanvas(size, size, 1), and the P = 0.5 line (segment ends in data coordinates,
// `frame` = [left, top, side] of the picture) stroked on it. Returns the canvas painted last.
export function paintPicture({ bytes, rows, cols, filled, colours, line, frame, size }, makeCanvas) {
  const canvas = makeCanvas(cols, rows, 0);
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(cols, rows);
  const shown = filled ?? cols;
  for (let i = 0; i < bytes.length; i++) {
    const level = 3 * bytes.charCodeAt(i);
    pixels.data[4 * i] = colours[level];
    pixels.data[4 * i + 1] = colours[level + 1];
    pixels.data[4 * i + 2] = colours[level + 2];
    pixels.data[4 * i + 3] = i % cols < shown ? 255 : 0;
  }
  context.putImageData(pixels, 0, 0);
  if (!line) return canvas;
  const big = makeCanvas(size, size, 1);
  const painter = big.getContext("2d");
  painter.imageSmoothingEnabled = true;
  painter.imageSmoothingQuality = "high";
  painter.drawImage(canvas, 0, 0, size, size);
  const [left, top, side] = frame;
  const scale = size / side;
  painter.strokeStyle = "#1F2933";
  painter.lineWidth = 3;
  painter.lineCap = "round";
  painter.beginPath();
  for (let i = 0; i + 3 < line.length; i += 4) {
    painter.moveTo((line[i] - left) * scale, (top - line[i + 1]) * scale);
    painter.lineTo((line[i + 2] - left) * scale, (top - line[i + 3]) * scale);
  }
  painter.stroke();
  return big;
}
