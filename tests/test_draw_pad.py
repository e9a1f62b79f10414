"""The drawing pad's Python side (``playground.ui.draw_pad``): what the browser sends becomes ink, anything else is
ignored, and a test can hand the pad a drawing. The browser side is tested in tests/browser/test_draw_pad_browser.py."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.data.handwriting import rasterize_strokes
from playground.ui.draw_pad import DRAW_PAD_JS, PAD_PIXELS, PEN_PIXELS, SENT_SIDE, decode_ink, injected_ink_key


def sent(ink: np.ndarray, seq: int = 1) -> dict:
    """What assets/draw_pad.js sends for ink (side, side) in [0, 1]: one byte per pixel, base64."""
    pixels = np.round(255 * ink).astype(np.uint8)
    return {"side": ink.shape[0], "pixels": base64.b64encode(pixels.tobytes()).decode(), "seq": seq}


def test_the_browsers_bytes_become_ink_row_by_row():
    ink = np.zeros((SENT_SIDE, SENT_SIDE))
    ink[10, 20:30] = 1.0  # a row near the top: rows first, as the canvas's pixels are
    ink[100, 5] = 0.5
    decoded = decode_ink(sent(ink))
    assert decoded.shape == (SENT_SIDE, SENT_SIDE)
    np.testing.assert_allclose(decoded, ink, atol=0.5 / 255)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "not a dict",
        {"side": SENT_SIDE},
        {"side": SENT_SIDE, "pixels": "!!! not base64 !!!"},
        {"side": SENT_SIDE, "pixels": base64.b64encode(b"short").decode()},
        {"side": 10**9, "pixels": ""},
        {"side": -4, "pixels": ""},
        {"side": "140", "pixels": base64.b64encode(bytes(140 * 140)).decode()},
        {"side": 4, "pixels": base64.b64encode(bytes(16)).decode()},  # a blank drawing: nothing to read
    ],
)
def test_a_cleared_blank_or_malformed_value_is_no_drawing(value):
    assert decode_ink(value) is None


def test_the_canvas_averages_down_to_whole_blocks_and_the_pen_suits_mnist():
    assert PAD_PIXELS % SENT_SIDE == 0  # the browser averages whole blocks of device pixels
    assert 8 <= PEN_PIXELS <= PAD_PIXELS // 6  # tests/test_handwriting.py checks the ink it gives against MNIST's
    script = DRAW_PAD_JS.read_text()
    assert "touch-action" not in script  # it is in the CSS, set on the canvas
    assert 'setStateValue("ink"' in script and "setPointerCapture" in script


def _pad_app():
    import streamlit as st

    from playground.ui.draw_pad import draw_pad

    ink = draw_pad("pad")
    st.write("none" if ink is None else f"ink {ink.shape[0]}x{ink.shape[1]}, {ink.sum():.0f}")


def test_a_test_can_hand_the_pad_a_drawing_without_a_browser():
    app = AppTest.from_function(_pad_app).run()
    assert not app.exception and app.markdown[0].value == "none"
    ink = rasterize_strokes([[(140, 40), (140, 240)]], PAD_PIXELS, PEN_PIXELS)
    app.session_state[injected_ink_key("pad")] = ink
    app.run()
    assert app.markdown[0].value == f"ink {PAD_PIXELS}x{PAD_PIXELS}, {ink.sum():.0f}"
    app.session_state[injected_ink_key("pad")] = np.zeros((PAD_PIXELS, PAD_PIXELS))
    app.run()
    assert app.markdown[0].value == "none"
