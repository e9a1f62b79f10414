"""The lens says when its gain formula (a plain stack's) does not describe the network on screen."""

from playground import Trainer, TrainingConfig
from playground.engine.network import Network
from playground.ui.lens import design_note
from playground.ui.view import describe


def test_a_plain_network_gets_no_note():
    assert design_note(Network([2, 4, 4, 1], ["tanh", "tanh"])) is None


def test_the_note_names_the_layers_with_a_skip_and_only_those():
    note = design_note(Network([2, 4, 4, 3, 1], ["relu"] * 3, residual=True))
    assert "Layers W2 have a skip" in note  # 2 -> 4 and 4 -> 3 cannot have one
    assert "W1" not in note and "W3" not in note


def test_the_note_says_normalisation_changes_the_gain_and_the_check_covers_gamma_and_beta():
    note = design_note(Network([2, 4, 4, 1], ["tanh", "tanh"], normalization="layer"))
    assert note.startswith("The predicted gains are those of a plain stack") and "Layer norm" in note
    assert "γ and β" in note


def test_a_run_heading_names_its_cures():
    config = TrainingConfig(hidden_layers=(4, 4), residual=True, normalization="batch", dropout=0.2, gradient_clip=1.0)
    assert "+ skips + batch norm + dropout 0.2 + clip 1" in describe(Trainer(config))
    assert "+" not in describe(Trainer(TrainingConfig(hidden_layers=(4, 4)))).split(" · ")[0]
