// Every use of Plotly's undocumented internals by the live charts, in one place.
//
// The live charts go around Plotly's public API where it is too slow for every frame: they extend
// drawn line paths, swap a layout image's picture and rewrite the heatmap's computed hover values in
// place, and read the axes' pixel mapping for clicks. That needs private properties (`_fullLayout`,
// `calcdata`, d3's `__data__`, `_imgSrc`, the axes' `c2p`/`p2d`/`_offset`/`_length`) and Plotly's own
// class names. They are only read or written here, checked against the pinned plotly version
// (requirements.txt) by tests/browser/test_plotly_adapter.py: a Plotly upgrade is vetted by that test.
// `host` is the chart's graph div (what Plotly.react drew into).

const PLOTLY_URL = "/app/static/plotly.min.js";

export function loadPlotly() {
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

// The plot area (inside the margins) in pixels from the host's top left: {left, top, width, height};
// null before the first draw.
export function plotArea(host) {
  const size = host._fullLayout && host._fullLayout._size;
  return size ? { left: size.l, top: size.t, width: size.w, height: size.h } : null;
}

// The drawn axis `name` ("xaxis", "yaxis2"): its type ("linear", "log", ...; resolved when the figure
// leaves it to Plotly), where it sits (offset and length in pixels from the host's left or top edge) and
// its maps between data values and pixels from that offset. Null before the first draw.
export function drawnAxis(host, name) {
  const axis = host._fullLayout && host._fullLayout[name];
  if (!axis || typeof axis.c2p !== "function" || typeof axis.p2d !== "function") return null;
  return {
    type: axis.type,
    offset: axis._offset,
    length: axis._length,
    dataToPixel: (value) => axis.c2p(axis.d2c(value)),
    pixelToData: (pixel) => axis.p2d(pixel),
  };
}

// The drawn <image> element of layout image `index`, or null.
export function imageElement(host, index) {
  for (const image of host.querySelectorAll(".imagelayer image")) {
    const item = image.__data__; // bound by Plotly (d3): the full layout's image item
    if (item && item._index === index) return image;
  }
  return null;
}

// Layout image `index` as drawn: {element (its <image>), userImage, fullImage (Plotly's two copies of the
// layout item)}, for setDrawnImageSource; null when any is missing (the caller then relayouts).
export function drawnImage(host, index) {
  const element = imageElement(host, index);
  const userImage = host.layout.images && host.layout.images[index];
  const fullImage = host._fullLayout && host._fullLayout.images && host._fullLayout.images[index];
  return element && userImage && fullImage ? { element, userImage, fullImage } : null;
}

// A new picture for a drawn layout image without Plotly.relayout (which recomputes every layout
// default, several ms): set the element's href and keep Plotly's copies of the source in step, so
// that its next real redraw (a zoom, a whole figure) finds the image already current.
export function setDrawnImageSource({ element, userImage, fullImage }, url) {
  element.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:href", url);
  element._imgSrc = url; // Plotly's own "already drawn" mark
  userImage.source = url;
  fullImage.source = url;
}

// The hover values Plotly computed for heatmap trace `trace` (rows bottom-up, as the figure's z): the
// arrays its hover reads, so writing into them changes what the hover shows without recomputing the
// trace. Null when there are none.
export function heatmapHoverRows(host, trace) {
  const computed = host.calcdata && host.calcdata[trace];
  const rows = computed && computed[0] && computed[0].z;
  return Array.isArray(rows) ? rows : null;
}

function tracePaths(host, selector) {
  const paths = {};
  for (const group of host.querySelectorAll(".scatterlayer .trace")) {
    const computed = group.__data__; // bound by Plotly (d3): [{trace: the full trace, ...}, ...]
    const trace = computed && computed[0] && computed[0].trace;
    if (trace) paths[trace.index] = group.querySelector(selector);
  }
  return paths;
}

// The drawn line of each scatter trace, by trace index (null for a trace without one).
export function linePaths(host) {
  return tracePaths(host, "path.js-line");
}

// The filled band of each "tonexty" trace, by that trace's index: one closed path, the trace's line and
// then the previous trace's backwards. Plotly keeps it in the *previous* trace's group (its `_nextFill`).
export function bandPaths(host) {
  const bands = {};
  for (const [index, fill] of Object.entries(tracePaths(host, "path.js-fill"))) bands[Number(index) + 1] = fill;
  return bands;
}
