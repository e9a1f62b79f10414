"""The guided lessons on gradient flow, as data: a text for the student and the configs to run.

Each ``Lesson`` holds one config (``config_a``) or two to compare side by side (``config_a`` vs
``config_b``), the epochs at which the phenomenon is plain (Play pauses at each of them), and the texts.
The UI shows them; ``tests/test_lessons.py`` (lessons 1-8) and ``tests/test_deep_lessons.py`` (9-11)
run every lesson through the engine and measure its phenomenon, so a lesson's promise ("layer 1 gets
10^-5 of the gradient") is checked, not hoped for, and ``tests/test_lesson_screens.py`` reads every
number and claim of a text off the page at its stop epochs.

Figures quoted in the texts are what the page shows at the stop epochs with the lesson's own weight seed
(0); the engine tests check the claims over weight seeds 0-2 (data seed 0). Where a run is chaotic at a
stop (``Lesson.chaotic``), its figures differ between processors, so the text gives ranges that hold over
perturbed copies of the run (``tests/perturbed.py``), and the page says why (``Lesson.variation_note``).
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
    shows_landscape: bool = False  # opening the lesson turns the loss landscape on (it costs time per frame)
    # The runs that are chaotic from a stop epoch on, as (run, epoch): there a difference in the last digit
    # of one multiplication (another processor's arithmetic) grows until the run's figures are as different
    # as another weight seed's, so the text gives the range they fall in, measured over perturbed runs
    # (tests/perturbed.py), and the page says why. tests/test_lesson_stability.py finds these runs.
    chaotic: tuple[tuple[str, int], ...] = ()

    @property
    def epochs_suggested(self) -> int:
        """The first epoch the text names (where Play first stops)."""
        return self.stop_epochs[0]

    @property
    def compare(self) -> bool:
        return self.config_b is not None

    @property
    def variation_note(self) -> str:
        """Why some of the text's figures are ranges, for the page ("" when every figure is exact)."""
        if not self.chaotic:
            return ""
        runs = " and ".join(f"run {run}" if self.compare else "the run" for run, _ in self.chaotic)
        first = min(epoch for _, epoch in self.chaotic)
        verb = "are" if len(self.chaotic) > 1 else "is"
        return (
            f"Why some figures are ranges: by epoch {first}, {runs} {verb} chaotic: a tiny difference grows at "
            "every step. Processors differ in the last digit of a multiplication, and by then two computers show "
            "figures as different as two starting weights would. The ranges cover dozens of such slightly "
            "different runs."
        )

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

# Lesson 9: He et al.'s degradation problem on the two-arm spiral: 20 hidden tanh layers of 8 units,
# Glorot, Adam at 0.03 on full batches (250 points: one step per epoch, so 150 epochs take about a second).
# Both 20-layer runs are chaotic by epoch 150: over 48 perturbed copies of seed 0 (tests/perturbed.py) the plain
# net is at 0.65-0.70 and the one with skips at 0.000-0.35 (median 0.003); 3 layers of the same units reach 0.19
# (0.17-0.54 over weight seeds 0-7; a stable run).
DEGRADATION_DEPTH, SHALLOW_DEPTH = 20, 3
PLAIN_DEEP_TANH = TrainingConfig(
    dataset="spiral",
    hidden_layers=(8,) * DEGRADATION_DEPTH,
    activations=("tanh",) * DEGRADATION_DEPTH,
    initializer="glorot_uniform",
    optimizer="adam",
    learning_rate=0.03,
    batch_size=250,
)
# The shallower network the text quotes (not one of the lesson's runs: the tests measure it).
SHALLOW_TANH = replace(PLAIN_DEEP_TANH, hidden_layers=(8,) * SHALLOW_DEPTH, activations=("tanh",) * SHALLOW_DEPTH)

# Lesson 10: lesson 1's network with batch norm, which is chaotic: at epoch 10 its figures still swing from one
# perturbed copy to another (train loss 0.34-0.60, layer 1 getting 0.7-5 times the last layer's gradient), at
# epoch 30 they have settled into a narrower band (0.19-0.40, 0.8-3.6 over 80 copies and other processors' BLAS
# kernels), so the lesson stops there.

# Lesson 11: 8 ReLU layers of 32 units with N(0, 0.7^2) weights: n sigma^2 / 2 = 7.84, so x2.8 per layer.
# Without clipping weight seeds 0-5 all diverge at epoch 1; clipped at global norm 1, seed 0 (a stable run)
# reaches a train loss of 0.000 and 100 % accuracy by epoch 20; seed 1 is chaotic, and 3 to 6 of 8 perturbed
# copies of it are still learning at epoch 20 (its accuracy is 97 % or more on all of them).
CLIP_DEPTH = 8
EXPLODING_RELU = TrainingConfig(
    dataset="circle",
    hidden_layers=(32,) * CLIP_DEPTH,
    activations=("relu",) * CLIP_DEPTH,
    initializer="normal",
    init_sigma=0.7,
    learning_rate=0.03,
)
CLIP_NORM = 1.0
HE_SIGMA_32 = math.sqrt(2.0 / 32)  # 0.25: He's standard deviation for 32 inputs

# Lesson 12: a big network on few noisy points. XOR, 100 points (50 to train), 10 % noise and 15 % of the
# training labels flipped; 3 x 32 tanh, Adam at 0.01. Over weight seeds 0-2 at epoch 500 it memorises (train
# loss 0.003-0.11, test loss 0.57-1.15 on most perturbed copies: the run is chaotic by then); L2 0.003, dropout
# 0.3 and early stopping 50 each close most of the gap.
MEMORISING = TrainingConfig(
    dataset="xor",
    n_points=100,
    noise=0.1,
    label_noise=0.15,
    hidden_layers=(32, 32, 32),
    activations=("tanh",) * 3,
    optimizer="adam",
    learning_rate=0.01,
)

# Lesson 13: plain gradient descent (full batch: one exact downhill step per epoch) on one hidden layer of 8 tanh
# units. Over weight seeds 0-2 at epoch 100: rate 3 reaches train loss 0.075-0.098 along the valley (its plane
# path turns back at most 6 % of its epochs), rate 10 bounces across it, chaotically (72-97 % of epochs turn back;
# loss 1.3-13, above the 0.70-0.73 it started from), 0.03 has barely moved (0.70-0.71). Rate 7 is the best, 8
# already bounces.
# Lesson 14: MNIST, 2,000 training digits, one hidden layer of 32 ReLU units, plain SGD on one digit per step,
# so the step on a drawn digit is the same kind of step as every step of training.
MISTAKE = TrainingConfig(
    dataset="mnist",
    train_size=2000,
    hidden_layers=(32,),
    activations=("relu",),
    initializer="he_normal",
    batch_size=1,
    learning_rate=0.005,
)
VALLEY = TrainingConfig(
    dataset="circle",
    hidden_layers=(8,),
    activations=("tanh",),
    batch_size=250,
    learning_rate=3.0,
)


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
            "below 0.1 and its test accuracy passed 90 %. The gradient charts (log scale): A's lines are "
            "stacked about a factor 3.5 apart, layer 1 at the bottom ('Layer 1 receives 10^-4 of the gradient "
            "of the last layer'); B's lie within a factor 20 of each other, most often 2 to 5. Layer health: "
            "A's lower four layers are 'vanishing' and layer 1's update-to-weight ratio is about 5 × 10^-8, "
            "twenty thousand times below the healthy 10^-3; all of B's layers are healthy."
        ),
        question=(
            "Why does a network that has learned nothing have a loss of exactly ln 10, and what would it be with "
            "3 classes? A's first layer still gets some gradient: why does it not learn slowly but surely?"
        ),
        config_a=DIGITS_SIGMOID,
        config_b=DIGITS_RELU_HE,
        stop_epochs=(30,),
        chaotic=(("B", 30),),
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
    Lesson(
        key="degradation",
        headline="20 layers train worse than 3. What do skip connections change?",
        hides=(
            "data",
            "compare",
            "optimizer",
            "batch_size",
            "regularization",
            "regularization_rate",
            "normalization",
            "dropout",
            "gradient_clip",
        ),
        title="9. Deeper trains worse, until the layers get skip connections",
        explanation=(
            "A deeper network can do all that a shallower one does: its extra layers could simply pass their input "
            "on. Yet Kaiming He and colleagues found in 2016 that plain networks beyond some depth train worse, "
            "with a higher *training* loss, so it is not overfitting: they called it the degradation problem. Here "
            "A has 20 hidden layers of 8 tanh units (Glorot's initialisation, and Adam, which evens out the steps "
            "of layers with small gradients) and stays a coin toss on the spiral, while 3 such layers learn it. B "
            "is A with a skip connection around every hidden layer but the first (which changes the width), so that "
            "each layer outputs f(x) + x, and its 20 layers usually train better than the 3."
        ),
        what_to_look_for=(
            "Before Play: A's picture is almost white, P(blue) between 0.49 and 0.51 everywhere: its 20 narrow "
            "layers wash out the differences between points, so its output is nearly the same for all of them. "
            "Gradient flow, left heatmap: each of A's layers is darker than all of B's. A's gradient is small in "
            "every layer, not fading from layer to layer as in lesson 1: its layer 1 receives 10^-1 of the last "
            "layer's gradient, not 10^-5. At epoch 150, where Play stops: A's train loss is still 0.64 to 0.70, "
            "next to a coin toss's ln 2 = 0.693, and its train accuracy below 65 %, close to the 54 % it would "
            "get by giving every point the larger class. B's train loss has fallen below 0.4, most often "
            "below 0.03, and its train accuracy passed 80 %. Not on screen: 3 hidden layers of the same 8 tanh "
            "units, with the same Adam, reach 0.19 by epoch 150 (0.15 to 0.55 with other weight seeds): most "
            "often between A and B."
        ),
        question=(
            "A 20-layer network could copy a 3-layer one by making its other 17 layers pass their input on. Why do "
            "plain layers not find that, and why does a skip connection make it easy?"
        ),
        config_a=PLAIN_DEEP_TANH,
        config_b=replace(PLAIN_DEEP_TANH, residual=True),
        stop_epochs=(150,),
        chaotic=(("A", 150), ("B", 150)),
        label_a="20 plain layers",
        label_b="20 layers + skips",
        answer=(
            "To pass its input on, a plain tanh layer needs weights with tanh(Wx + b) ≈ x, a particular W that all "
            "17 layers must find at once, each from inputs that the layers below keep changing; and here the plain "
            "layers start out shrinking the differences between points, so A's top layers hardly see the input. A "
            "layer with a skip outputs f(x) + x: it passes its input on when f = 0, with small weights, and "
            "whatever its block does, the skip carries the signal up and the error back down through all 20 layers, "
            "so each layer only learns a correction. That is how ResNets trained 152 layers."
        ),
    ),
    Lesson(
        key="batch_norm",
        headline="Lesson 1's network with batch norm: does layer 1 get its gradient back?",
        hides=(
            "data",
            "compare",
            "optimizer",
            "batch_size",
            "regularization",
            "regularization_rate",
            "residual",
            "dropout",
            "gradient_clip",
        ),
        title="10. Batch norm gives every layer a gradient of the same size",
        explanation=(
            "Lesson 1's network again: 8 hidden layers of 16 sigmoid units, Glorot's initialisation, SGD at 0.03. "
            "In A each layer's input varies about 4 times less from one example to the next than the layer below's, "
            "since the sigmoid's slope is at most 1/4, and the error coming back shrinks by the same factor, so "
            "layer 1 gets 10^-5 of the last layer's gradient. B puts batch norm between each layer's weighted sum "
            "and its sigmoid: it divides each unit's input by its spread over the mini-batch (then scales it by a "
            "learned γ and shifts it by a learned β), which restores the signal going forward, and the chain rule "
            "multiplies the error coming back by the same 1/spread, which gives back what the sigmoid took. Every "
            "layer's gradient comes out about the same size (within 10 times, against 10^5 without), and the "
            "network trains."
        ),
        what_to_look_for=(
            "The gradient charts (log scale) and Gradient flow's left heatmap (both runs on one colour scale) show "
            "each layer's weight gradient. A's rise layer by layer, from layer 1 (the lowest line, the darkest row) "
            "to the last layer, the largest 10^5 times the smallest (10^4 to 10^6 with other weight seeds). B's "
            "lie together, all one bright colour, the largest less than 10 times the smallest, most often 2 to 4 "
            "times. Under Gradient flow: 'Layer 1 receives 10^-5 of the gradient of the last layer' in A; in B "
            "'about as much gradient as the last layer', or on some computers '10^1 times more': within a factor "
            "of 10 either way. A's train loss "
            "stays at 0.69 and its accuracy near 50 %; B's loss has fallen below 0.45 and its train accuracy "
            "passed 80 %."
        ),
        question=(
            "Batch norm does not change the sigmoid: its slope is still at most 1/4. Where does the factor of about "
            "4 lost at every layer come back?"
        ),
        config_a=DEEP_SIGMOID,
        config_b=replace(DEEP_SIGMOID, normalization="batch"),
        stop_epochs=(30,),
        chaotic=(("B", 30),),
        label_a="Sigmoid",
        label_b="Sigmoid + batch norm",
        answer=(
            "In the division by the spread. Each layer's input varies about 4 times less over the batch than the "
            "layer below's (the same slope shrinks the signal going forward), so batch norm divides by a number "
            "about 4 times smaller at each layer, and the error going back is multiplied by that 1/spread. The "
            "scale cancels: a batch-normalised layer's output stays the same if its input or its weights are "
            "scaled. Layer norm standardises over the units of one example instead, a spread that does not shrink "
            "here: with it this network stays at 0.69 after 30 epochs (try it)."
        ),
    ),
    Lesson(
        key="gradient_clipping",
        headline="Gradients of 1,000: clip them to 1, and does the run survive?",
        hides=(
            "data",
            "compare",
            "optimizer",
            "batch_size",
            "regularization",
            "regularization_rate",
            "residual",
            "normalization",
            "dropout",
        ),
        title="11. Gradient clipping keeps an exploding run alive",
        explanation=(
            "8 ReLU layers of 32 units with weights from N(0, 0.7²): each layer multiplies the signal's size by "
            "√(32 × 0.49 / 2) = 2.8, so the signal reaching the last hidden layer is 2.8^8 = 3,800 times what He's "
            "σ = 0.25 would give, and the weight gradients are thousands of times larger too, 100 to several "
            "thousand. A takes plain SGD steps of 0.03 times those: the first steps throw the weights far away and "
            "A diverges in its first epoch. B is the same run with gradient clipping at 1 (Pascanu, Mikolov and "
            "Bengio, 2013): when the gradient's global norm, all layers together, is above 1, it is scaled down to "
            "1 before the step, keeping its direction, so no step moves the weights by more than 0.03."
        ),
        what_to_look_for=(
            "Before Play: both runs start from the same weights, with a train loss of 289 instead of 0.69, and B's "
            "gradient chart starts between 10^2 and 10^3. Play: A diverges at epoch 1 (in red beside its name; its "
            "numbers read 'diverged'). B trains: at epoch 20, where Play stops, its train loss is 0.0000, its train "
            "accuracy 100 % and its test accuracy 98 %, yet its test loss is 0.50; its gradient lines have fallen "
            "below 10^-4. Layer health, distance chart: B's weights have moved by 2 % at most from where they "
            "started."
        ),
        question=(
            "Clipping kept every step's direction and only shortened it. What has it not changed in B's network, "
            "and what would cure that?"
        ),
        config_a=EXPLODING_RELU,
        config_b=replace(EXPLODING_RELU, gradient_clip=CLIP_NORM),
        stop_epochs=(20,),
        label_a="No clipping",
        label_b="Clipped at norm 1",
        answer=(
            "The scale: B's weights are still the N(0, 0.7²) ones, give or take a few per cent, so its outputs are "
            "still huge (every one beyond ±10 before the sigmoid) and it is sure of every training point (loss "
            "0.0000): it has learned to point those huge outputs the right way. The few test points it gets wrong, "
            "it gets wrong with the same certainty, hence a test loss of 0.50 beside 98 % accuracy. Every batch of "
            "its first epoch was clipped, 25 of 25, and at most one of epoch 20's. The cure for the cause is He's σ "
            "= √(2/32) = 0.25 (lesson 7); clipping is the guard that keeps a run alive through a sudden steep "
            "stretch of the loss, which is what recurrent networks and transformers use it for."
        ),
    ),
    Lesson(
        key="memorising",
        headline="A big network, 50 noisy points: does it learn XOR, or memorise the noise?",
        hides=(
            "dataset",
            "n_classes",
            "n_points",
            "noise",
            "train_fraction",
            "data_seed",
            "features",
            "own_data",
            "compare",
            "optimizer",
            "batch_size",
            "residual",
            "normalization",
            "initializer",
            "init_sigma",
            "gradient_clip",
            "lr_schedule",
        ),
        title="12. Memorising vs generalising: overfitting and three cures",
        explanation=(
            "Three hidden layers of 32 tanh units (2,241 weights and biases) train with Adam on only 50 XOR "
            "points, 8 of them with a flipped label (ringed on the plane): enough weights to bend the boundary "
            "around every single point. A has nothing to stop it, so it learns the XOR pattern first and then the "
            "noise, the wrong labels and the stray points: its training loss keeps falling while its test loss, "
            "on 50 points it never sees, climbs. B is the same run with an L2 penalty of 0.003 on the weights, "
            "which makes every sharp bend cost more than it gains on a few points."
        ),
        what_to_look_for=(
            "Loss chart, the shaded band between train and test loss: the generalisation gap. At epoch 100, where "
            "Play first stops, A's train loss is 0.26 and its test loss 0.30: it has learned XOR. At epoch 500 A's "
            "train loss is below 0.08 and its train accuracy 98 %, but its test loss has climbed to 0.55-0.70 and "
            "its test accuracy fallen from 82 % to 76-78 %: the band is wide, and A's boundary has islands around "
            "single points. B's train and test losses are both 0.36-0.37, no band, and B's test accuracy is 84 %."
        ),
        question=(
            "B gave up training loss (0.37 instead of under 0.08) and won test loss. Which other control of the "
            "sidebar should close A's gap too? Try Dropout 0.3 or Early stopping 50 on run B."
        ),
        config_a=MEMORISING,
        config_b=replace(MEMORISING, regularization="l2", regularization_rate=0.003),
        stop_epochs=(100, 500),
        chaotic=(("A", 500),),
        label_a="No cure",
        label_b="L2 0.003",
        answer=(
            "Each closes most of the gap, in its own way (the lesson's test measures all three). Dropout 0.3 keeps "
            "any unit from relying on another, so no small group of units can carve an island: test loss about "
            "0.4 at epoch 500. Early stopping 50 stops at the epoch with the lowest test loss and restores that "
            "epoch's weights (marked on the loss chart): test loss 0.24, the best of the three, because it stops "
            "before the noise is learned; but it watched the test set to choose, so that figure flatters it: a "
            "real project chooses on a separate validation set. More data is the cure behind all of them."
        ),
    ),
    Lesson(
        key="learning_rate_landscape",
        headline="Step 3 or step 10 down the same valley: which gets lower?",
        hides=(
            "dataset",
            "n_classes",
            "n_points",
            "noise",
            "train_fraction",
            "label_noise",
            "data_seed",
            "features",
            "own_data",
            "compare",
            "residual",
            "normalization",
            "initializer",
            "init_sigma",
            "batch_size",
            "regularization",
            "regularization_rate",
            "dropout",
            "gradient_clip",
            "early_stopping",
            "lens",
            "diagram",
        ),
        title="13. The learning rate on the loss landscape: too small, right, too large",
        explanation=(
            "One hidden layer of 8 tanh units learns the circle by plain gradient descent on the whole training "
            "set, one exact downhill step per epoch, A with a learning rate of 3 and B with 10. The loss "
            "landscape below the charts is the training loss on the plane the weights travelled in, with each "
            "run's path: along the valley's floor the loss falls gently, across it the walls are steep. A step "
            "that is too long for the walls lands higher up the opposite wall than it started, and the next one "
            "throws it back."
        ),
        what_to_look_for=(
            "Loss landscape (scroll down, below the charts), at epoch 100 where Play stops: A's path runs down "
            "the valley floor, turning back in at most 1 epoch in 10, to a train loss of 0.075 and 99.6 % test "
            "accuracy. B's path zigzags from wall to wall, turning back at more than 2 epochs in 3, and its "
            "train loss, between 1 and 11, is above the 0.73 it started from, often many times over. Then open "
            "the learning-rate sweep (below) and sweep A: a rate of 0.03 ends at 0.71 after 100 epochs, having "
            "barely moved."
        ),
        question=(
            "The sweep shows too small (barely moves), right and too large (bounces). Where between 3 and 10 is "
            "the best rate? Give it to run A (sidebar: edit run A, learning rate), then Reset and Play."
        ),
        config_a=VALLEY,
        config_b=replace(VALLEY, learning_rate=10.0),
        stop_epochs=(20, 100),
        chaotic=(("B", 100),),
        label_a="Rate 3",
        label_b="Rate 10",
        shows_landscape=True,
        answer=(
            "About 7: after 100 epochs its train loss is 0.01-0.03 over three weight seeds, the lowest of all, "
            "while 8 already bounces (4-10). The best rate sits just below the one at which steps start to "
            "overshoot the valley's walls: long steps along the floor, not yet too long across it. That is why "
            "a learning-rate sweep is read from the right (the largest rate that still trains, then a little "
            "less), and why momentum and Adam, which lengthen the steps along the floor, help."
        ),
    ),
    Lesson(
        key="learning_from_a_mistake",
        headline="Draw a digit it gets wrong: can one backprop step fix it?",
        hides=(
            "dataset",
            "train_size",
            "data_seed",
            "label_noise",
            "own_data",
            "compare",
            "residual",
            "normalization",
            "initializer",
            "init_sigma",
            "regularization",
            "regularization_rate",
            "dropout",
            "gradient_clip",
            "early_stopping",
            "lr_schedule",
            "lens",
            "landscape",
            "sweep",
        ),
        title="14. Learning from a mistake: one backprop step on your own digit",
        explanation=(
            "A network of 32 ReLU units has seen 2,000 MNIST digits twice, one digit per step (batch size 1, "
            "plain SGD, learning rate 0.005): every one of its 4,000 training steps was a backprop step on a single "
            "digit. Draw a digit on the pad below the charts. When the network gets it wrong, tell it what it is: "
            "that makes exactly one such step, on your digit alone (an 8 drawn as two round loops, one on the other, "
            "is read as a 5 here)."
        ),
        what_to_look_for=(
            "At epoch 2, where Play stops, the network is right on about 87 % of the 2,000 test digits. Under the "
            "pad after a step: the bars before and after, your digit's loss falling, and the first layer's change. "
            "Each of its pictures is your digit itself, because dL/dW = input × error: only the weights of pixels "
            "with ink moved. Then look up at the test accuracy."
        ),
        question=(
            "One step moved thousands of weights towards your digit. Did the network get worse at the 2,000 test "
            "digits it has never seen?"
        ),
        config_a=MISTAKE,
        stop_epochs=(2,),
        answer=(
            "Hardly. Over the test digits it gets wrong, one step corrects about two in three, and at most three "
            "steps nineteen in twenty, while the test accuracy typically moves by half a point to a point (some ten "
            "to twenty of the 2,000 test digits change their answer, for better or worse); now and then, for a digit "
            "that looks like many others, by a few points. The step moves the weights along your digit's own "
            "gradient; other digits change their answer only if they look like it and sat near a decision boundary. "
            "Training is thousands of such steps, each a small correction for one example; larger batches average "
            "them first."
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
