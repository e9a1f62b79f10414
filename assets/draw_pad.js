// The drawing pad (playground/ui/draw_pad.py): a square canvas drawn on with the mouse, a finger or a pen,
// and a Clear button. Dark ink on white, as on paper; round caps and joins, as a pen.
//
// What Python gets, as the component's state value "ink": {side, pixels, seq}, the canvas averaged down to
// side x side pixels (one byte of ink per pixel, row by row, base64), sent at most every SEND_MS while the pen
// moves and at once when a stroke ends; null after Clear. seq counts the drawings sent, so a drawing restored
// after a remount is a new value.
//
// Streamlit calls the default export again on every script run that touches the element (same parentElement):
// the canvas is built once and kept, so the drawing survives reruns. Should Streamlit mount the element afresh
// (the section was hidden and shown again), the last drawing comes back from a per-page cache and is re-sent.
const SEND_MS = 150;
const pads = (window.__backpropPads = window.__backpropPads || new Map()); // key -> {pixels, side, seq}

function build(parentElement, data, setStateValue) {
  const size = data.size; // CSS pixels of the square (the coordinate space of the strokes)
  const scale = Math.max(1, Math.ceil(window.devicePixelRatio || 1)); // an integer, so averaging down is exact
  const root = document.createElement("div");
  root.className = "bp-pad";
  root.dataset.pad = data.name;
  const frame = document.createElement("div");
  frame.className = "bp-pad-frame";
  frame.style.width = size + "px";
  const canvas = document.createElement("canvas");
  canvas.className = "bp-pad-canvas";
  canvas.width = canvas.height = size * scale;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", data.label);
  const hint = document.createElement("div");
  hint.className = "bp-pad-hint";
  hint.textContent = data.hint;
  hint.setAttribute("aria-hidden", "true");
  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = "bp-pad-clear";
  clear.textContent = "Clear";
  frame.append(canvas, hint);
  root.append(frame, clear);
  parentElement.appendChild(root);

  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.setTransform(scale, 0, 0, scale, 0, 0);
  context.lineCap = context.lineJoin = "round";
  context.lineWidth = data.pen;
  context.strokeStyle = context.fillStyle = "#111";

  const pad = { canvas, context, root, hint, seq: 0, timer: null, lastSent: 0, last: null, pointer: null };
  pad.setStateValue = setStateValue;
  const point = (event) => {
    const box = canvas.getBoundingClientRect(); // the canvas may be shown smaller than size (a narrow column)
    return [((event.clientX - box.left) * size) / box.width, ((event.clientY - box.top) * size) / box.height];
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (pad.pointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId); // the stroke goes on if the pen leaves the canvas
    pad.pointer = event.pointerId;
    pad.last = point(event);
    context.beginPath();
    context.arc(pad.last[0], pad.last[1], data.pen / 2, 0, 2 * Math.PI); // a tap is a dot
    context.fill();
    inked(pad);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== pad.pointer) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    context.beginPath();
    context.moveTo(pad.last[0], pad.last[1]);
    for (const each of events.length ? events : [event]) {
      pad.last = point(each);
      context.lineTo(pad.last[0], pad.last[1]);
    }
    context.stroke();
    inked(pad);
  });
  const end = (event) => {
    if (event.pointerId !== pad.pointer) return;
    pad.pointer = null;
    send(pad, data); // a stroke's end: at once
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end); // whatever took the pointer away, the next stroke can start
  clear.addEventListener("click", () => {
    context.clearRect(0, 0, size, size);
    clearTimeout(pad.timer);
    pad.timer = null;
    pad.inked = false;
    hint.hidden = false;
    pads.delete(data.name);
    pad.setStateValue("ink", null);
  });
  pad.send = () => send(pad, data);
  return pad;
}

// Ink was put down: hide the hint and send now or after SEND_MS (at most one send per SEND_MS while drawing).
function inked(pad) {
  pad.inked = true;
  pad.hint.hidden = true;
  if (pad.timer === null) pad.timer = setTimeout(pad.send, Math.max(0, pad.lastSent + SEND_MS - performance.now()));
}

// The canvas averaged down to data.side x data.side bytes (ink = alpha), base64, to Python.
function send(pad, data) {
  clearTimeout(pad.timer);
  pad.timer = null;
  if (!pad.inked) return;
  const { canvas } = pad;
  const full = pad.context.getImageData(0, 0, canvas.width, canvas.height).data;
  const side = data.side;
  const block = canvas.width / side; // an integer: size is a multiple of side and the scale is whole
  const sums = new Float64Array(side * side);
  for (let y = 0; y < canvas.height; y++) {
    const row = Math.floor(y / block) * side;
    for (let x = 0; x < canvas.width; x++) sums[row + Math.floor(x / block)] += full[4 * (y * canvas.width + x) + 3];
  }
  let text = "";
  for (let i = 0; i < sums.length; i++) text += String.fromCharCode(Math.round(sums[i] / (block * block)));
  pad.seq += 1;
  pad.lastSent = performance.now();
  const value = { side, pixels: btoa(text), seq: pad.seq };
  pads.set(data.name, value);
  pad.setStateValue("ink", value);
}

// Paint a cached drawing (side x side bytes) back onto a fresh canvas, scaled up.
function restore(pad, value) {
  const bytes = atob(value.pixels);
  const image = new ImageData(value.side, value.side);
  for (let i = 0; i < bytes.length; i++) {
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = 17;
    image.data[4 * i + 3] = bytes.charCodeAt(i);
  }
  const small = document.createElement("canvas");
  small.width = small.height = value.side;
  small.getContext("2d").putImageData(image, 0, 0);
  const size = pad.canvas.width / pad.context.getTransform().a;
  pad.context.drawImage(small, 0, 0, size, size);
  pad.seq = value.seq;
  pad.inked = true;
  pad.hint.hidden = true;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data) return;
  let root = parentElement.querySelector(":scope > .bp-pad");
  if (root) {
    root.__pad.setStateValue = setStateValue; // the newest callback (Streamlit may hand a new one per run)
    return;
  }
  const pad = build(parentElement, data, setStateValue);
  pad.root.__pad = pad;
  const cached = pads.get(data.name);
  if (cached) {
    restore(pad, cached);
    pad.send();
  }
  return () => clearTimeout(pad.timer);
}
