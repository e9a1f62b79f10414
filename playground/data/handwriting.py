"""A drawn digit made into the images the networks read: MNIST's 28x28 and the UCI digits' 8x8.

The pad (``playground.ui.draw_pad``) gives *ink*: an (H, W) array in [0, 1], 1 where the pen went, of any size
(280x280 from the browser). A network trained on MNIST only recognises a drawing made the way MNIST's digits were
(LeCun, Cortes and Burges): the ink's bounding box scaled, with anti-aliasing, so that its larger side is 20 pixels
(aspect ratio kept), then placed in 28x28 so that its intensity-weighted centre of mass falls on pixel (14, 14)
(0-based; the median of MNIST's own digits, measured in tests/test_handwriting.py). The UCI 8x8 digits (Alpaydin and
Kaynak) were 32x32 bitmaps, the digit's height filling the bitmap and its width at most about 20 pixels, counted in
4x4 blocks (0-16).

``rasterize_strokes`` draws polylines with round caps as a browser canvas does: the tests' synthetic digits.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

MNIST_SIDE, MNIST_BOX, MNIST_CENTRE = 28, 20, 14.0  # the frame, the ink's larger side, where its c.o.m. goes
UCI_SIDE, UCI_BITMAP, UCI_BLOCK = 8, 32, 4  # 8x8 counts of 4x4 blocks of a 32x32 bitmap
UCI_WIDTH = 20  # the widest a UCI digit is in its bitmap (pixels; its height is 32)
INK_THRESHOLD = 0.05  # of the drawing's maximum: fainter pixels (anti-aliased fringes) do not widen the bounding box


def _box_resize(image: np.ndarray, axis: int, scale: float) -> np.ndarray:
    """Area averaging along one axis: n -> ceil(n * scale) pixels. Output pixel j covers input [j / scale,
    (j + 1) / scale) and takes the mean of the input over that interval (a box filter: anti-aliased, nothing is
    skipped); a last pixel only partly covered by the input comes out fainter, as the edge of a scanned stroke does.

    Read off the running integral of the pixels, which is linear within a pixel: no matrix product, so no BLAS
    threads (on a shared machine their start-up costs more than this whole function)."""
    n = image.shape[axis]
    m = max(1, math.ceil(n * scale - 1e-9))
    integral = np.concatenate([np.zeros_like(np.take(image, [0], axis=axis)), np.cumsum(image, axis=axis)], axis=axis)
    edges = np.minimum(np.arange(m + 1) / scale, n)  # output pixel edges in input coordinates
    whole = np.minimum(np.floor(edges).astype(int), n - 1)
    fraction = (edges - whole).reshape([-1 if k == axis else 1 for k in range(image.ndim)])
    at_edges = np.take(integral, whole, axis=axis) + fraction * np.take(image, whole, axis=axis)
    return np.diff(at_edges, axis=axis) * scale


def _crop_to_ink(ink: np.ndarray) -> np.ndarray | None:
    """The ink's bounding box (pixels above INK_THRESHOLD of the maximum), or None for an empty drawing."""
    ink = np.nan_to_num(np.asarray(ink, dtype=np.float64), nan=0.0, posinf=1.0, neginf=0.0)
    if ink.ndim != 2:
        raise ValueError(f"ink should be a 2D array (H, W), got shape {ink.shape}")
    ink = np.clip(ink, 0.0, 1.0)
    peak = ink.max(initial=0.0)
    if peak <= 1e-3:
        return None
    rows = np.flatnonzero((ink >= INK_THRESHOLD * peak).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD * peak).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _fit(crop: np.ndarray, box: int) -> np.ndarray:
    """The crop scaled by area averaging so that its larger side is ``box`` pixels: (<= box, <= box)."""
    scale = box / max(crop.shape)
    return _box_resize(_box_resize(crop, 0, scale), 1, scale)


def preprocess_drawing(ink: np.ndarray) -> np.ndarray:
    """A drawing as an MNIST digit: ink (H, W) in [0, 1] -> (28, 28) in [0, 1] (all zeros for an empty drawing).

    The bounding box of the ink is scaled (area averaging) so that its larger side is 20 pixels, its intensities
    stretched so that the darkest pixel is 1 (as in MNIST, whose digits nearly all peak at 1), and it is pasted in
    28x28 with its centre of mass rounded to (14, 14). A shift that would push ink out of the frame is limited so
    that all of it stays in (the centre of mass then lands nearer the edge: only very lopsided drawings).
    """
    crop = _crop_to_ink(ink)
    image = np.zeros((MNIST_SIDE, MNIST_SIDE))
    if crop is None:
        return image
    small = _fit(crop, MNIST_BOX)
    small /= small.max()
    rows, cols = np.indices(small.shape)
    mass = small.sum()
    centre_row, centre_col = (rows * small).sum() / mass, (cols * small).sum() / mass
    top = int(np.clip(round(MNIST_CENTRE - centre_row), 0, MNIST_SIDE - small.shape[0]))
    left = int(np.clip(round(MNIST_CENTRE - centre_col), 0, MNIST_SIDE - small.shape[1]))
    image[top : top + small.shape[0], left : left + small.shape[1]] = small
    return np.clip(image, 0.0, 1.0)


def to_uci_digits(ink: np.ndarray) -> np.ndarray:
    """A drawing as a UCI 8x8 digit: ink (H, W) in [0, 1] (the pad's ink or a 28x28 image) -> (64,) in [0, 1].

    As the UCI digits were made, read off their data: all 1797 span the 8 rows, so the ink's height is scaled to
    fill the 32x32 bitmap; all 178 zeros are 6 blocks wide from block 1, so widths were not scaled with the height
    but set to about 20 pixels, centred (blocks 1 to 6, the outer two partly). Here the width is the aspect-kept
    width up to 20 pixels (a "1" stays narrow). Each 4x4 block's ink is summed (0-16 in UCI's counts; here divided
    by 16), grey levels kept: an anti-aliased edge counts as part of a pixel.
    """
    crop = _crop_to_ink(ink)
    if crop is None:
        return np.zeros(UCI_SIDE * UCI_SIDE)
    height, width = crop.shape
    scale_rows, scale_cols = UCI_BITMAP / height, min(UCI_BITMAP / height, UCI_WIDTH / width)
    small = _box_resize(_box_resize(crop, 0, scale_rows), 1, scale_cols)
    bitmap = np.zeros((UCI_BITMAP, UCI_BITMAP))
    left = (UCI_BITMAP - small.shape[1]) // 2
    bitmap[: small.shape[0], left : left + small.shape[1]] = small
    blocks = bitmap.reshape(UCI_SIDE, UCI_BLOCK, UCI_SIDE, UCI_BLOCK).mean(axis=(1, 3))
    return np.clip(blocks, 0.0, 1.0).ravel()


def image_for(trainer_or_side, ink: np.ndarray) -> np.ndarray:
    """The network input for a drawing: (side²,) in [0, 1], for a trainer (its ``image_side``) or a side (28 or 8)."""
    side = trainer_or_side if isinstance(trainer_or_side, (int, np.integer)) else trainer_or_side.image_side
    if side == MNIST_SIDE:
        return preprocess_drawing(ink).ravel()
    if side == UCI_SIDE:
        return to_uci_digits(ink)
    raise ValueError(f"a drawing can be made into a 28x28 (MNIST) or an 8x8 (UCI digits) image, not {side}x{side}")


def rasterize_strokes(strokes: Sequence[Sequence[tuple[float, float]]], size: int = 280, width: float = 20.0):
    """Polylines drawn as a canvas draws them with round caps and joins: ink (size, size) in [0, 1].

    ``strokes``: a list of strokes, each a list of (x, y) points in pixels (x to the right, y down, as in the
    browser); a stroke of one point is a dot. Edges are anti-aliased over one pixel. Used for synthetic digits.
    """
    ink = np.zeros((size, size))
    half = width / 2.0
    ys, xs = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        if points.shape[0] == 1:
            points = np.vstack([points, points])
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            # Only the pixels near the segment: a stroke of many short segments stays cheap.
            r0, r1 = max(0, int(min(y0, y1) - half - 2)), min(size, int(max(y0, y1) + half + 3))
            c0, c1 = max(0, int(min(x0, x1) - half - 2)), min(size, int(max(x0, x1) + half + 3))
            if r0 >= r1 or c0 >= c1:
                continue
            px, py = xs[r0:r1, c0:c1], ys[r0:r1, c0:c1]
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = np.zeros_like(px) if length2 == 0 else np.clip(((px - x0) * dx + (py - y0) * dy) / length2, 0, 1)
            distance = np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))
            coverage = np.clip(half + 0.5 - distance, 0.0, 1.0)
            ink[r0:r1, c0:c1] = np.maximum(ink[r0:r1, c0:c1], coverage)
    return ink
