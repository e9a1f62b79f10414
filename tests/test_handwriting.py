"""A drawn digit made into MNIST's 28x28 and the UCI 8x8 (``playground.data.handwriting``): placed and sized as the
datasets' own digits are, and recognised by networks trained on them as well as their own test digits are."""

from __future__ import annotations

import numpy as np
import pytest

from playground.data.datasets import _digits_table, _mnist_table
from playground.data.handwriting import (
    MNIST_BOX,
    MNIST_CENTRE,
    image_for,
    preprocess_drawing,
    rasterize_strokes,
    to_uci_digits,
)
from playground.training.config import TrainingConfig
from playground.training.trainer import Trainer
from playground.ui.draw_pad import PAD_PIXELS, PEN_PIXELS

PAD, PEN = PAD_PIXELS, PEN_PIXELS  # the pad's canvas and its pen's width, in pixels

MNIST_NET = TrainingConfig(
    dataset="mnist",
    hidden_layers=(64,),
    activations=("relu",),
    optimizer="adam",
    learning_rate=0.001,
    batch_size=32,
    train_size=2000,
)
DIGITS_NET = TrainingConfig(
    dataset="digits", hidden_layers=(64,), activations=("relu",), optimizer="adam", learning_rate=0.01, batch_size=32
)


def zero(cx: float, cy: float, rx: float, ry: float) -> list[list[tuple[float, float]]]:
    """An oval "0" centred at (cx, cy) with half-axes rx, ry: one closed stroke."""
    angles = np.linspace(0, 2 * np.pi, 60)
    return [list(zip(cx + rx * np.sin(angles), cy - ry * np.cos(angles)))]


def seven(x: float, y: float, size: float) -> list[list[tuple[float, float]]]:
    """A "7" whose bounding box starts at (x, y), size pixels tall and 0.6 size wide: the bar, then the stem."""
    return [[(x, y), (x + 0.6 * size, y), (x + 0.25 * size, y + size)]]


def one(x: float, y: float, size: float) -> list[list[tuple[float, float]]]:
    return [[(x, y), (x, y + size)]]


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(image.shape)
    return np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()


def box(image: np.ndarray, threshold: float = 0.0) -> tuple[int, int]:
    """Height and width of the bounding box of the pixels above threshold."""
    rows, cols = np.flatnonzero((image > threshold).any(axis=1)), np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def accuracy(trainer: Trainer, images: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(trainer.predict_proba(images).argmax(axis=1) == labels))


@pytest.fixture(scope="module")
def mnist_net() -> Trainer:
    trainer = Trainer(MNIST_NET)
    trainer.train(3)
    return trainer


@pytest.fixture(scope="module")
def digits_net() -> Trainer:
    trainer = Trainer(DIGITS_NET)
    trainer.train(20)
    return trainer


# ---- MNIST: where its digits sit, and drawings put there --------------------------------------------------------
def test_mnist_digits_fill_a_20_pixel_box_centred_by_mass_on_pixel_14():
    """The constants are MNIST's own: the larger side of the ink is 20 pixels, the c.o.m. at (14, 14), max ~1."""
    images = _mnist_table()[0].reshape(-1, 28, 28)
    sides = np.array([max(box(image)) for image in images])
    assert np.mean(sides == MNIST_BOX) > 0.99
    centres = np.array([centre_of_mass(image) for image in images])
    assert np.allclose(np.median(centres, axis=0), MNIST_CENTRE, atol=0.1)
    assert np.all(np.abs(centres - MNIST_CENTRE) < 1.0)  # rounding the shift leaves at most half a pixel (and blur)
    assert np.median(images.max(axis=(1, 2))) == 1.0


@pytest.mark.parametrize(
    "strokes",
    [
        zero(40, 50, 18, 28),  # small, at the top-left corner
        zero(150, 140, 70, 110),  # big, filling the pad
        seven(200, 190, 60),  # small, at the bottom-right
        one(60, 20, 240),  # tall and thin
    ],
    ids=["small-0-top-left", "big-0", "small-7-bottom-right", "tall-1"],
)
def test_a_drawing_is_fitted_into_20_pixels_and_centred_by_mass(strokes):
    ink = rasterize_strokes(strokes, PAD, PEN)
    image = preprocess_drawing(ink)
    assert image.shape == (28, 28) and image.min() >= 0.0 and image.max() == pytest.approx(1.0)
    assert np.all(np.abs(centre_of_mass(image) - MNIST_CENTRE) <= 0.5)
    height, width = box(image, 0.05)
    assert max(height, width) in (MNIST_BOX, MNIST_BOX + 1)  # +1: a partly covered edge pixel
    ink_height, ink_width = box(ink, 0.05)
    assert width / height == pytest.approx(ink_width / ink_height, abs=1.5 / MNIST_BOX)  # aspect kept


def test_where_a_digit_is_drawn_does_not_matter_and_its_size_barely_does():
    here = preprocess_drawing(rasterize_strokes(zero(60, 70, 40, 55), PAD, PEN))
    there = preprocess_drawing(rasterize_strokes(zero(200, 190, 40, 55), PAD, PEN))
    np.testing.assert_allclose(here, there, atol=1e-9)
    # Twice as big, the pen twice as wide: the same digit to MNIST, up to the one-pixel shift that rounding a
    # centre of mass on a half pixel (this oval is symmetric) may make either way.
    big = preprocess_drawing(rasterize_strokes(zero(140, 140, 80, 110), PAD, 2 * PEN))
    shifts = [np.abs(np.roll(big, (dy, dx), axis=(0, 1)) - here).mean() for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    assert min(shifts) < 0.01


def test_an_empty_or_blank_drawing_is_all_zeros_and_hostile_values_stay_in_range():
    for blank in (np.zeros((PAD, PAD)), np.zeros((140, 90)), np.full((PAD, PAD), np.nan)):
        assert np.array_equal(preprocess_drawing(blank), np.zeros((28, 28)))
        assert np.array_equal(to_uci_digits(blank), np.zeros(64))
    hostile = rasterize_strokes(zero(140, 140, 60, 90), PAD, PEN) * 7.0 - 2.0
    hostile[0, 0] = np.inf
    for image in (preprocess_drawing(hostile), to_uci_digits(hostile)):
        assert np.all(np.isfinite(image)) and image.min() >= 0.0 and image.max() <= 1.0
    with pytest.raises(ValueError):
        preprocess_drawing(np.zeros(784))


def test_scaling_averages_areas_rather_than_picking_pixels():
    """Anti-aliased as MNIST's normalisation was: one-pixel stripes shrunk 10x become an even grey of their mean,
    beside a solid block at full intensity (nearest-pixel sampling would give stripes or nothing)."""
    ink = np.zeros((PAD, PAD))
    ink[40:240, 40:140:2] = 1.0  # 200 x 100 of stripes, every other column inked
    ink[40:240, 140:240] = 1.0  # 200 x 100 solid
    image = preprocess_drawing(ink)
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    inner = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    assert inner.shape == (20, 20)
    np.testing.assert_allclose(inner[:, 1:9], 0.5, atol=0.03)
    np.testing.assert_allclose(inner[:, 10:], 1.0)


def test_a_dot_and_a_thin_stroke_do_not_vanish():
    dot = preprocess_drawing(rasterize_strokes([[(100.0, 100.0)]], PAD, 3.0))
    assert dot.max() == pytest.approx(1.0)
    hair = rasterize_strokes(zero(140, 140, 90, 120), PAD, 1.0) * 0.4  # one faint pixel wide, 240 tall
    assert preprocess_drawing(hair).max() == pytest.approx(1.0)


def drawn(digit: int, height: float) -> list[list[tuple[float, float]]]:
    """A synthetic 0, 1 or 7 ``height`` pixels tall in the middle of the pad."""
    top = (PAD - height) / 2
    return {
        0: zero(PAD / 2, PAD / 2, 0.3 * height, height / 2),
        1: one(PAD / 2, top, height),
        7: seven(80, top, height),
    }[digit]


@pytest.mark.parametrize("height", [150, 200, 240])
@pytest.mark.parametrize("digit", [0, 1, 7])
def test_pad_digits_carry_as_much_ink_as_mnist_digits(digit, height):
    """Drawn at a usual size with the pad's pen, a digit's ink after preprocessing is within MNIST's own range for
    that digit (5th to 95th percentile of the mean intensity): the pen width suits 28x28."""
    images, labels = _mnist_table()
    low, high = np.percentile(images[labels == digit].mean(axis=1), [5, 95])
    assert low <= preprocess_drawing(rasterize_strokes(drawn(digit, height), PAD, PEN)).mean() <= high


def test_pad_digits_are_recognised_by_a_network_trained_on_mnist(mnist_net):
    for digit in (0, 1, 7):
        for height in (150, 240):
            image = image_for(mnist_net, rasterize_strokes(drawn(digit, height), PAD, PEN))
            assert mnist_net.predict_proba(image[None, :])[0].argmax() == digit


def test_mnist_test_digits_drawn_big_or_small_anywhere_are_recognised_as_well_as_the_originals(mnist_net):
    """MNIST test digits blown up 10x to the pad's 280x280, or 5x and put off-centre, come back as what the
    network was trained on: its accuracy on them stays within 2 points of its accuracy on the originals."""
    rng = np.random.default_rng(0)
    rows = rng.choice(mnist_net.X_test.shape[0], 400, replace=False)
    originals, labels = mnist_net.X_test[rows], mnist_net.y_test[rows]
    blown_up, shifted = [], []
    for image in originals.reshape(-1, 28, 28):
        blown_up.append(preprocess_drawing(np.kron(image, np.ones((10, 10)))).ravel())
        canvas = np.zeros((PAD, PAD))
        top, left = rng.integers(0, PAD - 140, size=2)
        canvas[top : top + 140, left : left + 140] = np.kron(image, np.ones((5, 5)))
        shifted.append(preprocess_drawing(canvas).ravel())
    baseline = accuracy(mnist_net, originals, labels)
    assert baseline > 0.85  # a network worth testing against
    for images in (np.array(blown_up), np.array(shifted)):
        assert abs(accuracy(mnist_net, images, labels) - baseline) <= 0.02
        assert np.abs(images - originals).mean() < 0.02  # nearly the same pixels, not just the same answers


# ---- the UCI 8x8 digits -------------------------------------------------------------------------------------------
def test_a_drawing_as_an_8x8_digit_is_placed_like_the_uci_digits():
    """Every UCI digit spans the 8 rows; the zeros (all but one) are 6 blocks wide from block 1. A drawn 0 too."""
    images, labels = _digits_table()
    images = images.reshape(-1, 8, 8)
    assert all(box(image)[0] == 8 for image in images)
    zeros = images[labels == 0]
    assert np.mean([np.array_equal(np.flatnonzero(image.any(axis=0)), np.arange(1, 7)) for image in zeros]) > 0.99
    for drawn in (zero(40, 50, 25, 35), zero(150, 140, 90, 110)):  # narrow or nearly round, small or big
        image = to_uci_digits(rasterize_strokes(drawn, PAD, PEN)).reshape(8, 8)
        assert box(image) == (8, 6)
        assert np.array_equal(np.flatnonzero(image.any(axis=0)), np.arange(1, 7))
        assert image.min() >= 0.0 and image.max() <= 1.0
    one_image = to_uci_digits(rasterize_strokes(one(140, 30, 220), PAD, PEN)).reshape(8, 8)
    assert box(one_image) == (8, 1) or box(one_image) == (8, 2)  # a "1" is not stretched sideways


def test_uci_digits_blown_up_and_made_8x8_again_stay_recognised(digits_net):
    """The UCI test digits blown up 35x to 280x280 and made 8x8 again: the network trained on the digits still
    recognises them, within 6 points of its accuracy on the originals. Not closer: a digit 6 blocks wide becomes
    20 of the 24 pixels it spans blown up, so its edges fall across blocks (UCI's own digits have such edges)."""
    originals, labels = digits_net.X_test, digits_net.y_test
    remade = np.array([to_uci_digits(np.kron(image.reshape(8, 8), np.ones((35, 35)))) for image in originals])
    baseline = accuracy(digits_net, originals, labels)
    assert baseline > 0.9
    assert accuracy(digits_net, remade, labels) >= baseline - 0.06


def test_image_for_picks_the_network_input_by_image_side(mnist_net, digits_net):
    ink = rasterize_strokes(seven(60, 40, 180), PAD, PEN)
    np.testing.assert_array_equal(image_for(28, ink), preprocess_drawing(ink).ravel())
    np.testing.assert_array_equal(image_for(mnist_net, ink), preprocess_drawing(ink).ravel())
    np.testing.assert_array_equal(image_for(8, ink), to_uci_digits(ink))
    np.testing.assert_array_equal(image_for(digits_net, ink), to_uci_digits(ink))
    assert mnist_net.predict_proba(image_for(mnist_net, ink)[None, :]).shape == (1, 10)
    with pytest.raises(ValueError):
        image_for(16, ink)


def test_strokes_are_drawn_with_the_pen_width_and_round_caps():
    line = rasterize_strokes([[(50.0, 100.0), (200.0, 100.0)]], PAD, PEN)
    assert line[:, 125].sum() == pytest.approx(PEN, abs=0.5)  # the pen's width across the middle
    end = 50 - PEN / 2  # the round cap reaches half the pen past the end of the line
    assert line[100, int(end) + 1] > 0.5 and line[100, int(end) - 1] == 0.0
    dot = rasterize_strokes([[(140.0, 140.0)]], PAD, PEN)
    assert dot.sum() == pytest.approx(np.pi * (PEN / 2) ** 2, rel=0.02)
