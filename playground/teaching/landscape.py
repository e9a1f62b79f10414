"""The loss landscape around the current weights, with the optimiser's path through it.

A plane through parameter space,

    theta(alpha, beta) = center + alpha * d_1 + beta * d_2        center, d_1, d_2: (n_parameters,)

and the training loss at every point of a square grid on it (Li et al. 2018, "Visualizing the Loss
Landscape of Neural Nets"). The loss is the history's train loss (``Trainer._record``): the record sample
(the first ``RECORD_POINTS`` training points), predictions as "predict" mode makes them (batch norm's running
averages, no dropout), plus the regulariser's term. Only theta moves: batch norm's running averages stay those
of the centre.

Directions:
- "pca" (Li et al. 2018, section 7), when the run has at least 3 distinct points (its trajectory and the current
  weights): the two leading right singular vectors of the matrix of (theta_i - center) over the path's points.
  Not mean-centred (Li et al.'s code centres it): the plane must pass through the centre, and through a given
  point the uncentred one is the least-squares plane. ``d_1``, ``d_2`` are orthonormal, so a point's
  coordinates are dot products, and ``explained`` is the share of the path's squared distance from the centre
  that lies in the plane. Signs are chosen so that the path starts at negative coordinates: the picture does
  not flip between refreshes.
- "random" otherwise (epoch 0, 1, 2): two Gaussian directions with filter normalisation (Li et al. 2018,
  section 4): each unit's incoming weights (a column of W, its "filter") are scaled to the norm of the same
  column of theta; the entries of biases, gammas and betas are 0 (Li et al.'s ``ignore biasbn``), so the plane
  moves the weights only. Seeded from the config's weight seed: the same run gives the same plane. They are
  not orthogonal (nearly, in many dimensions): a point's coordinates are those of its nearest point in the
  plane (least squares), and alpha = 1 moves every unit's weights by their own norm.

The centre is the current weights (for a run whose weights are no longer finite numbers: the latest point of
the path that is, ``center_epoch`` says which). The grid's axes are symmetric about 0 with an odd number of
points, so the middle point is the centre itself and its loss is the current training loss.

The grid is evaluated many points at a time (``_stacked_logits``): per layer one stacked matrix product
(``np.matmul`` of (m, n, fan_in) with (m, fan_in, fan_out)) for m points of the plane, the first layer in three
products for all of them (it is linear in theta). A network with a layer kind this does not know (none today)
falls back to one ``Network.copy`` and forward pass per grid point (``plane_losses(batched=False)``).
Nothing here raises or warns on diverged values: NaN and inf losses stay NaN and inf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from playground.engine.activations import inplace_kernels
from playground.engine.layers import NORM_EPSILON
from playground.engine.losses import REGULARIZERS
from playground.engine.network import Network, Pass
from playground.training.trainer import RECORD_POINTS, Trainer

PATH_MARGIN = 1.2  # the default span is this times the path's largest |coordinate| along each axis
MIN_ASPECT = 0.25  # each axis spans at least this share of the other: a flat path still gets a plane
RANDOM_SPAN = 1.0  # random filter-normalised directions: at least ±1, each unit's weights moved by their norm
MIN_RELATIVE_SPAN = 1e-6  # principal directions: a floor for a tiny path, relative to the centre's norm (>= 1)
MAX_RESOLUTION = 151
# Values held per stacked array while evaluating the grid (8 MB of float64): the chunk of grid points
# evaluated at once is as large as this allows.
CHUNK_VALUES = 2**20
# Layer kinds (``kind`` of the parts of a ``Pass``) the batched evaluation covers.
BATCHED_KINDS = frozenset({"dense", "activation", "batch_norm", "layer_norm", "dropout"})


@dataclass
class Landscape:
    """The training loss on a plane through the weights, and the run's path projected into it.

    alphas: (resolution,) grid coordinates along ``directions[0]``; betas: (resolution,) along ``directions[1]``;
        both symmetric about 0 with 0 in the middle.
    losses: (resolution, resolution), indexed [beta, alpha] (rows are betas, like ``np.meshgrid``): the
        training loss at center + alphas[i] * d_1 + betas[j] * d_2 in losses[j, i]; NaN or inf where it diverges.
    directions: (2, n_parameters) d_1, d_2 in the layout of ``network.theta``.
    center: (n_parameters,) the weights at the middle of the grid (the current ones unless they diverged).
    center_epoch: the epoch of ``center``.
    path: (k, 2) the path's points (trainer.path, then the current weights, in epoch order) as plane coordinates;
        NaN for points that are not finite numbers.
    path_epochs: (k,) their epochs.
    path_losses: (k,) the training loss at each point's real weights (and its own batch-norm averages): the
        history's train loss at that epoch, not the loss at the projection.
    method: "pca" or "random" (see the module notes).
    explained: share of the path's squared distance from the centre that lies in the plane (NaN: no extent).
    explained_by: (2,) the share along each direction (``explained_shares``).
    """

    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray
    directions: np.ndarray
    center: np.ndarray
    center_epoch: int
    path: np.ndarray
    path_epochs: np.ndarray
    path_losses: np.ndarray
    method: str
    explained: float
    explained_by: np.ndarray

    @property
    def center_loss(self) -> float:
        """The loss at the middle of the grid: the training loss at ``center``."""
        middle = self.losses.shape[0] // 2
        return float(self.losses[middle, middle])


# ---- the path --------------------------------------------------------------------------------------
def _path_points(trainer: Trainer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The run's points in epoch order: its trajectory before now (``trainer.path``: every epoch of a short
    run, thinned on a long one), then the current weights.

    Returns epochs (k,), thetas (k, n_parameters) and batch-norm statistics (k, n_statistics): a point's
    statistics are those of the latest snapshot at or before its epoch (exact at the snapshots' epochs; the
    trajectory keeps only the weights), the current ones for the current weights."""
    network = trainer.network
    size = network.theta.size
    path_epochs, path_thetas = trainer.path
    earlier = path_epochs < trainer.epoch
    epochs = np.append(path_epochs[earlier], trainer.epoch).astype(np.int64)
    thetas = np.vstack([path_thetas[earlier], network.theta[None, :]])
    stats = np.empty((epochs.size, network.statistics.size))
    snapshot_epochs = np.array([epoch for epoch, _ in trainer.snapshots], dtype=np.int64)
    for row, epoch in enumerate(epochs[:-1]):
        index = max(int(np.searchsorted(snapshot_epochs, epoch, side="right")) - 1, 0)
        stats[row] = trainer.snapshots[index][1][size:] if trainer.snapshots else network.statistics
    stats[-1] = network.statistics
    return epochs, thetas, stats


def _center_index(thetas: np.ndarray) -> int:
    """The latest point whose parameters are all finite (the last point when none is)."""
    finite = np.flatnonzero(np.all(np.isfinite(thetas), axis=1))
    return int(finite[-1]) if finite.size else thetas.shape[0] - 1


def principal_directions(thetas: np.ndarray, center: np.ndarray) -> np.ndarray | None:
    """The two leading principal directions of the points ``thetas`` (k, n_parameters) about ``center``
    (uncentred: see the module notes), as orthonormal rows (2, n_parameters). None when there are fewer than
    3 distinct finite points (the centre included)."""
    if not np.all(np.isfinite(center)):
        return None
    offsets = thetas[np.all(np.isfinite(thetas), axis=1)] - center  # (k', n_parameters)
    offsets = offsets[np.any(offsets != 0.0, axis=1)]  # the points other than the centre
    # 3 distinct points: the centre, the first other one, and one more unlike it.
    if offsets.shape[0] < 2 or not np.any(offsets[1:] != offsets[0]):
        return None
    with np.errstate(all="ignore"):
        scale = np.abs(offsets).max()  # huge (not yet infinite) weights: scaled so that no square overflows
        try:
            _, _, vt = np.linalg.svd(offsets / scale, full_matrices=False)
        except np.linalg.LinAlgError:
            return None
    directions = vt[:2].copy()
    # Orient each direction so that the path's earliest point lies on its negative side.
    first = offsets[0] @ directions.T
    directions[first > 0] *= -1.0
    return directions


def random_directions(network: Network, rng: np.random.Generator) -> np.ndarray:
    """Two Gaussian directions (2, n_parameters) with filter normalisation: each unit's incoming weights
    (column j of W_l, (fan_in,)) scaled to the norm of the same column of ``network.theta``; 0 on biases, gammas
    and betas. A unit whose weights are all 0 (or not finite) gets a direction of 0 (or NaN) there."""
    theta = network.theta
    directions = np.zeros((2, theta.size))
    with np.errstate(all="ignore"):
        for block in network.layout.of_kind("weight"):
            fan_in, fan_out = block.shape
            drawn = rng.standard_normal((2, fan_in, fan_out))
            target = np.linalg.norm(theta[block.start : block.stop].reshape(fan_in, fan_out), axis=0)  # (fan_out,)
            scaled = drawn * (target / np.linalg.norm(drawn, axis=1))[:, None, :]
            directions[:, block.start : block.stop] = scaled.reshape(2, -1)
    return directions


def plane_coordinates(points: np.ndarray, center: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Coordinates (k, 2) of the nearest point of the plane center + span(directions) to each of ``points``
    (k, n_parameters), by least squares: for orthonormal directions, the dot products with
    (point - center). NaN where a point or the plane is not finite."""
    with np.errstate(all="ignore"):
        dots = (points - center) @ directions.T  # (k, 2)
        gram = directions @ directions.T  # (2, 2)
        if np.array_equal(gram, np.eye(2)):
            return dots
        # The 2x2 normal equations solved by hand: a singular or NaN Gram matrix gives NaN, never an error.
        det = gram[0, 0] * gram[1, 1] - gram[0, 1] * gram[1, 0]
        if not (np.isfinite(det) and det > 1e-300):
            return np.full((points.shape[0], 2), np.nan)
        inverse = np.array([[gram[1, 1], -gram[0, 1]], [-gram[1, 0], gram[0, 0]]]) / det
        return dots @ inverse.T


def explained_shares(
    points: np.ndarray, center: np.ndarray, directions: np.ndarray, path: np.ndarray
) -> tuple[float, np.ndarray]:
    """How much of the points' (k, n_parameters) squared distance from ``center`` lies in the plane, given their
    plane coordinates ``path`` (k, 2): (|projections|^2 summed over |point - center|^2 summed, and per direction
    (2,) sum_k path[k, i]^2 |d_i|^2 over the same). For principal directions these are the squared singular
    values' shares; for random ones the per-direction shares need not add up to the first (not orthogonal).
    Over the finite points; NaN when they have no extent."""
    with np.errstate(all="ignore"):
        offsets = points - center
        finite = np.all(np.isfinite(offsets), axis=1) & np.all(np.isfinite(path), axis=1)
        total = float(np.sum(np.square(offsets[finite])))
        if not (total > 0 and math.isfinite(total)):
            return math.nan, np.full(2, np.nan)
        coordinates = path[finite]
        captured = float(np.sum(np.square(coordinates @ directions)))  # each point's nearest point of the plane
        each = np.sum(np.square(coordinates), axis=0) * np.sum(np.square(directions), axis=1)
    return captured / total, each / total


def _axis(span: float, resolution: int) -> np.ndarray:
    """(resolution,) coordinates from -span to span, exactly symmetric with exactly 0 in the middle."""
    half = np.linspace(0.0, span, resolution // 2 + 1)
    return np.concatenate((-half[:0:-1], half))


def _spans(path: np.ndarray, center: np.ndarray, method: str) -> tuple[float, float]:
    """The default half-widths of the grid along each direction: PATH_MARGIN times the path's reach, at least
    MIN_ASPECT of the other axis's, at least RANDOM_SPAN for random directions."""
    finite = path[np.all(np.isfinite(path), axis=1)]
    reach = np.abs(finite).max(axis=0) if finite.size else np.zeros(2)
    spans = PATH_MARGIN * reach
    if method == "random":  # directions as long as the weights: the floor is relative already
        spans = np.maximum(spans, RANDOM_SPAN)
    else:  # unit directions: a floor relative to the weights' norm
        norm = float(np.linalg.norm(center)) if np.all(np.isfinite(center)) else 1.0
        spans = np.maximum(spans, MIN_RELATIVE_SPAN * max(1.0, norm if math.isfinite(norm) else 1.0))
    spans = np.maximum(spans, MIN_ASPECT * spans.max())
    return float(spans[0]), float(spans[1])


def _check_span(span) -> tuple[float, float] | None:
    if span is None:
        return None
    values = (span, span) if np.ndim(span) == 0 else tuple(span)
    if len(values) != 2 or not all(
        isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        for v in values
    ):
        raise ValueError(f"span must be a positive number or a pair of them (alpha, beta), got {span!r}")
    return float(values[0]), float(values[1])


# ---- the losses on the plane -----------------------------------------------------------------------
def batched_path_covers(network: Network) -> bool:
    """Whether every layer of ``network`` is of a kind the batched evaluation knows (``BATCHED_KINDS``)."""
    probe = Pass(network, 1, "predict")
    kinds = {part.kind for block in probe.blocks for part in block.parts} | {probe.output.kind}
    return kinds <= BATCHED_KINDS


def _stacked_logits(
    network: Network, X: np.ndarray, center: np.ndarray, directions: np.ndarray, coefficients: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Logits (m, n, n_outputs) of the network's layers in "predict" mode at m points of the plane at once,
    theta = center + coefficients @ directions (coefficients: (m, 2)), and those thetas (m, n_parameters).

    X: (n, n_inputs); batch norm's running averages are the network's own. The layers' maths as
    ``playground.engine.layers`` does it in predict mode (dropout off, batch norm standardising with the
    running averages, layer norm over each example's units; the activations' own in-place kernels), with one
    stacked product per layer instead of one per point. The first dense layer's z = X W + b is linear in
    theta, so along the plane it is z(center) + alpha z(d_1) + beta z(d_2): three products for all m points
    (at the centre exactly the engine's X W + b)."""
    m, layout = coefficients.shape[0], network.layout
    thetas = center + coefficients @ directions  # (m, n_parameters)

    def stacked(kind: str) -> list[np.ndarray]:
        return [thetas[:, b.start : b.stop].reshape(m, *b.shape) for b in layout.of_kind(kind)]

    def first_layer(vector: np.ndarray) -> np.ndarray:
        weight, bias = layout.of_kind("weight")[0], layout.of_kind("bias")[0]
        z = np.dot(X, vector[weight.start : weight.stop].reshape(weight.shape))
        return np.add(z, vector[bias.start : bias.stop], z)  # (n, fan_out)

    weights, biases = stacked("weight"), stacked("bias")
    gammas, betas = stacked("gamma"), stacked("beta")
    z_center, z_alpha, z_beta = (first_layer(vector) for vector in (center, *directions))
    a = X  # (n, n_inputs) below the first layer, then (m, n, fan_in)
    for layer in range(network.n_layers):
        if layer == 0:
            z = z_center + coefficients[:, 0, None, None] * z_alpha  # (m, n, fan_out)
            z += coefficients[:, 1, None, None] * z_beta
        else:
            z = np.matmul(a, weights[layer])
            z += biases[layer][:, None, :]
        if layer == network.n_layers - 1:
            return z, thetas
        if network.normalization != "none":
            if network.normalization == "batch":
                mean, variance = network.running[layer].averages()  # (fan_out,) each
            else:  # layer norm: each example over its units
                mean = z.mean(axis=2, keepdims=True)
                variance = np.square(z - mean).mean(axis=2, keepdims=True)
            z = (z - mean) * (1.0 / np.sqrt(variance + NORM_EPSILON))
            z *= gammas[layer][:, None, :]
            z += betas[layer][:, None, :]
        inplace_kernels(network.hidden_activations[layer]).value(z, z)
        a = a + z if network.skips[layer] else z
    raise AssertionError("unreachable: the last layer returns")


def _chunk_size(network: Network, n_samples: int, n_points: int) -> int:
    widest = max(network.layer_sizes)
    return max(1, min(n_points, CHUNK_VALUES // (n_samples * widest), CHUNK_VALUES // network.theta.size))


def plane_losses(
    network: Network,
    X: np.ndarray,
    y: np.ndarray,
    center: np.ndarray,
    directions: np.ndarray,
    coefficients: np.ndarray,
    regularization: str = "none",
    rate: float = 0.0,
    batched: bool | None = None,
) -> np.ndarray:
    """The loss (the head's mean loss plus the regulariser's term) at theta = center + coefficients @ directions
    for each row of ``coefficients`` (m, 2), on X: (n, n_inputs), labels y: (n,); predictions as "predict" mode
    makes them, with ``network.statistics`` as batch norm's running averages. Returns (m,).

    ``batched``: None uses the stacked evaluation when ``batched_path_covers(network)``; False evaluates one
    ``Network.copy`` per point (the reference, and the fallback); True forces the stacked one."""
    X = network.check_inputs(X)
    T = network.targets(y)
    coefficients = np.asarray(coefficients, dtype=np.float64).reshape(-1, 2)
    if batched is None:
        batched = batched_path_covers(network)
    head, weight_mask = network.head, network.weight_mask == 1.0
    regularize = regularization != "none" and rate > 0
    penalty_of = REGULARIZERS[regularization].value
    losses = np.empty(coefficients.shape[0])
    with np.errstate(all="ignore"):
        if not batched:
            for i, (alpha, beta) in enumerate(coefficients):
                theta = center + alpha * directions[0] + beta * directions[1]
                losses[i] = network.copy(theta, network.statistics).loss(X, y, regularization, rate, "predict")
            return losses
        chunk = _chunk_size(network, X.shape[0], coefficients.shape[0])
        for start in range(0, coefficients.shape[0], chunk):
            part = coefficients[start : start + chunk]
            logits, thetas = _stacked_logits(network, X, center, directions, part)
            for i in range(part.shape[0]):
                loss = head.loss(logits[i], T)
                losses[start + i] = loss + rate * penalty_of(thetas[i, weight_mask]) if regularize else loss
    return losses


def _point_losses(trainer: Trainer, X: np.ndarray, y: np.ndarray, thetas: np.ndarray, stats: np.ndarray):
    """The training loss at each of the path's points (k,), each with its own batch-norm averages."""
    c, network = trainer.config, trainer.network
    losses = np.empty(thetas.shape[0])
    with np.errstate(all="ignore"):
        for i, (theta, statistics) in enumerate(zip(thetas, stats)):
            copy = network.copy(theta, statistics)
            losses[i] = copy.loss(X, y, c.regularization, c.regularization_rate, "predict")
    return losses


# ---- the whole picture -----------------------------------------------------------------------------
def loss_landscape(trainer: Trainer, resolution: int = 25, span=None, method: str = "auto") -> Landscape:
    """The training loss on a ``resolution`` x ``resolution`` grid in a plane through the current weights, and
    the run's path (``trainer.path``, every epoch of a short run, and now) projected into it. See the module notes.

    resolution: an odd whole number from 3 to MAX_RESOLUTION (odd: the centre is a grid point).
    span: the grid's half-width along each direction, a number or a pair (alpha, beta); None covers the path
        (PATH_MARGIN times its reach along each axis; at least ±RANDOM_SPAN for random directions).
    method: "auto" (principal directions when the path has 3 distinct points, else random),
        "pca" (falls back to random when it cannot) or "random".
    """
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError(f"resolution must be an odd whole number from 3 to {MAX_RESOLUTION}, got {resolution!r}")
    if not (3 <= resolution <= MAX_RESOLUTION and resolution % 2 == 1):
        raise ValueError(f"resolution must be an odd whole number from 3 to {MAX_RESOLUTION}, got {resolution!r}")
    if method not in ("auto", "pca", "random"):
        raise ValueError(f"method must be 'auto', 'pca' or 'random', got {method!r}")
    spans = _check_span(span)
    c = trainer.config
    epochs, thetas, stats = _path_points(trainer)
    middle = _center_index(thetas)
    center = thetas[middle]
    # The plane's network: the centre's batch-norm averages, the trainer's design.
    network = trainer.network.copy(center, stats[middle])
    directions = principal_directions(thetas, center) if method != "random" else None
    chosen = "random" if directions is None else "pca"
    if directions is None:
        directions = random_directions(network, np.random.default_rng([c.weight_seed, 7]))
    path = plane_coordinates(thetas, center, directions)
    path[middle] = 0.0  # the centre is the origin (also when the directions are not finite)
    alpha_span, beta_span = spans if spans is not None else _spans(path, center, chosen)
    alphas, betas = _axis(alpha_span, resolution), _axis(beta_span, resolution)
    explained, explained_by = explained_shares(thetas, center, directions, path)
    n = min(RECORD_POINTS, trainer.y_train.shape[0])  # the record sample: the history's train loss
    X, y = trainer.X_train[:n], trainer.y_train[:n]
    grid_alpha, grid_beta = np.meshgrid(alphas, betas)  # (resolution, resolution), indexed [beta, alpha]
    coefficients = np.column_stack((grid_alpha.ravel(), grid_beta.ravel()))
    losses = plane_losses(network, X, y, center, directions, coefficients, c.regularization, c.regularization_rate)
    return Landscape(
        alphas=alphas,
        betas=betas,
        losses=losses.reshape(resolution, resolution),
        directions=directions,
        center=center.copy(),
        center_epoch=int(epochs[middle]),
        path=path,
        path_epochs=epochs,
        path_losses=_point_losses(trainer, X, y, thetas, stats),
        method=chosen,
        explained=explained,
        explained_by=explained_by,
    )
