"""MNIST benchmark: how long our trainer takes to reach 95 % test accuracy on the 2,000 held-out digits.

    python -m bench.bench_mnist                        # the documented configuration, weight seeds 0-2
    python -m bench.bench_mnist --clock cpu --seeds 0 1 2 3 4
    python -m bench.bench_mnist --target 0.96 --max-epochs 40

The speed of an epoch beside the NumPy floor, scikit-learn and PyTorch is the engine benchmark's MNIST rows:
``python -m bench.bench_engine --sections speed --cases mnist`` (bench/README.md).

Each run trains ``Trainer(CONFIG)`` one epoch per ``train(1)`` call, as the app does (its history and gradient-flow
record included), and after each epoch measures the accuracy on the whole test set (``Trainer.evaluate``, not
timed). The time to the target is the clock time of the training epochs up to the first one whose test accuracy
reaches it. BLAS on one thread, as in the engine benchmark.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the repo root is not
    sys.path.insert(0, str(ROOT))

from bench.bench_engine import CLOCKS, _environment, _single_blas_thread  # noqa: E402
from playground import Trainer, TrainingConfig  # noqa: E402

TARGET = 0.95
# The documented configuration: two hidden layers of 64 ReLU units (He initialisation, dropout 0.1), Adam at
# 0.001, batches of 32, all 8,000 training images. [64] ReLU with Adam 0.001 and batch 32 hovers at 94.5-95 %
# from epoch 15 on and crosses 95 % only on some seeds; this one reached it by epoch 6-14 on every data seed
# (0-2) and weight seed (0-2) tried.
CONFIG = TrainingConfig(
    dataset="mnist",
    train_size=8000,
    hidden_layers=(64, 64),
    activations=("relu", "relu"),
    initializer="he_normal",
    dropout=0.1,
    optimizer="adam",
    learning_rate=0.001,
    batch_size=32,
)


def time_to_target(
    config: TrainingConfig, target: float, max_epochs: int, clock
) -> tuple[int | None, float | None, float, list[float]]:
    """Train until the test accuracy reaches ``target`` (at most ``max_epochs``). Returns the epoch that reached it
    (None: none did), the training time up to it, the time per epoch, and the test accuracy after each epoch."""
    trainer = Trainer(config)
    spent, reached, reached_time, accuracies = 0.0, None, None, []
    for epoch in range(1, max_epochs + 1):
        start = clock()
        trainer.train(1)
        spent += clock() - start
        accuracies.append(trainer.evaluate()["test_accuracy"])
        if accuracies[-1] >= target:
            reached, reached_time = epoch, spent
            break
    return reached, reached_time, spent / len(accuracies), accuracies


def describe(config: TrainingConfig) -> str:
    layers = ",".join(map(str, config.hidden_layers))
    return (
        f"mnist [{layers}] {config.activations[0]}, {config.initializer}, dropout {config.dropout:g}, "
        f"{config.optimizer} {config.learning_rate:g}, batch {config.batch_size}, {config.train_size} train"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=float, default=TARGET, help="test accuracy to reach (default 0.95)")
    parser.add_argument("--max-epochs", type=int, default=30, help="give up after this many epochs (default 30)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2], help="weight seeds (default 0 1 2)")
    parser.add_argument("--data-seed", type=int, default=0, help="which 2,000 digits are the test set (default 0)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall (default) or cpu time")
    args = parser.parse_args(argv)
    clock = CLOCKS[args.clock]
    print(_environment())
    print()
    print(f"== MNIST: time to {args.target:.0%} test accuracy ({args.clock} clock, BLAS on one thread) ==")
    print(describe(CONFIG) + f"; test set: data seed {args.data_seed}")
    print()
    print(f"{'weight seed':>11s} {'epochs':>6s} {'seconds':>8s} {'s/epoch':>8s}  test accuracy after each epoch (%)")
    times, epochs = [], []
    with _single_blas_thread():
        for seed in args.seeds:
            config = replace(CONFIG, weight_seed=seed, data_seed=args.data_seed)
            reached, seconds, per_epoch, accuracies = time_to_target(config, args.target, args.max_epochs, clock)
            trail = " ".join(f"{100 * accuracy:.1f}" for accuracy in accuracies)
            shown = ("not reached", "") if reached is None else (f"{reached}", f"{seconds:.2f}")
            print(f"{seed:>11d} {shown[0]:>6s} {shown[1]:>8s} {per_epoch:>8.3f}  {trail}")
            sys.stdout.flush()
            if reached is not None:
                times.append(seconds)
                epochs.append(reached)
    print()
    if times:
        median_epochs, median_time = statistics.median(epochs), statistics.median(times)
        print(
            f"reached {args.target:.0%} in {len(times)} of {len(args.seeds)} runs: median {median_epochs:g} epochs, "
            f"{median_time:.2f} s (range {min(times):.2f}-{max(times):.2f} s)"
        )
    else:
        print(f"{args.target:.0%} not reached within {args.max_epochs} epochs")


if __name__ == "__main__":
    main()
