"""One training step on one example, spelled out: the numbers of the backprop walkthrough.

``walkthrough(trainer, index)`` follows training row ``index`` (a row of ``trainer.train_points``)
through one optimiser step on that single example (a batch of 1): the inputs as the network sees
them, each layer's z and a, the head's output and the loss, the output error, each layer's delta,
dL/dW and dL/db, and the update the run's optimiser would make. Nothing in the trainer changes:
the optimiser is stepped on a copy. ``apply_walkthrough`` then makes that step for real.

This is the teaching version of the maths. The engine (``playground.engine.network.Pass``) computes the
same things in batches, in place, with merged calls; here every quantity is computed explicitly, one
example at a time, in the textbook's column-vector notation, and ``tests/test_walkthrough.py``
proves the numbers equal the engine's (and an independent autodiff and central differences).

Notation (one example, so vectors, not (n, ...) arrays; ``playground.engine.network`` has the batch form):
  unit layer k: 0 = the inputs, 1 .. L-1 the hidden layers, L the outputs; n_k units each
  weight layer l (1-based in the text, as the UI counts): W_l = network.weights[l - 1], (n_{l-1}, n_l);
      its 0-based index l - 1 is what ``edge_values`` use, as ``network.weights`` does
  z_l = W_l^T a_{l-1} + b_l (n_l,);  a_l = f(z_l) (n_l,);  a_0 = x, the inputs;  a_L = y_hat, the outputs
  delta_l = dL/dz_l (n_l,): delta_L = y_hat - t; delta_l = (W_{l+1} delta_{l+1}) * f'(z_l)
  dL/dW_l = a_{l-1} delta_l^T (+ the regulariser's term) (n_{l-1}, n_l);  dL/db_l = delta_l (n_l,)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from playground.data.datasets import DOMAIN_HALF_WIDTH, FEATURES
from playground.engine.activations import ELU_ALPHA, LEAKY_RELU_SLOPE, get_activation
from playground.engine.network import Network, layer_views
from playground.engine.optimizers import SGD, Adam, Momentum
from playground.training.trainer import Trainer

# ---- units as the walkthrough and the network diagram name them ---------------------------------


def unit_labels(trainer: Trainer) -> list[list[str]]:
    """Labels of every unit, per unit layer 0 .. L: inputs by feature (X₁, X₁², ...) or pixel
    (px3,4 = row 3, column 4 of the 8x8 image), hidden units h{layer}.{unit} (both 1-based: h2.3 is
    layer 2's third unit), outputs "out" (one output) or out.{class} (the class label, 0-based like
    the data's labels: out.7 is the output for digit 7)."""
    sizes = trainer.network.layer_sizes
    if trainer.inputs == "image":
        side = int(round(sizes[0] ** 0.5))
        inputs = [f"px{row + 1},{column + 1}" for row in range(side) for column in range(side)]
    else:
        inputs = [FEATURES[name][0] for name in trainer.config.features]
    hidden = [[f"h{layer}.{unit + 1}" for unit in range(width)] for layer, width in enumerate(sizes[1:-1], 1)]
    outputs = ["out"] if sizes[-1] == 1 else [f"out.{k}" for k in range(sizes[-1])]
    return [inputs, *hidden, outputs]


# ---- the explicit maths: activations' derivatives, the losses, the regularisers, the optimisers ----
# f'(z) per activation, as a formula (LaTeX) and as a function of (z, a): the textbook forms.
DERIVATIVES = {
    "sigmoid": (r"\sigma(z)\,(1 - \sigma(z)) = a\,(1 - a)", lambda z, a: a * (1.0 - a)),
    "tanh": (r"1 - \tanh^2 z = 1 - a^2", lambda z, a: 1.0 - a * a),
    "relu": (r"1 \text{ if } z > 0 \text{ else } 0", lambda z, a: (z > 0).astype(np.float64)),
    "leaky_relu": (
        rf"1 \text{{ if }} z > 0 \text{{ else }} {LEAKY_RELU_SLOPE:g}",
        lambda z, a: np.where(z > 0, 1.0, LEAKY_RELU_SLOPE),
    ),
    "elu": (
        r"1 \text{ if } z > 0 \text{ else } \alpha e^{z}",
        lambda z, a: np.where(z > 0, 1.0, ELU_ALPHA * np.exp(z)),
    ),
    "linear": ("1", lambda z, a: np.ones_like(z)),
}
# a_k = f(z_k) in LaTeX, per activation, for layer k
ACTIVATION_FORMULAS = {
    "sigmoid": lambda k: rf"\sigma(z_{{{k}}}) = \frac{{1}}{{1 + e^{{-z_{{{k}}}}}}}",
    "tanh": lambda k: rf"\tanh(z_{{{k}}})",
    "relu": lambda k: rf"\max(0,\, z_{{{k}}})",
    "leaky_relu": lambda k: rf"\max({LEAKY_RELU_SLOPE:g}\,z_{{{k}}},\, z_{{{k}}})",
    "elu": lambda k: rf"\mathrm{{ELU}}(z_{{{k}}})",
    "linear": lambda k: rf"z_{{{k}}}",
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
PENALTY_FORMULAS = {
    "l2": r"\lambda \cdot \tfrac{1}{2} \sum W^2",
    "l1": r"\lambda \sum |W|",
}
REGULARIZER_GRADIENT_FORMULAS = {"l2": r"\lambda W_{%d}", "l1": r"\lambda\,\mathrm{sign}(W_{%d})"}


def _activation_value(name: str, z: np.ndarray) -> np.ndarray:
    """a = f(z), from the definition (the registry's functions for anything this table does not know)."""
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^-z), without overflow
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "linear":
        return z.copy()
    return get_activation(name).value(z)


def _derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    if name in DERIVATIVES:
        return DERIVATIVES[name][1](z, a)
    return get_activation(name).derivative(a)


def _head_output(head: str, z: np.ndarray) -> np.ndarray:
    """y_hat from the logits z (n_outputs,)."""
    if head == "sigmoid_bce":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if head == "softmax_ce":
        exp = np.exp(z - z.max())  # shifting by the max changes nothing but keeps exp finite
        return exp / exp.sum()
    return z.copy()


def _head_loss(head: str, z: np.ndarray, t: np.ndarray) -> float:
    """The loss of one example from its logits z and targets t (n_outputs,), in a form that stays finite."""
    if head == "sigmoid_bce":
        # -[t log s + (1 - t) log(1 - s)] with s = sigmoid(z) equals log(1 + e^z) - t z
        return float(np.logaddexp(0.0, z[0]) - t[0] * z[0])
    if head == "softmax_ce":
        # -log softmax(z)_true = log sum_j e^z_j - z_true
        top = z.max()
        return float(np.log(np.exp(z - top).sum()) + top - np.dot(t, z))
    return float(0.5 * (z[0] - t[0]) ** 2)


def _regularizer(name: str, rate: float) -> str | None:
    return name if name != "none" and rate > 0 else None


def _penalty(name: str | None, rate: float, weights: list[np.ndarray]) -> float:
    if name == "l2":
        return rate * 0.5 * float(sum(np.sum(W * W) for W in weights))
    if name == "l1":
        return rate * float(sum(np.sum(np.abs(W)) for W in weights))
    return 0.0


def _regularizer_gradient(name: str | None, rate: float, W: np.ndarray) -> np.ndarray:
    if name == "l2":
        return rate * W
    if name == "l1":
        return rate * np.sign(W)
    return np.zeros_like(W)


def _optimizer_update(optimizer, grad: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray], str, str]:
    """The step the optimiser would make next, from its state and the gradient (flat, (n_parameters,)).

    Returns (update, the optimiser's state it used or makes (flat arrays), LaTeX, its description).
    Read-only: the optimiser is not changed (its own ``step`` runs on a copy, see ``walkthrough``).
    """
    lr = optimizer.learning_rate
    if isinstance(optimizer, SGD):
        return (
            -(lr * grad),
            {},
            r"\Delta W = -\eta\,\frac{\partial L}{\partial W},\qquad \Delta b = -\eta\,\frac{\partial L}{\partial b}"
            rf"\qquad (\eta = {lr:g})",
            f"Plain SGD moves every parameter against its gradient, scaled by the learning rate η = {lr:g}.",
        )
    if isinstance(optimizer, Momentum):
        velocity = optimizer.momentum * optimizer.velocity - lr * grad
        return (
            velocity,
            {"velocity_before": optimizer.velocity.copy(), "velocity": velocity},
            r"v \leftarrow \mu v - \eta\,\frac{\partial L}{\partial \theta},\qquad \Delta\theta = v"
            rf"\qquad (\mu = {optimizer.momentum:g},\ \eta = {lr:g})",
            f"Momentum keeps a running velocity v: the old one times μ = {optimizer.momentum:g}, minus "
            f"η = {lr:g} times this gradient; the step is that velocity, so past gradients still push.",
        )
    if isinstance(optimizer, Adam):
        t = optimizer.steps_taken + 1
        b1, b2, eps = optimizer.beta1, optimizer.beta2, optimizer.epsilon
        first = b1 * optimizer.first_moment + (1.0 - b1) * grad
        second = b2 * optimizer.second_moment + (1.0 - b2) * (grad * grad)
        first_hat, second_hat = first / (1.0 - b1**t), second / (1.0 - b2**t)
        update = -((lr * first_hat) / (np.sqrt(second_hat) + eps))
        return (
            update,
            {"first_moment": first, "second_moment": second},
            r"m \leftarrow \beta_1 m + (1-\beta_1)\,g,\quad v \leftarrow \beta_2 v + (1-\beta_2)\,g^2,\quad "
            r"\Delta\theta = -\eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}"
            rf"\qquad (t = {t},\ \eta = {lr:g})",
            f"Adam divides a running mean of the gradient (m) by the square root of a running mean of its "
            f"square (v): this is its step number {t}, so each parameter moves by about η = {lr:g} at most, "
            "however small its gradient.",
        )
    stepped, theta = copy.deepcopy(optimizer), np.zeros_like(grad)
    stepped.step(theta, grad.copy())  # another optimiser: its own step on a copy, from theta = 0
    label = getattr(optimizer, "label", type(optimizer).__name__)
    return theta, {}, r"\Delta\theta = \text{%s step}" % label, f"The {label} optimiser's next step."


# ---- the steps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough, as the panel shows it and the network diagram marks it.

    key: stable name: "inputs", "forward_{l}", "loss", "backward_{l}" (l = 1 .. L, the weight layer,
        1-based), "update".
    kind: "inputs", "forward", "loss", "backward" or "update".
    layer: the weight layer the step is about, 1-based (None for inputs, loss and update).
    title, formula (LaTeX for st.latex), explanation (one plain sentence or two).
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


@dataclass(frozen=True)
class Walkthrough:
    """One training step on training row ``index`` at ``epoch``, every number of it.

    point: the row as stored (2D point (2,) in data coordinates, or an image (64,)); label: its y.
    inputs: a_0 = x (n_0,), the features the network sees; target: t (n_L,) (one-hot for softmax).
    pre_activations: [z_1, ..., z_L], each (n_l,); activations: [a_0, ..., a_L], a_L = outputs (n_L,).
    loss: the head's loss of this example; penalty: the regulariser's term (0 when off).
    deltas: [delta_1, ..., delta_L], each (n_l,).
    grad_weights / grad_biases: [dL/dW_l (n_{l-1}, n_l)] / [dL/db_l (n_l,)], regulariser included.
    update_weights / update_biases: what the optimiser's step adds to each W_l / b_l, same shapes.
    theta_before: the flat parameters the walkthrough was computed at (n_parameters,).
    optimizer_after: a copy of the run's optimiser after this step (its velocity or moments moved on).
    steps: what the panel walks through, in order.
    """

    index: int
    epoch: int
    head: str
    loss_name: str
    regularization: str | None
    regularization_rate: float
    point: np.ndarray
    label: float
    inputs: np.ndarray
    target: np.ndarray
    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    loss: float
    penalty: float
    deltas: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    update_weights: list[np.ndarray]
    update_biases: list[np.ndarray]
    optimizer_state: dict[str, np.ndarray]
    theta_before: np.ndarray
    optimizer_after: object
    labels: list[list[str]]
    steps: list[Step]

    @property
    def outputs(self) -> np.ndarray:
        return self.activations[-1]

    @property
    def total_loss(self) -> float:
        return self.loss + self.penalty

    @property
    def update(self) -> np.ndarray:
        """The whole update as one flat vector in theta's layout, (n_parameters,)."""
        return np.concatenate(
            [np.concatenate([dW.ravel(), db]) for dW, db in zip(self.update_weights, self.update_biases)]
        )

    @property
    def theta_after(self) -> np.ndarray:
        """theta_before + update: the parameters after the step (n_parameters,)."""
        return self.theta_before + self.update


def step_count(network: Network) -> int:
    """How many steps a walkthrough of ``network`` has: inputs, L forward, the loss, L backward, the update."""
    return 2 * network.n_layers + 3


def check_index(trainer: Trainer, index) -> int:
    """``index`` as a valid training row, or ValueError saying which rows exist."""
    n_train = trainer.y_train.shape[0]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n_train:
        raise ValueError(f"training row must be a whole number from 0 to {n_train - 1}, got {index!r}")
    return int(index)


def walkthrough(trainer: Trainer, index: int, network: Network | None = None) -> Walkthrough:
    """The steps of one training step on training row ``index`` alone (a batch of 1).

    ``network`` defaults to the trainer's own (its current weights); nothing is changed.
    """
    index = check_index(trainer, index)
    network = trainer.network if network is None else network
    c = trainer.config
    head = network.head.name
    names = network.hidden_activation_names
    L = network.n_layers
    weights = [W.copy() for W in network.weights]
    biases = [b.copy() for b in network.biases]
    x = np.array(trainer.X_train[index], dtype=np.float64)
    label = float(trainer.y_train[index])
    target = network.targets(np.array([label]))[0]
    rule = _regularizer(c.regularization, c.regularization_rate)
    rate = c.regularization_rate if rule else 0.0

    with np.errstate(all="ignore"):  # a diverged run has NaN weights: shown as they are, not warned about
        # forward: z_l = W_l^T a_{l-1} + b_l, a_l = f(z_l); the last layer's a is the head's output
        zs, activations = [], [x]
        for layer in range(L):
            z = weights[layer].T @ activations[-1] + biases[layer]
            zs.append(z)
            activations.append(_activation_value(names[layer], z) if layer < L - 1 else _head_output(head, z))
        loss = _head_loss(head, zs[-1], target)
        penalty = _penalty(rule, rate, weights)
        # backward: delta_L = y_hat - t; delta_l = (W_{l+1} delta_{l+1}) * f'(z_l)
        deltas: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        backpropagated: list[np.ndarray | None] = [None] * L
        derivatives: list[np.ndarray | None] = [None] * L
        deltas[L - 1] = activations[-1] - target
        for layer in range(L - 2, -1, -1):
            backpropagated[layer] = weights[layer + 1] @ deltas[layer + 1]
            derivatives[layer] = _derivative(names[layer], zs[layer], activations[layer + 1])
            deltas[layer] = backpropagated[layer] * derivatives[layer]
        data_grads = [np.outer(activations[layer], deltas[layer]) for layer in range(L)]
        regularizer_grads = [_regularizer_gradient(rule, rate, W) for W in weights]
        grad_weights = [g + r if rule else g for g, r in zip(data_grads, regularizer_grads)]
        grad_biases = [delta.copy() for delta in deltas]
        flat_grad = np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in zip(grad_weights, grad_biases)])
        update, state, update_formula, update_text = _optimizer_update(trainer.optimizer, flat_grad)
        optimizer_after = copy.deepcopy(trainer.optimizer)
        optimizer_after.step(network.theta.copy(), flat_grad.copy())  # advances only the copy's state
    update_weights, update_biases = (list(views) for views in layer_views(update, network.layer_sizes))
    state_per_layer = {name: layer_views(vector, network.layer_sizes) for name, vector in state.items()}

    labels = unit_labels(trainer)
    steps = _steps(
        trainer,
        network,
        labels,
        trainer.train_points[index],
        x,
        label,
        target,
        weights,
        biases,
        zs,
        activations,
        loss,
        penalty,
        rule,
        rate,
        deltas,
        backpropagated,
        derivatives,
        data_grads,
        regularizer_grads,
        grad_weights,
        grad_biases,
        update_weights,
        update_biases,
        state_per_layer,
        update_formula,
        update_text,
    )
    return Walkthrough(
        index=index,
        epoch=trainer.epoch,
        head=head,
        loss_name=LOSS_NAMES.get(head, network.head.label),
        regularization=rule,
        regularization_rate=rate,
        point=np.array(trainer.train_points[index], dtype=np.float64),
        label=label,
        inputs=x,
        target=target,
        pre_activations=zs,
        activations=activations,
        loss=loss,
        penalty=penalty,
        deltas=deltas,
        grad_weights=grad_weights,
        grad_biases=grad_biases,
        update_weights=update_weights,
        update_biases=update_biases,
        optimizer_state=state,
        theta_before=network.theta.copy(),
        optimizer_after=optimizer_after,
        labels=labels,
        steps=steps,
    )


# The order the chain rule is read in: the error from above, through the weights, times the slope, gives
# delta; then the gradients. (Tables list their columns in this order.)
BACKWARD_READING_ORDER = (
    "delta_next",
    "W_next",
    "output",
    "target",
    "backpropagated",
    "f_prime",
    "delta",
    "grad_b",
    "a_prev",
    "grad_W",
    "grad_W_data",
    "regularizer_grad_W",
)


def _sub(k: int | str) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# How each input feature is computed from the point (x₁, x₂) on the plane (datasets.make_features): the
# coordinates are divided by DOMAIN_HALF_WIDTH first; sin takes the raw coordinate.
_H = f"{DOMAIN_HALF_WIDTH:g}"
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
    ``point``: (2,) the point in the plane's coordinates; ``x``: (n_features,) the inputs a_0.
    E.g. "The point (x₁, x₂) = (0.7815, 0.000933) on the plane enters the network as x = (0.1302, 0.0001555):
    X₁ = x₁/6 = 0.1302, X₂ = x₂/6 = 0.0001555. ..." (the numbers rounded as the tables round them).
    """
    if features is None:
        return (
            "The 64 inputs are the image's pixels, row by row: 0 is white paper, 1 full ink (the data set's "
            "0–16 grey levels divided by 16)."
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


def _steps(
    trainer,
    network,
    labels,
    point,
    x,
    label,
    target,
    weights,
    biases,
    zs,
    activations,
    loss,
    penalty,
    rule,
    rate,
    deltas,
    backpropagated,
    derivatives,
    data_grads,
    regularizer_grads,
    grad_weights,
    grad_biases,
    update_weights,
    update_biases,
    state_per_layer,
    update_formula,
    update_text,
) -> list[Step]:
    L = network.n_layers
    head = network.head.name
    names = network.hidden_activation_names
    scalar = np.float64
    steps: list[Step] = []

    def forward_so_far(last: int) -> dict[int, np.ndarray]:
        return {k: activations[k] for k in range(last + 1)}

    # 1. the inputs
    what = "8x8 image's 64 pixel intensities" if trainer.inputs == "image" else "point's input features"
    numbers = {"x": x}
    symbols = {"x": "x = a₀"}
    if trainer.inputs != "image":
        numbers["point"] = np.array(point, dtype=np.float64)
        symbols["point"] = "the point (x₁, x₂) on the plane"
    shown_label = int(label) if network.head.problem != "regression" else label
    steps.append(
        Step(
            "inputs",
            "inputs",
            None,
            "Inputs: what the network sees",
            r"a_0 = x",
            input_scaling_text(trainer.config.features if trainer.inputs != "image" else None, point, x)
            + f" The network sees this {what} (true answer t = {shown_label:g}); every number that follows is "
            "computed from them and the current weights.",
            0,
            numbers,
            symbols,
            {"x": 0},
            {},
            {0: x},
            None,
            {},
            "x (input)",
            "",
        )
    )
    # 2. the forward pass, layer by layer
    for layer in range(1, L + 1):
        i = layer - 1
        output_layer = layer == L
        if output_layer:
            kind_text = {"sigmoid_bce": "sigmoid", "softmax_ce": "softmax", "linear_mse": "identity"}.get(
                head, "output"
            )
            output_formula = {
                "sigmoid_bce": rf"\hat y = \sigma(z_{{{L}}}) = \frac{{1}}{{1 + e^{{-z_{{{L}}}}}}}",
                "softmax_ce": rf"\hat y_k = \frac{{e^{{z_{{{L},k}}}}}}{{\sum_j e^{{z_{{{L},j}}}}}}",
                "linear_mse": rf"\hat y = z_{{{L}}}",
            }.get(head, r"\hat y")
            formula = rf"z_{{{L}}} = W_{{{L}}}^\top a_{{{L - 1}}} + b_{{{L}}},\qquad " + output_formula
            explanation = (
                f"Each output unit weighs the last layer's outputs and adds its bias (z), then the {kind_text} "
                f"turns z into the network's answer ŷ."
            )
            title = "Forward pass, output layer"
            symbols = {
                "a_prev": f"a{_sub(i)}",
                "W": f"W{_sub(layer)}",
                "b": f"b{_sub(layer)}",
                "z": f"z{_sub(layer)}",
                "a": "ŷ",
            }
        else:
            name = names[i]
            f_latex = ACTIVATION_FORMULAS.get(name, lambda k: rf"f(z_{{{k}}})")(layer)
            formula = rf"z_{{{layer}}} = W_{{{layer}}}^\top a_{{{i}}} + b_{{{layer}}},\qquad a_{{{layer}}} = {f_latex}"
            explanation = (
                f"Each unit of hidden layer {layer} adds up its inputs times their weights, plus its bias (z), "
                f"and passes that through {get_activation(name).label} to give its output a."
            )
            title = f"Forward pass, layer {layer}"
            symbols = {
                "a_prev": f"a{_sub(i)}",
                "W": f"W{_sub(layer)}",
                "b": f"b{_sub(layer)}",
                "z": f"z{_sub(layer)}",
                "a": f"a{_sub(layer)}",
            }
        steps.append(
            Step(
                f"forward_{layer}",
                "forward",
                layer,
                title,
                formula,
                explanation,
                layer,
                {"a_prev": activations[i], "W": weights[i], "b": biases[i], "z": zs[i], "a": activations[layer]},
                symbols,
                {"a_prev": i, "b": layer, "z": layer, "a": layer},
                {"W": i},
                forward_so_far(layer),
                (i, weights[i]),
                {i: weights[i]},
                "a (output)",
                f"w (W{_sub(layer)})",
            )
        )
    # 3. the loss
    loss_name = LOSS_NAMES.get(head, network.head.label)
    formula = LOSS_FORMULAS.get(head, r"\ell")
    numbers = {"output": activations[-1], "target": target, "loss": scalar(loss)}
    symbols = {"output": "ŷ", "target": "t", "loss": f"ℓ ({loss_name})"}
    explanation = f"The {loss_name} measures how far the answer ŷ is from the target t: {loss:.4g}."
    if rule:
        formula += r",\qquad L = \ell + " + PENALTY_FORMULAS[rule] + rf"\quad (\lambda = {rate:g})"
        numbers |= {"penalty": scalar(penalty), "total_loss": scalar(loss + penalty)}
        symbols |= {"penalty": f"{rule.upper()} penalty", "total_loss": "L = ℓ + penalty"}
        explanation += (
            f" The {rule.upper()} regulariser adds {penalty:.4g} for the size of all the weights, "
            f"so L = {loss + penalty:.4g}."
        )
    else:
        formula += r",\qquad L = \ell"
    steps.append(
        Step(
            "loss",
            "loss",
            None,
            f"Loss: {loss_name}",
            formula,
            explanation,
            L,
            numbers,
            symbols,
            {"output": L, "target": L},
            {},
            forward_so_far(L),
            None,
            {},
            "a (output)",
            "",
        )
    )
    # 4. the backward pass, from the output layer down
    for layer in range(L, 0, -1):
        i = layer - 1
        grad_terms = rf"\frac{{\partial L}}{{\partial W_{{{layer}}}}} = a_{{{i}}}\,\delta_{{{layer}}}^\top"
        if rule:
            grad_terms += " + " + REGULARIZER_GRADIENT_FORMULAS[rule] % layer
        grad_terms += rf",\quad \frac{{\partial L}}{{\partial b_{{{layer}}}}} = \delta_{{{layer}}}"
        numbers = {"delta": deltas[i], "a_prev": activations[i], "grad_W": grad_weights[i], "grad_b": grad_biases[i]}
        symbols = {
            "delta": f"δ{_sub(layer)}",
            "a_prev": f"a{_sub(i)}",
            "grad_W": f"∂L/∂W{_sub(layer)}",
            "grad_b": f"∂L/∂b{_sub(layer)}",
        }
        unit_of = {"delta": layer, "a_prev": i, "grad_b": layer}
        weight_of = {"grad_W": i}
        if layer == L:
            formula = (
                rf"\delta_{{{L}}} = \frac{{\partial \ell}}{{\partial z_{{{L}}}}} = \hat y - t,\qquad " + grad_terms
            )
            numbers |= {"output": activations[-1], "target": target}
            symbols |= {"output": "ŷ", "target": "t"}
            unit_of |= {"output": L, "target": L}
            title = "Backward pass, output layer"
            explanation = (
                f"For the {loss_name} with its {'output function' if head != 'linear_mse' else 'linear output'}, "
                "the error at the output is simply ŷ − t; each weight into the output gets the error of its "
                "unit times the input it carries."
            )
        else:
            name = names[i]
            f_latex = DERIVATIVES.get(name, (r"f'(z)", None))[0]
            formula = (
                rf"\delta_{{{layer}}} = \left(W_{{{layer + 1}}}\,\delta_{{{layer + 1}}}\right) \odot f'(z_{{{layer}}}),"
                rf"\quad f'(z) = {f_latex},\qquad " + grad_terms
            )
            numbers |= {
                "delta_next": deltas[layer],
                "W_next": weights[layer],
                "backpropagated": backpropagated[i],
                "f_prime": derivatives[i],
            }
            symbols |= {
                "delta_next": f"δ{_sub(layer + 1)}",
                "W_next": f"W{_sub(layer + 1)}",
                "backpropagated": f"W{_sub(layer + 1)}δ{_sub(layer + 1)}",
                "f_prime": f"f′(z{_sub(layer)})",
            }
            unit_of |= {"delta_next": layer + 1, "backpropagated": layer, "f_prime": layer}
            weight_of |= {"W_next": layer}
            title = f"Backward pass, layer {layer}"
            explanation = (
                f"Each unit of layer {layer} collects the errors of the layer above through the weights that "
                f"connect them (W δ), times its own slope f′(z) ({get_activation(name).label}): a small slope "
                "shrinks the error that flows further down."
            )
        if rule:
            numbers |= {"grad_W_data": data_grads[i], "regularizer_grad_W": regularizer_grads[i]}
            symbols |= {"grad_W_data": f"a{_sub(i)}δ{_sub(layer)}ᵀ", "regularizer_grad_W": f"{rule.upper()} term"}
            weight_of |= {"grad_W_data": i, "regularizer_grad_W": i}
        numbers = {name: numbers[name] for name in BACKWARD_READING_ORDER if name in numbers}
        steps.append(
            Step(
                f"backward_{layer}",
                "backward",
                layer,
                title,
                formula,
                explanation,
                layer,
                numbers,
                symbols,
                unit_of,
                weight_of,
                {k: deltas[k - 1] for k in range(L, layer - 1, -1)},
                (i, grad_weights[i]),
                {i: grad_weights[i]},
                "δ = ∂L/∂z",
                f"∂L/∂W{_sub(layer)}",
            )
        )
    # 5. the update
    numbers, symbols, unit_of, weight_of = {}, {}, {}, {}
    for layer in range(1, L + 1):
        i = layer - 1
        numbers |= {
            f"update_W{layer}": update_weights[i],
            f"update_b{layer}": update_biases[i],
            f"grad_W{layer}": grad_weights[i],
            f"grad_b{layer}": grad_biases[i],
            f"W{layer}": weights[i],
        }
        symbols |= {
            f"update_W{layer}": f"ΔW{_sub(layer)}",
            f"update_b{layer}": f"Δb{_sub(layer)}",
            f"grad_W{layer}": f"∂L/∂W{_sub(layer)}",
            f"grad_b{layer}": f"∂L/∂b{_sub(layer)}",
            f"W{layer}": f"W{_sub(layer)} (now)",
        }
        unit_of |= {f"update_b{layer}": layer, f"grad_b{layer}": layer}
        weight_of |= {f"update_W{layer}": i, f"grad_W{layer}": i, f"W{layer}": i}
        for state_name, (state_W, _) in state_per_layer.items():
            short = {"velocity_before": "v (before)", "velocity": "v", "first_moment": "m", "second_moment": "v"}
            numbers[f"{state_name}_W{layer}"] = state_W[i]
            symbols[f"{state_name}_W{layer}"] = f"{short.get(state_name, state_name)} of W{_sub(layer)}"
            weight_of[f"{state_name}_W{layer}"] = i
    numbers["learning_rate"] = scalar(trainer.optimizer.learning_rate)
    symbols["learning_rate"] = "η (learning rate)"
    steps.append(
        Step(
            "update",
            "update",
            None,
            f"Update: one {getattr(trainer.optimizer, 'label', 'optimiser')} step",
            update_formula + r",\qquad W \leftarrow W + \Delta W",
            update_text + " Applying it is one Step on this point alone.",
            None,
            numbers,
            symbols,
            unit_of,
            weight_of,
            {layer: update_biases[layer - 1] for layer in range(1, L + 1)},
            (0, update_weights[0]),
            {i: update_weights[i] for i in range(L)},
            "Δb (bias update)",
            "ΔW₁ (weight update)",
        )
    )
    return steps


def largest_change(shown: Walkthrough) -> tuple[int, str, str, float, float]:
    """The weight the update moves most: (weight layer, 1-based; the unit it comes from; the unit it goes
    to, labelled as the tables label them; its value before; its change). NaN updates count as 0."""
    best = (1, 0, 0, -1.0)
    for layer, dW in enumerate(shown.update_weights, 1):
        size = np.nan_to_num(np.abs(dW), nan=0.0, posinf=0.0)
        row, column = np.unravel_index(int(np.argmax(size)), size.shape)
        if size[row, column] > best[3]:
            best = (layer, int(row), int(column), float(size[row, column]))
    layer, row, column, _ = best
    weights_before, _ = layer_views(shown.theta_before, [len(labels) for labels in shown.labels])
    old = float(weights_before[layer - 1][row, column])
    delta = float(shown.update_weights[layer - 1][row, column])
    return layer, shown.labels[layer - 1][row], shown.labels[layer][column], old, delta


def apply_walkthrough(trainer: Trainer, shown: Walkthrough) -> None:
    """Make the step ``shown`` describes, for real: one optimiser step on that one training row.

    The weights become ``theta_before + update`` (exactly the shown update), the optimiser's state
    moves on as that step moves it (momentum's velocity, Adam's moments and step count), and the
    history gets a row measured at the new weights. The epoch count does not change: one step on one
    example is not an epoch. Raises ValueError when the trainer is no longer where ``shown`` was
    computed (other weights, other data or another network), so a stale update is never applied.
    """
    network = trainer.network
    if (
        shown.theta_before.shape != network.theta.shape
        or not np.array_equal(shown.theta_before, network.theta, equal_nan=True)
        or shown.index >= trainer.y_train.shape[0]
        or not np.array_equal(shown.inputs, trainer.X_train[shown.index])
    ):
        raise ValueError("the weights or the data changed since this update was worked out; it was not applied")
    if not np.all(np.isfinite(shown.update)):
        raise ValueError("this update is not a finite number (training has diverged); it was not applied")
    update = shown.update
    network.theta[...] = shown.theta_before + update
    trainer.optimizer = copy.deepcopy(shown.optimizer_after)
    trainer.record_update(update)
