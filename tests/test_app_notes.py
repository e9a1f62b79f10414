"""No silent charts, in the app: the message and the words on the chart (playground/teaching/notes.py); "+" widths."""

from __future__ import annotations

import json

from tests.test_app import assert_clean, start, state_of

DEAD_URL = {
    "hidden_layers": "4,2,2,2,2,2,2,2",
    "activations": ",".join(["relu"] * 8),
    "initializer": "he_normal",
}


def chart_payloads(at, name: str) -> list[dict]:
    return [
        payload
        for payload in (json.loads(element.proto.json) for element in at.get("bidi_component"))
        if payload.get("name") == name
    ]


def annotations(at, name: str) -> list[str]:
    return [
        annotation["text"]
        for payload in chart_payloads(at, name)
        for annotation in ((payload.get("base") or {}).get("layout") or {}).get("annotations", [])
        if annotation.get("name") == "note"
    ]


def test_a_dead_network_says_so_in_a_message_and_on_its_empty_gradient_chart():
    at = start(DEAD_URL)
    assert_clean(at)
    warnings = [w.value for w in at.warning if "No gradient reaches" in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert "outputs 0 on every training point" in warnings[0] and "leaky ReLU" in warnings[0]
    notes = annotations(at, "gradients")
    assert notes and "is dead" in notes[0]
    at.button(key="step_one").click().run()  # stepping: still said
    assert_clean(at)
    assert any("No gradient reaches" in w.value for w in at.warning)
    at.selectbox(key="w_activation_all").set_value("leaky_relu").run()  # the remedy: no more message
    assert_clean(at)
    assert not any("No gradient reaches" in w.value for w in at.warning)
    assert not annotations(at, "gradients")


def test_an_oscillating_loss_says_so_when_stepped():
    at = start({"learning_rate": "10"})
    for _ in range(12):
        at.button(key="step_one").click().run()
    assert_clean(at)
    assert not state_of(at).trainer.diverged
    assert any("The loss is oscillating" in w.value and "(10) is too large" in w.value for w in at.warning)
    assert any("Oscillating" in text for text in annotations(at, "loss"))


def test_six_pluses_from_the_default_give_layers_as_wide_as_the_widest():
    at = start()
    for _ in range(6):
        at.button(key="add_layer").click().run()
    assert_clean(at)
    assert state_of(at).config.hidden_layers == (4, 2, 4, 4, 4, 4, 4, 4)
    for _ in range(8):
        at.button(key="remove_layer").click().run()
    at.button(key="add_layer").click().run()
    assert state_of(at).config.hidden_layers == (4,)  # none left: the default width
