"""Issue 17's smaller items, seen by the whole room: Predict & check says what its table is, captions have the
contrast a projector needs, and the sidebar's seed buttons keep their labels.

(The walkthrough's items are in tests/test_app_walkthrough.py and tests/test_walkthrough.py, the CSV
uploader's in tests/test_app_userdata.py, the marker and title sizes in tests/test_plots.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_app import assert_clean, start

from playground.ui import lens

STYLE = (Path(__file__).resolve().parents[1] / "assets" / "style.css").read_text()


def test_predict_and_check_says_both_columns_are_at_the_shown_epoch():
    for epoch, when in ((0, "the initial weights (epoch 0)"), (1225, "the weights at epoch 1,225")):
        text = lens.predict_text(epoch)
        assert f"Predict, then measure, both at {when}" in text
        assert "Before training" not in text and "Shown at epoch" not in text  # the old, contradicting words


def test_predict_and_check_on_screen():
    at = start()
    at.button(key="step_one").click().run()
    at.segmented_control(key="w_lens").set_value("Predict & check").run()
    assert_clean(at)
    assert any("Predict, then measure, both at the weights at epoch 1." in m.value for m in at.markdown)


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("background", ["#FFFFFF", "#F8F8F7"], ids=["page", "sidebar"])
def test_captions_are_drawn_opaque_with_at_least_4_5_to_1_contrast(background):
    # Streamlit draws captions at opacity 0.6; the last caption rule wins and must undo it.
    rules = re.findall(r'div\[data-testid="stCaptionContainer"\]\s*\{([^}]*)\}', STYLE)
    assert rules, "no caption rule in style.css"
    rule = rules[-1]
    assert re.search(r"opacity:\s*1\b", rule)
    colour = re.search(r"color:\s*(#[0-9A-Fa-f]{6})", rule).group(1)
    assert contrast(colour, background) >= 4.5
    # what it was: the same colour at opacity 0.6 over white, about #8B949B, 3.1:1
    assert contrast("#8B949B", "#FFFFFF") < 4.5


def test_the_seed_buttons_have_their_own_keys_and_a_narrow_padding():
    at = start()
    assert at.button(key="next_weight_seed").label == "New weights"
    assert at.button(key="next_data_seed").label == "New data"
    assert ".st-key-next_weight_seed button" in STYLE
