"""Loss-landscape benchmark: how long ``loss_landscape`` takes, and its batched grid evaluation against one
network per grid point.

    python -m bench.bench_landscape                     # every configuration, resolutions 25 and 41
    python -m bench.bench_landscape --rounds 7 --clock cpu
    python -m bench.bench_landscape --cases digits --resolutions 25

For each configuration a run is trained (``record_every=1``: a snapshot every epoch, as the app's frames give
one per frame) so that the plane is the principal one. Then, per resolution, ``--rounds`` rounds, each timing
one after the other (in an order that alternates from round to round):
  landscape   ``loss_landscape(trainer, resolution)``: directions, path, grid and path losses, everything
  batched     ``plane_losses(..., batched=True)``: the grid's losses, many grid points per stacked product
  per point   ``plane_losses(..., batched=False)``: the same grid, one ``Network.copy`` and forward pass each
Times are medians over rounds; the ratio is the median of each round's per-point / batched (both measured
seconds apart, so a shared machine's slow phases largely cancel). Both evaluations' losses are compared once
(the largest relative difference is printed). NumPy's BLAS runs on one thread (``threadpoolctl``) unless
``--blas-threads 0``: on a loaded two-core machine a multi-threaded BLAS is often slower, not faster.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the repo root is not
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from playground import Trainer, TrainingConfig, loss_landscape  # noqa: E402
from playground.teaching.landscape import plane_losses  # noqa: E402
from playground.training.trainer import RECORD_POINTS  # noqa: E402

CASES = {
    "default: circle [4,2] tanh, batch 10, 250 train": TrainingConfig(),
    "circle [8,8] tanh, batch 10, 250 train": TrainingConfig(hidden_layers=(8, 8)),
    "digits [64,32] ReLU, batch 32, softmax, 898 train": TrainingConfig(
        dataset="digits", hidden_layers=(64, 32), activations=("relu", "relu"), batch_size=32
    ),
    "circle 4x[16] ReLU, skips + batch norm, batch 32, 250 train": TrainingConfig(
        hidden_layers=(16,) * 4, activations=("relu",) * 4, batch_size=32, residual=True, normalization="batch"
    ),
}
TRAIN_EPOCHS = 30
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _single_blas_thread():
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn (requirements-bench.txt)
    except ImportError:
        print("threadpoolctl not installed: BLAS at its default thread count")
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _timed(function, clock) -> float:
    start = clock()
    function()
    return clock() - start


def bench_resolution(trainer: Trainer, resolution: int, rounds: int, clock) -> dict:
    """One resolution's timings on a trained run: medians in seconds, the per-point/batched ratio, and the
    largest relative difference between the two evaluations' losses."""
    c, network = trainer.config, trainer.network
    n = min(RECORD_POINTS, trainer.y_train.shape[0])
    X, y = trainer.X_train[:n], trainer.y_train[:n]
    landscape = loss_landscape(trainer, resolution)  # warm-up, and the plane the grid timings use
    grid_alpha, grid_beta = np.meshgrid(landscape.alphas, landscape.betas)
    coefficients = np.column_stack((grid_alpha.ravel(), grid_beta.ravel()))
    grid = (network, X, y, landscape.center, landscape.directions, coefficients, c.regularization)
    functions = {
        "landscape": partial(loss_landscape, trainer, resolution),
        "batched": partial(plane_losses, *grid, c.regularization_rate, batched=True),
        "per point": partial(plane_losses, *grid, c.regularization_rate, batched=False),
    }
    with np.errstate(all="ignore"):
        difference = float(np.nanmax(np.abs(functions["batched"]() / functions["per point"]() - 1.0)))
    times: dict[str, list[float]] = {name: [] for name in functions}
    ratios = []
    for round_ in range(rounds):
        order = list(functions) if round_ % 2 == 0 else list(reversed(functions))
        measured = {name: _timed(functions[name], clock) for name in order}
        for name, seconds in measured.items():
            times[name].append(seconds)
        ratios.append(measured["per point"] / measured["batched"])
    row = {name: statistics.median(values) for name, values in times.items()}
    row.update(ratio=statistics.median(ratios), difference=difference, method=landscape.method)
    return row


def bench_case(label: str, config: TrainingConfig, resolutions: list[int], rounds: int, clock) -> None:
    trainer = Trainer(config, record_every=1)
    trainer.train(TRAIN_EPOCHS)
    for resolution in resolutions:
        row = bench_resolution(trainer, resolution, rounds, clock)
        print(
            f"{label:60s} {resolution:>4d} {resolution * resolution:>6,d} {1e3 * row['landscape']:>12.1f} "
            f"{1e3 * row['batched']:>11.1f} {1e3 * row['per point']:>13.1f} {row['ratio']:>8.1f}x "
            f"{row['difference']:>12.1e}  {row['method']}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--resolutions", type=int, nargs="+", default=[25, 41])
    parser.add_argument("--cases", nargs="+", help="only the configurations whose label contains one of these")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--blas-threads", type=int, choices=[0, 1], default=1, help="0: BLAS at its default")
    args = parser.parse_args(argv)
    cases = {k: v for k, v in CASES.items() if args.cases is None or any(word in k for word in args.cases)}
    print("== Loss landscape: milliseconds (median of", args.rounds, "rounds,", args.clock, "clock) ==")
    print(
        f"{'configuration':60s} {'res':>4s} {'points':>6s} {'landscape ms':>12s} {'batched ms':>11s} "
        f"{'per point ms':>13s} {'ratio':>9s} {'max rel diff':>12s}  plane"
    )
    with _single_blas_thread() if args.blas_threads == 1 else contextlib.nullcontext():
        for label, config in cases.items():
            bench_case(label, config, args.resolutions, args.rounds, CLOCKS[args.clock])


if __name__ == "__main__":
    main()
