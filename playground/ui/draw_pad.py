"""The drawing pad: a canvas drawn on with the mouse, a finger or a pen, whose ink comes back to Python.

``draw_pad(key)`` shows the pad and returns the latest drawing as ink (SENT_SIDE, SENT_SIDE) in [0, 1] (1 where
the pen went), or None while it is empty. The browser side (assets/draw_pad.js) sends the drawing while the pen
moves (at most every 150 ms) and at each stroke's end, so whatever reads it (``playground.data.handwriting``,
then the network) follows the pen; each send reruns the script, or only the fragment that holds the pad. The
drawing stays on the canvas across reruns until Clear.

A test or a script can hand the pad a drawing without a browser: ink (H, W) in [0, 1] put in
``st.session_state[injected_ink_key(key)]`` is returned instead of the browser's until it is removed.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import numpy as np
import streamlit as st

REPO_ROOT = Path(__file__).resolve().parents[2]
DRAW_PAD_JS = REPO_ROOT / "assets" / "draw_pad.js"

PAD_PIXELS = 280  # the canvas, CSS pixels a side: ten screen pixels per MNIST pixel
PEN_PIXELS = 28  # the pen's width: a digit drawn 150-240 pixels tall then has MNIST's stroke width (2-3 of 28 pixels)
SENT_SIDE = 140  # the canvas goes to Python averaged down 2x: 19,600 bytes, ample for a 20-pixel box
MAX_SENT_SIDE = 1024  # a larger "side" from the browser is not a drawing of this pad

CSS = """
.bp-pad { display: flex; flex-direction: column; align-items: flex-start; gap: 0.5rem; }
.bp-pad-frame { position: relative; max-width: 100%; aspect-ratio: 1; }
.bp-pad-canvas {
  display: block; width: 100%; height: 100%; box-sizing: border-box;
  background: #FFFFFF; border: 2px solid #3E4C59; border-radius: 0.5rem;
  touch-action: none; cursor: crosshair; user-select: none; -webkit-user-select: none;
}
.bp-pad-hint {
  position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  font-size: 1.25rem; color: #52606D; pointer-events: none; text-align: center; padding: 1rem;
}
.bp-pad-hint[hidden] { display: none; }
.bp-pad-clear {
  font: inherit; font-size: 1rem; padding: 0.35rem 1.1rem; border-radius: 0.5rem; cursor: pointer;
  background: #FFFFFF; color: #1F2933; border: 1px solid #9AA5B1;
}
.bp-pad-clear:hover { border-color: #0072B2; color: #0072B2; }
.bp-pad-clear:focus-visible { outline: 3px solid #0072B2; outline-offset: 2px; }
"""

# A component definition, not per-user state: registering it once per process is right. Its code is inline (it
# travels with each update of the element, about 6 KB: small beside the drawing it sends back).
_draw_pad_component = st.components.v2.component(
    "backprop_draw_pad", js=DRAW_PAD_JS.read_text(), css=CSS, isolate_styles=False
)


def injected_ink_key(key: str) -> str:
    """The session-state key under which a test or a script can put ink (H, W) for pad ``key``."""
    return f"{key}__injected_ink"


def decode_ink(value) -> np.ndarray | None:
    """The browser's state value {side, pixels (base64 of side² bytes), seq} -> ink (side, side) in [0, 1], or
    None (cleared, never drawn, or not a drawing of this pad: a malformed value is ignored, not an error)."""
    if not isinstance(value, dict):
        return None
    side, pixels = value.get("side"), value.get("pixels")
    if not isinstance(side, int) or not 0 < side <= MAX_SENT_SIDE or not isinstance(pixels, str):
        return None
    try:
        raw = base64.b64decode(pixels, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != side * side:
        return None
    ink = np.frombuffer(raw, dtype=np.uint8).reshape(side, side) / 255.0
    return ink if ink.any() else None


def _ink_changed() -> None:
    """The browser sent a drawing: the rerun it starts is all that is needed (the value is read on the run)."""


def draw_pad(key: str) -> np.ndarray | None:
    """Show the pad ``key`` and return its drawing: ink (SENT_SIDE, SENT_SIDE) in [0, 1], or None while empty."""
    result = _draw_pad_component(
        key=key,
        data={
            "name": key,
            "size": PAD_PIXELS,
            "pen": PEN_PIXELS,
            "side": SENT_SIDE,
            "hint": "Draw a digit here",
            "label": "Drawing pad: draw a digit with the mouse, a finger or a pen",
        },
        default={"ink": None},
        on_ink_change=_ink_changed,
        width="content",
    )
    injected = st.session_state.get(injected_ink_key(key))
    if injected is not None:
        ink = np.clip(np.nan_to_num(np.asarray(injected, dtype=np.float64)), 0.0, 1.0)
        return ink if ink.ndim == 2 and ink.any() else None
    return decode_ink(result.get("ink") if result is not None else None)
