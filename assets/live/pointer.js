// What the mouse does on a live chart besides Plotly's own hover: a zoom or pan that the live ranges
// must keep, and a click on a boundary chart's plane (sent to Python).

import { drawnAxis } from "./plotly_adapter.js";

// A user's zoom or pan wins over the axis range the updates would set while playing;
// a double click (autorange) hands the axis back to the live view.
export function watchZoom(Plotly, host) {
  if (host.__watchingZoom) return;
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

// A click on a boundary chart's plane goes to Python as the trigger "plane_click" with its data
// coordinates (session.plane_click decides: follow, add or erase a point). Plotly's drag layer eats the
// browser's own click and dispatches a synthetic one on the drag layer after a press without a drag
// (it bubbles to the host), so zooming by dragging still works and is not a click. The pixel is read
// against the axes' own offsets (the plane is square inside its plot area). The nonce makes two clicks
// at one spot two events.
export function watchPlaneClicks(host) {
  if (host.__watchingClicks) return;
  host.__watchingClicks = true;
  host.addEventListener("click", (event) => {
    const xa = drawnAxis(host, "xaxis");
    const ya = drawnAxis(host, "yaxis");
    if (!xa || !ya || !host.__setTriggerValue) return;
    if (event.detail > 1) return; // the second click of a double click (Plotly's "reset the zoom") adds nothing
    if (event.target && event.target.closest && event.target.closest(".modebar, .legend")) return;
    const rect = host.getBoundingClientRect();
    const px = event.clientX - rect.left - xa.offset;
    const py = event.clientY - rect.top - ya.offset;
    if (px < 0 || py < 0 || px > xa.length || py > ya.length) return; // the margins, the colour bar
    host.__clicks = (host.__clicks || 0) + 1;
    const value = {
      x1: Math.round(xa.pixelToData(px) * 100) / 100,
      x2: Math.round(ya.pixelToData(py) * 100) / 100,
      shift: Boolean(event.shiftKey),
      nonce: Date.now().toString(36) + "-" + host.__clicks + "-" + Math.random().toString(36).slice(2, 8),
    };
    host.dataset.lastClick = JSON.stringify(value); // read by the browser tests
    host.__setTriggerValue("plane_click", value);
  });
}
