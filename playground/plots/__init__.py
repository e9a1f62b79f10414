"""Arrays in, Plotly figure specs out (plain dicts), plus the small updates sent per frame.

Never imports streamlit (plotly only in ``landscape.landscape_figure``): a figure is the JSON-able dict that
``Plotly.react`` takes ({"data": [...], "layout": {...}}), so the live view can draw it in the browser and
update it in place. Each chart has
  *_figure(...)  the whole figure, sent when the chart is first drawn or its shape changes
  *_update(...)  what changed since then: {"restyle": ...} or {"extend": ...}

Import the module a figure lives in (there is no re-export here):
  style       the font, class and layer colours, the base layout, arrays as JSON lists (every module uses it)
  boundary    the plane: binary and multi-class decision boundaries, level lines, the rings around points
  regression  the plane for a regression: the predicted surface on a fixed colour range
  history     over epochs: loss curves (one run or compared), gradient norms, live axis ranges, notes, markers
  flow        the gradient-flow lens: layer x epoch heatmaps, update ratio, saturated/dead shares, histograms
  images      image data: the digits gallery, a pixel map, the confusion matrix, first-layer weights, PNG mosaics
  landscape   the loss landscape's contour map with the optimiser's path
  sweep       the learning-rate sweep's two figures
  pad         the drawing pad's probabilities and its step's weight change
"""
