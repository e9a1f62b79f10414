"""The regression surface: the predicted value over the plane on a fixed colour range, and the points
coloured by their target (the same kind of image and square layout as ``playground.plots.boundary``).
"""

from __future__ import annotations

import base64
import math

import numpy as np

from playground.plots.boundary import TEST_MARKER, TRAIN_MARKER, image_frame, square_colorbar, square_layout
from playground.plots.style import BOUNDARY_SCALE, colour_table, round_decimals, round_significant

# ---- regression surface ------------------------------------------------------------------------
# The predicted value over the square as the same kind of image: bytes 0..255 over a fixed value
# range (colours do not jump from frame to frame), the transparent heatmap's hover rebuilt in the
# browser as value = hover_offset + hover_scale * byte / 255. No line is drawn (an empty list:
# the browser then smooths the image as it does the boundary's): a target value has no
# boundary to mark, and on the diverging scale the white already shows where the prediction is 0.
CIVIDIS = [
    [i / 9, colour]
    for i, colour in enumerate(
        ["#00224E", "#123570", "#3B496C", "#575D6D", "#707173", "#8A8678", "#A59C74", "#C3B369", "#E1CC55", "#FEE838"]
    )
]


def regression_value_range(targets: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    """A fixed colour range for a regression chart: the targets' finite range widened by ``margin`` of
    its width on each side (a constant target gets ± 0.5); (-1, 1) when there is no finite target."""
    finite = np.asarray(targets, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-12:
        return low - 0.5, high + 0.5
    pad = margin * (high - low)
    return low - pad, high + pad


def _check_range(value_range: tuple[float, float]) -> tuple[float, float]:
    low, high = float(value_range[0]), float(value_range[1])
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise ValueError(f"value_range must be finite with low < high, got {value_range}")
    return low, high


def regression_scale(value_range: tuple[float, float]) -> list:
    """The colour scale over [low, high]: blue-white-vermillion with white at 0 when the range holds 0
    (negative vermillion, positive blue, as BOUNDARY_SCALE), else cividis (dark blue to yellow)."""
    low, high = _check_range(value_range)
    if not low < 0 < high:
        return CIVIDIS
    zero = -low / (high - low)
    stops = [0.0, zero / 2, zero, zero + (1 - zero) / 2, 1.0]
    return [[round(stop, 6), colour] for stop, (_, colour) in zip(stops, BOUNDARY_SCALE)]


def regression_bytes(values: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """Values (any shape) -> uint8: round(255 * (v - low) / (high - low)), clamped to the range.

    +inf and -inf clamp to the ends; NaN is shown as the scale's neutral value (0 on the diverging
    scale, else low).
    """
    low, high = _check_range(value_range)
    neutral = 0.0 if low < 0 < high else low
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=neutral, posinf=high, neginf=low)
    return np.round(np.clip((v - low) / (high - low), 0.0, 1.0) * 255.0).astype(np.uint8)


def regression_image(axis: np.ndarray, values: np.ndarray, value_range: tuple[float, float]) -> dict:
    """The regression chart's background: (g, g) values indexed [x2, x1] as bytes, top row first, no line."""
    values = np.asarray(values, dtype=float)
    return {
        **image_frame(axis),
        "b64": base64.b64encode(regression_bytes(values, value_range)[::-1].tobytes()).decode("ascii"),
        "rows": int(values.shape[0]),
        "cols": int(values.shape[1]),
        "line": [],
    }


def regression_surface_figure(
    axis: np.ndarray,
    values: np.ndarray,
    train_points: np.ndarray,
    train_targets: np.ndarray,
    test_points: np.ndarray,
    test_targets: np.ndarray,
    value_range: tuple[float, float],
    show_test: bool = True,
    height: int = 520,
    target_name: str = "y",
) -> dict:
    """The predicted value over the square on a fixed colour range, and the points coloured by their target.

    axis: (g,); values: (g, g) indexed [x2, x1]; points (n, 2); targets (n,); value_range (low, high),
    kept fixed over a run (e.g. ``regression_value_range(all targets)``). Payload as ``boundary.boundary_figure``;
    trace 0 (transparent heatmap) carries the hover values and the colour bar.
    """
    low, high = _check_range(value_range)
    scale = regression_scale(value_range)
    axis_list = round_decimals(axis, 3)
    data = [
        {
            "type": "heatmap",
            "x": axis_list,
            "y": axis_list,
            "z": round_significant(np.clip(np.asarray(values, dtype=float), low, high), 3),
            "zmin": low,
            "zmax": high,
            "opacity": 0,
            "colorscale": scale,
            "colorbar": square_colorbar(f"predicted {target_name}", height),
            "hovertemplate": f"x₁=%{{x:.2f}}<br>x₂=%{{y:.2f}}<br>predicted {target_name}=%{{z:.3g}}<extra></extra>",
            "name": "prediction",
            "showlegend": False,
        }
    ]
    for kind, points, targets, marker, visible in (
        ("train", train_points, train_targets, TRAIN_MARKER, True),
        ("test", test_points, test_targets, TEST_MARKER, bool(show_test)),
    ):
        targets = round_significant(np.asarray(targets, dtype=float), 3)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": round_decimals(np.asarray(points)[:, 0], 3),
                "y": round_decimals(np.asarray(points)[:, 1], 3),
                "customdata": targets,
                "marker": {
                    **marker,
                    "color": targets,
                    "colorscale": scale,
                    "cmin": low,
                    "cmax": high,
                    "showscale": False,
                },
                "name": f"{kind} points",
                "visible": visible,
                "hovertemplate": f"{kind} point: true {target_name}=%{{customdata:.3g}}<br>(%{{x:.2f}}, %{{y:.2f}})"
                "<extra></extra>",
            }
        )
    image = {**regression_image(axis, values, value_range), "colours": colour_table(scale)}
    return {"data": data, "layout": square_layout(axis, height), "image": image}


def regression_surface_update(axis: np.ndarray, values: np.ndarray, value_range: tuple[float, float]) -> dict:
    """A new background image; the browser rewrites trace 0's hover values from its bytes as
    hover_offset + hover_scale * byte / 255 (the value to 1/255 of the range)."""
    low, high = _check_range(value_range)
    image = regression_image(axis, values, value_range)
    return {"image": {**image, "hover_trace": 0, "hover_offset": low, "hover_scale": high - low}}
