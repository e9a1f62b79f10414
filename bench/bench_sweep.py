"""Learning-rate sweep benchmark: ``learning_rate_sweep`` (every rate in one batched computation) against the
same runs made one by one.

    python -m bench.bench_sweep                      # three configurations, 9 rates, 100 epochs, 5 rounds
    python -m bench.bench_sweep --rounds 7 --clock cpu
    python -m bench.bench_sweep --cases default --epochs 300

For each configuration: nine log-spaced rates around 0.03 (0.003 to 0.3), then ``--rounds`` rounds, each timing
one after the other (in an order that rotates from round to round):
  batched        ``learning_rate_sweep(config, rates, epochs)``: all nine runs at once
  trainers       ``trainer_sweep``: one ``Trainer(record_every=1)`` per rate, one after the other (the same frame)
  trainers /k    one ``Trainer`` per rate with its default ``record_every`` k (a history row every 9, 10 and 121
                 epochs on these configurations): the cheapest way to train the runs with Trainers, though it gives
                 only every k-th point of each curve
  batched x1     ``learning_rate_sweep`` with one rate at a time: the batched code without the batching
Times are medians over rounds; a ratio is the median over rounds of that round's time / batched (measured seconds
apart, so a shared machine's slow phases largely cancel). The batched and the trainers' frames are compared
once (the largest relative difference is printed). NumPy's BLAS runs on one thread (``threadpoolctl``) unless
``--blas-threads 0``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the repo root is not
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from playground import Trainer, TrainingConfig, learning_rate_sweep  # noqa: E402
from playground.training.sweep import trainer_sweep  # noqa: E402

CASES = {
    "default: circle [4,2] tanh, batch 10, 250 train": TrainingConfig(),
    "circle [8,8] tanh, batch 10, 250 train": TrainingConfig(hidden_layers=(8, 8)),
    "circle [8,8] tanh, full batch (250), 250 train": TrainingConfig(hidden_layers=(8, 8), batch_size=250),
}
RATES = 0.03 * np.geomspace(0.1, 10.0, 9)  # 0.003 ... 0.3, log-spaced around the default rate
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
ENGINES = ("batched", "trainers", "trainers /k", "batched x1")


def _single_blas_thread():
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn (requirements-bench.txt)
    except ImportError:
        print("threadpoolctl not installed: BLAS at its default thread count")
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _trainers_default_record(config: TrainingConfig, rates: np.ndarray, epochs: int) -> None:
    for rate in rates:
        Trainer(replace(config, learning_rate=float(rate))).train(epochs)


def _batched_one_at_a_time(config: TrainingConfig, rates: np.ndarray, epochs: int) -> None:
    for rate in rates:
        learning_rate_sweep(config, [rate], epochs)


def _engines(config: TrainingConfig, epochs: int) -> dict:
    return {
        "batched": partial(learning_rate_sweep, config, RATES, epochs),
        "trainers": partial(trainer_sweep, config, RATES, epochs),
        "trainers /k": partial(_trainers_default_record, config, RATES, epochs),
        "batched x1": partial(_batched_one_at_a_time, config, RATES, epochs),
    }


def _largest_difference(config: TrainingConfig, epochs: int) -> tuple[float, int]:
    """(largest relative difference of the batched and the trainers' losses, NaN entries in the batched frame)."""
    columns = ["train_loss", "test_loss"]
    batched = learning_rate_sweep(config, RATES, epochs)[columns].to_numpy()
    reference = trainer_sweep(config, RATES, epochs)[columns].to_numpy()
    assert np.array_equal(np.isnan(batched), np.isnan(reference)), "the two sweeps diverge at different epochs"
    finite = np.isfinite(reference)
    difference = np.abs(batched[finite] - reference[finite]) / np.abs(reference[finite])
    return float(difference.max(initial=0.0)), int(np.isnan(batched).sum())


def measure(config: TrainingConfig, epochs: int, rounds: int, clock) -> tuple[dict, dict]:
    """(median seconds per engine, median ratio engine / batched per engine), from interleaved rounds."""
    engines = _engines(config, epochs)
    for run in engines.values():  # warm-up: imports, caches, first allocations
        run()
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    names = list(engines)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = clock()
            engines[name]()
            seconds[name].append(clock() - start)
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    ratios = {
        name: statistics.median(mine / batched for mine, batched in zip(times, seconds["batched"]))
        for name, times in seconds.items()
    }
    return medians, ratios


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per configuration (default 5)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs per run (default 100)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall (default) or cpu time")
    parser.add_argument("--cases", nargs="*", help="only the configurations whose label contains one of these")
    parser.add_argument("--blas-threads", type=int, default=1, choices=(0, 1), help="0: BLAS's default threads")
    args = parser.parse_args(argv)
    cases = {
        label: config for label, config in CASES.items() if not args.cases or any(word in label for word in args.cases)
    }
    print(
        f"{RATES.size} rates {RATES[0]:.3g} .. {RATES[-1]:.3g} (log-spaced), {args.epochs} epochs per run, "
        f"{args.rounds} interleaved rounds, {args.clock} clock; seconds for the whole sweep (median), "
        "ratio = that / batched (median of per-round ratios)"
    )
    header = f"{'configuration':<48} | " + " | ".join(f"{name:>11}   ratio" for name in ENGINES)
    print(header)
    print("-" * len(header))
    notes = []
    with _single_blas_thread() if args.blas_threads == 1 else contextlib.nullcontext():
        for label, config in cases.items():
            difference, nans = _largest_difference(config, args.epochs)
            notes.append(f"{label}: largest relative difference batched vs trainers {difference:.1e}; NaN: {nans}")
            medians, ratios = measure(config, args.epochs, args.rounds, CLOCKS[args.clock])
            cells = " | ".join(f"{medians[name]:>10.3f}s {ratios[name]:>6.1f}x" for name in ENGINES)
            print(f"{label:<48} | {cells}", flush=True)
    print()
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
