// The network diagram: one canvas, redrawn whole from each payload (playground/ui/diagram_view.py).
//
// Imported by live_plot.js for payloads of kind "network"; the host element and its place in the
// page's drawing schedule are live_plot.js's. A payload carries (arrays as base64, little-endian):
//   sizes, shown            units per layer, and how many of them are drawn (the rest: one "+N" node)
//   labels, titles          each drawn unit's name (x₁, h2.3, P(blue)) and each column's heading
//   thumbs                  uint8, per drawn unit a side x side picture of its output over the input
//                           square ((v + 1) * 127.5, v in [-1, 1]); thumb_layers says which layers have one
//                           (image inputs: layer 1's pictures are the units' weights, image_side a side)
//   image_side              pixels a side of an image input (8 or 28; 0 for points): the input node's label
//   weights, grads          float32, per weight layer (shown[l] x shown[l + 1]) row-major, concatenated
//   biases, errors          float32, per drawn unit of layers 1..L: b, and mean |n delta| (its error signal)
//   hidden_error            per layer, RMS error signal of the units not drawn
//   short_titles            ('L2', '16') per column, for columns too narrow for the titles; layer_summary
//                           says in one legend line what they leave out ('L1–L16: 8 Sigmoid units each')
//   colouring               "weights": edges by sign and |w|, units by their output; "gradients":
//                           edges by |dL/dw| and units by |delta|, on one log colour scale
//   gradient_range          that scale's [low, high] log10: fixed (playground/teaching/diagram.py), the same for
//                           every run, so that two diagrams side by side compare by colour
//   walkthrough             (optional) the backprop walkthrough's step: {title, highlight (a unit layer),
//                           unit_values: {k: [...]}, unit_label, edges: {l: {values (b64), scale}}, edge_label}
//   editable                clicking an edge or a unit asks for a new weight or bias
//   skips, skip_signal      per hidden layer h: a skip connection (an arc from column h to column h + 1,
//                           in the band above the units, so it hides no edge), and the error signal mean
//                           |n·∂L/∂y| it passes down (the arc's colour in the gradient view; grey otherwise)
//   badges                  per column the normalisation's badge ("BN", "LN" or ""), in a row under the
//                           headings; gammas, betas (float32 per unit as biases, NaN where none) for hover
//   dropout                 the share dropped while training: the hidden units get a dashed outline
//   marks_legend            the legend line for these marks: [{mark: "arc" | "badge" | "dashed", text, badge}]
//   reserve                 {badge_row, arc_band}: keep that room even without the marks (compare mode: the other
//                           run has them), so that the two diagrams' rows line up
// Hovering shows a weight's value and gradient; a click on an edge (or a unit: its bias) opens an
// input, and Enter sends {layer, row, col, value} to Python as the "edit_weight" trigger.
//
// Readable at any depth and at half a page's width: every text is at least 12 px, the column headings
// shorten ("Layer 2" -> "L2") and then thin out (the input and output always kept) rather than touch,
// and the legend wraps onto as many lines as the width needs. Every text drawn is recorded with its box
// (host's data-text-boxes, canvas pixels), so the browser tests can check that none overlaps another.

const BLUE = [0, 114, 178]; // Okabe-Ito blue: positive weights, class 1, outputs near +1
const VERMILLION = [213, 94, 0]; // Okabe-Ito vermillion: negative weights, class 0, outputs near -1
const PALE = [247, 247, 247];
// Viridis (colour-blind safe, dark = tiny, bright = large) for the gradient colouring.
const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
]; // prettier-ignore
const FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif";
const DEFAULT_GRADIENT_RANGE = [-8, 0]; // as playground/teaching/diagram.py's GRADIENT_LOG_RANGE
const HEADING_SIZE = 14, SUBHEADING_SIZE = 13, LEGEND_SIZE = 13, LEGEND_LINE = 19;
const HEADING_GAP = 10; // pixels at least between two column headings
const TOP = 44; // the two heading lines
// Below the headings: the badges' row, then the band the skip arcs rise into (as diagram_view.py's
// BADGE_ROW_HEIGHT and ARC_BAND_HEIGHT, which the payload's height includes).
const IMAGE_LABEL_FONT = `600 12px ${FONT}`; // the image input node's "8×8" (see layout)
const BADGE_ROW = 20, ARC_BAND = 24, BADGE_SIZE = 12, BADGE_PAD = 4, BADGE_GAP = 6;
const ARC_GREY = [75, 85, 99]; // the skip arcs in the weights view: neutral, unlike the blue and vermillion lines
const CASING = "rgba(17,24,39,0.85)"; // a dark edge under a gradient-coloured arc: yellow shows on white

// Write a text and remember its box (x, y, w, h in canvas pixels; `size`: the type's px).
function writeText(ctx, boxes, text, x, y, kind, size) {
  ctx.fillText(text, x, y);
  const w = ctx.measureText(text).width;
  const left = ctx.textAlign === "center" ? x - w / 2 : ctx.textAlign === "right" ? x - w : x;
  const top = ctx.textBaseline === "middle" ? y - size / 2 : ctx.textBaseline === "alphabetic" ? y - 0.78 * size : y;
  const r = (v) => Math.round(v * 10) / 10;
  boxes.push({ text, kind, size, x: r(left), y: r(top), w: r(w), h: size });
}

function textWidth(ctx, font, text) {
  ctx.font = font;
  return ctx.measureText(text).width;
}

function decode(b64, Type) {
  if (!b64) return new Type(0);
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return Type === Uint8Array ? bytes : new Type(bytes.buffer);
}

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

function diverging(v) {
  // v in [-1, 1]: vermillion - pale - blue (the decision boundary's palette)
  return v >= 0 ? mix(PALE, BLUE, Math.min(v, 1)) : mix(PALE, VERMILLION, Math.min(-v, 1));
}

function viridis(t) {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  return mix(VIRIDIS[i], VIRIDIS[i + 1], x - i);
}

const css = (rgb, alpha = 1) => `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`;

function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
  return v.toPrecision(4).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

// Where everything goes, from the payload, the canvas size (CSS pixels) and the legend's height.
// The side margins hold the input and output names and half the first and last headings.
function layout(ctx, payload, width, height, legendHeight) {
  const columns = payload.sizes.length;
  const rows = Math.max(...payload.shown.map((s, k) => s + (payload.aggregate[k] ? 1 : 0)));
  // The badge row and the arc band: where this network has them, or (compare mode) the other run has.
  const reserve = payload.reserve || {};
  const badgeRow = reserve.badge_row || (payload.badges || []).some(Boolean) ? BADGE_ROW : 0;
  const arcBand = reserve.arc_band || (payload.skips || []).some(Boolean) ? ARC_BAND : 0;
  const top = TOP + badgeRow + arcBand, bottom = legendHeight + 14;
  const rowSpace = Math.max(1, (height - top - bottom) / rows);
  const node = Math.max(14, Math.min(40, rowSpace * 0.78, (width / columns) * 0.42));
  const labelSize = Math.max(12, Math.min(14, rowSpace * 0.45));
  const labelFont = `${labelSize}px ${FONT}`;
  const widest = (texts) => Math.max(0, ...texts.map((t) => (t ? textWidth(ctx, labelFont, t) : 0)));
  const headingWidth = (title) =>
    Math.max(textWidth(ctx, `600 ${HEADING_SIZE}px ${FONT}`, title[0]), textWidth(ctx, `${SUBHEADING_SIZE}px ${FONT}`, title[1]));
  // An image input's node says its size (8×8, 28×28): inside the node when it fits, else beside it.
  const imageLabel = payload.image_side ? `${payload.image_side}×${payload.image_side}` : "";
  const imageLabelOutside = Boolean(imageLabel) && textWidth(ctx, IMAGE_LABEL_FONT, imageLabel) > node - 4;
  const inputNames = Math.max(widest(payload.labels[0] || []), imageLabelOutside ? widest([imageLabel]) : 0);
  const outputNames = widest(payload.labels[columns - 1] || []);
  const left = Math.max(8 + node / 2 + (inputNames ? inputNames + 6 : 0), headingWidth(payload.titles[0]) / 2 + 4);
  const right = Math.max(8 + node / 2 + (outputNames ? outputNames + 6 : 0), headingWidth(payload.titles[columns - 1]) / 2 + 4);
  const step = columns > 1 ? (width - left - right) / (columns - 1) : 0;
  const units = payload.shown.map((shown, k) => {
    const extra = payload.aggregate[k] ? 1 : 0;
    const count = shown + extra;
    const span = count * rowSpace;
    const y0 = top + (height - top - bottom - span) / 2 + rowSpace / 2;
    const x = left + k * step;
    return Array.from({ length: count }, (_, i) => ({ x, y: y0 + i * rowSpace, aggregate: i >= shown }));
  });
  return {
    units, node, top, bottom, step, rowSpace, labelSize, badgeTop: TOP + 2, arcPeak: TOP + badgeRow + 4,
    imageLabel, imageLabelOutside,
  };
}

// The column headings to write: the full ones ("Layer 2" over "16 Sigmoid") when every one fits its
// column, else the short ones ("L2" over "16") on every column, or on every n-th, the input and the
// output always: {titles, short, shown: [column indices]}. No two ever overlap.
function headingPlan(ctx, payload, xs, width) {
  const last = xs.length - 1;
  const widthsOf = (titles) =>
    titles.map((t) => Math.max(textWidth(ctx, `600 ${HEADING_SIZE}px ${FONT}`, t[0]), textWidth(ctx, `${SUBHEADING_SIZE}px ${FONT}`, t[1])));
  const plan = (titles, widths, every) => {
    const clear = (i, j) => xs[j] - xs[i] >= (widths[i] + widths[j]) / 2 + HEADING_GAP;
    const shown = [0];
    for (let k = every; k < last; k += every) if (clear(k, last)) shown.push(k);
    if (last > 0) shown.push(last);
    const fits = shown.every((k, i) => i === 0 || clear(shown[i - 1], k));
    const inside = xs[0] - widths[0] / 2 >= 0 && xs[last] + widths[last] / 2 <= width;
    return fits && inside ? shown : null;
  };
  const full = payload.titles;
  const all = plan(full, widthsOf(full), 1);
  if (all && all.length === xs.length) return { titles: full, short: false, shown: all };
  const short = payload.short_titles || full;
  const widths = widthsOf(short);
  for (let every = 1; every < Math.max(2, last); every++) {
    const shown = plan(short, widths, every);
    if (shown && (every > 1 || shown.length === xs.length)) return { titles: short, short: true, shown };
  }
  return { titles: short, short: true, shown: last > 0 ? [0, last] : [0] };
}

function edgeList(payload, weights, grads, geometry) {
  const edges = [];
  let offset = 0;
  for (let l = 0; l < payload.sizes.length - 1; l++) {
    const rows = payload.edges_drawn[l] ? payload.shown[l] : 1;
    const cols = payload.shown[l + 1];
    if (payload.edges_drawn[l]) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const a = geometry.units[l][i], b = geometry.units[l + 1][j];
          edges.push({
            layer: l, row: i, col: j, w: weights[offset + i * cols + j], g: grads[offset + i * cols + j],
            x1: a.x + geometry.node / 2, y1: a.y, x2: b.x - geometry.node / 2, y2: b.y,
          });
        }
      }
    }
    offset += rows * cols;
  }
  return edges;
}

// The skip arcs: hidden layer h's arc leaves the top of column h and lands, with an arrowhead, on the top
// of column h + 1, rising to the band above the units (a cubic curve, peak at geometry.arcPeak). The ends
// stop short of the column's centre, so the arcs of consecutive layers do not touch.
function arcList(payload, geometry) {
  const arcs = [];
  (payload.skips || []).forEach((skip, h) => {
    if (!skip) return;
    const a = geometry.units[h][0], b = geometry.units[h + 1][0];
    const inset = Math.min(geometry.node * 0.3, geometry.step * 0.12);
    const x0 = a.x + inset, x1 = b.x - inset;
    const y0 = a.y - geometry.node / 2 - 3, y1 = b.y - geometry.node / 2 - 3;
    const control = (geometry.arcPeak - 0.125 * (y0 + y1)) / 0.75; // the curve's midpoint is at arcPeak
    const reach = (x1 - x0) * 0.12;
    const signal = payload.skip_signal ? payload.skip_signal[h] : null;
    arcs.push({ h, x0, y0, x1, y1, c1: [x0 + reach, control], c2: [x1 - reach, control], signal });
  });
  return arcs;
}

function arcPoint(arc, t) {
  const u = 1 - t;
  const x = u * u * u * arc.x0 + 3 * u * u * t * arc.c1[0] + 3 * u * t * t * arc.c2[0] + t * t * t * arc.x1;
  const y = u * u * u * arc.y0 + 3 * u * u * t * arc.c1[1] + 3 * u * t * t * arc.c2[1] + t * t * t * arc.y1;
  return [x, y];
}

function traceArc(ctx, arc) {
  ctx.beginPath();
  ctx.moveTo(arc.x0, arc.y0);
  ctx.bezierCurveTo(arc.c1[0], arc.c1[1], arc.c2[0], arc.c2[1], arc.x1, arc.y1);
}

// One arc in `colour`, `lineWidth` wide, cased in a dark edge when `cased`, with an arrowhead at its end.
function drawArc(ctx, arc, colour, lineWidth, cased) {
  ctx.lineCap = "round";
  if (cased) {
    ctx.strokeStyle = CASING;
    ctx.lineWidth = lineWidth + 2;
    traceArc(ctx, arc);
    ctx.stroke();
  }
  ctx.strokeStyle = css(colour);
  ctx.lineWidth = lineWidth;
  traceArc(ctx, arc);
  ctx.stroke();
  ctx.lineCap = "butt";
  const [px, py] = arcPoint(arc, 0.9);
  const angle = Math.atan2(arc.y1 - py, arc.x1 - px), size = 4 + lineWidth;
  ctx.beginPath();
  ctx.moveTo(arc.x1, arc.y1);
  ctx.lineTo(arc.x1 - size * Math.cos(angle - 0.5), arc.y1 - size * Math.sin(angle - 0.5));
  ctx.lineTo(arc.x1 - size * Math.cos(angle + 0.5), arc.y1 - size * Math.sin(angle + 0.5));
  ctx.closePath();
  ctx.fillStyle = css(colour);
  ctx.fill();
  if (cased) {
    ctx.strokeStyle = CASING;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
}

// The arc's colour and width: in the gradient view by its signal on the edges' log scale, else grey.
function arcStyle(arc, gradientView, range) {
  if (!gradientView) return { colour: ARC_GREY, lineWidth: 3, cased: false };
  const t = logPosition(arc.signal, range);
  return { colour: viridis(t), lineWidth: 3 + 1.5 * t, cased: true };
}

// Which hidden columns get their badge: every one when the badges fit side by side, else those whose
// heading is written (headingPlan thins them), when those fit; else none (the legend still says it).
function badgePlan(ctx, payload, xs, headings) {
  const badges = payload.badges || [];
  const columns = badges.map((b, k) => k).filter((k) => badges[k]);
  if (!columns.length) return [];
  const font = `600 ${BADGE_SIZE}px ${FONT}`;
  const width = (k) => textWidth(ctx, font, badges[k]) + 2 * BADGE_PAD;
  const fits = (list) => list.every((k, i) => i === 0 || xs[k] - xs[list[i - 1]] >= (width(k) + width(list[i - 1])) / 2 + BADGE_GAP);
  if (fits(columns)) return columns;
  const thinned = columns.filter((k) => headings.shown.includes(k));
  return fits(thinned) ? thinned : [];
}

function logPosition(v, range) {
  if (!(v > 0)) return 0;
  return (Math.log10(v) - range[0]) / (range[1] - range[0]);
}

function ensureCanvas(host) {
  let view = host.__diagram;
  if (view) return view;
  host.innerHTML = "";
  host.style.position = "relative";
  const canvas = document.createElement("canvas");
  canvas.className = "bp-diagram-canvas";
  canvas.style.width = "100%";
  canvas.style.height = "100%";
  canvas.setAttribute("role", "img");
  const tip = document.createElement("div");
  tip.className = "bp-diagram-tip";
  tip.style.display = "none";
  host.append(canvas, tip);
  view = host.__diagram = { canvas, tip, thumbCanvas: document.createElement("canvas"), hover: null, editor: null };
  // The host's width, kept by a ResizeObserver: reading clientWidth in every frame, after the frame's style
  // edits, forced a layout of the page per frame (a second one, before the browser's own).
  view.width = host.clientWidth;
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver((entries) => (view.width = entries[entries.length - 1].contentRect.width)).observe(host);
  }
  canvas.addEventListener("mousemove", (event) => onHover(host, event));
  canvas.addEventListener("mouseleave", () => {
    view.hover = null;
    tip.style.display = "none";
  });
  canvas.addEventListener("click", (event) => onClick(host, event));
  return view;
}

export function drawNetwork(host, payload) {
  const view = ensureCanvas(host);
  const { canvas } = view;
  const width = view.width || host.clientWidth || 800;
  const height = payload.height || host.clientHeight || 400;
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);

  const weights = decode(payload.weights, Float32Array);
  const grads = decode(payload.grads, Float32Array);
  const biases = decode(payload.biases, Float32Array);
  const errors = decode(payload.errors, Float32Array);
  const gammas = decode(payload.gammas, Float32Array);
  const betas = decode(payload.betas, Float32Array);
  const thumbs = decode(payload.thumbs, Uint8Array);
  const gradientView = payload.colouring === "gradients";
  const walk = payload.walkthrough || null;
  // The legend takes the lines it needs at this width; with short headings it also says what they omit.
  const legendWidth = width - 24;
  // In compare mode the legend's room is what it would take with every run's marks (payload.reserve.marks),
  // so that the two diagrams' rows line up; this run's legend is drawn at the top of that room.
  const reservedMarks = (payload.reserve && payload.reserve.marks) || null;
  const legendRoom = (own, headings) =>
    reservedMarks
      ? Math.max(own.height, legendLayout(ctx, legendBlocks({ ...payload, marks_legend: reservedMarks }, walk, gradientView, headings), legendWidth).height)
      : own.height;
  let legend = legendLayout(ctx, legendBlocks(payload, walk, gradientView, null), legendWidth);
  let room = legendRoom(legend, null);
  let geometry = layout(ctx, payload, width, height, room);
  let headings = headingPlan(ctx, payload, geometry.units.map((column) => column[0].x), width);
  if (headings.short && payload.layer_summary) {
    legend = legendLayout(ctx, legendBlocks(payload, walk, gradientView, headings), legendWidth);
    room = legendRoom(legend, headings);
    geometry = layout(ctx, payload, width, height, room);
    headings = headingPlan(ctx, payload, geometry.units.map((column) => column[0].x), width);
  }
  const boxes = []; // every text written, with its box (data-text-boxes)
  const edges = edgeList(payload, weights, grads, geometry);
  // The walkthrough's numbers on edges, per weight layer: {values, scale}.
  const walkEdges = {};
  for (const [layer, entry] of Object.entries((walk && walk.edges) || {})) {
    walkEdges[layer] = { values: decode(entry.values, Float32Array), scale: entry.scale || 1 };
  }

  // Units of layers 1..L in the order of biases/errors.
  const unitStart = [0];
  for (let k = 1; k < payload.sizes.length; k++) unitStart.push(unitStart[k - 1] + (k > 1 ? payload.shown[k - 1] : 0));
  const unitIndex = (k, i) => unitStart[k] + i;

  // One fixed scale for lines and units, the same in every run (not rescaled to this frame's values).
  const edgeRange = payload.gradient_range || DEFAULT_GRADIENT_RANGE;
  const unitRange = edgeRange;
  view.state = { payload, geometry, edges, biases, errors, gammas, betas, edgeRange, unitRange, unitIndex, walkEdges, arcs: [] };

  // The walkthrough's highlighted column.
  if (walk && walk.highlight != null && geometry.units[walk.highlight]) {
    const column = geometry.units[walk.highlight];
    ctx.fillStyle = "rgba(230, 159, 0, 0.16)";
    const x = column[0].x - geometry.node;
    ctx.fillRect(x, geometry.top - 8, geometry.node * 2, height - geometry.top - geometry.bottom + 16);
  }

  // Edges, batched: one path per (colour, width) bucket, drawn weakest first so the strong lie on top.
  // A 12 x 64 network draws 2,500 edges; one stroke each cost most of a frame.
  const WIDTH_STEPS = 4; // line widths are rounded to a quarter pixel
  const buckets = new Map();
  for (const e of edges) {
    let colour, lineWidth, alpha, rank;
    const walked = walkEdges[String(e.layer)];
    if (walked) {
      const v = walked.values[e.row * payload.shown[e.layer + 1] + e.col];
      colour = v >= 0 ? BLUE : VERMILLION;
      lineWidth = Math.min(7, 0.8 + 2.5 * Math.sqrt(Math.abs(v) / walked.scale));
      alpha = 0.9;
      rank = 100 + lineWidth;
    } else if (gradientView) {
      const t = Math.round(logPosition(Math.abs(e.g), edgeRange) * 40) / 40; // 41 colours
      colour = viridis(t);
      lineWidth = 1 + 2.5 * t;
      alpha = 0.9;
      rank = t;
    } else {
      colour = e.w >= 0 ? BLUE : VERMILLION;
      lineWidth = Math.min(7, 0.5 + 2.2 * Math.abs(e.w));
      alpha = walk ? 0.25 : 0.75;
      rank = lineWidth;
    }
    lineWidth = Math.max(0.5, Math.round(lineWidth * WIDTH_STEPS) / WIDTH_STEPS);
    const style = css(colour, alpha);
    const key = style + "|" + lineWidth;
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = { style, lineWidth, rank, edges: [] }));
    bucket.edges.push(e);
  }
  for (const bucket of [...buckets.values()].sort((a, b) => a.rank - b.rank)) {
    ctx.strokeStyle = bucket.style;
    ctx.lineWidth = bucket.lineWidth;
    ctx.beginPath();
    for (const e of bucket.edges) {
      ctx.moveTo(e.x1, e.y1);
      ctx.lineTo(e.x2, e.y2);
    }
    ctx.stroke();
  }
  if (view.hover && view.hover.edge) {
    const e = view.hover.edge;
    ctx.strokeStyle = "rgba(17,17,17,0.9)";
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(e.x1, e.y1);
    ctx.lineTo(e.x2, e.y2);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // Skip arcs, in the band above the units (they cross no edge).
  const arcs = arcList(payload, geometry);
  view.state.arcs = arcs;
  for (const arc of arcs) {
    const style = arcStyle(arc, gradientView, edgeRange);
    const hovered = view.hover && view.hover.arc && view.hover.arc.h === arc.h;
    drawArc(ctx, arc, hovered ? [17, 17, 17] : style.colour, style.lineWidth + (hovered ? 1 : 0), style.cased && !hovered);
  }

  // Units.
  const dashed = payload.dropout > 0; // dropout: the hidden units' outlines are dashed
  const side = payload.thumb_side;
  const thumbCanvas = view.thumbCanvas;
  let thumbOffset = 0;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let k = 0; k < payload.sizes.length; k++) {
    const column = geometry.units[k];
    const pictureSide = payload.thumb_sides[k];
    for (let i = 0; i < column.length; i++) {
      const unit = column[i];
      const x = unit.x - geometry.node / 2, y = unit.y - geometry.node / 2;
      if (unit.aggregate) {
        const hiddenCount = payload.sizes[k] - payload.shown[k];
        ctx.fillStyle = gradientView && k > 0 ? css(viridis(logPosition(payload.hidden_error[k], unitRange))) : "#E5E7EB";
        ctx.fillRect(x, y, geometry.node, geometry.node);
        const dashedUnit = dashed && k > 0 && k < payload.sizes.length - 1;
        ctx.strokeStyle = dashedUnit ? "#111827" : "#6B7280";
        ctx.lineWidth = dashedUnit ? 2 : 1;
        if (dashedUnit) ctx.setLineDash([4, 3]);
        ctx.strokeRect(x + 0.5, y + 0.5, geometry.node - 1, geometry.node - 1);
        ctx.setLineDash([]);
        ctx.fillStyle = gradientView && k > 0 ? "#FFFFFF" : "#111827";
        const countSize = Math.max(12, Math.min(14, geometry.node * 0.36));
        ctx.font = `600 ${countSize}px ${FONT}`;
        writeText(ctx, boxes, `+${hiddenCount}`, unit.x, unit.y, "unit", countSize);
        continue;
      }
      if (gradientView && k > 0) {
        const v = errors[unitIndex(k, i)];
        ctx.fillStyle = css(viridis(logPosition(v, unitRange)));
        ctx.fillRect(x, y, geometry.node, geometry.node);
      } else if (pictureSide) {
        const cells = pictureSide * pictureSide;
        thumbCanvas.width = thumbCanvas.height = pictureSide;
        const tctx = thumbCanvas.getContext("2d");
        const image = tctx.createImageData(pictureSide, pictureSide);
        for (let r = 0; r < pictureSide; r++) {
          // Thumbnails of the input square run bottom row first (x₂ up); images top row first.
          const sourceRow = payload.thumb_flip[k] ? pictureSide - 1 - r : r;
          for (let c = 0; c < pictureSide; c++) {
            const v = thumbs[thumbOffset + sourceRow * pictureSide + c] / 127.5 - 1;
            const rgb = diverging(v);
            const p = (r * pictureSide + c) * 4;
            image.data[p] = rgb[0];
            image.data[p + 1] = rgb[1];
            image.data[p + 2] = rgb[2];
            image.data[p + 3] = 255;
          }
        }
        thumbOffset += cells;
        tctx.putImageData(image, 0, 0);
        ctx.imageSmoothingEnabled = payload.thumb_flip[k]; // smooth fields; crisp weight images
        ctx.drawImage(thumbCanvas, x, y, geometry.node, geometry.node);
      } else {
        ctx.fillStyle = "#E5E7EB";
        ctx.fillRect(x, y, geometry.node, geometry.node);
        if (k === 0 && geometry.imageLabel) {
          ctx.fillStyle = "#111827";
          if (geometry.imageLabelOutside) {
            // "28×28" is wider than a small node: beside it, where the input names go
            ctx.font = `${geometry.labelSize}px ${FONT}`;
            ctx.textAlign = "right";
            writeText(ctx, boxes, geometry.imageLabel, x - 5, unit.y, "unit", geometry.labelSize);
            ctx.textAlign = "center";
          } else {
            ctx.font = IMAGE_LABEL_FONT;
            ctx.fillText(geometry.imageLabel, unit.x, unit.y);
          }
        }
      }
      const hovered = view.hover && view.hover.unit && view.hover.unit.k === k && view.hover.unit.i === i;
      const dashedUnit = dashed && k > 0 && k < payload.sizes.length - 1 && !hovered;
      ctx.strokeStyle = hovered || dashedUnit ? "#111111" : "#4B5563";
      ctx.lineWidth = hovered ? 2.5 : dashedUnit ? 2 : 1;
      if (dashedUnit) ctx.setLineDash([4, 3]);
      ctx.strokeRect(x + 0.5, y + 0.5, geometry.node - 1, geometry.node - 1);
      ctx.setLineDash([]);
    }
  }

  // Labels beside the units: the walkthrough's numbers, else the unit names (when they fit).
  const labelSize = geometry.labelSize;
  ctx.font = `${labelSize}px ${FONT}`;
  ctx.textBaseline = "middle";
  for (let k = 0; k < payload.sizes.length; k++) {
    const column = geometry.units[k];
    const values = walk && walk.unit_values ? walk.unit_values[String(k)] : null;
    for (let i = 0; i < payload.shown[k]; i++) {
      const unit = column[i];
      let text = values ? (values[i] == null ? "" : formatNumber(values[i])) : k === 0 || k === payload.sizes.length - 1 ? payload.labels[k][i] : "";
      if (!text) continue;
      const onLeft = k === 0;
      ctx.textAlign = onLeft ? "right" : "left";
      ctx.fillStyle = values ? "#7C2D12" : "#1F2933";
      ctx.font = `${values ? "600 " : ""}${labelSize}px ${values ? "ui-monospace, Menlo, monospace" : FONT}`;
      writeText(ctx, boxes, text, unit.x + (onLeft ? -1 : 1) * (geometry.node / 2 + 5), unit.y, values ? "value" : "unit", labelSize);
    }
  }

  // Column headings (full, short or thinned: see headingPlan).
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  for (const k of headings.shown) {
    const x = geometry.units[k][0].x;
    const [first, second] = headings.titles[k];
    ctx.font = `600 ${HEADING_SIZE}px ${FONT}`;
    ctx.fillStyle = "#1F2933";
    writeText(ctx, boxes, first, x, 16, "heading", HEADING_SIZE);
    ctx.font = `${SUBHEADING_SIZE}px ${FONT}`;
    ctx.fillStyle = "#3E4C59";
    writeText(ctx, boxes, second, x, 33, "subheading", SUBHEADING_SIZE);
  }
  // The normalisation's badges, under the headings (see badgePlan).
  const badgeColumns = badgePlan(ctx, payload, geometry.units.map((column) => column[0].x), headings);
  for (const k of badgeColumns) drawBadge(ctx, boxes, payload.badges[k], geometry.units[k][0].x, geometry.badgeTop, "center");
  drawLegend(ctx, boxes, legend, 12, height - room - 8);
  host.dataset.textBoxes = JSON.stringify(boxes);
  host.dataset.arcs = JSON.stringify(arcs.map((arc) => arcBox(arc)));
  host.dataset.badges = String(badgeColumns.length);
  host.dataset.unitTops = JSON.stringify(geometry.units.map((column) => Math.round((column[0].y - geometry.node / 2) * 10) / 10));
  host.dataset.columnXs = JSON.stringify(geometry.units.map((column) => Math.round(column[0].x * 10) / 10));
  host.dataset.node = String(Math.round(geometry.node * 10) / 10);
  host.dataset.headings = headings.short ? "short" : "full";
  host.dataset.gradientRange = edgeRange.join(",");
  host.dataset.edges = String(edges.length);
  host.dataset.colouring = payload.colouring;
  if (view.hover) showTip(host, view.hover); // keep the tooltip's numbers current while playing
}

// A badge: the text in a pill, `x` its centre (align "center") or left edge (align "left"), `top` its top.
function drawBadge(ctx, boxes, text, x, top, align) {
  const font = `600 ${BADGE_SIZE}px ${FONT}`;
  const w = textWidth(ctx, font, text) + 2 * BADGE_PAD, h = BADGE_SIZE + 5;
  const left = align === "center" ? x - w / 2 : x;
  ctx.fillStyle = "#E0E7FF";
  ctx.strokeStyle = "#3730A3";
  ctx.lineWidth = 1;
  ctx.beginPath();
  if (ctx.roundRect) ctx.roundRect(left + 0.5, top + 0.5, w - 1, h - 1, 4);
  else ctx.rect(left + 0.5, top + 0.5, w - 1, h - 1);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = "#1E1B4B";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  writeText(ctx, boxes, text, left + w / 2, top + h / 2 + 0.5, "badge", BADGE_SIZE);
  return w;
}

// An arc's bounding box (canvas pixels), for the browser tests: {h, x, y, w, h}.
function arcBox(arc) {
  const points = Array.from({ length: 21 }, (_, i) => arcPoint(arc, i / 20));
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const r = (v) => Math.round(v * 10) / 10;
  const x = Math.min(...xs), y = Math.min(...ys);
  return { layer: arc.h, x: r(x), y: r(y), w: r(Math.max(...xs) - x), h: r(Math.max(...ys) - y) };
}

// What the legend says, as blocks: runs of items ({text, swatch (a line's colour), bold, colour}) that
// flow onto lines, and the gradient colouring's colour bar ({bar: [low, high] log10}).
function legendBlocks(payload, walk, gradientView, headings) {
  const blocks = [];
  if (walk) {
    const brown = "#7C2D12";
    const items = [{ text: `Backprop step by step: ${walk.title}`, bold: true, colour: brown }];
    if (walk.unit_values && Object.keys(walk.unit_values).length) items.push({ text: `numbers: ${walk.unit_label}`, colour: brown });
    if (walk.edges && Object.keys(walk.edges).length) items.push({ text: `bold lines: ${walk.edge_label} (blue +, vermillion −)`, colour: brown });
    blocks.push({ items });
  } else if (gradientView) {
    blocks.push({
      items: [
        { text: "Colour, log scale, the same for every run:", bold: true },
        { text: "lines: |∂L/∂w| of the weight" },
        { text: "units: the error signal mean |n·δ|" },
      ],
    });
    blocks.push({ bar: payload.gradient_range || DEFAULT_GRADIENT_RANGE });
  } else {
    const items = [{ swatch: BLUE, text: "positive weight" }, { swatch: VERMILLION, text: "negative weight" }];
    for (const part of (payload.legend_note || "").split(" · ")) if (part) items.push({ text: part, colour: "#3E4C59" });
    blocks.push({ items });
  }
  const marks = payload.marks_legend || [];
  if (marks.length) blocks.push({ items: marks.map((m) => ({ mark: m.mark, badge: m.badge, text: m.text, gradient: gradientView })) });
  if (headings && headings.short && payload.layer_summary) blocks.push({ items: [{ text: payload.layer_summary, colour: "#3E4C59" }] });
  return blocks;
}

const ITEM_GAP = 18, SWATCH = 32, BAR_HEIGHT = 12, BAR_BLOCK = 36;

// Place the legend's blocks in `width` pixels: items go on while they fit, then onto a new line; an item
// longer than a line breaks between words. Returns {height, parts: [{x, y, text, swatch, font, colour}], bars}.
function legendLayout(ctx, blocks, width) {
  const parts = [], bars = [];
  let y = 0;
  for (const block of blocks) {
    if (block.bar) {
      bars.push({ y, range: block.bar, width });
      y += BAR_BLOCK;
      continue;
    }
    let x = 0, line = 0;
    for (const item of block.items) {
      const font = `${item.bold ? "600 " : ""}${LEGEND_SIZE}px ${FONT}`;
      const markWidth = item.mark === "badge" ? textWidth(ctx, `600 ${BADGE_SIZE}px ${FONT}`, item.badge) + 2 * BADGE_PAD + 6 : SWATCH;
      const swatch = item.swatch || item.mark ? markWidth : 0;
      const whole = swatch + textWidth(ctx, font, item.text);
      if (x > 0 && x + ITEM_GAP + whole > width) {
        line += 1;
        x = 0;
      } else if (x > 0) x += ITEM_GAP;
      const at = (dx, text) => ({ x: dx, y: y + line * LEGEND_LINE + LEGEND_LINE / 2, text, font, colour: item.colour });
      if (swatch) parts.push({ ...at(x, ""), swatch: item.swatch, mark: item.mark, badge: item.badge, gradient: item.gradient });
      if (x + whole <= width) {
        parts.push(at(x + swatch, item.text));
        x += whole;
        continue;
      }
      let start = x + swatch, current = "";
      for (const word of item.text.split(" ")) {
        const candidate = current ? current + " " + word : word;
        if (current && start + textWidth(ctx, font, candidate) > width) {
          parts.push(at(start, current));
          line += 1;
          start = 0;
          current = word;
        } else current = candidate;
      }
      parts.push(at(start, current));
      x = start + textWidth(ctx, font, current);
    }
    y += (line + 1) * LEGEND_LINE;
  }
  return { height: y, parts, bars };
}

function drawLegend(ctx, boxes, legend, left, top) {
  ctx.textBaseline = "middle";
  for (const part of legend.parts) {
    const y = top + part.y;
    if (part.mark) {
      drawMark(ctx, boxes, part, left + part.x, y);
      continue;
    }
    if (part.swatch) {
      ctx.strokeStyle = css(part.swatch);
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(left + part.x, y);
      ctx.lineTo(left + part.x + SWATCH - 6, y);
      ctx.stroke();
      continue;
    }
    ctx.textAlign = "left";
    ctx.font = part.font;
    ctx.fillStyle = part.colour || "#1F2933";
    writeText(ctx, boxes, part.text, left + part.x, y, "legend", LEGEND_SIZE);
  }
  for (const bar of legend.bars) drawColourBar(ctx, boxes, bar, left, top + bar.y);
}

// A legend's mark, from x (its left) on the line's middle y: a small skip arc, a badge, a dashed unit.
function drawMark(ctx, boxes, part, x, y) {
  if (part.mark === "arc") {
    const arc = { h: -1, x0: x + 2, y0: y + 6, x1: x + SWATCH - 8, y1: y + 6, c1: [x + 4, y - 8], c2: [x + SWATCH - 10, y - 8] };
    const colour = part.gradient ? viridis(0.75) : ARC_GREY;
    drawArc(ctx, arc, colour, 3, part.gradient);
  } else if (part.mark === "badge") {
    drawBadge(ctx, boxes, part.badge, x, y - (BADGE_SIZE + 5) / 2, "left");
  } else if (part.mark === "dashed") {
    ctx.strokeStyle = "#111111";
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(x + 6.5, y - 7.5, 15, 15);
    ctx.setLineDash([]);
  }
}

// The gradient colouring's bar: the fixed range, its ends marked "≤" and "≥" (values beyond are clamped).
function drawColourBar(ctx, boxes, bar, left, top) {
  const [low, high] = bar.range;
  const font = `${LEGEND_SIZE}px ${FONT}`;
  const label = (d) => (d === low ? "≤" : d === high ? "≥" : "") + powerOfTen(d);
  const half = (d) => textWidth(ctx, font, label(d)) / 2;
  const x0 = left + half(low);
  const barWidth = Math.max(60, Math.min(320, bar.width - half(low) - half(high)));
  for (let i = 0; i < barWidth; i++) {
    ctx.fillStyle = css(viridis(i / (barWidth - 1)));
    ctx.fillRect(x0 + i, top + 2, 1, BAR_HEIGHT);
  }
  ctx.font = font;
  ctx.fillStyle = "#1F2933";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const every = barWidth >= 220 ? 2 : 4; // decades between labels: a label at least every ~55 px
  for (let d = low; d <= high; d += every) {
    const tx = x0 + ((d - low) / (high - low)) * (barWidth - 1);
    writeText(ctx, boxes, label(d), tx, top + BAR_HEIGHT + 13, "colour bar", LEGEND_SIZE);
  }
  if ((high - low) % every !== 0) writeText(ctx, boxes, label(high), x0 + barWidth - 1, top + BAR_HEIGHT + 13, "colour bar", LEGEND_SIZE);
}

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
function powerOfTen(exponent) {
  return exponent === 0 ? "1" : "10" + String(exponent).split("").map((c) => SUPERSCRIPT[c]).join("");
}

function distanceToSegment(px, py, e) {
  const dx = e.x2 - e.x1, dy = e.y2 - e.y1;
  const t = Math.max(0, Math.min(1, ((px - e.x1) * dx + (py - e.y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (e.x1 + t * dx), py - (e.y1 + t * dy));
}

function hitTest(host, event) {
  const view = host.__diagram;
  if (!view || !view.state) return null;
  const rect = view.canvas.getBoundingClientRect();
  const px = event.clientX - rect.left, py = event.clientY - rect.top;
  const { geometry, edges } = view.state;
  for (let k = 0; k < geometry.units.length; k++) {
    for (let i = 0; i < geometry.units[k].length; i++) {
      const u = geometry.units[k][i];
      if (Math.abs(px - u.x) <= geometry.node / 2 && Math.abs(py - u.y) <= geometry.node / 2) {
        return { unit: { k, i, aggregate: u.aggregate }, px, py };
      }
    }
  }
  for (const arc of view.state.arcs || []) {
    for (let i = 0; i <= 24; i++) {
      const [x, y] = arcPoint(arc, i / 24);
      if (Math.hypot(px - x, py - y) <= 5) return { arc, px, py };
    }
  }
  let best = null, bestDistance = 5;
  for (const e of edges) {
    const d = distanceToSegment(px, py, e);
    if (d < bestDistance) {
      best = e;
      bestDistance = d;
    }
  }
  return best ? { edge: best, px, py } : null;
}

function unitName(payload, k, i) {
  return payload.labels[k][i];
}

function describe(host, hit) {
  const { payload, biases, errors, gammas, betas, unitIndex, walkEdges } = host.__diagram.state;
  if (hit.arc) {
    const h = hit.arc.h;
    const title = (k) => (payload.titles[k] ? payload.titles[k][0] : `column ${k}`);
    const live = (host.__diagram.state.arcs || []).find((a) => a.h === h) || hit.arc;
    return [
      `<b>skip connection around ${title(h + 1)}</b>`,
      `${title(h + 1)}'s output = its input (${title(h)}) + what the layer computes`,
      "so ∂L/∂y reaches the input undiminished, on top of the path through the layer",
      `error signal it passes down, mean |n·∂L/∂y| = ${formatNumber(live.signal)}`,
    ].join("<br>");
  }
  if (hit.edge) {
    const e = hit.edge;
    const live = host.__diagram.state.edges.find((x) => x.layer === e.layer && x.row === e.row && x.col === e.col) || e;
    const lines = [
      `<b>weight ${unitName(payload, e.layer, e.row)} → ${unitName(payload, e.layer + 1, e.col)}</b>`,
      `w = ${formatNumber(live.w)}`,
      `∂L/∂w = ${formatNumber(live.g)}`,
    ];
    const walk = payload.walkthrough;
    const walked = walkEdges && walkEdges[String(e.layer)];
    if (walked) {
      lines.push(`${walk.edge_label} = ${formatNumber(walked.values[e.row * payload.shown[e.layer + 1] + e.col])}`);
    }
    if (payload.editable) lines.push("<i>click to set this weight</i>");
    return lines.join("<br>");
  }
  const { k, i, aggregate } = hit.unit;
  if (aggregate) {
    const count = payload.sizes[k] - payload.shown[k];
    const lines = [`<b>${count} more units of this layer</b>`, "not drawn: the column shows the first " + payload.shown[k]];
    if (k > 0) lines.push(`their error signal (RMS of mean |n·δ|) = ${formatNumber(payload.hidden_error[k])}`);
    return lines.join("<br>");
  }
  const title = payload.titles && payload.titles[k] ? ` (${payload.titles[k].join(", ")})` : "";
  const lines = [`<b>${unitName(payload, k, i)}</b>${title}`];
  if (k > 0) {
    lines.push(`bias b = ${formatNumber(biases[unitIndex(k, i)])}`);
    const gamma = gammas[unitIndex(k, i)], beta = betas[unitIndex(k, i)];
    const norm = payload.normalization === "batch" ? "batch norm" : "layer norm";
    if (Number.isFinite(gamma)) lines.push(`${norm}: γ = ${formatNumber(gamma)}, β = ${formatNumber(beta)}`);
    if (payload.dropout > 0 && k < payload.sizes.length - 1) lines.push(`dropout: zeroed with probability ${Math.round(payload.dropout * 100)}% in training (not here)`);
    lines.push(`error signal mean |n·δ| = ${formatNumber(errors[unitIndex(k, i)])}`);
    if (payload.thumb_scales && payload.thumb_scales[k]) lines.push(`picture: full colour = ±${formatNumber(payload.thumb_scales[k][i])}`);
    if (payload.editable) lines.push("<i>click to set this bias</i>");
  }
  const walk = payload.walkthrough;
  if (walk && walk.unit_values && walk.unit_values[String(k)]) {
    lines.push(`${walk.unit_label} = ${formatNumber(walk.unit_values[String(k)][i])}`);
  }
  return lines.join("<br>");
}

function showTip(host, hit) {
  const view = host.__diagram;
  view.tip.innerHTML = describe(host, hit);
  view.tip.style.display = "block";
  const hostWidth = host.clientWidth;
  const left = hit.px + 14 + 240 > hostWidth ? hit.px - 254 : hit.px + 14;
  view.tip.style.left = `${Math.max(0, left)}px`;
  view.tip.style.top = `${Math.max(0, hit.py + 12)}px`;
}

function onHover(host, event) {
  const view = host.__diagram;
  const hit = hitTest(host, event);
  const before = view.hover;
  view.hover = hit;
  host.style.cursor = hit && !hit.arc && host.__diagram.state.payload.editable && !(hit.unit && (hit.unit.aggregate || hit.unit.k === 0)) ? "pointer" : "default";
  if (!hit) {
    view.tip.style.display = "none";
  } else {
    showTip(host, hit);
  }
  const changed =
    (before && before.edge) !== (hit && hit.edge) ||
    (before && before.arc && before.arc.h) !== (hit && hit.arc && hit.arc.h) ||
    JSON.stringify(before && before.unit) !== JSON.stringify(hit && hit.unit);
  if (changed && view.state) drawNetwork(host, view.state.payload);
}

function onClick(host, event) {
  const view = host.__diagram;
  const hit = hitTest(host, event);
  if (!hit || !view.state.payload.editable) return;
  let target;
  if (hit.edge) {
    target = { kind: "weight", layer: hit.edge.layer, row: hit.edge.row, col: hit.edge.col, value: hit.edge.w };
  } else if (hit.unit && hit.unit.k > 0 && !hit.unit.aggregate) {
    const { biases, unitIndex } = view.state;
    target = { kind: "bias", layer: hit.unit.k - 1, row: -1, col: hit.unit.i, value: biases[unitIndex(hit.unit.k, hit.unit.i)] };
  } else {
    return;
  }
  openEditor(host, target, hit.px, hit.py);
}

function openEditor(host, target, px, py) {
  const view = host.__diagram;
  if (view.editor) view.editor.remove();
  const form = document.createElement("form");
  form.className = "bp-diagram-editor";
  form.style.left = `${Math.max(0, Math.min(px, host.clientWidth - 230))}px`;
  form.style.top = `${Math.max(0, py - 18)}px`;
  const label = document.createElement("label");
  const { payload } = view.state;
  const what =
    target.kind === "weight"
      ? `w ${unitName(payload, target.layer, target.row)} → ${unitName(payload, target.layer + 1, target.col)}`
      : `bias of ${unitName(payload, target.layer + 1, target.col)}`;
  label.textContent = what + " =";
  const input = document.createElement("input");
  input.type = "text";
  input.inputMode = "decimal";
  input.value = formatNumber(target.value);
  input.setAttribute("aria-label", what);
  const message = document.createElement("div");
  message.className = "bp-diagram-editor-message";
  form.append(label, input, message);
  host.appendChild(form);
  view.editor = form;
  input.focus();
  input.select();
  const close = () => {
    form.remove();
    if (view.editor === form) view.editor = null;
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = Number(input.value.trim().replace(",", "."));
    if (!input.value.trim() || !Number.isFinite(value)) {
      message.textContent = "Type a number, e.g. 0.5 or -1.2";
      return;
    }
    const send = host.__setTriggerValue;
    if (send) send("edit_weight", JSON.stringify({ ...target, value, nonce: `${Date.now()}-${Math.random()}` }));
    close();
  });
}
