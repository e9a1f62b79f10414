"""The network diagram under AppTest: drawn with the page, follows the run, both colourings, one per run in
compare mode, can be switched off, and a weight set on it is where Step continues from."""

from __future__ import annotations

import base64
import json

import numpy as np

from tests.test_app import assert_clean, start, state_of


def diagram_payloads(at) -> dict[str, dict]:
    found = {}
    for element in at.get("bidi_component"):
        data = json.loads(element.proto.json)
        if data.get("kind") == "network":
            found[data["name"]] = data
    return found


def test_the_diagram_is_drawn_and_follows_the_epoch():
    at = start()
    assert_clean(at)
    payload = diagram_payloads(at)["network"]
    assert payload["sizes"] == [2, 4, 2, 1] and payload["colouring"] == "weights" and payload["last_epoch"] == 0
    at.button(key="step_one").click().run()
    payload = diagram_payloads(at)["network"]
    assert payload["last_epoch"] == 1
    weights = np.frombuffer(base64.b64decode(payload["weights"]), dtype=np.float32)
    expected = np.concatenate([W.ravel() for W in state_of(at).trainer.network.weights])
    np.testing.assert_allclose(weights, expected, rtol=1e-6)
    assert "thicker = larger |w|" in " ".join(m.value for m in at.markdown)


def test_gradient_colouring_and_switching_the_diagram_off():
    at = start()
    at.segmented_control(key="w_diagram_colouring").set_value("gradients").run()
    assert_clean(at)
    assert diagram_payloads(at)["network"]["colouring"] == "gradients"
    assert "log scale" in " ".join(m.value for m in at.markdown)
    at.toggle(key="w_show_diagram").set_value(False).run()
    assert diagram_payloads(at) == {}
    at.toggle(key="w_show_diagram").set_value(True).run()
    assert diagram_payloads(at)["network"]["colouring"] == "gradients"


def test_compare_mode_draws_one_diagram_per_run():
    at = start()
    at.toggle(key="w_compare").set_value(True).run()
    assert_clean(at)
    assert set(diagram_payloads(at)) == {"network_A", "network_B"}


def test_a_weight_set_on_the_diagram_is_kept_and_training_continues_from_it():
    at = start()
    state = state_of(at)
    from playground.ui import session

    assert session.edit_parameter(state, "A", "weight", 1, 3, 0, 1.5, "the weight h1.4 → h2.1")
    at.run()
    assert_clean(at)
    assert any("the weight h1.4 → h2.1" in s.value for s in at.success)
    assert state.trainer.network.weights[1][3, 0] == 1.5
    weights = np.frombuffer(base64.b64decode(diagram_payloads(at)["network"]["weights"]), dtype=np.float32)
    assert 1.5 in weights
    at.button(key="step_one").click().run()
    assert state.trainer.epoch == 1 and state.trainer.network.weights[1][3, 0] != 1.5
    at.button(key="reset").click().run()
    np.testing.assert_array_equal(state.trainer.network.theta, state.trainer.initial_theta)


def test_the_walkthrough_step_on_screen_is_drawn_on_the_diagram():
    from playground.ui import walkthrough_panel

    at = start()
    at.button(key="walk_random").click().run()
    assert_clean(at)
    state = state_of(at)
    at.button(key="walk_next").click().run()  # the forward pass through layer 1
    step = walkthrough_panel.current_step(state)
    overlay = diagram_payloads(at)["network"]["walkthrough"]
    assert overlay["title"] == step.title and overlay["highlight"] == step.highlight_layer == 1
    np.testing.assert_allclose(overlay["unit_values"]["1"], step.unit_values[1], rtol=1e-3)
    while walkthrough_panel.current_step(state).key != "update":
        at.button(key="walk_next").click().run()
    step = walkthrough_panel.current_step(state)
    overlay = diagram_payloads(at)["network"]["walkthrough"]
    # The update step puts every layer's update on its edges.
    assert set(overlay["edges"]) == {"0", "1", "2"}
    shown = np.frombuffer(base64.b64decode(overlay["edges"]["1"]["values"]), dtype=np.float32)
    np.testing.assert_allclose(shown, step.edge_values_by_layer[1].ravel(), rtol=1e-6)
    at.button(key="walk_close").click().run()
    assert "walkthrough" not in diagram_payloads(at)["network"]


def test_in_compare_mode_only_run_a_shows_the_walkthrough():
    at = start()
    at.toggle(key="w_compare").set_value(True).run()
    at.button(key="walk_random").click().run()
    assert_clean(at)
    payloads = diagram_payloads(at)
    assert "walkthrough" in payloads["network_A"] and "walkthrough" not in payloads["network_B"]


def test_a_link_can_hide_the_diagram_and_the_walkthrough():
    at = start({"hide": "diagram,walkthrough"})
    assert_clean(at)
    assert diagram_payloads(at) == {}
    assert not any("step by step" in h.value for h in at.subheader)
    shown = start()
    assert "network" in diagram_payloads(shown)
    assert any("step by step" in h.value for h in shown.subheader)
