"""The backprop walkthrough's steps: each layer kind's formula, in words, with the example's numbers.

``build_steps(trainer, shown, layout)`` arranges the numbers of a ``Walkthrough`` (read from the engine by
``playground.teaching.walkthrough``) into the steps the panel shows and the network diagram marks: the
inputs, one forward step per weight layer, the loss, one backward step per weight layer (from the output
down), the update. A hidden layer's steps name every part it has: dense, batch or layer norm, the
activation, dropout (off in this step), the skip connection; the update step says when clipping scaled
the gradient. Nothing here computes the maths: the formulas are LaTeX text and the numbers are the
engine's, picked and labelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from playground.data.datasets import DOMAIN_HALF_WIDTH, FEATURES
from playground.engine.activations import LEAKY_RELU_SLOPE, get_activation

if TYPE_CHECKING:  # (the numbers' module imports this one)
    from playground.engine.network import ParameterLayout
    from playground.teaching.walkthrough import Walkthrough
    from playground.training.trainer import Trainer


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough, as the panel shows it and the network diagram marks it.

    key: stable name: "inputs", "forward_{l}", "loss", "backward_{l}" (l = 1 .. L, the weight layer,
        1-based), "update".
    kind: "inputs", "forward", "loss", "backward" or "update".
    layer: the weight layer the step is about, 1-based (None for inputs, loss and update).
    title, formula (LaTeX for st.latex), explanation (plain sentences).
    highlight_layer: the unit layer to highlight, 0 (inputs) .. L (outputs); None: no single one.
    numbers: name -> array: unit vectors (n_k,), weight matrices (n_{l-1}, n_l), scalars 0-d.
    symbols: name -> how the panel labels it (plain text, e.g. "z₂", "∂L/∂W₂").
    unit_layer_of: for the per-unit vectors in ``numbers``: name -> unit layer k they live on.
    weight_layer_of: for the matrices in ``numbers``: name -> weight layer, 0-based as network.weights.
    unit_values: unit layer k -> (n_k,) the number to print at each unit in this step (a in the
        forward steps, delta in the backward steps, the bias update in the update step).
    edge_values: (weight layer, 0-based, (n_{l-1}, n_l) array) to print on that layer's edges: the
        weights in a forward step, dL/dW in a backward step; in the update step the first layer's
        update (``edge_values_by_layer`` has every layer's), else None.
    edge_values_by_layer: weight layer (0-based) -> (n_{l-1}, n_l), every layer the step has edge numbers
        for (one in forward and backward steps, all in the update step).
    unit_label / edge_label: what the unit and edge numbers are, for the diagram's legend ("a", "δ", ...).
    """

    key: str
    kind: str
    layer: int | None
    title: str
    formula: str
    explanation: str
    highlight_layer: int | None
    numbers: dict[str, np.ndarray]
    symbols: dict[str, str]
    unit_layer_of: dict[str, int]
    weight_layer_of: dict[str, int]
    unit_values: dict[int, np.ndarray]
    edge_values: tuple[int, np.ndarray] | None
    edge_values_by_layer: dict[int, np.ndarray] = field(default_factory=dict)
    unit_label: str = "value"
    edge_label: str = "value"


# ---- formulas, as text -----------------------------------------------------------------------------
# f'(z) per activation in LaTeX (the engine computes it from the output a: playground.engine.activations)
DERIVATIVE_FORMULAS = {
    "sigmoid": r"\sigma(z)\,(1 - \sigma(z)) = a\,(1 - a)",
    "tanh": r"1 - \tanh^2 z = 1 - a^2",
    "relu": r"1 \text{ if } z > 0 \text{ else } 0",
    "leaky_relu": rf"1 \text{{ if }} z > 0 \text{{ else }} {LEAKY_RELU_SLOPE:g}",
    "elu": r"1 \text{ if } z > 0 \text{ else } \alpha e^{z}",
    "linear": "1",
}
# f(x) in LaTeX per activation, for the activation's input x (e.g. "z_{2}" or "\tilde z_{2}")
ACTIVATION_FORMULAS = {
    "sigmoid": lambda x: rf"\sigma({x}) = \frac{{1}}{{1 + e^{{-{x}}}}}",
    "tanh": lambda x: rf"\tanh({x})",
    "relu": lambda x: rf"\max(0,\, {x})",
    "leaky_relu": lambda x: rf"\max({LEAKY_RELU_SLOPE:g}\,{x},\, {x})",
    "elu": lambda x: rf"\mathrm{{ELU}}({x})",
    "linear": lambda x: x,
}
LOSS_NAMES = {
    "sigmoid_bce": "binary cross-entropy",
    "softmax_ce": "softmax cross-entropy",
    "linear_mse": "half squared error",
}
LOSS_FORMULAS = {
    "sigmoid_bce": r"\ell = -\big[t \log \hat y + (1 - t) \log (1 - \hat y)\big]",
    "softmax_ce": r"\ell = -\sum_k t_k \log \hat y_k = -\log \hat y_{\text{true class}}",
    "linear_mse": r"\ell = \tfrac{1}{2}\,(\hat y - t)^2",
}
PENALTY_FORMULAS = {"l2": r"\lambda \cdot \tfrac{1}{2} \sum W^2", "l1": r"\lambda \sum |W|"}
REGULARIZER_GRADIENT_FORMULAS = {"l2": r"\lambda W_{%d}", "l1": r"\lambda\,\mathrm{sign}(W_{%d})"}
NORM_NAMES = {"batch": "Batch norm", "layer": "Layer norm"}

# The order the chain rule is read in: the error from above, through the weights (and the skip), times the
# slope, back through the normalisation, gives delta; then the gradients. (Tables list columns in this order.)
BACKWARD_READING_ORDER = (
    "delta_next",
    "skip_grad",
    "W_next",
    "output",
    "target",
    "backpropagated",
    "grad_a",
    "f_prime",
    "grad_normalized",
    "gamma",
    "x_hat",
    "std",
    "delta",
    "grad_gamma",
    "grad_beta",
    "grad_b",
    "a_prev",
    "grad_W",
    "grad_W_data",
    "regularizer_grad_W",
)


def _sub(k: int | str) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _rows(*rows: str) -> str:
    """Formula rows: one row as it is, several stacked (KaTeX's gathered)."""
    rows = tuple(row for row in rows if row)
    return rows[0] if len(rows) == 1 else r"\begin{gathered}" + r" \\ ".join(rows) + r"\end{gathered}"


def _d(of: str, by: str) -> str:
    return rf"\frac{{\partial {of}}}{{\partial {by}}}"


# ---- the inputs --------------------------------------------------------------------------------------
# How each input feature is computed from the point (x₁, x₂) on the plane (datasets.make_features): the
# coordinates are divided by DOMAIN_HALF_WIDTH first; sin takes the raw coordinate.
_H = f"{DOMAIN_HALF_WIDTH:g}"
# The grey levels each image set was stored with, by its pixels a side: the 8x8 digits 0-16, MNIST 0-255.
GREY_LEVELS = {8: 16, 28: 255}
FEATURE_FORMULAS = {
    "x1": f"x₁/{_H}",
    "x2": f"x₂/{_H}",
    "x1_squared": f"(x₁/{_H})²",
    "x2_squared": f"(x₂/{_H})²",
    "x1_times_x2": f"(x₁/{_H})·(x₂/{_H})",
    "sin_x1": "sin(x₁)",
    "sin_x2": "sin(x₂)",
}


def _g4(value: float) -> str:
    """A number as the walkthrough's tables show it (4 significant digits)."""
    return f"{float(value):.4g}"


def input_scaling_text(features: tuple[str, ...] | None, point, x: np.ndarray) -> str:
    """The sentence that says how the point on the plane becomes the network's inputs, with the numbers.

    ``features``: the run's input features (None: an image, whose pixels are the inputs as they are);
    ``point``: (2,) the point in the plane's coordinates; ``x``: (n_features,) the inputs a_0 (an image's
    side² pixels: 64 for the 8x8 digits, 784 for MNIST's 28x28).
    E.g. "The point (x₁, x₂) = (0.7815, 0.000933) on the plane enters the network as x = (0.1302, 0.0001555):
    X₁ = x₁/6 = 0.1302, X₂ = x₂/6 = 0.0001555. ..." (the numbers rounded as the tables round them).
    """
    if features is None:
        pixels = int(np.size(x))
        levels = GREY_LEVELS.get(math.isqrt(pixels), 1)
        return (
            f"The {pixels} inputs are the image's pixels, row by row: 0 is white paper, 1 full ink (the data set's "
            f"0–{levels} grey levels divided by {levels})."
        )
    x1, x2 = (float(v) for v in point)
    each = ", ".join(
        f"{FEATURES[name][0]} = {FEATURE_FORMULAS.get(name, name)} = {_g4(value)}" for name, value in zip(features, x)
    )
    text = (
        f"The point (x₁, x₂) = ({_g4(x1)}, {_g4(x2)}) on the plane enters the network as "
        f"x = ({', '.join(_g4(value) for value in x)}): {each}."
    )
    if any(name in FEATURE_FORMULAS and "/" in FEATURE_FORMULAS[name] for name in features):
        text += (
            f" The coordinates are divided by {_H} because the plane runs from −{_H} to {_H}: so every input lies "
            "between −1 and 1, where the activations are not saturated and the initial weights have the size "
            "their scheme assumes."
        )
    return text


def design_note(shown: Walkthrough) -> str | None:
    """One or two sentences on the layer kinds this network has and what this one-example step uses."""
    notes = []
    skips = [str(layer) for layer, numbers in enumerate(shown.hidden, 1) if numbers.skip]
    if skips:
        which = f"hidden layer {skips[0]}" if len(skips) == 1 else "hidden layers " + ", ".join(skips)
        notes.append(f"Skip connections around {which}: a = input + f(input).")
    if shown.normalization == "batch":
        notes.append(
            "Batch norm: one example's step uses the running averages of the training batches' mean and variance "
            "as fixed numbers, as predictions do (training batches use their own), and does not update them."
        )
    elif shown.normalization == "layer":
        notes.append("Layer norm: each layer is standardised over its units, for this example alone, as in training.")
    if shown.dropout > 0:
        notes.append(f"Dropout (p = {shown.dropout:g}) is off in this step, as for predictions.")
    if shown.clip_max > 0:
        notes.append(f"Gradient clipping at norm {shown.clip_max:g}: see the update step.")
    return " ".join(notes) or None


# ---- the steps ---------------------------------------------------------------------------------------


def build_steps(trainer: Trainer, shown: Walkthrough, layout: ParameterLayout) -> list[Step]:
    """The walkthrough's steps in order: inputs, forward 1 .. L, loss, backward L .. 1, update."""
    L = len(shown.weights)
    steps = [_inputs_step(trainer, shown)]
    steps += [_forward_step(trainer, shown, layer) for layer in range(1, L + 1)]
    steps.append(_loss_step(trainer, shown))
    steps += [_backward_step(trainer, shown, layer) for layer in range(L, 0, -1)]
    steps.append(_update_step(trainer, shown, layout))
    return steps


def _forward_so_far(shown: Walkthrough, last: int) -> dict[int, np.ndarray]:
    return {k: shown.activations[k] for k in range(last + 1)}


def _inputs_step(trainer: Trainer, shown: Walkthrough) -> Step:
    image = trainer.inputs == "image"
    side = trainer.image_side
    what = f"{side}x{side} image's {side * side} pixel intensities" if image else "point's input features"
    numbers, symbols = {"x": shown.inputs}, {"x": "x = a₀"}
    if not image:
        numbers["point"] = shown.point
        symbols["point"] = "the point (x₁, x₂) on the plane"
    shown_label = int(shown.label) if trainer.problem != "regression" else shown.label
    explanation = (
        input_scaling_text(None if image else trainer.config.features, shown.point, shown.inputs)
        + f" The network sees this {what} (true answer t = {shown_label:g}); every number that follows is "
        "computed from them and the current weights."
    )
    title = "Inputs: what the network sees"
    return Step(
        key="inputs",
        kind="inputs",
        layer=None,
        title=title,
        formula=r"a_0 = x",
        explanation=explanation,
        highlight_layer=0,
        numbers=numbers,
        symbols=symbols,
        unit_layer_of={"x": 0},
        weight_layer_of={},
        unit_values={0: shown.inputs},
        edge_values=None,
        unit_label="x (input)",
        edge_label="",
    )


def _forward_step(trainer: Trainer, shown: Walkthrough, layer: int) -> Step:
    i, L = layer - 1, len(shown.weights)
    numbers = {
        "a_prev": shown.activations[i],
        "W": shown.weights[i],
        "b": shown.biases[i],
        "z": shown.pre_activations[i],
    }
    symbols = {"a_prev": f"a{_sub(i)}", "W": f"W{_sub(layer)}", "b": f"b{_sub(layer)}", "z": f"z{_sub(layer)}"}
    unit_of = {"a_prev": i, "b": layer, "z": layer}
    dense = rf"z_{{{layer}}} = W_{{{layer}}}^\top a_{{{i}}} + b_{{{layer}}}"
    if layer == L:
        head = shown.head
        kind_text = {"sigmoid_bce": "sigmoid", "softmax_ce": "softmax", "linear_mse": "identity"}.get(head, "output")
        output_formula = {
            "sigmoid_bce": rf"\hat y = \sigma(z_{{{L}}}) = \frac{{1}}{{1 + e^{{-z_{{{L}}}}}}}",
            "softmax_ce": rf"\hat y_k = \frac{{e^{{z_{{{L},k}}}}}}{{\sum_j e^{{z_{{{L},j}}}}}}",
            "linear_mse": rf"\hat y = z_{{{L}}}",
        }.get(head, r"\hat y")
        formula = dense + r",\qquad " + output_formula
        explanation = (
            f"Each output unit weighs the last layer's outputs and adds its bias (z), then the {kind_text} "
            f"turns z into the network's answer ŷ."
        )
        title, numbers["a"], symbols["a"], unit_of["a"] = "Forward pass, output layer", shown.outputs, "ŷ", L
    else:
        formula, explanation = _hidden_forward(trainer, shown, layer, numbers, symbols, unit_of, dense)
        title = f"Forward pass, layer {layer}"
    return Step(
        key=f"forward_{layer}",
        kind="forward",
        layer=layer,
        title=title,
        formula=formula,
        explanation=explanation,
        highlight_layer=layer,
        numbers=numbers,
        symbols=symbols,
        unit_layer_of=unit_of,
        weight_layer_of={"W": i},
        unit_values=_forward_so_far(shown, layer),
        edge_values=(i, shown.weights[i]),
        edge_values_by_layer={i: shown.weights[i]},
        unit_label="a (output)",
        edge_label=f"w (W{_sub(layer)})",
    )


def _hidden_forward(trainer, shown, layer, numbers, symbols, unit_of, dense) -> tuple[str, str]:
    """A hidden layer's forward formula and words, adding its parts' numbers to the tables (in place)."""
    i, s, numbers_of = layer - 1, _sub(layer), shown.hidden[layer - 1]
    name = trainer.network.hidden_activation_names[i]
    label = get_activation(name).label
    words = [f"Each unit of hidden layer {layer} adds up its inputs times their weights, plus its bias (z)"]
    activation_input, first_row = rf"z_{{{layer}}}", [dense]
    if numbers_of.normalization != "none":
        running = numbers_of.normalization == "batch"
        statistic = "running" if running else "over the layer"
        numbers |= {"mean": numbers_of.mean, "std": numbers_of.std, "x_hat": numbers_of.x_hat}
        numbers |= {"gamma": numbers_of.gamma, "beta": numbers_of.beta, "normalized": numbers_of.normalized}
        symbols |= {"mean": f"μ{s} ({statistic})", "std": f"σ{s} ({statistic})", "x_hat": f"ẑ{s}"}
        symbols |= {"gamma": f"γ{s}", "beta": f"β{s}", "normalized": f"z̃{s} = γẑ+β"}
        unit_of |= {key: layer for key in ("x_hat", "gamma", "beta", "normalized")}
        if running:  # per unit; layer norm's are one number each (the panel prints them above the tables)
            unit_of |= {"mean": layer, "std": layer}
        standardise = rf"\hat z_{{{layer}}} = \frac{{z_{{{layer}}} - \mu}}{{\sigma}}"
        first_row.append(standardise + r",\ \sigma = \sqrt{\mathrm{var} + \epsilon}")
        first_row.append(rf"\tilde z_{{{layer}}} = \gamma_{{{layer}}} \odot \hat z_{{{layer}}} + \beta_{{{layer}}}")
        activation_input = rf"\tilde z_{{{layer}}}"
        words = [words[0] + ".", _norm_forward_words(trainer, shown, layer)]
    output = "h" if numbers_of.skip else "a"
    f_latex = ACTIVATION_FORMULAS.get(name, lambda x: rf"f({x})")(activation_input)
    second_row = [rf"{output}_{{{layer}}} = {f_latex}"]
    if len(words) == 1:
        words[0] += f", and passes that through {label} to give its output {output}."
    else:
        words.append(f"Then {label} turns z̃ into the layer's output {output}.")
    if numbers_of.skip:
        numbers["h"], symbols["h"], unit_of["h"] = numbers_of.h, f"h{s} = f(·)", layer
        second_row.append(rf"a_{{{layer}}} = a_{{{i}}} + h_{{{layer}}}")
        words.append(
            f"The skip connection (He et al. 2016) adds the layer's input to h: a{s} = a{_sub(i)} + h{s}, so the "
            "layer only has to learn a change to what it is given."
        )
    numbers["a"], symbols["a"], unit_of["a"] = (
        numbers_of.a,
        f"a{s}" + (f" = a{_sub(i)} + h{s}" if numbers_of.skip else ""),
        layer,
    )
    if numbers_of.dropout > 0:
        words.append(
            f"Dropout (p = {numbers_of.dropout:g}) is off in this step, as for predictions: every unit is kept and "
            "nothing is rescaled (training batches drop units at random and scale the rest by 1/(1 − p))."
        )
    if numbers_of.normalization == "none" and not numbers_of.skip:
        return r",\qquad ".join([dense, second_row[0]]), " ".join(words)
    return _rows(r",\qquad ".join(first_row), r",\qquad ".join(second_row)), " ".join(words)


def _norm_forward_words(trainer: Trainer, shown: Walkthrough, layer: int) -> str:
    numbers_of = shown.hidden[layer - 1]
    if numbers_of.normalization == "layer":
        return (
            f"Layer norm (Ba et al. 2016) standardises those z over the layer's {numbers_of.z.size} units, for this "
            f"example alone (μ = {_g4(numbers_of.mean)}, σ = {_g4(numbers_of.std)}: exact for one example, the "
            "same maths as in training), then scales each by γ and shifts it by β, both learned."
        )
    untrained = trainer.network.running[layer - 1].steps[0] == 0
    return (
        "Batch norm (Ioffe & Szegedy 2015) standardises each unit's z, then scales it by γ and shifts it by β, both "
        "learned. In training μ and σ are the batch's; one example is no batch (its own mean is z itself, and every "
        "ẑ would be 0), so this step uses the running averages of the training batches' statistics as fixed "
        "numbers, as predictions do"
        + (" (before any training batch: μ = 0, σ² = 1)" if untrained else "")
        + ", and does not change them. (Subtracting the batch's mean removes b: in training its gradient is 0 and b "
        "stays where it started; with fixed averages, as here, b does count.)"
    )


def _loss_step(trainer: Trainer, shown: Walkthrough) -> Step:
    L, loss, penalty, rule = len(shown.weights), shown.loss, shown.penalty, shown.regularization
    formula = LOSS_FORMULAS.get(shown.head, r"\ell")
    numbers = {"output": shown.outputs, "target": shown.target, "loss": np.float64(loss)}
    symbols = {"output": "ŷ", "target": "t", "loss": f"ℓ ({shown.loss_name})"}
    explanation = f"The {shown.loss_name} measures how far the answer ŷ is from the target t: {loss:.4g}."
    if rule:
        formula += r",\qquad L = \ell + " + PENALTY_FORMULAS[rule] + rf"\quad (\lambda = {shown.regularization_rate:g})"
        numbers |= {"penalty": np.float64(penalty), "total_loss": np.float64(loss + penalty)}
        symbols |= {"penalty": f"{rule.upper()} penalty", "total_loss": "L = ℓ + penalty"}
        explanation += (
            f" The {rule.upper()} regulariser adds {penalty:.4g} for the size of all the weights, "
            f"so L = {loss + penalty:.4g}."
        )
    else:
        formula += r",\qquad L = \ell"
    return Step(
        key="loss",
        kind="loss",
        layer=None,
        title=f"Loss: {shown.loss_name}",
        formula=formula,
        explanation=explanation,
        highlight_layer=L,
        numbers=numbers,
        symbols=symbols,
        unit_layer_of={"output": L, "target": L},
        weight_layer_of={},
        unit_values=_forward_so_far(shown, L),
        edge_values=None,
        unit_label="a (output)",
        edge_label="",
    )


def _backward_step(trainer: Trainer, shown: Walkthrough, layer: int) -> Step:
    i, L, rule = layer - 1, len(shown.weights), shown.regularization
    grad_terms = rf"\frac{{\partial L}}{{\partial W_{{{layer}}}}} = a_{{{i}}}\,\delta_{{{layer}}}^\top"
    if rule:
        grad_terms += " + " + REGULARIZER_GRADIENT_FORMULAS[rule] % layer
    grad_terms += rf",\quad \frac{{\partial L}}{{\partial b_{{{layer}}}}} = \delta_{{{layer}}}"
    numbers = {
        "delta": shown.deltas[i],
        "a_prev": shown.activations[i],
        "grad_W": shown.grad_weights[i],
        "grad_b": shown.grad_biases[i],
    }
    symbols = {
        "delta": f"δ{_sub(layer)}",
        "a_prev": f"a{_sub(i)}",
        "grad_W": f"∂L/∂W{_sub(layer)}",
        "grad_b": f"∂L/∂b{_sub(layer)}",
    }
    unit_of, weight_of = {"delta": layer, "a_prev": i, "grad_b": layer}, {"grad_W": i}
    if layer == L:
        formula = _rows(
            rf"\delta_{{{L}}} = \frac{{\partial \ell}}{{\partial z_{{{L}}}}} = \hat y - t,\qquad " + grad_terms
        )
        numbers |= {"output": shown.outputs, "target": shown.target}
        symbols |= {"output": "ŷ", "target": "t"}
        unit_of |= {"output": L, "target": L}
        title = "Backward pass, output layer"
        output_kind = "output function" if shown.head != "linear_mse" else "linear output"
        explanation = (
            f"For the {shown.loss_name} with its {output_kind}, "
            "the error at the output is simply ŷ − t; each weight into the output gets the error of its "
            "unit times the input it carries."
        )
    else:
        formula, explanation = _hidden_backward(trainer, shown, layer, numbers, symbols, unit_of, weight_of, grad_terms)
        title = f"Backward pass, layer {layer}"
    if rule:
        numbers |= {"grad_W_data": shown.data_grad_weights[i], "regularizer_grad_W": shown.regularizer_grad_weights[i]}
        symbols |= {"grad_W_data": f"a{_sub(i)}δ{_sub(layer)}ᵀ", "regularizer_grad_W": f"{rule.upper()} term"}
        weight_of |= {"grad_W_data": i, "regularizer_grad_W": i}
    numbers = {name: numbers[name] for name in BACKWARD_READING_ORDER if name in numbers}
    return Step(
        key=f"backward_{layer}",
        kind="backward",
        layer=layer,
        title=title,
        formula=formula,
        explanation=explanation,
        highlight_layer=layer,
        numbers=numbers,
        symbols=symbols,
        unit_layer_of=unit_of,
        weight_layer_of=weight_of,
        unit_values={k: shown.deltas[k - 1] for k in range(L, layer - 1, -1)},
        edge_values=(i, shown.grad_weights[i]),
        edge_values_by_layer={i: shown.grad_weights[i]},
        unit_label="δ = ∂L/∂z",
        edge_label=f"∂L/∂W{_sub(layer)}",
    )


def _hidden_backward(trainer, shown, layer, numbers, symbols, unit_of, weight_of, grad_terms) -> tuple[str, str]:
    """A hidden layer's backward formula and words, adding its parts' numbers to the tables (in place)."""
    i, s, above, numbers_of = layer - 1, _sub(layer), _sub(layer + 1), shown.hidden[layer - 1]
    name = trainer.network.hidden_activation_names[i]
    f_latex = DERIVATIVE_FORMULAS.get(name, r"f'(z)")
    numbers |= {"delta_next": shown.deltas[layer], "W_next": shown.weights[layer]}
    numbers |= {"backpropagated": numbers_of.backpropagated, "f_prime": numbers_of.f_prime}
    symbols |= {"delta_next": f"δ{above}", "W_next": f"W{above}", "backpropagated": f"W{above}δ{above}"}
    unit_of |= {"delta_next": layer + 1, "backpropagated": layer, "f_prime": layer}
    weight_of |= {"W_next": layer}
    normalized = numbers_of.normalization != "none"
    symbols["f_prime"] = f"f′(z̃{s})" if normalized else f"f′(z{s})"
    words = [
        f"Each unit of layer {layer} collects the errors of the layer above through the weights that connect them "
        f"(W δ), times its own slope f′ ({get_activation(name).label}): a small slope shrinks the error that flows "
        "further down."
    ]
    if numbers_of.skip_grad is None and not normalized:  # the textbook's one line
        formula = (
            rf"\delta_{{{layer}}} = \left(W_{{{layer + 1}}}\,\delta_{{{layer + 1}}}\right) \odot f'(z_{{{layer}}}),"
            rf"\quad f'(z) = {f_latex}"
        )
        return _rows(formula + r",\qquad " + grad_terms), " ".join(words + _backward_notes(numbers_of, layer))
    from_above = rf"{_d('L', f'a_{{{layer}}}')} = W_{{{layer + 1}}}\,\delta_{{{layer + 1}}}"
    if numbers_of.skip_grad is not None:
        from_above += " + " + _d("L", f"a_{{{layer + 1}}}")
        numbers |= {"skip_grad": numbers_of.skip_grad, "grad_a": numbers_of.grad_a}
        symbols |= {"skip_grad": f"∂L/∂a{above} (skip)", "grad_a": f"∂L/∂a{s}"}
        unit_of |= {"skip_grad": layer + 1, "grad_a": layer}
        words.append(
            f"Layer {layer + 1} has a skip connection (a{above} = a{s} + h{above}), so the error reaching a{s} has two "
            f"parts: W δ through its weights, and ∂L/∂a{above} itself, passed down the skip unchanged (times 1): "
            "however small the slopes above, that part does not shrink."
        )
    slope = rf"f'(\tilde z_{{{layer}}})" if normalized else rf"f'(z_{{{layer}}})"
    target = _d("L", rf"\tilde z_{{{layer}}}") if normalized else rf"\delta_{{{layer}}}"
    activation_row = rf"{target} = {_d('L', f'a_{{{layer}}}')} \odot {slope},\quad f'(z) = {f_latex}"
    norm_row = ""
    if normalized:
        numbers |= {"grad_normalized": numbers_of.grad_normalized, "gamma": numbers_of.gamma, "x_hat": numbers_of.x_hat}
        numbers |= {"std": numbers_of.std, "grad_gamma": numbers_of.grad_gamma, "grad_beta": numbers_of.grad_beta}
        symbols |= {"grad_normalized": f"∂L/∂z̃{s}", "gamma": f"γ{s}", "x_hat": f"ẑ{s}", "std": f"σ{s}"}
        symbols |= {"grad_gamma": f"∂L/∂γ{s}", "grad_beta": f"∂L/∂β{s}"}
        unit_of |= {key: layer for key in ("grad_normalized", "gamma", "x_hat", "grad_gamma", "grad_beta")}
        if numbers_of.normalization == "batch":
            unit_of["std"] = layer
        norm_row, norm_words = _norm_backward(numbers_of.normalization, layer)
        words.append(norm_words)
    return (
        _rows(from_above + r",\qquad " + activation_row, norm_row, grad_terms),
        " ".join(words + _backward_notes(numbers_of, layer)),
    )


def _norm_backward(kind: str, layer: int) -> tuple[str, str]:
    """The normalisation's backward row (LaTeX) and words, for batch norm with fixed statistics or layer norm."""
    l = layer
    dz_tilde, d_gamma, d_beta = _d("L", rf"\tilde z_{{{l}}}"), _d("L", rf"\gamma_{{{l}}}"), _d("L", rf"\beta_{{{l}}}")
    params = rf"{d_gamma} = {dz_tilde} \odot \hat z_{{{l}}},\quad {d_beta} = {dz_tilde}"
    if kind == "batch":
        row = params + rf",\quad \delta_{{{l}}} = \frac{{\gamma_{{{l}}} \odot {dz_tilde}}}{{\sigma}}"
        words = (
            "Batch norm with fixed statistics (the running averages) is a per-unit scale and shift, so the error "
            "passes back times γ/σ; γ's gradient is the error times ẑ, β's the error itself."
        )
        return row, words
    row = (
        params + rf",\quad g = \gamma_{{{l}}} \odot {dz_tilde},\quad "
        rf"\delta_{{{l}}} = \frac{{g - \overline{{g}} - \hat z_{{{l}}}\,\overline{{g \odot \hat z_{{{l}}}}}}}{{\sigma}}"
    )
    words = (
        "Layer norm's μ and σ depend on every unit of this example, so the error g = γ ∂L/∂z̃ loses its mean "
        "(the bars: means over the layer's units) and its part along ẑ before it is divided by σ; γ's gradient "
        "is the error times ẑ, β's the error itself."
    )
    return row, words


def _backward_notes(numbers_of, layer: int) -> list[str]:
    notes = []
    if numbers_of.dropout > 0:
        notes.append("Dropout is off in this step, so the error passes through it unchanged.")
    if numbers_of.skip and layer > 1:
        notes.append(
            f"This layer's own skip connection sends ∂L/∂a{_sub(layer)} on to layer {layer - 1} unchanged (added "
            "there in the next step)."
        )
    return notes


def _optimizer_words(optimizer) -> tuple[str, str]:
    """The optimiser's update rule (LaTeX) and what it does, in words, for its next step."""
    lr = optimizer.learning_rate
    label = getattr(optimizer, "label", type(optimizer).__name__)
    if hasattr(optimizer, "first_moment"):  # Adam
        t = optimizer.steps_taken + 1
        return (
            r"m \leftarrow \beta_1 m + (1-\beta_1)\,g,\quad v \leftarrow \beta_2 v + (1-\beta_2)\,g^2,\quad "
            r"\Delta\theta = -\eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}"
            rf"\qquad (t = {t},\ \eta = {lr:g})",
            f"Adam divides a running mean of the gradient (m) by the square root of a running mean of its "
            f"square (v): this is its step number {t}, so each parameter moves by about η = {lr:g} at most, "
            "however small its gradient.",
        )
    if hasattr(optimizer, "velocity"):
        mu = optimizer.momentum
        return (
            r"v \leftarrow \mu v - \eta\,\frac{\partial L}{\partial \theta},\qquad \Delta\theta = v"
            rf"\qquad (\mu = {mu:g},\ \eta = {lr:g})",
            f"Momentum keeps a running velocity v: the old one times μ = {mu:g}, minus "
            f"η = {lr:g} times this gradient; the step is that velocity, so past gradients still push.",
        )
    if label == "SGD":
        return (
            r"\Delta W = -\eta\,\frac{\partial L}{\partial W},\qquad \Delta b = -\eta\,\frac{\partial L}{\partial b}"
            rf"\qquad (\eta = {lr:g})",
            f"Plain SGD moves every parameter against its gradient, scaled by the learning rate η = {lr:g}.",
        )
    return r"\Delta\theta = \text{%s step}" % label, f"The {label} optimiser's next step."


def _clip_words(shown: Walkthrough) -> tuple[str, str]:
    if shown.clip_max <= 0:
        return "", ""
    formula = r"g \leftarrow g \cdot \min\!\left(1, \frac{c}{\lVert g \rVert}\right)" + rf"\ (c = {shown.clip_max:g})"
    if shown.clipped:
        words = (
            f"Gradient clipping (Pascanu et al. 2013): this step's gradient has global norm ‖g‖ = "
            f"{_g4(shown.gradient_norm)}, above the maximum c = {shown.clip_max:g}, so the whole gradient is scaled by "
            f"c/‖g‖ = {_g4(shown.clip_scale)} before the optimiser's step: its direction is kept, only its length "
            "is capped. "
        )
    else:
        words = (
            f"Gradient clipping is on (maximum norm c = {shown.clip_max:g}); this step's gradient has norm "
            f"{_g4(shown.gradient_norm)} ≤ c, so it is not scaled. "
        )
    return formula, words


def _update_step(trainer: Trainer, shown: Walkthrough, layout: ParameterLayout) -> Step:
    L = len(shown.weights)
    state_per_layer = {name: layout.views(vector, "weight") for name, vector in shown.optimizer_state.items()}
    short = {"velocity_before": "v (before)", "velocity": "v", "first_moment": "m", "second_moment": "v"}
    numbers, symbols, unit_of, weight_of = {}, {}, {}, {}
    step_gradient = layout.views(shown.step_gradient, "weight") if shown.clipped else None  # what the step used
    for layer in range(1, L + 1):
        i, s = layer - 1, _sub(layer)
        numbers |= {
            f"update_W{layer}": shown.update_weights[i],
            f"update_b{layer}": shown.update_biases[i],
            f"grad_W{layer}": shown.grad_weights[i],
            f"grad_b{layer}": shown.grad_biases[i],
            f"W{layer}": shown.weights[i],
        }
        symbols |= {
            f"update_W{layer}": f"ΔW{s}",
            f"update_b{layer}": f"Δb{s}",
            f"grad_W{layer}": f"∂L/∂W{s}",
            f"grad_b{layer}": f"∂L/∂b{s}",
            f"W{layer}": f"W{s} (now)",
        }
        unit_of |= {f"update_b{layer}": layer, f"grad_b{layer}": layer}
        weight_of |= {f"update_W{layer}": i, f"grad_W{layer}": i, f"W{layer}": i}
        if step_gradient is not None:
            numbers[f"clipped_grad_W{layer}"] = step_gradient[i]
            symbols[f"clipped_grad_W{layer}"] = f"∂L/∂W{s} × {_g4(shown.clip_scale)} (clipped)"
            weight_of[f"clipped_grad_W{layer}"] = i
        if shown.gammas and layer < L:
            numbers |= {f"update_gamma{layer}": shown.update_gammas[i], f"update_beta{layer}": shown.update_betas[i]}
            numbers |= {f"grad_gamma{layer}": shown.grad_gammas[i], f"grad_beta{layer}": shown.grad_betas[i]}
            symbols |= {f"update_gamma{layer}": f"Δγ{s}", f"update_beta{layer}": f"Δβ{s}"}
            symbols |= {f"grad_gamma{layer}": f"∂L/∂γ{s}", f"grad_beta{layer}": f"∂L/∂β{s}"}
            unit_of |= {f"{name}{layer}": layer for name in ("update_gamma", "update_beta", "grad_gamma", "grad_beta")}
        for state_name, state_W in state_per_layer.items():
            numbers[f"{state_name}_W{layer}"] = state_W[i]
            symbols[f"{state_name}_W{layer}"] = f"{short.get(state_name, state_name)} of W{s}"
            weight_of[f"{state_name}_W{layer}"] = i
    numbers["learning_rate"] = np.float64(trainer.optimizer.learning_rate)
    symbols["learning_rate"] = "η (learning rate)"
    clip_formula, clip_text = _clip_words(shown)
    if clip_formula:
        numbers |= {"gradient_norm": np.float64(shown.gradient_norm), "clip_max": np.float64(shown.clip_max)}
        numbers["clip_scale"] = np.float64(shown.clip_scale)
        symbols |= {"gradient_norm": "‖g‖ (global norm)", "clip_max": "c (max norm)", "clip_scale": "scale"}
    update_formula, update_text = _optimizer_words(trainer.optimizer)
    formula = _rows(clip_formula, update_formula + r",\qquad W \leftarrow W + \Delta W")
    explanation = clip_text + update_text + " Applying it is one Step on this point alone."
    if shown.gammas:
        explanation += " γ and β move by the same rule as the weights."
    if shown.normalization == "batch":
        explanation += " Batch norm's running averages stay as they are: only training batches update them."
    return Step(
        key="update",
        kind="update",
        layer=None,
        title=f"Update: one {getattr(trainer.optimizer, 'label', 'optimiser')} step",
        formula=formula,
        explanation=explanation,
        highlight_layer=None,
        numbers=numbers,
        symbols=symbols,
        unit_layer_of=unit_of,
        weight_layer_of=weight_of,
        unit_values={layer: shown.update_biases[layer - 1] for layer in range(1, L + 1)},
        edge_values=(0, shown.update_weights[0]),
        edge_values_by_layer={i: shown.update_weights[i] for i in range(L)},
        unit_label="Δb (bias update)",
        edge_label="ΔW₁ (weight update)",
    )
