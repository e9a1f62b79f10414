// One scheduler for every live chart on the page. Charts with new data are drawn in
// priority order (the decision boundary first) within a time slice, yielding to the
// browser between draws, so clicks and Streamlit's rerun timer are never held up.
// A chart left out of a slice keeps its merged payload and is drawn in the next one:
// on a slow machine the secondary charts redraw less often instead of everything lagging.

import { applyPayload, mergePayloads } from "./payload.js";
import { loadPlotly } from "./plotly_adapter.js";
import { acknowledgeFrames, hub } from "./stream.js";

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

// Charts off screen are not drawn until they come into view (or nearly: VISIBLE_MARGIN): on a slow laptop
// every chart drawn costs the page's main thread, and one nobody sees costs as much as one they do.
// Their payloads wait, merged into one (so memory stays flat however long they wait), and the stream's
// frames are acknowledged without them. When a chart comes into view it draws what waited, at once.
const VISIBLE_MARGIN = "150px";
const MERGE_WAITING_AFTER = 4; // payloads kept apart for an off-screen chart before they are merged
const visibility =
  window.__backpropVisibility ||
  (window.__backpropVisibility =
    typeof IntersectionObserver === "undefined"
      ? null
      : new IntersectionObserver(
          (entries) => {
            let due = false;
            for (const entry of entries) {
              entry.target.__offScreen = !entry.isIntersecting;
              if (entry.isIntersecting && entry.target.__pending.length) {
                scheduler.waiting.add(entry.target);
                due = true;
              }
            }
            visibilityListener();
            if (due) runScheduler();
          },
          { rootMargin: VISIBLE_MARGIN },
        ));

let visibilityListener = () => {};

// listener() is called after charts came into view or left it (isOffScreen tells which).
export function onVisibilityChange(listener) {
  visibilityListener = listener;
}

export function watchVisibility(host) {
  if (visibility && !host.__watchedVisibility) {
    host.__watchedVisibility = true;
    visibility.observe(host);
  }
}

export function isOffScreen(host) {
  return host.__offScreen === true && document.visibilityState === "visible";
}

// Whether this host's drawing can wait until it is on screen: a whole figure never waits (a chart
// scrolled to is then already there, and a new figure is rare), its updates do.
function canWait(host) {
  return isOffScreen(host) && host.__chart.redraws > 0 && !host.__pending.some((payload) => payload.base);
}

export function enqueue(host, payload) {
  host.__pending.push(payload);
  host.__priority = payload.priority ?? host.__priority ?? 5;
  if (canWait(host)) {
    if (host.__pending.length > MERGE_WAITING_AFTER) {
      const fresh = freshPayloads(host, host.__pending);
      host.__pending = fresh.length ? [mergePayloads(fresh)] : [];
    }
    return;
  }
  if (!scheduler.waiting.has(host)) host.__waitingSince = performance.now();
  scheduler.waiting.add(host);
}

// Payloads not applied yet (Streamlit may call us again with the same data), oldest first. A frame and a
// script run's payload for the same element come on two sockets and may arrive out of order (a frame built
// just before a Pause, and the Pause's script run): the newer one is drawn last, an older one not at all.
// The last whole figure to arrive starts afresh (a new server session numbers its payloads from 1 again):
// only the updates after it that are newer than it count.
export function freshPayloads(host, batch) {
  const lastBase = batch.findLastIndex((p) => p.base);
  const base = lastBase >= 0 ? batch[lastBase] : null;
  const after = base ? base.seq : host.__chart.seq;
  const updates = batch
    .slice(lastBase + 1)
    .filter((p) => after === null || p.seq > after)
    .sort((a, b) => a.seq - b.seq);
  return base ? [base, ...updates] : updates;
}

async function drawPending(Plotly, host) {
  const fresh = freshPayloads(host, host.__pending.splice(0, host.__pending.length));
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
      const framesBefore = hub.received; // every one of these frames is drawn once this slice is done
      // Ageing: every 200 ms of waiting is worth one priority level, so no chart starves.
      const urgency = (host) => host.__priority - (sliceStart - host.__waitingSince) / 200;
      const hosts = [...scheduler.waiting]
        .filter((host) => host.isConnected && !canWait(host))
        .sort((a, b) => urgency(a) - urgency(b));
      scheduler.waiting.clear();
      // The slice counts our own drawing only: what the browser does while we yield (Streamlit
      // rendering the next frame) is not ours to ration.
      let drawing = 0;
      let complete = true;
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[i];
        if (i > 0 && drawing > SLICE_MS) {
          hosts.slice(i).forEach((left) => scheduler.waiting.add(left));
          complete = false;
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
      // Acknowledged now, not when the page has nothing left to draw: the server's next frame is on its
      // way while this one is painted, so the page does not wait a round trip between frames.
      if (complete) acknowledgeFrames(framesBefore);
    }
  } catch (error) {
    for (const host of scheduler.waiting) host.textContent = "This chart could not be drawn: " + error.message;
    scheduler.waiting.clear();
  } finally {
    scheduler.running = false;
  }
  acknowledgeFrames(); // everything received has been drawn
}
