"""The guided lessons on gradient flow, as data: a text for the student and the configs to run.

Each ``Lesson`` holds one config (``config_a``) or two to compare side by side (``config_a`` vs
``config_b``), the epochs at which the phenomenon is plain (Play pauses at each of them), and the texts.
The UI shows them; ``tests/test_lessons.py`` runs every lesson through the engine and measures its
phenomenon, so a lesson's promise ("layer 1 gets 10^-5 of the gradient") is checked, not hoped for, and
``tests/test_lesson_screens.py`` reads every number and claim of a text off the page at its stop epochs.

Figures quoted in the texts are what the page shows at the stop epochs with the lesson's own weight seed
(0); the engine tests check the claims over weight seeds 0-2 (data seed 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from playground.links.hiding import HIDE_PARAMETER, hide_value
from playground.training.config import TrainingConfig


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    explanation: str  # 2-4 sentences a student understands
    what_to_look_for: str  # which chart, which number
    question: str  # to think about before (or after) pressing Play
    config_a: TrainingConfig
    config_b: TrainingConfig | None = None  # None: a single run; else compare A with B
    # The epochs at which the text's numbers are read: Play pauses by itself at each (Play again goes on).
    stop_epochs: tuple[int, ...] = (10,)
    # The lesson's question in one line of a projected screen (at most HEADLINE_CHARS characters); the full
    # text is one click away.
    headline: str = ""
    label_a: str = "A"  # short names for the compare mode's two panes
    label_b: str = "B"
    answer: str = ""  # for the teacher, or behind a "show answer" button
    # Controls the lesson hides (names of playground.links.hiding): the ones beside its point, so a class sees
    # only what the lesson is about. Opening the lesson hides them; closing it restores the view it was
    # opened from (with that view's hidden controls).
    hides: tuple[str, ...] = ()

    @property
    def epochs_suggested(self) -> int:
        """The first epoch the text names (where Play first stops)."""
        return self.stop_epochs[0]

    @property
    def compare(self) -> bool:
        return self.config_b is not None

    @property
    def link(self) -> str:
        """The lesson's shareable query string, its hidden controls included: '?lesson=relu_he&hide=...'."""
        hidden = hide_value(frozenset(self.hides))
        return f"?lesson={self.key}" + (f"&{HIDE_PARAMETER}={hidden}" if hidden else "")


# ---- the configs (shared where lessons compare with each other) ------------------------------

DEEP = 8  # hidden layers of the deep-network lessons
# Lessons 1, 2 and 6: 8 hidden sigmoid layers of 16 units, Glorot initialisation, SGD at TF
# Playground's default 0.03. Glorot is the *good* init for this depth: the vanishing comes from
# the sigmoid's derivative, not from a bad scale.
DEEP_SIGMOID = TrainingConfig(
    dataset="circle",
    hidden_layers=(16,) * DEEP,
    activations=("sigmoid",) * DEEP,
    initializer="glorot_uniform",
    learning_rate=0.03,
)
DEEP_RELU_HE = replace(DEEP_SIGMOID, activations=("relu",) * DEEP, initializer="he_normal")

# Lesson 3: 2 inputs -> 9 hidden layers of 2 linear units -> 1 output = 10 weight layers, all sigma * I.
# Two Gaussians: linearly separable, so a linear network is a fair model of the data.
CHAIN_DEPTH = 9
LINEAR_CHAIN = TrainingConfig(
    dataset="gaussians",
    hidden_layers=(2,) * CHAIN_DEPTH,
    activations=("linear",) * CHAIN_DEPTH,
    initializer="identity",
    init_sigma=1.5,
    learning_rate=0.03,
)

# Lesson 4: 6 tanh layers of 32 units: deep enough for 3x per layer to compound (3^5 = 243).
TANH_STANDARD = TrainingConfig(
    dataset="circle",
    hidden_layers=(32,) * 6,
    activations=("tanh",) * 6,
    initializer="standard_uniform",
    learning_rate=0.03,
)

# Lesson 5: three ReLU layers of 32 units, He init; learning rate 3 (100x the default) vs 0.03.
RELU_NET = TrainingConfig(
    dataset="circle",
    hidden_layers=(32, 32, 32),
    activations=("relu",) * 3,
    initializer="he_normal",
    learning_rate=3.0,
)

# Lesson 7: 8 ReLU layers of 64 units with N(0, 1) weights: 5.7x the size He would give.
# 64 units, not 32: with 32, about 1 seed in 10 escapes divergence because the first huge step
# kills every unit instead (the loss then sits at 0.693); with 64 all 20 seeds tried diverge at epoch 1.
HUGE_INIT = TrainingConfig(
    dataset="circle",
    hidden_layers=(64,) * DEEP,
    activations=("relu",) * DEEP,
    initializer="normal",
    init_sigma=1.0,
    learning_rate=0.03,
)
HE_SIGMA_64 = math.sqrt(2.0 / 64)  # 0.177: He's standard deviation for 64 inputs

# Lesson 8: lessons 1-2 on real data, the 8x8 handwritten digits (64 pixels in, 10 classes out,
# softmax + cross-entropy): 8 hidden sigmoid layers of 32 units, Glorot, SGD at 0.03, batches of 10.
# 30 epochs (90 steps each) take well under a second; over weight seeds 0-9 the sigmoid net stays
# within 0.002 of ln 10 (and still does after 600 epochs) while ReLU + He reaches 94-97 % test accuracy.
DIGITS_DEPTH = 8
DIGITS_SIGMOID = TrainingConfig(
    dataset="digits",
    hidden_layers=(32,) * DIGITS_DEPTH,
    activations=("sigmoid",) * DIGITS_DEPTH,
    initializer="glorot_uniform",
    learning_rate=0.03,
    batch_size=10,
)
DIGITS_RELU_HE = replace(DIGITS_SIGMOID, activations=("relu",) * DIGITS_DEPTH, initializer="he_normal")
LN10 = math.log(10.0)  # 2.303: the cross-entropy of a network that gives each of 10 classes 1/10


LESSON_LIST: list[Lesson] = [
    Lesson(
        key="vanishing_sigmoid",
        headline="Why does a deep sigmoid network barely learn? Watch layer 1's gradient.",
        hides=("data", "batch_size", "regularization", "regularization_rate"),
        title="1. A deep sigmoid network barely learns",
        explanation=(
            "This network has 8 hidden layers of 16 sigmoid units, with Glorot's well-scaled initial weights. "
            "On its way back to the input, the error is multiplied at every layer by the sigmoid's slope, "
            "which is never more than 1/4. After 8 layers the first layer receives 10^-4 to 10^-6 of the "
            "gradient of the last one, so it hardly moves and the network stays a coin toss."
        ),
        what_to_look_for=(
            "The gradient chart (log scale): each layer's line lies below the next one's, layer 1 at the bottom; "
            "under Gradient flow: 'Layer 1 receives 10^-5 of the gradient of the last layer'. The train loss "
            "stays at 0.69 (ln 2 = 0.693, a coin toss) and the accuracy near 50 %."
        ),
        question=(
            "The sigmoid's slope is at most 1/4. By how much, at least, does it shrink the error over 8 layers "
            "if the weights alone kept its size? What could you change so that each layer passes the error "
            "back undiminished?"
        ),
        config_a=DEEP_SIGMOID,
        stop_epochs=(10,),
        label_a="Sigmoid + Glorot",
        answer=(
            "By at least 4^8 = 65,536 in size. An activation whose slope is 1 wherever it is active (ReLU), "
            "with weights scaled for it (He): lesson 2."
        ),
    ),
    Lesson(
        key="relu_he",
        headline="Same depth, ReLU + He: do the gradients reach layer 1 now?",
        hides=("compare", "data", "optimizer", "batch_size", "regularization", "regularization_rate"),
        title="2. Same depth with ReLU and He initialisation: it trains",
        explanation=(
            "Same 8 layers of 16 units and the same learning rate, but ReLU units with He's initialisation, "
            "Var(W) = 2 / fan_in. A ReLU's slope is exactly 1 wherever the unit is active, and He's factor 2 "
            "makes up for the half of the units that are off, so the error keeps its size from layer to layer. "
            "All the layers learn together and the circle is fitted within 10 epochs."
        ),
        what_to_look_for=(
            "The gradient charts: B's lines lie together, and under Gradient flow 'Layer 1 receives about as "
            "much gradient as the last layer', against 10^-5 in A. B's train loss has fallen to about 0.1 and "
            "its accuracy passed 90 %; A's loss stays at 0.69 and its accuracy near 50 %."
        ),
        question="Why is He's variance 2 / fan_in, twice LeCun's 1 / fan_in?",
        config_a=DEEP_SIGMOID,
        config_b=DEEP_RELU_HE,
        stop_epochs=(10,),
        label_a="Sigmoid + Glorot",
        label_b="ReLU + He",
        answer=(
            "A ReLU sets about half of its inputs to zero, which halves the mean square of the signal going "
            "forward and of the error going back; doubling Var(W) gives it back."
        ),
    ),
    Lesson(
        key="linear_chain",
        headline="×1.5 or ×0.5 per layer: what do 9 layers make of it?",
        hides=("compare", "data", "optimizer", "batch_size", "regularization", "regularization_rate"),
        title="3. A chain of 9 layers: ×1.5 explodes, ×0.5 vanishes",
        explanation=(
            "Two inputs, 9 hidden layers of 2 linear units, one output: 10 weight layers, each σ times the "
            "identity. With no curve and no randomness the arithmetic is exact: the signal reaching hidden "
            "layer 9 is the input times σ^9 (1.5^9 = 38 or 0.5^9 = 0.002), and the error travelling back from "
            "the output to layer 1 is scaled by the same σ^9. A factor a little above or below 1 per layer "
            "becomes huge or tiny after 9 layers: n Var(W) > 1 explodes, = 1 keeps, < 1 vanishes."
        ),
        what_to_look_for=(
            "At epoch 10. Predict & check: the gain per layer is σ² = 2.25 in A, 0.25 in B, and the measured "
            "Var(δ) follows the predicted one. Gradient flow, right heatmap (δ per layer): going down, the error "
            "grows ×1.5 per layer in A and halves per layer in B. Surprise: the gradient chart's lines coincide "
            "('about as much gradient as the last layer'): a weight gradient is (signal in) × (error out) = "
            "σˡ⁻¹ × σ¹⁰⁻ˡ = σ^9 in every layer l. A's output is 1.5^10 = 58 times its input: it is sure of "
            "every point, train loss 0.000. B's is 0.5^10 = 0.001 of it: loss 0.69, a coin toss. At epoch 300: "
            "B has grown its own weights (gain per layer about 1) and its loss is 0.000 too."
        ),
        question=(
            "Each layer multiplies by 1.5. What factor per layer keeps the signal's size after 9 layers, and "
            "what Var(W) gives that factor to a layer of n units with random weights?"
        ),
        config_a=LINEAR_CHAIN,
        config_b=replace(LINEAR_CHAIN, init_sigma=0.5),
        stop_epochs=(10, 300),
        label_a="W = 1.5 I",
        label_b="W = 0.5 I",
        answer=(
            "Exactly 1: any other constant c becomes c^9. For random weights, n Var(W) = 1, that is Var(W) = 1/n "
            "(LeCun); Glorot's 2 / (fan_in + fan_out) balances the forward and the backward pass."
        ),
    ),
    Lesson(
        key="glorot_vs_standard",
        headline="tanh: does a factor 3 per layer matter? Old init vs Glorot.",
        hides=("compare", "data", "optimizer", "batch_size", "regularization", "regularization_rate"),
        title="4. tanh: the old initialisation vs Glorot's",
        explanation=(
            "Before 2010 a common habit was W ~ U(−1/√n, 1/√n). Its variance is 1/(3n), so "
            "n Var(W) = 1/3: in tanh's straight middle part each layer shrinks the variance of the error going "
            "back about 3 times, and over 6 layers the first one's error variance is about 3^5 = 243 times "
            "smaller than the last hidden layer's. Glorot's normalised initialisation, "
            "Var(W) = 2 / (fan_in + fan_out), gives n Var(W) = 1 and the layers look alike."
        ),
        what_to_look_for=(
            "At epoch 10. Predict & check: the gain per layer of layers 1-5 is about 1/3 in A and about 1 in B, "
            "and layer 1's measured Var(δ) is about 1/300 of layer 6's in A. Gradient flow, right heatmap (δ per "
            "layer): A's rows darken step by step towards layer 1, B's look alike. At epoch 50: A's train loss "
            "is still 0.69, B's has fallen below 0.05 and its accuracy is 100 %."
        ),
        question=(
            "Both schemes give weights of a sensible order of magnitude. Why does a factor of 3 per layer matter?"
        ),
        config_a=TANH_STANDARD,
        config_b=replace(TANH_STANDARD, initializer="glorot_uniform"),
        stop_epochs=(10, 50),
        label_a="Old U(±1/√n)",
        label_b="Glorot",
        answer=(
            "Because it compounds: 3 per layer is 3^5 = 243 over the five steps between 6 layers, and 3^11 over "
            "12. Depth magnifies any per-layer gain that is not 1."
        ),
    ),
    Lesson(
        key="dying_relu",
        headline="A learning rate of 3: where do the ReLU units go?",
        hides=("compare", "data", "initializer", "init_sigma", "batch_size", "regularization", "regularization_rate"),
        title="5. A too-high learning rate kills ReLU units",
        explanation=(
            "A ReLU unit whose input is negative on every training point outputs 0 everywhere and receives no "
            "gradient, so nothing can bring it back: it is dead. One oversized step can throw a unit's weights "
            "there. With learning rate 3, most units die at the very first step and the network is left "
            "guessing; with 0.03 only a few are dead (some were born dead at initialisation)."
        ),
        what_to_look_for=(
            "Layer health: A's first steps kill most units (the dead share jumps above half in every hidden "
            "layer, to 100 % in the last one), every hidden layer is marked 'dead units', and under Gradient "
            "flow 'No layer receives any gradient'. B's shares stay below the dashed line (25 %) and its "
            "layers are healthy. "
            "A's train loss stays near 0.7 (a coin toss: 0.69) and its accuracy near 50 %; B's loss has "
            "fallen below 0.3 and its accuracy passed 90 %."
        ),
        question=(
            "Why can a dead ReLU unit never recover by gradient descent, while a saturated sigmoid unit can, slowly?"
        ),
        config_a=RELU_NET,
        config_b=replace(RELU_NET, learning_rate=0.03),
        stop_epochs=(10,),
        label_a="Learning rate 3",
        label_b="Learning rate 0.03",
        answer=(
            "A ReLU's slope is exactly 0 on its negative side, so a dead unit's incoming weights get a gradient "
            "of exactly 0 from every point; a sigmoid's slope is small but never 0. Remedies: a smaller "
            "learning rate, or Leaky ReLU / ELU, whose negative side still has a slope."
        ),
    ),
    Lesson(
        key="adam_hides",
        headline="Adam's steps look healthy: has the vanishing gradient gone?",
        hides=("compare", "data", "initializer", "init_sigma", "batch_size", "regularization", "regularization_rate"),
        title="6. Adam hides vanishing gradients",
        explanation=(
            "Adam divides each weight's step by the typical size of that weight's recent gradients, so a weight "
            "whose gradient is 10^-7 takes a step about as large as one whose gradient is 10^-1. In the deep "
            "sigmoid network of lesson 1 the raw gradients still vanish toward the input under Adam, but the "
            "update-to-weight ratios of all the layers come out alike, near the healthy 10^-3. A chart of "
            "updates alone would tell you everything is fine."
        ),
        what_to_look_for=(
            "The gradient charts: in both A (SGD) and B (Adam) the lines fan out, and under Gradient flow "
            "'Layer 1 receives 10^-5 of the gradient of the last layer'. Layer health, update-to-weight ratio "
            "chart: A's lines fan out over five orders of magnitude (layer 1 below 10^-7), B's lie together "
            "around 10^-3. Each ratio is one step's, so B's lines jitter: look at where they sit on average."
        ),
        question=(
            "If Adam makes every layer move at the same pace, is the vanishing gradient problem solved? "
            "What does layer 1 know about the loss when its gradient is 10^-5 of the top layer's?"
        ),
        config_a=DEEP_SIGMOID,
        config_b=replace(DEEP_SIGMOID, optimizer="adam", learning_rate=0.003),
        stop_epochs=(10,),
        label_a="SGD, rate 0.03",
        label_b="Adam, rate 0.003",
        answer=(
            "No. Adam rescales the step, not the information: layer 1's direction still comes from a gradient "
            "that is 10^5 times weaker (and in deeper nets lost in rounding noise), and here the loss still "
            "sits at a coin toss (0.69) after 10 epochs. Look at the raw gradients, not just the update ratios."
        ),
    ),
    Lesson(
        key="exploding_init",
        headline="Weights from N(0, 1) in 8 ReLU layers: what happens at the first step?",
        hides=("compare", "data", "optimizer", "batch_size", "regularization", "regularization_rate"),
        title="7. Too large an initialisation explodes, and training diverges",
        explanation=(
            "With ReLU units and weights drawn from N(0, 1), each layer of 64 units multiplies the signal's "
            "mean square by 64 × 1 × 1/2 = 32, its size by about 5.7: after 8 layers the output is about "
            "5.7^8 = 10^6 times too large and the starting loss is 10^4 to 10^6 instead of 0.69. The gradients are "
            "scaled the same way, so the first steps throw the weights to infinity and the trainer stops, "
            "reporting the epoch at which the loss stopped being a number."
        ),
        what_to_look_for=(
            "Before Play: A's train loss at epoch 0 is about 900,000 (10^4 to 10^6 with other seeds), not 0.69. "
            "Play: A diverges at epoch 1 (in red beside its name; its numbers read 'diverged'), while B, with "
            "σ = √(2/64) = 0.18, He's value for 64 inputs, trains: at epoch 5 its accuracy is 100 % and its "
            "loss well below 0.69 (0.05). Press Reset: A is back at epoch 0 with the same finite loss, and Play "
            "diverges it again at epoch 1, since nothing changed."
        ),
        question="What σ keeps the signal's size through a ReLU layer of 64 units?",
        config_a=HUGE_INIT,
        config_b=replace(HUGE_INIT, init_sigma=HE_SIGMA_64),
        stop_epochs=(5,),
        label_a="σ = 1",
        label_b="σ = 0.18 (He)",
        answer="64 × σ² × 1/2 = 1, so σ = √(2/64) = 0.18: He's initialisation.",
    ),
    Lesson(
        key="digits_vanishing",
        headline="Real digits, 8 sigmoid layers: does the network get past guessing?",
        hides=("compare", "data", "optimizer", "batch_size", "regularization", "regularization_rate"),
        title="8. Vanishing gradients on handwritten digits",
        explanation=(
            "Lessons 1 and 2 again, on real data: 8×8 images of handwritten digits, 64 pixels in and 10 classes "
            "out, through 8 hidden layers of 32 units. With sigmoid units (A) the error shrinks about 3.5 times "
            "at every layer on its way back, since the sigmoid's slope is at most 1/4, so layer 1 receives about "
            "10^-4 of the last layer's gradient and the network never gets past guessing: it gives every digit "
            "the same 1/10, a loss of ln 10 = 2.303 and about 10 % accuracy. With ReLU and He's initialisation "
            "(B) each layer passes the error back at full size, and the same network reads 94-97 % of the test "
            "digits correctly after 30 epochs."
        ),
        what_to_look_for=(
            "A's train loss sits at 2.30 (ln 10 = 2.303) and its test accuracy near 10 %; B's loss has fallen "
            "below 0.01 and its test accuracy passed 90 %. The gradient charts (log scale): A's lines are "
            "stacked about a factor 3.5 apart, layer 1 at the bottom ('Layer 1 receives 10^-4 of the gradient "
            "of the last layer'); B's lie within a factor 5 of each other. Layer health: A's lower four layers "
            "are 'vanishing' and layer 1's update-to-weight ratio is about 5 × 10^-8, twenty thousand times "
            "below the healthy 10^-3; all of B's layers are healthy."
        ),
        question=(
            "Why does a network that has learned nothing have a loss of exactly ln 10, and what would it be with "
            "3 classes? A's first layer still gets some gradient: why does it not learn slowly but surely?"
        ),
        config_a=DIGITS_SIGMOID,
        config_b=DIGITS_RELU_HE,
        stop_epochs=(30,),
        label_a="Sigmoid + Glorot",
        label_b="ReLU + He",
        answer=(
            "Giving each of the 10 classes probability 1/10 costs -ln(1/10) = ln 10 = 2.303 on every image, "
            "whatever the digit; with 3 classes it is ln 3 = 1.10. Layer 1 moves by about 5 × 10^-8 of its size "
            "per step: some 2 × 10^7 steps, over 200,000 epochs, to change its weights by their own size. "
            "Meanwhile the top layers, which do learn, only see the features of a random, frozen bottom half "
            "(A's loss is still 2.30 after 600 epochs)."
        ),
    ),
]

HEADLINE_CHARS = 80

LESSONS: dict[str, Lesson] = {lesson.key: lesson for lesson in LESSON_LIST}


def get_lesson(key: str) -> Lesson:
    """A lesson by key, with a clear error for a bad one (e.g. from a URL)."""
    try:
        return LESSONS[key]
    except KeyError:
        raise ValueError(f"Unknown lesson {key!r}; choose one of {list(LESSONS)}") from None
