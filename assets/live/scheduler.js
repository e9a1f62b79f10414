// One scheduler for every live chart on the page. Charts with new data are drawn in
// priority order (the decision boundary first) within a time slice, yielding to the
// browser between draws, so clicks and Streamlit's rerun timer are never held up.
// A chart left out of a slice keeps its merged payload and is drawn in the next one:
// on a slow machine the secondary charts redraw less often instead of everything lagging.

import { applyPayload, mergePayloads } from "./payload.js";
import { loadPlotly } from "./plotly_adapter.js";
import { acknowledgeFrames } from "./stream.js";

const SLICE_MS = 45;
export const scheduler =
  window.__backpropScheduler || (window.__backpropScheduler = { waiting: new Set(), running: false });

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

export function enqueue(host, payload) {
  host.__pending.push(payload);
  host.__priority = payload.priority ?? host.__priority ?? 5;
  if (!scheduler.waiting.has(host)) host.__waitingSince = performance.now();
  scheduler.waiting.add(host);
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

export async function runScheduler() {
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
